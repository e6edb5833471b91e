using AiContainers.Core.Diagnostics;
using AiContainers.Core.Oci.Registry;
using AiContainers.Core.Publishing;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Lock;

/// <summary>
/// The lock's step before any model is fetched or layer built (ResolveAiLock): reads the lock, resolves the base tag
/// in its registry, compares, and plans the build. Auto builds from the pins and warns when the base tag moved (one
/// manifest request; a pinned hf:// model costs no Hub request at all); Update re-resolves; Locked fails on any drift
/// here, before anything is built or pushed (a moved hf:// branch is found by FetchAiModels, still before the build).
/// With the daemonless builder pushing to a registry, a locked model layer that the target repository already holds
/// (one HEAD) is planned as "in the registry": the model is neither fetched nor uploaded.
/// </summary>
public sealed class LockResolver : IDisposable
{
    private readonly RegistryCredentialStore _credentials;
    private readonly IAiLog _log;
    private readonly Dictionary<string, RegistryClient> _clients = new(StringComparer.Ordinal);
    private readonly Func<string, RegistryClient>? _clientFactory;

    public LockResolver(RegistryCredentialStore credentials, IAiLog log, Func<string, RegistryClient>? clientFactory = null)
        => (_credentials, _log, _clientFactory) = (credentials, log, clientFactory);

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
    }

    /// <summary>The base pin from the lock alone (no network), for ResolveAiImageSpec: spec.json then names the digest from the start.</summary>
    public static AiImageSpec ApplyLockedBase(AiImageSpec spec)
    {
        if (spec.Lock is not { Reads: true } settings || spec.Base.Image.Digest is not null) return spec;
        var lockFile = LockFileStore.ReadIfPresent(settings.Path, settings.Project);
        return lockFile?.Base(spec.Base.CanonicalName) is { } pinned ? WithBaseDigest(spec, pinned.Digest) : spec;
    }

    public static AiImageSpec WithBaseDigest(AiImageSpec spec, string? digest) => spec with { Base = spec.Base with { LockedDigest = digest } };

    /// <param name="modelCacheDirectory">The model cache, to rebuild a locked model's layout and compare its digest with the lock's.</param>
    public async Task<LockPlan> PlanAsync(AiImageSpec spec, string modelCacheDirectory, CancellationToken cancellationToken)
    {
        if (spec.Lock is not { Mode: not AiLockMode.Ignore } settings) return LockPlan.None(spec.Lock?.Path ?? LockSettings.DefaultFileName);
        var mode = settings.Mode;
        var existing = mode == AiLockMode.Update ? null : LockFileStore.ReadIfPresent(settings.Path, settings.Project);
        if (mode == AiLockMode.Locked && existing is null) throw new AiException(AiErrors.LockFileMissing, "AiLockMode", settings.Path);
        // Without a build there is nothing to publish: the pins are used as they are, nothing is resolved or written.
        var offline = spec.Build.Builder == AiImageBuilderKind.None;

        var drift = new List<LockDriftItem>();
        var bases = new List<LockedBase>();
        LockedBase? locked;
        try { locked = await ResolveBaseAsync(spec, settings, existing, offline, drift, cancellationToken).ConfigureAwait(false); }
        catch (AiException e) when (mode == AiLockMode.Auto && spec.Build.Builder == AiImageBuilderKind.Docker && e.Code != AiErrors.LockedBaseDigestMissing.Code)
        {
            // The Docker builder may build FROM an image only its engine has (never pushed): Auto then leaves the base as the
            // project names it (or as the lock pins it), where Update and Locked insist on the registry's answer.
            _log.Message(AiLogLevel.Progress, $"AiContainers: the base {spec.Base.CanonicalName} was not resolved in its registry ({e.Diagnostic.Message}); it is {(existing?.Base(spec.Base.CanonicalName) is null ? "not pinned" : "built from the lock's pin")}");
            locked = existing?.Base(spec.Base.CanonicalName);
        }
        if (locked is not null) bases.Add(locked);
        if (existing is not null && mode == AiLockMode.Locked) drift.AddRange(LockDrift.Declarations(existing, spec.Models));
        if (drift.Count > 0) throw new AiException(AiErrors.LockDrift, "AiLockMode", settings.Path, LockDrift.Describe(drift), settings.Path);

        var pins = new Dictionary<string, ModelPin>(StringComparer.Ordinal);
        if (existing is not null)
        {
            var reuseLayers = !offline && spec.Build is { Builder: AiImageBuilderKind.Daemonless, ArchivePath: null } && spec.Identity is { Push: true, Registry: not null };
            foreach (var model in spec.Models)
            {
                if (existing.Model(model.Name) is not { } entry || !LockDrift.SameRequest(model, entry)) continue;
                if (model.Source.Kind == ModelSourceKind.HuggingFace && entry.Commit is null) continue;
                var checkRevision = mode == AiLockMode.Locked && model.Source.Kind == ModelSourceKind.HuggingFace && !model.Source.IsPinnedCommit;
                var inRegistry = reuseLayers && entry.Layer is { } layer
                    && ModelFetcher.FromLock(model, entry, modelCacheDirectory) is { } rebuilt && rebuilt.ContentDigest == entry.ContentDigest
                    && await Client(spec.Identity.Registry!).BlobExistsAsync(spec.Identity.Repository, layer.Digest, cancellationToken).ConfigureAwait(false);
                if (inRegistry) _log.Message(AiLogLevel.Detail, $"AiContainers: {spec.Identity.Registry}/{spec.Identity.Repository} holds model {model.Name}'s layer {entry.Layer!.Digest}: it is referenced, not fetched");
                pins[model.Name] = new ModelPin(entry, checkRevision, inRegistry);
            }
        }
        return new LockPlan(mode, settings.Path, !offline && mode is AiLockMode.Auto or AiLockMode.Update, bases, pins, existing);
    }

    /// <summary>The base's pin for this build: the lock's (checked against the tag) or the tag's digest now.</summary>
    private async Task<LockedBase?> ResolveBaseAsync(AiImageSpec spec, LockSettings settings, LockFile? existing, bool offline, List<LockDriftItem> drift, CancellationToken cancellationToken)
    {
        var reference = spec.Base.CanonicalName;
        var pull = spec.Base.Pull;
        var pinned = existing?.Base(reference);
        if (offline) return pinned;
        var platforms = PlatformContexts.Targets(spec).Select(t => t.Platform).ToList();
        // Auto, pinned, daemonless: the builder asks the registry whether the tag moved (AIC7500) and whether the pin
        // still exists (AIC7003) on the connection it opens for the base anyway, so this step makes no request and a
        // code-change publish no extra round trip (bench/code-change-publish.sh).
        if (settings.Mode == AiLockMode.Auto && pinned is not null && spec.Build.Builder == AiImageBuilderKind.Daemonless
            && spec.Base.Image.Digest is null && platforms.All(p => pinned.Platforms.ContainsKey(p.ToString())))
            return pinned;
        var client = Client(pull.EffectiveRegistry);

        // A digest in AiBaseImage is its own pin: nothing can move.
        if (spec.Base.Image.Digest is { } own) return await LockedAsync(client, reference, pull.EffectiveRepository, own, platforms, pinned, cancellationToken).ConfigureAwait(false);

        string now;
        try { now = (await client.GetManifestAsync(pull.EffectiveRepository, pull.Tag ?? "latest", cancellationToken).ConfigureAwait(false)).Digest; }
        catch (AiException e) when (e.Code == AiErrors.RegistryImageNotFound.Code && pinned is not null && settings.Mode != AiLockMode.Update)
        {
            // The tag is gone; the pin may still be there, and a build from the pin needs no tag.
            now = "no such tag";
        }
        if (pinned is null || settings.Mode == AiLockMode.Update)
        {
            if (settings.Mode == AiLockMode.Locked) drift.Add(LockDrift.Base(existing!, reference, now)!);
            return await LockedAsync(client, reference, pull.EffectiveRepository, now, platforms, null, cancellationToken).ConfigureAwait(false);
        }
        if (pinned.Digest != now)
        {
            if (settings.Mode == AiLockMode.Locked)
            {
                drift.Add(LockDrift.Base(existing!, reference, now)!);
                return pinned;
            }
            _log.Report(AiErrors.LockBaseMoved.Create("AiLockMode", reference, now, settings.Path, pinned.Digest));
            // The pinned digest must still exist: registries delete untagged manifests, and a pin to nothing builds nothing.
            try { await client.GetManifestAsync(pull.EffectiveRepository, pinned.Digest, cancellationToken).ConfigureAwait(false); }
            catch (AiException e) when (e.Code == AiErrors.RegistryImageNotFound.Code)
            {
                throw new AiException(AiErrors.LockedBaseDigestMissing, "AiLockFile", reference, settings.Path, pinned.Digest, pull.EffectiveRegistry, "the tag now points at " + now);
            }
        }
        return await LockedAsync(client, reference, pull.EffectiveRepository, pinned.Digest, platforms, pinned, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The base entry with each target platform's manifest digest (from the lock when it has them, else read from the registry).</summary>
    private static async Task<LockedBase> LockedAsync(RegistryClient client, string reference, string repository, string digest, IReadOnlyList<Platform> platforms, LockedBase? pinned, CancellationToken cancellationToken)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var platform in platforms)
        {
            var key = platform.ToString();
            if (pinned is not null && pinned.Digest == digest && pinned.Platforms.TryGetValue(key, out var known)) { map[key] = known; continue; }
            map[key] = (await client.ResolveAsync(repository, digest, platform, cancellationToken).ConfigureAwait(false)).ManifestDigest;
        }
        return new LockedBase(reference, digest, map);
    }

    private RegistryClient Client(string registry)
    {
        if (!_clients.TryGetValue(registry, out var client))
            _clients[registry] = client = _clientFactory?.Invoke(registry) ?? new RegistryClient(registry, _credentials, _log);
        return client;
    }
}
