using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using AiContainers.Core.Oci;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Oci;

/// <summary>
/// Archives composed without an engine, on top of the busybox stand-in read from the local registry with plain
/// HTTP, loaded by the real clients: docker load + docker run, podman load + podman run, skopeo copy.
/// </summary>
[TestClass]
public sealed class ImageArchiveTests
{
    private const string BaseRepository = "standin/library/busybox";
    private const string BaseTag = "1.36";
    private static readonly DateTimeOffset Created = DateTimeOffset.FromUnixTimeSeconds(1704067200);

    private readonly List<string> _dockerImages = new();
    private readonly List<string> _podmanImages = new();

    [TestCleanup]
    public void Cleanup()
    {
        foreach (var image in _dockerImages) EngineEnvironment.Docker("rmi", "-f", image);
        foreach (var image in _podmanImages) ProcessRunner.Run("podman", new[] { "rmi", "-f", image });
    }

    private sealed record BaseImage(byte[] Config, IReadOnlyList<ArchiveLayer> Layers);

    /// <summary>Reads the stand-in busybox's config and layer blobs from the registry, layers to files (streamed).</summary>
    private static async Task<BaseImage> PullBaseAsync(string folder)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{EngineEnvironment.Registry}/v2/") };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{BaseRepository}/manifests/{BaseTag}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.DockerManifest));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var manifest = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var config = await http.GetByteArrayAsync($"{BaseRepository}/blobs/{(string)manifest["config"]!["digest"]!}");
        var layers = new List<ArchiveLayer>();
        foreach (var layer in manifest["layers"]!.AsArray())
        {
            var digest = (string)layer!["digest"]!;
            var path = Path.Combine(folder, digest[7..]);
            await using (var source = await http.GetStreamAsync($"{BaseRepository}/blobs/{digest}"))
            await using (var target = File.Create(path)) await source.CopyToAsync(target);
            layers.Add(new ArchiveLayer((string)layer["mediaType"]!, digest, (long)layer["size"]!, () => File.OpenRead(path)));
        }
        return new BaseImage(config, layers);
    }

    /// <summary>An app layer (gzip) with a file owned by 1654 mode 0640, and a weights layer stored as a plain tar.</summary>
    private static async Task<LayerBlob[]> NewLayersAsync(string folder)
    {
        var cache = new LayerCache(Path.Combine(folder, "layers"));
        var hello = Path.Combine(folder, "hello.txt");
        File.WriteAllText(hello, "hello from a daemonless layer\n");
        var weights = Path.Combine(folder, "model.safetensors");
        LayerWriterTests.WriteRandomFile(weights, 3 << 20);
        var app = await LayerWriter.WriteAsync(new[] { LayerEntry.File("app/hello.txt", hello, 0x1A0, 1654, 1654), LayerEntry.Directory("app", 0x1ED, 1654, 1654) },
            cache, LayerCompression.Gzip, Created, "app", CancellationToken.None);
        var model = await LayerWriter.WriteAsync(new[] { LayerEntry.File("models/m/model.safetensors", weights, 0x1A4, 1654, 1654) },
            cache, LayerCompression.None, Created, "model m", CancellationToken.None);
        return new[] { app, model };
    }

    private static ImageConfigInput Input => new()
    {
        Env = new[] { new KeyValuePair<string, string>("AI_MODEL_M_PATH", "/models/m") },
        Cmd = new[] { "sh" },
        WorkingDir = "/app",
        User = "1654",
        Labels = new Dictionary<string, string> { ["org.opencontainers.image.title"] = "layers-test" },
        Healthcheck = new ImageHealthcheck(new[] { "CMD", "true" }, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3), null, 3),
        Created = Created,
    };

    private static IReadOnlyList<ArchiveLayer> AllLayers(BaseImage baseImage, IEnumerable<LayerBlob> ours)
        => baseImage.Layers.Concat(ours.Select(ArchiveLayer.From)).ToList();

    [TestMethod]
    public async Task DockerLoadRunsTheComposedImage()
    {
        EngineEnvironment.Require();
        var folder = TestPaths.NewTempDirectory("archive-docker");
        var baseImage = await PullBaseAsync(folder);
        var ours = await NewLayersAsync(folder);
        var config = ImageConfigWriter.Create(baseImage.Config, Input, ours, ImageFormat.Docker);
        var tag = "aic-test/layers:" + Guid.NewGuid().ToString("N")[..12];
        var archive = Path.Combine(folder, "image.tar");
        await ImageArchiveWriter.WriteDockerArchiveAsync(archive, new[] { tag }, config, AllLayers(baseImage, ours), CancellationToken.None);
        _dockerImages.Add(tag);

        var load = EngineEnvironment.Docker("load", "-i", archive);
        Assert.AreEqual(0, load.ExitCode, load.ToString());
        StringAssert.Contains(load.Output, tag);

        // docker load keeps our config as is: the image id is the config's digest.
        var id = EngineEnvironment.Docker("image", "inspect", "--format", "{{.Id}}", tag);
        Assert.AreEqual(CanonicalJson.Digest(config), id.StandardOutput.Trim(), id.ToString());
        var health = EngineEnvironment.Docker("image", "inspect", "--format", "{{json .Config.Healthcheck}}", tag);
        StringAssert.Contains(health.StandardOutput, "\"Test\":[\"CMD\",\"true\"]", "Docker format keeps Healthcheck: " + health);

        var run = EngineEnvironment.Docker("run", "--rm", "--network", "host", tag, "sh", "-c",
            "stat -c '%u %g %a %n' /app/hello.txt /app /models/m/model.safetensors && cat /app/hello.txt && id -u && echo $AI_MODEL_M_PATH && pwd");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.AreEqual("1654 1654 640 /app/hello.txt\n1654 1654 755 /app\n1654 1654 644 /models/m/model.safetensors\nhello from a daemonless layer\n1654\n/models/m\n/app\n",
            run.StandardOutput, run.ToString());

        // The same inputs give the same archive: bytes, not just digests.
        var again = Path.Combine(folder, "again.tar");
        await ImageArchiveWriter.WriteDockerArchiveAsync(again, new[] { tag }, ImageConfigWriter.Create(baseImage.Config, Input, ours, ImageFormat.Docker),
            AllLayers(baseImage, ours), CancellationToken.None);
        CollectionAssert.AreEqual(File.ReadAllBytes(archive), File.ReadAllBytes(again));
    }

    [TestMethod]
    public async Task OciFormatConfigLosesHealthcheck()
    {
        EngineEnvironment.Require();
        var folder = TestPaths.NewTempDirectory("archive-oci-config");
        var baseImage = await PullBaseAsync(folder);
        var ours = await NewLayersAsync(folder);
        var config = ImageConfigWriter.Create(baseImage.Config, Input, ours, ImageFormat.Oci);
        var tag = "aic-test/layers-oci:" + Guid.NewGuid().ToString("N")[..12];
        var archive = Path.Combine(folder, "image.tar");
        await ImageArchiveWriter.WriteDockerArchiveAsync(archive, new[] { tag }, config, AllLayers(baseImage, ours), CancellationToken.None);
        _dockerImages.Add(tag);
        var load = EngineEnvironment.Docker("load", "-i", archive);
        Assert.AreEqual(0, load.ExitCode, load.ToString());
        var health = EngineEnvironment.Docker("image", "inspect", "--format", "{{json .Config.Healthcheck}}|{{.Config.User}}", tag);
        Assert.AreEqual("null|1654", health.StandardOutput.Trim(), health.ToString());
    }

    [TestMethod]
    public async Task PodmanLoadsAndRunsTheDockerArchive()
    {
        EngineEnvironment.Require();
        var version = ProcessRunner.Run("podman", new[] { "--version" });
        if (version.ExitCode != 0) EngineEnvironment.Unavailable("podman is not installed (apt-get install -y podman): " + version);
        var folder = TestPaths.NewTempDirectory("archive-podman");
        var baseImage = await PullBaseAsync(folder);
        var ours = await NewLayersAsync(folder);
        var config = ImageConfigWriter.Create(baseImage.Config, Input, ours, ImageFormat.Docker);
        var tag = "localhost/aic-test/layers:" + Guid.NewGuid().ToString("N")[..12];
        var archive = Path.Combine(folder, "image.tar");
        await ImageArchiveWriter.WriteDockerArchiveAsync(archive, new[] { tag }, config, AllLayers(baseImage, ours), CancellationToken.None);
        _podmanImages.Add(tag);

        var load = ProcessRunner.Run("podman", new[] { "load", "-i", archive }, timeout: TimeSpan.FromMinutes(3));
        Assert.AreEqual(0, load.ExitCode, load.ToString());
        // Explicit nofile/nproc limits: podman's defaults (and --ulimit host) exceed what this sandbox lets runc set;
        // --no-healthcheck: podman would register the healthcheck as a systemd timer, and there is no systemd here.
        var run = ProcessRunner.Run("podman", new[] { "run", "--rm", "--network", "host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--no-healthcheck", tag, "stat", "-c", "%u %g %a", "/app/hello.txt" }, timeout: TimeSpan.FromMinutes(3));
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.AreEqual("1654 1654 640", run.StandardOutput.Trim(), run.ToString());
        var health = ProcessRunner.Run("podman", new[] { "image", "inspect", "--format", "{{json .HealthCheck}}", tag });
        StringAssert.Contains(health.StandardOutput, "\"Test\":[\"CMD\",\"true\"]", "podman reads the Docker-format Healthcheck: " + health);
    }

    [TestMethod]
    public async Task SkopeoReadsTheDockerArchiveAndTheMultiPlatformOciArchive()
    {
        EngineEnvironment.Require();
        var folder = TestPaths.NewTempDirectory("archive-skopeo");
        var baseImage = await PullBaseAsync(folder);
        var ours = await NewLayersAsync(folder);
        var config = ImageConfigWriter.Create(baseImage.Config, Input, ours, ImageFormat.Docker);
        var archive = Path.Combine(folder, "image.tar");
        await ImageArchiveWriter.WriteDockerArchiveAsync(archive, new[] { "aic-test/layers:skopeo" }, config, AllLayers(baseImage, ours), CancellationToken.None);

        var layout = Path.Combine(folder, "oci");
        var copy = EngineEnvironment.Skopeo("copy", "docker-archive:" + archive, "oci:" + layout + ":t");
        Assert.AreEqual(0, copy.ExitCode, copy.ToString());
        var inspect = EngineEnvironment.Skopeo("inspect", "--config", "--raw", "oci:" + layout + ":t");
        Assert.AreEqual(0, inspect.ExitCode, inspect.ToString());
        var copied = JsonNode.Parse(inspect.StandardOutput)!;
        CollectionAssert.AreEqual(JsonNode.Parse(config)!["rootfs"]!["diff_ids"]!.AsArray().Select(n => (string)n!).ToList(),
            copied["rootfs"]!["diff_ids"]!.AsArray().Select(n => (string)n!).ToList());

        // Two platforms in one OCI layout archive (the arm64 config is a relabelled copy: nothing here runs it).
        var arm = ImageConfigWriter.Create(baseImage.Config, Input with { Architecture = "arm64", Variant = "v8" }, ours, ImageFormat.Oci);
        var amd = ImageConfigWriter.Create(baseImage.Config, Input, ours, ImageFormat.Oci);
        var ociArchive = Path.Combine(folder, "multi.tar");
        var repository = $"{EngineEnvironment.Registry}/aic-test/layers-multi";
        await ImageArchiveWriter.WriteOciArchiveAsync(ociArchive, repository + ":1.0", new[]
        {
            new ArchiveImage(amd, AllLayers(baseImage, ours), "linux", "amd64"),
            new ArchiveImage(arm, AllLayers(baseImage, ours), "linux", "arm64", "v8"),
        }, CancellationToken.None);
        var push = EngineEnvironment.Skopeo("copy", "--all", "--dest-tls-verify=false", "oci-archive:" + ociArchive, $"docker://{repository}:1.0");
        Assert.AreEqual(0, push.ExitCode, push.ToString());
        var raw = EngineEnvironment.Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{repository}:1.0");
        Assert.AreEqual(0, raw.ExitCode, raw.ToString());
        var index = JsonNode.Parse(raw.StandardOutput)!;
        CollectionAssert.AreEqual(new[] { "amd64", "arm64" }, index["manifests"]!.AsArray().Select(m => (string)m!["platform"]!["architecture"]!).ToList(), raw.StandardOutput);
    }
}
