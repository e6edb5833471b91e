using System.Diagnostics;

namespace AiContainers.Tests.Deploy;

internal sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs a real tool (bash, docker-compose) to check generated files. Unlike Infrastructure.ProcessRunner it
/// keeps stdout apart from stderr: the fake docker's NUL-separated arguments and `docker-compose config`'s
/// YAML are parsed from stdout alone.
/// </summary>
internal static class Tool
{
    public static ToolResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null) start.Environment.Remove(key);
                else start.Environment[key] = value;
            }
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in 60 s.");
        }
        return new ToolResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
