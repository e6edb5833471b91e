using AiContainers.Core.Generation;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Deploy;

/// <summary>
/// docker-run.sh: one <c>docker run</c> with the project's GPU, memory, CPU, port, volume, environment and
/// log settings. Every value goes through <see cref="DeployValues.Shell"/>; <c>AIC_NO_GPU=1</c> drops
/// <c>--gpus</c> for hosts without the NVIDIA runtime, <c>AIC_DOCKER_RUN_ARGS</c> adds options, and the
/// script's own arguments become the container's command.
/// </summary>
public static class DockerRunGenerator
{
    public const string FileName = "docker-run.sh";

    public static string Generate(AiImageSpec spec, DeploySpec deploy)
    {
        var options = new List<string> { "--name " + DeployValues.Shell(DeployValues.AppName(spec)), "--rm" };
        void Option(string flag, string value) => options.Add(flag + " " + DeployValues.Shell(value));

        foreach (var port in spec.Ports)
            Option("-p", port.Protocol == "tcp" ? $"{port.Number}:{port.Number}" : $"{port.Number}:{port.Number}/{port.Protocol}");
        foreach (var volume in deploy.Volumes)
            Option("-v", $"{volume.Source}:{volume.Target}" + (volume.ReadOnly ? ":ro" : ""));
        foreach (var variable in spec.Environment)
            Option("-e", variable.Name + "=" + variable.Value);
        if (spec.Gpu.ShmSize is { } shm) Option("--shm-size", DeployValues.DockerSize(shm));
        if (spec.Gpu.MemoryLimit is { } memory) Option("--memory", DeployValues.DockerSize(memory));
        if (spec.Gpu.MemorySwap is { } swap) Option("--memory-swap", swap == "-1" ? swap : DeployValues.DockerSize(swap));
        if (spec.Gpu.CpuLimit is { } cpus) Option("--cpus", cpus);
        if (deploy.LogMaxSize is not null || deploy.LogMaxFiles is not null)
        {
            // compose.yaml names the driver too; saying it here keeps both right on engines with another default.
            Option("--log-driver", "json-file");
            if (deploy.LogMaxSize is { } size) Option("--log-opt", "max-size=" + size);
            if (deploy.LogMaxFiles is { } files) Option("--log-opt", "max-file=" + DeployValues.Invariant(files));
        }

        var gpus = GpusOption(spec.Gpu);
        return TemplateRenderer.Render("deploy/docker-run.sbn", new
        {
            spec.Metadata.GeneratorVersion,
            spec.ProjectName,
            Options = options,
            Gpus = gpus,
            NoGpuMessage = gpus is null ? null : DeployValues.Shell($"docker-run.sh: AIC_NO_GPU=1, so the container runs without {gpus}"),
            Image = DeployValues.Shell(DeployValues.ImageReference(spec)),
        });
    }

    /// <summary>
    /// --gpus in docker's own syntax: all, a count, or a device list, which needs its double quotes
    /// inside the shell quoting because the value itself holds a comma ('"device=0,1"').
    /// </summary>
    public static string? GpusOption(GpuSpec gpu)
    {
        if (!gpu.Enabled) return null;
        if (gpu.GpuDevices.Count > 0) return "--gpus " + DeployValues.Shell("\"device=" + string.Join(",", gpu.GpuDevices) + "\"");
        return "--gpus " + DeployValues.Shell(gpu.GpuCount ?? "all");
    }
}
