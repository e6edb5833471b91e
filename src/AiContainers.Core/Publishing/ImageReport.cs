using System.Globalization;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Publishing;

/// <summary>
/// image-report.html beside image.json: the layers (with which were new this time and what dominates the
/// size), the CUDA and driver facts, the models and the deploy files, as a page a person would rather
/// read than a build log. Rendered from an embedded template; every value is HTML-escaped.
/// </summary>
public static class ImageReport
{
    public const string FileName = "image-report.html";

    public static string Render(PublishedImage image, AiImageSpec spec, ModelFetchResult? models)
    {
        var total = Math.Max(1, image.Layers.Sum(l => l.Size));
        var dominant = image.Layers.OrderByDescending(l => l.Size).FirstOrDefault();
        var facts = new List<object>
        {
            new { Name = "base image", Value = spec.Base.Reference + (spec.Base.Mirrored ? $" (pulled as {spec.Base.PullReference})" : "") },
            new { Name = "GPU", Value = spec.Gpu.Enabled ? "yes" : "no (CPU image)" },
        };
        if (spec.Base.Cuda is { } cuda)
        {
            facts.Add(new { Name = "CUDA", Value = cuda.Version + (cuda.CudnnMajor is { } cudnn ? $", cuDNN {cudnn}" : "") + $", {cuda.Flavor.ToString().ToLowerInvariant()}" });
        }
        if (spec.Gpu.Enabled)
        {
            facts.Add(new { Name = "NVIDIA_REQUIRE_CUDA", Value = spec.Gpu.RequireCuda ?? "the base image's own" });
            facts.Add(new { Name = "visible devices", Value = spec.Gpu.VisibleDevices });
            facts.Add(new { Name = "driver capabilities", Value = spec.Gpu.Capabilities });
            if (spec.Gpu.ShmSize is { } shm) facts.Add(new { Name = "shared memory", Value = shm });
        }
        return TemplateRenderer.Render("report/image-report.sbn", new
        {
            Image = image.Reference,
            image.Builder,
            image.BuilderReason,
            image.Digest,
            Size = Format.Bytes(image.Size),
            Dominant = dominant is null ? "(the base image)" : $"{dominant.Description} ({Format.Bytes(dominant.Size)})",
            Layers = image.Layers.Select(l => new
            {
                l.Description,
                Digest = l.Digest.Length > 19 ? l.Digest[..19] + "…" : l.Digest,
                Size = Format.Bytes(l.Size),
                Percent = (l.Size * 100.0 / total).ToString("0.#", CultureInfo.InvariantCulture),
                l.New,
            }).ToList(),
            GpuFacts = facts,
            Models = (models?.Models ?? Array.Empty<FetchedModel>()).Select(m => new
            {
                m.Name,
                Source = m.SourceDescription,
                Path = m.TargetDirectory,
                Files = m.Files.Count,
                Size = Format.Bytes(m.TotalSize),
            }).ToList(),
            DeployFiles = Deploy.DeployFilesGenerator.TopLevelNames(spec.Deploy),
            Generator = spec.Metadata.GeneratorVersion,
        });
    }
}
