using AiContainers.Core.Spec;

namespace AiContainers.Core.Deploy;

/// <summary>One file written beside the Dockerfile: a path relative to the output folder, its text, and whether it is a script.</summary>
public sealed record GeneratedFile(string RelativePath, string Content, bool Executable);

/// <summary>
/// Every deploy file for one image: docker-run.sh, compose.yaml (with postgres.env.example and
/// prometheus/prometheus.yml when those companions are asked for) and k8s/*.yaml. Pure and
/// deterministic: the same spec always gives the same files in the same order.
/// </summary>
public static class DeployFilesGenerator
{
    public static IReadOnlyList<GeneratedFile> Generate(AiImageSpec spec, DeploySpec deploy)
    {
        var files = new List<GeneratedFile>
        {
            new(DockerRunGenerator.FileName, DockerRunGenerator.Generate(spec, deploy), Executable: true),
            new(ComposeGenerator.FileName, ComposeGenerator.Generate(spec, deploy), Executable: false),
        };
        if (deploy.HasCompanion(ComposeCompanions.Postgres))
            files.Add(new(ComposeGenerator.PostgresEnvExample, ComposeGenerator.PostgresEnvExampleText(spec), Executable: false));
        if (deploy.HasCompanion(ComposeCompanions.Prometheus))
            files.Add(new(ComposeGenerator.PrometheusConfigPath, ComposeGenerator.PrometheusConfig(spec, deploy), Executable: false));
        files.AddRange(KubernetesGenerator.Generate(spec, deploy).Select(f => new GeneratedFile(f.Path, f.Content, Executable: false)));
        return files;
    }

    /// <summary>
    /// The top-level names of what <see cref="Generate"/> writes, in its order, from the generators' own path
    /// constants. Generating the files just to list their names cost ~1 s of every publish (the first
    /// KubernetesYaml.Serialize in the process), measured by bench/code-change-publish.sh.
    /// </summary>
    public static IReadOnlyList<string> TopLevelNames(DeploySpec deploy)
    {
        var names = new List<string> { DockerRunGenerator.FileName, ComposeGenerator.FileName };
        if (deploy.HasCompanion(ComposeCompanions.Postgres)) names.Add(ComposeGenerator.PostgresEnvExample);
        if (deploy.HasCompanion(ComposeCompanions.Prometheus)) names.Add(ComposeGenerator.PrometheusConfigPath.Split('/')[0] + "/");
        names.Add(KubernetesGenerator.Directory + "/");
        return names;
    }
}
