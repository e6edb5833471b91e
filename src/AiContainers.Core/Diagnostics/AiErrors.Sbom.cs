namespace AiContainers.Core.Diagnostics;

/// <summary>71xx (7100-7149 errors, 7520-7539 warnings): the SBOM (AiSbom), its referrer artifact, and the provenance facts.</summary>
public static partial class AiErrors
{
    public static readonly AiDiagnosticDescriptor SbomAssetsUnreadable = E("AIC7100", "The restore output '{0}' cannot be read for the SBOM: {1}. Run dotnet restore again, or set AiSbom to false to publish without an SBOM");
    public static readonly AiDiagnosticDescriptor SbomWriteFailed = E("AIC7101", "Writing the SBOM '{0}' failed: {1}. Make AiImageOutputPath a writable folder, or set AiSbom to false");
    public static readonly AiDiagnosticDescriptor LockFileUnreadable = E("AIC7102", "The lock file '{0}' cannot be read to record its digest: {1}. Make the file readable, or delete it so the next publish writes it again");

    public static readonly AiDiagnosticDescriptor SbomReferrerRefused = W("AIC7520", "The registry {0} did not take the SBOM as an OCI artifact referring to {1}: {2}. The image is pushed and its SBOM is in '{3}'; grant push rights to the repository's sha256-* tags, or set AiSbom to false");
    public static readonly AiDiagnosticDescriptor SbomPipListUnreadable = W("AIC7521", "The Python package list '{0}' in image {1} cannot be read ({2}), so the SBOM lists no Python packages. Keep AiPythonVersion's generated builder stage (it writes the list), or set AiSbom to false");
}
