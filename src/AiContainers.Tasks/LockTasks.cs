using AiContainers.Core.Diagnostics;
using AiContainers.Core.Lock;
using AiContainers.Core.Publishing;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;
using Microsoft.Build.Framework;

namespace AiContainers.Tasks;

/// <summary>
/// Reads aicontainers.lock.json, checks it against the base's registry (AiLockMode), pins the base digest into spec.json
/// and writes the plan the later steps follow. Runs before any model is fetched, so a Locked check fails before anything
/// is downloaded, built or pushed.
/// </summary>
public sealed class ResolveAiLock : CancelableAiTask
{
    [Required] public string SpecFile { get; set; } = "";
    [Required] public string PlanFile { get; set; } = "";

    /// <summary>AiModelCacheDirectory (empty: the default), to rebuild a locked model's layout.</summary>
    public string ModelCacheDirectory { get; set; } = "";

    protected override void ExecuteCancelable()
    {
        var spec = AiImageSpecJson.Read(SpecFile);
        using var resolver = new LockResolver(new RegistryCredentialStore(), this);
        var plan = resolver.PlanAsync(spec, ModelCache.ResolveDirectory(ModelCacheDirectory, Environment.GetEnvironmentVariable), Cancellation.Token).GetAwaiter().GetResult();
        plan.Save(PlanFile);
        var digest = spec.Base.Image.Digest is null ? plan.Bases.FirstOrDefault(b => b.Reference == spec.Base.CanonicalName)?.Digest : null;
        var pinned = LockResolver.WithBaseDigest(spec, digest);
        // Unchanged when ResolveAiImageSpec already pinned it from the lock, so spec.json keeps its timestamp.
        if (pinned.Base != spec.Base) AiImageSpecJson.Write(pinned, SpecFile);
        if (plan.Mode == AiLockMode.Ignore) return;
        var inRegistry = plan.Pins.Values.Count(p => p.LayerInRegistry);
        Message(AiLogLevel.Progress, $"AiContainers: lock {plan.LockPath} ({plan.Mode}{(plan.Existing is null ? ", none yet" : "")}): base {digest ?? spec.Base.Image.Digest ?? "not pinned"}, "
            + $"{plan.Pins.Count} of {spec.Models.Count} model(s) pinned" + (inRegistry > 0 ? $", {inRegistry} referenced in the registry without a download" : ""));
    }
}

/// <summary>Writes aicontainers.lock.json after a successful publish (AiLockMode Auto or Update); byte-identical when nothing changed.</summary>
public sealed class WriteAiLock : AiTask
{
    [Required] public string SpecFile { get; set; } = "";
    [Required] public string PlanFile { get; set; } = "";
    public string? ModelManifestFile { get; set; }
    public string? ContextDirectory { get; set; }

    /// <summary>AiLayerCacheDirectory, where the daemonless builder left the model layers.</summary>
    public string? LayerCacheDirectory { get; set; }

    protected override void ExecuteCore()
    {
        if (LockPlan.ReadIfPresent(PlanFile) is not { Write: true } plan) return;
        var spec = AiImageSpecJson.Read(SpecFile);
        var models = ModelManifest.ReadIfPresent(ModelManifestFile);
        var layers = string.IsNullOrEmpty(LayerCacheDirectory) ? DaemonlessImageBuilder.DefaultCacheDirectory() : LayerCacheDirectory;
        var daemonless = spec.Build.Builder == AiImageBuilderKind.Daemonless && !string.IsNullOrEmpty(ContextDirectory);
        var lockFile = LockWriter.Compose(spec, plan, models,
            m => daemonless ? LockWriter.CachedLayer(m, ContextDirectory!, models!.CacheDirectory, layers) : null);
        var before = File.Exists(plan.LockPath) ? File.ReadAllText(plan.LockPath) : null;
        LockFileStore.Write(lockFile, plan.LockPath);
        var level = before == LockFileStore.Serialize(lockFile) ? AiLogLevel.Progress : AiLogLevel.Summary;
        Message(level, before is null ? $"AiContainers: wrote the lock file {plan.LockPath}: commit it, so every build uses the same base and model pins"
            : level == AiLogLevel.Summary ? $"AiContainers: updated the lock file {plan.LockPath}: commit the change" : $"AiContainers: the lock file {plan.LockPath} is unchanged");
    }
}
