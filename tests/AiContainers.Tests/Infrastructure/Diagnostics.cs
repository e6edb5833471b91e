using System.Text.RegularExpressions;

namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// Assertions on AICnnnn diagnostics as a user meets them: in the console output of a real
/// `dotnet publish`, or recorded by <see cref="FakeBuildEngine"/> when a task runs in-process.
/// </summary>
internal static partial class Diagnostics
{
    // "  1>/tmp/x/Demo.csproj : error AIC1006: text [/tmp/x/Demo.csproj]" (node prefix and project suffix optional).
    [GeneratedRegex(@"^\s*(?:\d+>)?(?<file>.*?)(?:\((?<line>\d+)(?:,\d+)?\))?\s*:\s+(?<severity>error|warning)\s+(?<code>AIC\d{4})\s*:\s?(?<text>.*?)(?:\s+\[[^\]]+\])?\s*$")]
    private static partial Regex ConsoleLine();

    /// <summary>
    /// Every AICnnnn error and warning in MSBuild console output, once each: MSBuild repeats them in its
    /// closing summary, and prints a message with several lines as several prefixed lines, joined here.
    /// </summary>
    public static IReadOnlyList<LoggedDiagnostic> Parse(string output)
    {
        var found = new List<LoggedDiagnostic>();
        LoggedDiagnostic? current = null;
        foreach (var line in output.Split('\n'))
        {
            var match = ConsoleLine().Match(line.TrimEnd('\r'));
            if (!match.Success) { Flush(); continue; }
            var next = new LoggedDiagnostic(match.Groups["severity"].Value == "error", match.Groups["code"].Value, match.Groups["file"].Value.Trim(),
                match.Groups["text"].Value, match.Groups["line"].Success ? int.Parse(match.Groups["line"].Value) : 0);
            if (current is not null && current.IsError == next.IsError && current.Code == next.Code && current.File == next.File)
                current = current with { Text = current.Text + "\n" + next.Text };
            else { Flush(); current = next; }
        }
        Flush();
        return found.Distinct().ToList();

        void Flush()
        {
            if (current is not null) found.Add(current);
            current = null;
        }
    }

    /// <summary>Exactly one error or warning with <paramref name="code"/> in a real build's output; its text names <paramref name="property"/>.</summary>
    public static LoggedDiagnostic AssertSingle(ProcessResult build, string code, string? property = null)
        => AssertSingle(Parse(build.Output), code, property, build.Output);

    /// <summary>Exactly one error or warning with <paramref name="code"/> logged to the fake engine, attributed to the project file.</summary>
    public static LoggedDiagnostic AssertSingle(FakeBuildEngine engine, string code, string? property = null)
    {
        var diagnostic = AssertSingle(engine.Diagnostics, code, property, engine.Log);
        Assert.AreEqual(engine.ProjectFileOfTaskNode, diagnostic.File, $"{code} is attributed to the project file");
        return diagnostic;
    }

    public static LoggedDiagnostic AssertSingle(IReadOnlyList<LoggedDiagnostic> diagnostics, string code, string? property, string log)
    {
        var matching = diagnostics.Where(d => d.Code == code).ToList();
        Assert.AreEqual(1, matching.Count, $"expected one {code}, found {matching.Count} in:\n{log}");
        var diagnostic = matching[0];
        Assert.IsFalse(diagnostic.Text.StartsWith(code, StringComparison.Ordinal), $"the code is printed once, not again in the text: {diagnostic.ConsoleLine}");
        if (property is not null) StringAssert.Contains(diagnostic.Text, property, $"{code} names the property to change");
        return diagnostic;
    }

    /// <summary>Exactly one error with <paramref name="code"/>, and the build failed.</summary>
    public static LoggedDiagnostic AssertSingleError(ProcessResult build, string code, string? property = null)
    {
        Assert.AreNotEqual(0, build.ExitCode, $"the build was expected to fail with {code}:\n{build.Output}");
        var diagnostic = AssertSingle(build, code, property);
        Assert.IsTrue(diagnostic.IsError, $"{code} is an error: {diagnostic.ConsoleLine}");
        return diagnostic;
    }

    /// <summary>The code appears nowhere in the output: e.g. no AIC3001 when validation must stop the build before the engine.</summary>
    public static void AssertNone(ProcessResult build, string code, string because)
        => Assert.IsFalse(build.Output.Contains(code, StringComparison.Ordinal), $"{because}; but {code} was logged:\n{build.Output}");
}
