using System.Text.Json;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// The TorchServe sample built by the daemonless builder, pulled by Docker and run as its user. The base's home
/// (/home/model-server) and model store belong to TorchServe's user, and the image's layers put files below them
/// (the .mar files, config.properties): the image must leave both folders as the base has them, or TorchServe, which
/// writes its logs in its working directory (logs/ under the home) and unpacks the archives under TEMP, fails at
/// start. The test writes where TorchServe writes.
/// </summary>
[TestClass]
public sealed class TorchServeDaemonlessEndToEndTests
{
    [TestMethod]
    public void TorchServe_home_and_the_folders_it_writes_belong_to_its_user_in_a_daemonless_image()
    {
        EngineEnvironment.Require();
        var tag = "ts-daemonless-" + Guid.NewGuid().ToString("N")[..10];
        var project = SdkProject.CopyOfSample("TorchServe");
        var result = project.Publish(new[]
        {
            "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"),
            "AiImageBuilder=Daemonless",
            "ContainerRegistry=" + EngineEnvironment.Registry,
            "ContainerImageTag=" + tag,
        });
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var imageJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.OutputDirectory, "image.json"))).RootElement;
        Assert.AreEqual("Daemonless", imageJson.GetProperty("builder").GetString(), "the daemonless builder made the image");

        var image = $"{EngineEnvironment.Registry}/samples/torchserve-echo:{tag}";
        var pull = EngineEnvironment.Docker("pull", "-q", image);
        Assert.AreEqual(0, pull.ExitCode, pull.Output);
        try
        {
            var user = EngineEnvironment.Docker("image", "inspect", "--format", "{{.Config.User}} {{.Config.WorkingDir}}", image);
            Assert.AreEqual("model-server /home/model-server", user.Output.Trim(), "TorchServe runs as its own user in its home");

            // As the image's default user, in its working directory: the owner of each folder TorchServe uses, then
            // what TorchServe writes there (logs/ in the working directory, its unpacked models under TEMP, a file
            // in the home and in the model store).
            const string script = """
                set -e
                echo "user $(id -un) $(id -u)"
                for d in /home/model-server /home/model-server/model-store "$TEMP"; do echo "owner $d $(stat -c %U "$d")"; done
                mkdir -p logs && echo started > logs/ts_log.log
                mkdir -p "$TEMP/models/echo" && echo unpacked > "$TEMP/models/echo/MAR-INF"
                echo written > /home/model-server/.aic-write-check
                echo written > /home/model-server/model-store/.aic-write-check
                echo "wrote $(cat logs/ts_log.log) $(cat "$TEMP/models/echo/MAR-INF") $(stat -c %U logs)"
                """;
            var run = EngineEnvironment.Docker("run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image, "-c", script);
            Assert.AreEqual(0, run.ExitCode, "TorchServe's user could not write where TorchServe writes:\n" + run.Output);
            StringAssert.Contains(run.Output, "user model-server 1000", run.Output);
            StringAssert.Contains(run.Output, "owner /home/model-server model-server", run.Output);
            StringAssert.Contains(run.Output, "owner /home/model-server/model-store model-server", run.Output);
            StringAssert.Contains(run.Output, "owner /home/model-server/tmp model-server", run.Output);
            StringAssert.Contains(run.Output, "wrote started unpacked model-server", run.Output);

            // The archive the sample put in the model store is there, readable by that user.
            var mar = EngineEnvironment.Docker("run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image, "-c", "test -r /home/model-server/model-store/echo.mar && echo readable");
            Assert.AreEqual("readable", mar.Output.Trim(), mar.Output);
        }
        finally { EngineEnvironment.Docker("rmi", image); }
    }
}
