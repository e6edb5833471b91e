using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// ContainerRuntimeIdentifiers end to end, like a user: the packed SDK publishes a self-contained console
/// app once per RID, the daemonless builder pushes one image per platform on the CUDA stand-in's matching
/// manifest (an index with amd64 and arm64, made by build/standins.sh without emulation; NO CUDA inside)
/// and one index under the tag. Checked with real clients: skopeo reads the index and the arm64 config,
/// the layers' ELF headers say which CPU the apphost and the probe are for, and the Docker engine pulls
/// and runs the amd64 image. Nothing arm64 is run (no emulation).
/// </summary>
[TestClass]
public sealed class MultiPlatformEndToEndTests
{
    private const ushort ElfMachineX64 = 62;
    private const ushort ElfMachineAarch64 = 183;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(2) };

    private static string[] Properties(params string[] more)
        => new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiBuildNetwork=host", "ContainerRegistry=" + EngineEnvironment.Registry }.Concat(more).ToArray();

    private static SdkProject App(string name, string repository, string extraProperties = "")
        => SdkProject.ConsoleApp(name, $"""
            <AiCudaVersion>12.4</AiCudaVersion>
            <ContainerRepository>{repository}</ContainerRepository>
            <ContainerImageTag>1.0.0</ContainerImageTag>
            <AiHealthCheckPath>/health</AiHealthCheckPath>
            {extraProperties}
            """, """<ContainerPort Include="8080" />""");

    [TestMethod]
    public async Task Two_runtime_identifiers_push_one_index_whose_arm64_image_holds_aarch64_binaries()
    {
        EngineEnvironment.Require();
        var repository = "aic-tests/multiarch-" + Guid.NewGuid().ToString("N")[..8];
        var project = App("MultiArch", repository);
        // MSBuild's -p: splits an unquoted value on ',' and ';': quoted, either separator passes.
        var publish = project.Publish(Properties("ContainerRuntimeIdentifiers=\"linux-x64,linux-arm64\""));
        Assert.AreEqual(0, publish.ExitCode, publish.Output);
        StringAssert.Contains(publish.Output, "by the Daemonless builder (Auto: ContainerRuntimeIdentifiers names 2 platforms (linux-x64, linux-arm64))");
        Assert.IsTrue(Directory.Exists(Path.Combine(project.OutputDirectory, "platforms", "linux-arm64", "app")), "the arm64 context sits under platforms/");
        var reference = $"docker://{EngineEnvironment.Registry}/{repository}:1.0.0";

        // One index (Docker manifest list, the default format) with both platforms.
        var raw = EngineEnvironment.Skopeo("inspect", "--tls-verify=false", "--raw", reference);
        Assert.AreEqual(0, raw.ExitCode, raw.Output);
        var index = JsonNode.Parse(raw.StandardOutput)!;
        Assert.AreEqual("application/vnd.docker.distribution.manifest.list.v2+json", (string?)index["mediaType"]);
        var platforms = index["manifests"]!.AsArray().Select(m => $"{m!["platform"]!["os"]}/{m["platform"]!["architecture"]}").Order().ToList();
        CollectionAssert.AreEqual(new[] { "linux/amd64", "linux/arm64" }, platforms);

        // skopeo picks the arm64 image from the index; its config says arm64 and keeps the Healthcheck.
        var config = EngineEnvironment.Skopeo("inspect", "--tls-verify=false", "--override-arch", "arm64", "--config", "--raw", reference);
        Assert.AreEqual(0, config.ExitCode, config.Output);
        var configJson = JsonNode.Parse(config.StandardOutput)!;
        Assert.AreEqual("arm64", (string?)configJson["architecture"]);
        StringAssert.Contains(configJson["config"]!["Healthcheck"]!.ToJsonString(), "aic-healthcheck");

        // The apphost and the probe in each image are ELF files for that image's CPU.
        var arm64 = await FilesAsync(repository, index, "arm64", "app/MultiArch", "usr/local/bin/aic-healthcheck");
        Assert.AreEqual(ElfMachineAarch64, ElfMachine(arm64["app/MultiArch"]), "the arm64 apphost is an aarch64 ELF");
        Assert.AreEqual(ElfMachineAarch64, ElfMachine(arm64["usr/local/bin/aic-healthcheck"]), "the arm64 probe is an aarch64 ELF");
        var amd64 = await FilesAsync(repository, index, "amd64", "app/MultiArch", "usr/local/bin/aic-healthcheck");
        Assert.AreEqual(ElfMachineX64, ElfMachine(amd64["app/MultiArch"]), "the amd64 apphost is an x86-64 ELF");
        Assert.AreEqual(ElfMachineX64, ElfMachine(amd64["usr/local/bin/aic-healthcheck"]), "the amd64 probe is an x86-64 ELF");

        // The engine resolves the index to amd64 and runs the app.
        var image = $"{EngineEnvironment.Registry}/{repository}:1.0.0";
        var pull = EngineEnvironment.Docker("pull", image);
        Assert.AreEqual(0, pull.ExitCode, pull.Output);
        try
        {
            var run = EngineEnvironment.Docker("run", "--rm", "--network", "host", image, "multi", "platform");
            Assert.AreEqual(0, run.ExitCode, run.Output);
            StringAssert.Contains(run.Output, "hello from multi platform");
        }
        finally { EngineEnvironment.Docker("rmi", image); }
    }

    [TestMethod]
    public void A_base_without_arm64_fails_naming_the_platform_and_listing_the_base_platforms_before_pushing()
    {
        EngineEnvironment.Require();
        var repository = "aic-tests/multiarch-missing-" + Guid.NewGuid().ToString("N")[..8];
        // The cuDNN stand-in is amd64 only.
        var project = App("MultiArchMissing", repository, "<AiCudnnVersion>9</AiCudnnVersion>");
        var publish = project.Publish(Properties("ContainerRuntimeIdentifiers=linux-x64%3Blinux-arm64"));
        var error = Diagnostics.AssertSingleError(publish, "AIC6176", "ContainerRuntimeIdentifiers");
        StringAssert.Contains(error.Text, "has no image for linux/arm64");
        StringAssert.Contains(error.Text, "it offers: linux/amd64");
        var tags = ProcessRunner.Run("curl", new[] { "-s", "-o", "/dev/null", "-w", "%{http_code}", $"http://{EngineEnvironment.Registry}/v2/{repository}/tags/list" });
        Assert.AreEqual("404", tags.StandardOutput.Trim(), "nothing was pushed");
    }

    [TestMethod]
    public void The_docker_builder_with_two_runtime_identifiers_points_to_daemonless()
    {
        var project = App("MultiArchDocker", "aic-tests/multiarch-docker");
        var publish = project.Publish(new[] { "ContainerRuntimeIdentifiers=\"linux-x64,linux-arm64\"", "AiImageBuilder=Docker" },
            new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" });
        var error = Diagnostics.AssertSingleError(publish, "AIC6173", "AiImageBuilder=Daemonless");
        StringAssert.Contains(error.Text, "linux-x64, linux-arm64");
        Diagnostics.AssertNone(publish, "AIC3001", "the spec fails before the engine is asked");
    }

    /// <summary>The files at <paramref name="paths"/> (first bytes), found in the layers of the index's <paramref name="architecture"/> image.</summary>
    private static async Task<Dictionary<string, byte[]>> FilesAsync(string repository, JsonNode index, string architecture, params string[] paths)
    {
        var digest = (string)index["manifests"]!.AsArray().Single(m => (string?)m!["platform"]!["architecture"] == architecture)!["digest"]!;
        var manifest = JsonNode.Parse(await GetAsync($"v2/{repository}/manifests/{digest}", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"))!;
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        // Our layers come last; read from the top so the base's layers are rarely opened.
        foreach (var layer in manifest["layers"]!.AsArray().Reverse())
        {
            var mediaType = (string)layer!["mediaType"]!;
            using var response = await Http.GetAsync($"http://{EngineEnvironment.Registry}/v2/{repository}/blobs/{(string)layer["digest"]!}", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await using var blob = await response.Content.ReadAsStreamAsync();
            await using var tarStream = mediaType.EndsWith("gzip", StringComparison.Ordinal) ? new GZipStream(blob, CompressionMode.Decompress) : blob;
            using var tar = new TarReader(tarStream);
            while (await tar.GetNextEntryAsync() is { } entry)
            {
                var name = entry.Name.TrimStart('.', '/');
                if (!paths.Contains(name) || found.ContainsKey(name) || entry.DataStream is null) continue;
                var head = new byte[64];
                await entry.DataStream.ReadExactlyAsync(head);
                found[name] = head;
            }
            if (found.Count == paths.Length) break;
        }
        foreach (var path in paths) Assert.IsTrue(found.ContainsKey(path), $"{path} is in the {architecture} image");
        return found;
    }

    private static async Task<string> GetAsync(string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{EngineEnvironment.Registry}/{path}");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>e_machine of an ELF header (little-endian, offset 18), after checking the magic.</summary>
    private static ushort ElfMachine(byte[] head)
    {
        Assert.IsTrue(head is [0x7F, (byte)'E', (byte)'L', (byte)'F', ..], "an ELF file");
        return BitConverter.ToUInt16(head, 18);
    }
}
