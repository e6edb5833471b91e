using AiContainers.Core.Diagnostics;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace AiContainers.Tasks;

/// <summary>
/// Base of every AiContainers task: runs the Core call and turns coded exceptions and diagnostics
/// into MSBuild errors and warnings with their AICnnnn code, attributed to the project file.
/// </summary>
public abstract class AiTask : Microsoft.Build.Utilities.Task, IAiLog
{
    public sealed override bool Execute()
    {
        try
        {
            ExecuteCore();
        }
        catch (AiException e)
        {
            Report(e.Diagnostic);
        }
        catch (Exception e) when (Cancellation.IsCancellationRequested && e is OperationCanceledException or AggregateException)
        {
            // An error, never a warning: the dotnet CLI may turn SIGTERM into exit code 0, and CI systems
            // flag a coded error line, so a cancelled publish must not read as a success.
            Report(AiErrors.PublishCancelled.Create(null, "Ctrl+C, SIGTERM or a build cancellation"));
        }
        return !Log.HasLoggedErrors;
    }

    protected abstract void ExecuteCore();

    /// <summary>
    /// The user's project ($(MSBuildProjectFullPath)): errors point at it, where the property to change lives. Without
    /// it MSBuild would name the file holding the task node, our own AiContainers.Sdk.targets in the NuGet cache.
    /// </summary>
    public string? ProjectFile { get; set; }

    /// <summary>Cancelled when MSBuild cancels the build (Ctrl+C); passed to every long Core call.</summary>
    protected CancellationTokenSource Cancellation { get; } = new();

    public void Message(AiLogLevel level, string text)
        => Log.LogMessage(level switch { AiLogLevel.Summary => MessageImportance.High, AiLogLevel.Progress => MessageImportance.Normal, _ => MessageImportance.Low }, text);

    public void Report(AiDiagnostic diagnostic)
    {
        var text = diagnostic.Message.StartsWith(diagnostic.Code + ": ", StringComparison.Ordinal)
            ? diagnostic.Message[(diagnostic.Code.Length + 2)..]
            : diagnostic.Message;
        var file = string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode : ProjectFile;
        if (diagnostic.IsError) Log.LogError(null, diagnostic.Code, null, file, 0, 0, 0, 0, text);
        else Log.LogWarning(null, diagnostic.Code, null, file, 0, 0, 0, 0, text);
    }

    protected static IReadOnlyDictionary<string, string> MetadataOf(ITaskItem item)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in item.MetadataNames.Cast<string>())
            result[name] = item.GetMetadata(name);
        return result;
    }
}

/// <summary>
/// MSBuild calls Cancel on Ctrl+C; the tasks that talk to engines and registries honour it. SIGTERM (what CI
/// systems send on a timeout) is taken over while the task runs: the dotnet CLI would otherwise end the
/// process with exit code 0 and no error line, so a CI timeout looked like success. Here it cancels the
/// work, the task logs AIC6006 and the build fails.
/// </summary>
public abstract class CancelableAiTask : AiTask, ICancelableTask
{
    public void Cancel() => Cancellation.Cancel();

    protected sealed override void ExecuteCore()
    {
        using var sigterm = OperatingSystem.IsWindows() ? null : System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                // The CLI may still end the process before the task returns: say it where CI looks, at once.
                Console.Error.WriteLine("error " + AiErrors.PublishCancelled.Create(null, "SIGTERM").Message);
                Console.Error.Flush();
                Cancellation.Cancel();
                // The dotnet CLI ends the process with exit code 0 on SIGTERM whatever the build did (tried: setting
                // Environment.ExitCode is overwritten), so a CI timeout read as success. The process is ending anyway:
                // end it with 128 + SIGTERM, the Unix convention, after the error line above.
                Environment.Exit(143);
            });
        ExecuteCancelable();
    }

    protected abstract void ExecuteCancelable();
}
