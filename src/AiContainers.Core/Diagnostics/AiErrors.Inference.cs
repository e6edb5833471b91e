namespace AiContainers.Core.Diagnostics;

/// <summary>CUDA inference from referenced packages and pinned requirements: errors AIC1200-AIC1299, warnings AIC1520-AIC1549.</summary>
public static partial class AiErrors
{
    public static readonly AiDiagnosticDescriptor CudaVersionMismatch = E("AIC1201", "AiCudaVersion '{0}' does not match {1} ({2}). Set AiCudaVersion to {3}{4}");
    public static readonly AiDiagnosticDescriptor CudnnVersionMismatch = E("AIC1202", "AiCudnnVersion '{0}' does not match {1} ({2}). Set AiCudnnVersion to {3}, or leave it unset to get what the packages need");
    public static readonly AiDiagnosticDescriptor PackagesNeedDifferentCuda = E("AIC1203", "{0} {1} ({2}) and {3} {4} ({5}) cannot run on one CUDA image. Use {6}");
    public static readonly AiDiagnosticDescriptor NoCatalogImageForPackages = E("AIC1204", "The nvidia/cuda catalog has no image that serves {0} ({1}). {2}");
    public static readonly AiDiagnosticDescriptor CudnnMissingForCudaVersion = E("AIC1205", "AiCudaVersion '{0}' has no nvidia/cuda image with cuDNN {1}, which {2} needs. Set AiCudaVersion to {3}, or AiBaseImage to an image that has cuDNN {1}");
    public static readonly AiDiagnosticDescriptor BaseImageCudaMismatch = E("AIC1206", "AiBaseImage '{0}' has {1}, which does not match {2} ({3}). Set AiBaseImage to an image with {4}{5}");

    public static readonly AiDiagnosticDescriptor CpuPackageOnGpuImage = W("AIC1520", "{0} {1} is a CPU-only build, but AiGpu is true, so it will not use the CUDA image. Use {2}, or set AiGpu to false for a smaller CPU image");
    public static readonly AiDiagnosticDescriptor GpuPackageOnCpuImage = W("AIC1521", "{0} {1} is a CUDA build, but AiGpu is false, so the image has no CUDA for it. Set AiGpu to true, or use {2}");
    public static readonly AiDiagnosticDescriptor FrameworkVersionNotInData = W("AIC1522", "{0} {1} is not in the CUDA data AiContainers knows ({2}), so the CUDA it needs was neither chosen nor checked. Set AiCudaVersion and AiCudnnVersion to what it needs");
    public static readonly AiDiagnosticDescriptor UnpinnedFramework = W("AIC1523", "AiPythonRequirements has {0} without one pinned release ('{1}'), so the CUDA it needs is unknown. Pin it (e.g. {2}), or set AiCudaVersion");
}
