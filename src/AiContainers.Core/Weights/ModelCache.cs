using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Weights;

/// <summary>
/// The host's model cache, shared by every project and every concurrent build:
/// <code>
/// blobs/sha256/&lt;hex&gt;                     content, read-only, written once by atomic rename
/// tmp/&lt;key&gt;.incomplete                     the download in progress (resumed by the next holder of the lock)
/// locks/&lt;key&gt;.lock                         held (FileShare.None) by the one process downloading that blob
/// index/git-blob/&lt;sha1&gt;                   sha256 of a non-LFS Hub file, by its git blob id
/// index/url/&lt;sha256 of url&gt;               sha256 of the last unverified https:// download
/// index/local/&lt;sha256 of path&gt;.json        size, mtime and sha256 of a local source file
/// hf/models--org--name/refs/&lt;revision&gt;   the commit a branch or tag resolved to (for HF_HUB_OFFLINE)
/// hf/models--org--name/trees/&lt;commit&gt;.json the file list of a commit
/// </code>
/// Everything but refs is content-addressed or immutable, so concurrent writers can only write the
/// same bytes; each file is written to a unique temp name and renamed into place.
/// </summary>
public sealed class ModelCache
{
    public ModelCache(string directory) => Directory = Path.GetFullPath(directory);

    public string Directory { get; }

    /// <summary>
    /// The cache folder: <paramref name="overrideDirectory"/> (the AiModelCacheDirectory property) when set,
    /// else $AIC_MODEL_CACHE, else $XDG_CACHE_HOME/aicontainers/models, else ~/.cache/aicontainers/models.
    /// </summary>
    public static string ResolveDirectory(string? overrideDirectory, Func<string, string?> environment)
    {
        static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
        if (NonEmpty(overrideDirectory) is { } explicitDirectory) return Path.GetFullPath(explicitDirectory);
        if (NonEmpty(environment("AIC_MODEL_CACHE")) is { } fromVariable) return Path.GetFullPath(fromVariable);
        if (NonEmpty(environment("XDG_CACHE_HOME")) is { } xdg) return Path.Combine(Path.GetFullPath(xdg), "aicontainers", "models");
        var home = NonEmpty(environment("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "aicontainers", "models");
    }

    public string BlobPath(string sha256) => Path.Combine(Directory, "blobs", "sha256", sha256);

    public bool HasBlob(string sha256) => File.Exists(BlobPath(sha256));

    internal string TempPath(string key) => Path.Combine(Directory, "tmp", key + ".incomplete");

    private string HfRepoDirectory(string repository) => Path.Combine(Directory, "hf", ModelNaming.HfCacheFolder(repository));

    // ---- records ----

    public string? ReadRevision(string repository, string revision)
        => ReadText(Path.Combine(HfRepoDirectory(repository), "refs", Uri.EscapeDataString(revision))) is { } c && ModelNaming.IsCommit(c) ? c : null;

    public void WriteRevision(string repository, string revision, string commit)
        => WriteText(Path.Combine(HfRepoDirectory(repository), "refs", Uri.EscapeDataString(revision)), commit);

    public IReadOnlyList<HubTreeEntry>? ReadTree(string repository, string commit)
    {
        var text = ReadText(Path.Combine(HfRepoDirectory(repository), "trees", commit + ".json"));
        if (text is null) return null;
        try { return JsonSerializer.Deserialize<List<HubTreeEntry>>(text, JsonOptions); }
        catch (JsonException) { return null; }
    }

    public void WriteTree(string repository, string commit, IReadOnlyList<HubTreeEntry> entries)
        => WriteText(Path.Combine(HfRepoDirectory(repository), "trees", commit + ".json"), JsonSerializer.Serialize(entries, JsonOptions));

    public string? ReadGitBlobSha256(string gitOid) => ReadSha(Path.Combine(Directory, "index", "git-blob", gitOid));

    public void WriteGitBlobSha256(string gitOid, string sha256) => WriteText(Path.Combine(Directory, "index", "git-blob", gitOid), sha256);

    public string? ReadUrlSha256(string url) => ReadSha(Path.Combine(Directory, "index", "url", Key(url)));

    public void WriteUrlSha256(string url, string sha256) => WriteText(Path.Combine(Directory, "index", "url", Key(url)), sha256);

    internal sealed record LocalFileRecord(long Size, long LastWriteTicks, string Sha256);

    internal LocalFileRecord? ReadLocal(string fullPath)
    {
        var text = ReadText(Path.Combine(Directory, "index", "local", Key(fullPath) + ".json"));
        if (text is null) return null;
        try { return JsonSerializer.Deserialize<LocalFileRecord>(text, JsonOptions); }
        catch (JsonException) { return null; }
    }

    internal void WriteLocal(string fullPath, LocalFileRecord record)
        => WriteText(Path.Combine(Directory, "index", "local", Key(fullPath) + ".json"), JsonSerializer.Serialize(record, JsonOptions));

    /// <summary>A stable file-name-safe key for any string (URL, path).</summary>
    public static string Key(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    internal static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private string? ReadSha(string path) => ReadText(path) is { } s && ModelNaming.IsSha256(s) ? s : null;

    private static string? ReadText(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : null; }
        catch (IOException) { return null; }
    }

    private void WriteText(string path, string text)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AiException(AiErrors.ModelCacheUnusable, "AiModelCacheDirectory", Directory, e.Message);
        }
    }

    // ---- blobs and locks ----

    /// <summary>
    /// Takes the per-blob lock: an exclusive open of locks/&lt;key&gt;.lock. The file is never deleted
    /// (deleting a lock file lets a third process lock a fresh inode while a second still waits on the old one).
    /// </summary>
    internal async Task<IDisposable> LockAsync(string key, string what, IAiLog log, TimeSpan poll, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Directory, "locks", key + ".lock");
        try { System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AiException(AiErrors.ModelCacheUnusable, "AiModelCacheDirectory", Directory, e.Message);
        }
        var announced = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new AiException(AiErrors.ModelCacheUnusable, "AiModelCacheDirectory", Directory, e.Message);
            }
            catch (IOException)
            {
                // Held by another build (or another fetch in this one): wait for it, then reuse what it wrote.
                if (!announced) { log.Message(AiLogLevel.Progress, $"AiContainers: waiting for another build that is downloading {what}"); announced = true; }
                await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Moves a verified temp file into blobs/sha256/&lt;hex&gt;, read-only for everyone.</summary>
    internal string Commit(string tempPath, string sha256)
    {
        var blob = BlobPath(sha256);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(tempPath, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        if (File.Exists(blob)) File.Delete(tempPath);
        else File.Move(tempPath, blob, overwrite: true);
        return blob;
    }
}
