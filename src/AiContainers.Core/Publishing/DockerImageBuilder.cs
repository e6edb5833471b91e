using System.Diagnostics;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Engine;
using AiContainers.Core.Images;
using AiContainers.Core.Net;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Publishing;

/// <summary>
/// Builds through the Docker engine: ping first (a missing engine fails fast), the weights image when
/// no image of that content exists yet, the app image with its tags (the classic builder tags only on
/// success, so a failed build leaves no new tag), then every tag pushed with the package's retry policy.
/// </summary>
public sealed class DockerImageBuilder : IImageBuilder
{
    private readonly IContainerEngine _engine;
    private readonly RegistryCredentialStore _credentials;
    private readonly IAiLog _log;
    private readonly RetryPolicy _retry;
    private bool _engineAnswered;

    public DockerImageBuilder(IContainerEngine engine, RegistryCredentialStore credentials, IAiLog log, RetryPolicy? retry = null)
    {
        _engine = engine;
        _credentials = credentials;
        _log = log;
        _retry = retry ?? RetryPolicy.Default;
    }

    public void Dispose() => _engine.Dispose();

    public Task PreflightAsync(AiImageSpec spec, CancellationToken cancellationToken) => EnsureEngineAsync(cancellationToken);

    public async Task<PublishedImage> BuildAndPushAsync(ImageBuildInputs inputs, CancellationToken cancellationToken)
    {
        var spec = inputs.Spec;
        var watch = Stopwatch.StartNew();
        await EnsureEngineAsync(cancellationToken).ConfigureAwait(false);
        long sent = 0;
        if (WeightsImagePlan.For(inputs.Models) is { } weights)
            sent += await EnsureWeightsImageAsync(weights, inputs.WeightsContextDirectory!, VerifiedWeights(inputs.Models!), cancellationToken).ConfigureAwait(false);

        var tags = spec.Identity.TaggedNames.ToList();
        _log.Message(AiLogLevel.Progress, $"AiContainers: building {string.Join(", ", tags)} with the engine at {_engine.Endpoint}");
        var result = await _engine.BuildAsync(new EngineBuildRequest(inputs.ContextDirectory, tags, PullCredentials(spec), inputs.NetworkMode), _log, cancellationToken).ConfigureAwait(false);
        sent += result.ContextBytes;
        _log.Message(AiLogLevel.Progress, $"AiContainers: built {result.ImageId} (context {Format.Bytes(result.ContextBytes)} in {result.ContextFiles} files)");
        var buildTime = watch.Elapsed;

        var info = await _engine.InspectImageAsync(result.ImageId, cancellationToken).ConfigureAwait(false);
        var identity = spec.Identity;
        string? digest = null;
        watch.Restart();
        if (identity.Push && identity.Registry is { } registry)
        {
            var credential = _credentials.Find(registry, CredentialPurpose.Push);
            foreach (var tag in identity.Tags)
            {
                var pushed = await PushWithRetryAsync(identity.Name, tag, registry, credential, cancellationToken).ConfigureAwait(false);
                digest ??= pushed.Digest;
                if (pushed.Digest != digest)
                    _log.Message(AiLogLevel.Progress, $"AiContainers: tag {tag} has digest {pushed.Digest}, not {digest}");
            }
        }
        return new PublishedImage(identity, "Docker", spec.Build.BuilderReason, result.ImageId, digest, info?.Size ?? 0, digest is not null,
            sent, buildTime, watch.Elapsed, Array.Empty<PublishedLayer>());
    }

    /// <summary>
    /// The base's digest as the engine pulled it (its RepoDigests) and, read from the built image, its dpkg status,
    /// os-release and the python-builder stage's pip list: the layers are on this machine anyway.
    /// </summary>
    public async Task<Sbom.ImageInventory> InventoryAsync(ImageBuildInputs inputs, PublishedImage image, CancellationToken cancellationToken)
    {
        var spec = inputs.Spec;
        var pull = spec.Base.Pull;
        var baseInfo = await _engine.InspectImageAsync(spec.Base.PullReference, cancellationToken).ConfigureAwait(false);
        var pulledAs = pull.EffectiveRegistry + "/" + pull.EffectiveRepository + "@";
        var baseDigest = pull.Digest
            ?? baseInfo?.RepoDigests.FirstOrDefault(d => d.StartsWith(pulledAs, StringComparison.Ordinal) || d.StartsWith(pull.EffectiveRepository + "@", StringComparison.Ordinal))?.Split('@')[1]
            ?? baseInfo?.RepoDigests.FirstOrDefault()?.Split('@')[1];
        var pipList = spec.Python is not null ? Python.PythonAppSpec.VirtualEnv + "/" + Sbom.PipListReader.FileName : null;
        var paths = new List<string> { Sbom.DpkgStatusReader.StatusPath, Sbom.DpkgStatusReader.OsReleasePath };
        if (pipList is not null) paths.Add(pipList);
        var files = await _engine.ReadImageFilesAsync(image.ImageId ?? image.Reference, paths, 64L << 20, cancellationToken).ConfigureAwait(false);
        string? Text(string? path) => path is not null && files.TryGetValue(path, out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : null;
        return new Sbom.ImageInventory(baseDigest, Text(Sbom.DpkgStatusReader.StatusPath), Text(Sbom.DpkgStatusReader.OsReleasePath), Text(pipList), pipList);
    }

    /// <summary>
    /// Builds the weights image only when no image of that content digest exists yet; otherwise the
    /// weights are neither read nor sent. Returns the bytes sent (0 when reused).
    /// </summary>
    private async Task<long> EnsureWeightsImageAsync(WeightsImagePlan weights, string weightsContextDirectory, VerifiedContextFiles verified, CancellationToken cancellationToken)
    {
        if (await _engine.InspectImageAsync(weights.Reference, cancellationToken).ConfigureAwait(false) is not null)
        {
            _log.Message(AiLogLevel.Progress, $"AiContainers: weights image {weights.Reference} already built for {weights.ContentDigest}; reusing it");
            return 0;
        }
        var watch = Stopwatch.StartNew();
        _log.Message(AiLogLevel.Progress, $"AiContainers: building weights image {weights.Reference}");
        var result = await _engine.BuildAsync(new EngineBuildRequest(weightsContextDirectory, new[] { weights.Reference }, new Dictionary<string, RegistryCredential>(), VerifiedFiles: verified), _log, cancellationToken).ConfigureAwait(false);
        _log.Message(AiLogLevel.Summary, $"AiContainers: weights image {weights.Reference} built ({Format.Bytes(result.ContextBytes)} sent in {Format.Seconds(watch.Elapsed)})");
        return result.ContextBytes;
    }

    /// <summary>
    /// The weights context's files are hard links into the model cache (or to local model files): each is checked against the SHA-256 it was
    /// verified as while the context streams to the engine (keyed by its path in the context, as ModelLayout.Write puts it).
    /// </summary>
    private static VerifiedContextFiles VerifiedWeights(ModelFetchResult models)
        => new(models.Models.SelectMany(ModelLayout.Plan)
                .Where(e => e.Kind == LayoutEntryKind.File && e.Sha256 is not null)
                .DistinctBy(e => e.ImagePath)
                .ToDictionary(ContextPath, e => e.Sha256!, StringComparer.Ordinal),
            models.CacheDirectory,
            // Local models are linked from where they are, not from the cache (ModelFetcher reads them in place).
            models.Models.Where(m => m.Source.Kind == ModelSourceKind.Local).SelectMany(ModelLayout.Plan)
                .Where(e => e.Kind == LayoutEntryKind.File).Select(ContextPath).ToHashSet(StringComparer.Ordinal));

    private static string ContextPath(LayoutEntry e) => WeightsImagePlan.RootFolder + "/" + e.ImagePath.TrimStart('/');

    /// <summary>Pings the engine once per session: a missing engine fails fast (AIC3001) before any other call.</summary>
    private async Task EnsureEngineAsync(CancellationToken cancellationToken)
    {
        if (_engineAnswered) return;
        var watch = Stopwatch.StartNew();
        await _engine.PingAsync(cancellationToken).ConfigureAwait(false);
        _engineAnswered = true;
        _log.Message(AiLogLevel.Detail, $"AiContainers: engine at {_engine.Endpoint} answered in {watch.ElapsedMilliseconds} ms");
    }

    private async Task<EnginePushResult> PushWithRetryAsync(string name, string tag, string registry, RegistryCredential? credential, CancellationToken cancellationToken)
    {
        try
        {
            return await _retry.ExecuteAsync(async (attempt, token) =>
            {
                _log.Message(AiLogLevel.Progress, $"AiContainers: pushing {name}:{tag}" + (attempt > 1 ? $" (attempt {attempt})" : "") + (credential is null ? "" : $" as {credential}"));
                try
                {
                    return await _engine.PushAsync(name, tag, credential, _log, token).ConfigureAwait(false);
                }
                catch (EnginePushException e) when (e.Kind == PushFailureKind.Transient)
                {
                    _log.Message(AiLogLevel.Progress, $"AiContainers: push of {name}:{tag} failed ({e.Message}); retrying");
                    throw new RetryableException(e.Message, inner: e);
                }
                catch (EnginePushException e)
                {
                    throw e.Kind switch
                    {
                        PushFailureKind.Unauthorized => _credentials.Unauthorized(registry, $"{name}:{tag}", CredentialPurpose.Push, credential),
                        PushFailureKind.Denied or PushFailureKind.NotFound => new AiException(AiErrors.RegistryDenied, "ContainerRepository", registry, $"the push of {name}:{tag}", e.Message),
                        _ => new AiException(AiErrors.PushFailed, "ContainerRegistry", $"{name}:{tag}", attempt, e.Message, registry),
                    };
                }
            }, _ => RetryVerdict.Fail, cancellationToken).ConfigureAwait(false);
        }
        catch (RetryBudgetExhaustedException spent)
        {
            throw new AiException(AiErrors.PushFailed, "ContainerRegistry", $"{name}:{tag}", spent.Attempts, spent.Message, registry);
        }
    }

    /// <summary>Logins for every registry a FROM line pulls from, so private bases work like the push.</summary>
    private Dictionary<string, RegistryCredential> PullCredentials(AiImageSpec spec)
    {
        var result = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        foreach (var reference in new[] { spec.Base.PullReference, spec.Dotnet?.RuntimePullImage })
        {
            if (reference is null || ImageReference.TryParse(reference, out _) is not { } parsed) continue;
            var registry = parsed.EffectiveRegistry;
            if (result.ContainsKey(registry)) continue;
            if (_credentials.Find(registry, CredentialPurpose.Pull) is { } credential)
                result[registry == ImageReference.DockerHub ? "https://index.docker.io/v1/" : registry] = credential;
        }
        return result;
    }
}
