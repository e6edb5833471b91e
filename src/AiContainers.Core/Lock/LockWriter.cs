using AiContainers.Core.Oci;
using AiContainers.Core.Publishing;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Lock;

/// <summary>The lock a publish leaves behind (WriteAiLock): the plan's base pins, and each model as fetched with its layer.</summary>
public static class LockWriter
{
    /// <param name="layerOf">The model's layer as this build made it, or null (the Docker builder makes none of its own).</param>
    public static LockFile Compose(AiImageSpec spec, LockPlan plan, ModelFetchResult? models, Func<FetchedModel, LockedLayer?> layerOf)
    {
        var entries = new List<LockedModel>();
        foreach (var fetched in models?.Models ?? Array.Empty<FetchedModel>())
        {
            var declared = spec.Models.FirstOrDefault(m => m.Name == fetched.Name);
            if (declared is null) continue;
            var request = LockDrift.Request(declared);
            var before = plan.Existing?.Model(fetched.Name) is { } e && LockDrift.SameRequest(declared, e) ? e : null;
            entries.Add(request with
            {
                Commit = fetched.Commit,
                // Recorded at first fetch; a later build from the pin asks the Hub nothing, so it keeps the lock's.
                License = fetched.License ?? (before?.Commit == fetched.Commit ? before?.License : null),
                ContentDigest = fetched.ContentDigest,
                Files = fetched.Files.Select(f => new LockedFile(f.Path, f.Sha256, f.Size, f.GitOid)).OrderBy(f => f.Path, StringComparer.Ordinal).ToList(),
                Layer = fetched.RegistryLayer ?? layerOf(fetched) ?? (before?.ContentDigest == fetched.ContentDigest ? before?.Layer : null),
            });
        }
        return new LockFile(LockFile.SchemaVersion, AiImageSpecMapper.GeneratorVersion, new LockProject(spec.Lock!.Project, spec.Identity.Repository), plan.Bases, entries);
    }

    /// <summary>
    /// The model's layer from the daemonless builder's layer cache, where the build just put it: the same plan gives the same
    /// content key, so nothing is read or compressed here. Null when the cache lacks it (the Docker builder built the image).
    /// </summary>
    public static LockedLayer? CachedLayer(FetchedModel model, string contextDirectory, string cacheDirectory, string layerCacheDirectory)
    {
        var planned = ImageLayerPlan.ModelLayer(model, contextDirectory, cacheDirectory);
        if (planned.ContentKey is not { } key) return null;
        return new LayerCache(layerCacheDirectory).TryGet(key, out var blob) ? new LockedLayer(blob.Digest, blob.Size, blob.DiffId, blob.MediaType) : null;
    }
}
