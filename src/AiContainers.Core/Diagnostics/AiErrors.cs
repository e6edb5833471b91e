namespace AiContainers.Core.Diagnostics;

/// <summary>
/// Every user-facing message, by area: 1xxx spec, 2xxx generation, 3xxx engine, 4xxx registry,
/// 5xxx weights, 6xxx SDK path. Codes are unique (a test enforces it) and listed in the README.
/// Warnings take the x5xx half of their area.
/// </summary>
public static partial class AiErrors
{
    private static AiDiagnosticDescriptor E(string code, string format) => new(code, AiSeverity.Error, format);
    private static AiDiagnosticDescriptor W(string code, string format) => new(code, AiSeverity.Warning, format);

    // ---- 1xxx: spec (mapping and validation, before any I/O) ----
    public static readonly AiDiagnosticDescriptor UnknownEnumValue = E("AIC1001", "{0} '{1}' is not a known value. Set {0} to one of: {2}");
    public static readonly AiDiagnosticDescriptor InvalidBoolean = E("AIC1002", "{0} '{1}' is not a boolean. Set {0} to true or false");
    public static readonly AiDiagnosticDescriptor MalformedCudaVersion = E("AIC1003", "AiCudaVersion '{0}' is not a CUDA version. Set AiCudaVersion to major.minor (e.g. 12.4) or major.minor.patch (e.g. 12.4.1)");
    public static readonly AiDiagnosticDescriptor UnknownCudaVersion = E("AIC1004", "AiCudaVersion '{0}' has no nvidia/cuda images in the catalog. Set AiCudaVersion to one of: {1}");
    public static readonly AiDiagnosticDescriptor InvalidCudnnVersion = E("AIC1005", "AiCudnnVersion '{0}' is not supported. Set AiCudnnVersion to 8, 9 or none");
    public static readonly AiDiagnosticDescriptor CudnnNotAvailable = E("AIC1006", "AiCudnnVersion '{0}' has no nvidia/cuda image for CUDA {1}: {2}. Set {3}");
    public static readonly AiDiagnosticDescriptor BaseOsNotAvailable = E("AIC1007", "AiBaseOs '{0}' has no nvidia/cuda image for CUDA {1}{2}. Set AiBaseOs to one of: {3}");
    public static readonly AiDiagnosticDescriptor CudnnWithBaseFlavor = E("AIC1008", "AiCudaFlavor 'base' has no cuDNN variant (cuDNN ships only in runtime and devel images). Set AiCudaFlavor to runtime or devel, or AiCudnnVersion to none");
    public static readonly AiDiagnosticDescriptor BaseImageAndCudaVersion = E("AIC1009", "AiBaseImage '{0}' and AiCudaVersion '{1}' are both set, so the base is ambiguous. Remove AiCudaVersion (AiBaseImage is used as is) or remove AiBaseImage");
    public static readonly AiDiagnosticDescriptor InvalidImageReference = E("AIC1010", "{0} '{1}' is not a valid image reference: {2}. Set {0} to [registry/]repository[:tag][@sha256:<64 hex>] with a lowercase repository");
    public static readonly AiDiagnosticDescriptor InvalidRepository = E("AIC1011", "ContainerRepository '{0}' is not a valid repository name: {1}. Set ContainerRepository to lowercase path components of [a-z0-9] separated by '.', '_', '__' or '-', joined by '/', at most 255 characters (e.g. acme/sentiment)");
    public static readonly AiDiagnosticDescriptor InvalidTag = E("AIC1012", "{0} '{1}' is not a valid image tag. Set {0} to 1-128 characters of [A-Za-z0-9_.-] that do not start with '.' or '-' (e.g. 1.2.0)");
    public static readonly AiDiagnosticDescriptor TagAndTagsBothSet = E("AIC1013", "ContainerImageTag '{0}' and ContainerImageTags '{1}' are both set. Set only one of them (ContainerImageTags takes a ';'-separated list)");
    public static readonly AiDiagnosticDescriptor InvalidRegistry = E("AIC1014", "{0} '{1}' is not a valid registry host. Set {0} to host[:port] (e.g. ghcr.io or 127.0.0.1:5000) without a scheme or path");
    public static readonly AiDiagnosticDescriptor InvalidPort = E("AIC1015", "ContainerPort '{0}' is not valid: {1}. Set ContainerPort Include to a number 1-65535 and Type to tcp or udp");
    public static readonly AiDiagnosticDescriptor InvalidEnvironmentName = E("AIC1016", "{0} '{1}' is not a valid environment variable name. Use letters, digits and '_', not starting with a digit (e.g. LOG_LEVEL)");
    public static readonly AiDiagnosticDescriptor InvalidLabelName = E("AIC1017", "ContainerLabel '{0}' is not a valid label key. Use lowercase reverse-DNS keys of [a-z0-9.-] (e.g. com.acme.team)");
    public static readonly AiDiagnosticDescriptor InvalidHealthCheckPath = E("AIC1018", "AiHealthCheckPath '{0}' is not an absolute URL path. Set AiHealthCheckPath to a path starting with '/' (e.g. /health)");
    public static readonly AiDiagnosticDescriptor HealthCheckWithoutPort = E("AIC1019", "AiHealthCheckPath '{0}' is set but no port is known to probe. Add a ContainerPort item or set AiHealthCheckPort");
    public static readonly AiDiagnosticDescriptor InvalidDuration = E("AIC1020", "{0} '{1}' is not a duration. Set {0} to a whole number followed by s, m or h (e.g. 30s)");
    public static readonly AiDiagnosticDescriptor InvalidPositiveInteger = E("AIC1021", "{0} '{1}' is not a positive whole number. Set {0} to 1 or more");
    public static readonly AiDiagnosticDescriptor UnknownGpuCapability = E("AIC1022", "AiGpuCapabilities '{0}' names an unknown capability '{1}'. Use a comma-separated list of: compute, utility, graphics, video, display, compat32, all");
    public static readonly AiDiagnosticDescriptor InvalidGpuDevices = E("AIC1023", "AiGpuDevices '{0}' is not a device list: {1}. Set AiGpuDevices to comma-separated GPU indexes or UUIDs (e.g. 0,1 or GPU-3a23c669-1f69-c64e-cf85-44e9b07e7a2a)");
    public static readonly AiDiagnosticDescriptor InvalidGpuCount = E("AIC1024", "AiGpuCount '{0}' is not a GPU count. Set AiGpuCount to all or a whole number of 1 or more");
    public static readonly AiDiagnosticDescriptor InvalidSize = E("AIC1025", "{0} '{1}' is not a size. Set {0} to a number with an optional unit b, k, m or g (e.g. 2g or 512m)");
    public static readonly AiDiagnosticDescriptor InvalidCpuLimit = E("AIC1026", "AiCpuLimit '{0}' is not a CPU count. Set AiCpuLimit to a positive number (e.g. 2 or 1.5)");
    public static readonly AiDiagnosticDescriptor InvalidUser = E("AIC1027", "ContainerUser '{0}' is not a user. Set ContainerUser to a user name, a numeric UID, or uid:gid (e.g. 1654 or app)");
    public static readonly AiDiagnosticDescriptor InvalidMirror = E("AIC1028", "AiRegistryMirror '{0}' is not a mirror mapping: {1}. Set AiRegistryMirror to a prefix such as mirror.example.com/dockerhub, or to ';'-separated registry=prefix pairs (e.g. docker.io=mirror.local/hub;nvcr.io=mirror.local/nvcr)");
    public static readonly AiDiagnosticDescriptor RelativeWorkingDirectory = E("AIC1029", "{0} '{1}' is not an absolute path. Set {0} to a path starting with '/' (e.g. /app)");
    public static readonly AiDiagnosticDescriptor CudaOnCpuImage = E("AIC1030", "AiCudaVersion '{0}' is set but AiGpu is false, so no CUDA base would be used. Remove AiCudaVersion for a CPU image or set AiGpu to true");
    public static readonly AiDiagnosticDescriptor InvalidCreated = E("AIC1031", "{0} '{1}' is not a creation time. Set {0} to seconds since the Unix epoch (SOURCE_DATE_EPOCH) or an ISO-8601 UTC time (AiImageCreated)");
    public static readonly AiDiagnosticDescriptor MissingRepository = E("AIC1032", "No image name is known: ContainerRepository is empty and the project name '{0}' cannot be made a repository name. Set ContainerRepository (e.g. acme/sentiment)");
    public static readonly AiDiagnosticDescriptor GpuSettingOnCpuImage = E("AIC1033", "{0} is set but AiGpu is false. Remove {0} or set AiGpu to true");
    public static readonly AiDiagnosticDescriptor InvalidCommandLine = E("AIC1034", "{0} '{1}' is empty or has an unbalanced quote. Set {0} to a command line such as python train.py --epochs 3");
    public static readonly AiDiagnosticDescriptor InvalidSystemPackage = E("AIC1035", "AiSystemPackages '{0}' is not a Debian/Ubuntu package name. Use names of [a-z0-9.+-], optionally with =version (e.g. libgomp1)");
    public static readonly AiDiagnosticDescriptor InvalidDriverVersion = E("AIC1036", "AiMinDriverVersion '{0}' is not a driver version. Set AiMinDriverVersion to numbers separated by dots (e.g. 535.104.05)");
    public static readonly AiDiagnosticDescriptor GpuDevicesAndCount = E("AIC1037", "AiGpuDevices '{0}' and AiGpuCount '{1}' are both set. Set only one: AiGpuDevices picks GPUs, AiGpuCount asks for a number of them");

    public static readonly AiDiagnosticDescriptor LatestBaseTag = W("AIC1501", "{0} '{1}' uses the 'latest' tag (or none), so builds are not reproducible. Pin {0} to a version tag or a digest");
    public static readonly AiDiagnosticDescriptor RootUser = W("AIC1502", "ContainerUser '{0}' runs the container as root. Leave ContainerUser unset for the non-root user {1}, or set a non-root user");
    public static readonly AiDiagnosticDescriptor CudaOptionIgnoredWithBaseImage = W("AIC1503", "{0} is ignored because AiBaseImage '{1}' is used as is. Remove {0}, or remove AiBaseImage to let AiContainers choose a CUDA image");

    // ---- 2xxx: generation ----
    public static readonly AiDiagnosticDescriptor PublishDirectoryMissing = E("AIC2001", "The publish output '{0}' does not exist. Run dotnet publish with -p:PublishAiImage=true (it publishes first), or set AiAppDirectory to a folder with the app");
    public static readonly AiDiagnosticDescriptor EntryPointMissing = E("AIC2002", "The app entry point '{0}' is not in the publish output '{1}'. Check AssemblyName and RuntimeIdentifier, or set AiEntrypoint");
    public static readonly AiDiagnosticDescriptor HealthProbeUnavailable = E("AIC2003", "The built-in health probe has no binary for '{0}' at '{1}'. Set AiHealthCheckCommand to a probe command that exists in the image, or use RuntimeIdentifier linux-x64");
    public static readonly AiDiagnosticDescriptor TemplateFailed = E("AIC2004", "Template '{0}' failed to render: {1}. This is a bug in AiContainers; report it with the project file");
    public static readonly AiDiagnosticDescriptor OutputPathInsideApp = E("AIC2005", "AiImageOutputPath '{0}' lies inside the app folder '{1}', so the image would contain itself. Set AiImageOutputPath to a folder outside it");
    public static readonly AiDiagnosticDescriptor UnsupportedRuntimeIdentifier = E("AIC2006", "RuntimeIdentifier '{0}' is not a Linux runtime, so the app cannot run in a Linux image. Set RuntimeIdentifier to linux-x64 or linux-arm64");

    public static readonly AiDiagnosticDescriptor GlobalizationInvariantAssumed = W("AIC2501", "The image has no ICU libraries, so the app runs with DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true. Set InvariantGlobalization to true in the project to say so, or add an AiSystemPackages item for libicu (e.g. libicu70 on ubuntu22.04)");

    // ---- 3xxx: Docker engine ----
    public static readonly AiDiagnosticDescriptor EngineUnreachable = E("AIC3001", "No Docker engine answers at {0}: {1}. Start dockerd (or Docker Desktop), point DOCKER_HOST (or 'docker context use <name>') at it, or set AiImageBuilder to None to only generate the Dockerfile");
    public static readonly AiDiagnosticDescriptor BuildStepFailed = E("AIC3002", "docker build failed at {0}: {1}. Fix the step (its output is above) and publish again");
    public static readonly AiDiagnosticDescriptor BuildProducedNoImage = E("AIC3003", "docker build finished without reporting an image ID. Check the engine log; set AiImageBuilder to None to inspect the generated Dockerfile");
    public static readonly AiDiagnosticDescriptor EngineRequestFailed = E("AIC3004", "The Docker engine refused {0}: {1}. Check that the engine at {2} is healthy and has disk space");
    public static readonly AiDiagnosticDescriptor DockerContextInvalid = E("AIC3005", "The docker context '{0}' cannot be read: {1}. Run 'docker context use default' or set DOCKER_HOST");

    // ---- 4xxx: registry ----
    public static readonly AiDiagnosticDescriptor RegistryUnauthorized = E("AIC4001", "Registry {0} refused the credentials for {1} (unauthorized); they came from {2}. Check the user name and password (or token) there, or set AICONTAINERS_{3}_REGISTRY_USER and AICONTAINERS_{3}_REGISTRY_PASSWORD (looked at first), or run 'docker login {0}'");
    public static readonly AiDiagnosticDescriptor RegistryDenied = E("AIC4002", "Registry {0} denied {1}: {2}. Check that the repository exists and the account may push to it, or set ContainerRepository");
    public static readonly AiDiagnosticDescriptor PushFailed = E("AIC4003", "Pushing {0} failed after {1} attempt(s): {2}. Check that registry {3} is reachable, or set AiImagePush to false to keep the image local");
    public static readonly AiDiagnosticDescriptor CredentialHelperFailed = E("AIC4004", "The credential helper docker-credential-{0} failed for {1}: {2}. Install the helper on PATH or fix credsStore/credHelpers in {3}");
    public static readonly AiDiagnosticDescriptor DockerConfigInvalid = E("AIC4005", "The Docker config '{0}' cannot be read: {1}. Fix the JSON or point DOCKER_CONFIG at a valid folder");
    public static readonly AiDiagnosticDescriptor BaseImagePullFailed = E("AIC4006", "Pulling base image {0} failed: {1}. Check the reference, set AiRegistryMirror for a network without Docker Hub, or log in to its registry");

    public static readonly AiDiagnosticDescriptor PushSkipped = W("AIC4501", "ContainerRegistry '{0}' is set but AiImagePush is false, so the image stays in the local engine. Set AiImagePush to true to push it");
}
