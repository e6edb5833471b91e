using AiContainers.Core.Cuda;
using System.Text.Json.Serialization;
using AiContainers.Core.Deploy;
using AiContainers.Core.Images;
using AiContainers.Core.Python;
using AiContainers.Core.Serving;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Spec;

/// <summary>
/// Who builds the image. <c>Auto</c> (the default) resolves at mapping time to Daemonless when no step
/// needs RUN, else Docker (see <see cref="BuilderSelection"/>); the spec only ever holds the resolved kind.
/// </summary>
public enum AiImageBuilderKind { Auto, Docker, Daemonless, None }

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
    /// <summary>AiSbom and the lock file's digest: what <see cref="ProvenanceLabels"/> and the SBOM record.</summary>
    public ProvenanceSpec Provenance { get; init; } = ProvenanceSpec.Default;
    public required BuildSettings Build { get; init; }
    /// <summary>Runtime settings only the deploy files use (volumes, logs, companions, workload).</summary>
    public DeploySpec Deploy { get; init; } = DeploySpec.Default;
    /// <summary>Declared model weights (AiModel items); fetched on the host, layered through their own image.</summary>
    public IReadOnlyList<ModelSpec> Models { get; init; } = Array.Empty<ModelSpec>();
    /// <summary>AiModelMaxDownloadSize and AiModelStallTimeout: bounds on every model download.</summary>
    public DownloadLimits Downloads { get; init; } = DownloadLimits.Default;
    /// <summary>The project folder and AiAllowFilesOutsideProject: which host files may be copied into an image.</summary>
    public Files.ProjectFileRule? ProjectFiles { get; init; }
    /// <summary>A Python project's or model server's files, listed once at resolve time (<see cref="AiContainers.Core.Spec.AppFiles.Resolve"/>); null before.</summary>
    public AppFileLists? AppFiles { get; init; }
    /// <summary>ContainerRuntimeIdentifiers: the platforms published, the first the primary (the one the Dockerfile builds); empty means <see cref="DotnetAppSpec.RuntimeIdentifier"/> alone.</summary>
    public IReadOnlyList<PlatformTarget> Platforms { get; init; } = Array.Empty<PlatformTarget>();
    /// <summary>AiLockMode and AiLockFile: how aicontainers.lock.json pins the base and the models; null builds without a lock (as Ignore).</summary>
    public Lock.LockSettings? Lock { get; init; }
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
/// <param name="LockedDigest">The digest aicontainers.lock.json pins the base to; the tag stays in <see cref="Image"/> for people and labels.</param>
public sealed record BaseImageSpec(ImageReference Image, ImageReference Pull, CudaBaseSpec? Cuda, string? Os, bool ChosenByUser = false, string? LockedDigest = null)
{
    /// <summary>What is pulled: <see cref="Pull"/>, by the lock's digest instead of its tag when the lock pins one.</summary>
    [JsonIgnore] public ImageReference PinnedPull => LockedDigest is null ? Pull : Pull with { Tag = null, Digest = LockedDigest };
    /// <summary>What the user means, e.g. <c>nvidia/cuda:12.4.1-runtime-ubuntu22.04</c>.</summary>
    [JsonIgnore] public string Reference => Image.ToString();
    /// <summary>What is pulled after <c>AiRegistryMirror</c>, fully qualified (podman and buildah refuse short names).</summary>
    [JsonIgnore] public string PullReference => PinnedPull.Canonical;
    [JsonIgnore] public string CanonicalName => Image.Canonical;
    [JsonIgnore] public bool Mirrored => Pull != Image;
}

/// <param name="BaseRequireCuda">The NVIDIA_REQUIRE_CUDA the base image itself sets (amd64), with its brand=…,driver>=… clauses,
/// where the catalog knows it; null when unknown. A fact about the base, not a choice: see <see cref="DriverRequirement"/>.</param>
public sealed record CudaBaseSpec(string Version, int? CudnnMajor, CudaFlavor Flavor, string Os, string? BaseRequireCuda, bool FromCatalog)
{
    public string MajorMinor
    {
        get { var v = System.Version.Parse(Version); return $"{v.Major}.{v.Minor}"; }
    }
}

/// <summary>
/// Which NVIDIA drivers may run the image: computed once (AiImageSpecMapper.MapGpu) and read by the image's
/// environment and labels; docker-run.sh, compose.yaml and the Kubernetes manifests run that image, so the
/// NVIDIA container toolkit applies the same requirement there. Without AiMinDriverVersion the base image's own
/// NVIDIA_REQUIRE_CUDA stays in force (<see cref="RequireCuda"/> null): its "cuda>=X.Y" is ORed with
/// brand=…,driver>=… clauses that admit data-center drivers through forward compatibility, and overriding it
/// would refuse drivers the base accepts. With AiMinDriverVersion the image sets NVIDIA_REQUIRE_CUDA to
/// "driver>=V" alone, so the toolkit accepts exactly the drivers from V up (a space ORs constraints and a comma
/// ANDs them, so adding "cuda>=X.Y" either way would make V mean something else).
/// </summary>
/// <param name="MinimumDriver">AiMinDriverVersion; null when unset (the base's requirement applies).</param>
/// <param name="FromUser">True when AiMinDriverVersion set it.</param>
/// <param name="RequireCuda">The NVIDIA_REQUIRE_CUDA value the image sets, or null to keep the base image's.</param>
/// <param name="BaseRequireCuda">The base image's own NVIDIA_REQUIRE_CUDA where known.</param>
public sealed record DriverRequirement(string? MinimumDriver, bool FromUser, string? RequireCuda, string? BaseRequireCuda)
{
    /// <summary>The base's requirement is kept: nothing set, nothing claimed.</summary>
    public static DriverRequirement KeepBase(string? baseRequireCuda) => new(null, false, null, baseRequireCuda);

    /// <summary>AiMinDriverVersion V: the toolkit accepts every driver from V up, and no other.</summary>
    public static DriverRequirement AtLeast(string driver, string? baseRequireCuda) => new(driver, true, "driver>=" + driver, baseRequireCuda);

    /// <summary>What the NVIDIA container toolkit checks at run time; null when the base's value is not known here.</summary>
    [JsonIgnore] public string? Effective => RequireCuda ?? BaseRequireCuda;
}

public sealed record GpuSpec(
    bool Enabled,
    string VisibleDevices,
    string Capabilities,
    DriverRequirement Driver,
    string? GpuCount,
    IReadOnlyList<string> GpuDevices,
    string? ShmSize,
    string? MemoryLimit,
    string? MemorySwap,
    string? CpuLimit)
{
    /// <summary>The NVIDIA_REQUIRE_CUDA the image sets (null: the base image's stays); see <see cref="DriverRequirement"/>.</summary>
    [JsonIgnore] public string? RequireCuda => Enabled ? Driver.RequireCuda : null;
}

/// <summary>How a published .NET app gets into the image.</summary>
public sealed record DotnetAppSpec(
    string AssemblyName,
    string RuntimeIdentifier,
    bool SelfContained,
    string PublishDirectory,
    bool IsWebApp,
    bool GlobalizationInvariant,
    /// <summary>Framework-dependent only: the official runtime image the earlier stage takes dotnet from.</summary>
    ImageReference? RuntimeImage,
    ImageReference? RuntimePull)
{
    [JsonIgnore] public string? RuntimePullImage => RuntimePull?.Canonical;
}

public sealed record ContainerUserSpec(string User, int? Uid, int? Gid, bool CreateUser)
{
    public const int DefaultId = 1654;
    public const string DefaultName = "app";
    public bool IsRoot => User is "root" or "0" || User.StartsWith("0:", StringComparison.Ordinal);
}

/// <param name="UsesBuiltInProbe">True when the image carries the package's static probe (no AiHealthCheckCommand):
/// decided once at mapping time, so no later step compares a command to a path.</param>
public sealed record HealthCheckSpec(string Path, int Port, string Interval, string Timeout, string StartPeriod, int Retries, IReadOnlyList<string> Command, bool UsesBuiltInProbe)
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

/// <param name="Builder">The resolved builder (never Auto).</param>
/// <param name="BuilderReason">Why that builder: what the summary line says.</param>
/// <param name="Format">Docker (keeps HEALTHCHECK) or OCI config and manifests (ContainerImageFormat).</param>
/// <param name="ArchivePath">ContainerArchiveOutputPath: a docker-archive tarball instead of (or besides) a registry.</param>
public sealed record BuildSettings(
    AiImageBuilderKind Builder,
    string OutputDirectory,
    string Mirror,
    string? HealthProbePath,
    string BuilderReason = "",
    ImageFormatKind Format = ImageFormatKind.Docker,
    string? ArchivePath = null);

/// <summary>The image config and manifest media types (ContainerImageFormat, as the .NET SDK names it).</summary>
public enum ImageFormatKind { Docker, Oci }
