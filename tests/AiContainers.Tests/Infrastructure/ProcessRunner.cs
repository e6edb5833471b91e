using System.Diagnostics;
using System.Text;

namespace AiContainers.Tests.Infrastructure;

/// <summary>A finished process: stdout and stderr as interleaved in <see cref="Output"/>, and each exactly as written.</summary>
internal sealed record ProcessResult(int ExitCode, string Output, TimeSpan Elapsed, string StandardOutput = "", string StandardError = "")
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:0.0} s\n{Output}";
}

/// <summary>Runs a real program (dotnet, docker, skopeo, docker-compose, bash) and captures what it prints.</summary>
internal static class ProcessRunner
{
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
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
        var output = new StringBuilder();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.Start();
        // Raw chunks, not lines: callers parse stdout exactly (NUL-separated arguments, YAML).
        async Task Pump(StreamReader reader, StringBuilder own)
        {
            var buffer = new char[8192];
            int read;
            while ((read = await reader.ReadAsync(buffer)) > 0)
                lock (output) { own.Append(buffer, 0, read); output.Append(buffer, 0, read); }
        }
        var pumps = Task.WhenAll(Pump(process.StandardOutput, stdout), Pump(process.StandardError, stderr));
        if (stdin is not null) { process.StandardInput.Write(stdin); process.StandardInput.Close(); }
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish:\n{output}");
        }
        pumps.GetAwaiter().GetResult();
        return new ProcessResult(process.ExitCode, output.ToString(), watch.Elapsed, stdout.ToString(), stderr.ToString());
    }
}
