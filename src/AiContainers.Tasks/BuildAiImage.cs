using System.Globalization;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Publishing;
using AiContainers.Core.Sbom;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace AiContainers.Tasks;

/// <summary>
/// The one build-and-push step: opens one session with the builder the spec chose (Docker engine or
/// daemonless), builds, pushes every tag, and reports the image: the AiImage output item, image.json
/// beside the Dockerfile, GITHUB_OUTPUT lines and one summary line. Cancelable: Ctrl+C / SIGTERM stops
/// the build or push and the task fails with a coded error, so a cancelled publish never looks green.
/// </summary>
public sealed class BuildAiImage : CancelableAiTask
{
    [Required] public string SpecFile { get; set; } = "";
    [Required] public string ContextDirectory { get; set; } = "";

    /// <summary>Network mode for RUN steps (e.g. host where the engine runs without a bridge).</summary>
    public string? NetworkMode { get; set; }

    /// <summary>FetchAiModels' manifest, when there are models.</summary>
    public string? ModelManifestFile { get; set; }

    /// <summary>AiLayerCacheDirectory: where the daemonless builder keeps its layer blobs; empty means $AIC_LAYER_CACHE, $XDG_CACHE_HOME/aicontainers/layers or ~/.cache/aicontainers/layers.</summary>
    public string? LayerCacheDirectory { get; set; }

    /// <summary>Restore's project.assets.json: the NuGet packages the SBOM lists (a .NET app only).</summary>
    public string? ProjectAssetsFile { get; set; }

    [Output] public ITaskItem? Image { get; set; }

    protected override void ExecuteCancelable()
    {
        Message(AiLogLevel.Detail, "AiContainers: start-up warm-up: " + StartupWarmUp.Summary);
        var spec = AiImageSpecJson.Read(SpecFile);
        PublishOutputs.Invalidate(spec.Build.OutputDirectory);
        var models = ModelManifest.ReadIfPresent(ModelManifestFile);
        using var builder = ImageBuilders.Create(spec, this, string.IsNullOrEmpty(LayerCacheDirectory) ? null : LayerCacheDirectory);
        var inputs = new ImageBuildInputs(spec, ContextDirectory, models, Path.Combine(ContextDirectory, Core.Generation.BuildContextWriter.WeightsFolder), NetworkMode);
        var image = builder.BuildAndPushAsync(inputs, Cancellation.Token).GetAwaiter().GetResult();

        var item = new TaskItem(image.Reference);
        item.SetMetadata("Registry", image.Identity.Registry ?? "");
        item.SetMetadata("Repository", image.Identity.Repository);
        item.SetMetadata("Tags", string.Join(";", image.Identity.Tags));
        item.SetMetadata("Digest", image.Digest ?? "");
        item.SetMetadata("ImageId", image.ImageId ?? "");
        item.SetMetadata("Size", image.Size.ToString(CultureInfo.InvariantCulture));
        item.SetMetadata("Pushed", image.Pushed ? "true" : "false");
        item.SetMetadata("Builder", image.Builder);
        item.SetMetadata("Archive", image.ArchivePath ?? "");
        Image = item;

        // The SBOM goes up while image.json and the report are written: neither depends on it, and its requests are
        // the last ones a code-change publish waits for.
        Task<SbomReferrer.Result?>? referrer = null;
        if (spec.Provenance.Sbom)
        {
            var inventory = builder.InventoryAsync(inputs, image, Cancellation.Token).GetAwaiter().GetResult();
            var sbom = SbomPublisher.Write(SbomPublisher.Inputs(spec, image, inventory, models, ProjectAssetsFile, this), spec.Build.OutputDirectory);
            referrer = SbomPublisher.PushAsync(spec, image, sbom, new Core.Registry.RegistryCredentialStore(), this, Cancellation.Token,
                spec.Identity.Registry is { } registry ? builder.PushClient(registry) : null);
            item.SetMetadata("Sbom", Path.Combine(spec.Build.OutputDirectory, CycloneDxWriter.FileName));
        }
        try
        {
            PublishOutputs.Write(image, spec.Build.OutputDirectory, Environment.GetEnvironmentVariable("GITHUB_OUTPUT"), ImageReport.Render(image, spec, models));
        }
        catch (Exception) when (referrer is not null)
        {
            // Never left running past this task (its client is disposed with the builder): waited for, and this failure reported.
            try { referrer.Wait(); } catch (Exception) { }
            throw;
        }
        if (referrer is not null) item.SetMetadata("SbomDigest", referrer.GetAwaiter().GetResult()?.ArtifactDigest ?? "");
        foreach (var line in image.LayerLines()) Message(AiLogLevel.Summary, line);
        Message(AiLogLevel.Summary, image.SummaryLine() + $"; report {Path.Combine(spec.Build.OutputDirectory, ImageReport.FileName)}");
    }
}

/// <summary>
/// Runs before any model is fetched: the engine (Docker builder) and the target registry (when pushing)
/// must answer, so a typo in DOCKER_HOST or ContainerRegistry fails in seconds, not after gigabytes.
/// </summary>
public sealed class CheckAiImageDestination : CancelableAiTask
{
    [Required] public string SpecFile { get; set; } = "";

    protected override void ExecuteCancelable()
    {
        var spec = AiImageSpecJson.Read(SpecFile);
        if (spec.Build.Builder == AiImageBuilderKind.None) return;
        using var builder = ImageBuilders.Create(spec, this, null);
        builder.PreflightAsync(spec, Cancellation.Token).GetAwaiter().GetResult();
    }
}

/// <summary>
/// Runs before the compiler with PublishAiImage=true and returns at once: it starts <see cref="Core.Publishing.StartupWarmUp"/>
/// on a background thread, so the image steps after the compile find their code paths already compiled.
/// </summary>
public sealed class WarmUpAiImageSteps : Microsoft.Build.Utilities.Task
{
    /// <summary>The previous publish's spec.json (its contract is what the first task serializes).</summary>
    public string? SpecFile { get; set; }

    public override bool Execute()
    {
        StartupWarmUp.Start(string.IsNullOrEmpty(SpecFile) ? null : SpecFile);
        return true;
    }
}
