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

    public async Task<PublishedImage> BuildAndPushAsync(ImageBuildInputs inputs, CancellationToken cancellationToken)
    {
        var spec = inputs.Spec;
        var watch = Stopwatch.StartNew();
        var format = spec.Build.Format == ImageFormatKind.Oci ? ImageFormat.Oci : ImageFormat.Docker;
        var platform = Platform.FromRuntimeIdentifier(spec.Dotnet?.RuntimeIdentifier ?? "linux-x64");

        var pull = spec.Base.Pull;
        var baseClient = Client(pull.EffectiveRegistry);
        var baseImage = await baseClient.ResolveAsync(pull.EffectiveRepository, pull.Digest ?? pull.Tag ?? "latest", platform, cancellationToken).ConfigureAwait(false);
        foreach (var layer in baseImage.Layers.Where(l => !OciMediaTypes.IsGzipLayer(l.MediaType) && l.MediaType is not (OciMediaTypes.DockerLayerTar or OciMediaTypes.OciLayerTar)))
            throw new AiException(AiErrors.BaseLayerFormatUnsupported, "AiBaseImage", spec.Base.Reference, layer.MediaType);
        _log.Message(AiLogLevel.Detail, $"AiContainers: base {spec.Base.PullReference} for {platform} is {baseImage.ManifestDigest} ({baseImage.Layers.Count} layers)");

        var plan = ImageLayerPlan.For(spec, inputs.ContextDirectory, inputs.Models);
        var modified = plan.Modified;
        var layers = new List<(PlannedLayer Planned, LayerBlob Blob)>();
        foreach (var planned in plan.Layers)
        {
            var blob = await LayerWriter.WriteAsync(planned.Entries, _cache, planned.Compression, planned.FixedTime ?? modified, planned.Description, planned.ContentKey, cancellationToken).ConfigureAwait(false);
            layers.Add((planned, blob));
        }
        var weights = WeightsImagePlan.For(inputs.Models);
        var config = ImageConfigWriter.Create(baseImage.ConfigBytes, ConfigInput(spec, plan, platform, weights), layers.Select(l => l.Blob).ToList(), format);
        var configDigest = RegistryDigest.Of(config);
        var descriptors = baseImage.Layers.Select(l => new BlobDescriptor(OciMediaTypes.MapLayer(l.MediaType, format), l.Digest, l.Size))
            .Concat(layers.Select(l => new BlobDescriptor(OciMediaTypes.MapLayer(l.Blob.MediaType, format), l.Blob.Digest, l.Blob.Size)))
            .ToList();
        var manifest = ManifestWriter.Manifest(format, configDigest, config.Length, descriptors);
        var manifestDigest = RegistryDigest.Of(manifest);
        var buildTime = watch.Elapsed;
        _log.Message(AiLogLevel.Progress, $"AiContainers: composed {manifestDigest} on {spec.Base.Reference}: {layers.Count} layer(s) of its own in {Format.Seconds(buildTime)}");

        var published = new List<PublishedLayer>();
        long sent = 0;
        watch.Restart();
        var identity = spec.Identity;
        string? digest = null;
        if (identity is { Push: true, Registry: { } registry })
        {
            var target = Client(registry);
            var repository = identity.Repository;
            var sameRegistry = string.Equals(pull.EffectiveRegistry, registry, StringComparison.OrdinalIgnoreCase);
            foreach (var layer in baseImage.Layers)
            {
                if (await target.BlobExistsAsync(repository, layer.Digest, cancellationToken).ConfigureAwait(false)) continue;
                if (sameRegistry && await target.TryMountBlobAsync(repository, layer.Digest, pull.EffectiveRepository, cancellationToken).ConfigureAwait(false)) continue;
                // Another registry: the base layer streams from there to here, never to disk.
                await target.UploadBlobAsync(repository, layer.Digest, layer.Size,
                    () => baseClient.OpenBlobAsync(pull.EffectiveRepository, layer.Digest, cancellationToken).GetAwaiter().GetResult(), null, cancellationToken).ConfigureAwait(false);
                sent += layer.Size;
            }
            foreach (var (planned, blob) in layers)
            {
                var isNew = !await target.BlobExistsAsync(repository, blob.Digest, cancellationToken).ConfigureAwait(false);
                if (isNew)
                {
                    var progress = new TransferProgress(_log, $"layer {planned.Description}", blob.Size);
                    await target.UploadBlobAsync(repository, blob.Digest, blob.Size, blob.Open, progress, cancellationToken).ConfigureAwait(false);
                    sent += blob.Size;
                }
                published.Add(new PublishedLayer(planned.Description, blob.Digest, blob.Size, isNew));
            }
            if (!await target.BlobExistsAsync(repository, configDigest, cancellationToken).ConfigureAwait(false))
            {
                await target.UploadBlobAsync(repository, configDigest, config.Length, () => new MemoryStream(config, writable: false), null, cancellationToken).ConfigureAwait(false);
                sent += config.Length;
            }
            foreach (var tag in identity.Tags)
            {
                digest = await target.PutManifestAsync(repository, tag, manifest, OciMediaTypes.Manifest(format), cancellationToken).ConfigureAwait(false);
                sent += manifest.Length;
            }
        }
        else
        {
            published.AddRange(layers.Select(l => new PublishedLayer(l.Planned.Description, l.Blob.Digest, l.Blob.Size, New: true)));
        }

        string? archive = null;
        string? imageId = null;
        if (spec.Build.ArchivePath is { } archivePath || !identity.Push)
        {
            var archiveLayers = baseImage.Layers
                .Select(l => new ArchiveLayer(l.MediaType, l.Digest, l.Size, () => baseClient.OpenBlobAsync(pull.EffectiveRepository, l.Digest, cancellationToken).GetAwaiter().GetResult()))
                .Concat(layers.Select(l => ArchiveLayer.From(l.Blob)))
                .ToList();
            var tags = identity.TaggedNames.ToList();
            if (spec.Build.ArchivePath is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var temp = path + ".partial";
                await ImageArchiveWriter.WriteDockerArchiveAsync(temp, tags, config, archiveLayers, cancellationToken).ConfigureAwait(false);
                File.Move(temp, path, overwrite: true);
                archive = path;
                _log.Message(AiLogLevel.Progress, $"AiContainers: wrote {path} (docker load -i, podman load -i, skopeo copy docker-archive:)");
            }
            if (!identity.Push && spec.Build.ArchivePath is null)
            {
                imageId = await LoadIntoEngineAsync(tags, config, archiveLayers, cancellationToken).ConfigureAwait(false);
            }
        }

        var size = baseImage.Layers.Sum(l => l.Size) + layers.Sum(l => l.Blob.Size) + config.Length;
        return new PublishedImage(identity, "Daemonless", spec.Build.BuilderReason, imageId ?? configDigest, digest ?? (identity.Push ? manifestDigest : null), size,
            digest is not null, sent, buildTime, watch.Elapsed, published, archive);
    }

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
            WorkingDir = spec.WorkingDirectory,
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
            _clients[registry] = client = new RegistryClient(registry, _credentials, _log, _retry);
        return client;
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
