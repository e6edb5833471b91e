using AiContainers.Core.Generation;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Core;

[TestClass]
public sealed class DockerfileGoldenTests
{
    /// <summary>Each case is a spec permutation; its Dockerfile is compared with Golden/&lt;case&gt;/Dockerfile.</summary>
    public static IEnumerable<object[]> Cases()
    {
        yield return Case("cpu-default", i => i.Set("AiGpu", "false"));
        yield return Case("cuda-default-version", i => i);
        yield return Case("cuda-base-flavor", i => i.Set("AiCudaVersion", "12.4").Set("AiCudaFlavor", "base"));
        yield return Case("cuda-runtime-cudnn9", i => i.Set("AiCudaVersion", "12.4").Set("AiCudnnVersion", "9"));
        yield return Case("cuda-devel-cudnn8", i => i.Set("AiCudaVersion", "11.8").Set("AiCudnnVersion", "8").Set("AiCudaFlavor", "devel"));
        yield return Case("cuda13-ubuntu22", i => i.Set("AiCudaVersion", "13.0.1").Set("AiBaseOs", "ubuntu22.04"));
        yield return Case("explicit-cuda-base", i => i.Set("AiBaseImage", "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04"));
        yield return Case("explicit-pytorch-base", i => i.Set("AiBaseImage", "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"));
        // What restore resolved (project.assets.json), as the task hands it over.
        yield return Case("inferred-from-onnxruntime-gpu", i => i
            .Set("_AiProjectAssetsFile", "/src/demo/obj/project.assets.json")
            .SetFileText("_AiProjectAssetsFile", """{"version":3,"libraries":{"Microsoft.ML.OnnxRuntime.Gpu.Linux/1.20.1":{"type":"package"}}}"""));
        yield return Case("explicit-cpu-base-digest", i => i.Set("AiGpu", "false")
            .Set("AiBaseImage", "registry.example.com/base/debian@sha256:" + new string('a', 64)));
        yield return Case("ports-env-health", i => i.Set("AiCudaVersion", "12.6")
            .Add("ContainerPort", "8080").Add("ContainerPort", "9090").Add("ContainerPort", "5353", ("Type", "udp"))
            .Add("ContainerEnvironmentVariable", "LOG_LEVEL", ("Value", "info"))
            .Add("ContainerEnvironmentVariable", "GREETING", ("Value", "say \"hi\" for $5"))
            .Set("AiHealthCheckPath", "/health").Set("AiHealthCheckInterval", "10s").Set("AiHealthCheckRetries", "5"));
        yield return Case("framework-dependent", i => i.Set("SelfContained", "false").Set("AiCudaVersion", "12.4")
            .Add("ContainerPort", "8080").Set("AiHealthCheckPath", "/healthz"));
        yield return Case("framework-dependent-console", i => i.Set("SelfContained", "false").Set("UsingMicrosoftNETSdkWeb", "false").Set("AiGpu", "false"));
        yield return Case("mirror", i => i.Set("AiCudaVersion", "12.4").Set("AiCudnnVersion", "9").Set("SelfContained", "false")
            .Set("AiRegistryMirror", "docker.io=127.0.0.1:5000/standin;mcr.microsoft.com=127.0.0.1:5000/standin/mcr.microsoft.com"));
        yield return Case("packages-commands-user", i => i.Set("AiGpu", "false").Set("AiBaseOs", "ubuntu22.04")
            .Add("AiSystemPackages", "libgomp1;libicu70").Add("AiSystemPackages", "ca-certificates")
            .Add("AiRunCommand", "mkdir -p /data && chown 1000:1000 /data")
            .Set("ContainerUser", "1000:1000").Set("InvariantGlobalization", "false").Set("ContainerWorkingDirectory", "/srv/demo"));
        yield return Case("gpu-settings-labels", i => i.Set("AiCudaVersion", "12.8").Set("AiGpuDevices", "0,1")
            .Set("AiGpuCapabilities", "compute,utility,video").Set("AiShmSize", "2g").Set("AiMemoryLimit", "16g").Set("AiCpuLimit", "4")
            .Set("AiMinDriverVersion", "550.54.15").Set("RepositoryUrl", "https://github.com/acme/demo").Set("SourceRevisionId", "0123abcd")
            .Set("Description", "Demo service").Set("PackageLicenseExpression", "MIT")
            .Add("ContainerLabel", "com.acme.team", ("Value", "vision"))
            .SetEnvironment("SOURCE_DATE_EPOCH", "1700000000"));
        yield return Case("command-override", i => i.Set("AiGpu", "false").Set("AiCommand", "/app/Demo --mode 'batch job'"));
    }

    private static object[] Case(string name, Func<ProjectInputs, ProjectInputs> configure) => new object[] { name, configure };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Dockerfile_matches_golden(string name, Func<ProjectInputs, ProjectInputs> configure)
    {
        var spec = Inputs.Spec(configure(Inputs.WebApp()));
        var generated = DockerfileGenerator.Generate(spec);
        Golden.Assert(name, "Dockerfile", generated.Text);
    }

    /// <summary>Determinism across separate publishes is checked end to end (ReproducibleOutputTests); this is the spec.json hand-over between tasks.</summary>
    [TestMethod]
    public void The_spec_survives_its_json_hand_over_between_tasks()
    {
        var spec = Inputs.Spec(Inputs.WebApp().Set("AiCudaVersion", "12.4").Add("ContainerPort", "8080").Set("AiHealthCheckPath", "/health"));
        var roundTripped = AiImageSpecJson.Deserialize(AiImageSpecJson.Serialize(spec));
        Assert.AreEqual(DockerfileGenerator.Generate(spec).Text, DockerfileGenerator.Generate(roundTripped).Text);
    }

    [TestMethod]
    public void Generated_dockerfiles_follow_hygiene_rules()
    {
        foreach (var c in Cases())
        {
            var text = DockerfileGenerator.Generate(Inputs.Spec(((Func<ProjectInputs, ProjectInputs>)c[1])(Inputs.WebApp()))).Text;
            var name = (string)c[0];
            Assert.IsFalse(text.Contains(":latest"), $"{name}: no latest tags");
            Assert.IsFalse(System.Text.RegularExpressions.Regex.IsMatch(text, @"^ADD ", System.Text.RegularExpressions.RegexOptions.Multiline), $"{name}: COPY, not ADD");
            StringAssert.Matches(text, new System.Text.RegularExpressions.Regex(@"^ENTRYPOINT \[", System.Text.RegularExpressions.RegexOptions.Multiline), $"{name}: exec-form ENTRYPOINT");
            StringAssert.Matches(text, new System.Text.RegularExpressions.Regex(@"^WORKDIR /", System.Text.RegularExpressions.RegexOptions.Multiline), $"{name}: absolute WORKDIR");
            StringAssert.Matches(text, new System.Text.RegularExpressions.Regex(@"^USER (?!root|0\b)", System.Text.RegularExpressions.RegexOptions.Multiline), $"{name}: non-root USER");
            Assert.IsFalse(text.Contains("--mount") || text.Contains("--link"), $"{name}: must build on the classic builder");
            if (text.Contains("apt-get install"))
            {
                StringAssert.Contains(text, "rm -rf /var/lib/apt/lists/*", $"{name}: apt lists cleaned in the same RUN");
                Assert.AreEqual(1, System.Text.RegularExpressions.Regex.Matches(text, "apt-get update").Count, $"{name}: one apt RUN");
            }
            Assert.IsFalse(text.Contains('\r') || text.Contains('\t'), $"{name}: LF and spaces only");
        }
    }
}
