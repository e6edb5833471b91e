using AiContainers.Core.Spec;
using k8s;
using k8s.Models;

namespace AiContainers.Core.Deploy;

/// <summary>
/// Kubernetes manifests under <c>k8s/</c>. A service becomes a Deployment and, with ports, a Service; a
/// training workload an Indexed Job whose pods find rank 0 through a headless Service and start torchrun
/// with their completion index as node rank; <c>AiKubeflow</c> adds the same job as a Kubeflow PyTorchJob
/// under <c>k8s/kubeflow/</c> (kept apart so <c>kubectl apply -f k8s/</c> does not start training twice).
/// </summary>
/// <remarks>
/// The objects are KubernetesClient's typed models serialized with its own YAML serializer, so field names,
/// nesting and scalar quoting are the API's and not hand-kept indentation: a value holding quotes, ": ", '#',
/// a leading '-' or any Unicode comes back unchanged. The serializer writes fields in the models' declared
/// (alphabetical) order and dictionaries in insertion order, so the same spec always gives the same bytes.
/// Comments cannot ride on typed objects; what the old inline comments said is in each file's header.
/// </remarks>
public static class KubernetesGenerator
{
    public const string Directory = "k8s";
    public const string GpuResource = "nvidia.com/gpu";
    public const string CompletionIndexField = "metadata.annotations['batch.kubernetes.io/job-completion-index']";
    /// <summary>The training operator finds the master port by this container port name.</summary>
    public const string KubeflowPortName = "pytorchjob-port";
    /// <summary>The label every object carries and every selector matches on.</summary>
    public const string NameLabel = "app.kubernetes.io/name";

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
        Dictionary<string, string>? annotations = null;
        if (scrapePort is { } port && (deploy.MetricsPort is not null || deploy.HasCompanion(ComposeCompanions.Prometheus)))
        {
            annotations = new()
            {
                ["prometheus.io/scrape"] = "true",
                ["prometheus.io/port"] = DeployValues.Invariant(port),
                ["prometheus.io/path"] = deploy.MetricsPath,
            };
        }
        var deployment = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = V1Deployment.KubeKind,
            Metadata = Metadata(spec, deploy),
            Spec = new V1DeploymentSpec
            {
                Replicas = deploy.Replicas,
                Selector = new V1LabelSelector { MatchLabels = Labels(name) },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(name), Annotations = annotations },
                    Spec = Pod(spec, deploy, name, command: null, AppPorts(spec, deploy), UserEnv(spec), restartPolicy: null, subdomain: null, probes: true),
                },
            },
        };
        return Yaml(Header(spec, ShmNote(spec)), deployment);
    }

    public static string Service(AiImageSpec spec, DeploySpec deploy)
    {
        var service = ServiceObject(spec, deploy, headless: false, spec.Ports.Select(p => ServicePort(PortName(p), p.Number, p.Protocol.ToUpperInvariant())));
        return Yaml(Header(spec), service);
    }

    public static string HeadlessService(AiImageSpec spec, DeploySpec deploy)
    {
        var service = ServiceObject(spec, deploy, headless: true, new[] { ServicePort("rendezvous", deploy.Distributed.MasterPort, "TCP") });
        return Yaml(Header(spec,
            "Headless (clusterIP None): each indexed pod of job.yaml gets the DNS name <job>-<index>.<service>,",
            "so rank 0 is reachable as MASTER_ADDR; not-ready pods are published because rank 0 waits for the others."), service);
    }

    public static string TrainingJob(AiImageSpec spec, DeploySpec deploy)
    {
        var name = DeployValues.AppName(spec);
        var env = new List<V1EnvVar>
        {
            // Indexed pods are <job>-<index> in the headless service's subdomain.
            new() { Name = "MASTER_ADDR", Value = $"{name}-0.{name}" },
            new() { Name = "MASTER_PORT", Value = DeployValues.Invariant(deploy.Distributed.MasterPort) },
            // Pods, like the Kubeflow operator's WORLD_SIZE; torchrun sets the per-process RANK and WORLD_SIZE itself.
            new() { Name = "WORLD_SIZE", Value = DeployValues.Invariant(deploy.Distributed.Nodes) },
            new() { Name = "RANK", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = CompletionIndexField } } },
        };
        env.AddRange(UserEnv(spec));
        var ports = new List<V1ContainerPort> { ContainerPort("rendezvous", deploy.Distributed.MasterPort, "TCP") };
        ports.AddRange(AppPorts(spec, deploy));
        var job = new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = V1Job.KubeKind,
            Metadata = Metadata(spec, deploy),
            Spec = new V1JobSpec
            {
                CompletionMode = "Indexed",
                Completions = deploy.Distributed.Nodes,
                Parallelism = deploy.Distributed.Nodes,
                // torchrun's static rendezvous cannot take back a restarted rank, so one failed pod fails the job.
                BackoffLimit = 0,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(name) },
                    Spec = Pod(spec, deploy, name, Torchrun(spec, deploy), ports, env, restartPolicy: "Never", subdomain: name, probes: false),
                },
            },
        };
        return Yaml(Header(spec, new[]
        {
            "One pod per node (completionMode Indexed), each knowing its rank from the completion index (RANK).",
            "torchrun's static rendezvous cannot take back a restarted rank, so backoffLimit 0: one failed pod fails the job.",
        }.Concat(ShmNote(spec)).ToArray()), job);
    }

    public static string PyTorchJob(AiImageSpec spec, DeploySpec deploy)
    {
        var name = DeployValues.AppName(spec);
        var ports = new List<V1ContainerPort> { ContainerPort(KubeflowPortName, deploy.Distributed.MasterPort, "TCP") };
        ports.AddRange(AppPorts(spec, deploy));
        // The operator only wires up the container named "pytorch". Each role gets its own pod template
        // object (equal content): the serializer would otherwise be handed one object twice.
        KubeflowReplicaSpec Replica(int replicas) => new()
        {
            Replicas = replicas,
            RestartPolicy = "Never",
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = Labels(name) },
                Spec = Pod(spec, deploy, "pytorch", Torchrun(spec, deploy), ports, UserEnv(spec), restartPolicy: null, subdomain: null, probes: false),
            },
        };
        var replicas = new Dictionary<string, KubeflowReplicaSpec> { ["Master"] = Replica(1) };
        var workers = deploy.Distributed.Nodes - 1;
        if (workers > 0) replicas["Worker"] = Replica(workers);
        var job = new KubeflowPyTorchJob
        {
            Metadata = Metadata(spec, deploy),
            Spec = new KubeflowPyTorchJobSpec { RunPolicy = new KubeflowRunPolicy { BackoffLimit = 0 }, PytorchReplicaSpecs = replicas },
        };
        return Yaml(Header(spec, new[]
        {
            "The Kubeflow training operator form (kubeflow.org/v1): it sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE",
            "and RANK (the pod's rank) itself; apply this instead of ../job.yaml, not beside it.",
        }.Concat(ShmNote(spec)).ToArray()), job);
    }

    private static V1PodSpec Pod(AiImageSpec spec, DeploySpec deploy, string containerName, IList<string>? command,
        IList<V1ContainerPort> ports, IList<V1EnvVar> env, string? restartPolicy, string? subdomain, bool probes)
    {
        var gpu = spec.Gpu;
        var requests = new Dictionary<string, ResourceQuantity>();
        var limits = new Dictionary<string, ResourceQuantity>();
        if (gpu.CpuLimit is { } cpu)
        {
            // Requests equal to limits: a GPU pod gets the Guaranteed QoS class and is evicted last.
            requests["cpu"] = new ResourceQuantity(cpu);
            limits["cpu"] = new ResourceQuantity(cpu);
        }
        if (gpu.MemoryLimit is { } memory)
        {
            var quantity = DeployValues.KubernetesQuantity(memory);
            requests["memory"] = new ResourceQuantity(quantity);
            limits["memory"] = new ResourceQuantity(quantity);
        }
        // Extended resources take limits only; Kubernetes sets the request to match.
        var gpus = DeployValues.GpusPerPod(spec, deploy);
        if (gpus > 0) limits[GpuResource] = new ResourceQuantity(DeployValues.Invariant(gpus));

        var mounts = new List<V1VolumeMount>();
        var volumes = new List<V1Volume>();
        if (gpu.ShmSize is { } shm)
        {
            // /dev/shm is 64Mi in a pod unless a memory-backed volume replaces it (AiShmSize).
            mounts.Add(new V1VolumeMount { Name = "dshm", MountPath = "/dev/shm" });
            volumes.Add(new V1Volume
            {
                Name = "dshm",
                EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity(DeployValues.KubernetesQuantity(shm)) },
            });
        }
        for (var i = 0; i < deploy.Volumes.Count; i++)
        {
            var v = deploy.Volumes[i];
            var volumeName = v.IsHostPath ? $"host-{i}" : $"claim-{i}";
            mounts.Add(new V1VolumeMount { Name = volumeName, MountPath = v.Target, ReadOnlyProperty = v.ReadOnly ? true : null });
            volumes.Add(v.IsHostPath
                ? new V1Volume { Name = volumeName, HostPath = new V1HostPathVolumeSource { Path = v.Source } }
                : new V1Volume { Name = volumeName, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = v.Source, ReadOnlyProperty = v.ReadOnly ? true : null } });
        }

        var container = new V1Container
        {
            Name = containerName,
            Image = DeployValues.ImageReference(spec),
            Command = command,
            Ports = ports.Count > 0 ? ports : null,
            Env = env.Count > 0 ? env : null,
            Resources = limits.Count == 0 ? null : new V1ResourceRequirements { Requests = requests.Count > 0 ? requests : null, Limits = limits },
            LivenessProbe = probes ? Probe(spec.HealthCheck) : null,
            ReadinessProbe = probes ? Probe(spec.HealthCheck) : null,
            VolumeMounts = mounts.Count > 0 ? mounts : null,
        };
        var user = spec.User;
        return new V1PodSpec
        {
            Subdomain = subdomain,
            RestartPolicy = restartPolicy,
            // runAsNonRoot needs a numeric user to check; a named user is left to the image.
            SecurityContext = user.Uid is { } uid && uid != 0
                ? new V1PodSecurityContext { RunAsNonRoot = true, RunAsUser = uid, RunAsGroup = user.Gid ?? uid, FsGroup = user.Gid ?? uid }
                : null,
            Containers = new List<V1Container> { container },
            Volumes = volumes.Count > 0 ? volumes : null,
        };
    }

    /// <summary>The image's health check as an HTTP probe (liveness and readiness alike), or null without one.</summary>
    private static V1Probe? Probe(HealthCheckSpec? health) => health is null ? null : new V1Probe
    {
        HttpGet = new V1HTTPGetAction { Path = health.Path, Port = health.Port },
        InitialDelaySeconds = DeployValues.Seconds(health.StartPeriod),
        PeriodSeconds = DeployValues.Seconds(health.Interval),
        TimeoutSeconds = DeployValues.Seconds(health.Timeout),
        FailureThreshold = health.Retries,
    };

    private static V1Service ServiceObject(AiImageSpec spec, DeploySpec deploy, bool headless, IEnumerable<V1ServicePort> ports) => new()
    {
        ApiVersion = "v1",
        Kind = V1Service.KubeKind,
        Metadata = Metadata(spec, deploy),
        Spec = new V1ServiceSpec
        {
            ClusterIP = headless ? "None" : null,
            PublishNotReadyAddresses = headless ? true : null,
            Selector = Labels(DeployValues.AppName(spec)),
            Ports = ports.ToList(),
        },
    };

    private static IList<string> Torchrun(AiImageSpec spec, DeploySpec deploy)
        => TorchrunCommand.For(spec, deploy.Distributed, "$(RANK)", "$(MASTER_ADDR)", "$(MASTER_PORT)", DeployValues.KubernetesLiteral).ToList();

    private static List<V1ContainerPort> AppPorts(AiImageSpec spec, DeploySpec deploy)
    {
        var ports = spec.Ports.Select(p => ContainerPort(PortName(p), p.Number, p.Protocol.ToUpperInvariant())).ToList();
        if (deploy.MetricsPort is { } metrics && spec.Ports.All(p => p.Number != metrics || p.Protocol != "tcp"))
            ports.Add(ContainerPort("metrics", metrics, "TCP"));
        return ports;
    }

    private static string PortName(PortSpec port) => $"{port.Protocol}-{port.Number}";

    private static V1ContainerPort ContainerPort(string name, int number, string protocol) => new() { Name = name, ContainerPort = number, Protocol = protocol };

    private static V1ServicePort ServicePort(string name, int number, string protocol) => new() { Name = name, Port = number, TargetPort = number, Protocol = protocol };

    /// <summary>The user's variables, '$' doubled so the kubelet passes them as docker and compose do.</summary>
    private static List<V1EnvVar> UserEnv(AiImageSpec spec)
        => spec.Environment.Select(e => new V1EnvVar { Name = e.Name, Value = DeployValues.KubernetesLiteral(e.Value) }).ToList();

    /// <summary>A fresh dictionary per use: the selector and the pod labels must agree, but are separate objects.</summary>
    private static Dictionary<string, string> Labels(string name) => new() { [NameLabel] = name };

    /// <summary>The metadata every object shares: name, namespace, and the label selectors match on.</summary>
    private static V1ObjectMeta Metadata(AiImageSpec spec, DeploySpec deploy)
        => new() { Name = DeployValues.AppName(spec), NamespaceProperty = deploy.KubernetesNamespace, Labels = Labels(DeployValues.AppName(spec)) };

    private static string Header(AiImageSpec spec, params string[] notes)
        => string.Concat(new[] { $"Generated by AiContainers {spec.Metadata.GeneratorVersion} from {spec.ProjectName}. Do not edit; change the project and publish again." }
            .Concat(notes).Select(line => "# " + line + "\n"));

    /// <summary>The header comment, then the object as KubernetesClient writes it, with '\n' line ends whatever the OS and a final one.</summary>
    private static string Yaml(string header, object value)
    {
        var body = KubernetesYaml.Serialize(value).ReplaceLineEndings("\n");
        return header + (body.EndsWith('\n') ? body : body + "\n");
    }

    /// <summary>What the old inline comment on the dshm volume said, for the pod-bearing files that have one.</summary>
    private static string[] ShmNote(AiImageSpec spec) => spec.Gpu.ShmSize is null
        ? Array.Empty<string>()
        : new[] { "Volume dshm: /dev/shm is 64Mi in a pod unless a memory-backed emptyDir replaces it (AiShmSize)." };

    /// <summary>
    /// kubeflow.org/v1 PyTorchJob, the fields the generator writes. KubernetesClient has no model for CRDs, but its
    /// serializer takes any object (camelCase names, nulls left out), so this class gets the same quoting as the rest.
    /// </summary>
    // Plain classes, not positional records: the serializer writes properties in declaration order, and
    // apiVersion, kind, metadata, spec is the order every other manifest has.
    private sealed class KubeflowPyTorchJob
    {
        public string ApiVersion { get; } = "kubeflow.org/v1";
        public string Kind { get; } = "PyTorchJob";
        public required V1ObjectMeta Metadata { get; init; }
        public required KubeflowPyTorchJobSpec Spec { get; init; }
    }

    private sealed class KubeflowPyTorchJobSpec
    {
        public required KubeflowRunPolicy RunPolicy { get; init; }
        public required Dictionary<string, KubeflowReplicaSpec> PytorchReplicaSpecs { get; init; }
    }

    private sealed class KubeflowRunPolicy
    {
        public int BackoffLimit { get; init; }
    }

    private sealed class KubeflowReplicaSpec
    {
        public int Replicas { get; init; }
        public required string RestartPolicy { get; init; }
        public required V1PodTemplateSpec Template { get; init; }
    }
}
