using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>The emitted docker-run.sh, run for real against the local engine (GPU-less host: AIC_NO_GPU=1).</summary>
[TestClass]
public sealed class DeployEndToEndTests
{
    /// <summary>A tiny HTTP service (HttpListener) so the image's HEALTHCHECK has something to probe.</summary>
    private const string ServerProgram = """
        using System.Net;
        var port = Environment.GetEnvironmentVariable("PORT") ?? "8080";
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://+:{port}/");
        listener.Start();
        Console.WriteLine($"listening on {port}, shm {new DriveInfo("/dev/shm").TotalSize}");
        while (true)
        {
            var context = listener.GetContext();
            var body = System.Text.Encoding.UTF8.GetBytes(context.Request.Url!.AbsolutePath == "/health" ? "ok" : "hello");
            context.Response.OutputStream.Write(body);
            context.Response.Close();
        }
        """;

    [TestMethod]
    public async Task Emitted_docker_run_script_starts_a_healthy_container_with_the_declared_settings()
    {
        EngineEnvironment.Require();
        var tag = "e2e-" + Guid.NewGuid().ToString("N")[..10];
        var port = 18000 + Random.Shared.Next(0, 1000);
        var project = SdkProject.ConsoleApp("RunScript", $"""
            <AiCudaVersion>12.4</AiCudaVersion>
            <ContainerRepository>e2e/runscript</ContainerRepository>
            <ContainerImageTag>{tag}</ContainerImageTag>
            <AiHealthCheckPath>/health</AiHealthCheckPath>
            <AiHealthCheckInterval>2s</AiHealthCheckInterval>
            <AiGpuDevices>0</AiGpuDevices>
            <AiShmSize>256m</AiShmSize>
            <AiMemoryLimit>512m</AiMemoryLimit>
            <AiCpuLimit>1.5</AiCpuLimit>
            <AiLogMaxSize>5m</AiLogMaxSize>
            <AiLogMaxFiles>2</AiLogMaxFiles>
            """, $"""
            <ContainerPort Include="{port}" />
            <ContainerEnvironmentVariable Include="PORT" Value="{port}" />
            <ContainerEnvironmentVariable Include="GREETING" Value="it's a &quot;test&quot;" />
            """);
        project.Write("Program.cs", ServerProgram);
        var publish = project.Publish(new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiBuildNetwork=host" });
        Assert.AreEqual(0, publish.ExitCode, publish.Output);

        var script = Path.Combine(project.OutputDirectory, "docker-run.sh");
        var text = File.ReadAllText(script);
        StringAssert.Contains(text, "--gpus", "the script asks for the GPU the project declares");
        var name = "aic-runscript-" + tag;
        var run = ProcessRunner.Run("bash", new[] { script }, project.OutputDirectory, new Dictionary<string, string?>
        {
            ["DOCKER_HOST"] = EngineEnvironment.DockerHost,
            ["AIC_NO_GPU"] = "1",
            ["AIC_DOCKER_RUN_ARGS"] = $"-d --name {name} --network host",
        });
        var container = ContainerRun.Adopt(name);
        try
        {
            Assert.AreEqual(0, run.ExitCode, run.Output);
            StringAssert.Contains(run.Output, "--gpus", "the script says it dropped --gpus");
            await container.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));

            var inspect = container.Inspect();
            var host = inspect.GetProperty("HostConfig");
            Assert.AreEqual(256L << 20, host.GetProperty("ShmSize").GetInt64());
            Assert.AreEqual(512L << 20, host.GetProperty("Memory").GetInt64());
            Assert.AreEqual(1_500_000_000L, host.GetProperty("NanoCpus").GetInt64());
            var log = host.GetProperty("LogConfig");
            Assert.AreEqual("json-file", log.GetProperty("Type").GetString());
            Assert.AreEqual("5m", log.GetProperty("Config").GetProperty("max-size").GetString());
            Assert.AreEqual("2", log.GetProperty("Config").GetProperty("max-file").GetString());
            var env = inspect.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
            CollectionAssert.Contains(env, "GREETING=it's a \"test\"", "quoting survives the script");
            CollectionAssert.Contains(env, "NVIDIA_VISIBLE_DEVICES=0");
        }
        finally
        {
            // The container goes first (dispose), then its image.
            await container.DisposeAsync();
            EngineEnvironment.Docker("rmi", $"e2e/runscript:{tag}");
        }
    }
}
