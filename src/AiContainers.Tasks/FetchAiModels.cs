using AiContainers.Core.Engine;
using System.Globalization;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;
using Microsoft.Build.Framework;

namespace AiContainers.Tasks;

/// <summary>
/// Fetches the AiModel items into the host model cache (verified, shared by every project) and writes
/// the fetch result as a JSON manifest for the tasks that build the weights image. HF_ENDPOINT,
/// HF_TOKEN and HF_HUB_OFFLINE come from the environment; the token is used for requests only.
/// </summary>
public sealed class FetchAiModels : CancelableAiTask
{
    /// <summary>The resolved spec (spec.json): its Models were mapped and validated by ResolveAiImageSpec.</summary>
    [Required] public string SpecFile { get; set; } = "";

    /// <summary>AiModelCacheDirectory; empty means $AIC_MODEL_CACHE, $XDG_CACHE_HOME/aicontainers/models or ~/.cache/aicontainers/models.</summary>
    public string CacheDirectory { get; set; } = "";

    [Required] public string ManifestFile { get; set; } = "";

    /// <summary>ResolveAiLock's plan: the lock's model pins (absent when the step did not run).</summary>
    public string? LockPlanFile { get; set; }

    protected override void ExecuteCancelable()
    {
        var spec = AiImageSpecJson.Read(SpecFile);
        var specs = spec.Models;
        if (specs.Count == 0)
        {
            // No models: no manifest, so later steps build no weights image.
            if (File.Exists(ManifestFile)) File.Delete(ManifestFile);
            return;
        }

        var cache = new ModelCache(ModelCache.ResolveDirectory(CacheDirectory, Environment.GetEnvironmentVariable));
        var hub = HubSettings.FromEnvironment(Environment.GetEnvironmentVariable);
        var started = DateTime.UtcNow;
        // Cancellation (Ctrl+C, SIGTERM) stops a download at once and leaves only tmp/*.incomplete, never a blob.
        var plan = Core.Lock.LockPlan.ReadIfPresent(LockPlanFile);
        using var fetcher = new ModelFetcher(cache, hub, this, FetchOptions.For(spec.Downloads), spec.ProjectFiles)
        {
            Pins = plan?.Pins,
            LockPath = plan?.LockPath ?? Core.Lock.LockSettings.DefaultFileName,
            FailOnDrift = plan?.Mode == Core.Lock.AiLockMode.Locked,
            LookUpLicense = plan?.Write == true,
            ReadLocalFilesInPlace = spec.Build.Builder == AiImageBuilderKind.Daemonless,
        };
        var result = fetcher.FetchAsync(specs, Cancellation.Token).GetAwaiter().GetResult();
        ModelManifest.Write(result, ManifestFile);

        Message(AiLogLevel.Summary, string.Create(CultureInfo.InvariantCulture, $"AiContainers: {result.Models.Count} model(s), {result.Models.Sum(m => m.Files.Count)} file(s), "
            + $"{Format.Bytes(result.Models.Sum(m => m.TotalSize))} verified in {(DateTime.UtcNow - started).TotalSeconds:0.0} s (cache {cache.Directory}{(hub.Offline ? ", offline" : "")}), weights {result.ContentDigest}"));
    }
}
