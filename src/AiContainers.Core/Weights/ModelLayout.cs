using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Weights;

public enum LayoutEntryKind { File, Symlink, Text }

/// <summary>One thing a model puts into the image, at an absolute image path.</summary>
/// <param name="SourcePath">File: the host file (cache blob or local file) to link or copy.</param>
/// <param name="LinkTarget">Symlink: the relative target.</param>
/// <param name="Text">Text: the file's content (hf-cache refs).</param>
public sealed record LayoutEntry(string ImagePath, LayoutEntryKind Kind, string? SourcePath = null, long Size = 0, string? Sha256 = null, string? LinkTarget = null, string? Text = null);

/// <summary>What <see cref="ModelLayout.Write(IEnumerable{FetchedModel}, string)"/> did.</summary>
public sealed record LayoutStats(int Linked, int Copied, int Symlinks, int Texts, long Bytes);

/// <summary>
/// Turns fetched models into the files of the weights image, and writes them into a folder of the build
/// context (hard links from the cache where the file system allows, else copies). The same plan feeds the
/// content digest, so the digest changes exactly when what lands in the image changes.
/// </summary>
public static class ModelLayout
{
    /// <summary>
    /// The entries of one model. <c>files</c>: TargetDirectory/&lt;path&gt;. <c>hf-cache</c> (TargetDirectory is HF_HOME):
    /// hub/models--org--name/blobs/&lt;etag&gt;, snapshots/&lt;commit&gt;/&lt;path&gt; → ../../blobs/&lt;etag&gt; (relative symlinks),
    /// trees/&lt;commit&gt;.json listing exactly the files in the image (<see cref="HfTreeListing"/>), and refs/main plus
    /// refs/&lt;revision&gt; holding the commit, as huggingface_hub's own cache has them.
    /// </summary>
    /// <remarks>
    /// What <c>revision="main"</c> means in the image: the image holds one revision per repository (AIC5016), and
    /// refs/main always names it, whatever Source pinned (a branch, a tag or a commit). So code that names no
    /// revision, as <c>from_pretrained("org/name")</c> does, gets the weights the image was built with, offline; the
    /// pinned branch or tag has its own ref too, and the commit is reachable directly. huggingface_hub itself writes
    /// only the ref it was asked for; the image departs from that on purpose, because an image without refs/main
    /// would fail the default call. The Hub's current main is never consulted at run time.
    /// </remarks>
    public static IReadOnlyList<LayoutEntry> Plan(FetchedModel model)
    {
        var entries = new List<LayoutEntry>();
        if (model.Layout == ModelLayoutKind.Files)
        {
            foreach (var file in model.Files)
                entries.Add(new LayoutEntry(model.TargetDirectory + "/" + file.Path, LayoutEntryKind.File, file.BlobPath, file.Size, file.Sha256));
            return entries;
        }

        var repo = model.TargetDirectory + "/hub/" + ModelNaming.HfCacheFolder(model.Source.Repository!);
        var commit = model.Commit!;
        foreach (var file in model.Files.DistinctBy(f => f.HfBlobName))
            entries.Add(new LayoutEntry(repo + "/blobs/" + file.HfBlobName, LayoutEntryKind.File, file.BlobPath, file.Size, file.Sha256));
        foreach (var file in model.Files)
        {
            var depth = file.Path.Count(c => c == '/');
            var up = string.Concat(Enumerable.Repeat("../", depth + 2));
            entries.Add(new LayoutEntry(repo + "/snapshots/" + commit + "/" + file.Path, LayoutEntryKind.Symlink, LinkTarget: up + "blobs/" + file.HfBlobName));
        }
        // snapshot_download(revision=<commit>) reads trees/<commit>.json before looking at the snapshot (huggingface_hub
        // 1.22+); without it, offline it asks the Hub for the listing and raises OfflineModeIsEnabled.
        entries.Add(new LayoutEntry(repo + "/trees/" + commit + ".json", LayoutEntryKind.Text, Text: HfTreeListing(model)));
        // huggingface_hub reads refs/<revision> without stripping, so no trailing newline.
        entries.Add(new LayoutEntry(repo + "/refs/" + ModelSource.DefaultRevision, LayoutEntryKind.Text, Text: commit));
        if (model.Source.Revision is { } revision && revision != ModelSource.DefaultRevision && !ModelNaming.IsCommit(revision))
            entries.Add(new LayoutEntry(repo + "/refs/" + revision, LayoutEntryKind.Text, Text: commit));
        return entries;
    }

    /// <summary>
    /// huggingface_hub's tree cache file (<c>_tree_cache.py</c>, format_version 1) for the model's commit:
    /// <c>{"format_version": 1, "files": {"&lt;path&gt;": {"size", "blob_id", "lfs_sha256", "lfs_size"}}}</c>, paths sorted.
    /// It lists only the files the image holds, not the whole repository: huggingface_hub takes the listing as the
    /// complete snapshot, and a listed file missing from snapshots/ raises IncompleteSnapshotError offline. Files
    /// with a git blob id are regular files; the others are LFS files (their blob is named by the sha256, as in
    /// <see cref="FetchedFile.HfBlobName"/>), whose blob_id is that of their canonical LFS pointer, as the Hub lists it.
    /// No xet_hash: the cache has the file, so huggingface_hub never needs it.
    /// </summary>
    public static string HfTreeListing(FetchedModel model)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("format_version", 1);
            json.WriteStartObject("files");
            foreach (var file in model.Files.DistinctBy(f => f.Path).OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                json.WriteStartObject(file.Path);
                json.WriteNumber("size", file.Size);
                if (file.GitOid is { } oid) json.WriteString("blob_id", oid);
                else
                {
                    json.WriteString("blob_id", GitBlobId(Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{file.Sha256}\nsize {file.Size}\n")));
                    json.WriteString("lfs_sha256", file.Sha256);
                    json.WriteNumber("lfs_size", file.Size);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>What <c>git hash-object</c> prints for these bytes: SHA-1 over "blob &lt;length&gt;\0" and the bytes.</summary>
    internal static string GitBlobId(byte[] content)
    {
        var header = Encoding.ASCII.GetBytes("blob " + content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\0");
        // SHA-1 because git names blobs by it, not for security.
#pragma warning disable CA5350
        return Hex(SHA1.HashData([.. header, .. content]));
#pragma warning restore CA5350
    }

    /// <summary>The snapshot folder huggingface_hub resolves "org/name" to; the hf-cache model's environment value.</summary>
    public static string HfSnapshotPath(string hfHome, string repository, string commit)
        => hfHome + "/hub/" + ModelNaming.HfCacheFolder(repository) + "/snapshots/" + commit;

    /// <summary>
    /// sha256:&lt;hex&gt; over the sorted listing, one line per entry: "f &lt;path&gt; &lt;size&gt; &lt;sha256&gt;",
    /// "l &lt;path&gt; &lt;target&gt;" or "t &lt;path&gt; &lt;sha256 of text&gt;". Host paths are not part of it.
    /// </summary>
    public static string Digest(IEnumerable<LayoutEntry> entries)
    {
        var listing = new StringBuilder("aicontainers-weights v1\n");
        foreach (var e in entries.DistinctBy(e => e.ImagePath).OrderBy(e => e.ImagePath, StringComparer.Ordinal))
        {
            listing.Append(e.Kind switch
            {
                LayoutEntryKind.File => $"f {e.ImagePath} {e.Size} {e.Sha256}",
                LayoutEntryKind.Symlink => $"l {e.ImagePath} {e.LinkTarget}",
                _ => $"t {e.ImagePath} {Hex(SHA256.HashData(Encoding.UTF8.GetBytes(e.Text ?? "")))}",
            }).Append('\n');
        }
        return "sha256:" + Hex(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())));
    }

    /// <summary>
    /// Replaces <paramref name="rootDirectory"/> with the image's weights: each entry at root + its image path.
    /// Files are hard links to the cache (read-only, 0444, so the image's non-root user can read them) or copies.
    /// </summary>
    public static LayoutStats Write(IEnumerable<FetchedModel> models, string rootDirectory)
    {
        var root = Path.GetFullPath(rootDirectory);
        if (Path.GetPathRoot(root) == root) throw new AiException(AiErrors.ModelLayoutFailed, null, root, "it is a file system root");
        int linked = 0, copied = 0, symlinks = 0, texts = 0;
        long bytes = 0;
        try
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
            Directory.CreateDirectory(root);
            foreach (var entry in models.SelectMany(Plan).DistinctBy(e => e.ImagePath))
            {
                var path = Path.Combine(root, entry.ImagePath.TrimStart('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                switch (entry.Kind)
                {
                    case LayoutEntryKind.File:
                        if (HardLink.TryCreate(entry.SourcePath!, path)) linked++;
                        else
                        {
                            // The bytes are read anyway, so they are checked against the digest they were cached under.
                            if (entry.Sha256 is { } sha) Files.Sha256VerifyingStream.CopyVerified(entry.SourcePath!, path, sha, Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(entry.SourcePath!)!)!)!);
                            else File.Copy(entry.SourcePath!, path);
                            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                            copied++;
                        }
                        bytes += entry.Size;
                        break;
                    case LayoutEntryKind.Symlink:
                        File.CreateSymbolicLink(path, entry.LinkTarget!);
                        symlinks++;
                        break;
                    default:
                        File.WriteAllText(path, entry.Text);
                        texts++;
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AiException(AiErrors.ModelLayoutFailed, null, root, e.Message);
        }
        return new LayoutStats(linked, copied, symlinks, texts, bytes);
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}

/// <summary>Hard links, which .NET has no API for: link(2) on Unix, CreateHardLinkW on Windows.</summary>
internal static class HardLink
{
    /// <summary>False when the file system refuses (another device, no support); the caller copies instead.</summary>
    public static bool TryCreate(string existing, string newPath)
    {
        try
        {
            return OperatingSystem.IsWindows() ? CreateHardLinkW(newPath, existing, IntPtr.Zero) : link(existing, newPath) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath);

    [DllImport("kernel32", SetLastError = true, CharSet = CharSet.Unicode)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool CreateHardLinkW(string newFileName, string existingFileName, IntPtr securityAttributes);
}
