using System.Text;
using AiContainers.Core.Generation;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Deploy;

/// <summary>
/// Kubernetes manifests under <c>k8s/</c>. A service becomes a Deployment and, with ports, a Service; a
/// training workload an Indexed Job whose pods find rank 0 through a headless Service and start torchrun
/// with their completion index as node rank; <c>AiKubeflow</c> adds the same job as a Kubeflow PyTorchJob
/// under <c>k8s/kubeflow/</c> (kept apart so <c>kubectl apply -f k8s/</c> does not start training twice).
/// </summary>
public static class KubernetesGenerator
{
    public const string Directory = "k8s";
    public const string GpuResource = "nvidia.com/gpu";
    public const string CompletionIndexField = "metadata.annotations['batch.kubernetes.io/job-completion-index']";
    /// <summary>The training operator finds the master port by this container port name.</summary>
    public const string KubeflowPortName = "pytorchjob-port";

    public static IReadOnlyList<(string Path, string Content)> Generate(AiImageSpec spec, DeploySpec deploy)
    {
        var files = new List<(string, string)>();
        if (deploy.Workload == AiWorkloadKind.Service)
        {
            files.Add(($"{Directory}/deployment.yaml", Deployment(spec, deploy)));
            if (spec.Ports.Count > 0) files.Add(($"{Directory}/service.yaml", Service(spec, deploy)));
        }
        else
        {
            files.Add(($"{Directory}/job.yaml", TrainingJob(spec, deploy)));
            files.Add(($"{Directory}/headless-service.yaml", HeadlessService(spec, deploy)));
            if (deploy.Kubeflow) files.Add(($"{Directory}/kubeflow/pytorchjob.yaml", PyTorchJob(spec, deploy)));
        }
        return files;
    }

    public static string Deployment(AiImageSpec spec, DeploySpec deploy)
    {
        var name = DeployValues.AppName(spec);
        var scrapePort = DeployValues.MetricsPort(spec, deploy);
        var scrape = scrapePort is { } port && (deploy.MetricsPort is not null || deploy.HasCompanion(ComposeCompanions.Prometheus))
            ? new { Port = DeployValues.Yaml(DeployValues.Invariant(port)), Path = DeployValues.Yaml(deploy.MetricsPath) }
            : null;
        var ports = AppPorts(spec, deploy);
        return TemplateRenderer.Render("deploy/k8s-deployment.sbn", new
        {
            Header = Header(spec),
            Metadata = Metadata(spec, deploy),
            Name = name,
            deploy.Replicas,
            Scrape = scrape,
            Pod = Pod(spec, deploy, name, command: null, ports, UserEnv(spec), restartPolicy: null, subdomain: null, probes: true, indent: 6),
        });
    }

    public static string Service(AiImageSpec spec, DeploySpec deploy)
        => TemplateRenderer.Render("deploy/k8s-service.sbn", new { Header = Header(spec), Metadata = Metadata(spec, deploy), Name = DeployValues.AppName(spec), Headless = false, Ports = spec.Ports.Select(PortModel).ToList() });

    public static string HeadlessService(AiImageSpec spec, DeploySpec deploy)
        => TemplateRenderer.Render("deploy/k8s-service.sbn", new
        {
            Header = Header(spec),
            Metadata = Metadata(spec, deploy),
            Name = DeployValues.AppName(spec),
            Headless = true,
            Ports = new[] { new { Name = "rendezvous", Number = deploy.Distributed.MasterPort, Protocol = "TCP" } },
        });

    public static string TrainingJob(AiImageSpec spec, DeploySpec deploy)
    {
        var name = DeployValues.AppName(spec);
        var env = new List<object>
        {
            // Indexed pods are <job>-<index> in the headless service's subdomain.
            Env("MASTER_ADDR", $"{name}-0.{name}"),
            Env("MASTER_PORT", DeployValues.Invariant(deploy.Distributed.MasterPort)),
            // Pods, like the Kubeflow operator's WORLD_SIZE; torchrun sets the per-process RANK and WORLD_SIZE itself.
            Env("WORLD_SIZE", DeployValues.Invariant(deploy.Distributed.Nodes)),
            new { Name = "RANK", Value = (string?)null, FieldPath = DeployValues.Yaml(CompletionIndexField) },
        };
        env.AddRange(UserEnv(spec));
        var command = TorchrunCommand.For(spec, deploy.Distributed, "$(RANK)", "$(MASTER_ADDR)", "$(MASTER_PORT)", DeployValues.KubernetesLiteral);
        var ports = new List<object> { new { Name = "rendezvous", Number = deploy.Distributed.MasterPort, Protocol = "TCP" } };
        ports.AddRange(AppPorts(spec, deploy));
        return TemplateRenderer.Render("deploy/k8s-job.sbn", new
        {
            Header = Header(spec),
            Metadata = Metadata(spec, deploy),
            Name = name,
            deploy.Distributed.Nodes,
            Pod = Pod(spec, deploy, name, command, ports, env, restartPolicy: "Never", subdomain: name, probes: false, indent: 6),
        });
    }

    public static string PyTorchJob(AiImageSpec spec, DeploySpec deploy)
    {
        var name = DeployValues.AppName(spec);
        var command = TorchrunCommand.For(spec, deploy.Distributed, "$(RANK)", "$(MASTER_ADDR)", "$(MASTER_PORT)", DeployValues.KubernetesLiteral);
        var ports = new List<object> { new { Name = KubeflowPortName, Number = deploy.Distributed.MasterPort, Protocol = "TCP" } };
        ports.AddRange(AppPorts(spec, deploy));
        return TemplateRenderer.Render("deploy/k8s-pytorchjob.sbn", new
        {
            Header = Header(spec),
            Metadata = Metadata(spec, deploy),
            Name = name,
            Workers = deploy.Distributed.Nodes - 1,
            // The operator only wires up the container named "pytorch".
            Pod = Pod(spec, deploy, "pytorch", command, ports, UserEnv(spec), restartPolicy: null, subdomain: null, probes: false, indent: 10),
        });
    }

    private static string Pod(AiImageSpec spec, DeploySpec deploy, string containerName, IReadOnlyList<string>? command,
        IReadOnlyList<object> ports, IReadOnlyList<object> env, string? restartPolicy, string? subdomain, bool probes, int indent)
    {
        var gpu = spec.Gpu;
        var requests = new List<object>();
        var limits = new List<object>();
        if (gpu.CpuLimit is { } cpu)
        {
            // Requests equal to limits: a GPU pod gets the Guaranteed QoS class and is evicted last.
            requests.Add(Resource("cpu", cpu));
            limits.Add(Resource("cpu", cpu));
        }
        if (gpu.MemoryLimit is { } memory)
        {
            var quantity = DeployValues.KubernetesQuantity(memory);
            requests.Add(Resource("memory", quantity));
            limits.Add(Resource("memory", quantity));
        }
        // Extended resources take limits only; Kubernetes sets the request to match.
        var gpus = DeployValues.GpusPerPod(spec, deploy);
        if (gpus > 0) limits.Add(Resource(GpuResource, DeployValues.Invariant(gpus)));

        var mounts = new List<object>();
        var volumes = new List<object>();
        if (gpu.ShmSize is { } shm)
        {
            mounts.Add(new { Name = "dshm", Path = "/dev/shm", ReadOnly = false });
            volumes.Add(new { Name = "dshm", Kind = "shm", Value = DeployValues.Yaml(DeployValues.KubernetesQuantity(shm)), ReadOnly = false });
        }
        for (var i = 0; i < deploy.Volumes.Count; i++)
        {
            var v = deploy.Volumes[i];
            var volumeName = v.IsHostPath ? $"host-{i}" : $"claim-{i}";
            mounts.Add(new { Name = volumeName, Path = DeployValues.Yaml(v.Target), v.ReadOnly });
            volumes.Add(new { Name = volumeName, Kind = v.IsHostPath ? "host" : "claim", Value = DeployValues.Yaml(v.Source), v.ReadOnly });
        }

        var health = probes ? spec.HealthCheck : null;
        var user = spec.User;
        var text = TemplateRenderer.Render("deploy/k8s-pod.sbn", new
        {
            Subdomain = subdomain,
            RestartPolicy = restartPolicy,
            // runAsNonRoot needs a numeric user to check; a named user is left to the image.
            Security = user.Uid is { } uid && uid != 0 ? new { Uid = uid, Gid = user.Gid ?? uid } : null,
            ContainerName = containerName,
            Image = DeployValues.Yaml(DeployValues.ImageReference(spec)),
            Command = command?.Select(DeployValues.Yaml).ToList(),
            Ports = ports,
            Env = env,
            Resources = limits.Count == 0 ? null : new { Requests = requests, Limits = limits },
            Probe = health is null ? null : new
            {
                Path = DeployValues.Yaml(health.Path),
                health.Port,
                InitialDelay = DeployValues.Seconds(health.StartPeriod),
                Period = DeployValues.Seconds(health.Interval),
                Timeout = DeployValues.Seconds(health.Timeout),
                FailureThreshold = health.Retries,
            },
            Mounts = mounts,
            Volumes = volumes,
        });
        return Indent(text.TrimEnd('\n'), indent);
    }

    private static List<object> AppPorts(AiImageSpec spec, DeploySpec deploy)
    {
        var ports = spec.Ports.Select(PortModel).Cast<object>().ToList();
        if (deploy.MetricsPort is { } metrics && spec.Ports.All(p => p.Number != metrics || p.Protocol != "tcp"))
            ports.Add(new { Name = "metrics", Number = metrics, Protocol = "TCP" });
        return ports;
    }

    private static object PortModel(PortSpec port)
        => new { Name = $"{port.Protocol}-{port.Number}", port.Number, Protocol = port.Protocol.ToUpperInvariant() };

    private static List<object> UserEnv(AiImageSpec spec) => spec.Environment.Select(e => Env(e.Name, DeployValues.KubernetesLiteral(e.Value))).ToList();

    private static object Env(string name, string value) => new { Name = name, Value = DeployValues.Yaml(value), FieldPath = (string?)null };

    private static object Resource(string name, string value) => new { Name = name, Value = DeployValues.Yaml(value) };

    private static string Header(AiImageSpec spec)
        => $"# Generated by AiContainers {spec.Metadata.GeneratorVersion} from {spec.ProjectName}. Do not edit; change the project and publish again.";

    /// <summary>The metadata block every object shares: name, namespace, and the label selectors match on.</summary>
    private static string Metadata(AiImageSpec spec, DeploySpec deploy)
        => TemplateRenderer.Render("deploy/k8s-metadata.sbn", new { Name = DeployValues.AppName(spec), Namespace = deploy.KubernetesNamespace }).TrimEnd('\n');

    private static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        var sb = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            if (sb.Length > 0) sb.Append('\n');
            if (line.Length > 0) sb.Append(pad).Append(line);
        }
        return sb.ToString();
    }
}
