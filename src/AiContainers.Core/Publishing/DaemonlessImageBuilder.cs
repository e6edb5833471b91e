using System.Diagnostics;
using System.Globalization;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Engine;
using AiContainers.Core.Generation;
using AiContainers.Core.Net;
using AiContainers.Core.Oci;
using AiContainers.Core.Oci.Registry;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Publishing;

/// <summary>
/// Composes the image itself, like Jib and the .NET SDK's containers: the base's manifest and config
/// come from its registry (no base layer is downloaded to push), each new layer is a deterministic
/// tar.gz from <see cref="ImageLayerPlan"/> kept in a content-addressed cache (an unchanged layer is
/// neither re-read nor re-compressed), and the push sends only blobs the registry lacks (HEAD, then a
/// cross-repository mount, then an upload), the config, and one manifest per tag last, so no tag moves
/// unless the whole image landed. Without a registry it writes ContainerArchiveOutputPath, or loads the
/// image into the local engine.
/// </summary>
public sealed class DaemonlessImageBuilder : IImageBuilder
{
    private readonly RegistryCredentialStore _credentials;
    private readonly IAiLog _log;
    private readonly LayerCache _cache;
    private readonly RetryPolicy _retry;
    private readonly Func<IContainerEngine> _engineFactory;
    private readonly Dictionary<string, RegistryClient> _clients = new(StringComparer.Ordinal);
    // The digest the base reference resolved to in the last build (the index when the base has one), for the SBOM.
    private string? _baseDigest;

    public DaemonlessImageBuilder(RegistryCredentialStore credentials, IAiLog log, string? layerCacheDirectory, RetryPolicy? retry = null, Func<IContainerEngine>? engineFactory = null)
    {
        _credentials = credentials;
        _log = log;
        _cache = new LayerCache(layerCacheDirectory ?? DefaultCacheDirectory());
        _retry = retry ?? RetryPolicy.Default;
        _engineFactory = engineFactory ?? (() => DockerEngine.Create());
    }

    /// <summary>Per user, like the model cache: layers (weights above all) are compressed once per machine.</summary>
    public static string DefaultCacheDirectory()
    {
        if (Environment.GetEnvironmentVariable("AIC_LAYER_CACHE") is { Length: > 0 } set) return set;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "aicontainers", "layers");
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
    }

    public async Task PreflightAsync(AiImageSpec spec, CancellationToken cancellationToken)
    {
        // Several platforms: the base must offer each, checked before any model is fetched or layer built.
        if (PlatformContexts.IsMultiPlatform(spec)) await CheckBasePlatformsAsync(spec, cancellationToken).ConfigureAwait(false);
        if (spec.Identity is { Push: true, Registry: { } registry })
        {
            await Client(registry).PingAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        if (spec.Build.ArchivePath is not null) return;
        using var engine = _engineFactory();
        try { await engine.PingAsync(cancellationToken).ConfigureAwait(false); }
        catch (AiException e) { throw new AiException(AiErrors.NothingToPublishTo, "ContainerRegistry", engine.Endpoint, e.Diagnostic.Message); }
    }

    /// <summary>AIC6176 naming the first platform of ContainerRuntimeIdentifiers the base lacks, with the platforms it offers.</summary>
    private async Task CheckBasePlatformsAsync(AiImageSpec spec, CancellationToken cancellationToken)
    {
        var pull = spec.Base.PinnedPull;
        var offered = await Client(pull.EffectiveRegistry).PlatformsAsync(pull.EffectiveRepository, pull.Digest ?? pull.Tag ?? "latest", cancellationToken).ConfigureAwait(false);
        foreach (var target in PlatformContexts.Targets(spec))
        {
            var wanted = target.Platform;
            if (!offered.Any(wanted.Accepts))
                throw new AiException(AiErrors.BaseLacksPlatform, "ContainerRuntimeIdentifiers", spec.Base.Reference, wanted, target.RuntimeIdentifier,
                    offered.Count == 0 ? "no platform it names" : string.Join(", ", offered));
        }
    }

    /// <summary>One platform's image, composed: its base, its own layers, config and manifest.</summary>
    private sealed record ComposedImage(
        Platform Platform,
        ResolvedImage Base,
        IReadOnlyList<(PlannedLayer Planned, LayerBlob Blob)> Layers,
        byte[] Config,
        string ConfigDigest,
        byte[] Manifest,
        string ManifestDigest);

    public async Task<PublishedImage> BuildAndPushAsync(ImageBuildInputs inputs, CancellationToken cancellationToken)
    {
        var spec = inputs.Spec;
        var watch = Stopwatch.StartNew();
        var format = spec.Build.Format == ImageFormatKind.Oci ? ImageFormat.Oci : ImageFormat.Docker;
        var multi = PlatformContexts.IsMultiPlatform(spec);
        // aicontainers.lock.json's digest when it pins the base, so a moved tag cannot change the image.
        var pull = spec.Base.PinnedPull;
        var baseClient = Client(pull.EffectiveRegistry);
        // Every platform is checked, and every context found, before the first layer is written.
        if (multi) await CheckBasePlatformsAsync(spec, cancellationToken).ConfigureAwait(false);
        var platforms = PlatformContexts.Resolve(spec, inputs.ContextDirectory);

        var identity = spec.Identity;
        // Pushing: each new layer starts uploading as soon as it is written, while the next ones are composed (1 GiB of
        // weights goes up while the .NET runtime is compressed). Tags still move only after every blob has landed.
        using var uploads = identity is { Push: true, Registry: { } pushRegistry }
            ? new EarlyLayerUploads(Client(pushRegistry), identity.Repository, pushRegistry, _log, cancellationToken)
            : null;
        // A repository with no tag holds no layer a HEAD could find: a weights layer not known yet is hashed by the
        // read that uploads it, not by a read before (one pass over 1 GiB instead of two). Not for several platforms,
        // whose images share the layer and would each upload it.
        if (uploads is not null) uploads.MayHashWhileUploading = !multi;
        // AiLockMode=Auto: whether the base tag moved since the lock pinned it, asked while the layers are composed.
        var baseTagCheck = WarnIfBaseTagMovedAsync(spec, baseClient, cancellationToken);
        var images = new List<ComposedImage>();
        try
        {
            foreach (var (_, platform, context) in platforms)
                images.Add(await ComposeAsync(spec, platform, context, inputs.Models, format, baseClient, uploads, cancellationToken).ConfigureAwait(false));
        }
        catch (AiException e) when (e.Code == AiErrors.RegistryImageNotFound.Code && spec.Base.LockedDigest is { } gone && spec.Lock is { } lockSettings)
        {
            // Registries delete untagged manifests: a pin to nothing builds nothing.
            throw new AiException(AiErrors.LockedBaseDigestMissing, "AiLockFile", spec.Base.CanonicalName, lockSettings.Path, gone, pull.EffectiveRegistry, "not found");
        }
        finally
        {
            // Never left running (and logging) past a failed build; its own failure is thrown below, on success.
            try { await baseTagCheck.ConfigureAwait(false); } catch (Exception) { }
        }
        await baseTagCheck.ConfigureAwait(false);
        byte[]? index = null;
        string? indexDigest = null;
        if (multi)
        {
            index = ManifestWriter.Index(format, images.Select(i => new PlatformManifest(i.ManifestDigest, i.Manifest.Length, OciMediaTypes.Manifest(format), i.Platform.Os, i.Platform.Architecture, i.Platform.Variant)).ToList());
            indexDigest = RegistryDigest.Of(index);
        }
        var buildTime = watch.Elapsed;
        _baseDigest = images[0].Base.IndexDigest ?? images[0].Base.ManifestDigest;
        _log.Message(AiLogLevel.Progress, multi
            ? $"AiContainers: composed index {indexDigest} on {spec.Base.Reference} for {string.Join(", ", images.Select(i => $"{i.Platform} ({i.ManifestDigest}, {i.Layers.Count} layer(s) of its own)"))} in {Format.Seconds(buildTime)}"
            : $"AiContainers: composed {images[0].ManifestDigest} on {spec.Base.Reference}: {images[0].Layers.Count} layer(s) of its own in {Format.Seconds(buildTime)}");

        var published = new List<PublishedLayer>();
        long sent = 0;
        watch.Restart();
        string? digest = null;
        if (identity is { Push: true, Registry: { } registry })
        {
            var target = Client(registry);
            var repository = identity.Repository;
            var sameRegistry = string.Equals(pull.EffectiveRegistry, registry, StringComparison.OrdinalIgnoreCase);
            // Platforms share blobs (base layers of a multi-arch base rarely, a model layer always): each is checked once.
            var present = new HashSet<string>(StringComparer.Ordinal);
            // The base's layers, the config and the layers of our own (uploading since they were composed) are independent
            // blobs: all are checked and sent at once (at most three base-layer transfers at a time); a code-change push
            // then waits for its slowest request chain, not for the sum of a dozen requests.
            using var baseTransfers = new SemaphoreSlim(3);
            async Task<long> EnsureBaseLayerAsync(RegistryLayerRef layer)
            {
                await baseTransfers.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (await target.BlobExistsAsync(repository, layer.Digest, cancellationToken).ConfigureAwait(false)) return 0;
                    if (sameRegistry && await target.TryMountBlobAsync(repository, layer.Digest, pull.EffectiveRepository, cancellationToken).ConfigureAwait(false)) return 0;
                    // Another registry: the base layer streams from there to here, never to disk.
                    await target.UploadBlobAsync(repository, layer.Digest, layer.Size,
                        () => baseClient.OpenBlobAsync(pull.EffectiveRepository, layer.Digest, cancellationToken).GetAwaiter().GetResult(), null, cancellationToken, checkedAbsent: true).ConfigureAwait(false);
                    return layer.Size;
                }
                finally { baseTransfers.Release(); }
            }
            async Task<long> EnsureConfigAsync(ComposedImage image)
            {
                if (await target.BlobExistsAsync(repository, image.ConfigDigest, cancellationToken).ConfigureAwait(false)) return 0;
                var config = image.Config;
                await target.UploadBlobAsync(repository, image.ConfigDigest, config.Length, () => new MemoryStream(config, writable: false), null, cancellationToken, checkedAbsent: true).ConfigureAwait(false);
                return config.Length;
            }
            var transfers = new List<Task<long>>();
            foreach (var image in images)
            {
                foreach (var layer in image.Base.Layers)
                    if (present.Add(layer.Digest)) transfers.Add(EnsureBaseLayerAsync(layer));
                if (present.Add(image.ConfigDigest)) transfers.Add(EnsureConfigAsync(image));
            }
            try
            {
                foreach (var image in images)
                {
                    foreach (var (planned, blob) in image.Layers)
                    {
                        // Started while composing (EarlyLayerUploads); true when this push uploaded it.
                        var isNew = present.Add(blob.Digest) && await uploads!.Start(planned, blob).ConfigureAwait(false);
                        if (isNew) sent += blob.Size;
                        published.Add(new PublishedLayer(multi ? $"{image.Platform} {planned.Description}" : planned.Description, blob.Digest, blob.Size, isNew));
                    }
                }
            }
            finally
            {
                // Never left running past a failure here: the transfers' own failure is thrown below.
                try { await Task.WhenAll(transfers).ConfigureAwait(false); } catch (Exception) { }
            }
            foreach (var transfer in transfers) sent += await transfer.ConfigureAwait(false);
            foreach (var image in images)
            {
                if (multi)
                {
                    // By digest: no tag points at one platform's manifest, and no tag moves until the index lands.
                    await target.PutManifestAsync(repository, image.ManifestDigest, image.Manifest, OciMediaTypes.Manifest(format), cancellationToken).ConfigureAwait(false);
                    sent += image.Manifest.Length;
                }
            }
            var top = index ?? images[0].Manifest;
            var topType = index is not null ? OciMediaTypes.Index(format) : OciMediaTypes.Manifest(format);
            foreach (var tag in identity.Tags)
            {
                digest = await target.PutManifestAsync(repository, tag, top, topType, cancellationToken).ConfigureAwait(false);
                sent += top.Length;
            }
        }
        else
        {
            published.AddRange(images.SelectMany(i => i.Layers.Select(l => new PublishedLayer(multi ? $"{i.Platform} {l.Planned.Description}" : l.Planned.Description, l.Blob.Digest, l.Blob.Size, New: true))));
        }

        string? archive = null;
        string? imageId = null;
        if (spec.Build.ArchivePath is { } archivePath || !identity.Push)
        {
            List<ArchiveLayer> ArchiveLayers(ComposedImage image) => image.Base.Layers
                .Select(l => new ArchiveLayer(l.MediaType, l.Digest, l.Size, () => baseClient.OpenBlobAsync(pull.EffectiveRepository, l.Digest, cancellationToken).GetAwaiter().GetResult()))
                .Concat(image.Layers.Select(l => ArchiveLayer.From(l.Blob)))
                .ToList();
            var tags = identity.TaggedNames.ToList();
            if (spec.Build.ArchivePath is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var temp = path + ".partial";
                if (multi)
                {
                    // docker-save holds one platform; an OCI layout holds them all under one index.
                    await ImageArchiveWriter.WriteOciArchiveAsync(temp, tags[0],
                        images.Select(i => new ArchiveImage(i.Config, ArchiveLayers(i), i.Platform.Os, i.Platform.Architecture, i.Platform.Variant)).ToList(), cancellationToken).ConfigureAwait(false);
                    File.Move(temp, path, overwrite: true);
                    _log.Message(AiLogLevel.Progress, $"AiContainers: wrote {path}, an OCI layout with {images.Count} platforms (skopeo copy --all oci-archive:, podman load)");
                }
                else
                {
                    await ImageArchiveWriter.WriteDockerArchiveAsync(temp, tags, images[0].Config, ArchiveLayers(images[0]), cancellationToken).ConfigureAwait(false);
                    File.Move(temp, path, overwrite: true);
                    _log.Message(AiLogLevel.Progress, $"AiContainers: wrote {path} (docker load -i, podman load -i, skopeo copy docker-archive:)");
                }
                archive = path;
            }
            if (!identity.Push && spec.Build.ArchivePath is null)
            {
                // An engine holds one platform per tag: the one this machine runs, else the primary.
                var local = images.FirstOrDefault(i => i.Platform.Accepts(HostPlatform())) ?? images[0];
                if (multi) _log.Message(AiLogLevel.Progress, $"AiContainers: the engine holds one platform per tag; loading {local.Platform} (set ContainerRegistry or ContainerArchiveOutputPath for all {images.Count})");
                imageId = await LoadIntoEngineAsync(tags, local.Config, ArchiveLayers(local), cancellationToken).ConfigureAwait(false);
            }
        }

        var size = images.Sum(i => i.Base.Layers.Sum(l => l.Size) + i.Layers.Sum(l => l.Blob.Size) + i.Config.Length);
        return new PublishedImage(identity, "Daemonless", spec.Build.BuilderReason, imageId ?? images[0].ConfigDigest, digest ?? (identity.Push ? indexDigest ?? images[0].ManifestDigest : null), size,
            digest is not null, sent, buildTime, watch.Elapsed, published, archive)
        {
            PushedManifest = digest is null ? null
                : index is not null ? new RegistryManifest(OciMediaTypes.Index(format), index, indexDigest!)
                : new RegistryManifest(OciMediaTypes.Manifest(format), images[0].Manifest, images[0].ManifestDigest),
        };
    }

    /// <summary>
    /// AiLockMode=Auto builds from the lock's pin and says when the tag has moved since (AIC7500): one manifest request on
    /// the base's connection, here rather than in ResolveAiLock (LockResolver leaves it to this builder).
    /// </summary>
    private async Task WarnIfBaseTagMovedAsync(AiImageSpec spec, RegistryClient baseClient, CancellationToken cancellationToken)
    {
        if (spec.Lock is not { Mode: Lock.AiLockMode.Auto } lockSettings || spec.Base.LockedDigest is not { } pinned || spec.Base.Image.Digest is not null) return;
        var pull = spec.Base.Pull;
        string now;
        try { now = (await baseClient.GetManifestAsync(pull.EffectiveRepository, pull.Tag ?? "latest", cancellationToken).ConfigureAwait(false)).Digest; }
        catch (AiException e) when (e.Code == AiErrors.RegistryImageNotFound.Code) { now = "no such tag"; }
        if (now != pinned) _log.Report(AiErrors.LockBaseMoved.Create("AiLockMode", spec.Base.CanonicalName, now, lockSettings.Path, pinned));
    }

    public RegistryClient? PushClient(string registry) => _clients.GetValueOrDefault(registry);

    /// <summary>The base by the digest it resolved to: no base layer is downloaded to list its packages.</summary>
    public Task<Sbom.ImageInventory> InventoryAsync(ImageBuildInputs inputs, PublishedImage image, CancellationToken cancellationToken)
        => Task.FromResult(new Sbom.ImageInventory(_baseDigest));

    /// <summary>The base's manifest for <paramref name="platform"/>, the layers from <paramref name="context"/>, the config and the manifest.</summary>
    private async Task<ComposedImage> ComposeAsync(AiImageSpec spec, Platform platform, string context, ModelFetchResult? models, ImageFormat format, RegistryClient baseClient,
        EarlyLayerUploads? uploads, CancellationToken cancellationToken)
    {
        var pull = spec.Base.PinnedPull;
        var baseImage = await baseClient.ResolveAsync(pull.EffectiveRepository, pull.Digest ?? pull.Tag ?? "latest", platform, cancellationToken).ConfigureAwait(false);
        foreach (var layer in baseImage.Layers.Where(l => !OciMediaTypes.IsGzipLayer(l.MediaType) && l.MediaType is not (OciMediaTypes.DockerLayerTar or OciMediaTypes.OciLayerTar)))
            throw new AiException(AiErrors.BaseLayerFormatUnsupported, "AiBaseImage", spec.Base.Reference, layer.MediaType);
        _log.Message(AiLogLevel.Detail, $"AiContainers: base {spec.Base.PullReference} for {platform} is {baseImage.ManifestDigest} ({baseImage.Layers.Count} layers)");

        var plan = ImageLayerPlan.For(spec, context, models);
        var modified = plan.Modified;
        var pending = new List<(PlannedLayer Planned, Task<LayerBlob> Blob)>();
        foreach (var planned in plan.Layers)
        {
            // A weights layer for a repository that holds nothing: its digest comes from the upload that reads it.
            if (planned.Prebuilt is null && uploads is { MayHashWhileUploading: true }
                && LayerWriter.Unhashed(planned.Entries, _cache, planned.Compression, planned.FixedTime ?? modified, planned.Description, planned.ContentKey) is { } unhashed
                && await uploads.RepositoryIsNewAsync().ConfigureAwait(false))
            {
                pending.Add((planned, uploads.UploadHashing(planned, unhashed)));
                continue;
            }
            // A model layer the target registry holds (aicontainers.lock.json) is referenced by digest: no file, no tar, no upload.
            var layerWatch = Stopwatch.StartNew();
            var blob = planned.Prebuilt
                ?? await LayerWriter.WriteAsync(planned.Entries, _cache, planned.Compression, planned.FixedTime ?? modified, planned.Description, planned.ContentKey, cancellationToken).ConfigureAwait(false);
            pending.Add((planned, Task.FromResult(blob)));
            _log.Message(AiLogLevel.Detail, $"AiContainers: layer {planned.Description} {blob.Digest} ({blob.Size} bytes) ready in {Format.Seconds(layerWatch.Elapsed)}");
            _ = uploads?.Start(planned, blob);
        }
        var layers = new List<(PlannedLayer Planned, LayerBlob Blob)>();
        foreach (var (planned, blob) in pending) layers.Add((planned, await blob.ConfigureAwait(false)));
        var weights = WeightsImagePlan.For(models);
        var config = ImageConfigWriter.Create(baseImage.ConfigBytes, ConfigInput(spec, plan, platform, weights), layers.Select(l => l.Blob).ToList(), format);
        var configDigest = RegistryDigest.Of(config);
        var descriptors = baseImage.Layers.Select(l => new BlobDescriptor(OciMediaTypes.MapLayer(l.MediaType, format), l.Digest, l.Size))
            .Concat(layers.Select(l => new BlobDescriptor(OciMediaTypes.MapLayer(l.Blob.MediaType, format), l.Blob.Digest, l.Blob.Size)))
            .ToList();
        var manifest = ManifestWriter.Manifest(format, configDigest, config.Length, descriptors);
        return new ComposedImage(platform, baseImage, layers, config, configDigest, manifest, RegistryDigest.Of(manifest));
    }

    private static Platform HostPlatform() => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => Platform.LinuxArm64,
        _ => Platform.LinuxAmd64,
    };

    /// <summary>No registry and no archive: the image goes into the local engine, as `docker load` would put it.</summary>
    private async Task<string> LoadIntoEngineAsync(IReadOnlyList<string> tags, byte[] config, IReadOnlyList<ArchiveLayer> layers, CancellationToken cancellationToken)
    {
        using var engine = _engineFactory();
        await engine.PingAsync(cancellationToken).ConfigureAwait(false);
        var temp = Path.Combine(_cache.Directory, "tmp", "load-" + Guid.NewGuid().ToString("N") + ".tar");
        Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
        try
        {
            await ImageArchiveWriter.WriteDockerArchiveAsync(temp, tags, config, layers, cancellationToken).ConfigureAwait(false);
            await using var stream = File.OpenRead(temp);
            await engine.LoadImageAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        var info = await engine.InspectImageAsync(tags[0], cancellationToken).ConfigureAwait(false);
        _log.Message(AiLogLevel.Progress, $"AiContainers: loaded {string.Join(", ", tags)} into the engine at {engine.Endpoint}");
        return info?.Id ?? RegistryDigest.Of(config);
    }

    private ImageConfigInput ConfigInput(AiImageSpec spec, ImageLayerPlan plan, Platform platform, WeightsImagePlan? weights)
    {
        var environment = ImageEnvironment.For(spec, weights?.Environment).Select(e => new KeyValuePair<string, string>(e.Name, e.Value)).ToList();
        if (plan.Home is { } home && environment.All(e => e.Key != "HOME")) environment.Insert(0, new("HOME", home));
        var labels = ImageLabels.For(spec, weights?.Labels).ToDictionary(l => l.Name, l => l.Value, StringComparer.Ordinal);
        var entrypoint = DockerfileGenerator.EntrypointFor(spec);
        ImageHealthcheck? health = spec.HealthCheck is { } h
            ? new ImageHealthcheck(new[] { "CMD" }.Concat(h.Command).ToList(), Duration(h.Interval), Duration(h.Timeout), Duration(h.StartPeriod), h.Retries)
            : null;
        return new ImageConfigInput
        {
            Os = platform.Os,
            Architecture = platform.Architecture,
            Variant = platform.Variant,
            Env = environment,
            Entrypoint = entrypoint.Count > 0 ? entrypoint : null,
            Cmd = spec.Command.Count > 0 && spec.Entrypoint.Count > 0 ? spec.Command : null,
            WorkingDir = Generation.WritablePlaces.RunDirectory(spec),
            User = spec.User.User,
            ExposedPorts = spec.Ports.Select(p => p.ToString()).ToList(),
            Labels = labels,
            Healthcheck = health,
            Created = plan.Modified,
            CreatedBy = "AiContainers " + spec.Metadata.GeneratorVersion,
        };
    }

    private static TimeSpan Duration(string text)
    {
        var number = double.Parse(text.TrimEnd('m', 's', 'h'), CultureInfo.InvariantCulture);
        return text.EndsWith("ms", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(double.Parse(text[..^2], CultureInfo.InvariantCulture))
            : text.EndsWith('s') ? TimeSpan.FromSeconds(number)
            : text.EndsWith('m') ? TimeSpan.FromMinutes(number)
            : TimeSpan.FromHours(number);
    }

    private RegistryClient Client(string registry)
    {
        if (!_clients.TryGetValue(registry, out var client))
            _clients[registry] = client = new RegistryClient(registry, _credentials, _log, _retry) { DigestCacheDirectory = Path.Combine(_cache.Directory, "registry") };
        return client;
    }
}

/// <summary>
/// Layer uploads that start while the image is still being composed: HEAD, then an upload of what the repository lacks,
/// one task per digest (a layer two platforms share goes up once). Disposing before the push ends (a failure elsewhere)
/// cancels what is still running and waits for it, so nothing keeps writing to the registry after the build has failed;
/// a blob that landed without a manifest naming it is what any interrupted push leaves, and no tag points at it.
/// </summary>
internal sealed class EarlyLayerUploads : IDisposable
{
    // Enough to overlap a large upload with small ones; more would only split the registry's disk and CPU.
    private const int Parallel = 3;
    private readonly RegistryClient _target;
    private readonly string _repository;
    private readonly string _registry;
    private readonly IAiLog _log;
    private readonly CancellationTokenSource _stop;
    private readonly SemaphoreSlim _slots = new(Parallel);
    private readonly Dictionary<string, Task<bool>> _byDigest = new(StringComparer.Ordinal);
    private readonly List<Task> _hashing = new();

    public EarlyLayerUploads(RegistryClient target, string repository, string registry, IAiLog log, CancellationToken cancellationToken)
    {
        _target = target;
        _repository = repository;
        _registry = registry;
        _log = log;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    private Task<bool>? _repositoryIsNew;

    /// <summary>Whether a layer whose digest is not known yet may be hashed by its upload (one platform only).</summary>
    public bool MayHashWhileUploading { get; set; }

    /// <summary>The repository holds no tag, so no layer a HEAD could find: asked once, only when a layer could use it.</summary>
    public Task<bool> RepositoryIsNewAsync()
    {
        lock (_byDigest)
            return _repositoryIsNew ??= RepositoryHasNoTagAsync();
    }

    private async Task<bool> RepositoryHasNoTagAsync() => !await _target.RepositoryHasTagsAsync(_repository, _stop.Token).ConfigureAwait(false);

    /// <summary>
    /// Uploads a layer whose digest is not known yet, hashing it as it goes (<see cref="RegistryClient.UploadBlobHashingAsync"/>),
    /// and records it in the layer cache; a later <see cref="Start"/> for its digest knows it was uploaded.
    /// </summary>
    public Task<LayerBlob> UploadHashing(PlannedLayer planned, UnhashedLayer layer)
    {
        var task = Task.Run(async () =>
        {
            var ct = _stop.Token;
            await _slots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var watch = Stopwatch.StartNew();
                var progress = new TransferProgress(_log, $"layer {planned.Description}", layer.ContentBytes);
                var (digest, size) = await _target.UploadBlobHashingAsync(_repository, layer.Open, progress, ct).ConfigureAwait(false);
                var blob = layer.Landed(digest, size);
                lock (_byDigest) _byDigest[digest] = Task.FromResult(true);
                _log.Message(AiLogLevel.Detail, $"AiContainers: layer {planned.Description} {digest} ({size} bytes) hashed as it was uploaded, in {Format.Seconds(watch.Elapsed)}");
                return blob;
            }
            finally
            {
                _slots.Release();
            }
        });
        lock (_byDigest) _hashing.Add(task);
        return task;
    }

    /// <summary>Starts (once per digest) making sure the repository has the layer; the task says whether it was uploaded.</summary>
    public Task<bool> Start(PlannedLayer planned, LayerBlob blob)
    {
        lock (_byDigest)
        {
            if (!_byDigest.TryGetValue(blob.Digest, out var task))
                _byDigest[blob.Digest] = task = Task.Run(() => EnsureAsync(planned, blob, _stop.Token));
            return task;
        }
    }

    private async Task<bool> EnsureAsync(PlannedLayer planned, LayerBlob blob, CancellationToken ct)
    {
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (await _target.BlobExistsAsync(_repository, blob.Digest, ct).ConfigureAwait(false)) return false;
            // A model layer the lock says the registry holds, gone since: nothing here can rebuild it.
            if (planned.Prebuilt is not null)
                throw new AiException(AiErrors.LockedModelLayerGone, null, planned.Description["model ".Length..], blob.Digest, _registry, _repository);
            var progress = new TransferProgress(_log, $"layer {planned.Description}", blob.Size);
            await _target.UploadBlobAsync(_repository, blob.Digest, blob.Size, blob.Open, progress, ct, checkedAbsent: true).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose()
    {
        Task[] running;
        lock (_byDigest) running = _byDigest.Values.Concat<Task>(_hashing).Where(t => !t.IsCompleted).ToArray();
        if (running.Length > 0)
        {
            _stop.Cancel();
            try { Task.WaitAll(running); } catch (AggregateException) { }
        }
        // Observed, so an upload that failed after the build had already failed is not reported as unobserved.
        lock (_byDigest) foreach (var t in _byDigest.Values.Concat<Task>(_hashing)) _ = t.Exception;
        _stop.Dispose();
        _slots.Dispose();
    }
}

/// <summary>Upload progress at normal verbosity: a line every few seconds with bytes, rate and ETA, never a flood.</summary>
internal sealed class TransferProgress : IProgress<long>
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(3);
    private readonly IAiLog _log;
    private readonly string _what;
    private readonly long _total;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private TimeSpan _last;

    public TransferProgress(IAiLog log, string what, long total)
    {
        _log = log;
        _what = what;
        _total = total;
    }

    public void Report(long value)
    {
        var now = _watch.Elapsed;
        if (now - _last < Every || value >= _total) return;
        _last = now;
        var rate = value / Math.Max(now.TotalSeconds, 0.001);
        var eta = rate > 0 ? TimeSpan.FromSeconds((_total - value) / rate) : TimeSpan.Zero;
        _log.Message(AiLogLevel.Progress, $"AiContainers: uploading {_what}: {Format.Bytes(value)} of {Format.Bytes(_total)} ({Format.Bytes((long)rate)}/s, about {Format.Seconds(eta)} left)");
    }
}
