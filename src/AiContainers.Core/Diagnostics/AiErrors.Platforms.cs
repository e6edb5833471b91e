namespace AiContainers.Core.Diagnostics;

// ---- 6170-6189: multi-platform publishing (ContainerRuntimeIdentifiers) ----
public static partial class AiErrors
{
    public static readonly AiDiagnosticDescriptor InvalidContainerRuntimeIdentifier = E("AIC6170", "ContainerRuntimeIdentifiers entry '{0}' is not a Linux runtime identifier with a container platform. Set ContainerRuntimeIdentifiers to Linux RIDs separated by ';' or ',' (e.g. linux-x64,linux-arm64)");
    public static readonly AiDiagnosticDescriptor DuplicateContainerPlatform = E("AIC6171", "ContainerRuntimeIdentifiers entries '{0}' and '{1}' are both platform {2}, so one image index would list it twice. Keep one of them in ContainerRuntimeIdentifiers");
    public static readonly AiDiagnosticDescriptor HealthProbeMissingForPlatform = E("AIC6172", "The built-in health probe has no build for {0} (this package ships it for: {1}). Set AiHealthCheckCommand to a probe that runs on {0}, or remove {0} from ContainerRuntimeIdentifiers");
    public static readonly AiDiagnosticDescriptor DockerBuilderOnePlatform = E("AIC6173", "AiImageBuilder is Docker, but ContainerRuntimeIdentifiers names {0} platforms ({1}) and the Docker builder builds one. Set AiImageBuilder=Daemonless (or Auto) to push one image index for all of them, or set ContainerRuntimeIdentifiers to a single RID");
    public static readonly AiDiagnosticDescriptor MultiPlatformNeedsRun = E("AIC6174", "ContainerRuntimeIdentifiers names {0} platforms, which only the daemonless builder publishes, but {1} needs a RUN step ({2}), which only the Docker builder runs. Remove {1}, or set ContainerRuntimeIdentifiers to a single RID (then AiImageBuilder=Auto picks Docker)");
    public static readonly AiDiagnosticDescriptor MultiPlatformFrameworkDependent = E("AIC6175", "ContainerRuntimeIdentifiers names {0} platforms, which only the daemonless builder publishes, but SelfContained=false takes the .NET runtime from {1}, which only the Docker builder merges. Set SelfContained=true (the default with PublishAiImage), or set ContainerRuntimeIdentifiers to a single RID");
    public static readonly AiDiagnosticDescriptor BaseLacksPlatform = E("AIC6176", "The base image {0} has no image for {1} (ContainerRuntimeIdentifiers entry {2}); it offers: {3}. Remove {2} from ContainerRuntimeIdentifiers, or set AiBaseImage to a base built for {1}");
    public static readonly AiDiagnosticDescriptor PlatformPublishMissing = E("AIC6177", "There is no published app for ContainerRuntimeIdentifiers entry {0}: {1}. Publish with 'dotnet publish -p:PublishAiImage=true' (it publishes the app once per entry of ContainerRuntimeIdentifiers), or remove {0} from ContainerRuntimeIdentifiers");
    public static readonly AiDiagnosticDescriptor PlatformContextMissing = E("AIC6178", "The build context for {0} is missing at {1}. Run the GenerateAiImage target (dotnet publish -p:PublishAiImage=true runs it) before BuildAiImage, or remove {0} from ContainerRuntimeIdentifiers");
}
