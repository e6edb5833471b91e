namespace AiContainers.Core.Diagnostics;

// ---- 6xxx: the image builders (which one runs, and the daemonless path) ----
public static partial class AiErrors
{
    public static readonly AiDiagnosticDescriptor DaemonlessNeedsRun = E("AIC6001", "AiImageBuilder is Daemonless, but {0} needs a RUN step ({1}), which only an engine can run. Set AiImageBuilder=Docker (or Auto, which picks Docker for such images), or remove {0}");
    public static readonly AiDiagnosticDescriptor DaemonlessFrameworkDependent = E("AIC6002", "AiImageBuilder is Daemonless, but SelfContained=false needs the .NET runtime from {0}, which the daemonless builder does not merge into another base. Set SelfContained=true (the default with PublishAiImage), or set AiImageBuilder=Docker");
    public static readonly AiDiagnosticDescriptor InvalidImageFormat = E("AIC6003", "ContainerImageFormat '{0}' is not a known format. Set ContainerImageFormat to Docker (keeps HEALTHCHECK) or OCI");
    public static readonly AiDiagnosticDescriptor ArchiveNeedsDaemonless = E("AIC6004", "ContainerArchiveOutputPath is set, but the {0} builder writes no archive. Set AiImageBuilder=Daemonless (or Auto), or remove ContainerArchiveOutputPath and use 'docker save'");
    public static readonly AiDiagnosticDescriptor NothingToPublishTo = E("AIC6005", "The daemonless builder has nowhere to put the image: no ContainerRegistry, no ContainerArchiveOutputPath and no Docker engine answered at {0} ({1}). Set ContainerRegistry to push, ContainerArchiveOutputPath to write a tarball, or start the engine (DOCKER_HOST) to load the image into it");
    public static readonly AiDiagnosticDescriptor PublishCancelled = E("AIC6006", "The publish was cancelled ({0}) before the image landed: nothing was tagged or pushed as complete. Run the publish again when ready");
    public static readonly AiDiagnosticDescriptor EngineLoadFailed = E("AIC6008", "The engine at {0} refused to load the composed image: {1}. Check the engine's log, or set ContainerRegistry to push instead or ContainerArchiveOutputPath to write a tarball");
    public static readonly AiDiagnosticDescriptor BaseLayerFormatUnsupported = E("AIC6007", "The base image {0} has a layer of media type '{1}', which the daemonless builder cannot reference. Set AiImageBuilder=Docker, or choose another AiBaseImage");
}
