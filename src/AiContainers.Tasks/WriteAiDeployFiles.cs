using AiContainers.Core.Deploy;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;
using Microsoft.Build.Framework;

namespace AiContainers.Tasks;

/// <summary>Writes docker-run.sh, compose.yaml and k8s/ from spec.json: the same GPU settings the image records.</summary>
public sealed class WriteAiDeployFiles : AiTask
{
    [Required] public string SpecFile { get; set; } = "";

    [Output] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    protected override void ExecuteCore()
    {
        var spec = AiImageSpecJson.Read(SpecFile);
        var written = DeployFilesWriter.Write(spec, spec.Build.OutputDirectory);
        Files = written.Select(f => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(f)).ToArray();
        Message(AiLogLevel.Detail, $"AiContainers: deploy files written: {string.Join(", ", written.Select(Path.GetFileName))}");
    }
}
