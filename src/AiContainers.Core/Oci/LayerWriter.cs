using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Files;
using AiContainers.Core.IO;

namespace AiContainers.Core.Oci;

/// <summary>
/// Writes reproducible layers: entries sorted ordinally by path, every mtime set to one given time, owners and modes as
/// given, no user/group names, no atime/ctime, no xattrs, no device numbers, and a gzip header without a timestamp.
/// The same entries and file contents give the same diff_id and blob digest on any machine (see DeterministicGzipStream
/// for the one caveat: the deflate bytes come from the runtime's zlib).
/// The tar is streamed through the hashes and the compressor into one temp file: memory does not grow with layer size.
/// An uncompressed layer (weights) is not stored at all: its digest is learnt in one read, and its tar is written again
/// from the files each time it is read (<see cref="LayerBlob.Regenerate"/>).
/// </summary>
public static class LayerWriter
{
    /// <summary>Mode of the parent folders added for files whose folders are not listed: root-owned 0755, as in a base image,
    /// so a layer never changes the owner of an existing folder such as /usr or /opt.</summary>
    public const int ImplicitDirectoryMode = 0x1ED;

    public static Task<LayerBlob> WriteAsync(IReadOnlyList<LayerEntry> entries, LayerCache cache, LayerCompression compression,
        DateTimeOffset modified, string description, CancellationToken ct)
        => WriteAsync(entries, cache, compression, modified, description, cacheKey: null, ct);

    /// <summary>
    /// As above with an explicit cache key: models pass <see cref="LayerCache.KeyOf(IReadOnlyList{LayerEntry}, LayerCompression, DateTimeOffset, IReadOnlyDictionary{string, string}?)"/>
    /// with their verified hashes, so the layer is found again in any project.
    /// </summary>
    public static async Task<LayerBlob> WriteAsync(IReadOnlyList<LayerEntry> entries, LayerCache cache, LayerCompression compression,
        DateTimeOffset modified, string description, string? cacheKey, CancellationToken ct)
    {
        var normalized = Normalize(entries, description);
        var key = cacheKey ?? LayerCache.KeyOf(normalized, compression, modified);
        var mtime = DateTimeOffset.FromUnixTimeSeconds(modified.ToUnixTimeSeconds());
        if (cache.TryGet(key, out var cached))
            return cached.BlobPath.Length > 0 ? cached with { Description = description } : Regenerating(cached with { Description = description }, normalized, mtime);
        if (compression == LayerCompression.None)
        {
            // Weights: the blob is the tar itself, so it is not stored. One read of the files learns its digest (their
            // own hashes checked on this thread, the tar's computed on another); an upload writes it again from them.
            var tarHash = new BackgroundSha256();
            string tarDigest;
            await using (tarHash.ConfigureAwait(false))
            {
                await WriteTarAsync(tarHash, normalized, mtime, description, ct).ConfigureAwait(false);
                tarDigest = await tarHash.CompleteAsync().ConfigureAwait(false);
            }
            var record = cache.CommitRegenerated(key, tarDigest, tarHash.BytesWritten, OciMediaTypes.Layer(ImageFormat.Docker, compression), description);
            return Regenerating(record, normalized, mtime);
        }

        var tempPath = cache.NewTempPath();
        string diffId, digest;
        long size;
        try
        {
            var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                // Only compressed layers are stored (an uncompressed one returned above).
                var blobHash = new HashingWriteStream(file, leaveOpen: true);
                var gzip = new DeterministicGzipStream(blobHash, compression == LayerCompression.Gzip ? CompressionLevel.Optimal : CompressionLevel.Fastest);
                var tarHash = new HashingWriteStream(gzip, leaveOpen: true);
                await WriteTarAsync(tarHash, normalized, mtime, description, ct).ConfigureAwait(false);
                diffId = tarHash.Digest;
                tarHash.Dispose();
                gzip.Dispose();
                digest = blobHash.Digest;
                size = blobHash.BytesWritten;
                blobHash.Dispose();
            }
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
        return cache.Commit(key, tempPath, digest, diffId, size, OciMediaTypes.Layer(ImageFormat.Docker, compression), description);
    }

    /// <summary>
    /// An uncompressed layer the cache does not know yet, before anything is read: its tar (written from the files as
    /// it is read, each checked against its hash) for a reader that hashes it itself, i.e. an upload to a repository
    /// that cannot hold it (<see cref="Registry.RegistryClient.UploadBlobHashingAsync"/>). Null when the layer is
    /// cached or compressed: <see cref="WriteAsync(IReadOnlyList{LayerEntry}, LayerCache, LayerCompression, DateTimeOffset, string, string?, CancellationToken)"/> handles those.
    /// </summary>
    public static UnhashedLayer? Unhashed(IReadOnlyList<LayerEntry> entries, LayerCache cache, LayerCompression compression,
        DateTimeOffset modified, string description, string? cacheKey)
    {
        if (compression != LayerCompression.None) return null;
        var normalized = Normalize(entries, description);
        var key = cacheKey ?? LayerCache.KeyOf(normalized, compression, modified);
        if (cache.TryGet(key, out _)) return null;
        var mtime = DateTimeOffset.FromUnixTimeSeconds(modified.ToUnixTimeSeconds());
        var media = OciMediaTypes.Layer(ImageFormat.Docker, compression);
        return new UnhashedLayer(TarProducer(normalized, mtime, description), normalized.Where(e => e.Kind == LayerEntryKind.File).Sum(e => new FileInfo(e.SourcePath!).Length),
            (digest, size) => Regenerating(cache.CommitRegenerated(key, digest, size, media, description), normalized, mtime));
    }

    /// <summary>
    /// The blob of an uncompressed layer, read by writing its tar again from <paramref name="entries"/> as the reader
    /// takes it: the same bytes as the digest pass (same entries, same order, same headers). Model files are checked
    /// against their hashes again as they go (AIC5109), so a changed file fails the read instead of reaching a registry.
    /// </summary>
    private static LayerBlob Regenerating(LayerBlob blob, IReadOnlyList<LayerEntry> entries, DateTimeOffset mtime)
        => blob with { Regenerate = TarProducer(entries, mtime, blob.Description) };

    /// <summary>Opens the layer's tar, written from its entries as the reader takes it.</summary>
    private static Func<Stream> TarProducer(IReadOnlyList<LayerEntry> entries, DateTimeOffset mtime, string description)
        => () => new ProducedStream((sink, ct) => WriteTarAsync(sink, entries, mtime, description, ct));

    /// <summary>The layer's tar into <paramref name="sink"/>: the one writer behind a stored blob, a digest pass and a regenerated read, so all give the same bytes.</summary>
    private static async Task WriteTarAsync(Stream sink, IReadOnlyList<LayerEntry> entries, DateTimeOffset mtime, string description, CancellationToken ct)
    {
        var tar = new TarWriter(sink, TarEntryFormat.Ustar, leaveOpen: true);
        await using (tar.ConfigureAwait(false))
        {
            foreach (var entry in entries)
            {
                ct.ThrowIfCancellationRequested();
                await WriteEntryAsync(tar, entry, mtime, description, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Validates paths (a listed parent must be a folder) and sorts ordinally: the exact entry list the tar will hold.</summary>
    public static IReadOnlyList<LayerEntry> Normalize(IReadOnlyList<LayerEntry> entries, string description)
    {
        var byPath = new Dictionary<string, LayerEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var path = NormalizePath(entry.Path, entry.SourcePath);
            var e = entry with { Path = path };
            switch (e.Kind)
            {
                case LayerEntryKind.File when string.IsNullOrEmpty(e.SourcePath):
                    throw new AiException(AiErrors.LayerEntryIncomplete, null, path, description, "file", "a source path");
                case LayerEntryKind.File when !File.Exists(e.SourcePath):
                    throw new AiException(AiErrors.LayerSourceMissing, null, e.SourcePath, path, description);
                case LayerEntryKind.Symlink when string.IsNullOrEmpty(e.LinkTarget):
                    throw new AiException(AiErrors.LayerEntryIncomplete, null, path, description, "symbolic link", "a target");
            }
            if (byPath.TryGetValue(path, out var existing))
            {
                // The same folder listed twice with the same attributes is harmless (two sources sharing a folder).
                if (existing.Kind == LayerEntryKind.Directory && existing == e) continue;
                throw new AiException(AiErrors.DuplicateLayerPath, null, path, description,
                    existing.SourcePath ?? existing.LinkTarget ?? "a folder", e.SourcePath ?? e.LinkTarget ?? "a folder");
            }
            byPath[path] = e;
        }
        foreach (var path in byPath.Keys.ToList())
        {
            for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
            {
                var parent = path[..slash];
                if (byPath.TryGetValue(parent, out var p))
                {
                    if (p.Kind != LayerEntryKind.Directory)
                        throw new AiException(AiErrors.InvalidLayerPath, null, path, description, $"'{parent}' is a {p.Kind.ToString().ToLowerInvariant()}, not a folder");
                    continue;
                }
                // Not listed: no entry, as a folder's owner and mode are not known here. The runtime's unpacker creates
                // it root-owned 0755 in this layer, which overlayfs then shows; a plan that puts files under a folder
                // the base gives to another user lists that folder with its owner (ImageLayerPlan, TorchServe's home).
            }
        }
        return byPath.Values.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
    }

    private static string NormalizePath(string path, string? source)
    {
        string? problem = null;
        if (string.IsNullOrEmpty(path)) problem = "it is empty";
        else if (path.StartsWith('/')) problem = "it starts with '/'";
        else if (path.Contains('\\')) problem = "it contains '\\'";
        else if (path.Contains('\0')) problem = "it contains a NUL character";
        else if (path.TrimEnd('/').Split('/').Any(s => s is "" or "." or "..")) problem = "it has an empty, '.' or '..' name";
        if (problem is not null) throw new AiException(AiErrors.InvalidLayerPath, null, path, source ?? "no source", problem);
        return path.TrimEnd('/');
    }

    private static async Task WriteEntryAsync(TarWriter tar, LayerEntry e, DateTimeOffset mtime, string description, CancellationToken ct)
    {
        var (type, name) = e.Kind switch
        {
            LayerEntryKind.Directory => (TarEntryType.Directory, e.Path + "/"),
            LayerEntryKind.Symlink => (TarEntryType.SymbolicLink, e.Path),
            _ => (TarEntryType.RegularFile, e.Path),
        };
        TarEntry entry = FitsUstar(name, e.LinkTarget)
            ? new UstarTarEntry(type, name)
            : new GnuTarEntry(type, name);
        entry.ModificationTime = mtime;
        entry.Mode = (UnixFileMode)(e.Mode & 0xFFF);
        entry.Uid = e.Uid;
        entry.Gid = e.Gid;
        if (entry is PosixTarEntry posix) { posix.UserName = ""; posix.GroupName = ""; }
        // GNU headers have atime/ctime fields: zero them (written as 0) so no host time leaks in.
        if (entry is GnuTarEntry gnu) { gnu.AccessTime = DateTimeOffset.UnixEpoch; gnu.ChangeTime = DateTimeOffset.UnixEpoch; }
        if (e.Kind == LayerEntryKind.Symlink) entry.LinkName = e.LinkTarget!;
        if (e.Kind != LayerEntryKind.File)
        {
            await tar.WriteEntryAsync(entry, ct).ConfigureAwait(false);
            return;
        }
        FileStream data;
        try
        {
            data = new FileStream(e.SourcePath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        }
        catch (FileNotFoundException)
        {
            throw new AiException(AiErrors.LayerSourceMissing, null, e.SourcePath, e.Path, description);
        }
        if (e.Sha256 is null)
        {
            await using (data.ConfigureAwait(false))
            {
                entry.DataStream = data;
                await tar.WriteEntryAsync(entry, ct).ConfigureAwait(false);
            }
            return;
        }
        await VerifiedTarEntry.WriteAsync(tar, entry, data, e.Sha256, e.SourcePath!, e.CacheDirectory, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Ustar holds a name of 100 bytes plus a 155-byte prefix split at a '/', and a 100-byte link name. Longer or
    /// non-ASCII ones take GNU long-name records (././@LongLink), not PAX: .NET names a PAX extended header
    /// "PaxHeaders.&lt;process id&gt;", which would make the layer differ from run to run.
    /// </summary>
    private static bool FitsUstar(string name, string? linkTarget)
    {
        if (linkTarget is not null && Encoding.UTF8.GetByteCount(linkTarget) > 100) return false;
        if (!Ascii(name) || linkTarget is not null && !Ascii(linkTarget)) return false;
        if (name.Length <= 100) return true;
        for (var i = name.LastIndexOf('/', name.Length - 2); i > 0; i = name.LastIndexOf('/', i - 1))
        {
            if (name.Length - i - 1 > 100) return false;
            if (i <= 155) return true;
        }
        return false;
    }

    private static bool Ascii(string s) => s.All(c => c is >= ' ' and < (char)127);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// An uncompressed layer whose digest is learnt by the one read that uploads it: <see cref="Open"/> gives its tar,
/// <see cref="Landed"/> records the digest and size that read found (in the layer cache, so the next build knows them)
/// and gives the blob. <see cref="ContentBytes"/> (its files' sizes) is for progress lines: the tar adds its headers.
/// </summary>
public sealed record UnhashedLayer(Func<Stream> Open, long ContentBytes, Func<string, long, LayerBlob> Landed);
