using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Deploy;

/// <summary>
/// compose.yaml: the app as a compose service (GPU reservation, limits, shm, health check, log rotation,
/// volumes) and the companions from <c>AiComposeService</c>, plus the files they read:
/// <c>prometheus/prometheus.yml</c> and <c>postgres.env.example</c>. The app's values are the ones
/// docker-run.sh passes; anything from the user is a quoted scalar with '$' doubled against interpolation.
/// </summary>
public static class ComposeGenerator
{
    public const string FileName = "compose.yaml";
    public const string PrometheusConfigPath = "prometheus/prometheus.yml";
    public const string PostgresEnvExample = "postgres.env.example";

    public static string Generate(AiImageSpec spec, DeploySpec deploy)
    {
        var name = DeployValues.AppName(spec);
        var usesPostgres = deploy.HasCompanion(ComposeCompanions.Postgres);

        var environment = spec.Environment.Select(e => new { e.Name, Value = DeployValues.Compose(e.Value) }).ToList();
        // The app reaches postgres by its service name; the credentials arrive through the same env file.
        if (usesPostgres && spec.Environment.All(e => e.Name != "POSTGRES_HOST"))
            environment.Add(new { Name = "POSTGRES_HOST", Value = DeployValues.Compose(ComposeCompanions.Postgres) });

        var namedVolumes = deploy.Volumes.Where(v => !v.IsHostPath).Select(v => v.Source)
            .Concat(deploy.ComposeServices.Select(s => s.Name + "-data")).Distinct().ToList();

        var health = spec.HealthCheck;
        var gpu = spec.Gpu;
        return TemplateRenderer.Render("deploy/compose.sbn", new
        {
            spec.Metadata.GeneratorVersion,
            spec.ProjectName,
            Name = name,
            Image = DeployValues.Compose(DeployValues.ImageReference(spec)),
            Ports = spec.Ports.Select(p => DeployValues.Compose(p.Protocol == "tcp" ? $"{p.Number}:{p.Number}" : $"{p.Number}:{p.Number}/{p.Protocol}")).ToList(),
            Environment = environment,
            Volumes = deploy.Volumes.Select(v => DeployValues.Compose($"{v.Source}:{v.Target}" + (v.ReadOnly ? ":ro" : ""))).ToList(),
            ShmSize = gpu.ShmSize is { } shm ? DeployValues.Compose(DeployValues.DockerSize(shm)) : null,
            MemorySwap = gpu.MemorySwap is { } swap ? DeployValues.Compose(swap == "-1" ? swap : DeployValues.DockerSize(swap)) : null,
            HealthCheck = health is null ? null : new
            {
                Test = string.Join(", ", new[] { "CMD" }.Concat(health.Command).Select(DeployValues.Compose)),
                health.Interval,
                health.Timeout,
                health.StartPeriod,
                health.Retries,
            },
            Logging = deploy.LogMaxSize is null && deploy.LogMaxFiles is null ? null : new
            {
                MaxSize = deploy.LogMaxSize is { } size ? DeployValues.Compose(size) : null,
                MaxFile = deploy.LogMaxFiles is { } files ? DeployValues.Compose(DeployValues.Invariant(files)) : null,
            },
            Limits = gpu.CpuLimit is null && gpu.MemoryLimit is null ? null : new
            {
                Cpus = gpu.CpuLimit is { } cpus ? DeployValues.Compose(cpus) : null,
                Memory = gpu.MemoryLimit is { } memory ? DeployValues.Compose(DeployValues.DockerSize(memory)) : null,
            },
            Gpu = !gpu.Enabled ? null : new
            {
                DeviceIds = gpu.GpuDevices.Count > 0 ? string.Join(", ", gpu.GpuDevices.Select(DeployValues.Compose)) : null,
                Count = gpu.GpuCount ?? "all",
            },
            UsesPostgres = usesPostgres,
            UsesPrometheus = deploy.HasCompanion(ComposeCompanions.Prometheus),
            UsesGrafana = deploy.HasCompanion(ComposeCompanions.Grafana),
            PostgresImage = CompanionImage(deploy, ComposeCompanions.Postgres),
            PrometheusImage = CompanionImage(deploy, ComposeCompanions.Prometheus),
            GrafanaImage = CompanionImage(deploy, ComposeCompanions.Grafana),
            NamedVolumes = namedVolumes,
        });
    }

    /// <summary>The scrape config compose mounts into prometheus: the app's service name and metrics port.</summary>
    public static string PrometheusConfig(AiImageSpec spec, DeploySpec deploy)
    {
        var port = DeployValues.MetricsPort(spec, deploy)
            ?? throw new AiException(AiErrors.NoMetricsPort, "AiMetricsPort");
        var name = DeployValues.AppName(spec);
        return TemplateRenderer.Render("deploy/prometheus-config.sbn", new
        {
            spec.Metadata.GeneratorVersion,
            spec.ProjectName,
            Job = DeployValues.Yaml(name),
            Path = DeployValues.Yaml(deploy.MetricsPath),
            Target = DeployValues.Yaml($"{name}:{port}"),
        });
    }

    public static string PostgresEnvExampleText(AiImageSpec spec)
        => TemplateRenderer.Render("deploy/postgres-env-example.sbn", new
        {
            spec.Metadata.GeneratorVersion,
            spec.ProjectName,
            Name = DeployValues.AppName(spec),
        });

    private static string? CompanionImage(DeploySpec deploy, string name)
        => deploy.ComposeServices.FirstOrDefault(s => s.Name == name) is { } service
            ? DeployValues.Compose(ComposeCompanions.Find(name)!.Image + ":" + service.Version)
            : null;
}
