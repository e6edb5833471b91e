using System.Text.RegularExpressions;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;
using AiContainers.Tests.Python;

namespace AiContainers.Tests.Docs;

/// <summary>
/// Every property and item type the README's property table documents reaches the spec: the targets pass it to
/// ResolveAiImageSpec (an <c>_AiProperty</c> or <c>_AiInputItem</c> line of AiContainers.Sdk.targets), and the mapper
/// reads it, shown by behaviour: setting it to a sample value changes the serialized spec. The few properties that are
/// not image facts (they drive targets, or a later task: caches, the build network) are listed with where they are read,
/// and must appear there. A documented property without a sample here fails, so a new row needs its proof.
/// </summary>
[TestClass]
public sealed class ReadmePropertiesReachSpecTests
{
    private static string Targets => File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "sdk", "AiContainers.Sdk", "build", "AiContainers.Sdk.targets"));

    private static string BuildFiles => string.Concat(Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "sdk", "AiContainers.Sdk"), "*.*", SearchOption.AllDirectories)
        .Where(f => f.EndsWith(".props", StringComparison.Ordinal) || f.EndsWith(".targets", StringComparison.Ordinal))
        .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
        .Select(File.ReadAllText));

    /// <summary>Documented properties that are no fact of the image: read by the build files themselves, or by another task.</summary>
    private static readonly Dictionary<string, string> NotImageFacts = new()
    {
        ["PublishAiImage"] = "runs the image targets after Publish",
        ["AiLayerCacheDirectory"] = "passed to BuildAiImage (the daemonless layer cache)",
        ["AiStartupWarmUp"] = "the condition of the warm-up target (_AiWarmUpImageSteps)",
        ["AiBuildNetwork"] = "passed to BuildAiImage (the network of RUN steps)",
        ["AiModelCacheDirectory"] = "passed to FetchAiModels (the host model cache)",
        ["AiBeforePublishAiImageTargets"] = "targets run before the image steps",
        ["AiAfterPublishAiImageTargets"] = "targets run after the image steps",
        ["CustomBeforeAiContainersProps"] = "a file the props import",
        ["CustomAfterAiContainersTargets"] = "a file the targets import",
        ["AiContainersTaskAssembly"] = "the task assembly the targets load",
    };

    private static ProjectInputs Dotnet() => Inputs.WebApp();
    private static ProjectInputs Python() => PythonInputs.Standalone().Set("AiCommand", "python train.py");
    private static ProjectInputs TorchServe() => PythonInputs.TorchServe();
    private static ProjectInputs Health() => Inputs.WebApp().Set("AiHealthCheckPath", "/health");
    private static ProjectInputs Training() => Inputs.WebApp().Set("AiWorkload", "Training");

    /// <summary>Per documented name: a baseline project and the change that sets it to a distinctive valid value.</summary>
    private static readonly Dictionary<string, (Func<ProjectInputs> Baseline, Action<ProjectInputs> Change)> Samples = new()
    {
        ["AiImageBuilder"] = (Dotnet, i => i.Set("AiImageBuilder", "Docker")),
        ["AiLockMode"] = (Dotnet, i => i.Set("AiLockMode", "Locked")),
        ["AiLockFile"] = (Dotnet, i => i.Set("AiLockFile", "locks/gpu.lock.json")),
        ["AiSbom"] = (Dotnet, i => i.Set("AiSbom", "false")),
        ["RepositoryUrl"] = (Dotnet, i => i.Set("RepositoryUrl", "https://github.com/acme/app")),
        ["SourceRevisionId"] = (Dotnet, i => i.Set("SourceRevisionId", "0123456789abcdef0123456789abcdef01234567")),
        ["AiImageOutputPath"] = (Dotnet, i => i.Set("AiImageOutputPath", "/src/Demo/out/image/")),
        ["ContainerRegistry"] = (Dotnet, i => i.Set("ContainerRegistry", "registry.example.com")),
        ["ContainerRepository"] = (Dotnet, i => i.Set("ContainerRepository", "acme/other")),
        ["ContainerImageTag"] = (Dotnet, i => i.Set("ContainerImageTag", "9.9.9")),
        ["ContainerImageTags"] = (Dotnet, i => i.Set("ContainerImageTags", "9.9.9;stable")),
        ["AiImagePush"] = (() => Dotnet().Set("ContainerRegistry", "registry.example.com"), i => i.Set("AiImagePush", "false")),
        ["ContainerImageFormat"] = (Dotnet, i => i.Set("ContainerImageFormat", "OCI")),
        ["ContainerArchiveOutputPath"] = (Dotnet, i => i.Set("ContainerArchiveOutputPath", "/tmp/demo.tar")),
        ["ContainerRuntimeIdentifiers"] = (Dotnet, i => i.Set("ContainerRuntimeIdentifiers", "linux-x64;linux-arm64")
            .Add("_AiRuntimeIdentifierPublish", "linux-x64", ("PublishDir", "/src/Demo/bin/Release/net10.0/linux-x64/publish/"))
            .Add("_AiRuntimeIdentifierPublish", "linux-arm64", ("PublishDir", "/src/Demo/bin/Release/net10.0/linux-arm64/publish/"))),
        ["AiBaseImage"] = (Dotnet, i => i.Set("AiBaseImage", "nvidia/cuda:12.4.1-runtime-ubuntu22.04")),
        ["AiCudaVersion"] = (Dotnet, i => i.Set("AiCudaVersion", "12.4")),
        ["AiCudnnVersion"] = (Dotnet, i => i.Set("AiCudnnVersion", "9")),
        ["AiCudaFlavor"] = (Dotnet, i => i.Set("AiCudaFlavor", "devel")),
        ["AiBaseOs"] = (Dotnet, i => i.Set("AiBaseOs", "ubuntu22.04")),
        ["AiGpu"] = (Dotnet, i => i.Set("AiGpu", "false")),
        ["AiMinDriverVersion"] = (Dotnet, i => i.Set("AiMinDriverVersion", "570.86.10")),
        ["AiRegistryMirror"] = (Dotnet, i => i.Set("AiRegistryMirror", "docker.io=mirror.example.com/hub")),
        ["AiDotnetRuntimeImage"] = (() => Dotnet().Set("SelfContained", "false"), i => i.Set("AiDotnetRuntimeImage", "mcr.microsoft.com/dotnet/aspnet:10.0-noble")),
        ["SelfContained"] = (Dotnet, i => i.Set("SelfContained", "false")),
        ["RuntimeIdentifier"] = (Dotnet, i => i.Set("RuntimeIdentifier", "linux-arm64").Set("AiHealthCheckCommand", "/app/probe")),
        ["ContainerUser"] = (Dotnet, i => i.Set("ContainerUser", "1000:1000")),
        ["ContainerWorkingDirectory"] = (Dotnet, i => i.Set("ContainerWorkingDirectory", "/srv/app")),
        ["ContainerPort"] = (Dotnet, i => i.Add("ContainerPort", "9000")),
        ["ContainerEnvironmentVariable"] = (Dotnet, i => i.Add("ContainerEnvironmentVariable", "LOG_LEVEL", ("Value", "info"))),
        ["ContainerLabel"] = (Dotnet, i => i.Add("ContainerLabel", "com.acme.team", ("Value", "vision"))),
        ["ContainerTitle"] = (Dotnet, i => i.Set("ContainerTitle", "Sentiment API")),
        ["AiHealthCheckPath"] = (Dotnet, i => i.Set("AiHealthCheckPath", "/health")),
        ["AiHealthCheckPort"] = (() => Health().Add("ContainerPort", "8081").Add("ContainerPort", "8082"), i => i.Set("AiHealthCheckPort", "8082")),
        ["AiHealthCheckInterval"] = (Health, i => i.Set("AiHealthCheckInterval", "10s")),
        ["AiHealthCheckTimeout"] = (Health, i => i.Set("AiHealthCheckTimeout", "7s")),
        ["AiHealthCheckStartPeriod"] = (Health, i => i.Set("AiHealthCheckStartPeriod", "20s")),
        ["AiHealthCheckRetries"] = (Health, i => i.Set("AiHealthCheckRetries", "5")),
        ["AiHealthCheckCommand"] = (Health, i => i.Set("AiHealthCheckCommand", "/app/probe --ready")),
        ["AiGpuCount"] = (Dotnet, i => i.Set("AiGpuCount", "2")),
        ["AiGpuDevices"] = (Dotnet, i => i.Set("AiGpuDevices", "0,1")),
        ["AiGpuCapabilities"] = (Dotnet, i => i.Set("AiGpuCapabilities", "compute,utility,video")),
        ["AiShmSize"] = (Dotnet, i => i.Set("AiShmSize", "2g")),
        ["AiMemoryLimit"] = (Dotnet, i => i.Set("AiMemoryLimit", "16g")),
        ["AiMemorySwap"] = (() => Dotnet().Set("AiMemoryLimit", "16g"), i => i.Set("AiMemorySwap", "-1")),
        ["AiCpuLimit"] = (Dotnet, i => i.Set("AiCpuLimit", "4")),
        ["AiSystemPackages"] = (Dotnet, i => i.Add("AiSystemPackages", "libgomp1")),
        ["AiRunCommand"] = (Dotnet, i => i.Add("AiRunCommand", "mkdir -p /data")),
        ["AiCommand"] = (Dotnet, i => i.Set("AiCommand", "python train.py --epochs 3")),
        ["AiImageCreated"] = (Dotnet, i => i.Set("AiImageCreated", "2026-01-01T00:00:00Z")),
        ["AiPythonVersion"] = (Python, i => i.Set("AiPythonVersion", "3.10")),
        ["AiPythonRequirements"] = (Python, i => i.Set("AiPythonRequirements", "requirements.txt")),
        ["AiPythonWheelDirectory"] = (Python, i => i.Set("AiPythonWheelDirectory", "wheels")),
        ["AiPythonPackages"] = (Python, i => i.Add("AiPythonPackages", "numpy==1.26.4")),
        ["AiPythonBuildPackages"] = (Python, i => i.Add("AiPythonBuildPackages", "build-essential")),
        ["AiPythonSystemSitePackages"] = (Python, i => i.Set("AiPythonSystemSitePackages", "true")),
        ["AiAppInclude"] = (Python, i => i.Add("AiAppInclude", "*.py")),
        ["AiAppExclude"] = (Python, i => i.Add("AiAppExclude", "data/")),
        ["AiServingRuntime"] = (Python, i => i.Set("AiServingRuntime", "TorchServe").Add("AiServedModel", "model-store/echo.mar")),
        ["AiServedModel"] = (TorchServe, i => i.Add("AiServedModel", "model-store/other.mar")),
        ["AiTorchServeConfig"] = (TorchServe, i => i.Set("AiTorchServeConfig", "config.properties")),
        ["AiModel"] = (Dotnet, i => i.Add("AiModel", "bert", ("Source", "hf://org/bert"))),
        ["AiModelMaxDownloadSize"] = (Dotnet, i => i.Set("AiModelMaxDownloadSize", "128GiB")),
        ["AiModelStallTimeout"] = (Dotnet, i => i.Set("AiModelStallTimeout", "300")),
        ["AiAllowFilesOutsideProject"] = (Dotnet, i => i.Set("AiAllowFilesOutsideProject", "true")),
        ["AiVolume"] = (Dotnet, i => i.Add("AiVolume", "/srv/models", ("ContainerPath", "/models"))),
        ["AiLogMaxSize"] = (Dotnet, i => i.Set("AiLogMaxSize", "10m")),
        ["AiLogMaxFiles"] = (() => Dotnet().Set("AiLogMaxSize", "10m"), i => i.Set("AiLogMaxFiles", "3")),
        ["AiComposeService"] = (Dotnet, i => i.Add("AiComposeService", "postgres")),
        ["AiWorkload"] = (Dotnet, i => i.Set("AiWorkload", "Training")),
        ["AiDistributedNodes"] = (Training, i => i.Set("AiDistributedNodes", "2")),
        ["AiDistributedProcsPerNode"] = (Training, i => i.Set("AiDistributedProcsPerNode", "4")),
        ["AiDistributedMasterPort"] = (Training, i => i.Set("AiDistributedMasterPort", "23456")),
        ["AiKubernetesNamespace"] = (Dotnet, i => i.Set("AiKubernetesNamespace", "ml-serving")),
        ["AiReplicas"] = (Dotnet, i => i.Set("AiReplicas", "3")),
        ["AiMetricsPort"] = (() => Dotnet().Add("ContainerPort", "9100"), i => i.Set("AiMetricsPort", "9100")),
        ["AiMetricsPath"] = (Dotnet, i => i.Set("AiMetricsPath", "/metrics/prometheus")),
        ["AiKubeflow"] = (Training, i => i.Set("AiKubeflow", "true")),
    };

    /// <summary>The names in the first column of the README's property table, and whether the row is about items.</summary>
    private static IReadOnlyList<(string Name, bool IsItem)> DocumentedNames()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")).Replace("\r\n", "\n");
        var start = readme.IndexOf("\n## Properties\n", StringComparison.Ordinal);
        Assert.IsTrue(start >= 0, "README.md has a Properties section");
        var table = start + readme[start..].IndexOf("\n| property |", StringComparison.Ordinal) + 1;
        var names = new List<(string, bool)>();
        // The first table of the section, up to its first line that is no table row (the environment variables follow).
        foreach (var line in readme[table..].Split('\n').Skip(2).TakeWhile(l => l.StartsWith('|')))
        {
            var cell = line.Split('|')[1];
            var isItem = cell.TrimEnd().EndsWith("items", StringComparison.Ordinal);
            foreach (Match m in Regex.Matches(cell, "`([A-Za-z_][A-Za-z0-9_]*)`")) names.Add((m.Groups[1].Value, isItem));
        }
        Assert.IsTrue(names.Count > 50, $"the table was parsed: {names.Count} names");
        return names;
    }

    [TestMethod]
    public void Every_documented_property_is_passed_by_the_targets_and_changes_the_spec()
    {
        var targets = Targets;
        var buildFiles = BuildFiles;
        var problems = new List<string>();
        foreach (var (name, isItem) in DocumentedNames())
        {
            if (NotImageFacts.TryGetValue(name, out var where))
            {
                if (!buildFiles.Contains("$(" + name + ")", StringComparison.Ordinal) && !buildFiles.Contains("@(" + name + ")", StringComparison.Ordinal))
                    problems.Add($"{name}: documented as {where}, but no build file reads $({name})");
                continue;
            }
            var passed = isItem
                ? targets.Contains($"<_AiInputItem Include=\"@({name})\"", StringComparison.Ordinal)
                : targets.Contains($"<_AiProperty Include=\"{name}\"", StringComparison.Ordinal);
            if (!passed) problems.Add($"{name}: AiContainers.Sdk.targets does not pass it to ResolveAiImageSpec ({(isItem ? "_AiInputItem" : "_AiProperty")})");

            if (!Samples.TryGetValue(name, out var sample))
            {
                problems.Add($"{name}: documented but has no sample value in {nameof(ReadmePropertiesReachSpecTests)}.{nameof(Samples)}");
                continue;
            }
            var before = Serialized(sample.Baseline(), name, "baseline", problems);
            var changed = sample.Baseline();
            sample.Change(changed);
            var after = Serialized(changed, name, "with it set", problems);
            if (before is not null && after is not null && before == after)
                problems.Add($"{name}: setting it leaves the spec unchanged, so the mapper does not read it");
        }
        Assert.AreEqual(0, problems.Count, "\n" + string.Join("\n", problems));
    }

    [TestMethod]
    public void Every_sample_is_a_documented_property()
    {
        var documented = DocumentedNames().Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var stale = Samples.Keys.Concat(NotImageFacts.Keys).Where(k => !documented.Contains(k)).ToList();
        Assert.AreEqual(0, stale.Count, "samples for names the README no longer documents: " + string.Join(", ", stale));
    }

    private static string? Serialized(ProjectInputs input, string name, string what, List<string> problems)
    {
        var result = AiImageSpecMapper.Map(input);
        if (result.Spec is { } spec) return AiImageSpecJson.Serialize(spec);
        problems.Add($"{name} ({what}): the sample does not map: " + string.Join(" | ", result.Diagnostics.Where(d => d.IsError)));
        return null;
    }
}
