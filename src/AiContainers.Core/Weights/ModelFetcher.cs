using System.Security.Cryptography;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Files;
using AiContainers.Core.Lock;

namespace AiContainers.Core.Weights;

/// <summary>
/// Fetches AiModel sources into the host cache and verifies them: hf:// through the Hub API
/// (revision → commit, file list with LFS sha256, resolve), https:// with the item's Sha256, local
/// files and folders by hashing them into the cache. Runs on the host, so HF_TOKEN never reaches
/// docker build. With HF_HUB_OFFLINE it makes no request at all and answers from the cache or fails at once.
/// </summary>
public sealed class ModelFetcher : IDisposable
{
    private readonly ModelCache _cache;
    private readonly HubSettings _hub;
    private readonly IAiLog _log;
    private readonly ModelHttp _http;
    private readonly BlobDownloader _downloader;

    private readonly ProjectFileRule? _files;

    /// <param name="files">
    /// Which local sources may be read (AiAllowFilesOutsideProject); null checks only for dangling links,
    /// for callers that have already checked the paths.
    /// </param>
    public ModelFetcher(ModelCache cache, HubSettings hub, IAiLog log, FetchOptions? options = null, ProjectFileRule? files = null)
    {
        (_cache, _hub, _log, _files) = (cache, hub, log, files);
        _http = new ModelHttp(hub, options ?? new FetchOptions());
        _downloader = new BlobDownloader(cache, _http, log);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Local model files are hashed and later read where they are, with no copy in the cache: for the daemonless builder,
    /// which writes each file's owner and mode itself and checks the bytes as it reads them (AIC5111 if one changed
    /// during the build), so 1 GiB of weights is not written to disk once more. The Docker builder and a generated
    /// Dockerfile link files from the cache instead: their weights context needs read-only (0444) files whatever the
    /// source's mode, and a context that outlives the build must not change when the source does.
    /// </summary>
    public bool ReadLocalFilesInPlace { get; init; }

    /// <summary>aicontainers.lock.json's pins by model name (ResolveAiLock's plan): a pinned hf:// model is fetched at its locked commit
    /// from its locked file list, without asking the Hub, and one whose layer the registry holds is not fetched at all.</summary>
    public IReadOnlyDictionary<string, ModelPin>? Pins { get; init; }

    /// <summary>The lock file, for messages.</summary>
    public string LockPath { get; init; } = LockSettings.DefaultFileName;

    /// <summary>Locked mode: a local model whose files differ from the lock fails (AIC7004) instead of warning (AIC7501).</summary>
    public bool FailOnDrift { get; init; }

    /// <summary>The lock will be written: an hf:// model pinned to a commit asks the Hub once for its licence, so the lock records it.</summary>
    public bool LookUpLicense { get; init; }

    private ModelPin? PinOf(ModelSpec model) => Pins is { } pins && pins.TryGetValue(model.Name, out var pin) ? pin : null;

    /// <summary>
    /// The model as the lock recorded it, built with the project's current targets and layout: what a fetch at the locked revision
    /// would give, without any file. Its ContentDigest equals the lock's only when the layout is unchanged, which is when the
    /// locked layer may stand in for the files. Null for local sources (they are on this machine and always hashed again).
    /// </summary>
    public static FetchedModel? FromLock(ModelSpec model, LockedModel locked, string cacheDirectory)
    {
        var cache = new ModelCache(cacheDirectory);
        var files = locked.Files.Select(f => new FetchedFile(f.Path, f.Size, f.Sha256, cache.BlobPath(f.Sha256), f.GitOid)).ToList();
        FetchedModel? result = model.Source.Kind switch
        {
            ModelSourceKind.HuggingFace when locked.Commit is { } commit => new FetchedModel(model.Name, model.Source, commit, model.Layout, model.Target, model.EnvironmentVariable,
                model.Layout == ModelLayoutKind.HfCache ? ModelLayout.HfSnapshotPath(model.Target, model.Source.Repository!, commit) : model.Target, files, ""),
            ModelSourceKind.Https when files.Count == 1 && model.FileName is { } name =>
                new FetchedModel(model.Name, model.Source, null, ModelLayoutKind.Files, model.Target[..model.Target.LastIndexOf('/')], model.EnvironmentVariable, model.Target,
                    [files[0] with { Path = name }], ""),
            _ => null,
        };
        return result is null ? null : result with { ContentDigest = ModelLayout.Digest(ModelLayout.Plan(result)), License = locked.License };
    }

    public async Task<ModelFetchResult> FetchAsync(IReadOnlyList<ModelSpec> models, CancellationToken cancellationToken)
    {
        var fetched = new List<FetchedModel>();
        foreach (var model in models) fetched.Add(await FetchAsync(model, cancellationToken).ConfigureAwait(false));
        return ModelFetchResult.Create(fetched, _cache.Directory);
    }

    public async Task<FetchedModel> FetchAsync(ModelSpec model, CancellationToken cancellationToken)
    {
        if (PinOf(model) is { LayerInRegistry: true } remote && FromLock(model, remote.Locked, _cache.Directory) is { } pinned && pinned.ContentDigest == remote.Locked.ContentDigest)
        {
            // Locked mode still asks whether the branch moved; otherwise nothing at all goes to the source.
            if (remote.CheckRevision) await CheckRevisionAsync(model, remote, cancellationToken).ConfigureAwait(false);
            _log.Message(AiLogLevel.Progress, $"AiContainers: model {model.Name}: {pinned.SourceDescription}, {pinned.Files.Count} file(s), {BlobDownloader.Bytes(pinned.TotalSize)}: not fetched, the registry holds its layer {remote.Locked.Layer!.Digest[..19]} (aicontainers.lock.json)");
            return pinned with { RegistryLayer = remote.Locked.Layer };
        }
        var result = model.Source.Kind switch
        {
            ModelSourceKind.HuggingFace => await FetchHfAsync(model, cancellationToken).ConfigureAwait(false),
            ModelSourceKind.Https => await FetchHttpsAsync(model, cancellationToken).ConfigureAwait(false),
            _ => await FetchLocalAsync(model, cancellationToken).ConfigureAwait(false),
        };
        result = result with { ContentDigest = ModelLayout.Digest(ModelLayout.Plan(result)) };
        _log.Message(AiLogLevel.Progress, $"AiContainers: model {model.Name}: {result.SourceDescription}, {result.Files.Count} file(s), {BlobDownloader.Bytes(result.TotalSize)}, {result.ContentDigest[..19]}");
        return result;
    }

    // ---- hf:// ----

    private async Task<FetchedModel> FetchHfAsync(ModelSpec model, CancellationToken cancellationToken)
    {
        var repository = model.Source.Repository!;
        var revision = model.Source.RevisionOrDefault;

        string commit;
        string? license = null;
        IReadOnlyList<HubTreeEntry>? tree = null;
        if (PinOf(model) is { Locked.Commit: { } lockedCommit } pin)
        {
            // The lock's commit and file list: no Hub call, unless Locked mode must see whether the branch moved.
            if (pin.CheckRevision) await CheckRevisionAsync(model, pin, cancellationToken).ConfigureAwait(false);
            commit = lockedCommit;
            license = pin.Locked.License;
            tree = pin.Locked.Files.Select(f => new HubTreeEntry(f.Path, f.Size, f.GitOid, f.GitOid is null ? f.Sha256 : null)).ToList();
        }
        else if (model.Source.IsPinnedCommit)
        {
            commit = revision;
            if (LookUpLicense && !_hub.Offline)
                license = (await HubApi.ResolveRevisionInfoAsync(_http, model.Name, repository, revision, cancellationToken).ConfigureAwait(false)).License;
        }
        else if (_hub.Offline) commit = _cache.ReadRevision(repository, revision) ?? throw NotCached(model, $"the commit that {repository}@{revision} resolved to");
        else
        {
            (commit, license) = await HubApi.ResolveRevisionInfoAsync(_http, model.Name, repository, revision, cancellationToken).ConfigureAwait(false);
            _cache.WriteRevision(repository, revision, commit);
            _log.Message(AiLogLevel.Progress, $"AiContainers: {repository}@{revision} is commit {commit}");
        }

        tree ??= _cache.ReadTree(repository, commit);
        var listed = tree is null;
        if (tree is null)
        {
            if (_hub.Offline) throw NotCached(model, $"the file list of {repository} at {commit}");
            tree = await HubApi.ListFilesAsync(_http, model.Name, repository, commit, cancellationToken).ConfigureAwait(false);
        }
        // Every listed name is checked, not only the selected ones, so no matcher quirk can let one through.
        foreach (var entry in tree)
            if (ModelFileSelector.UnsafePathReason(entry.Path) is { } reason)
                throw new AiException(AiErrors.UnsafeModelFilePath, ModelSpecMapper.Property, model.Name, entry.Path, reason);
        if (listed) _cache.WriteTree(repository, commit, tree);

        var byPath = tree.ToDictionary(e => e.Path, StringComparer.Ordinal);
        var selected = ModelFileSelector.Select(byPath.Keys, model.Files, model.Exclude);
        if (selected.Count == 0) throw NoneMatched(model, $"{repository} at {commit}", byPath.Keys);

        var files = new List<FetchedFile>();
        foreach (var path in selected)
        {
            var entry = byPath[path];
            var gitOid = entry.LfsSha256 is null && entry.Oid is { } oid && oid.Length == 40 ? oid : null;
            var request = new BlobRequest(
                model.Name, model.Name + "/" + path, HubApi.ResolveUrl(_hub, repository, commit, path),
                new RequestContext(model.Name, $"'{path}'", repository, $"'{path}' is not in '{repository}' at {commit}"),
                entry.LfsSha256, gitOid, entry.Size >= 0 ? entry.Size : null,
                entry.LfsSha256 ?? (gitOid is not null ? "git-" + gitOid : "url-" + ModelCache.Key(repository + "@" + commit + "/" + path)),
                commit);
            var blob = _hub.Offline ? _downloader.TryCached(request) ?? throw NotCached(model, $"'{path}' of {repository} at {commit}")
                : await _downloader.FetchAsync(request, cancellationToken).ConfigureAwait(false);
            files.Add(new FetchedFile(path, blob.Size, blob.Sha256, blob.BlobPath, gitOid));
        }

        var target = model.Target;
        var environmentValue = model.Layout == ModelLayoutKind.HfCache ? ModelLayout.HfSnapshotPath(target, repository, commit) : target;
        return new FetchedModel(model.Name, model.Source, commit, model.Layout, target, model.EnvironmentVariable, environmentValue, files, "") { License = license };
    }

    /// <summary>Locked mode: the one Hub call a pinned hf:// branch or tag costs, failing with AIC7004 when it moved.</summary>
    private async Task CheckRevisionAsync(ModelSpec model, ModelPin pin, CancellationToken cancellationToken)
    {
        if (_hub.Offline) return;
        var now = await HubApi.ResolveRevisionAsync(_http, model.Name, model.Source.Repository!, model.Source.RevisionOrDefault, cancellationToken).ConfigureAwait(false);
        if (LockDrift.Commit(pin.Locked, now) is { } moved)
            throw new AiException(AiErrors.LockDrift, "AiLockMode", LockPath, moved, LockPath);
    }

    // ---- https:// ----

    private async Task<FetchedModel> FetchHttpsAsync(ModelSpec model, CancellationToken cancellationToken)
    {
        var url = model.Source.Url!;
        var display = ModelSpecMapper.RedactedUrl(url);
        // A lock pins an unverified URL's content: the next build takes it from the cache or checks the download against it.
        var lockedSha = model.Sha256 is null && PinOf(model) is { Locked.Files: [var lockedFile] } ? lockedFile.Sha256 : null;
        if (lockedSha is not null) model = model with { Sha256 = lockedSha };
        var request = new BlobRequest(model.Name, model.Name + "/" + model.FileName, new Uri(url), new RequestContext(model.Name, display, null),
            model.Sha256, null, model.Size, model.Sha256 ?? "url-" + ModelCache.Key(url), null, "the AiModel's Size");

        BlobResult blob;
        if (_hub.Offline)
        {
            var sha = model.Sha256 ?? _cache.ReadUrlSha256(url);
            blob = sha is not null && _cache.HasBlob(sha)
                ? new BlobResult(sha, _cache.BlobPath(sha), new FileInfo(_cache.BlobPath(sha)).Length, false)
                : throw NotCached(model, display);
        }
        else
        {
            // Unverified content may have changed, so it is downloaded again; a pinned Sha256 is reused from the cache.
            try { blob = await _downloader.FetchAsync(request, cancellationToken).ConfigureAwait(false); }
            catch (AiException e) when (lockedSha is not null && e.Code == AiErrors.ModelChecksumMismatch.Code)
            {
                throw new AiException(AiErrors.LockedModelContentChanged, "AiLockMode", model.Name, model.FileName, LockPath, lockedSha, "other content");
            }
            if (model.Sha256 is null) _cache.WriteUrlSha256(url, blob.Sha256);
        }

        var targetDirectory = model.Target[..model.Target.LastIndexOf('/')];
        var file = new FetchedFile(model.FileName!, blob.Size, blob.Sha256, blob.BlobPath);
        return new FetchedModel(model.Name, model.Source, null, ModelLayoutKind.Files, targetDirectory, model.EnvironmentVariable, model.Target, [file], "");
    }

    // ---- local file or folder ----

    private async Task<FetchedModel> FetchLocalAsync(ModelSpec model, CancellationToken cancellationToken)
    {
        var source = model.Source.LocalPath!;
        RequireReadable(model, model.Source.Text, source);
        if (File.Exists(source))
        {
            foreach (var (metadata, set) in new[] { ("Files", model.Files.Count > 0), (ModelSpecMapper.ExcludeFilesMetadata, model.Exclude.Count > 0) })
                if (set) throw new AiException(AiErrors.ModelMetadataNotApplicable, ModelSpecMapper.Property, model.Name, metadata, "a local file (Files and ExcludeFiles select inside a folder)");
            var name = Path.GetFileName(source);
            var imported = await ImportLocalAsync(model, source, name, cancellationToken).ConfigureAwait(false);
            var imagePath = model.TargetIsExplicit ? model.Target : model.Target + "/" + name;
            var targetDirectory = imagePath[..imagePath.LastIndexOf('/')];
            var file = imported with { Path = imagePath[(imagePath.LastIndexOf('/') + 1)..] };
            CheckAgainstLock(model, [file]);
            return new FetchedModel(model.Name, model.Source, null, ModelLayoutKind.Files, targetDirectory, model.EnvironmentVariable, imagePath, [file], "");
        }
        if (!Directory.Exists(source)) throw new AiException(AiErrors.LocalModelSourceMissing, ModelSpecMapper.Property, model.Name, model.Source.Text, source);
        if (model.Sha256 is not null)
            throw new AiException(AiErrors.ModelMetadataNotApplicable, ModelSpecMapper.Property, model.Name, "Sha256", "a local folder (Sha256 verifies a single file)");

        var all = Directory.EnumerateFiles(source, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
            .Select(f => Path.GetRelativePath(source, f).Replace('\\', '/'))
            .ToList();
        var selected = ModelFileSelector.Select(all, model.Files, model.Exclude);
        if (selected.Count == 0) throw NoneMatched(model, source, all);
        var files = new List<FetchedFile>();
        foreach (var relative in selected)
            RequireReadable(model, relative, Path.Combine(source, relative));
        foreach (var relative in selected)
            files.Add(await ImportLocalAsync(model, Path.Combine(source, relative), relative, cancellationToken).ConfigureAwait(false));
        CheckAgainstLock(model, files);
        return new FetchedModel(model.Name, model.Source, null, ModelLayoutKind.Files, model.Target, model.EnvironmentVariable, model.Target, files, "");
    }

    /// <summary>
    /// Hashes a local file: where it is when <see cref="ReadLocalFilesInPlace"/>, else while copying it into the cache.
    /// Either way every later read of it is checked against this hash. Unchanged files (size and mtime, recorded per
    /// path in the cache) are not read again.
    /// </summary>
    private async Task<FetchedFile> ImportLocalAsync(ModelSpec model, string fullPath, string relative, CancellationToken cancellationToken)
    {
        var info = new FileInfo(fullPath);
        if (_cache.ReadLocal(fullPath) is { } record && record.Size == info.Length && record.LastWriteTicks == info.LastWriteTimeUtc.Ticks
            && (ReadLocalFilesInPlace || _cache.HasBlob(record.Sha256)))
        {
            if (model.Sha256 is { } pinned && pinned != record.Sha256)
                throw new AiException(AiErrors.ModelChecksumMismatch, ModelSpecMapper.Property, model.Name, relative, "SHA-256", record.Sha256, pinned);
            return new FetchedFile(relative, record.Size, record.Sha256, ReadLocalFilesInPlace ? fullPath : _cache.BlobPath(record.Sha256));
        }

        var temp = ReadLocalFilesInPlace ? null : _cache.TempPath("local-" + Guid.NewGuid().ToString("N"));
        string sha;
        long size = 0;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            // Two buffers: while one is written to the cache, the other is hashed and read, so the copy costs about
            // the hash's time alone. The bytes hashed are the bytes written, whatever happens to the source meanwhile.
            var buffers = new[] { new byte[1 << 20], new byte[1 << 20] };
            await using (var input = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan))
            {
                FileStream? output = null;
                if (temp is not null)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
                    output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                }
                await using (output)
                {
                    var writing = Task.CompletedTask;
                    for (var i = 0; ; i ^= 1)
                    {
                        var read = await input.ReadAsync(buffers[i], cancellationToken).ConfigureAwait(false);
                        await writing.ConfigureAwait(false);
                        if (read == 0) break;
                        if (output is not null) writing = output.WriteAsync(buffers[i].AsMemory(0, read), cancellationToken).AsTask();
                        hash.AppendData(buffers[i], 0, read);
                        size += read;
                    }
                }
            }
            sha = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
            if (model.Sha256 is { } pinned && pinned != sha)
                throw new AiException(AiErrors.ModelChecksumMismatch, ModelSpecMapper.Property, model.Name, relative, "SHA-256", sha, pinned);
            if (temp is not null) _cache.Commit(temp, sha);
        }
        finally
        {
            if (temp is not null) File.Delete(temp);
        }
        // The mtime seen before reading: a write during the read leaves a newer one, so the next build hashes again.
        _cache.WriteLocal(fullPath, new ModelCache.LocalFileRecord(size, info.LastWriteTimeUtc.Ticks, sha));
        return new FetchedFile(relative, size, sha, ReadLocalFilesInPlace ? fullPath : _cache.BlobPath(sha));
    }

    /// <summary>
    /// The one rule for copied files (<see cref="ProjectFiles"/>): a dangling link is AIC5108, and a path
    /// that resolves (links followed) outside the project is AIC5107 unless AiAllowFilesOutsideProject.
    /// </summary>
    private void RequireReadable(ModelSpec model, string shown, string path)
        => ProjectFiles.Require(_files ?? new ProjectFileRule(Path.GetPathRoot(Path.GetFullPath(path))!, AllowOutside: true),
            ModelSpecMapper.Property, $"AiModel '{model.Name}' Source", shown, path);

    /// <summary>A local model's files against its lock entry: Locked mode fails (AIC7004), Auto warns (AIC7501) and the lock takes the new content.</summary>
    private void CheckAgainstLock(ModelSpec model, IReadOnlyList<FetchedFile> files)
    {
        if (PinOf(model) is not { } pin) return;
        var drift = LockDrift.Files(pin.Locked, files.Select(f => new LockedFile(f.Path, f.Sha256, f.Size)).ToList());
        if (drift.Count == 0) return;
        if (FailOnDrift) throw new AiException(AiErrors.LockDrift, "AiLockMode", LockPath, LockDrift.Describe(drift), LockPath);
        _log.Report(AiErrors.LockLocalModelChanged.Create(ModelSpecMapper.Property, model.Name, LockPath, LockDrift.Describe(drift)));
    }

    private AiException NotCached(ModelSpec model, string what)
        => new(AiErrors.ModelNotCachedOffline, "HF_HUB_OFFLINE", model.Name, what, _cache.Directory);

    private static AiException NoneMatched(ModelSpec model, string where, IEnumerable<string> available)
    {
        var list = available.OrderBy(p => p, StringComparer.Ordinal).ToList();
        var shown = string.Join(", ", list.Take(20)) + (list.Count > 20 ? $" and {list.Count - 20} more" : "");
        return new AiException(AiErrors.NoModelFilesMatched, ModelSpecMapper.Property, model.Name, where,
            string.Join(";", model.Files), string.Join(";", model.Exclude), shown.Length == 0 ? "(none)" : shown);
    }
}
