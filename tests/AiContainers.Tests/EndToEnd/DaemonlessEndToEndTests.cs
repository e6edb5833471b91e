using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// The daemonless builder end to end, as a user meets it: a self-contained ASP.NET Core app on the CUDA stand-in,
/// published with the packed SDK and the default builder (Auto, which picks Daemonless: nothing needs RUN), then read
/// and run by clients that are not ours: the Docker engine (pull, run, its own HEALTHCHECK), podman (pull, run, load),
/// skopeo (inspect --raw, copy to an oci: layout, copy from the archive). Also: a code-only change pushes one layer,
/// two clones give the same digests, token auth, and a registry that fails (fault proxy) never gets a half-pushed tag.
/// One publish of the shared project (<see cref="Base"/>) serves most tests, so the class stays within a few minutes.
/// </summary>
[TestClass]
public sealed class DaemonlessEndToEndTests
{
    private const string ProjectName = "DaemonlessWeb";
    /// <summary>Fixed, so every publish here (and both clones of the reproducibility test) stamps the same times.</summary>
    private const string SourceDateEpoch = "1700000000";
    /// <summary>The CUDA stand-in the project asks for (AiCudaVersion 12.4, runtime flavor), reached through the mirror.</summary>
    private const string CudaBase = "nvidia/cuda:12.4.1-runtime-ubuntu22.04";

    /// <summary>
    /// Containers run with network host (the engine here has no bridge), where 8080 is taken by other tests' containers:
    /// this class's app listens on a port of its own (ContainerPort becomes ASPNETCORE_HTTP_PORTS and the probe URL).
    /// </summary>
    private static readonly int Port = 20000 + RandomNumberGenerator.GetInt32(20000);
    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];
    private static readonly string LayerCache = TestPaths.NewTempDirectory("daemonless-layer-cache");
    private static readonly Lazy<BasePublish> Shared = new(PublishBase);

    private readonly List<string> _dockerImages = new();
    private readonly List<string> _podmanImages = new();

    [TestCleanup]
    public void Cleanup()
    {
        foreach (var image in _dockerImages) EngineEnvironment.Docker("rmi", "-f", image);
        foreach (var image in _podmanImages) Podman("rmi", "-f", image);
    }

    /// <summary>The shared project and what its first publish (default builder, open registry) produced.</summary>
    private sealed record BasePublish(SdkProject Project, string Repository, string Tag, ProcessResult Result, ImageJson Image, IReadOnlyDictionary<string, byte[]> AppFiles, string Sbom)
    {
        public string Reference => $"{EngineEnvironment.Registry}/{Repository}:{Tag}";
    }

    private sealed record ImageLayer(string Description, string Digest, long Size, bool New);

    /// <summary>image.json as the publish wrote it beside the Dockerfile.</summary>
    private sealed record ImageJson(string Image, string Builder, string? Digest, string? ImageId, bool Pushed, string? Archive, IReadOnlyList<ImageLayer> Layers)
    {
        public static ImageJson Read(SdkProject project)
        {
            var path = Path.Combine(project.OutputDirectory, "image.json");
            Assert.IsTrue(File.Exists(path), $"{path} is written by a publish that landed");
            var root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            return new ImageJson(root.GetProperty("image").GetString()!, root.GetProperty("builder").GetString()!, root.GetProperty("digest").GetString(),
                root.GetProperty("imageId").GetString(), root.GetProperty("pushed").GetBoolean(), root.GetProperty("archive").GetString(),
                root.GetProperty("layers").EnumerateArray().Select(l => new ImageLayer(l.GetProperty("description").GetString()!, l.GetProperty("digest").GetString()!,
                    l.GetProperty("size").GetInt64(), l.GetProperty("new").GetBoolean())).ToList());
        }
    }

    private static string ProgramText(string version) => $$"""
        var app = WebApplication.CreateBuilder(args).Build();
        // The image's HEALTHCHECK probes this route (AiHealthCheckPath).
        app.MapGet("/health", () => "ok");
        app.MapGet("/", () => "{{version}}");
        app.Run();
        """;

    /// <summary>A self-contained web app (the SDK's default for image publishes) on the CUDA stand-in, with a real /health route.</summary>
    private static SdkProject WebApp(string repository)
    {
        var project = new SdkProject(ProjectName);
        project.Write(ProjectName + ".csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <Sdk Name="AiContainers.Sdk" Version="0.1.0" />
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <InvariantGlobalization>true</InvariantGlobalization>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <AiCudaVersion>12.4</AiCudaVersion>
                <ContainerRepository>{repository}</ContainerRepository>
                <AiHealthCheckPath>/health</AiHealthCheckPath>
              </PropertyGroup>
              <ItemGroup>
                <ContainerPort Include="{Port}" />
                <!-- Needs RUN: for the AiImageBuilder=Daemonless refusal only. -->
                <AiSystemPackages Include="libgomp1" Condition="'$(WithAptPackage)' == 'true'" />
              </ItemGroup>
            </Project>
            """);
        project.Write("Program.cs", ProgramText("version 1"));
        return project;
    }

    private static Dictionary<string, string?> Environment(Dictionary<string, string?>? more = null)
    {
        var environment = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = SourceDateEpoch };
        if (more is not null) foreach (var (k, v) in more) environment[k] = v;
        return environment;
    }

    /// <summary>Properties every publish here takes: the stand-in mirror and this class's layer cache (unless one is given).</summary>
    private static string[] Properties(string? cache, params string[] more)
        => new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiLayerCacheDirectory=" + (cache ?? LayerCache) }.Concat(more).ToArray();

    private static BasePublish PublishBase()
    {
        var repository = "aic-tests/daemonless-" + Run;
        var project = WebApp(repository);
        var tag = "v1-" + Run;
        var result = project.Publish(Properties(null, "ContainerRegistry=" + EngineEnvironment.Registry, "ContainerImageTag=" + tag), Environment());
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var appFolder = Path.Combine(project.OutputDirectory, "app");
        var files = Directory.EnumerateFiles(appFolder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(appFolder, f), File.ReadAllBytes, StringComparer.Ordinal);
        return new BasePublish(project, repository, tag, result, ImageJson.Read(project), files, File.ReadAllText(Path.Combine(project.OutputDirectory, "sbom.cdx.json")));
    }

    private static BasePublish Base
    {
        get
        {
            EngineEnvironment.Require();
            return Shared.Value;
        }
    }

    private static ProcessResult Podman(params string[] args) => ProcessRunner.Run("podman", args, timeout: TimeSpan.FromMinutes(3));

    /// <summary>podman here: explicit nofile/nproc limits (its defaults exceed what this sandbox lets runc set), and
    /// no healthcheck timer (podman registers it with systemd, which is absent); the image's probe is run with exec instead.</summary>
    private static readonly string[] PodmanRunOptions = { "--network", "host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--no-healthcheck" };

    private static void RequirePodman()
    {
        var version = ProcessRunner.Run("podman", new[] { "--version" });
        if (version.ExitCode != 0) EngineEnvironment.Unavailable("podman is not installed (apt-get install -y podman): " + version);
    }

    private static async Task<string> GetAsync(string path, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try { return await http.GetStringAsync($"http://127.0.0.1:{Port}{path}"); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline) { await Task.Delay(250); }
        }
    }

    private static JsonElement SkopeoJson(params string[] args)
    {
        var result = EngineEnvironment.Skopeo(args);
        Assert.AreEqual(0, result.ExitCode, $"skopeo {string.Join(' ', args)}:\n{result}");
        return JsonDocument.Parse(result.StandardOutput).RootElement;
    }

    /// <summary>HEAD on the registry itself (never through a proxy): is the tag there?</summary>
    private static HttpStatusCode TagStatus(string repository, string tag)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Head, $"http://{EngineEnvironment.Registry}/v2/{repository}/manifests/{tag}");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        return http.Send(request).StatusCode;
    }

    [TestMethod]
    public async Task Default_builder_is_daemonless_and_docker_podman_and_skopeo_read_and_run_its_image()
    {
        var published = Base;
        var reference = published.Reference;
        StringAssert.Contains(published.Result.Output, "by the Daemonless builder (Auto: no step needs RUN)", "the summary says which builder ran and why");
        Assert.AreEqual("Daemonless", published.Image.Builder);
        Assert.AreEqual(reference, published.Image.Image);
        Assert.IsTrue(published.Image.Pushed);
        var digest = published.Image.Digest!;
        StringAssert.StartsWith(digest, "sha256:");
        StringAssert.Contains(published.Result.Output, $"(pushed, digest {digest})");
        CollectionAssert.AreEqual(new[] { "user home", "health probe", ".NET runtime", "app" }, published.Image.Layers.Select(l => l.Description).ToList(),
            "most stable first; a web app without packages has no NuGet layer");

        // skopeo --raw: the registry's manifest bytes; their sha256 is the digest the publish reported.
        var raw = EngineEnvironment.Skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + reference);
        Assert.AreEqual(0, raw.ExitCode, raw.ToString());
        Assert.AreEqual(digest, "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(raw.StandardOutput))).ToLowerInvariant());
        var manifest = JsonDocument.Parse(raw.StandardOutput).RootElement;
        Assert.AreEqual("application/vnd.docker.distribution.manifest.v2+json", manifest.GetProperty("mediaType").GetString());
        Assert.AreEqual("application/vnd.docker.container.image.v1+json", manifest.GetProperty("config").GetProperty("mediaType").GetString());
        var layers = manifest.GetProperty("layers").EnumerateArray().ToList();
        var baseLayers = SkopeoJson("inspect", "--tls-verify=false", $"docker://{EngineEnvironment.MirrorPrefix}/{CudaBase}").GetProperty("Layers").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.AreEqual(baseLayers.Count + published.Image.Layers.Count, layers.Count, raw.StandardOutput);
        CollectionAssert.AreEqual(baseLayers.Concat(published.Image.Layers.Select(l => l.Digest)).ToList(), layers.Select(l => l.GetProperty("digest").GetString()).ToList(),
            "the base's layers, then ours in image.json's order");
        foreach (var layer in layers) Assert.AreEqual("application/vnd.docker.image.rootfs.diff.tar.gzip", layer.GetProperty("mediaType").GetString());

        // --config --raw: the config blob as pushed (skopeo's OCI conversion would drop the Docker-only Healthcheck).
        var config = SkopeoJson("inspect", "--config", "--raw", "--tls-verify=false", "docker://" + reference).GetProperty("config");
        Assert.AreEqual("1654:1654", config.GetProperty("User").GetString());
        var env = config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
        CollectionAssert.Contains(env, "HOME=/home/app", "the numeric user's home comes from a layer and the config, no /etc/passwd edit");
        CollectionAssert.Contains(env, $"ASPNETCORE_HTTP_PORTS={Port}");
        var healthcheck = config.GetProperty("Healthcheck").GetProperty("Test").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.AreEqual("CMD", healthcheck[0], string.Join(' ', healthcheck));
        Assert.AreEqual("/usr/local/bin/aic-healthcheck", healthcheck[1], "the static probe from its own layer");
        Assert.AreEqual($"http://127.0.0.1:{Port}/health", healthcheck[^1], "probes the app's port and AiHealthCheckPath");
        Assert.AreEqual("docker.io/" + CudaBase, config.GetProperty("Labels").GetProperty("org.opencontainers.image.base.name").GetString());

        // skopeo copy to an OCI layout: every blob is read back and verified against its digest.
        var layout = Path.Combine(TestPaths.NewTempDirectory("daemonless-oci"), "layout");
        var copy = EngineEnvironment.Skopeo("copy", "--src-tls-verify=false", "docker://" + reference, "oci:" + layout + ":copied");
        Assert.AreEqual(0, copy.ExitCode, copy.ToString());
        var copied = SkopeoJson("inspect", "--raw", "oci:" + layout + ":copied");
        Assert.AreEqual(layers.Count, copied.GetProperty("layers").GetArrayLength());

        // Docker: pull (nothing local), run, and the image's own HEALTHCHECK (its probe and URL; only the interval shortened) says healthy.
        EngineEnvironment.Docker("rmi", "-f", reference);
        _dockerImages.Add(reference);
        var pull = EngineEnvironment.Docker("pull", "-q", reference);
        Assert.AreEqual(0, pull.ExitCode, pull.ToString());
        await ContainerRun.RunUntilHealthyAsync(reference, new[] { "--health-interval", "1s" }, TimeSpan.FromSeconds(60), async run =>
        {
            Assert.AreEqual("version 1", await GetAsync("/", TimeSpan.FromSeconds(10)));
            Assert.AreEqual("1654", run.Exec("id", "-u").StandardOutput.Trim(), "runs as the numeric user");
            Assert.AreEqual("/home/app", run.Exec("sh", "-c", "echo $HOME && test -w $HOME").StandardOutput.Trim(), "the home exists and is the user's");
        });

        // podman: pull over plain HTTP, run, answer /health, and the image's own probe passes inside it.
        RequirePodman();
        _podmanImages.Add(reference);
        var podmanPull = Podman("pull", "-q", "--tls-verify=false", reference);
        Assert.AreEqual(0, podmanPull.ExitCode, podmanPull.ToString());
        var name = "aic-test-podman-" + Run;
        var started = Podman(new[] { "run", "-d", "--name", name }.Concat(PodmanRunOptions).Append(reference).ToArray());
        try
        {
            Assert.AreEqual(0, started.ExitCode, started.ToString());
            Assert.AreEqual("ok", await GetAsync("/health", TimeSpan.FromSeconds(30)), Podman("logs", name).Output);
            var probe = Podman(new[] { "exec", name }.Concat(healthcheck.Skip(1)).ToArray());
            Assert.AreEqual(0, probe.ExitCode, "the image's HEALTHCHECK command under podman: " + probe);
            var health = Podman("image", "inspect", "--format", "{{json .HealthCheck.Test}}", reference);
            StringAssert.Contains(health.StandardOutput, "aic-healthcheck", "podman reads the Docker-format Healthcheck: " + health);
        }
        finally
        {
            Podman("rm", "-f", name);
        }
    }

    [TestMethod]
    public async Task A_code_only_change_pushes_exactly_one_new_layer_of_the_apps_own_size_through_two_5xx_answers()
    {
        var published = Base;
        var project = published.Project;
        var tag = "v2-" + Run;
        // The proxy sees every request, so the uploads it forwards are what the publish sent. It also answers the first two
        // blob upload requests with 503 (here rather than in a publish of its own, to keep the class short): retried, the publish lands.
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        proxy.FailNext(2, HttpStatusCode.ServiceUnavailable, r => r.HttpMethod is "PATCH" or "PUT" && r.RawUrl!.Contains("/blobs/uploads/"));
        project.Write("Program.cs", ProgramText("version 2"));
        try
        {
            var result = project.Publish(Properties(null, "ContainerRegistry=" + proxy.HostPort, "ContainerImageTag=" + tag), Environment());
            Assert.AreEqual(0, result.ExitCode, result.Output);
            Assert.AreEqual(2, proxy.FaultsInjected, "both 503 answers were sent, and retried");
            var second = ImageJson.Read(project);
            var appLayer = second.Layers.Single(l => l.New);
            Assert.AreEqual("app", appLayer.Description, "only the project's own files are new:\n" + result.Output);
            CollectionAssert.AreEqual(published.Image.Layers.Where(l => l.Description != "app").Select(l => l.Digest).ToList(),
                second.Layers.Where(l => l.Description != "app").Select(l => l.Digest).ToList(), "the other layers are unchanged");
            Assert.AreNotEqual(published.Image.Layers.Single(l => l.Description == "app").Digest, appLayer.Digest);
            StringAssert.Contains(result.Output, $"{second.Layers.Count} layers (1 new,");

            // Bytes sent, by the digests of the uploads the proxy saw end (PUT ...?digest=, sent again after a 503) up to the tag's
            // manifest: the app layer and the config, nothing else. After the tag, only the SBOM goes up, as a referrer of the image.
            var requests = proxy.Requests.ToList();
            var tagPut = requests.FindIndex(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/manifests/" + tag));
            Assert.IsTrue(tagPut > 0, string.Join("\n", requests));
            static List<string> Uploads(IEnumerable<string> rs) => rs.Where(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/blobs/uploads/"))
                .Select(r => Uri.UnescapeDataString(r[(r.IndexOf("digest=", StringComparison.Ordinal) + 7)..].Split('&')[0])).Distinct().ToList();
            var uploaded = Uploads(requests.Take(tagPut + 1));
            Assert.AreEqual(2, uploaded.Count, "the app layer and the config:\n" + string.Join("\n", requests));
            var sbomDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(project.OutputDirectory, "sbom.cdx.json"))));
            CollectionAssert.AreEqual(new[] { sbomDigest }, Uploads(requests.Skip(tagPut + 1)), "after the tag, the SBOM alone:\n" + string.Join("\n", requests));
            CollectionAssert.Contains(uploaded, appLayer.Digest);
            var config = SkopeoJson("inspect", "--raw", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/{published.Repository}:{tag}").GetProperty("config");
            CollectionAssert.Contains(uploaded, config.GetProperty("digest").GetString());
            var sent = appLayer.Size + config.GetProperty("size").GetInt64();
            var ownFiles = Directory.EnumerateFiles(Path.Combine(project.OutputDirectory, "app"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Assert.IsTrue(sent <= ownFiles + (1 << 20), $"sent {sent} bytes; the app's own files are {ownFiles} bytes");
            Assert.AreEqual(1, requests.Take(tagPut + 1).Count(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/manifests/")), "one manifest PUT for one tag");
            Assert.AreEqual(HttpStatusCode.OK, TagStatus(published.Repository, tag));
            Assert.AreEqual(second.Digest, SkopeoJson("inspect", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/{published.Repository}:{tag}").GetProperty("Digest").GetString());

            // The new image runs the new code (docker pulls only the one new layer).
            var reference = $"{EngineEnvironment.Registry}/{published.Repository}:{tag}";
            _dockerImages.Add(reference);
            var pull = EngineEnvironment.Docker("pull", reference);
            Assert.AreEqual(0, pull.ExitCode, pull.ToString());
            await ContainerRun.RunUntilHealthyAsync(reference, new[] { "--health-interval", "1s" }, TimeSpan.FromSeconds(60),
                async _ => Assert.AreEqual("version 2", await GetAsync("/", TimeSpan.FromSeconds(10))));
        }
        finally
        {
            project.Write("Program.cs", ProgramText("version 1"));
        }
    }

    [TestMethod]
    public async Task Archive_without_a_registry_loads_in_docker_and_podman_and_skopeo_copies_it()
    {
        var project = Base.Project;
        var folder = TestPaths.NewTempDirectory("daemonless-archive");
        var archive = Path.Combine(folder, "app.tar.gz");
        var tag = "archive-" + Run;
        var result = project.Publish(Properties(null, "ContainerArchiveOutputPath=" + archive, "ContainerImageTag=" + tag), Environment());
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var image = ImageJson.Read(project);
        Assert.AreEqual(archive, image.Archive);
        Assert.IsFalse(image.Pushed);
        Assert.IsTrue(File.Exists(archive));
        Assert.IsFalse(File.Exists(archive + ".partial"), "the archive is written under a temporary name, then moved");
        var name = $"{Base.Repository}:{tag}";

        _dockerImages.Add(name);
        var load = EngineEnvironment.Docker("load", "-i", archive);
        Assert.AreEqual(0, load.ExitCode, load.ToString());
        StringAssert.Contains(load.Output, name);
        await ContainerRun.RunUntilHealthyAsync(name, new[] { "--health-interval", "1s" }, TimeSpan.FromSeconds(60),
            async _ => Assert.AreEqual("ok", await GetAsync("/health", TimeSpan.FromSeconds(10))));

        RequirePodman();
        _podmanImages.Add("localhost/" + name);
        var podmanLoad = Podman("load", "-i", archive);
        Assert.AreEqual(0, podmanLoad.ExitCode, podmanLoad.ToString());
        StringAssert.Contains(podmanLoad.Output, name);

        var layout = Path.Combine(folder, "oci");
        var copy = EngineEnvironment.Skopeo("copy", "docker-archive:" + archive, "oci:" + layout + ":from-archive");
        Assert.AreEqual(0, copy.ExitCode, copy.ToString());
        var config = SkopeoJson("inspect", "--config", "--raw", "oci:" + layout + ":from-archive");
        Assert.AreEqual(Base.Image.Layers.Count + SkopeoJson("inspect", "--tls-verify=false", $"docker://{EngineEnvironment.MirrorPrefix}/{CudaBase}").GetProperty("Layers").GetArrayLength(),
            config.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength());
    }

    [TestMethod]
    public void Without_a_registry_or_an_archive_the_image_is_loaded_into_the_engine()
    {
        var project = Base.Project;
        var tag = "local-" + Run;
        var result = project.Publish(Properties(null, "ContainerImageTag=" + tag), Environment());
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var image = ImageJson.Read(project);
        Assert.AreEqual("Daemonless", image.Builder);
        Assert.IsFalse(image.Pushed);
        Assert.IsNull(image.Digest, "no registry, no manifest digest");
        var name = $"{Base.Repository}:{tag}";
        _dockerImages.Add(name);
        StringAssert.Contains(result.Output, "(local engine only, id " + image.ImageId + ")");
        var inspect = EngineEnvironment.Docker("image", "inspect", "--format", "{{.Id}} {{.Config.User}}", name);
        Assert.AreEqual(0, inspect.ExitCode, inspect.ToString());
        Assert.AreEqual($"{image.ImageId} 1654:1654", inspect.StandardOutput.Trim(), "the engine keeps our config: its image id is the config's digest");
    }

    [TestMethod]
    public void Two_clones_with_separate_caches_publish_byte_identical_images()
    {
        var first = Base;
        // A second copy of the same project in another folder, with its own empty layer cache, to another repository.
        var clone = WebApp(first.Repository);
        Assert.AreNotEqual(first.Project.Directory, clone.Directory);
        var repository = first.Repository + "-clone";
        var result = clone.Publish(Properties(TestPaths.NewTempDirectory("daemonless-clone-cache"),
            "ContainerRegistry=" + EngineEnvironment.Registry, "ContainerRepository=" + repository, "ContainerImageTag=" + first.Tag), Environment());
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var second = ImageJson.Read(clone);

        // The app's own files first: the compiler embeds the project folder unless PathMap says otherwise (the SDK's props do).
        var appFolder = Path.Combine(clone.OutputDirectory, "app");
        var files = Directory.EnumerateFiles(appFolder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(appFolder, f), File.ReadAllBytes, StringComparer.Ordinal);
        CollectionAssert.AreEquivalent(first.AppFiles.Keys.ToList(), files.Keys.ToList());
        var different = files.Where(f => !f.Value.AsSpan().SequenceEqual(first.AppFiles[f.Key])).Select(f => f.Key).ToList();
        Assert.AreEqual(0, different.Count, "app files that differ between the clones: " + string.Join(", ", different));

        CollectionAssert.AreEqual(first.Image.Layers.Select(l => $"{l.Description} {l.Digest}").ToList(), second.Layers.Select(l => $"{l.Description} {l.Digest}").ToList());
        Assert.AreEqual(first.Image.Digest, second.Digest, "the same manifest digest from two folders, two caches, two repositories");
        var a = EngineEnvironment.Skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + first.Reference);
        var b = EngineEnvironment.Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/{repository}:{first.Tag}");
        Assert.AreEqual(a.StandardOutput, b.StandardOutput, "the registry holds byte-identical manifests");

        // The same manifest means the same config, so the same provenance labels; the SBOMs say the same too, apart from
        // the image's own name (another repository here) and the serial number, which is derived from the content.
        static string Comparable(string sbom, string repository)
            => System.Text.RegularExpressions.Regex.Replace(sbom.Replace(repository, "<repository>", StringComparison.Ordinal).Replace("pkg:oci/" + repository.Split('/')[^1] + "@", "pkg:oci/<name>@", StringComparison.Ordinal), "\"serialNumber\": \"[^\"]+\"", "\"serialNumber\": \"<serial>\"");
        var cloneSbom = File.ReadAllText(Path.Combine(clone.OutputDirectory, "sbom.cdx.json"));
        Assert.AreEqual(Comparable(first.Sbom, first.Repository), Comparable(cloneSbom, repository));
        StringAssert.Contains(cloneSbom, "\"timestamp\": \"2023-11-14T22:13:20Z\"", "the SBOM's time is SOURCE_DATE_EPOCH's");
        var labels = SkopeoJson("inspect", "--config", "--raw", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/{repository}:{first.Tag}").GetProperty("config").GetProperty("Labels");
        Assert.AreEqual("AiContainers 0.1.0 Daemonless", labels.GetProperty("ai.containers.builder").GetString());
        Assert.AreEqual("2023-11-14T22:13:20Z", labels.GetProperty("org.opencontainers.image.created").GetString());
    }

    [TestMethod]
    public async Task Token_auth_registry_takes_the_push_with_never_logged_credentials_and_serves_the_pull()
    {
        var published = Base;
        using var registry = new TokenAuthRegistry();
        var user = "pusher";
        var password = "pw-" + Guid.NewGuid().ToString("N");
        registry.AddUser(user, password, ("*", "pull,push"));
        var repository = "aic-tests/daemonless-token-" + Run;
        var tag = "token-" + Run;
        var result = published.Project.Publish(Properties(null, "ContainerRegistry=" + registry.HostPort, "ContainerRepository=" + repository, "ContainerImageTag=" + tag),
            Environment(more: new()
            {
                ["DOCKER_CONFIG"] = TestPaths.NewTempDirectory("docker-config-empty"),
                ["AICONTAINERS_REGISTRY_USER"] = user,
                ["AICONTAINERS_REGISTRY_PASSWORD"] = password,
            }));
        Assert.AreEqual(0, result.ExitCode, result.Output + "\n--- registry log ---\n" + registry.Log);
        Assert.IsFalse(result.Output.Contains(password), "the password never reaches the log");
        foreach (var file in Directory.EnumerateFiles(published.Project.OutputDirectory, "*", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length < 1 << 20))
            Assert.IsFalse(File.ReadAllText(file).Contains(password), $"{file} holds the password");
        Assert.IsTrue(registry.Requests.Any(r => r.User == user && r.Granted.Any(g => g.StartsWith($"repository:{repository}:", StringComparison.Ordinal) && g.Contains("push"))),
            "the push ran on a token granted to the user for the repository: " + string.Join("; ", registry.Requests.Select(r => $"{r.User}: {string.Join(' ', r.Scopes)}")));
        var image = ImageJson.Read(published.Project);
        // The same layers, whatever registry they land in: all but the app's, which another test of this class changes.
        // (Not the same manifest: the first publish wrote aicontainers.lock.json after it ran, so this one's config
        // carries the ai.containers.lock.digest label.)
        CollectionAssert.AreEqual(published.Image.Layers.Where(l => l.Description != "app").Select(l => l.Digest).ToList(),
            image.Layers.Where(l => l.Description != "app").Select(l => l.Digest).ToList(), "the same layers, whatever registry they land in");

        // The engine pulls it with the same login (the daemon does the token exchange) and runs it healthy.
        var config = TestPaths.NewTempDirectory("docker-config-token");
        File.WriteAllText(Path.Combine(config, "config.json"),
            $$"""{ "auths": { "{{registry.HostPort}}": { "auth": "{{Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password))}}" } } }""");
        var reference = $"{registry.HostPort}/{repository}:{tag}";
        _dockerImages.Add(reference);
        var pull = EngineEnvironment.Docker("--config", config, "pull", "-q", reference);
        Assert.AreEqual(0, pull.ExitCode, pull.ToString());
        await ContainerRun.RunUntilHealthyAsync(reference, new[] { "--health-interval", "1s" }, TimeSpan.FromSeconds(60),
            async _ => Assert.AreEqual("ok", await GetAsync("/health", TimeSpan.FromSeconds(10))));
    }

    [TestMethod]
    public void A_blob_upload_cut_every_time_fails_coded_and_tags_nothing()
    {
        var published = Base;
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        // Every blob upload is cut mid-body (in the PATCH, or in the PUT that carries a small blob): part of it is read,
        // then the connection is reset.
        proxy.RespondNext(int.MaxValue, r => r.HttpMethod is "PATCH" or "PUT" && r.RawUrl!.Contains("/blobs/uploads/"), async context =>
        {
            await context.Request.InputStream.ReadAtLeastAsync(new byte[64 * 1024], 64 * 1024, throwOnEndOfStream: false);
            context.Response.Abort();
        });
        var repository = "aic-tests/daemonless-cut-" + Run;
        var tag = "cut-" + Run;
        var result = published.Project.Publish(Properties(null, "ContainerRegistry=" + proxy.HostPort, "ContainerRepository=" + repository, "ContainerImageTag=" + tag), Environment());
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        var errors = Diagnostics.Parse(result.Output).Where(d => d.IsError).ToList();
        Assert.AreEqual(1, errors.Count, result.Output);
        StringAssert.StartsWith(errors[0].Code, "AIC42", "a coded registry error:\n" + result.Output);
        Assert.IsTrue(proxy.FaultsInjected > 1, "the cut upload was retried");
        StringAssert.Contains(result.Output, "; retrying (attempt 2)", "each retry is reported as it happens");
        Assert.AreEqual(0, proxy.Requests.Count(r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("/manifests/")), "no manifest is PUT when a blob did not land");
        Assert.AreEqual(HttpStatusCode.NotFound, TagStatus(repository, tag), "nothing half-pushed is tagged");
        Assert.IsFalse(File.Exists(Path.Combine(published.Project.OutputDirectory, "image.json")), "a failed publish leaves no image.json");
    }

    [TestMethod]
    public void Daemonless_with_system_packages_fails_before_any_engine_or_registry_call()
    {
        // The shared project (already restored and compiled: quick) with its opt-in apt item.
        var project = Base.Project;
        var imageJson = Path.Combine(project.OutputDirectory, "image.json");
        File.Delete(imageJson);
        // Nothing answers at either address: any engine or registry call would add its own error.
        var result = project.Publish(Properties(null, "AiImageBuilder=Daemonless", "WithAptPackage=true", "ContainerRegistry=127.0.0.1:9"),
            Environment(new() { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" }));
        var error = Diagnostics.AssertSingleError(result, "AIC6001", "AiSystemPackages");
        StringAssert.Contains(error.Text.ToLowerInvariant(), "set aiimagebuilder=docker");
        Assert.AreEqual(1, Diagnostics.Parse(result.Output).Count(d => d.IsError), "AIC6001 alone:\n" + result.Output);
        Assert.IsFalse(File.Exists(imageJson), "no image");
    }
}
