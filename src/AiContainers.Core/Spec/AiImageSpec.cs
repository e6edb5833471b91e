using AiContainers.Core.Cuda;
using AiContainers.Core.Deploy;
using AiContainers.Core.Python;
using AiContainers.Core.Serving;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Spec;

public enum AiImageBuilderKind { Docker, None }

/// <summary>What the image runs: a published .NET app, a Python project, or a model server.</summary>
public enum AiAppKind { Dotnet, Python, TorchServe, TensorFlowServing }

/// <summary>
/// The one immutable description of an image. Every MSBuild property and item maps onto it
/// (see <see cref="AiImageSpecMapper"/>); every generator reads only it. It round-trips through
/// JSON so the pipeline's tasks hand it to each other as <c>obj/…/aicontainer/spec.json</c>.
/// </summary>
public sealed record AiImageSpec
{
    public required string ProjectName { get; init; }
    public required AiAppKind AppKind { get; init; }
    public required ImageIdentity Identity { get; init; }
    public required BaseImageSpec Base { get; init; }
    public required GpuSpec Gpu { get; init; }
    public DotnetAppSpec? Dotnet { get; init; }
    /// <summary>Set when <see cref="AppKind"/> is Python: the interpreter, the environment and which project files are the app.</summary>
    public PythonAppSpec? Python { get; init; }
    /// <summary>Set when <see cref="AppKind"/> is TorchServe or TensorFlowServing: the served models.</summary>
    public ServingSpec? Serving { get; init; }
    public required ContainerUserSpec User { get; init; }
    public required string WorkingDirectory { get; init; }
    public IReadOnlyList<PortSpec> Ports { get; init; } = Array.Empty<PortSpec>();
    /// <summary>User environment in declaration order (the generator adds the NVIDIA and runtime ones).</summary>
    public IReadOnlyList<NameValue> Environment { get; init; } = Array.Empty<NameValue>();
    /// <summary>User labels; the OCI and ai.containers labels are computed by <see cref="ImageLabels"/>.</summary>
    public IReadOnlyList<NameValue> Labels { get; init; } = Array.Empty<NameValue>();
    public HealthCheckSpec? HealthCheck { get; init; }
    public IReadOnlyList<string> SystemPackages { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> RunCommands { get; init; } = Array.Empty<string>();
    /// <summary>Exec-form entrypoint; empty means the app kind's default.</summary>
    public IReadOnlyList<string> Entrypoint { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Command { get; init; } = Array.Empty<string>();
    public required ImageMetadata Metadata { get; init; }
    public required BuildSettings Build { get; init; }
    /// <summary>Runtime settings only the deploy files use (volumes, logs, companions, workload).</summary>
    public DeploySpec Deploy { get; init; } = DeploySpec.Default;
    /// <summary>Declared model weights (AiModel items); fetched on the host, layered through their own image.</summary>
    public IReadOnlyList<ModelSpec> Models { get; init; } = Array.Empty<ModelSpec>();
}

public sealed record NameValue(string Name, string Value);

public sealed record PortSpec(int Number, string Protocol)
{
    public override string ToString() => $"{Number}/{Protocol}";
}

public sealed record ImageIdentity(string? Registry, string Repository, IReadOnlyList<string> Tags, bool Push)
{
    /// <summary>The name the engine tags: registry/repository (or just repository when local).</summary>
    public string Name => Registry is null ? Repository : Registry + "/" + Repository;
    public IEnumerable<string> TaggedNames => Tags.Select(t => Name + ":" + t);
}

/// <summary>
/// The final stage's base. <see cref="Reference"/> is what the user means (e.g. nvidia/cuda:12.4.1-…);
/// <see cref="PullReference"/> is what the Dockerfile pulls after <c>AiRegistryMirror</c>.
/// </summary>
/// <param name="ChosenByUser">An image named by the project (AiBaseImage) or a serving runtime, not one from the
/// CUDA catalog: it may end with a non-root USER, so the generated build steps switch to root first.</param>
public sealed record BaseImageSpec(string Reference, string PullReference, string CanonicalName, CudaBaseSpec? Cuda, string? Os, bool ChosenByUser = false);

public sealed record CudaBaseSpec(string Version, int? CudnnMajor, CudaFlavor Flavor, string Os, string MinimumDriver, bool FromCatalog)
{
    public string MajorMinor
    {
        get { var v = System.Version.Parse(Version); return $"{v.Major}.{v.Minor}"; }
    }
}

public sealed record GpuSpec(
    bool Enabled,
    string VisibleDevices,
    string Capabilities,
    string? RequireCuda,
    string? GpuCount,
    IReadOnlyList<string> GpuDevices,
    string? ShmSize,
    string? MemoryLimit,
    string? MemorySwap,
    string? CpuLimit);

/// <summary>How a published .NET app gets into the image.</summary>
public sealed record DotnetAppSpec(
    string AssemblyName,
    string RuntimeIdentifier,
    bool SelfContained,
    string PublishDirectory,
    bool IsWebApp,
    bool GlobalizationInvariant,
    /// <summary>Framework-dependent only: the official runtime image the earlier stage takes dotnet from.</summary>
    string? RuntimeImage,
    string? RuntimePullImage);

public sealed record ContainerUserSpec(string User, int? Uid, int? Gid, bool CreateUser)
{
    public const int DefaultId = 1654;
    public const string DefaultName = "app";
    public bool IsRoot => User is "root" or "0" || User.StartsWith("0:", StringComparison.Ordinal);
}

public sealed record HealthCheckSpec(string Path, int Port, string Interval, string Timeout, string StartPeriod, int Retries, IReadOnlyList<string> Command)
{
    public string Url => $"http://127.0.0.1:{Port}{Path}";
}

public sealed record ImageMetadata(
    string Title,
    string? Version,
    string? Description,
    string? Created,
    string? Source,
    string? Revision,
    string? Authors,
    string? Licenses,
    string? Vendor,
    string GeneratorVersion);

public sealed record BuildSettings(
    AiImageBuilderKind Builder,
    string OutputDirectory,
    string Mirror,
    string? HealthProbePath);
