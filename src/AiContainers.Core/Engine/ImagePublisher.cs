using System.Diagnostics;
using System.Text.Json;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Images;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Engine;

/// <summary>What the image ended up as: local ID, tags, and the registry digest once pushed.</summary>
public sealed record PublishedImage(
    string? Registry,
    string Repository,
    IReadOnlyList<string> Tags,
    string ImageId,
    string? Digest,
    long Size,
    bool Pushed,
    long ContextBytes,
    TimeSpan BuildTime,
    TimeSpan PushTime)
{
    public string Name => Registry is null ? Repository : Registry + "/" + Repository;
    public string Reference => Name + ":" + Tags[0];

    public string ToJson() => JsonSerializer.Serialize(new
    {
        image = Reference,
        registry = Registry,
        repository = Repository,
        tags = Tags,
        imageId = ImageId,
        digest = Digest,
        size = Size,
        pushed = Pushed,
    }, new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>Retry policy for pushes: bounded exponential backoff, only for failures a retry can fix.</summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    public static readonly RetryPolicy Default = new(4, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8));

    public TimeSpan DelayBefore(int attempt)
        => TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, FirstDelay.TotalMilliseconds * Math.Pow(2, attempt - 2)));
}

/// <summary>
/// Builds and pushes the image of a spec through an <see cref="IContainerEngine"/>: ping first (a
/// missing engine fails in seconds), build with the tags (the classic builder tags only on success,
/// so a failed build leaves no new tag), then push every tag with retries for transient failures.
/// </summary>
public sealed class ImagePublisher
{
    private readonly IContainerEngine _engine;
    private readonly RegistryCredentialStore _credentials;
    private readonly IAiLog _log;
    private readonly RetryPolicy _retry;
    private bool _engineAnswered;

    public ImagePublisher(IContainerEngine engine, RegistryCredentialStore credentials, IAiLog log, RetryPolicy? retry = null)
    {
        _engine = engine;
        _credentials = credentials;
        _log = log;
        _retry = retry ?? RetryPolicy.Default;
    }

    public async Task<(string ImageId, long ContextBytes, TimeSpan Elapsed)> BuildAsync(AiImageSpec spec, string contextDirectory, string? networkMode, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await EnsureEngineAsync(cancellationToken).ConfigureAwait(false);
        var tags = spec.Identity.TaggedNames.ToList();
        _log.Message(AiLogLevel.Progress, $"AiContainers: building {string.Join(", ", tags)} with the engine at {_engine.Endpoint}");
        var result = await _engine.BuildAsync(new EngineBuildRequest(contextDirectory, tags, PullCredentials(spec), networkMode), _log, cancellationToken).ConfigureAwait(false);
        _log.Message(AiLogLevel.Progress, $"AiContainers: built {result.ImageId} (context {Format.Bytes(result.ContextBytes)} in {result.ContextFiles} files)");
        return (result.ImageId, result.ContextBytes, watch.Elapsed);
    }

    /// <summary>
    /// Builds the weights image only when no image of that content digest exists yet; otherwise the
    /// weights are neither read nor sent. Returns the bytes sent (0 when reused).
    /// </summary>
    public async Task<long> EnsureWeightsImageAsync(Weights.WeightsImagePlan weights, string weightsContextDirectory, CancellationToken cancellationToken)
    {
        await EnsureEngineAsync(cancellationToken).ConfigureAwait(false);
        if (await _engine.InspectImageAsync(weights.Reference, cancellationToken).ConfigureAwait(false) is not null)
        {
            _log.Message(AiLogLevel.Progress, $"AiContainers: weights image {weights.Reference} already built for {weights.ContentDigest}; reusing it");
            return 0;
        }
        var watch = Stopwatch.StartNew();
        _log.Message(AiLogLevel.Progress, $"AiContainers: building weights image {weights.Reference}");
        var result = await _engine.BuildAsync(new EngineBuildRequest(weightsContextDirectory, new[] { weights.Reference }, new Dictionary<string, RegistryCredential>()), _log, cancellationToken).ConfigureAwait(false);
        _log.Message(AiLogLevel.Summary, $"AiContainers: weights image {weights.Reference} built ({Format.Bytes(result.ContextBytes)} sent in {watch.Elapsed.TotalSeconds:0.0} s)");
        return result.ContextBytes;
    }

    /// <summary>Pings the engine once per publisher: a missing engine fails fast (AIC3001) before any other call.</summary>
    private async Task EnsureEngineAsync(CancellationToken cancellationToken)
    {
        if (_engineAnswered) return;
        var watch = Stopwatch.StartNew();
        await _engine.PingAsync(cancellationToken).ConfigureAwait(false);
        _engineAnswered = true;
        _log.Message(AiLogLevel.Detail, $"AiContainers: engine at {_engine.Endpoint} answered in {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>Pushes every tag (when the spec asks for it) and describes the result.</summary>
    public async Task<PublishedImage> PushAsync(AiImageSpec spec, string imageId, long contextBytes, TimeSpan buildTime, CancellationToken cancellationToken)
    {
        var info = await _engine.InspectImageAsync(imageId, cancellationToken).ConfigureAwait(false);
        var size = info?.Size ?? 0;
        var identity = spec.Identity;
        string? digest = null;
        var watch = Stopwatch.StartNew();
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
        return new PublishedImage(identity.Registry, identity.Repository, identity.Tags, imageId, digest, size, digest is not null, contextBytes, buildTime, watch.Elapsed);
    }

    private async Task<EnginePushResult> PushWithRetryAsync(string name, string tag, string registry, RegistryCredential? credential, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                _log.Message(AiLogLevel.Progress, $"AiContainers: pushing {name}:{tag}" + (attempt > 1 ? $" (attempt {attempt} of {_retry.MaxAttempts})" : "") + (credential is null ? "" : $" as {credential}"));
                return await _engine.PushAsync(name, tag, credential, _log, cancellationToken).ConfigureAwait(false);
            }
            catch (EnginePushException e)
            {
                switch (e.Kind)
                {
                    case PushFailureKind.Unauthorized:
                        throw new AiException(AiErrors.RegistryUnauthorized, "ContainerRegistry", registry, $"{name}:{tag}");
                    case PushFailureKind.Denied or PushFailureKind.NotFound:
                        throw new AiException(AiErrors.RegistryDenied, "ContainerRepository", registry, $"the push of {name}:{tag}", e.Message);
                    case PushFailureKind.Transient when attempt < _retry.MaxAttempts:
                        var delay = _retry.DelayBefore(attempt + 1);
                        _log.Message(AiLogLevel.Progress, $"AiContainers: push of {name}:{tag} failed ({e.Message}); retrying in {delay.TotalSeconds:0.#} s");
                        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                        continue;
                    default:
                        throw new AiException(AiErrors.PushFailed, "ContainerRegistry", $"{name}:{tag}", attempt, e.Message, registry);
                }
            }
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

public static class Format
{
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
