using System.Globalization;
using System.Text.RegularExpressions;
using AiContainers.Core.Cuda;
using AiContainers.Core.Cuda.Inference;
using AiContainers.Core.Deploy;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.Images;
using AiContainers.Core.Python;
using AiContainers.Core.Serving;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Spec;

/// <summary>The outcome of mapping: a spec when there were no errors, and every diagnostic either way.</summary>
public sealed record MapResult(AiImageSpec? Spec, IReadOnlyList<AiDiagnostic> Diagnostics, string? CudaReason = null)
{
    public bool Succeeded => Spec is not null;
}

/// <summary>
/// Maps project properties and items onto <see cref="AiImageSpec"/> and validates them. Pure: no
/// file system, no network, no clock; every problem is reported with its code and property, all at once.
/// </summary>
public static partial class AiImageSpecMapper
{
    public const string GeneratorVersion = "0.1.0";
    public const string DefaultCpuOs = "ubuntu24.04";

    private static readonly string[] KnownCapabilities = { "compute", "utility", "graphics", "video", "display", "compat32", "all" };

    // \z, not $: a .NET '$' also matches before a final line feed, which would let "libgomp1\n" through.
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z")] private static partial Regex EnvNameRegex();
    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?\z")] private static partial Regex LabelKeyRegex();
    [GeneratedRegex(@"^\d+(\.\d+)?\s*([bkmgt]i?b?)?\z", RegexOptions.IgnoreCase)] private static partial Regex SizeRegex();
    [GeneratedRegex(@"^\d+(ms|s|m|h)\z")] private static partial Regex DurationRegex();
    [GeneratedRegex(@"^(\d+|GPU-[0-9a-fA-F-]{8,}|MIG-[0-9a-zA-Z/-]+)\z")] private static partial Regex GpuDeviceRegex();
    [GeneratedRegex(@"^[a-z0-9][a-z0-9.+-]*(=[A-Za-z0-9.+~:_-]+)?\z")] private static partial Regex AptPackageRegex();
    [GeneratedRegex(@"^[a-z_][a-z0-9_-]*\z|^\d+\z|^\d+:\d+\z|^[a-z_][a-z0-9_-]*:[a-z_][a-z0-9_-]*\z")] private static partial Regex UserRegex();
    [GeneratedRegex(@"^\d+(\.\d+)*\z")] private static partial Regex DriverRegex();
    [GeneratedRegex(@"^ubuntu(\d+\.\d+)\z")] private static partial Regex UbuntuRegex();

    public static MapResult Map(ProjectInputs input, CudaImageCatalog? catalog = null)
    {
        catalog ??= CudaImageCatalog.Default;
        var bag = new DiagnosticBag();
        // First: a value with a line break in it is refused as a whole, before anything reads it.
        foreach (var problem in input.ControlCharacterProblems()) bag.Refuse(problem);

        var projectName = input.Get("MSBuildProjectName") ?? input.Get("AssemblyName") ?? "app";
        var builder = ParseEnum(input, bag, "AiImageBuilder", AiImageBuilderKind.Auto);
        var mirror = RegistryMirror.TryParse(input.Get("AiRegistryMirror"), out var mirrorError);
        if (mirror is null) { bag.Report(AiErrors.InvalidMirror, "AiRegistryMirror", input.Get("AiRegistryMirror"), mirrorError); mirror = RegistryMirror.None; }

        var identity = MapIdentity(input, bag, projectName);
        var gpuEnabled = ParseBool(input, bag, "AiGpu", true);
        // <Project Sdk="AiContainers.Sdk/…"> alone compiles nothing: the project folder is a Python app or a model server.
        var noCompiledApp = ParseBool(input, bag, "_AiNoCompiledApp", false);
        var servingRuntime = ServingSpecMapper.Runtime(input, bag);
        var kind = servingRuntime switch
        {
            ServingRuntime.TorchServe => AiAppKind.TorchServe,
            ServingRuntime.TensorFlowServing => AiAppKind.TensorFlowServing,
            _ => noCompiledApp ? AiAppKind.Python : AiAppKind.Dotnet,
        };
        if (servingRuntime is { } compiledServing && !noCompiledApp) bag.Report(AiErrors.ServingNeedsStandaloneProject, "AiServingRuntime", compiledServing);
        // What the referenced packages and requirement pins need decides (or checks) the CUDA version.
        var inference = CudaRequirementInference.Infer(new CudaInferenceInput
        {
            // What restore resolved (project.assets.json), transitive packages included.
            Packages = PackageReferenceInfo.FromAssets(input.FileText(PackageReferenceInfo.AssetsFileProperty), input.Get(PackageReferenceInfo.AssetsFileProperty), bag),
            PythonRequirements = input.FileText("AiPythonRequirements"),
            CudaVersion = input.Get("AiCudaVersion"),
            CudnnVersion = input.Get("AiCudnnVersion"),
            Gpu = gpuEnabled,
            BaseImage = input.Get("AiBaseImage"),
        }, catalog);
        foreach (var d in inference.Diagnostics) bag.Add(d);
        var baseImage = servingRuntime is { } runtime
            ? MapServingBase(input, bag, catalog, mirror, gpuEnabled, inference, runtime)
            : MapBase(input, bag, catalog, mirror, gpuEnabled, inference);
        var gpu = MapGpu(input, bag, gpuEnabled, baseImage?.Cuda, catalog);
        var dotnet = kind == AiAppKind.Dotnet ? MapDotnet(input, bag, mirror) : null;
        var python = kind == AiAppKind.Python ? PythonSpecMapper.Map(input, bag, baseImage) : null;
        if (kind is AiAppKind.TorchServe or AiAppKind.TensorFlowServing) PythonSpecMapper.ReportIgnored(input, bag);
        var serving = servingRuntime is { } served ? ServingSpecMapper.Map(input, bag, served) : null;
        // TorchServe's base has its own non-root user, owner of the model store and TEMP it writes to.
        var user = MapUser(input, bag, kind == AiAppKind.TorchServe ? new ContainerUserSpec(ServingSpec.TorchServeUser, null, null, CreateUser: false) : null);
        var workdir = input.Get("ContainerWorkingDirectory") ?? kind switch
        {
            AiAppKind.TorchServe => ServingSpec.TorchServeHome,
            AiAppKind.TensorFlowServing => ServingSpec.TfModelsRoot,
            _ => "/app",
        };
        ValidateContainerPath(bag, "ContainerWorkingDirectory", workdir);

        var ports = servingRuntime is { } portsRuntime
            ? ServingSpec.DefaultPorts(portsRuntime).Select(p => new PortSpec(p, "tcp")).ToList()
            : new List<PortSpec>();
        foreach (var port in MapPorts(input, bag).Where(p => !ports.Contains(p))) ports.Add(port);
        // Like the official ASP.NET images: a web app with no declared port listens on 8080.
        if (ports.Count == 0 && dotnet is { IsWebApp: true } && input.Items("ContainerPort").Count == 0) ports.Add(new PortSpec(8080, "tcp"));
        var environment = MapNameValues(input, bag, "ContainerEnvironmentVariable", name => EnvNameRegex().IsMatch(name),
            name => bag.Report(AiErrors.InvalidEnvironmentName, "ContainerEnvironmentVariable", "ContainerEnvironmentVariable", name));
        var labels = MapNameValues(input, bag, "ContainerLabel", name => LabelKeyRegex().IsMatch(name),
            name => bag.Report(AiErrors.InvalidLabelName, "ContainerLabel", name));
        var health = MapHealthCheck(input, bag, ports, serving?.HealthEndpoint, aspNetApp: dotnet is { IsWebApp: true });
        // ---- ContainerRuntimeIdentifiers (multi-platform, see PlatformTargets): the first entry is the primary platform.
        var platforms = PlatformTargets.Map(input, bag, dotnet, health);
        if (dotnet is not null && platforms.Count > 0)
            dotnet = dotnet with { RuntimeIdentifier = platforms[0].RuntimeIdentifier, PublishDirectory = platforms[0].PublishDirectory ?? dotnet.PublishDirectory };
        var packages = MapSystemPackages(input, bag);
        var runCommands = MapRunCommands(input, bag);
        var command = MapCommand(input, bag, "AiCommand");
        if (command.Count == 0 && serving is not null) command = serving.DefaultCommand().ToList();
        var metadata = MapMetadata(input, bag, projectName);
        var provenance = ProvenanceSpec.Map(input, bag);
        var deploy = DeploySpecMapper.Map(input, bag);
        var models = ModelSpecMapper.Map(input.Items("AiModel"), input.Get("MSBuildProjectDirectory") ?? ".", bag);
        var downloads = DownloadLimits.Map(input, bag);
        var projectFiles = Files.ProjectFileRule.Map(input, bag);

        var outputDirectory = input.Get("AiImageOutputPath") ?? Path.Combine(input.Get("MSBuildProjectDirectory") ?? ".", "bin", "aicontainer");
        var format = ParseImageFormat(input, bag);
        var archive = input.Get("ContainerArchiveOutputPath") is { } archiveText
            ? Path.GetFullPath(archiveText.EndsWith('/') || archiveText.EndsWith('\\') ? Path.Combine(archiveText, projectName.ToLowerInvariant() + ".tar.gz") : archiveText, input.Get("MSBuildProjectDirectory") ?? ".")
            : null;
        var build = new BuildSettings(builder, outputDirectory, mirror.ToString(), platforms.FirstOrDefault()?.HealthProbePath ?? input.Get("_AiHealthProbePath"), "", format, archive);

        if (bag.HasErrors || baseImage is null || identity is null || gpu is null || user is null
            || (kind == AiAppKind.Python && python is null) || (servingRuntime is not null && serving is null))
            return new MapResult(null, bag.Items, inference.Reason);

        var spec = new AiImageSpec
        {
            ProjectName = projectName,
            AppKind = kind,
            Identity = identity,
            Base = baseImage,
            Gpu = gpu,
            Dotnet = dotnet,
            Python = python,
            Serving = serving,
            User = user,
            WorkingDirectory = workdir,
            Ports = ports,
            Environment = environment,
            Labels = labels,
            HealthCheck = health,
            SystemPackages = packages,
            RunCommands = runCommands,
            Command = command,
            Metadata = metadata,
            Provenance = provenance,
            Build = build,
            Deploy = deploy,
            Models = models,
            Downloads = downloads,
            ProjectFiles = projectFiles,
            Platforms = platforms,
            Lock = MapLock(input, bag, projectName),
        };
        var (resolvedBuilder, reason) = BuilderSelection.Resolve(builder, spec, bag);
        if (archive is not null && resolvedBuilder is AiImageBuilderKind.Docker) bag.Report(AiErrors.ArchiveNeedsDaemonless, "ContainerArchiveOutputPath", "Docker");
        if (bag.HasErrors) return new MapResult(null, bag.Items, inference.Reason);
        spec = spec with { Build = build with { Builder = resolvedBuilder, BuilderReason = reason } };
        return new MapResult(spec, bag.Items, inference.Reason);
    }

    // ---------------------------------------------------------------- identity

    private static ImageIdentity? MapIdentity(ProjectInputs input, DiagnosticBag bag, string projectName)
    {
        var registry = input.Get("ContainerRegistry");
        if (registry is not null)
        {
            registry = registry.TrimEnd('/');
            if (!ImageReference.IsValidRegistry(registry)) bag.Report(AiErrors.InvalidRegistry, "ContainerRegistry", "ContainerRegistry", registry);
        }

        string? repository = input.Get("ContainerRepository") ?? input.Get("ContainerImageName");
        if (repository is not null)
        {
            if (ImageReference.ValidateRepositoryPath(repository) is { } why) { bag.Report(AiErrors.InvalidRepository, "ContainerRepository", repository, why); repository = null; }
        }
        else
        {
            // Same default as the .NET SDK: the assembly name, lowercased, invalid characters replaced.
            var candidate = Regex.Replace((input.Get("AssemblyName") ?? projectName).ToLowerInvariant(), "[^a-z0-9._/-]", "-").Trim('-', '.', '_');
            if (ImageReference.ValidateRepositoryPath(candidate) is null) repository = candidate;
            else bag.Report(AiErrors.MissingRepository, "ContainerRepository", projectName);
        }

        var tag = input.Get("ContainerImageTag");
        var tagsText = input.Get("ContainerImageTags");
        List<string> tags;
        if (tag is not null && tagsText is not null) { bag.Report(AiErrors.TagAndTagsBothSet, "ContainerImageTag", tag, tagsText); tags = new(); }
        else if (tagsText is not null)
        {
            tags = tagsText.Split(RegistryMirror.Separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
            foreach (var t in tags.Where(t => !ImageReference.IsValidTag(t))) bag.Report(AiErrors.InvalidTag, "ContainerImageTags", "ContainerImageTags", t);
            if (tags.Count == 0) bag.Report(AiErrors.InvalidTag, "ContainerImageTags", "ContainerImageTags", tagsText);
        }
        else
        {
            tags = new() { tag ?? "latest" };
            if (tag is not null && !ImageReference.IsValidTag(tag)) bag.Report(AiErrors.InvalidTag, "ContainerImageTag", "ContainerImageTag", tag);
        }

        var push = ParseBool(input, bag, "AiImagePush", true);
        if (registry is not null && !push) bag.Report(AiErrors.PushSkipped, "AiImagePush", registry);
        return repository is null ? null : new ImageIdentity(registry, repository, tags, push && registry is not null);
    }

    // ---------------------------------------------------------------- base image

    private static BaseImageSpec? MapBase(ProjectInputs input, DiagnosticBag bag, CudaImageCatalog catalog, RegistryMirror mirror, bool gpu, CudaInference inference)
    {
        var explicitBase = input.Get("AiBaseImage");
        var cudaText = input.Get("AiCudaVersion");
        var minDriver = input.Get("AiMinDriverVersion");
        if (minDriver is not null && !DriverRegex().IsMatch(minDriver)) bag.Report(AiErrors.InvalidDriverVersion, "AiMinDriverVersion", minDriver);

        if (explicitBase is not null)
        {
            if (cudaText is not null) { bag.Report(AiErrors.BaseImageAndCudaVersion, "AiBaseImage", explicitBase, cudaText); return null; }
            foreach (var ignored in new[] { "AiCudnnVersion", "AiCudaFlavor", "AiBaseOs" }.Where(p => input.Get(p) is not null))
                bag.Report(AiErrors.CudaOptionIgnoredWithBaseImage, ignored, ignored, explicitBase);
            var reference = ImageReference.TryParse(explicitBase, out var error);
            if (reference is null) { bag.Report(AiErrors.InvalidImageReference, "AiBaseImage", "AiBaseImage", explicitBase, error); return null; }
            if (reference.IsLatestOrUntagged) bag.Report(AiErrors.LatestBaseTag, "AiBaseImage", "AiBaseImage", explicitBase);
            // nvidia/cuda, pytorch/pytorch, tensorflow/tensorflow:*-gpu … carry their CUDA into labels and checks.
            var cuda = gpu ? FrameworkImages.Cuda(reference, catalog) : null;
            return new BaseImageSpec(reference, mirror.Rewrite(reference), cuda, string.IsNullOrEmpty(cuda?.Os) ? null : cuda.Os, ChosenByUser: true);
        }

        if (!gpu)
        {
            if (cudaText is not null) { bag.Report(AiErrors.CudaOnCpuImage, "AiCudaVersion", cudaText); return null; }
            var os = input.Get("AiBaseOs") ?? DefaultCpuOs;
            var match = UbuntuRegex().Match(os);
            if (!match.Success) { bag.Report(AiErrors.UnknownEnumValue, "AiBaseOs", "AiBaseOs", os, "ubuntu20.04, ubuntu22.04, ubuntu24.04"); return null; }
            var reference = new ImageReference(null, "ubuntu", match.Groups[1].Value, null);
            return new BaseImageSpec(reference, mirror.Rewrite(reference), null, os);
        }

        var cudaSpec = CudaBaseResolver.Resolve(catalog, cudaText ?? inference.CudaText ?? catalog.DefaultVersion.ToString(), input.Get("AiCudnnVersion") ?? inference.CudnnText,
            input.Get("AiCudaFlavor"), input.Get("AiBaseOs"), bag);
        if (cudaSpec is null) return null;
        var release = catalog.Find(Version.Parse(cudaSpec.Version), exactPatch: true)!;
        var cudaReference = new ImageReference(null, CudaImageCatalog.Repository, CudaImageCatalog.Tag(release, cudaSpec.CudnnMajor, cudaSpec.Flavor, cudaSpec.Os), null);
        return new BaseImageSpec(cudaReference, mirror.Rewrite(cudaReference), cudaSpec, cudaSpec.Os);
    }

    /// <summary>A model server's base: the pinned serving image (its -gpu variant on GPU) unless AiBaseImage names another.</summary>
    private static BaseImageSpec? MapServingBase(ProjectInputs input, DiagnosticBag bag, CudaImageCatalog catalog, RegistryMirror mirror, bool gpu, CudaInference inference, ServingRuntime runtime)
    {
        if (!ServingSpecMapper.CheckNoCudaProperties(input, bag, runtime)) return null;
        if (input.Get("AiBaseImage") is not null) return MapBase(input, bag, catalog, mirror, gpu, inference);
        var reference = ImageReference.TryParse(ServingSpec.DefaultBase(runtime, gpu), out _)!;
        var cuda = gpu ? FrameworkImages.Cuda(reference, catalog) : null;
        return new BaseImageSpec(reference, mirror.Rewrite(reference), cuda, string.IsNullOrEmpty(cuda?.Os) ? null : cuda.Os, ChosenByUser: true);
    }

    // ---------------------------------------------------------------- GPU

    private static GpuSpec? MapGpu(ProjectInputs input, DiagnosticBag bag, bool enabled, CudaBaseSpec? cuda, CudaImageCatalog catalog)
    {
        var count = input.Get("AiGpuCount");
        var devicesText = input.Get("AiGpuDevices");
        var capabilitiesText = input.Get("AiGpuCapabilities");
        var ok = true;

        if (!enabled)
        {
            foreach (var p in new[] { "AiGpuCount", "AiGpuDevices", "AiGpuCapabilities" }.Where(p => input.Get(p) is not null))
            { bag.Report(AiErrors.GpuSettingOnCpuImage, p, p); ok = false; }
        }

        if (count is not null && !count.Equals("all", StringComparison.OrdinalIgnoreCase) && !(int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1))
        { bag.Report(AiErrors.InvalidGpuCount, "AiGpuCount", count); ok = false; }
        if (count is not null && count.Equals("all", StringComparison.OrdinalIgnoreCase)) count = "all";

        var devices = new List<string>();
        if (devicesText is not null)
        {
            var parts = devicesText.Split(',');
            string? why = null;
            if (parts.Any(p => p.Trim().Length == 0)) why = "it has an empty entry";
            else if (parts.FirstOrDefault(p => !GpuDeviceRegex().IsMatch(p.Trim())) is { } bad) why = $"'{bad.Trim()}' is neither an index nor a GPU-/MIG- UUID";
            else if (parts.Select(p => p.Trim()).Distinct().Count() != parts.Length) why = "it names a device twice";
            if (why is not null) { bag.Report(AiErrors.InvalidGpuDevices, "AiGpuDevices", devicesText, why); ok = false; }
            else devices = parts.Select(p => p.Trim()).ToList();
            if (count is not null && why is null) { bag.Report(AiErrors.GpuDevicesAndCount, "AiGpuDevices", devicesText, count); ok = false; }
        }

        var capabilities = "compute,utility";
        if (capabilitiesText is not null)
        {
            var caps = capabilitiesText.Split(',', StringSplitOptions.TrimEntries);
            var unknown = caps.FirstOrDefault(c => !KnownCapabilities.Contains(c.ToLowerInvariant()));
            if (unknown is not null) { bag.Report(AiErrors.UnknownGpuCapability, "AiGpuCapabilities", capabilitiesText, unknown); ok = false; }
            else capabilities = string.Join(",", caps.Select(c => c.ToLowerInvariant()).Distinct());
        }

        var shm = ParseSize(input, bag, "AiShmSize");
        var memory = ParseSize(input, bag, "AiMemoryLimit");
        var swap = input.Get("AiMemorySwap") == "-1" ? "-1" : ParseSize(input, bag, "AiMemorySwap");
        var cpus = input.Get("AiCpuLimit");
        if (cpus is not null && !(double.TryParse(cpus, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var c) && c > 0))
        { bag.Report(AiErrors.InvalidCpuLimit, "AiCpuLimit", cpus); ok = false; }

        if (!ok) return null;
        var visible = devices.Count > 0 ? string.Join(",", devices) : "all";
        var driver = MapDriver(input, bag, enabled, cuda, catalog);
        return new GpuSpec(enabled, visible, capabilities, driver, count, devices, shm, memory, swap, cpus);
    }

    /// <summary>
    /// The driver requirement, decided here and nowhere else (see <see cref="DriverRequirement"/>). AIC1036 for a
    /// malformed AiMinDriverVersion is MapBase's; a value below the CUDA major's minor-version-compatibility floor
    /// is kept (forward compatibility on data-center GPUs can run it) with a warning saying what it means.
    /// </summary>
    private static DriverRequirement MapDriver(ProjectInputs input, DiagnosticBag bag, bool enabled, CudaBaseSpec? cuda, CudaImageCatalog catalog)
    {
        var baseValue = cuda?.BaseRequireCuda;
        if (!enabled || input.Get("AiMinDriverVersion") is not { } text || !DriverRegex().IsMatch(text)) return DriverRequirement.KeepBase(baseValue);
        if (cuda is not null && catalog.MinimumDriver(System.Version.Parse(cuda.Version)) is { } floor && CompareDriver(text, floor) < 0)
            bag.Report(AiErrors.MinDriverBelowCudaFloor, "AiMinDriverVersion", text, floor, System.Version.Parse(cuda.Version).Major, cuda.Version);
        return DriverRequirement.AtLeast(text, baseValue);
    }

    /// <summary>Driver versions compare part by part as numbers: 535.104.05 is newer than 535.54.03.</summary>
    private static int CompareDriver(string a, string b)
    {
        var x = a.Split('.').Select(Part).ToList();
        var y = b.Split('.').Select(Part).ToList();
        static long Part(string p) => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue;
        for (var i = 0; i < Math.Max(x.Count, y.Count); i++)
        {
            var c = (i < x.Count ? x[i] : 0).CompareTo(i < y.Count ? y[i] : 0);
            if (c != 0) return c;
        }
        return 0;
    }

    // ---------------------------------------------------------------- .NET app

    private static DotnetAppSpec? MapDotnet(ProjectInputs input, DiagnosticBag bag, RegistryMirror mirror)
    {
        var assembly = input.Get("AssemblyName") ?? input.Get("MSBuildProjectName") ?? "app";
        var rid = input.Get("RuntimeIdentifier") ?? "linux-x64";
        if (!rid.StartsWith("linux-", StringComparison.Ordinal)) { bag.Report(AiErrors.UnsupportedRuntimeIdentifier, "RuntimeIdentifier", rid); }
        // PublishAiImage=true defaults SelfContained to true before restore (AiContainers.Sdk.props); empty
        // means a plain framework-dependent publish (e.g. dotnet publish -t:PublishAiImage).
        var selfContained = ParseBool(input, bag, "SelfContained", false);
        var isWeb = ParseBool(input, bag, "UsingMicrosoftNETSdkWeb", false);
        var invariant = ParseBool(input, bag, "InvariantGlobalization", false);
        var publishDir = input.Get("PublishDir") ?? Path.Combine(input.Get("MSBuildProjectDirectory") ?? ".", "bin", "publish");

        ImageReference? runtimeImage = null, runtimePull = null;
        if (!selfContained)
        {
            var text = input.Get("AiDotnetRuntimeImage");
            if (text is null)
            {
                var tfv = (input.Get("TargetFrameworkVersion") ?? "v10.0").TrimStart('v');
                text = $"mcr.microsoft.com/dotnet/{(isWeb ? "aspnet" : "runtime")}:{tfv}";
            }
            var reference = ImageReference.TryParse(text, out var error);
            if (reference is null) bag.Report(AiErrors.InvalidImageReference, "AiDotnetRuntimeImage", "AiDotnetRuntimeImage", text, error);
            else { runtimeImage = reference; runtimePull = mirror.Rewrite(reference); }
        }
        return new DotnetAppSpec(assembly, rid, selfContained, publishDir, isWeb, invariant, runtimeImage, runtimePull);
    }

    private static ContainerUserSpec? MapUser(ProjectInputs input, DiagnosticBag bag, ContainerUserSpec? kindDefault = null)
    {
        var text = input.Get("ContainerUser");
        if (text is null)
            return kindDefault ?? new ContainerUserSpec($"{ContainerUserSpec.DefaultId}:{ContainerUserSpec.DefaultId}", ContainerUserSpec.DefaultId, ContainerUserSpec.DefaultId, CreateUser: true);
        if (!UserRegex().IsMatch(text)) { bag.Report(AiErrors.InvalidUser, "ContainerUser", text); return null; }
        var spec = text.Split(':') switch
        {
            [var u] when int.TryParse(u, out var uid) => new ContainerUserSpec(text, uid, uid, CreateUser: uid != 0),
            [var u, var g] when int.TryParse(u, out var uid) && int.TryParse(g, out var gid) => new ContainerUserSpec(text, uid, gid, CreateUser: uid != 0),
            _ => new ContainerUserSpec(text, null, null, CreateUser: text != "root"),
        };
        if (spec.IsRoot) bag.Report(AiErrors.RootUser, "ContainerUser", text, ContainerUserSpec.DefaultId);
        return spec;
    }

    // ---------------------------------------------------------------- runtime surface

    private static List<PortSpec> MapPorts(ProjectInputs input, DiagnosticBag bag)
    {
        var ports = new List<PortSpec>();
        foreach (var item in input.Items("ContainerPort"))
        {
            if (ParsePortItem(item, out var port) is { } why) { bag.Report(AiErrors.InvalidPort, "ContainerPort", item.Include.Trim(), why); continue; }
            if (!ports.Contains(port!)) ports.Add(port!);
        }
        return ports;
    }

    /// <summary>Null when the ContainerPort item is a port; else why not.</summary>
    private static string? ParsePortItem(InputItem item, out PortSpec? port)
    {
        port = null;
        var protocol = (item.Get("Type") ?? "tcp").ToLowerInvariant();
        if (!int.TryParse(item.Include.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            return "the port must be a number from 1 to 65535";
        if (protocol is not ("tcp" or "udp")) return $"the Type '{protocol}' is neither tcp nor udp";
        port = new PortSpec(number, protocol);
        return null;
    }

    /// <summary>
    /// AiRunCommand items: shell by design, so their text is the user's, but each must stay one Dockerfile
    /// step. Line breaks are refused with every other control character (<see cref="ProjectInputs.ControlCharacterProblems"/>);
    /// what is left that spans lines is the Dockerfile's own syntax: a trailing escape character continues the
    /// instruction onto the next line, and a BuildKit heredoc word (&lt;&lt;EOF) reads the lines after it as its body.
    /// </summary>
    private static List<string> MapRunCommands(ProjectInputs input, DiagnosticBag bag)
    {
        var commands = new List<string>();
        foreach (var command in input.Items("AiRunCommand").Select(i => i.Include.Trim()).Where(c => c.Length > 0))
        {
            string? why = null;
            if (command.EndsWith('\\')) why = "ends with '\\', which continues the RUN instruction onto the next line";
            // BuildKit looks for heredocs in the raw words of the line, before any shell quoting.
            else if (command.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(w => HeredocRegex().IsMatch(w)) is { } heredoc)
                why = $"has the heredoc word '{heredoc}', which makes BuildKit read the next lines as the command's input";
            if (why is not null) { bag.Report(AiErrors.RunCommandSpansLines, "AiRunCommand", command, why); continue; }
            commands.Add(command);
        }
        return commands;
    }

    private static List<NameValue> MapNameValues(ProjectInputs input, DiagnosticBag bag, string itemType, Func<string, bool> validName, Action<string> reportBad)
    {
        var values = new List<NameValue>();
        foreach (var item in input.Items(itemType))
        {
            var name = item.Include.Trim();
            if (!validName(name)) { reportBad(name); continue; }
            // Trimmed like every other input, so the value checked for control characters is the value written.
            var value = item.Metadata.TryGetValue("Value", out var v) ? v.Trim() : "";
            values.RemoveAll(x => x.Name == name); // a later item overrides an earlier one, as in MSBuild
            values.Add(new NameValue(name, value));
        }
        return values;
    }

    /// <param name="kindDefault">The model servers' own health endpoint, used when AiHealthCheckPath is unset.</param>
    /// <param name="aspNetApp">A .NET web app: its port can move at run time (ASPNETCORE_HTTP_PORTS), and the probe follows it.</param>
    private static HealthCheckSpec? MapHealthCheck(ProjectInputs input, DiagnosticBag bag, List<PortSpec> ports, (string Path, int Port)? kindDefault = null, bool aspNetApp = false)
    {
        var path = input.Get("AiHealthCheckPath") ?? kindDefault?.Path;
        if (path is null) return null;
        if (!path.StartsWith('/') || path.Any(char.IsWhiteSpace)) { bag.Report(AiErrors.InvalidHealthCheckPath, "AiHealthCheckPath", path); return null; }
        int port;
        var portText = input.Get("AiHealthCheckPort");
        if (portText is null && input.Get("AiHealthCheckPath") is null && kindDefault is { } endpoint) port = endpoint.Port;
        else if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            { bag.Report(AiErrors.InvalidPortProperty, "AiHealthCheckPort", "AiHealthCheckPort", portText); return null; }
        }
        else if (ports.FirstOrDefault(p => p.Protocol == "tcp") is { } first) port = first.Number;
        // A ContainerPort item that is itself wrong has its own error; "add a ContainerPort item" would mislead.
        else if (input.Items("ContainerPort").Any(i => ParsePortItem(i, out _) is not null)) return null;
        else { bag.Report(AiErrors.HealthCheckWithoutPort, "AiHealthCheckPath", path); return null; }

        string Duration(string property, string fallback)
        {
            var text = input.Get(property);
            if (text is null) return fallback;
            if (DurationRegex().IsMatch(text)) return text;
            bag.Report(AiErrors.InvalidDuration, property, property, text);
            return fallback;
        }
        var interval = Duration("AiHealthCheckInterval", "30s");
        var timeout = Duration("AiHealthCheckTimeout", "5s");
        var start = Duration("AiHealthCheckStartPeriod", "15s");
        var retries = ParsePositiveInt(input, bag, "AiHealthCheckRetries", 3);
        var url = $"http://127.0.0.1:{port}{path}";
        var custom = MapCommand(input, bag, "AiHealthCheckCommand");
        IReadOnlyList<string> command = custom.Count > 0 ? custom
            : aspNetApp && port == AspNetListenPort(ports) ? HealthProbe.FollowingAspNetPort(url)
            : new[] { HealthProbe.ImagePath, url };
        return new HealthCheckSpec(path, port, interval, timeout, start, retries, command, UsesBuiltInProbe: custom.Count == 0);
    }

    /// <summary>
    /// The port ASP.NET listens on first as the image sets it (ImageEnvironment: the first tcp port, 8080 without one). Only a
    /// probe aimed there follows the app's variables at run time; one aimed at another port (AiHealthCheckPort) keeps it.
    /// </summary>
    private static int AspNetListenPort(List<PortSpec> ports) => ports.FirstOrDefault(p => p.Protocol == "tcp")?.Number ?? 8080;

    private static List<string> MapSystemPackages(ProjectInputs input, DiagnosticBag bag)
    {
        var packages = new List<string>();
        foreach (var item in input.Items("AiSystemPackages"))
        {
            foreach (var name in item.Include.Split(new[] { ';', ' ' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!AptPackageRegex().IsMatch(name)) { bag.Report(AiErrors.InvalidSystemPackage, "AiSystemPackages", name); continue; }
                if (!packages.Contains(name)) packages.Add(name);
            }
        }
        packages.Sort(StringComparer.Ordinal); // deterministic, and one sorted list reads well in review
        return packages;
    }

    private static List<string> MapCommand(ProjectInputs input, DiagnosticBag bag, string property)
    {
        var text = input.Get(property);
        if (text is null) return new();
        var words = CommandLine.TrySplit(text);
        if (words is null || words.Count == 0) { bag.Report(AiErrors.InvalidCommandLine, property, property, text); return new(); }
        return words.ToList();
    }

    private static ImageMetadata MapMetadata(ProjectInputs input, DiagnosticBag bag, string projectName)
    {
        string? created = null;
        var explicitCreated = input.Get("AiImageCreated");
        var epoch = input.Environment("SOURCE_DATE_EPOCH");
        if (explicitCreated is not null)
        {
            if (DateTimeOffset.TryParse(explicitCreated, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto))
                created = dto.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            else bag.Report(AiErrors.InvalidCreated, "AiImageCreated", "AiImageCreated", explicitCreated);
        }
        else if (epoch is not null)
        {
            if (long.TryParse(epoch, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                created = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            else bag.Report(AiErrors.InvalidCreated, "SOURCE_DATE_EPOCH", "SOURCE_DATE_EPOCH", epoch);
        }
        return new ImageMetadata(
            Title: input.Get("ContainerTitle") ?? input.Get("Title") ?? input.Get("AssemblyName") ?? projectName,
            Version: input.Get("Version"),
            Description: input.Get("Description"),
            Created: created,
            Source: input.Get("RepositoryUrl"),
            Revision: input.Get("SourceRevisionId"),
            Authors: input.Get("Authors"),
            Licenses: input.Get("PackageLicenseExpression"),
            Vendor: input.Get("Company"),
            GeneratorVersion: GeneratorVersion);
    }

    // ---------------------------------------------------------------- primitives

    internal static bool ParseBool(ProjectInputs input, DiagnosticBag bag, string property, bool fallback)
    {
        var text = input.Get(property);
        if (text is null) return fallback;
        if (bool.TryParse(text, out var value)) return value;
        bag.Report(AiErrors.InvalidBoolean, property, property, text);
        return fallback;
    }

    internal static int ParsePositiveInt(ProjectInputs input, DiagnosticBag bag, string property, int fallback)
    {
        var text = input.Get(property);
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= 1) return v;
        bag.Report(AiErrors.InvalidPositiveInteger, property, property, text);
        return fallback;
    }

    internal static string? ParseSize(ProjectInputs input, DiagnosticBag bag, string property)
    {
        var text = input.Get(property);
        if (text is null) return null;
        if (!SizeRegex().IsMatch(text)) { bag.Report(AiErrors.InvalidSize, property, property, text); return null; }
        var size = text.Replace(" ", "").ToLowerInvariant();
        if (!FitsEngine(size)) { bag.Report(AiErrors.SizeTooLarge, property, property, text, long.MaxValue.ToString(CultureInfo.InvariantCulture)); return null; }
        return size;
    }

    /// <summary>
    /// Whether a size that matched the size syntax is at most what docker (int64 bytes, units 1024-based, as
    /// in go-units RAMInBytes) and Kubernetes quantities accept; a larger one would be written into every run file and fail there.
    /// </summary>
    internal static bool FitsEngine(string size)
    {
        var match = Regex.Match(size.ToLowerInvariant(), @"^(\d+(?:\.\d+)?)\s*([bkmgt])?");
        if (!match.Success) return false;
        var digits = match.Groups[1].Value;
        // More digits than any int64 has cannot fit, whatever the unit, and would overflow decimal below.
        if (digits.Split('.')[0].TrimStart('0').Length > 19) return false;
        var number = decimal.Parse(digits, CultureInfo.InvariantCulture);
        var scale = match.Groups[2].Success ? match.Groups[2].Value[0] switch { 'k' => 1024m, 'm' => 1024m * 1024, 'g' => 1024m * 1024 * 1024, 't' => 1024m * 1024 * 1024 * 1024, _ => 1m } : 1m;
        return number * scale <= long.MaxValue;
    }

    [GeneratedRegex(@"^\d*<<-?\s*[^<]*\z")] private static partial Regex HeredocRegex();
    // What WORKDIR, COPY destinations and the entrypoint path take as is: no quoting, no expansion, no whitespace.
    [GeneratedRegex(@"^/[A-Za-z0-9._/@+=,-]*\z")] private static partial Regex ContainerPathRegex();

    /// <summary>
    /// A path inside the image that the Dockerfile writes bare (WORKDIR, COPY destination, the entrypoint):
    /// absolute, of a safe alphabet (no space, quote, '$', '\\' or line break the Dockerfile would read), with no '..' segment.
    /// </summary>
    internal static bool ValidateContainerPath(DiagnosticBag bag, string property, string path)
    {
        if (!path.StartsWith('/')) { bag.Report(AiErrors.RelativeWorkingDirectory, property, property, path); return false; }
        string? why = null;
        if (!ContainerPathRegex().IsMatch(path))
            why = $"'{ProjectInputs.Visible(path.First(c => !(char.IsAsciiLetterOrDigit(c) || "._/@+=,-".Contains(c))).ToString())}' is not allowed in it";
        else if (path.Split('/').Any(segment => segment == ".."))
            why = "a '..' segment leaves the folder it names";
        if (why is null) return true;
        bag.Report(AiErrors.UnsafeContainerPath, property, property, ProjectInputs.Visible(path), why);
        return false;
    }

    private static ImageFormatKind ParseImageFormat(ProjectInputs input, DiagnosticBag bag)
    {
        var text = input.Get("ContainerImageFormat");
        if (text is null || text.Equals("Docker", StringComparison.OrdinalIgnoreCase)) return ImageFormatKind.Docker;
        if (text.Equals("OCI", StringComparison.OrdinalIgnoreCase)) return ImageFormatKind.Oci;
        bag.Report(AiErrors.InvalidImageFormat, "ContainerImageFormat", text);
        return ImageFormatKind.Docker;
    }

    private static T ParseEnum<T>(ProjectInputs input, DiagnosticBag bag, string property, T fallback) where T : struct, Enum
    {
        var text = input.Get(property);
        if (text is null) return fallback;
        if (Enum.TryParse<T>(text, ignoreCase: true, out var v) && Enum.IsDefined(v) && !int.TryParse(text, out _)) return v;
        bag.Report(AiErrors.UnknownEnumValue, property, property, text, string.Join(", ", Enum.GetNames<T>()));
        return fallback;
    }
}
