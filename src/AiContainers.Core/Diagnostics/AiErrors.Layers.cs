namespace AiContainers.Core.Diagnostics;

/// <summary>61xx (6100-6149): composing images without an engine: deterministic layers, the layer cache, image configs and archives.</summary>
public static partial class AiErrors
{
    public static readonly AiDiagnosticDescriptor InvalidLayerPath = E("AIC6100", "The image path '{0}' ({1}) is not a valid path inside an image: {2}. Use a relative path of '/'-separated names without '.', '..' or empty names (e.g. app/Foo.dll)");
    public static readonly AiDiagnosticDescriptor DuplicateLayerPath = E("AIC6101", "The image path '{0}' is added twice to layer '{1}' (from '{2}' and '{3}'). Keep one of the two files, or give them different paths in the image");
    public static readonly AiDiagnosticDescriptor LayerSourceMissing = E("AIC6102", "The file '{0}' for image path '{1}' in layer '{2}' does not exist. Build again so the file is produced, or remove it from the image");
    public static readonly AiDiagnosticDescriptor LayerEntryIncomplete = E("AIC6103", "The image path '{0}' in layer '{1}' is a {2} without {3}. This is a bug in AiContainers; report it with the project file");
    public static readonly AiDiagnosticDescriptor LayerCacheUnusable = E("AIC6104", "The layer cache '{0}' cannot be used: {1}. Make the folder writable, or delete it so it is created again");
    public static readonly AiDiagnosticDescriptor BaseImageConfigInvalid = E("AIC6105", "The base image's configuration is not an image configuration: {0}. Check that the base image (AiBaseImage or ContainerBaseImage) names a Linux container image");
    public static readonly AiDiagnosticDescriptor ImageArchiveFailed = E("AIC6106", "Writing the image archive '{0}' failed: {1}. Set ContainerArchiveOutputPath to a writable file or folder path");
    public static readonly AiDiagnosticDescriptor InvalidArchiveRepoTag = E("AIC6107", "The archive tag '{0}' is not repository:tag. Set ContainerRepository and ContainerImageTag(s) to valid values");
}
