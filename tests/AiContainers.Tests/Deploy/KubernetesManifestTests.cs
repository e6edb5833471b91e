using AiContainers.Core.Deploy;
using k8s;
using k8s.Models;

namespace AiContainers.Tests.Deploy;

/// <summary>Every manifest deserializes strictly (an unknown or misspelt field fails) into its typed model; values are asserted there.</summary>
[TestClass]
public sealed class KubernetesManifestTests
{
    [TestMethod]
    [DynamicData(nameof(DeployCases.Names), typeof(DeployCases))]
    public void Every_manifest_deserializes_strictly_into_its_kind(string caseName)
    {
        var manifests = DeployCases.Files(caseName).Where(f => f.RelativePath.StartsWith("k8s/", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(manifests.Count > 0);
        foreach (var file in manifests)
        {
            foreach (var document in Documents(file.Content))
            {
                var kind = KubernetesYaml.Deserialize<KubernetesObject>(document).Kind;
                IKubernetesObject<V1ObjectMeta> typed = kind switch
                {
                    "Deployment" => KubernetesYaml.Deserialize<V1Deployment>(document, strict: true),
                    "Service" => KubernetesYaml.Deserialize<V1Service>(document, strict: true),
                    "Job" => KubernetesYaml.Deserialize<V1Job>(document, strict: true),
                    "PyTorchJob" => KubernetesYaml.Deserialize<PyTorchJob>(document, strict: true),
                    _ => throw new AssertFailedException($"{file.RelativePath}: unexpected kind {kind}"),
                };
                Assert.AreEqual(DeployValues.AppName(DeployCases.Case(caseName).Spec), typed.Metadata.Name, file.RelativePath);
            }
        }
    }

    [TestMethod]
    public void Strict_mode_really_rejects_an_unknown_field()
    {
        var yaml = DeployCases.File("service-all-gpus", "k8s/deployment.yaml").Replace("  replicas: 1", "  replicas: 1\n  replicaz: 1");
        Assert.ThrowsExactly<YamlDotNet.Core.YamlException>(() => KubernetesYaml.Deserialize<V1Deployment>(yaml, strict: true));
        var job = DeployCases.File("training", "k8s/kubeflow/pytorchjob.yaml").Replace("  runPolicy:", "  runPolicyy:");
        Assert.ThrowsExactly<YamlDotNet.Core.YamlException>(() => KubernetesYaml.Deserialize<PyTorchJob>(job, strict: true));
    }

    [TestMethod]
    public void Service_deployment_asks_for_gpus_probes_and_runs_as_the_image_user()
    {
        var deployment = Deployment("service-all-gpus");
        Assert.AreEqual(1, deployment.Spec.Replicas);
        var pod = deployment.Spec.Template.Spec;
        var container = pod.Containers.Single();
        Assert.AreEqual("acme/demo:latest", container.Image);
        Assert.AreEqual("1", container.Resources.Limits["nvidia.com/gpu"].ToString(), "AiGpuCount=all has no Kubernetes form; one GPU per pod");
        Assert.IsNull(container.Env.SingleOrDefault(e => e.Name == "NVIDIA_VISIBLE_DEVICES"), "the device plugin picks the GPUs");
        Assert.AreEqual("info", container.Env.Single(e => e.Name == "LOG_LEVEL").Value);
        Assert.AreEqual(8080, container.Ports.Single().ContainerPort);
        foreach (var probe in new[] { container.LivenessProbe, container.ReadinessProbe })
        {
            Assert.AreEqual("/health", probe.HttpGet.Path);
            Assert.AreEqual("8080", probe.HttpGet.Port.Value);
            Assert.AreEqual(30, probe.PeriodSeconds);
            Assert.AreEqual(5, probe.TimeoutSeconds);
            Assert.AreEqual(15, probe.InitialDelaySeconds);
            Assert.AreEqual(3, probe.FailureThreshold);
        }
        Assert.IsTrue(pod.SecurityContext.RunAsNonRoot);
        Assert.AreEqual(1654L, pod.SecurityContext.RunAsUser);
        Assert.AreEqual(1654L, pod.SecurityContext.RunAsGroup);
        Assert.IsNull(pod.Volumes, "no AiShmSize, no /dev/shm volume");

        var service = KubernetesYaml.Deserialize<V1Service>(DeployCases.File("service-all-gpus", "k8s/service.yaml"), strict: true);
        Assert.AreEqual("demo", service.Spec.Selector["app.kubernetes.io/name"]);
        CollectionAssert.AreEqual(deployment.Spec.Selector.MatchLabels.ToList(), deployment.Spec.Template.Metadata.Labels.ToList());
        Assert.AreEqual(8080, service.Spec.Ports.Single().Port);
    }

    [TestMethod]
    public void Devices_shm_limits_volumes_and_namespace_reach_the_pod()
    {
        var deployment = Deployment("devices-limits");
        Assert.AreEqual("ml-serving", deployment.Metadata.NamespaceProperty);
        Assert.AreEqual(2, deployment.Spec.Replicas);
        var pod = deployment.Spec.Template.Spec;
        var container = pod.Containers.Single();
        Assert.AreEqual("ghcr.io/acme/demo:1.2.0", container.Image);
        Assert.AreEqual("2", container.Resources.Limits["nvidia.com/gpu"].ToString(), "two listed devices, two GPUs");
        Assert.AreEqual("4", container.Resources.Limits["cpu"].ToString());
        Assert.AreEqual("16Gi", container.Resources.Limits["memory"].ToString());
        Assert.AreEqual("16Gi", container.Resources.Requests["memory"].ToString());
        Assert.AreEqual(16L * 1024 * 1024 * 1024, container.Resources.Limits["memory"].ToInt64());
        Assert.IsFalse(container.Resources.Requests.ContainsKey("nvidia.com/gpu"));

        var shm = pod.Volumes.Single(v => v.Name == container.VolumeMounts.Single(m => m.MountPath == "/dev/shm").Name);
        Assert.AreEqual("Memory", shm.EmptyDir.Medium);
        Assert.AreEqual("2Gi", shm.EmptyDir.SizeLimit.ToString());
        var models = container.VolumeMounts.Single(m => m.MountPath == "/models");
        Assert.IsTrue(models.ReadOnlyProperty);
        Assert.AreEqual("/srv/models", pod.Volumes.Single(v => v.Name == models.Name).HostPath.Path);
        var cache = container.VolumeMounts.Single(m => m.MountPath == "/home/app/.cache/huggingface");
        Assert.AreEqual("hf-cache", pod.Volumes.Single(v => v.Name == cache.Name).PersistentVolumeClaim.ClaimName);

        Assert.AreEqual(DeployCases.AwkwardValue.Replace("$", "$$"), container.Env.Single(e => e.Name == "GREETING").Value, "'$' doubled so the kubelet does not expand it");
        Assert.AreEqual(10, container.LivenessProbe.PeriodSeconds);
        Assert.AreEqual(60, container.LivenessProbe.InitialDelaySeconds);
        CollectionAssert.AreEquivalent(new[] { 8080, 5353, 9100 }, container.Ports.Select(p => p.ContainerPort).ToList());
        Assert.AreEqual("UDP", container.Ports.Single(p => p.ContainerPort == 5353).Protocol);
        Assert.AreEqual("9100", deployment.Spec.Template.Metadata.Annotations["prometheus.io/port"]);
    }

    [TestMethod]
    public void Cpu_only_pod_has_no_gpu_and_guaranteed_requests()
    {
        var container = Deployment("cpu-only").Spec.Template.Spec.Containers.Single();
        Assert.IsFalse(container.Resources.Limits.ContainsKey("nvidia.com/gpu"));
        Assert.AreEqual(1.5m, container.Resources.Limits["cpu"].ToDecimal());
        Assert.AreEqual(1.5m, container.Resources.Requests["cpu"].ToDecimal());
        Assert.AreEqual("512Mi", container.Resources.Limits["memory"].ToString());
    }

    [TestMethod]
    public void Training_is_an_indexed_job_with_rank_from_the_completion_index_and_torchrun()
    {
        var job = KubernetesYaml.Deserialize<V1Job>(DeployCases.File("training", "k8s/job.yaml"), strict: true);
        Assert.AreEqual("Indexed", job.Spec.CompletionMode);
        Assert.AreEqual(2, job.Spec.Completions);
        Assert.AreEqual(2, job.Spec.Parallelism);
        var pod = job.Spec.Template.Spec;
        Assert.AreEqual("Never", pod.RestartPolicy);
        Assert.AreEqual("trainer", pod.Subdomain);
        var container = pod.Containers.Single();
        var env = container.Env.ToDictionary(e => e.Name);
        Assert.AreEqual("trainer-0.trainer", env["MASTER_ADDR"].Value);
        Assert.AreEqual("29500", env["MASTER_PORT"].Value);
        Assert.AreEqual("2", env["WORLD_SIZE"].Value);
        Assert.AreEqual("metadata.annotations['batch.kubernetes.io/job-completion-index']", env["RANK"].ValueFrom.FieldRef.FieldPath);
        CollectionAssert.AreEqual(new[]
        {
            "torchrun", "--nnodes", "2", "--nproc-per-node", "4", "--node-rank", "$(RANK)",
            "--master-addr", "$(MASTER_ADDR)", "--master-port", "$(MASTER_PORT)",
            "train.py", "--epochs", "3", "--out", "/data/run 1",
        }, container.Command.ToList());
        Assert.AreEqual("4", container.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.AreEqual("16Gi", pod.Volumes.Single(v => v.EmptyDir is not null).EmptyDir.SizeLimit.ToString());
        Assert.AreEqual("datasets", pod.Volumes.Single(v => v.PersistentVolumeClaim is not null).PersistentVolumeClaim.ClaimName);
        Assert.IsNull(container.LivenessProbe);

        var headless = KubernetesYaml.Deserialize<V1Service>(DeployCases.File("training", "k8s/headless-service.yaml"), strict: true);
        Assert.AreEqual("None", headless.Spec.ClusterIP);
        Assert.AreEqual(pod.Subdomain, headless.Metadata.Name, "indexed pods resolve as <job>-<index>.<subdomain>");
        Assert.AreEqual(job.Spec.Template.Metadata.Labels["app.kubernetes.io/name"], headless.Spec.Selector["app.kubernetes.io/name"]);
        Assert.AreEqual(29500, headless.Spec.Ports.Single().Port);
    }

    [TestMethod]
    public void Kubeflow_pytorchjob_has_a_master_and_workers_running_torchrun_in_the_pytorch_container()
    {
        var job = KubernetesYaml.Deserialize<PyTorchJob>(DeployCases.File("training", "k8s/kubeflow/pytorchjob.yaml"), strict: true);
        Assert.AreEqual("kubeflow.org/v1", job.ApiVersion);
        Assert.AreEqual("PyTorchJob", job.Kind);
        Assert.AreEqual(1, job.Spec.PytorchReplicaSpecs["Master"].Replicas);
        Assert.AreEqual(1, job.Spec.PytorchReplicaSpecs["Worker"].Replicas, "2 nodes: the master and one worker");
        foreach (var replica in job.Spec.PytorchReplicaSpecs.Values)
        {
            var container = replica.Template.Spec.Containers.Single();
            Assert.AreEqual("pytorch", container.Name, "the operator only wires up the container named pytorch");
            Assert.AreEqual(29500, container.Ports.Single(p => p.Name == "pytorchjob-port").ContainerPort);
            Assert.AreEqual("torchrun", container.Command[0]);
            Assert.AreEqual("4", container.Command[container.Command.IndexOf("--nproc-per-node") + 1]);
            Assert.AreEqual("4", container.Resources.Limits["nvidia.com/gpu"].ToString());
        }
    }

    [TestMethod]
    public void A_single_node_pytorchjob_has_no_workers()
    {
        var (spec, deploy, _) = DeployCases.Map(DeployCases.All["training"]().Set("AiDistributedNodes", "1"));
        var job = KubernetesYaml.Deserialize<PyTorchJob>(KubernetesGenerator.PyTorchJob(spec, deploy), strict: true);
        CollectionAssert.AreEqual(new[] { "Master" }, job.Spec.PytorchReplicaSpecs.Keys.ToList());
    }

    /// <summary>Values YAML would misread if written bare: each must reach the typed model unchanged (with '$' doubled for the kubelet).</summary>
    public static readonly string[] YamlHostileValues =
    {
        "a: b", "# not a comment", "- a list?", "-leading-dash", "it's \"quoted\"", "'single'", "\"double\"", "日本語 ✓ émoji 😀",
        "yes", "No", "on", "true", "null", "~", "0755", "0x1F", "1e3", "8080:8080", "12:30:00", "inner  spaces", "",
        "@at", "`tick", "*star", "&anchor", "!tag", "%percent", "|pipe", ">fold", "{brace}", "[bracket]", "a, b", "back\\slash", "$HOME $(VAR)",
        "---", "...", "key: value # comment",
    };

    [TestMethod]
    public void Values_that_yaml_would_misread_round_trip_exactly()
    {
        var input = DeployCases.All["devices-limits"]();
        for (var i = 0; i < YamlHostileValues.Length; i++) input.Add("ContainerEnvironmentVariable", $"V{i}", ("Value", YamlHostileValues[i]));
        // Volume paths cannot hold ':' (docker's separator), but everything else YAML cares about.
        input.Add("AiVolume", "/srv/a #c - 'd'", ("ContainerPath", "/mnt/- x 'y' \"z\" ü"));
        var (spec, deploy, _) = DeployCases.Map(input);
        var yaml = KubernetesGenerator.Deployment(spec, deploy);
        var pod = KubernetesYaml.Deserialize<V1Deployment>(yaml, strict: true).Spec.Template.Spec;
        var env = pod.Containers.Single().Env.ToDictionary(e => e.Name, e => e.Value);
        for (var i = 0; i < YamlHostileValues.Length; i++)
            Assert.AreEqual(DeployValues.KubernetesLiteral(YamlHostileValues[i]), env[$"V{i}"], $"value {i}: {YamlHostileValues[i]}\n{yaml}");
        var mount = pod.Containers.Single().VolumeMounts.Single(m => m.MountPath.StartsWith("/mnt/", StringComparison.Ordinal));
        Assert.AreEqual("/mnt/- x 'y' \"z\" ü", mount.MountPath);
        Assert.AreEqual("/srv/a #c - 'd'", pod.Volumes.Single(v => v.Name == mount.Name).HostPath.Path);
    }

    [TestMethod]
    public void Training_command_words_round_trip_exactly()
    {
        var input = DeployCases.All["training"]().Set("AiCommand", "python train.py --note 'a: b # c' --tag '- x' --dollar '$(HOME)' --text 'ünï'");
        var (spec, deploy, _) = DeployCases.Map(input);
        foreach (var yaml in new[] { KubernetesGenerator.TrainingJob(spec, deploy), KubernetesGenerator.PyTorchJob(spec, deploy) })
        {
            var container = yaml.Contains("kind: PyTorchJob", StringComparison.Ordinal)
                ? KubernetesYaml.Deserialize<PyTorchJob>(yaml, strict: true).Spec.PytorchReplicaSpecs["Master"].Template.Spec.Containers.Single()
                : KubernetesYaml.Deserialize<V1Job>(yaml, strict: true).Spec.Template.Spec.Containers.Single();
            CollectionAssert.AreEqual(new[] { "train.py", "--note", "a: b # c", "--tag", "- x", "--dollar", "$$(HOME)", "--text", "ünï" },
                container.Command.SkipWhile(w => w != "train.py").ToList(), yaml);
        }
    }

    [TestMethod]
    [DynamicData(nameof(DeployCases.Names), typeof(DeployCases))]
    public void Same_spec_gives_byte_identical_manifests(string caseName)
    {
        var first = DeployCases.Files(caseName).Where(f => f.RelativePath.StartsWith("k8s/", StringComparison.Ordinal)).ToList();
        var second = DeployCases.Files(caseName).Where(f => f.RelativePath.StartsWith("k8s/", StringComparison.Ordinal)).ToList();
        CollectionAssert.AreEqual(first.Select(f => f.RelativePath).ToList(), second.Select(f => f.RelativePath).ToList());
        for (var i = 0; i < first.Count; i++)
        {
            Assert.AreEqual(first[i].Content, second[i].Content, first[i].RelativePath);
            Assert.IsFalse(first[i].Content.Contains('\r'), "LF line ends on every OS");
            StringAssert.StartsWith(first[i].Content, "# Generated by AiContainers ");
        }
    }

    private static V1Deployment Deployment(string caseName)
        => KubernetesYaml.Deserialize<V1Deployment>(DeployCases.File(caseName, "k8s/deployment.yaml"), strict: true);

    private static IEnumerable<string> Documents(string yaml)
        => yaml.Split("\n---\n").Where(d => d.Split('\n').Any(l => l.Length > 0 && !l.StartsWith('#')));

    /// <summary>The fields of kubeflow.org/v1 PyTorchJob the generator writes; strict mode turns any other field into an error.</summary>
    public sealed class PyTorchJob : IKubernetesObject<V1ObjectMeta>
    {
        public string ApiVersion { get; set; } = "";
        public string Kind { get; set; } = "";
        public V1ObjectMeta Metadata { get; set; } = new();
        public PyTorchJobSpec Spec { get; set; } = new();
    }

    public sealed class PyTorchJobSpec
    {
        public RunPolicy? RunPolicy { get; set; }
        public Dictionary<string, ReplicaSpec> PytorchReplicaSpecs { get; set; } = new();
    }

    public sealed class RunPolicy
    {
        public int? BackoffLimit { get; set; }
    }

    public sealed class ReplicaSpec
    {
        public int Replicas { get; set; }
        public string RestartPolicy { get; set; } = "";
        public V1PodTemplateSpec Template { get; set; } = new();
    }
}
