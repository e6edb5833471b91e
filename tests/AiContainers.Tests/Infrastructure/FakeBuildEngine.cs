using System.Collections;
using Microsoft.Build.Framework;

namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// The build engine a task sees when the tests run it in-process: it records every error, warning and
/// message the task logs (through TaskLoggingHelper) with its code and file, and renders them as
/// MSBuild's console logger shows them to a user. IBuildEngine is all TaskLoggingHelper and the
/// AiContainers tasks use; the task only reads ProjectFileOfTaskNode to attribute its diagnostics.
/// </summary>
internal sealed class FakeBuildEngine : IBuildEngine
{
    private readonly List<LoggedDiagnostic> _diagnostics = new();
    private readonly List<LoggedMessage> _messages = new();

    public FakeBuildEngine(string projectFile = "/src/Demo/Demo.csproj") => ProjectFileOfTaskNode = projectFile;

    public IReadOnlyList<LoggedDiagnostic> Diagnostics => _diagnostics;
    public IReadOnlyList<LoggedDiagnostic> Errors => _diagnostics.Where(d => d.IsError).ToList();
    public IReadOnlyList<LoggedDiagnostic> Warnings => _diagnostics.Where(d => !d.IsError).ToList();
    public IReadOnlyList<LoggedMessage> Messages => _messages;

    /// <summary>Everything logged, one line per event, as `dotnet build` prints it (errors and warnings with file and code).</summary>
    public string Log => string.Join("\n", _diagnostics.Select(d => d.ConsoleLine).Concat(_messages.Select(m => m.Text)));

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode { get; }

    public void LogErrorEvent(BuildErrorEventArgs e)
        => _diagnostics.Add(new LoggedDiagnostic(true, e.Code ?? "", e.File ?? "", e.Message ?? "", e.LineNumber));

    public void LogWarningEvent(BuildWarningEventArgs e)
        => _diagnostics.Add(new LoggedDiagnostic(false, e.Code ?? "", e.File ?? "", e.Message ?? "", e.LineNumber));

    public void LogMessageEvent(BuildMessageEventArgs e) => _messages.Add(new LoggedMessage(e.Importance, e.Message ?? ""));

    public void LogCustomEvent(CustomBuildEventArgs e) => _messages.Add(new LoggedMessage(MessageImportance.Low, e.Message ?? ""));

    /// <summary>The AiContainers tasks never build other projects; a task that tries is a bug the test should see.</summary>
    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs)
        => throw new NotSupportedException("FakeBuildEngine does not build projects: " + projectFileName);
}

/// <summary>An error or warning as MSBuild received it: the code is separate from the text, the file is the project's.</summary>
internal sealed record LoggedDiagnostic(bool IsError, string Code, string File, string Text, int Line)
{
    /// <summary>The line MSBuild's console logger writes for it (no line number: "file : error CODE: text").</summary>
    public string ConsoleLine => $"{File}{(Line > 0 ? $"({Line})" : "")} : {(IsError ? "error" : "warning")} {Code}: {Text}";
}

internal sealed record LoggedMessage(MessageImportance Importance, string Text);
