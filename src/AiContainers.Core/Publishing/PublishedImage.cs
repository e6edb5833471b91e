using System.Text.Json;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.IO;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Publishing;

/// <summary>One layer of the published image as the summary and image.json show it.</summary>
public sealed record PublishedLayer(string Description, string Digest, long Size, bool New);

/// <summary>What the image ended up as: which builder made it, local ID, tags, and the registry digest once pushed.</summary>
public sealed record PublishedImage(
    ImageIdentity Identity,
    string Builder,
    string BuilderReason,
    string? ImageId,
    string? Digest,
    long Size,
    bool Pushed,
    long BytesSent,
    TimeSpan BuildTime,
    TimeSpan PushTime,
    IReadOnlyList<PublishedLayer> Layers,
    string? ArchivePath = null)
{
    /// <summary>The manifest (or index) the tags point at, as pushed, when the builder composed it itself: the SBOM's subject without a GET.</summary>
    public Oci.Registry.RegistryManifest? PushedManifest { get; init; }

    public string Reference => Identity.TaggedNames.First();

    public string ToJson() => JsonSerializer.Serialize(new
    {
        image = Reference,
        registry = Identity.Registry,
        repository = Identity.Repository,
        tags = Identity.Tags,
        builder = Builder,
        imageId = ImageId,
        digest = Digest,
        size = Size,
        pushed = Pushed,
        archive = ArchivePath,
        layers = Layers.Select(l => new { description = l.Description, digest = l.Digest, size = l.Size, @new = l.New }),
    }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The layers as the summary lists them, like `dive` would: size, new or reused, and what dominates.</summary>
    public IEnumerable<string> LayerLines()
    {
        if (Layers.Count == 0) yield break;
        var total = Math.Max(1, Layers.Sum(l => l.Size));
        foreach (var layer in Layers)
            yield return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"AiContainers:   {(layer.New ? "new   " : "reused")} {Format.Bytes(layer.Size),10} {layer.Size * 100.0 / total,5:0.0}%  {layer.Description}");
    }

    /// <summary>The one high-importance line of a publish.</summary>
    public string SummaryLine()
    {
        var where = Pushed ? $"pushed, digest {Digest}" : ArchivePath is not null ? $"archive {ArchivePath}" : ImageId is not null ? $"local engine only, id {ImageId}" : "not pushed";
        var fresh = Layers.Where(l => l.New).ToList();
        var layers = Layers.Count == 0 ? "" : $", {Layers.Count} layers ({fresh.Count} new, {Format.Bytes(fresh.Sum(l => l.Size))} sent)";
        return $"AiContainers: {Identity.Name} tags {string.Join(", ", Identity.Tags)} ({where}) by the {Builder} builder ({BuilderReason}), size {Format.Bytes(Size)}{layers}, "
            + $"build {Format.Seconds(BuildTime)}" + (Pushed ? $", push {Format.Seconds(PushTime)}" : "");
    }
}

/// <summary>
/// The files a publish leaves for people and CI: image.json beside the Dockerfile and GITHUB_OUTPUT lines.
/// A run that starts removes the previous image.json first, so a failed run never leaves an older result
/// beside newer files; only a run that landed writes a new one.
/// </summary>
public static class PublishOutputs
{
    public const string ImageJson = "image.json";

    public static void Invalidate(string outputDirectory)
    {
        foreach (var name in new[] { ImageJson, ImageReport.FileName, Sbom.CycloneDxWriter.FileName })
        {
            var path = Path.Combine(outputDirectory, name);
            if (File.Exists(path)) File.Delete(path);
        }
    }

    public static void Write(PublishedImage image, string outputDirectory, string? githubOutput, string? report = null)
    {
        if (report is not null) AtomicFile.Write(Path.Combine(outputDirectory, ImageReport.FileName), report);
        AtomicFile.Write(Path.Combine(outputDirectory, ImageJson), image.ToJson() + "\n");
        if (githubOutput is { Length: > 0 })
            File.AppendAllText(githubOutput, $"image={image.Reference}\ndigest={image.Digest ?? image.ImageId}\n");
    }
}
