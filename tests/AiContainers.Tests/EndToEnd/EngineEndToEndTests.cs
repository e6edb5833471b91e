using System.Net;
using System.Text;
using System.Text.Json;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// `dotnet publish -p:PublishAiImage=true` against the real engine and registries that
/// build/setup.sh starts, checked with real clients (docker, skopeo, curl).
/// </summary>
[TestClass]
public sealed class EngineEndToEndTests
{
    private static string UniqueTag() => "e2e-" + Guid.NewGuid().ToString("N")[..10];

    private static SdkProject SmallApp(string name, string extraProperties = "", string items = "")
        => SdkProject.ConsoleApp(name, $"""
            <AiGpu>false</AiGpu>
            <ContainerRepository>e2e/{name.ToLowerInvariant()}</ContainerRepository>
            {extraProperties}
            """, items);

    // These tests are about the engine path: the daemonless builder (the Auto default for these projects) has its own.
    private static string[] Common(params string[] more)
        => new[] { "AiImageBuilder=Docker", "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiBuildNetwork=host" }.Concat(more).ToArray();

    [TestMethod]
    public async Task Sample_service_is_built_pushed_and_serves_its_model()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var sample = Path.Combine(TestPaths.RepoRoot, "samples", "SentimentService");
        var project = new SdkProjectAt(sample, "SentimentService");
        var result = project.Publish(Common("ContainerRegistry=" + EngineEnvironment.Registry, "ContainerImageTag=" + tag));
        Assert.AreEqual(0, result.ExitCode, result.Output);
        // The flagship sample's first run says nothing the user should act on (issue 12): its GPU package matches its CUDA image.
        Diagnostics.AssertNone(result, "warning AIC", "the sample publishes without warnings");

        var imageJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(sample, "bin", "Release", "aicontainer", "image.json"))).RootElement;
        var reference = $"{EngineEnvironment.Registry}/samples/sentiment:{tag}";
        Assert.AreEqual(reference, imageJson.GetProperty("image").GetString());
        var digest = imageJson.GetProperty("digest").GetString()!;
        StringAssert.StartsWith(digest, "sha256:");
        StringAssert.Contains(result.Output, $"AiContainers: {EngineEnvironment.Registry}/samples/sentiment tags {tag} (pushed, digest {digest})");

        // Read the pushed image back with skopeo: manifest digest and image config.
        var inspect = EngineEnvironment.Skopeo("inspect", "--tls-verify=false", "docker://" + reference);
        Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
        var manifest = JsonDocument.Parse(inspect.Output).RootElement;
        Assert.AreEqual(digest, manifest.GetProperty("Digest").GetString(), "the AiImage digest is the registry's");
        var labels = manifest.GetProperty("Labels");
        // ONNX Runtime 1.31's GPU package is built for CUDA 13 and cuDNN 9: the image is the newest CUDA 13 cuDNN runtime image.
        var cuda = labels.GetProperty("ai.containers.cuda").GetString()!;
        StringAssert.StartsWith(cuda, "13.");
        Assert.AreEqual("9", labels.GetProperty("ai.containers.cudnn").GetString());
        StringAssert.Contains(result.Output, "Microsoft.ML.OnnxRuntime.Gpu.Linux", "the summary says which package chose the CUDA version");
        // Without AiMinDriverVersion the base's own NVIDIA_REQUIRE_CUDA stays in force and no label claims another floor.
        Assert.IsFalse(labels.TryGetProperty("ai.containers.min-driver", out _), "no min-driver label unless AiMinDriverVersion is set");
        Assert.AreEqual($"docker.io/nvidia/cuda:{cuda}-cudnn-runtime-ubuntu24.04", labels.GetProperty("org.opencontainers.image.base.name").GetString());
        Assert.AreEqual("SentimentService", labels.GetProperty("org.opencontainers.image.title").GetString());

        // --raw: the engine's own config blob; skopeo's OCI conversion would drop the Docker-only Healthcheck.
        var configResult = EngineEnvironment.Skopeo("inspect", "--tls-verify=false", "--config", "--raw", "docker://" + reference);
        Assert.AreEqual(0, configResult.ExitCode, configResult.Output);
        var config = JsonDocument.Parse(configResult.Output).RootElement.GetProperty("config");
        Assert.AreEqual("1654:1654", config.GetProperty("User").GetString(), "non-root user");
        Assert.IsTrue(config.GetProperty("ExposedPorts").TryGetProperty("8080/tcp", out _));
        var env = config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
        CollectionAssert.Contains(env, "NVIDIA_VISIBLE_DEVICES=all");
        CollectionAssert.Contains(env, "NVIDIA_DRIVER_CAPABILITIES=compute,utility");
        CollectionAssert.Contains(env, "NVIDIA_REQUIRE_CUDA=cuda>=" + string.Join('.', cuda.Split('.')[..2]), "the base image's value (the stand-in's), kept as is");
        var health = config.GetProperty("Healthcheck").GetProperty("Test").EnumerateArray().Select(e => e.GetString()).ToList();
        // The probe follows the port the app really listens on (--port-from the ASP.NET variables), else the URL's.
        Assert.AreEqual("CMD", health[0]);
        Assert.AreEqual("/usr/local/bin/aic-healthcheck", health[1]);
        Assert.AreEqual("http://127.0.0.1:8080/health", health[^1]);
        CollectionAssert.Contains(health, "ASPNETCORE_HTTP_PORTS");

        // Pull it back and run it: the image's own HEALTHCHECK must reach healthy, /predict must run the model.
        var local = EngineEnvironment.Docker("rmi", reference);
        var pull = EngineEnvironment.Docker("pull", "-q", reference);
        Assert.AreEqual(0, pull.ExitCode, pull.Output);
        await ContainerRun.RunUntilHealthyAsync(reference, new[] { "--network", "host", "--health-interval", "2s" }, TimeSpan.FromSeconds(90), async _ =>
        {
            using var http = new HttpClient();
            // The GPU package is in the image; without a GPU (the stand-in base has no CUDA either) the model runs on the CPU.
            var healthBody = JsonDocument.Parse(await http.GetStringAsync("http://127.0.0.1:8080/health")).RootElement;
            Assert.AreEqual("CPU", healthBody.GetProperty("provider").GetString());
            var body = new StringContent("""{"features":[[1,0,0,0],[0,0,1,1]]}""", Encoding.UTF8, "application/json");
            var response = await http.PostAsync("http://127.0.0.1:8080/predict", body);
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
            var scores = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToList();

            // The expected scores come from numpy over the same weights the model was written with.
            var expected = ProcessRunner.Run("/usr/bin/python3", new[] { Path.Combine(sample, "model", "expected.py") });
            Assert.AreEqual(0, expected.ExitCode, expected.Output);
            var expectedScores = JsonDocument.Parse(expected.Output).RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToList();
            Assert.AreEqual(expectedScores.Count, scores.Count);
            for (int i = 0; i < scores.Count; i++) Assert.AreEqual(expectedScores[i], scores[i], 1e-5);
        });
    }

    [TestMethod]
    public void Without_a_registry_the_image_stays_in_the_local_engine()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var project = SmallApp("LocalOnly");
        // -getItem prints the AiImage output item as JSON, as a CI step would read it.
        var result = project.Publish(Common("ContainerImageTags=" + tag + "%3Bstable-" + tag), extraArguments: new[] { "-getItem:AiImage" });
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var json = result.Output[result.Output.IndexOf('{')..(result.Output.LastIndexOf('}') + 1)];
        var item = JsonDocument.Parse(json).RootElement.GetProperty("Items").GetProperty("AiImage")[0];
        Assert.AreEqual($"e2e/localonly:{tag}", item.GetProperty("Identity").GetString());
        Assert.AreEqual($"{tag};stable-{tag}", item.GetProperty("Tags").GetString());
        Assert.AreEqual("false", item.GetProperty("Pushed").GetString());
        Assert.AreEqual("", item.GetProperty("Digest").GetString(), "no registry, no manifest digest");
        StringAssert.StartsWith(item.GetProperty("ImageId").GetString(), "sha256:");
        Assert.IsTrue(long.Parse(item.GetProperty("Size").GetString()!) > 10_000_000);
        foreach (var t in new[] { tag, "stable-" + tag })
        {
            var inspect = EngineEnvironment.Docker("image", "inspect", "--format", "{{.Config.User}}", $"e2e/localonly:{t}");
            Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
            Assert.AreEqual("1654:1654", inspect.Output.Trim());
        }
        var run = EngineEnvironment.Docker("run", "--rm", "--network", "host", $"e2e/localonly:{tag}", "a", "b");
        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "hello from a b");
        EngineEnvironment.Docker("rmi", $"e2e/localonly:{tag}", $"e2e/localonly:stable-{tag}");
    }

    [TestMethod]
    public void Framework_dependent_app_runs_on_the_runtime_copied_from_the_official_image()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var project = SmallApp("FrameworkDependent", "<SelfContained>false</SelfContained>");
        var result = project.Publish(Common("ContainerImageTag=" + tag));
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "FROM 127.0.0.1:5000/standin/mcr.microsoft.com/dotnet/runtime:10.0 AS dotnet-runtime");
        Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "app", "libcoreclr.so")), "framework-dependent: no runtime in the app folder");
        var run = EngineEnvironment.Docker("run", "--rm", "--network", "host", $"e2e/frameworkdependent:{tag}", "fd");
        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "hello from fd");
        EngineEnvironment.Docker("rmi", $"e2e/frameworkdependent:{tag}");
    }

    [TestMethod]
    public void A_failing_run_step_fails_the_publish_with_its_output_and_leaves_no_tag()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var project = SmallApp("FailingStep", items: """<AiRunCommand Include="echo boom-from-step-as-$HOME &amp;&amp; exit 3" />""");
        var result = project.Publish(Common("ContainerImageTag=" + tag));
        var failure = Diagnostics.AssertSingleError(result, "AIC3002");
        StringAssert.StartsWith(failure.Text, "docker build failed at Step");
        StringAssert.Contains(failure.Text, "RUN echo boom-from-step-as-$HOME");
        StringAssert.Contains(failure.Text, "returned a non-zero code: 3");
        StringAssert.Contains(failure.Text, "\nboom-from-step-as-/root", "the step's own output is in the error");
        var inspect = EngineEnvironment.Docker("image", "inspect", $"e2e/failingstep:{tag}");
        Assert.AreNotEqual(0, inspect.ExitCode, "a failed build must not leave a tag");
    }

    [TestMethod]
    public void An_unreachable_engine_fails_fast_with_a_coded_error()
    {
        var project = SmallApp("NoEngine");
        var socket = Path.Combine(Path.GetTempPath(), "aic-no-engine-" + Guid.NewGuid().ToString("N")[..6] + ".sock");
        var result = project.Publish(Common(), new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix://" + socket });
        var failure = Diagnostics.AssertSingleError(result, "AIC3101", "AiImageBuilder");
        StringAssert.StartsWith(failure.Text, $"The Docker engine socket {socket} (from DOCKER_HOST) does not exist");
        StringAssert.Contains(failure.Text, "set AiImageBuilder to None");
    }

    [TestMethod]
    public void Authenticated_registry_refuses_anonymous_pushes_and_accepts_docker_config_credentials()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var project = SmallApp("AuthPush");
        var registry = EngineEnvironment.AuthRegistry;
        var password = EngineEnvironment.AuthPassword;
        var emptyConfig = TestPaths.NewTempDirectory("docker-config-empty");

        var anonymous = project.Publish(Common("ContainerRegistry=" + registry, "ContainerImageTag=" + tag), new Dictionary<string, string?> { ["DOCKER_CONFIG"] = emptyConfig });
        StringAssert.StartsWith(Diagnostics.AssertSingleError(anonymous, "AIC4100").Text, $"Registry {registry} requires a login for {registry}/e2e/authpush:{tag}, and no credentials for it were found");

        var config = TestPaths.NewTempDirectory("docker-config");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{EngineEnvironment.AuthUser}:{password}"));
        File.WriteAllText(Path.Combine(config, "config.json"), $$"""{ "auths": { "{{registry}}": { "auth": "{{auth}}" } } }""");
        var withLogin = project.Publish(Common("ContainerRegistry=" + registry, "ContainerImageTag=" + tag), new Dictionary<string, string?> { ["DOCKER_CONFIG"] = config });
        Assert.AreEqual(0, withLogin.ExitCode, withLogin.Output);
        StringAssert.Contains(withLogin.Output, "(pushed, digest sha256:");
        Assert.IsFalse(withLogin.Output.Contains(password), "the registry password must never reach the log");
        Assert.IsFalse(withLogin.Output.Contains(auth), "nor its base64 form");
        foreach (var file in Directory.EnumerateFiles(project.OutputDirectory, "*", SearchOption.AllDirectories))
            Assert.IsFalse(File.ReadAllText(file).Contains(password), $"{file} holds the password");

        var inspect = EngineEnvironment.Skopeo("inspect", "--tls-verify=false", "--creds", $"{EngineEnvironment.AuthUser}:{password}", $"docker://{registry}/e2e/authpush:{tag}");
        Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
    }

    [TestMethod]
    public void Sdk_environment_credentials_push_to_the_authenticated_registry()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var project = SmallApp("EnvCredsPush");
        var password = EngineEnvironment.AuthPassword;
        var result = project.Publish(Common("ContainerRegistry=" + EngineEnvironment.AuthRegistry, "ContainerImageTag=" + tag), new Dictionary<string, string?>
        {
            ["DOCKER_CONFIG"] = TestPaths.NewTempDirectory("docker-config-none"),
            ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = EngineEnvironment.AuthUser,
            ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = password,
        });
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "DOTNET_CONTAINER_PUSH_REGISTRY_UNAME/PWORD");
        Assert.IsFalse(result.Output.Contains(password), "the password must never reach the log");
    }

    [TestMethod]
    public void Transient_registry_errors_are_retried_and_401_is_not()
    {
        EngineEnvironment.Require();
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        var project = SmallApp("RetryPush");
        var tag = UniqueTag();
        proxy.FailNext(2, HttpStatusCode.ServiceUnavailable, r => r.HttpMethod == "PUT" && r.RawUrl!.Contains("/manifests/"));
        var result = project.Publish(Common("ContainerRegistry=" + proxy.HostPort, "ContainerImageTag=" + tag));
        Assert.AreEqual(0, result.ExitCode, result.Output);
        Assert.AreEqual(2, proxy.FaultsInjected);
        StringAssert.Contains(result.Output, "); retrying");
        StringAssert.Contains(result.Output, "(pushed, digest sha256:");

        proxy.FailNext(1, HttpStatusCode.Forbidden, r => r.HttpMethod == "PUT" && r.RawUrl!.Contains("/manifests/"));
        var denied = project.Publish(Common("ContainerRegistry=" + proxy.HostPort, "ContainerImageTag=" + UniqueTag()));
        Assert.AreNotEqual(0, denied.ExitCode, denied.Output);
        Assert.AreEqual(3, proxy.FaultsInjected);
        Assert.IsFalse(denied.Output.Contains("); retrying"), "a 403 is never retried");
        Assert.IsTrue(Diagnostics.Parse(denied.Output).Any(d => d.IsError && d.Code is "AIC4001" or "AIC4002"), "a refused push is AIC4001 or AIC4002:\n" + denied.Output);
    }
}

/// <summary>An existing project folder (the samples) published the same way as a temp project.</summary>
internal sealed class SdkProjectAt
{
    private readonly SdkProject _inner;
    public SdkProjectAt(string directory, string name) => _inner = SdkProject.Existing(directory, name);
    public ProcessResult Publish(IEnumerable<string>? properties = null, IReadOnlyDictionary<string, string?>? environment = null) => _inner.Publish(properties, environment);
}
