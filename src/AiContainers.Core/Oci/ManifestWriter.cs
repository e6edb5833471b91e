using System.Text.Json.Nodes;

namespace AiContainers.Core.Oci;

/// <summary>A blob reference as manifests list it.</summary>
public sealed record BlobDescriptor(string MediaType, string Digest, long Size);

/// <summary>One platform's manifest as an index lists it.</summary>
public sealed record PlatformManifest(string Digest, long Size, string MediaType, string Os, string Architecture, string? Variant = null);

/// <summary>Image manifests and indexes (manifest lists) in canonical JSON.</summary>
public static class ManifestWriter
{
    /// <summary>
    /// The manifest of one image. Layer media types are mapped to <paramref name="format"/>'s vocabulary, so base layers
    /// pulled as Docker schema 2 can sit in an OCI manifest and the other way round.
    /// </summary>
    public static byte[] Manifest(ImageFormat format, string configDigest, long configSize, IReadOnlyList<BlobDescriptor> layers)
    {
        var node = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.Manifest(format),
            ["config"] = Descriptor(OciMediaTypes.Config(format), configDigest, configSize),
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode?)Descriptor(OciMediaTypes.MapLayer(l.MediaType, format), l.Digest, l.Size)).ToArray()),
        };
        return CanonicalJson.Serialize(node);
    }

    public static byte[] Manifest(ImageFormat format, string configDigest, long configSize, IReadOnlyList<(string MediaType, string Digest, long Size)> layers)
        => Manifest(format, configDigest, configSize, layers.Select(l => new BlobDescriptor(l.MediaType, l.Digest, l.Size)).ToList());

    /// <summary>A multi-platform index (Docker: manifest list) over per-platform manifests.</summary>
    public static byte[] Index(ImageFormat format, IReadOnlyList<PlatformManifest> manifests)
    {
        var node = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciMediaTypes.Index(format),
            ["manifests"] = new JsonArray(manifests.Select(m => (JsonNode?)PlatformDescriptor(m)).ToArray()),
        };
        return CanonicalJson.Serialize(node);
    }

    public static byte[] Index(ImageFormat format, IReadOnlyList<(string Digest, long Size, string MediaType, string Os, string Architecture, string? Variant)> manifests)
        => Index(format, manifests.Select(m => new PlatformManifest(m.Digest, m.Size, m.MediaType, m.Os, m.Architecture, m.Variant)).ToList());

    internal static JsonObject PlatformDescriptor(PlatformManifest m)
    {
        var platform = new JsonObject { ["architecture"] = m.Architecture, ["os"] = m.Os };
        if (m.Variant is not null) platform["variant"] = m.Variant;
        var descriptor = Descriptor(m.MediaType, m.Digest, m.Size);
        descriptor["platform"] = platform;
        return descriptor;
    }

    internal static JsonObject Descriptor(string mediaType, string digest, long size)
        => new() { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };
}
