using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// The `dotnet new` templates of AiContainers.Templates (packed by build/pack.sh beside the SDK), as a user
/// meets them: installed from the .nupkg into a template hive of the test's own, instantiated in a new folder,
/// published with no edit to the local registry, run and called. The bases are the stand-ins (no CUDA, python3
/// 3.11) reached through AiRegistryMirror, which a test passes on the command line; the projects stay unedited.
/// </summary>
[TestClass]
public sealed partial class TemplateEndToEndTests
{
    private static string UniqueTag() => "tpl-" + Guid.NewGuid().ToString("N")[..10];

    private static string[] Mirror(params string[] more)
        => new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiBuildNetwork=host" }.Concat(more).ToArray();

    /// <summary>The template package of this checkout's pack.</summary>
    internal static string TemplatePackage => Path.Combine(TestPaths.Packages, $"AiContainers.Templates.{SdkProject.SdkVersion}.nupkg");

    // `--debug:custom-hive` keeps the install out of ~/.templateengine (the dotnet new tests isolate the same way).
    private static readonly Lazy<string> Hive = new(() => InstallTemplates(TestPaths.NewTempDirectory("template-hive")));

    internal static string InstallTemplates(string hive)
    {
        var install = ProcessRunner.Run("dotnet", new[] { "new", "install", TemplatePackage, "--debug:custom-hive", hive }, hive, DotnetEnvironment, TimeSpan.FromMinutes(3));
        Assert.AreEqual(0, install.ExitCode, install.Output);
        return hive;
    }

    internal static readonly Dictionary<string, string?> DotnetEnvironment = new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["MSBUILDTERMINALLOGGER"] = "off",
    };

    /// <summary>`dotnet new SHORTNAME -n NAME` into a new folder that has the test feed's nuget.config.</summary>
    private static SdkProject FromTemplate(string shortName, string name, params string[] templateOptions)
    {
        var project = new SdkProject(name);
        var created = ProcessRunner.Run("dotnet", new[] { "new", shortName, "-n", name, "-o", project.Directory, "--debug:custom-hive", Hive.Value }.Concat(templateOptions),
            project.Directory, DotnetEnvironment, TimeSpan.FromMinutes(3));
        Assert.AreEqual(0, created.ExitCode, created.Output);
        Assert.IsTrue(File.Exists(project.ProjectFile), $"dotnet new {shortName} wrote {project.ProjectFile}:\n{created.Output}");
        return project;
    }

    // "Program.cs(3,1): warning CS8321: ..." / "... : warning NU1603: ..." / "... : warning AIC2501: ..."
    [GeneratedRegex(@"^.*:\s+warning\s+[A-Za-z]+\d+\s*:.*$", RegexOptions.Multiline)]
    private static partial Regex WarningLine();

    internal static void AssertNoWarning(ProcessResult result, string what)
    {
        var warnings = WarningLine().Matches(result.Output).Select(m => m.Value.Trim()).Distinct().ToList();
        Assert.AreEqual(0, warnings.Count, $"{what}: a first publish shows no warning, but:\n{string.Join("\n", warnings)}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [TestMethod]
    [DataRow("aicontainers-inference", "FirstInference")]
    [DataRow("aicontainers-training", "FirstTraining")]
    [DataRow("aicontainers-torchserve", "FirstTorchServe")]
    public void Template_first_publish_shows_no_warning(string shortName, string name)
    {
        // As on a machine that reaches Docker Hub: no mirror, no stand-in version; the Dockerfile and deploy files only.
        var project = FromTemplate(shortName, name);
        var result = project.Publish(new[] { "AiImageBuilder=None" });
        Assert.AreEqual(0, result.ExitCode, result.Output);
        AssertNoWarning(result, shortName);
        Assert.IsTrue(File.Exists(Path.Combine(project.OutputDirectory, "Dockerfile")), result.Output);
    }

    [TestMethod]
    public async Task Inference_template_runs_healthy_on_its_CUDA_image_and_predicts()
    {
        EngineEnvironment.Require();
        var project = FromTemplate("aicontainers-inference", "TplInference");
        var tag = UniqueTag();
        var port = FreePort();
        // The app listens where ASPNETCORE_HTTP_PORTS says; on the host network the test's own port keeps it off the others'.
        var result = project.Publish(Mirror("ContainerRegistry=" + EngineEnvironment.Registry, "ContainerImageTag=" + tag, "AiHealthCheckPort=" + port));
        Assert.AreEqual(0, result.ExitCode, result.Output);
        AssertNoWarning(result, "aicontainers-inference");
        var dockerfile = File.ReadAllText(Path.Combine(project.OutputDirectory, "Dockerfile"));
        // The tag the CUDA build of ONNX Runtime chose, then the digest the lock file written by this first publish pins it to.
        StringAssert.Matches(dockerfile, new System.Text.RegularExpressions.Regex(@"# Base image: docker\.io/nvidia/cuda:13\.2\.0-cudnn-runtime-ubuntu24\.04, pinned to sha256:[0-9a-f]{64} by aicontainers\.lock\.json"),
            "the CUDA build of ONNX Runtime chose its CUDA image");

        var image = $"{EngineEnvironment.Registry}/tplinference:{tag}";
        var pull = EngineEnvironment.Docker("pull", "-q", image);
        Assert.AreEqual(0, pull.ExitCode, pull.Output);
        try
        {
            await ContainerRun.RunUntilHealthyAsync(image, new[] { "-e", $"ASPNETCORE_HTTP_PORTS={port}", "--health-interval", "1s" }, TimeSpan.FromSeconds(90), async container =>
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
                var health = JsonDocument.Parse(await http.GetStringAsync("/health")).RootElement;
                Assert.AreEqual("healthy", health.GetProperty("status").GetString());
                // The stand-in has no CUDA: the service says so and scores on the CPU instead of failing.
                Assert.AreEqual("CPU", health.GetProperty("provider").GetString(), container.Logs());

                using var predict = await http.PostAsync("/predict", new StringContent("""{"features":[[1,0,0,0],[0,0,1,1]]}""", Encoding.UTF8, "application/json"));
                var body = await predict.Content.ReadAsStringAsync();
                Assert.AreEqual(HttpStatusCode.OK, predict.StatusCode, body);
                var scores = JsonDocument.Parse(body).RootElement.GetProperty("scores").EnumerateArray().Select(s => s.GetSingle()).ToArray();
                // sigmoid(x·W + b) of the template's model (W = [1.5, -2, 0.25, 0.75], b = -0.5), as numpy computes it.
                Assert.AreEqual(2, scores.Length, body);
                Assert.AreEqual(0.7310586f, scores[0], 1e-5f, body);
                Assert.AreEqual(0.6224594f, scores[1], 1e-5f, body);

                using var wrongWidth = await http.PostAsync("/predict", new StringContent("""{"features":[[1,2]]}""", Encoding.UTF8, "application/json"));
                Assert.AreEqual(HttpStatusCode.BadRequest, wrongWidth.StatusCode);
                StringAssert.Contains(await wrongWidth.Content.ReadAsStringAsync(), "exactly 4 values");
            });
        }
        finally { EngineEnvironment.Docker("rmi", image); }
    }

    [TestMethod]
    public void Training_template_trains_in_its_image_and_writes_its_checkpoint()
    {
        EngineEnvironment.Require();
        var project = FromTemplate("aicontainers-training", "TplTraining");
        var tag = UniqueTag();
        // The stand-in CUDA base is Debian bookworm, whose python3 is 3.11; the template's 3.10 is the real ubuntu22.04 image's.
        var result = project.Publish(Mirror("ContainerRegistry=" + EngineEnvironment.Registry, "ContainerImageTag=" + tag, "AiPythonVersion=3.11"));
        Assert.AreEqual(0, result.ExitCode, result.Output);

        var image = $"{EngineEnvironment.Registry}/tpltraining:{tag}";
        var name = "aic-tpl-train-" + tag;
        try
        {
            var run = EngineEnvironment.Docker("run", "--name", name, "--network", "none", image);
            var metrics = TrainingCheckpoint.AssertWritten(name, run);
            Assert.IsTrue(metrics.GetProperty("test_accuracy").GetDouble() >= 0.9, metrics.ToString());
        }
        finally
        {
            EngineEnvironment.Docker("rm", "-f", name);
            EngineEnvironment.Docker("rmi", image);
        }
    }

    [TestMethod]
    public async Task TorchServe_template_runs_healthy_and_answers_ping()
    {
        EngineEnvironment.Require();
        var project = FromTemplate("aicontainers-torchserve", "TplTorchServe");
        var tag = UniqueTag();
        var result = project.Publish(Mirror("ContainerRegistry=" + EngineEnvironment.Registry, "ContainerImageTag=" + tag));
        Assert.AreEqual(0, result.ExitCode, result.Output);
        AssertNoWarning(result, "aicontainers-torchserve");

        var image = $"{EngineEnvironment.Registry}/tpltorchserve:{tag}";
        var pull = EngineEnvironment.Docker("pull", "-q", image);
        Assert.AreEqual(0, pull.ExitCode, pull.Output);
        try
        {
            // TorchServe's ports are fixed (8080-8082): no network but loopback, so they collide with nothing on the host.
            await ContainerRun.RunUntilHealthyAsync(image, new[] { "--network", "none", "--health-interval", "1s" }, TimeSpan.FromSeconds(90), container =>
            {
                var ping = container.Exec("/usr/local/bin/aic-healthcheck", "http://127.0.0.1:8080/ping");
                Assert.AreEqual(0, ping.ExitCode, "the inference API answers /ping: " + ping.Output);
                var models = container.Exec("/usr/local/bin/aic-healthcheck", "http://127.0.0.1:8081/models");
                Assert.AreEqual(0, models.ExitCode, "the management API answers on 8081: " + models.Output);
                return Task.CompletedTask;
            });
        }
        finally { EngineEnvironment.Docker("rmi", image); }
    }
}
