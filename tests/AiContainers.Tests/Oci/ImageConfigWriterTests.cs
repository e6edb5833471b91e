using System.Text;
using System.Text.Json.Nodes;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Oci;

namespace AiContainers.Tests.Oci;

/// <summary>Image configs and manifests: base kept and extended, canonical bytes, Docker vs OCI fields and media types.</summary>
[TestClass]
public sealed class ImageConfigWriterTests
{
    // Shaped like a real Docker-built base config (busybox/debian), with the build leftovers Docker writes.
    private const string BaseConfig = """
        {
          "architecture": "amd64", "os": "linux", "created": "2023-05-01T10:00:00.123456789Z", "docker_version": "20.10.24",
          "container": "3f1a", "container_config": { "Cmd": ["/bin/sh"] },
          "config": { "Env": ["PATH=/usr/bin:/bin", "LANG=C"], "Cmd": ["sh"], "Entrypoint": null, "Shell": ["/bin/sh", "-c"],
                      "Labels": { "org.opencontainers.image.vendor": "base" }, "Hostname": "" },
          "rootfs": { "type": "layers", "diff_ids": ["sha256:1111111111111111111111111111111111111111111111111111111111111111"] },
          "history": [ { "created": "2023-05-01T10:00:00Z", "created_by": "ADD rootfs.tar /" } ]
        }
        """;

    private static readonly LayerBlob App = new("sha256:" + new string('a', 64), "sha256:" + new string('b', 64), 123, OciMediaTypes.DockerLayerGzip, "/x", "app");
    private static readonly LayerBlob Model = new("sha256:" + new string('c', 64), "sha256:" + new string('d', 64), 456, OciMediaTypes.DockerLayerTar, "/y", "model sentiment");

    private static readonly ImageConfigInput Input = new()
    {
        Env = new[] { new KeyValuePair<string, string>("LANG", "C.UTF-8"), new KeyValuePair<string, string>("AI_MODEL_SENTIMENT_PATH", "/models/sentiment") },
        Entrypoint = new[] { "/app/Foo" },
        WorkingDir = "/app",
        User = "1654",
        ExposedPorts = new[] { "8080", "9090/udp" },
        Labels = new Dictionary<string, string> { ["org.opencontainers.image.title"] = "foo" },
        Healthcheck = new ImageHealthcheck(new[] { "CMD", "/probe", "http://127.0.0.1:8080/health" }, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), 3),
        StopSignal = "SIGTERM",
        Created = DateTimeOffset.FromUnixTimeSeconds(1704067200),
    };

    [TestMethod]
    public void DockerConfigExtendsTheBaseAndKeepsHealthcheck()
    {
        var bytes = ImageConfigWriter.Create(Encoding.UTF8.GetBytes(BaseConfig), Input, new[] { App, Model }, ImageFormat.Docker);
        var json = JsonNode.Parse(bytes)!;
        var config = json["config"]!;

        Assert.AreEqual("2024-01-01T00:00:00Z", (string)json["created"]!);
        CollectionAssert.AreEqual(new[] { "sha256:" + new string('1', 64), App.DiffId, Model.DiffId }, Strings(json["rootfs"]!["diff_ids"]));
        var history = json["history"]!.AsArray();
        Assert.AreEqual(3, history.Count);
        Assert.AreEqual("ADD rootfs.tar /", (string)history[0]!["created_by"]!);
        Assert.AreEqual("AiContainers: model sentiment", (string)history[2]!["created_by"]!);
        Assert.AreEqual("2024-01-01T00:00:00Z", (string)history[2]!["created"]!);

        CollectionAssert.AreEqual(new[] { "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "AI_MODEL_SENTIMENT_PATH=/models/sentiment" }, Strings(config["Env"]));
        CollectionAssert.AreEqual(new[] { "/app/Foo" }, Strings(config["Entrypoint"]));
        Assert.IsNull(config["Cmd"], "a new Entrypoint clears the base's Cmd, as in a Dockerfile");
        Assert.AreEqual("/app", (string)config["WorkingDir"]!);
        Assert.AreEqual("1654", (string)config["User"]!);
        Assert.IsNotNull(config["ExposedPorts"]!["8080/tcp"]);
        Assert.IsNotNull(config["ExposedPorts"]!["9090/udp"]);
        Assert.AreEqual("base", (string)config["Labels"]!["org.opencontainers.image.vendor"]!);
        Assert.AreEqual("foo", (string)config["Labels"]!["org.opencontainers.image.title"]!);
        Assert.AreEqual(30_000_000_000L, (long)config["Healthcheck"]!["Interval"]!);
        Assert.AreEqual(3, (int)config["Healthcheck"]!["Retries"]!);
        CollectionAssert.AreEqual(new[] { "CMD", "/probe", "http://127.0.0.1:8080/health" }, Strings(config["Healthcheck"]!["Test"]));
        Assert.IsNotNull(config["Shell"], "Docker format keeps Docker-only fields of the base");
        Assert.IsNull(json["container_config"], "the base's build leftovers describe another build");
        Assert.IsNull(json["docker_version"]);
    }

    [TestMethod]
    public void OciConfigDropsWhatTheOciSpecDoesNotDefine()
    {
        var json = JsonNode.Parse(ImageConfigWriter.Create(Encoding.UTF8.GetBytes(BaseConfig), Input, new[] { App }, ImageFormat.Oci))!;
        Assert.IsNull(json["config"]!["Healthcheck"], "OCI image configs have no healthcheck");
        Assert.IsNull(json["config"]!["Shell"]);
        Assert.IsNull(json["config"]!["Hostname"]);
        Assert.AreEqual("SIGTERM", (string)json["config"]!["StopSignal"]!);
        CollectionAssert.AreEquivalent(new[] { "architecture", "config", "created", "history", "os", "rootfs" }, json.AsObject().Select(p => p.Key).ToList());
    }

    [TestMethod]
    public void ConfigIsCanonicalJson()
    {
        var first = ImageConfigWriter.Create(Encoding.UTF8.GetBytes(BaseConfig), Input, new[] { App }, ImageFormat.Docker);
        // The same base with other whitespace and key order gives the same bytes.
        var reordered = JsonNode.Parse(BaseConfig)!.AsObject();
        var shuffled = new JsonObject(reordered.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var second = ImageConfigWriter.Create(Encoding.UTF8.GetBytes(shuffled.ToJsonString(new() { WriteIndented = true })), Input, new[] { App }, ImageFormat.Docker);
        CollectionAssert.AreEqual(first, second);
        var text = Encoding.UTF8.GetString(first);
        Assert.IsFalse(text.Contains('\n') || text.Contains("\": ") || text.Contains(", \"") || text.Contains("{ "), "no whitespace between tokens: " + text);
        StringAssert.StartsWith(text, "{\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":");
        Assert.IsFalse(text.Contains("null", StringComparison.Ordinal), "nulls are left out");
    }

    [TestMethod]
    public void BaseConfigWithoutRootfsIsRejected()
    {
        var e = Assert.ThrowsExactly<AiException>(() => ImageConfigWriter.Create("{\"os\":\"linux\"}"u8.ToArray(), Input, new[] { App }, ImageFormat.Docker));
        Assert.AreEqual("AIC6105", e.Code);
        Assert.AreEqual("AIC6105", Assert.ThrowsExactly<AiException>(() => ImageConfigWriter.Create("<html>"u8.ToArray(), Input, new[] { App }, ImageFormat.Docker)).Code);
    }

    [TestMethod]
    public void ManifestsMapLayerMediaTypesToTheirFormat()
    {
        var layers = new[] { new BlobDescriptor(OciMediaTypes.DockerLayerGzip, App.Digest, 123), new BlobDescriptor(OciMediaTypes.DockerLayerTar, Model.Digest, 456) };
        var oci = JsonNode.Parse(ManifestWriter.Manifest(ImageFormat.Oci, "sha256:" + new string('e', 64), 99, layers))!;
        Assert.AreEqual(OciMediaTypes.OciManifest, (string)oci["mediaType"]!);
        Assert.AreEqual(OciMediaTypes.OciConfig, (string)oci["config"]!["mediaType"]!);
        CollectionAssert.AreEqual(new[] { OciMediaTypes.OciLayerGzip, OciMediaTypes.OciLayerTar }, oci["layers"]!.AsArray().Select(l => (string)l!["mediaType"]!).ToList());
        Assert.AreEqual(2, (int)oci["schemaVersion"]!);

        var docker = JsonNode.Parse(ManifestWriter.Manifest(ImageFormat.Docker, "sha256:" + new string('e', 64), 99,
            new[] { new BlobDescriptor(OciMediaTypes.OciLayerGzip, App.Digest, 123) }))!;
        Assert.AreEqual(OciMediaTypes.DockerManifest, (string)docker["mediaType"]!);
        Assert.AreEqual(OciMediaTypes.DockerConfig, (string)docker["config"]!["mediaType"]!);
        Assert.AreEqual(OciMediaTypes.DockerLayerGzip, (string)docker["layers"]![0]!["mediaType"]!);
        Assert.AreEqual(123, (long)docker["layers"]![0]!["size"]!);

        var index = JsonNode.Parse(ManifestWriter.Index(ImageFormat.Oci, new[]
        {
            new PlatformManifest("sha256:" + new string('1', 64), 500, OciMediaTypes.OciManifest, "linux", "amd64"),
            new PlatformManifest("sha256:" + new string('2', 64), 501, OciMediaTypes.OciManifest, "linux", "arm64", "v8"),
        }))!;
        Assert.AreEqual(OciMediaTypes.OciIndex, (string)index["mediaType"]!);
        Assert.AreEqual("v8", (string)index["manifests"]![1]!["platform"]!["variant"]!);
        Assert.IsNull(index["manifests"]![0]!["platform"]!["variant"]);
    }

    private static List<string> Strings(JsonNode? array) => array!.AsArray().Select(n => (string)n!).ToList();
}
