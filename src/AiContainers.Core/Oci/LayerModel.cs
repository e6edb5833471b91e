namespace AiContainers.Core.Oci;

public enum LayerEntryKind { File, Directory, Symlink }

/// <summary>
/// One entry of a layer. <paramref name="Path"/> is the path in the image without a leading '/'
/// (e.g. "app/Foo.dll"); <paramref name="SourcePath"/> is the host file for a <see cref="LayerEntryKind.File"/>;
/// <paramref name="LinkTarget"/> the target of a <see cref="LayerEntryKind.Symlink"/>. <paramref name="Mode"/> holds the
/// permission bits (0x1ED is 0755, 0x1A4 is 0644). Owner and mode are written as given, never read from the host.
/// <paramref name="Sha256"/>, when set, is what a file's bytes were verified as (a model cache blob): the layer writer
/// hashes them as it streams them into the tar and fails the layer with AIC5109 naming <paramref name="CacheDirectory"/>
/// when they changed since, so a tampered cache never reaches an image.
/// </summary>
public sealed record LayerEntry(string Path, LayerEntryKind Kind, string? SourcePath, string? LinkTarget, int Mode, int Uid = 0, int Gid = 0,
    string? Sha256 = null, string? CacheDirectory = null)
{
    public static LayerEntry File(string path, string sourcePath, int mode = 0x1A4, int uid = 0, int gid = 0)
        => new(path, LayerEntryKind.File, sourcePath, null, mode, uid, gid);

    /// <summary>A file whose content must still have <paramref name="sha256"/> when the layer is written; <paramref name="cacheDirectory"/> is null for a local model file read where it is.</summary>
    public static LayerEntry VerifiedFile(string path, string sourcePath, string sha256, string? cacheDirectory, int mode = 0x1A4)
        => new(path, LayerEntryKind.File, sourcePath, null, mode, Sha256: sha256, CacheDirectory: cacheDirectory);
    public static LayerEntry Directory(string path, int mode = 0x1ED, int uid = 0, int gid = 0)
        => new(path, LayerEntryKind.Directory, null, null, mode, uid, gid);
    public static LayerEntry Symlink(string path, string linkTarget, int uid = 0, int gid = 0)
        => new(path, LayerEntryKind.Symlink, null, linkTarget, 0x1FF, uid, gid);
}

/// <summary>
/// How a layer blob is stored. <see cref="Gzip"/> is zlib's default level, for code layers (small, compressible).
/// <see cref="None"/> is a plain tar (media type ...diff.tar / ...layer.v1.tar), the choice for weights: measured on
/// 200 MiB of float16 weights, gzip took 17 s for 8% less, the plain tar 0.8 s (see the README). <see cref="GzipFastest"/>
/// (level 1) is kept for callers that want it, but on weights it came out 5% larger than the input.
/// </summary>
public enum LayerCompression { Gzip, GzipFastest, None }

/// <summary>
/// A layer blob in the <see cref="LayerCache"/>: <paramref name="Digest"/> of the stored blob (what a manifest lists),
/// <paramref name="DiffId"/> of the uncompressed tar (what the config's rootfs lists), <paramref name="Size"/> of the blob,
/// the Docker <paramref name="MediaType"/> (ManifestWriter maps it for OCI), and the blob's file; or, for an uncompressed
/// layer (weights), no file but <see cref="Regenerate"/>, which writes the same bytes again from the source files.
/// </summary>
public sealed record LayerBlob(string Digest, string DiffId, long Size, string MediaType, string BlobPath, string Description)
{
    /// <summary>An uncompressed layer is its tar: written again from its files whenever it is read, never stored.</summary>
    public Func<Stream>? Regenerate { get; init; }

    /// <summary>Opens the blob for reading (push, archive).</summary>
    public Stream Open() => Regenerate?.Invoke()
        ?? new FileStream(BlobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
}

/// <summary>Docker (default, keeps Healthcheck) or OCI image format; MSBuild's ContainerImageFormat uses the same names.</summary>
public enum ImageFormat { Docker, Oci }
