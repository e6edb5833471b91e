using System.Security.Cryptography;

namespace AiContainers.Core.Oci.Registry;

/// <summary>The media types the client reads and writes.</summary>
public static class RegistryMediaTypes
{
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";

    /// <summary>The Accept header of a manifest GET: every type we can use, so the registry never converts to schema 1.</summary>
    public static readonly string[] ManifestAccept = { OciIndex, DockerManifestList, OciManifest, DockerManifest };

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;
    public static bool IsImageManifest(string mediaType) => mediaType is OciManifest or DockerManifest;
}

/// <summary>A manifest exactly as the registry sent it: <see cref="Bytes"/> are what <see cref="Digest"/> hashes, never re-serialised.</summary>
public sealed record RegistryManifest(string MediaType, byte[] Bytes, string Digest)
{
    public bool IsIndex => RegistryMediaTypes.IsIndex(MediaType);
}

/// <summary>One layer of a base image, as its manifest lists it.</summary>
public sealed record RegistryLayerRef(string MediaType, string Digest, long Size);

/// <summary>A base image read for one platform: its manifest, its config (raw bytes) and its layers.</summary>
public sealed record ResolvedImage(
    string Registry,
    string Repository,
    string ManifestDigest,
    RegistryManifest Manifest,
    byte[] ConfigBytes,
    string ConfigDigest,
    IReadOnlyList<RegistryLayerRef> Layers,
    string? IndexDigest)
{
    /// <summary>The config's media type as the manifest names it.</summary>
    public string ConfigMediaType { get; init; } = RegistryMediaTypes.OciConfig;
}

/// <summary>sha256 digests in the OCI form (sha256:&lt;64 lowercase hex&gt;).</summary>
public static class RegistryDigest
{
    public static string Of(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    public static string FromHash(byte[] hash) => "sha256:" + Convert.ToHexString(hash).ToLowerInvariant();

    public static bool IsSha256(string? digest)
        => digest is { Length: 71 } && digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.AsSpan(7).IndexOfAnyExcept("0123456789abcdef") < 0;
}
