using System.Globalization;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Engine;
using AiContainers.Core.Generation;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace AiContainers.Tasks;

/// <summary>
/// Pushes every tag when a registry is set (and AiImagePush is not false), then reports the image:
/// the AiImage output item, image.json beside the Dockerfile, GITHUB_OUTPUT lines, one summary line.
/// </summary>
public sealed class PushAiImage : CancelableAiTask
{
    [Required] public string SpecFile { get; set; } = "";
    [Required] public string ImageId { get; set; } = "";
    public long ContextBytes { get; set; }
    public double BuildSeconds { get; set; }

    [Output] public ITaskItem? Image { get; set; }

    protected override void ExecuteCore()
    {
        var spec = AiImageSpecJson.Read(SpecFile);
        using var engine = DockerEngine.Create();
        var publisher = new ImagePublisher(engine, new RegistryCredentialStore(), this);
        var image = publisher.PushAsync(spec, ImageId, ContextBytes, TimeSpan.FromSeconds(BuildSeconds), Cancellation.Token).GetAwaiter().GetResult();

        var item = new TaskItem(image.Reference);
        item.SetMetadata("Registry", image.Registry ?? "");
        item.SetMetadata("Repository", image.Repository);
        item.SetMetadata("Tags", string.Join(";", image.Tags));
        item.SetMetadata("Digest", image.Digest ?? "");
        item.SetMetadata("ImageId", image.ImageId);
        item.SetMetadata("Size", image.Size.ToString(CultureInfo.InvariantCulture));
        item.SetMetadata("Pushed", image.Pushed ? "true" : "false");
        Image = item;

        BuildContextWriter.WriteIfChanged(Path.Combine(spec.Build.OutputDirectory, "image.json"), image.ToJson() + "\n");
        if (Environment.GetEnvironmentVariable("GITHUB_OUTPUT") is { Length: > 0 } githubOutput)
            File.AppendAllText(githubOutput, $"image={image.Reference}\ndigest={image.Digest ?? image.ImageId}\n");

        var where = image.Pushed ? $"pushed, digest {image.Digest}" : $"local engine only, id {image.ImageId}";
        Message(AiLogLevel.Summary,
            $"AiContainers: {image.Name} tags {string.Join(", ", image.Tags)} ({where}), size {Format.Bytes(image.Size)}, " +
            $"build {image.BuildTime.TotalSeconds:0.0} s" + (image.Pushed ? $", push {image.PushTime.TotalSeconds:0.0} s" : ""));
    }
}
