using AiContainers.Core.Engine;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;
using Microsoft.Build.Framework;

namespace AiContainers.Tasks;

/// <summary>Builds the generated context through the Docker engine and tags it; outputs the image ID.</summary>
public sealed class BuildAiImage : CancelableAiTask
{
    [Required] public string SpecFile { get; set; } = "";
    [Required] public string ContextDirectory { get; set; } = "";

    /// <summary>Network mode for RUN steps (e.g. host where the engine runs without a bridge).</summary>
    public string? NetworkMode { get; set; }

    /// <summary>FetchAiModels' manifest and the weights context GenerateAiImage laid out, when there are models.</summary>
    public string? ModelManifestFile { get; set; }
    public string? WeightsContextDirectory { get; set; }

    [Output] public string ImageId { get; set; } = "";
    [Output] public long ContextBytes { get; set; }
    [Output] public double BuildSeconds { get; set; }

    protected override void ExecuteCore()
    {
        var spec = AiImageSpecJson.Read(SpecFile);
        using var engine = DockerEngine.Create();
        var publisher = new ImagePublisher(engine, new RegistryCredentialStore(), this);
        var models = Core.Weights.ModelManifest.ReadIfPresent(ModelManifestFile);
        if (Core.Weights.WeightsImagePlan.For(models) is { } weights)
            publisher.EnsureWeightsImageAsync(weights, WeightsContextDirectory!, Cancellation.Token).GetAwaiter().GetResult();
        var (imageId, contextBytes, elapsed) = publisher.BuildAsync(spec, ContextDirectory, NetworkMode, Cancellation.Token).GetAwaiter().GetResult();
        ImageId = imageId;
        ContextBytes = contextBytes;
        BuildSeconds = elapsed.TotalSeconds;
    }
}
