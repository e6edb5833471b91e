using AiContainers.Core.Deploy;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Deploy;

/// <summary>The projects the deploy tests generate files for; each has a golden folder Golden/deploy-&lt;name&gt;/.</summary>
internal static class DeployCases
{
    /// <summary>A value with spaces, both quote kinds and a '$', which every format must carry through unchanged.</summary>
    public const string AwkwardValue = "it's a \"quoted\" $HOME value";

    public static readonly IReadOnlyDictionary<string, Func<ProjectInputs>> All = new Dictionary<string, Func<ProjectInputs>>
    {
        ["service-all-gpus"] = () => Inputs.WebApp()
            .Set("AiCudaVersion", "12.4")
            .Set("AiGpuCount", "all")
            .Add("ContainerPort", "8080")
            .Set("AiHealthCheckPath", "/health")
            .Add("ContainerEnvironmentVariable", "LOG_LEVEL", ("Value", "info")),

        ["devices-limits"] = () => Inputs.WebApp()
            .Set("AiCudaVersion", "12.4")
            .Set("ContainerRegistry", "ghcr.io")
            .Set("ContainerImageTags", "1.2.0;latest")
            .Set("AiGpuDevices", "0,1")
            .Set("AiShmSize", "2g")
            .Set("AiMemoryLimit", "16g")
            .Set("AiMemorySwap", "24g")
            .Set("AiCpuLimit", "4")
            .Add("ContainerPort", "8080")
            .Add("ContainerPort", "5353", ("Type", "udp"))
            .Set("AiHealthCheckPath", "/health")
            .Set("AiHealthCheckInterval", "10s")
            .Set("AiHealthCheckStartPeriod", "1m")
            .Add("AiVolume", "/srv/models", ("ContainerPath", "/models"), ("ReadOnly", "true"))
            .Add("AiVolume", "hf-cache", ("ContainerPath", "/home/app/.cache/huggingface"))
            .Set("AiLogMaxSize", "10m")
            .Set("AiLogMaxFiles", "3")
            .Add("ContainerEnvironmentVariable", "GREETING", ("Value", AwkwardValue))
            .Set("AiKubernetesNamespace", "ml-serving")
            .Set("AiReplicas", "2")
            .Set("AiMetricsPort", "9100"),

        ["cpu-only"] = () => Inputs.WebApp()
            .Set("AiGpu", "false")
            .Add("ContainerPort", "8080")
            .Set("AiMemoryLimit", "512m")
            .Set("AiCpuLimit", "1.5"),

        ["training"] = () => Inputs.WebApp()
            .Set("UsingMicrosoftNETSdkWeb", "false")
            .Set("ContainerRepository", "acme/trainer")
            .Set("AiCudaVersion", "12.4")
            .Set("AiCommand", "python train.py --epochs 3 --out '/data/run 1'")
            .Set("AiWorkload", "Training")
            .Set("AiDistributedNodes", "2")
            .Set("AiDistributedProcsPerNode", "4")
            .Set("AiGpuCount", "4")
            .Set("AiShmSize", "16g")
            .Set("AiKubeflow", "true")
            .Add("AiVolume", "datasets", ("ContainerPath", "/data")),

        ["compose-companions"] = () => Inputs.WebApp()
            .Set("AiCudaVersion", "12.4")
            .Add("ContainerPort", "8080")
            .Set("AiHealthCheckPath", "/health")
            .Add("AiComposeService", "postgres", ("Version", "16"))
            .Add("AiComposeService", "prometheus")
            .Add("AiComposeService", "grafana")
            .Set("AiMetricsPath", "/metrics/prometheus"),
    };

    public static IEnumerable<object[]> Names => All.Keys.Select(k => new object[] { k });

    public static (AiImageSpec Spec, DeploySpec Deploy, IReadOnlyList<AiDiagnostic> Diagnostics) Map(ProjectInputs input)
    {
        var spec = Inputs.Spec(input);
        var bag = new DiagnosticBag();
        var deploy = DeploySpecMapper.Map(input, bag);
        if (bag.HasErrors) throw new InvalidOperationException("Deploy mapping failed: " + string.Join(" | ", bag.Items));
        return (spec, deploy, bag.Items);
    }

    public static (AiImageSpec Spec, DeploySpec Deploy) Case(string name)
    {
        var (spec, deploy, _) = Map(All[name]());
        return (spec, deploy);
    }

    public static IReadOnlyList<GeneratedFile> Files(string name)
    {
        var (spec, deploy) = Case(name);
        return DeployFilesGenerator.Generate(spec, deploy);
    }

    public static string File(string caseName, string path)
        => Files(caseName).Single(f => f.RelativePath == path).Content;

    /// <summary>Writes a case's files into a fresh folder, as BuildContextWriter would beside the Dockerfile.</summary>
    public static string WriteToTemp(string caseName)
    {
        var dir = TestPaths.NewTempDirectory("deploy-" + caseName);
        foreach (var file in Files(caseName))
        {
            var path = Path.Combine(dir, file.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllText(path, file.Content);
            if (file.Executable && !OperatingSystem.IsWindows()) System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return dir;
    }
}
