using System.Text.Json;

namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// A container on the real engine that a test waits on until its image's own HEALTHCHECK says healthy,
/// and that is always removed afterwards, also when the test fails.
/// </summary>
internal sealed class ContainerRun : IAsyncDisposable
{
    private ContainerRun(string name) => Name = name;

    public string Name { get; }

    /// <summary>
    /// Starts <paramref name="image"/> detached (network host unless <paramref name="runOptions"/> names one),
    /// waits until it is healthy, runs <paramref name="whileHealthy"/>, and removes the container.
    /// </summary>
    public static async Task RunUntilHealthyAsync(string image, IEnumerable<string> runOptions, TimeSpan timeout, Func<ContainerRun, Task> whileHealthy, IEnumerable<string>? command = null)
    {
        await using var run = Start(image, runOptions, command);
        await run.WaitUntilHealthyAsync(timeout);
        await whileHealthy(run);
    }

    /// <summary>Starts <paramref name="image"/> detached under a unique name; dispose removes it.</summary>
    public static ContainerRun Start(string image, IEnumerable<string> runOptions, IEnumerable<string>? command = null)
    {
        var options = runOptions.ToList();
        var run = new ContainerRun("aic-test-" + Guid.NewGuid().ToString("N")[..10]);
        var args = new List<string> { "run", "-d", "--name", run.Name };
        // The engine here has no bridge network (ENVIRONMENT.md): host unless the test chose none.
        if (!options.Any(o => o == "--network" || o.StartsWith("--network=", StringComparison.Ordinal))) args.AddRange(new[] { "--network", "host" });
        args.AddRange(options);
        args.Add(image);
        if (command is not null) args.AddRange(command);
        var started = EngineEnvironment.Docker(args.ToArray());
        if (started.ExitCode != 0)
        {
            EngineEnvironment.Docker("rm", "-f", run.Name);
            Assert.Fail($"docker {string.Join(' ', args)} failed:\n{started.Output}");
        }
        return run;
    }

    /// <summary>A container something else started (the emitted docker-run.sh), now owned by the test: dispose removes it.</summary>
    public static ContainerRun Adopt(string name) => new(name);

    /// <summary>
    /// Polls `docker inspect` until the HEALTHCHECK status is healthy. Fails at once when the container
    /// exits or the image has no HEALTHCHECK, otherwise after <paramref name="timeout"/>; the failure
    /// holds the last health probe outputs and the container's log.
    /// </summary>
    public async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement state;
        while (true)
        {
            var inspect = EngineEnvironment.Docker("inspect", "--format", "{{json .State}}", Name);
            if (inspect.ExitCode != 0) Assert.Fail($"container {Name} is gone: {inspect.Output}");
            state = JsonDocument.Parse(inspect.StandardOutput).RootElement;
            if (!state.TryGetProperty("Health", out var health) || health.ValueKind != JsonValueKind.Object)
                Assert.Fail($"container {Name} has no health status: its image has no HEALTHCHECK.\n{Logs()}");
            var status = health.GetProperty("Status").GetString();
            if (status == "healthy") return;
            if (!state.GetProperty("Running").GetBoolean())
                Assert.Fail($"container {Name} exited (code {state.GetProperty("ExitCode").GetInt32()}) before it was healthy.\n{Probes(health)}{Logs()}");
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"container {Name} was not healthy after {timeout.TotalSeconds:0} s (status {status}).\n{Probes(health)}{Logs()}");
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>docker exec in the running container.</summary>
    public ProcessResult Exec(params string[] command) => EngineEnvironment.Docker(new[] { "exec", Name }.Concat(command).ToArray());

    /// <summary>docker inspect of the container (HostConfig, Config, State).</summary>
    public JsonElement Inspect()
    {
        var inspect = EngineEnvironment.Docker("inspect", Name);
        Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
        return JsonDocument.Parse(inspect.StandardOutput).RootElement[0];
    }

    public string Logs() => "--- docker logs " + Name + " ---\n" + EngineEnvironment.Docker("logs", Name).Output;

    private static string Probes(JsonElement health)
        => health.TryGetProperty("Log", out var log) && log.ValueKind == JsonValueKind.Array
            ? "--- last health probes ---\n" + string.Join("\n", log.EnumerateArray().Select(p => $"exit {p.GetProperty("ExitCode").GetInt32()}: {p.GetProperty("Output").GetString()?.Trim()}")) + "\n"
            : "";

    public ValueTask DisposeAsync()
    {
        EngineEnvironment.Docker("rm", "-f", Name);
        return ValueTask.CompletedTask;
    }
}
