using System.Net.Http;
using System.Text.Json;
using AiContainers.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace AiContainers.Tests.Sbom;

/// <summary>
/// The SBOM as a user meets it: real project files published with the packed SDK to the local registry (distribution 2.8,
/// which has no referrers API), then read back with clients that are not ours: skopeo for the labels and the referrers
/// tag, plain HTTP for the registry API, and the CycloneDX library's schema validator for the document.
/// </summary>
[TestClass]
public sealed class SbomEndToEndTests
{
    private const string SourceDateEpoch = "1700000000";
    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];

    private static string[] Properties(params string[] more)
        => new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiLayerCacheDirectory=" + TestPaths.NewTempDirectory("sbom-layer-cache"), "ContainerRegistry=" + EngineEnvironment.Registry }
            .Concat(more).ToArray();

    private static Dictionary<string, string?> Environment() => new() { ["SOURCE_DATE_EPOCH"] = SourceDateEpoch };

    private static JsonElement Json(ProcessResult run)
    {
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        return JsonDocument.Parse(run.StandardOutput).RootElement;
    }

    private static (string Digest, string Path, JsonElement Sbom) Published(SdkProject project)
    {
        var image = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.OutputDirectory, "image.json"))).RootElement;
        var path = Path.Combine(project.OutputDirectory, "sbom.cdx.json");
        Assert.IsTrue(File.Exists(path), "sbom.cdx.json is written beside image.json");
        SbomSchema.AssertValid("1.5", path);
        return (image.GetProperty("digest").GetString()!, path, JsonDocument.Parse(File.ReadAllText(path)).RootElement);
    }

    private static List<JsonElement> Components(JsonElement sbom) => sbom.GetProperty("components").EnumerateArray().ToList();

    /// <summary>The artifact that refers to <paramref name="digest"/>: through the referrers API where the registry has it, else the sha256-&lt;hex&gt; tag; its one layer must be the file's bytes.</summary>
    private static async Task AssertReferrerHoldsAsync(string repository, string digest, string sbomPath)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{EngineEnvironment.Registry}/") };
        using var api = await http.GetAsync($"v2/{repository}/referrers/{digest}");
        JsonElement index;
        if (api.IsSuccessStatusCode) index = JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement;
        else index = Json(EngineEnvironment.Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/{repository}:{digest.Replace(':', '-')}"));
        var entry = index.GetProperty("manifests").EnumerateArray().Single(m => m.GetProperty("artifactType").GetString() == "application/vnd.cyclonedx+json");
        var artifactDigest = entry.GetProperty("digest").GetString()!;

        var manifest = Json(EngineEnvironment.Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/{repository}@{artifactDigest}"));
        Assert.AreEqual(digest, manifest.GetProperty("subject").GetProperty("digest").GetString(), "the artifact names the image as its subject");
        Assert.AreEqual("application/vnd.oci.empty.v1+json", manifest.GetProperty("config").GetProperty("mediaType").GetString());
        var layer = manifest.GetProperty("layers").EnumerateArray().Single();
        Assert.AreEqual("application/vnd.cyclonedx+json", layer.GetProperty("mediaType").GetString());
        var blob = await http.GetByteArrayAsync($"v2/{repository}/blobs/{layer.GetProperty("digest").GetString()}");
        CollectionAssert.AreEqual(File.ReadAllBytes(sbomPath), blob, "the pushed SBOM is the file beside image.json");
    }

    private static Dictionary<string, string> Labels(string reference)
        => Json(EngineEnvironment.Skopeo("inspect", "--config", "--raw", "--tls-verify=false", "docker://" + reference))
            .GetProperty("config").GetProperty("Labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    [TestMethod]
    public async Task Daemonless_publish_writes_a_valid_sbom_labels_the_image_and_pushes_it_as_a_referrer()
    {
        EngineEnvironment.Require();
        var repository = "aic-tests/sbom-daemonless-" + Run;
        // The package reference form: restore resolves AiContainers.Sdk itself, a real package with a nuspec licence.
        var project = SdkProject.ConsoleApp("SbomDaemonless", $"""
            <AiCudaVersion>12.4</AiCudaVersion>
            <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
            <SelfContained>true</SelfContained>
            <ContainerRepository>{repository}</ContainerRepository>
            <ContainerImageTag>1.0.0</ContainerImageTag>
            <RepositoryUrl>https://example.com/acme/sbom.git</RepositoryUrl>
            <SourceRevisionId>0123456789abcdef0123456789abcdef01234567</SourceRevisionId>
            """, """<PackageReference Include="AiContainers.Sdk" Version="0.1.0" PrivateAssets="all" />""", sdkLine: "");
        // The first publish writes aicontainers.lock.json (after the build: it records no lock digest); the second starts from it.
        var first = project.Publish(Properties(), Environment());
        Assert.AreEqual(0, first.ExitCode, first.Output);
        Assert.IsFalse(Labels($"{EngineEnvironment.Registry}/{repository}:1.0.0").ContainsKey("ai.containers.lock.digest"), "no lock file when the publish started");
        var lockFile = Path.Combine(project.Directory, "aicontainers.lock.json");
        Assert.IsTrue(File.Exists(lockFile), "the publish wrote the lock file beside the project");
        var lockDigest = "sha256:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(lockFile))).ToLowerInvariant();
        var result = project.Publish(Properties(), Environment());
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var (digest, path, sbom) = Published(project);

        var labels = Labels($"{EngineEnvironment.Registry}/{repository}:1.0.0");
        Assert.AreEqual("application/vnd.cyclonedx+json; version=1.5", labels["ai.containers.sbom"]);
        Assert.AreEqual("AiContainers 0.1.0 Daemonless", labels["ai.containers.builder"]);
        Assert.AreEqual(lockDigest, labels["ai.containers.lock.digest"]);
        Assert.AreEqual("https://example.com/acme/sbom.git", labels["org.opencontainers.image.source"]);
        Assert.AreEqual("0123456789abcdef0123456789abcdef01234567", labels["org.opencontainers.image.revision"]);

        // The SBOM's metadata says the same as the labels, and describes the pushed image by its digest.
        var metadata = sbom.GetProperty("metadata");
        Assert.AreEqual("2023-11-14T22:13:20Z", metadata.GetProperty("timestamp").GetString(), "from SOURCE_DATE_EPOCH");
        Assert.AreEqual(digest, metadata.GetProperty("component").GetProperty("version").GetString());
        foreach (var property in metadata.GetProperty("properties").EnumerateArray())
            Assert.AreEqual(labels[property.GetProperty("name").GetString()!], property.GetProperty("value").GetString(), property.GetProperty("name").GetString());

        var components = Components(sbom);
        // The packed package's version (the tests' projects reference the freshly packed one).
        var sdk = components.Single(c => c.GetProperty("purl").GetString()!.StartsWith("pkg:nuget/AiContainers.Sdk@", StringComparison.Ordinal));
        Assert.AreEqual("pkg:nuget/AiContainers.Sdk@" + sdk.GetProperty("version").GetString(), sdk.GetProperty("purl").GetString());
        Assert.AreEqual("MIT", sdk.GetProperty("licenses")[0].GetProperty("expression").GetString(), "the licence from the package's nuspec");
        // The daemonless builder downloads no base layer: the base is there by the digest it resolved to, and no OS package is claimed.
        var baseImage = components.Single(c => c.GetProperty("type").GetString() == "container");
        var baseDigest = Json(EngineEnvironment.Skopeo("inspect", "--tls-verify=false", $"docker://{EngineEnvironment.MirrorPrefix}/nvidia/cuda:12.4.1-runtime-ubuntu22.04")).GetProperty("Digest").GetString();
        Assert.AreEqual(baseDigest, baseImage.GetProperty("version").GetString());
        Assert.IsFalse(components.Any(c => c.GetProperty("purl").GetString()!.StartsWith("pkg:deb/", StringComparison.Ordinal)));

        await AssertReferrerHoldsAsync(repository, digest, path);
        StringAssert.Contains(result.Output, "SBOM sha256:");
    }

    [TestMethod]
    public async Task Docker_builder_lists_the_images_debian_packages_with_those_AiSystemPackages_asked_for()
    {
        EngineEnvironment.Require();
        var repository = "aic-tests/sbom-docker-" + Run;
        var project = SdkProject.ConsoleApp("SbomDocker", $"""
            <AiCudaVersion>12.4</AiCudaVersion>
            <ContainerRepository>{repository}</ContainerRepository>
            <ContainerImageTag>1.0.0</ContainerImageTag>
            """, """<AiSystemPackages Include="libgomp1" />""");
        var result = project.Publish(Properties(), Environment());
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var (digest, path, sbom) = Published(project);
        Assert.AreEqual("AiContainers 0.1.0 Docker", Labels($"{EngineEnvironment.Registry}/{repository}:1.0.0")["ai.containers.builder"]);

        var debs = Components(sbom).Where(c => c.GetProperty("purl").GetString()!.StartsWith("pkg:deb/", StringComparison.Ordinal)).ToList();
        // What dpkg says is installed in the image, compared with dpkg-query run in the image itself.
        var query = EngineEnvironment.Docker("run", "--rm", "--network", "host", "--entrypoint", "dpkg-query", $"{EngineEnvironment.Registry}/{repository}:1.0.0", "-W", "-f", "${Package} ${Version}\\n");
        Assert.AreEqual(0, query.ExitCode, query.ToString());
        var installed = query.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        CollectionAssert.AreEquivalent(installed.ToList(), debs.Select(d => d.GetProperty("name").GetString() + " " + d.GetProperty("version").GetString()).Distinct().ToList());
        var gomp = debs.Single(d => d.GetProperty("name").GetString() == "libgomp1");
        Assert.IsTrue(gomp.GetProperty("properties").EnumerateArray().Any(p => p.GetProperty("name").GetString() == "ai.containers:requested-by"));
        Assert.IsTrue(debs.Count > 50, "the base's own packages are listed too");
        var baseImage = Components(sbom).Single(c => c.GetProperty("type").GetString() == "container");
        StringAssert.StartsWith(baseImage.GetProperty("version").GetString(), "sha256:", "the digest the engine pulled the base by");

        await AssertReferrerHoldsAsync(repository, digest, path);
    }
}
