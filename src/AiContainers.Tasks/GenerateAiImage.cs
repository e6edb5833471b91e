using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.Spec;
using Microsoft.Build.Framework;

namespace AiContainers.Tasks;

/// <summary>Writes the Dockerfile, .dockerignore and build context (and, with them, the deploy files) from spec.json.</summary>
public sealed class GenerateAiImage : AiTask
{
    [Required] public string SpecFile { get; set; } = "";

    /// <summary>FetchAiModels' manifest; absent when the project declares no models.</summary>
    public string? ModelManifestFile { get; set; }


    [Output] public string DockerfilePath { get; set; } = "";
    [Output] public string OutputDirectory { get; set; } = "";

    protected override void ExecuteCore()
    {
        var spec = AiImageSpecJson.Read(SpecFile);
        var models = Core.Weights.ModelManifest.ReadIfPresent(ModelManifestFile);
        var generated = BuildContextWriter.Write(spec, models);
        foreach (var diagnostic in generated.Diagnostics) Report(diagnostic);
        // ContainerRuntimeIdentifiers: one context per further platform under platforms/<rid>/ (none left over otherwise).
        // Their Dockerfile diagnostics are the primary's again (same spec), so they are not reported twice.
        foreach (var platform in Core.Publishing.PlatformContexts.WriteSecondary(spec, models))
        {
            Message(AiLogLevel.Detail, $"AiContainers: build context for {Path.GetFileName(platform.OutputDirectory)} written to {platform.OutputDirectory}");
        }
        DockerfilePath = generated.DockerfilePath;
        OutputDirectory = generated.OutputDirectory;
        var level = spec.Build.Builder == AiImageBuilderKind.None ? AiLogLevel.Summary : AiLogLevel.Progress;
        Message(level, $"AiContainers: Dockerfile and build context for {spec.Identity.Name} written to {generated.OutputDirectory}");
    }
}
