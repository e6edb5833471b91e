using AiContainers.Core.Spec;
using Microsoft.Build.Framework;

namespace AiContainers.Tasks;

/// <summary>Maps the project's properties and items onto the spec, validates it, and writes spec.json. No I/O beyond that file.</summary>
public sealed class ResolveAiImageSpec : AiTask
{
    /// <summary>Items named after a property, with the value in metadata <c>Value</c>.</summary>
    [Required] public ITaskItem[] Properties { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Items of any input type, with the type in metadata <c>AiItemType</c>.</summary>
    public ITaskItem[] Items { get; set; } = Array.Empty<ITaskItem>();

    [Required] public string SpecFile { get; set; } = "";

    [Output] public string OutputDirectory { get; set; } = "";
    [Output] public string Builder { get; set; } = "";

    protected override void ExecuteCore()
    {
        var input = new ProjectInputs();
        foreach (var p in Properties) input.Set(p.ItemSpec, p.GetMetadata("Value"));
        foreach (var item in Items)
        {
            var metadata = MetadataOf(item);
            var type = metadata.TryGetValue("AiItemType", out var t) ? t : "";
            input.Add(type, new InputItem(item.ItemSpec, metadata));
        }
        input.SetEnvironment("SOURCE_DATE_EPOCH", Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"));

        var result = AiImageSpecMapper.Map(input);
        foreach (var diagnostic in result.Diagnostics) Report(diagnostic);
        if (result.CudaReason is { Length: > 0 } reason) Message(Core.Diagnostics.AiLogLevel.Summary, "AiContainers: " + reason);
        if (result.Spec is not { } spec) return;

        AiImageSpecJson.Write(spec, SpecFile);
        OutputDirectory = spec.Build.OutputDirectory;
        Builder = spec.Build.Builder.ToString();
        Message(Core.Diagnostics.AiLogLevel.Progress, $"AiContainers: {spec.Identity.Name} on {spec.Base.Reference}" + (spec.Base.PullReference != spec.Base.Reference ? $" (via mirror {spec.Base.PullReference})" : ""));
    }
}
