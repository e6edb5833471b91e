using System.Text.Json;
using AiContainers.Core.Generation;
using AiContainers.Core.Sbom;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace AiContainers.Tests.Sbom;

[TestClass]
public sealed class CycloneDxWriterTests
{
    private const string ImageDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string BaseDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string FileSha = "3333333333333333333333333333333333333333333333333333333333333333";

    private static SbomInputs Sample(string? created = "2024-01-02T03:04:05Z", bool reversed = false)
    {
        IReadOnlyList<T> Order<T>(IEnumerable<T> items) => reversed ? items.Reverse().ToList() : items.ToList();
        return new SbomInputs(
            Image: new SbomImage("127.0.0.1:5000/acme/demo", "1.2.0", ImageDigest),
            Base: new SbomImage("docker.io/nvidia/cuda", "12.4.1-runtime-ubuntu22.04", BaseDigest),
            GeneratorVersion: "0.1.0",
            Created: created,
            Provenance: new[]
            {
                new KeyValuePair<string, string>("org.opencontainers.image.source", "https://github.com/acme/demo"),
                new KeyValuePair<string, string>("ai.containers.builder", "AiContainers 0.1.0 Docker"),
            },
            NuGetPackages: Order(new[] { new SbomPackage("Microsoft.ML.OnnxRuntime", "1.20.1", new SbomLicense(Expression: "MIT")), new SbomPackage("Newtonsoft.Json", "13.0.3", new SbomLicense(Url: "https://licenses.nuget.org/MIT")) }),
            PythonPackages: Order(new[] { new SbomPackage("Typing_Extensions", "4.12.2"), new SbomPackage("numpy", "1.26.4") }),
            OsPackages: Order(new[] { new SbomOsPackage("curl", "7.88.1-10+deb12u5", "amd64", true), new SbomOsPackage("libc6", "2.36-9+deb12u4", "amd64", false), new SbomOsPackage("perl-base", "1:5.36.0-7", "amd64", false) }),
            OsRelease: new SbomOsRelease("debian", "12"),
            OsPackagesSource: "the image's /var/lib/dpkg/status",
            Models: Order(new[]
            {
                new SbomModel("bert", "hf://org/bert", "0123456789abcdef0123456789abcdef01234567", Purl.HuggingFace("org/bert", "0123456789abcdef0123456789abcdef01234567"),
                    "sha256:" + FileSha, new SbomLicense(Name: "apache-2.0"), Order(new[] { new SbomModelFile("model.safetensors", FileSha, 42), new SbomModelFile("config.json", FileSha, 7) })),
                new SbomModel("local", "models/local", null, null, "sha256:" + FileSha, null, new[] { new SbomModelFile("weights.onnx", FileSha, 9) }),
            }));
    }

    private static List<JsonElement> Components(string json) => JsonDocument.Parse(json).RootElement.GetProperty("components").EnumerateArray().ToList();

    private static JsonElement Component(string json, string bomRef) => Components(json).Single(c => c.GetProperty("bom-ref").GetString() == bomRef);

    [TestMethod]
    public void SameFactsInAnyOrderGiveTheSameBytesAndSerial()
    {
        var first = CycloneDxWriter.Write(Sample());
        var second = CycloneDxWriter.Write(Sample(reversed: true));
        Assert.AreEqual(first, second);
        var refs = Components(first).Select(c => c.GetProperty("bom-ref").GetString()!).ToList();
        CollectionAssert.AreEqual(refs.OrderBy(r => r, StringComparer.Ordinal).ToList(), refs, "components are sorted by bom-ref");
        StringAssert.Matches(JsonDocument.Parse(first).RootElement.GetProperty("serialNumber").GetString(), new System.Text.RegularExpressions.Regex("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
        Assert.IsFalse(first.Contains('\r'), "one line ending everywhere");
    }

    [TestMethod]
    public void TheSerialNumberFollowsTheContent()
    {
        var one = JsonDocument.Parse(CycloneDxWriter.Write(Sample())).RootElement.GetProperty("serialNumber").GetString();
        var other = Sample() with { PythonPackages = new[] { new SbomPackage("numpy", "2.0.0") } };
        var two = JsonDocument.Parse(CycloneDxWriter.Write(other)).RootElement.GetProperty("serialNumber").GetString();
        Assert.AreNotEqual(one, two);
    }

    [TestMethod]
    public void TheTimestampComesOnlyFromTheCreationTimeNeverTheClock()
    {
        var withTime = JsonDocument.Parse(CycloneDxWriter.Write(Sample())).RootElement.GetProperty("metadata");
        Assert.AreEqual("2024-01-02T03:04:05Z", withTime.GetProperty("timestamp").GetString());
        var without = JsonDocument.Parse(CycloneDxWriter.Write(Sample(created: null))).RootElement.GetProperty("metadata");
        Assert.IsFalse(without.TryGetProperty("timestamp", out _));
    }

    [TestMethod]
    public void TheImageAndItsBaseAreContainersWithOciPurls()
    {
        var json = CycloneDxWriter.Write(Sample());
        var metadata = JsonDocument.Parse(json).RootElement.GetProperty("metadata");
        var image = metadata.GetProperty("component");
        Assert.AreEqual("container", image.GetProperty("type").GetString());
        Assert.AreEqual("pkg:oci/demo@sha256%3A" + ImageDigest[7..] + "?repository_url=127.0.0.1%3A5000/acme/demo&tag=1.2.0", image.GetProperty("purl").GetString());
        var properties = metadata.GetProperty("properties").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("value").GetString());
        Assert.AreEqual("https://github.com/acme/demo", properties["org.opencontainers.image.source"]);
        Assert.AreEqual("AiContainers 0.1.0 Docker", properties["ai.containers.builder"]);
        Assert.AreEqual("0.1.0", metadata.GetProperty("tools").GetProperty("components")[0].GetProperty("version").GetString());

        var basePurl = "pkg:oci/cuda@sha256%3A" + BaseDigest[7..] + "?repository_url=docker.io/nvidia/cuda&tag=12.4.1-runtime-ubuntu22.04";
        var baseImage = Component(json, basePurl);
        Assert.AreEqual("container", baseImage.GetProperty("type").GetString());
        Assert.AreEqual(BaseDigest, baseImage.GetProperty("version").GetString());
    }

    [TestMethod]
    public void PackagesCarryPurlsVersionsAndLicences()
    {
        var json = CycloneDxWriter.Write(Sample());
        var onnx = Component(json, "pkg:nuget/Microsoft.ML.OnnxRuntime@1.20.1");
        Assert.AreEqual("MIT", onnx.GetProperty("licenses")[0].GetProperty("expression").GetString());
        var newtonsoft = Component(json, "pkg:nuget/Newtonsoft.Json@13.0.3");
        Assert.AreEqual("https://licenses.nuget.org/MIT", newtonsoft.GetProperty("licenses")[0].GetProperty("license").GetProperty("url").GetString());
        // PEP 503 names in the purl; the name as pip printed it stays the component's name.
        var typing = Component(json, "pkg:pypi/typing-extensions@4.12.2");
        Assert.AreEqual("Typing_Extensions", typing.GetProperty("name").GetString());
        // Debian versions keep their epoch and '+' percent-encoded; the package AiSystemPackages asked for says so.
        var perl = Component(json, "pkg:deb/debian/perl-base@1%3A5.36.0-7?arch=amd64&distro=debian-12");
        Assert.AreEqual("1:5.36.0-7", perl.GetProperty("version").GetString());
        var curl = Component(json, "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12");
        Assert.IsTrue(curl.GetProperty("properties").EnumerateArray().Any(p => p.GetProperty("name").GetString() == "ai.containers:requested-by" && p.GetProperty("value").GetString() == "AiSystemPackages"));
        var libc = Component(json, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12");
        Assert.IsFalse(libc.GetProperty("properties").EnumerateArray().Any(p => p.GetProperty("name").GetString() == "ai.containers:requested-by"));
    }

    [TestMethod]
    public void ModelsListSourceRevisionLicenceAndEveryFilesSha256()
    {
        var json = CycloneDxWriter.Write(Sample());
        var bert = Component(json, "pkg:huggingface/org/bert@0123456789abcdef0123456789abcdef01234567");
        Assert.AreEqual("machine-learning-model", bert.GetProperty("type").GetString());
        Assert.AreEqual("0123456789abcdef0123456789abcdef01234567", bert.GetProperty("version").GetString());
        Assert.AreEqual("apache-2.0", bert.GetProperty("licenses")[0].GetProperty("license").GetProperty("name").GetString());
        var files = bert.GetProperty("components").EnumerateArray().ToList();
        CollectionAssert.AreEqual(new[] { "config.json", "model.safetensors" }, files.Select(f => f.GetProperty("name").GetString()).ToArray());
        Assert.AreEqual(FileSha, files[1].GetProperty("hashes")[0].GetProperty("content").GetString());
        Assert.AreEqual("SHA-256", files[1].GetProperty("hashes")[0].GetProperty("alg").GetString());
        var local = Component(json, "model:local");
        Assert.IsFalse(local.TryGetProperty("purl", out _));
        Assert.IsFalse(local.TryGetProperty("version", out _));
    }

    [TestMethod]
    public void TheDocumentIsValidCycloneDx15AndTheCheckRejectsABrokenOne()
    {
        var folder = TestPaths.NewTempDirectory("sbom-schema");
        var good = Path.Combine(folder, "good.cdx.json");
        File.WriteAllText(good, CycloneDxWriter.Write(Sample()));
        var minimal = Path.Combine(folder, "minimal.cdx.json");
        File.WriteAllText(minimal, CycloneDxWriter.Write(Sample(created: null) with
        {
            Image = new SbomImage("acme/demo", "latest", null),
            Base = new SbomImage("docker.io/library/debian", "bookworm", null),
            NuGetPackages = Array.Empty<SbomPackage>(), PythonPackages = Array.Empty<SbomPackage>(), OsPackages = Array.Empty<SbomOsPackage>(),
            Models = Array.Empty<SbomModel>(), OsRelease = null, OsPackagesSource = null,
        }));
        SbomSchema.AssertValid("1.5", good, minimal);

        // The same check fails a document the schema forbids, so a pass above means something.
        var broken = Path.Combine(folder, "broken.cdx.json");
        File.WriteAllText(broken, File.ReadAllText(good).Replace("\"machine-learning-model\"", "\"model\"", StringComparison.Ordinal));
        Assert.IsNotNull(SbomSchema.Errors("1.5", broken).Single());
    }
}

[TestClass]
public sealed class SbomReaderTests
{
    [TestMethod]
    public void DpkgStatusListsInstalledPackagesOnly()
    {
        const string status = """
            Package: libc6
            Status: install ok installed
            Architecture: amd64
            Version: 2.36-9+deb12u4
            Description: GNU C Library
             continuation: not a field

            Package: removed-one
            Status: deinstall ok config-files
            Version: 1.0

            Package: curl
            Status: install ok installed
            Architecture: amd64
            Version: 7.88.1-10+deb12u5
            """;
        var packages = DpkgStatusReader.Parse(status, new[] { "curl" });
        CollectionAssert.AreEqual(new[] { "libc6", "curl" }, packages.Select(p => p.Name).ToArray());
        Assert.IsTrue(packages.Single(p => p.Name == "curl").Requested);
        Assert.IsFalse(packages.Single(p => p.Name == "libc6").Requested);
        Assert.AreEqual("2.36-9+deb12u4", packages[0].Version);
        Assert.AreEqual(new SbomOsRelease("ubuntu", "22.04"), DpkgStatusReader.ParseOsRelease("NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"22.04\"\n"));
    }

    [TestMethod]
    public void PipListJsonGivesNamesAndVersions()
    {
        var packages = PipListReader.Parse("""[{"name": "numpy", "version": "1.26.4"}, {"name": "pip", "version": "23.0.1"}]""");
        CollectionAssert.AreEqual(new[] { new SbomPackage("numpy", "1.26.4"), new SbomPackage("pip", "23.0.1") }, packages.ToArray());
        Assert.ThrowsExactly<JsonException>(() => PipListReader.Parse("""{"name": "numpy"}"""));
    }

    [TestMethod]
    public void RestoreAssetsGivePackagesWithTheirNuspecLicences()
    {
        var folder = TestPaths.NewTempDirectory("sbom-assets");
        var packages = Path.Combine(folder, "packages") + "/";
        Directory.CreateDirectory(Path.Combine(packages, "acme.expression", "1.0.0"));
        File.WriteAllText(Path.Combine(packages, "acme.expression", "1.0.0", "acme.expression.nuspec"),
            """<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>Acme.Expression</id><version>1.0.0</version><license type="expression">Apache-2.0 OR MIT</license><licenseUrl>https://licenses.nuget.org/Apache-2.0%20OR%20MIT</licenseUrl></metadata></package>""");
        Directory.CreateDirectory(Path.Combine(packages, "acme.url", "2.0.0"));
        File.WriteAllText(Path.Combine(packages, "acme.url", "2.0.0", "acme.url.nuspec"),
            """<?xml version="1.0"?><package><metadata><id>Acme.Url</id><version>2.0.0</version><licenseUrl>https://example.com/LICENSE</licenseUrl></metadata></package>""");
        var assets = Path.Combine(folder, "project.assets.json");
        File.WriteAllText(assets, $$"""
            {
              "version": 3,
              "libraries": {
                "Acme.Expression/1.0.0": { "type": "package", "path": "acme.expression/1.0.0" },
                "Acme.Url/2.0.0": { "type": "package", "path": "acme.url/2.0.0" },
                "Acme.NotDownloaded/3.0.0": { "type": "package", "path": "acme.notdownloaded/3.0.0" },
                "Sibling/1.0.0": { "type": "project", "path": "../Sibling/Sibling.csproj" }
              },
              "packageFolders": { "{{packages}}": {} }
            }
            """);
        var read = NuGetAssetsReader.Read(assets).ToDictionary(p => p.Name);
        CollectionAssert.AreEquivalent(new[] { "Acme.Expression", "Acme.Url", "Acme.NotDownloaded" }, read.Keys.ToArray(), "project references are the app, not a package");
        Assert.AreEqual("Apache-2.0 OR MIT", read["Acme.Expression"].License!.Expression);
        Assert.AreEqual("https://example.com/LICENSE", read["Acme.Url"].License!.Url);
        Assert.IsNull(read["Acme.NotDownloaded"].License);

        File.WriteAllText(assets, "{ not json");
        var error = Assert.ThrowsExactly<AiContainers.Core.Diagnostics.AiException>(() => NuGetAssetsReader.Read(assets));
        Assert.AreEqual("AIC7100", error.Code);
    }
}

[TestClass]
public sealed class ProvenanceLabelTests
{
    private static Dictionary<string, string> Labels(AiImageSpec spec) => ImageLabels.For(spec).ToDictionary(l => l.Name, l => l.Value);

    [TestMethod]
    public void ABuiltImageNamesItsBuilderItsSbomAndItsLockFile()
    {
        const string lockDigest = "sha256:4444444444444444444444444444444444444444444444444444444444444444";
        var spec = Inputs.Spec(Inputs.WebApp().Set("AiImageBuilder", "Daemonless").Set("RepositoryUrl", "https://github.com/acme/demo")
            .Set("SourceRevisionId", "abc123").Set(ProvenanceSpec.LockFileDigestProperty, lockDigest));
        var labels = Labels(spec);
        Assert.AreEqual("AiContainers 0.1.0 Daemonless", labels["ai.containers.builder"]);
        Assert.AreEqual("application/vnd.cyclonedx+json; version=1.5", labels["ai.containers.sbom"]);
        Assert.AreEqual(lockDigest, labels["ai.containers.lock.digest"]);
        Assert.AreEqual("https://github.com/acme/demo", labels["org.opencontainers.image.source"]);
        Assert.AreEqual("abc123", labels["org.opencontainers.image.revision"]);
    }

    [TestMethod]
    public void NoSbomLabelWithAiSbomFalseAndNoBuilderLabelWhenNothingIsBuilt()
    {
        var off = Labels(Inputs.Spec(Inputs.WebApp().Set("AiImageBuilder", "Daemonless").Set("AiSbom", "false")));
        Assert.IsFalse(off.ContainsKey("ai.containers.sbom"));
        Assert.IsTrue(off.ContainsKey("ai.containers.builder"));
        var none = Labels(Inputs.Spec(Inputs.WebApp().Set("AiImageBuilder", "None")));
        Assert.IsFalse(none.ContainsKey("ai.containers.builder"));
        Assert.IsFalse(none.ContainsKey("ai.containers.sbom"));
        Assert.IsFalse(none.ContainsKey("ai.containers.lock.digest"), "no lock file, no digest");
        var result = AiImageSpecMapper.Map(Inputs.WebApp().Set("AiSbom", "maybe"));
        Assert.IsTrue(result.Diagnostics.Any(d => d.Code == "AIC1002" && d.Message.Contains("AiSbom")));
    }
}
