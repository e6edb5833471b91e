using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Oci;

/// <summary>
/// A folder of content-addressed layer blobs (<c>blobs/sha256/&lt;hex&gt;</c>) plus an index from an input key
/// (<c>index/&lt;key&gt;.json</c>) to the blob it produced, so an unchanged layer is neither re-read nor re-compressed.
/// Uncompressed layers (weights) have an index record and no blob: their tar is written again from the files when read.
/// Writers put a blob in place with an atomic rename, so concurrent builds sharing the folder see whole blobs only.
/// </summary>
public sealed partial class LayerCache
{
    private const string KeyVersion = "aic-layer-v1"; // bump when the tar layout changes, so old keys miss

    public LayerCache(string directory)
    {
        Directory = Path.GetFullPath(directory);
        try
        {
            System.IO.Directory.CreateDirectory(BlobDirectory);
            System.IO.Directory.CreateDirectory(IndexDirectory);
            System.IO.Directory.CreateDirectory(TempDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AiException(AiErrors.LayerCacheUnusable, null, Directory, e.Message);
        }
    }

    public string Directory { get; }
    private string BlobDirectory => Path.Combine(Directory, "blobs", "sha256");
    private string IndexDirectory => Path.Combine(Directory, "index");
    internal string TempDirectory => Path.Combine(Directory, "tmp");

    /// <summary>
    /// The cache key of a layer: entry paths, kinds, modes, owners, link targets, and for each source file its full
    /// path, size and last-write time (no content is read, so an unchanged 1 GiB file costs one stat).
    /// </summary>
    public static string KeyOf(IReadOnlyList<LayerEntry> entries, LayerCompression compression, DateTimeOffset modified)
        => KeyOf(entries, compression, modified, null);

    /// <summary>
    /// As <see cref="KeyOf(IReadOnlyList{LayerEntry}, LayerCompression, DateTimeOffset)"/>, but a source file listed in
    /// <paramref name="contentSha256BySourcePath"/> (full path → its known SHA-256, e.g. a verified model file) is keyed by
    /// that hash instead of its path and timestamps, so the key is the same on every machine and in every project.
    /// </summary>
    public static string KeyOf(IReadOnlyList<LayerEntry> entries, LayerCompression compression, DateTimeOffset modified,
        IReadOnlyDictionary<string, string>? contentSha256BySourcePath)
    {
        var text = new StringBuilder();
        text.Append(KeyVersion).Append('\n').Append(compression).Append('\n')
            .Append(modified.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var e in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            text.Append(e.Kind).Append('\0').Append(e.Path).Append('\0')
                .Append(e.Mode.ToString(CultureInfo.InvariantCulture)).Append('\0')
                .Append(e.Uid.ToString(CultureInfo.InvariantCulture)).Append('\0')
                .Append(e.Gid.ToString(CultureInfo.InvariantCulture)).Append('\0')
                .Append(e.LinkTarget).Append('\0');
            if (e.Kind == LayerEntryKind.File && e.SourcePath is { } source)
            {
                var full = Path.GetFullPath(source);
                if (contentSha256BySourcePath is not null && contentSha256BySourcePath.TryGetValue(full, out var sha)
                    || contentSha256BySourcePath is not null && contentSha256BySourcePath.TryGetValue(source, out sha))
                {
                    text.Append("sha256:").Append(sha.StartsWith("sha256:", StringComparison.Ordinal) ? sha[7..] : sha).Append('\0');
                }
                else
                {
                    var info = new FileInfo(full);
                    // A missing file gets a key that never matches, so WriteAsync reaches it and reports AIC6102.
                    text.Append(full).Append('\0')
                        .Append(info.Exists ? info.Length.ToString(CultureInfo.InvariantCulture) : "missing-" + Guid.NewGuid().ToString("N")).Append('\0')
                        .Append(info.Exists ? info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture) : "").Append('\0');
                }
            }
            text.Append('\n');
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant();
    }

    /// <summary>The layer an earlier write stored under <paramref name="key"/>, if its blob is still there with its size.</summary>
    public bool TryGet(string key, out LayerBlob blob)
    {
        blob = null!;
        var indexPath = Path.Combine(IndexDirectory, key + ".json");
        if (!File.Exists(indexPath)) return false;
        try
        {
            var record = JsonSerializer.Deserialize(File.ReadAllBytes(indexPath), IndexJson.Default.IndexRecord);
            if (record is null) return false;
            if (record.Regenerated)
            {
                // No blob: the caller regenerates the tar from the entries the key was made of.
                blob = new LayerBlob(record.Digest, record.DiffId, record.Size, record.MediaType, "", record.Description);
                return true;
            }
            if (!HasBlob(record.Digest, record.Size)) return false;
            blob = new LayerBlob(record.Digest, record.DiffId, record.Size, record.MediaType, BlobPath(record.Digest), record.Description);
            return true;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return false; // a torn or foreign index file is a miss: the layer is written again
        }
    }

    /// <summary>Where the blob with <paramref name="digest"/> lives (or would live) in this cache.</summary>
    public string BlobPath(string digest)
    {
        if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71 || !digest[7..].All(Uri.IsHexDigit))
            throw new ArgumentException($"'{digest}' is not a sha256 digest", nameof(digest));
        return Path.Combine(BlobDirectory, digest[7..]);
    }

    /// <summary>Whether the blob is present with the expected size.</summary>
    public bool HasBlob(string digest, long size)
    {
        var info = new FileInfo(BlobPath(digest));
        return info.Exists && info.Length == size;
    }

    /// <summary>A new file name under the cache's tmp folder (same file system as the blobs, so the final move is a rename).</summary>
    internal string NewTempPath() => Path.Combine(TempDirectory, Guid.NewGuid().ToString("N") + ".tmp");

    /// <summary>Moves a finished temp file into place as the blob <paramref name="digest"/> and records it under <paramref name="key"/>.</summary>
    internal LayerBlob Commit(string key, string tempPath, string digest, string diffId, long size, string mediaType, string description)
    {
        try
        {
            var target = BlobPath(digest);
            if (HasBlob(digest, size)) File.Delete(tempPath); // same content already there (another project, another build)
            else File.Move(tempPath, target, overwrite: true);
            var blob = new LayerBlob(digest, diffId, size, mediaType, target, description);
            var indexTemp = NewTempPath();
            File.WriteAllBytes(indexTemp, JsonSerializer.SerializeToUtf8Bytes(new IndexRecord(digest, diffId, size, mediaType, description), IndexJson.Default.IndexRecord));
            File.Move(indexTemp, Path.Combine(IndexDirectory, key + ".json"), overwrite: true);
            return blob;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AiException(AiErrors.LayerCacheUnusable, null, Directory, e.Message);
        }
    }

    /// <summary>
    /// Records an uncompressed layer whose tar is not stored (<see cref="LayerBlob.Regenerate"/>): only its digest and
    /// size, so a later build knows them without reading its files, and no second copy of 1 GiB of weights sits on disk.
    /// </summary>
    internal LayerBlob CommitRegenerated(string key, string digest, long size, string mediaType, string description)
    {
        try
        {
            var indexTemp = NewTempPath();
            File.WriteAllBytes(indexTemp, JsonSerializer.SerializeToUtf8Bytes(new IndexRecord(digest, digest, size, mediaType, description, Regenerated: true), IndexJson.Default.IndexRecord));
            File.Move(indexTemp, Path.Combine(IndexDirectory, key + ".json"), overwrite: true);
            return new LayerBlob(digest, digest, size, mediaType, "", description);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AiException(AiErrors.LayerCacheUnusable, null, Directory, e.Message);
        }
    }

    [JsonSerializable(typeof(IndexRecord))]
    private sealed partial class IndexJson : JsonSerializerContext;

    private sealed record IndexRecord(string Digest, string DiffId, long Size, string MediaType, string Description, bool Regenerated = false);
}
