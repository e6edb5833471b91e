using System.Diagnostics;
using System.Text;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// A CI timeout sends SIGTERM to `dotnet publish`. The dotnet CLI ends any build with exit code 0 on SIGTERM,
/// so before this fix a timed-out publish looked green. The cancelable tasks take SIGTERM over while they run:
/// they cancel the engine call, print `error AIC6006` and end the process with 143 (128 + SIGTERM).
/// </summary>
[TestClass]
public sealed class CancellationEndToEndTests
{
    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]
    public void Sigterm_during_the_weights_image_build_leaves_no_weights_image_and_no_app_image()
    {
        EngineEnvironment.Require();
        var tag = "cancel-" + Guid.NewGuid().ToString("N")[..8];
        var project = SdkProject.ConsoleApp("CancelWeights", $"""
            <AiGpu>false</AiGpu>
            <AiImageBuilder>Docker</AiImageBuilder>
            <AiRegistryMirror>{EngineEnvironment.Mirror}</AiRegistryMirror>
            <AiBuildNetwork>host</AiBuildNetwork>
            <ContainerRepository>aic-tests/cancel-weights</ContainerRepository>
            <ContainerImageTag>{tag}</ContainerImageTag>
            """, """<AiModel Include="big" Source="models/big/" />""");
        // 400 MiB of incompressible bytes: sending them to the engine takes long enough to be interrupted.
        var folder = Path.Combine(project.Directory, "models", "big");
        Directory.CreateDirectory(folder);
        var block = new byte[1 << 20];
        var random = new Random(tag.GetHashCode());
        using (var file = File.Create(Path.Combine(folder, "weights.bin")))
            for (var i = 0; i < 400; i++) { random.NextBytes(block); file.Write(block); }
        var warm = project.Publish(new[] { "AiImageBuilder=None" }, new Dictionary<string, string?> { ["AIC_MODEL_CACHE"] = project.Directory + "-models" });
        Assert.AreEqual(0, warm.ExitCode, warm.Output);

        var (exitCode, output) = PublishAndSignal(project, "building weights image", new Dictionary<string, string?> { ["AIC_MODEL_CACHE"] = project.Directory + "-models" });

        Assert.AreEqual(143, exitCode, output);
        StringAssert.Contains(output, "error AIC6006");
        var weights = System.Text.RegularExpressions.Regex.Match(output, @"building weights image (\S+)").Groups[1].Value;
        Assert.AreNotEqual("", weights, output);
        Assert.AreNotEqual(0, EngineEnvironment.Docker("image", "inspect", weights).ExitCode, "a cancelled weights build must leave no weights image: " + weights);
        Assert.AreNotEqual(0, EngineEnvironment.Docker("image", "inspect", $"aic-tests/cancel-weights:{tag}").ExitCode, "and no app image");
    }

    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]
    public void Sigterm_during_a_build_ends_the_publish_non_zero_with_a_coded_error_and_tags_nothing()
    {
        EngineEnvironment.Require();
        var tag = "cancel-" + Guid.NewGuid().ToString("N")[..8];
        var project = SdkProject.ConsoleApp("CancelMe", $"""
            <AiGpu>false</AiGpu>
            <AiRegistryMirror>{EngineEnvironment.Mirror.Replace(";", "%3B")}</AiRegistryMirror>
            <AiBuildNetwork>host</AiBuildNetwork>
            <ContainerRepository>aic-tests/cancel</ContainerRepository>
            <ContainerImageTag>{tag}</ContainerImageTag>
            """, """<AiRunCommand Include="sleep 300" />""");
        // Restore, compile and publish the app first, so the signal lands inside the image build.
        var warm = project.Publish(new[] { "AiImageBuilder=None" });
        Assert.AreEqual(0, warm.ExitCode, warm.Output);

        var (exitCode, output) = PublishAndSignal(project, "Running in");

        Assert.AreNotEqual(0, exitCode, "a cancelled publish must not exit 0:\n" + output);
        Assert.AreEqual(143, exitCode, output);
        StringAssert.Contains(output, "error AIC6006");
        var inspect = EngineEnvironment.Docker("image", "inspect", $"aic-tests/cancel:{tag}");
        Assert.AreNotEqual(0, inspect.ExitCode, "a cancelled build must leave no tag");
        Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "image.json")), "no image.json is presented as fresh");
    }

    /// <summary>Publishes, sends SIGTERM to dotnet when <paramref name="trigger"/> is printed, and returns how it ended (within 30 s).</summary>
    private static (int ExitCode, string Output) PublishAndSignal(SdkProject project, string trigger, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = project.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "publish", project.ProjectFile, "-c", "Release", "-nologo", "-nodeReuse:false", "-v:n", "-p:PublishAiImage=true" })
            start.ArgumentList.Add(a);
        start.Environment["NUGET_PACKAGES"] = Path.Combine(TestPaths.RepoRoot, "artifacts", "nuget-packages");
        start.Environment["DOCKER_HOST"] = EngineEnvironment.DockerHost;
        start.Environment["MSBUILDTERMINALLOGGER"] = "off";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>()) start.Environment[key] = value;
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        var reached = new TaskCompletionSource();
        void Collect(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.Contains(trigger, StringComparison.Ordinal)) reached.TrySetResult();
        }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Assert.IsTrue(reached.Task.Wait(TimeSpan.FromMinutes(4)), $"the publish never printed '{trigger}':\n" + output);
            var watch = Stopwatch.StartNew();
            var kill = ProcessRunner.Run("kill", new[] { "-TERM", process.Id.ToString() });
            Assert.AreEqual(0, kill.ExitCode, kill.Output);
            Assert.IsTrue(process.WaitForExit(TimeSpan.FromSeconds(60)), "the publish did not stop within 60 s of SIGTERM:\n" + output);
            process.WaitForExit();
            Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(30), $"stopping took {watch.Elapsed}");
            lock (output) return (process.ExitCode, output.ToString());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
