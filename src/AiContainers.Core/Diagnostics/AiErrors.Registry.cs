namespace AiContainers.Core.Diagnostics;

/// <summary>42xx: the OCI distribution client (daemonless pull of base images and push of built images).</summary>
public static partial class AiErrors
{
    public static readonly AiDiagnosticDescriptor RegistryUnreachable = E("AIC4200", "Registry {0} cannot be reached at {1}: {2}. Check the registry host and port in the image reference and the network; for a registry that speaks plain HTTP, add {0} to DOTNET_CONTAINER_INSECURE_REGISTRIES");
    public static readonly AiDiagnosticDescriptor RegistryAccessDenied = E("AIC4203", "Registry {0} denied {1} ({2}){3}. Check that the account may {4} {5} (create the repository or grant the permission), or set ContainerRepository to a repository it may use");
    public static readonly AiDiagnosticDescriptor RegistryImageNotFound = E("AIC4204", "Registry {0} has no {1} ({2}). Check the repository and the tag or digest of the image reference (and AiRegistryMirror when the base is mirrored)");
    public static readonly AiDiagnosticDescriptor PlatformNotInImage = E("AIC4205", "Image {0} has no variant for platform {1}; it has: {2}. Set RuntimeIdentifier to one of these platforms (linux-x64 is linux/amd64, linux-arm64 is linux/arm64/v8), or choose a base image built for {1}");
    public static readonly AiDiagnosticDescriptor RegistryResponseInvalid = E("AIC4206", "Registry {0} answered {1} with {2}, which is not an OCI registry response. Check that {0} is the registry's host (not a web page, login portal or proxy) and that its API is served under /v2/");
    public static readonly AiDiagnosticDescriptor BlobUploadFailed = E("AIC4207", "Uploading blob {0} to {1}/{2} failed after {3} attempt(s): {4}. Check the network and the registry's storage, then publish again (blobs already in the registry are skipped)");
    public static readonly AiDiagnosticDescriptor RegistryDigestMismatch = E("AIC4208", "{0} has digest {1} but {2} was expected ({3}), so it was rejected. Publish again; if it repeats, the registry or a proxy in between alters content, or the local layer changed while being pushed");
    public static readonly AiDiagnosticDescriptor RegistryRetriesSpent = E("AIC4209", "Registry {0} did not complete {1} after {2} attempt(s) in {3:0.#} s: {4}. Check the registry's health and rate limits, then publish again");
    public static readonly AiDiagnosticDescriptor RegistryRequestRejected = E("AIC4210", "Registry {0} rejected {1} with {2}: {3}. Check the image reference and the registry's limits (manifest and layer media types, sizes)");
    public static readonly AiDiagnosticDescriptor UnsupportedManifestType = E("AIC4211", "Image {0} has a manifest of type '{1}', which AiContainers cannot use. Use an image with a Docker v2 schema 2 or OCI manifest (re-push it with a current docker or skopeo)");
    public static readonly AiDiagnosticDescriptor InvalidPlatform = E("AIC4212", "{0} '{1}' is not a platform. Set {0} to os/architecture[/variant] (e.g. linux/amd64 or linux/arm64/v8)");
    public static readonly AiDiagnosticDescriptor RegistryTokenFailed = E("AIC4213", "The token service {0} of registry {1} failed for {2}: {3}. Check the registry's authentication setup, or log in again with 'docker login {1}'");

    public static readonly AiDiagnosticDescriptor InsecureRegistryUsed = W("AIC4560", "Registry {0} is reached over plain HTTP because DOTNET_CONTAINER_INSECURE_REGISTRIES lists it, so credentials and images travel unencrypted. Remove {0} from DOTNET_CONTAINER_INSECURE_REGISTRIES once it serves HTTPS");
}
