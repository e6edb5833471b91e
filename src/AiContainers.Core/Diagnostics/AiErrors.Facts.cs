namespace AiContainers.Core.Diagnostics;

/// <summary>CUDA facts, the driver requirement and what restore resolved: errors AIC1700-AIC1719, warnings AIC1580-AIC1759.</summary>
public static partial class AiErrors
{
    public static readonly AiDiagnosticDescriptor UnreadableAssetsFile = E("AIC1700", "The restore output '{0}' could not be read ({1}), so the packages the project really uses are unknown. Run 'dotnet restore' for the project, or set AiCudaVersion");

    public static readonly AiDiagnosticDescriptor MinDriverBelowCudaFloor = W("AIC1580", "AiMinDriverVersion '{0}' is below {1}, the oldest driver that runs CUDA {2} applications, so the image built on CUDA {3} accepts drivers that only data-center GPUs with the CUDA forward-compatibility package can use. Set AiMinDriverVersion to {1} or newer, or leave it unset to keep the base image's NVIDIA_REQUIRE_CUDA");
}
