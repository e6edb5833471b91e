namespace AiContainers.Core.Deploy;

/// <summary>What the deploy files run: a long-lived service, or a (possibly distributed) training job.</summary>
public enum AiWorkloadKind { Service, Training }

/// <summary>
/// How the image is run, beside what it is (<see cref="Spec.AiImageSpec"/>): volumes, log limits,
/// companion compose services, the Kubernetes shape and distributed training. Mapped from the
/// project by <see cref="DeploySpecMapper"/>; read only by the deploy generators.
/// </summary>
public sealed record DeploySpec(
    IReadOnlyList<VolumeSpec> Volumes,
    string? LogMaxSize,
    int? LogMaxFiles,
    IReadOnlyList<ComposeServiceSpec> ComposeServices,
    AiWorkloadKind Workload,
    DistributedSpec Distributed,
    string? KubernetesNamespace,
    int Replicas,
    int? MetricsPort,
    string MetricsPath,
    bool Kubeflow)
{
    public const int DefaultMasterPort = 29500;
    public const string DefaultMetricsPath = "/metrics";

    /// <summary>What a project that sets none of the deploy properties gets.</summary>
    public static DeploySpec Default { get; } = new(
        Array.Empty<VolumeSpec>(), null, null, Array.Empty<ComposeServiceSpec>(), AiWorkloadKind.Service,
        new DistributedSpec(1, DistributedSpec.ProcsPerGpu, DefaultMasterPort), null, 1, null, DefaultMetricsPath, false);

    public bool HasCompanion(string name) => ComposeServices.Any(s => s.Name == name);
}

/// <summary>
/// An <c>AiVolume</c> item: <see cref="Source"/> is an absolute host path (bind mount, hostPath) or a
/// volume name (named volume, PersistentVolumeClaim of that name); <see cref="Target"/> the path in the container.
/// </summary>
public sealed record VolumeSpec(string Source, string Target, bool ReadOnly)
{
    public bool IsHostPath => Source.StartsWith('/');
}

/// <summary>An <c>AiComposeService</c> item: a known companion (see <see cref="ComposeCompanions"/>) and its image tag.</summary>
public sealed record ComposeServiceSpec(string Name, string Version);

/// <summary>
/// torchrun's shape: <see cref="Nodes"/> pods, <see cref="ProcsPerNode"/> processes in each (a number, or
/// <c>gpu</c> for one per visible GPU), rendezvous on <see cref="MasterPort"/> of rank 0.
/// </summary>
public sealed record DistributedSpec(int Nodes, string ProcsPerNode, int MasterPort)
{
    public const string ProcsPerGpu = "gpu";
    public int? ProcsPerNodeCount => int.TryParse(ProcsPerNode, out var n) ? n : null;
}
