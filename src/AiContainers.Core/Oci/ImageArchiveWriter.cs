using System.Formats.Tar;
using System.Text.Json.Nodes;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Oci;

/// <summary>A layer to put in an archive: its descriptor and a way to open the blob (cache file, or a registry download).</summary>
public sealed record ArchiveLayer(string MediaType, string Digest, long Size, Func<Stream> Open)
{
    public static ArchiveLayer From(LayerBlob blob) => new(blob.MediaType, blob.Digest, blob.Size, blob.Open);
}

/// <summary>One platform's image for an OCI layout archive.</summary>
public sealed record ArchiveImage(byte[] ConfigBytes, IReadOnlyList<ArchiveLayer> Layers, string Os, string Architecture, string? Variant = null);

/// <summary>
/// Image archives for use without a registry.
/// <list type="bullet">
/// <item><see cref="WriteDockerArchiveAsync"/>: the docker-save format (manifest.json with Config/RepoTags/Layers, the
/// config blob, every layer blob including the base's) that <c>docker load</c>, <c>podman load</c> and
/// <c>skopeo copy docker-archive:</c> read. It holds one platform. Layers stay as stored (gzip or plain tar): the
/// loaders detect compression, as Docker's own save output (since 25.0) relies on.</item>
/// <item><see cref="WriteOciArchiveAsync"/>: an OCI image layout in a tar (oci-layout, index.json, blobs/sha256), for a
/// multi-platform image: <c>skopeo copy --all oci-archive:PATH docker://…</c> or <c>podman load</c> (one platform).</item>
/// </list>
/// Entries have fixed times and owners, so the same image gives the same archive bytes.
/// Blobs are streamed into the tar: memory does not grow with layer size.
/// </summary>
public static class ImageArchiveWriter
{
    public static async Task WriteDockerArchiveAsync(string archivePath, IReadOnlyList<string> repoTags, byte[] configBytes,
        IReadOnlyList<ArchiveLayer> layers, CancellationToken ct)
    {
        foreach (var tag in repoTags)
        {
            var colon = tag.LastIndexOf(':');
            if (colon <= 0 || colon < tag.LastIndexOf('/') || colon == tag.Length - 1 || tag.Contains('@'))
                throw new AiException(AiErrors.InvalidArchiveRepoTag, null, tag);
        }
        var configDigest = CanonicalJson.Digest(configBytes);
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = BlobName(configDigest),
            ["RepoTags"] = new JsonArray(repoTags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
            ["Layers"] = new JsonArray(layers.Select(l => (JsonNode?)JsonValue.Create(BlobName(l.Digest))).ToArray()),
        });
        await WriteTarAsync(archivePath, async tar =>
        {
            await WriteBytesAsync(tar, "manifest.json", CanonicalJson.Serialize(manifest), ct).ConfigureAwait(false);
            var written = new HashSet<string>(StringComparer.Ordinal);
            await WriteBlobAsync(tar, written, configDigest, configBytes, ct).ConfigureAwait(false);
            foreach (var layer in layers) await WriteLayerAsync(tar, written, layer, ct).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// An OCI image layout tar holding one manifest per platform and, when there are several, an image index over them.
    /// <paramref name="referenceName"/> (e.g. "127.0.0.1:5000/acme/app:1.0") is written as the
    /// org.opencontainers.image.ref.name annotation so tools can name the image.
    /// </summary>
    public static async Task WriteOciArchiveAsync(string archivePath, string referenceName, IReadOnlyList<ArchiveImage> images, CancellationToken ct)
    {
        if (images.Count == 0) throw new ArgumentException("no images", nameof(images));
        await WriteTarAsync(archivePath, async tar =>
        {
            await WriteBytesAsync(tar, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"u8.ToArray(), ct).ConfigureAwait(false);
            var written = new HashSet<string>(StringComparer.Ordinal);
            var platformManifests = new List<PlatformManifest>();
            foreach (var image in images)
            {
                var configDigest = CanonicalJson.Digest(image.ConfigBytes);
                await WriteBlobAsync(tar, written, configDigest, image.ConfigBytes, ct).ConfigureAwait(false);
                foreach (var layer in image.Layers) await WriteLayerAsync(tar, written, layer, ct).ConfigureAwait(false);
                var manifest = ManifestWriter.Manifest(ImageFormat.Oci, configDigest, image.ConfigBytes.Length,
                    image.Layers.Select(l => new BlobDescriptor(l.MediaType, l.Digest, l.Size)).ToList());
                var manifestDigest = CanonicalJson.Digest(manifest);
                await WriteBlobAsync(tar, written, manifestDigest, manifest, ct).ConfigureAwait(false);
                platformManifests.Add(new PlatformManifest(manifestDigest, manifest.Length, OciMediaTypes.OciManifest, image.Os, image.Architecture, image.Variant));
            }
            JsonObject top;
            if (platformManifests.Count == 1)
            {
                top = ManifestWriter.PlatformDescriptor(platformManifests[0]);
            }
            else
            {
                var index = ManifestWriter.Index(ImageFormat.Oci, platformManifests);
                var indexDigest = CanonicalJson.Digest(index);
                await WriteBlobAsync(tar, written, indexDigest, index, ct).ConfigureAwait(false);
                top = ManifestWriter.Descriptor(OciMediaTypes.OciIndex, indexDigest, index.Length);
            }
            top["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = referenceName };
            var layoutIndex = new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = OciMediaTypes.OciIndex,
                ["manifests"] = new JsonArray(top),
            };
            await WriteBytesAsync(tar, "index.json", CanonicalJson.Serialize(layoutIndex), ct).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    private static string BlobName(string digest) => "blobs/sha256/" + digest["sha256:".Length..];

    /// <summary>Writes to a temp file beside the target and renames it, so a failed write never leaves a half archive.</summary>
    private static async Task WriteTarAsync(string archivePath, Func<TarWriter, Task> body, CancellationToken ct)
    {
        var full = Path.GetFullPath(archivePath);
        var temp = full + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                var tar = new TarWriter(file, TarEntryFormat.Ustar, leaveOpen: true);
                await using (tar.ConfigureAwait(false))
                {
                    await WriteDirectoryAsync(tar, "blobs/", ct).ConfigureAwait(false);
                    await WriteDirectoryAsync(tar, "blobs/sha256/", ct).ConfigureAwait(false);
                    await body(tar).ConfigureAwait(false);
                }
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new AiException(AiErrors.ImageArchiveFailed, null, archivePath, e.Message);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static async Task WriteLayerAsync(TarWriter tar, HashSet<string> written, ArchiveLayer layer, CancellationToken ct)
    {
        if (!written.Add(layer.Digest)) return; // the same blob twice (e.g. two empty layers) is stored once
        var source = layer.Open();
        await using (source.ConfigureAwait(false))
        {
            // The archive file is seekable, so TarWriter can take an unseekable download stream and fix the size after.
            var entry = NewEntry(TarEntryType.RegularFile, BlobName(layer.Digest));
            entry.DataStream = source;
            await tar.WriteEntryAsync(entry, ct).ConfigureAwait(false);
        }
    }

    private static async Task WriteBlobAsync(TarWriter tar, HashSet<string> written, string digest, byte[] bytes, CancellationToken ct)
    {
        if (!written.Add(digest)) return;
        await WriteBytesAsync(tar, BlobName(digest), bytes, ct).ConfigureAwait(false);
    }

    private static async Task WriteBytesAsync(TarWriter tar, string name, byte[] bytes, CancellationToken ct)
    {
        var entry = NewEntry(TarEntryType.RegularFile, name);
        entry.DataStream = new MemoryStream(bytes, writable: false);
        await tar.WriteEntryAsync(entry, ct).ConfigureAwait(false);
    }

    private static Task WriteDirectoryAsync(TarWriter tar, string name, CancellationToken ct)
    {
        var entry = NewEntry(TarEntryType.Directory, name);
        entry.Mode = (UnixFileMode)0x1ED;
        return tar.WriteEntryAsync(entry, ct);
    }

    private static UstarTarEntry NewEntry(TarEntryType type, string name) => new(type, name)
    {
        ModificationTime = DateTimeOffset.UnixEpoch,
        Mode = (UnixFileMode)0x1A4,
        Uid = 0,
        Gid = 0,
        UserName = "",
        GroupName = "",
    };

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
