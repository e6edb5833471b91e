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
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        var sleeping = new TaskCompletionSource();
        void Collect(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.Contains("Running in", StringComparison.Ordinal)) sleeping.TrySetResult();
        }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Assert.IsTrue(sleeping.Task.Wait(TimeSpan.FromMinutes(4)), "the build never reached the RUN step:\n" + output);
            var watch = Stopwatch.StartNew();
            var kill = ProcessRunner.Run("kill", new[] { "-TERM", process.Id.ToString() });
            Assert.AreEqual(0, kill.ExitCode, kill.Output);
            Assert.IsTrue(process.WaitForExit(TimeSpan.FromSeconds(60)), "the publish did not stop within 60 s of SIGTERM:\n" + output);
            process.WaitForExit();

            Assert.AreNotEqual(0, process.ExitCode, "a cancelled publish must not exit 0:\n" + output);
            Assert.AreEqual(143, process.ExitCode, output.ToString());
            StringAssert.Contains(output.ToString(), "error AIC6006");
            Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(30), $"stopping took {watch.Elapsed}");
            var inspect = EngineEnvironment.Docker("image", "inspect", $"aic-tests/cancel:{tag}");
            Assert.AreNotEqual(0, inspect.ExitCode, "a cancelled build must leave no tag");
            Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "image.json")), "no image.json is presented as fresh");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
