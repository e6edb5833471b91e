using AiContainers.Core.Generation;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Python;

[TestClass]
public sealed class PythonGoldenTests
{
    /// <summary>Python and model-server variants; each Dockerfile is compared with Golden/&lt;case&gt;/Dockerfile.</summary>
    public static IEnumerable<object[]> Cases()
    {
        yield return Case("python-classic-training", () => PythonInputs.ClassicTraining());
        yield return Case("python-cpu-wheels-packages", () => PythonInputs.Standalone().Set("AiGpu", "false").Set("AiBaseOs", "ubuntu22.04")
            .Set("AiPythonRequirements", "requirements/prod.txt").Set("AiPythonWheelDirectory", "wheels")
            .Set("AiPythonSystemSitePackages", "true").Set("AiCommand", "python -m trainer --epochs 3")
            .Add("AiPythonPackages", "numpy==1.26.4").Add("AiPythonPackages", "rich[jupyter]>=13,<14")
            .Add("AiPythonBuildPackages", "build-essential;python3-dev")
            .Add("AiSystemPackages", "python3-numpy").Add("AiRunCommand", "mkdir -p /data && chown 1654:1654 /data")
            .Set("ContainerWorkingDirectory", "/srv/trainer"));
        yield return Case("python-base-image", () => PythonInputs.Standalone().Set("AiGpu", "false").Set("AiBaseImage", "python:3.11-slim-bookworm")
            .Set("AiPythonVersion", "3.11").Add("AiPythonPackages", "requests==2.32.3").Set("AiCommand", "python serve.py")
            .Add("ContainerPort", "8000").Set("AiHealthCheckPath", "/health"));
        yield return Case("python-mirror-no-version", () => PythonInputs.Standalone().Set("AiCudaVersion", "12.4").Set("AiCudnnVersion", "9")
            .Set("AiCommand", "python3 train.py").Set("AiRegistryMirror", "docker.io=127.0.0.1:5000/standin"));
        // The CPU TorchServe and TF Serving images are the samples' goldens (serving-sample-*), written by a
        // real `dotnet publish` in PythonServingEndToEndTests; an in-process copy differed only in names.
        yield return Case("serving-torchserve-gpu-config", () => PythonInputs.TorchServe().Set("AiGpu", "true")
            .Set("AiTorchServeConfig", "config.properties").Add("AiServedModel", "model-store/resnet18.mar", ("Name", "resnet"))
            .Add("ContainerEnvironmentVariable", "TS_LOG_LEVEL", ("Value", "INFO")));
        yield return Case("serving-tfserving-gpu-multi", () => PythonInputs.TfServing().Set("AiGpu", "true")
            .Add("AiServedModel", "export/resnet", ("Name", "resnet"))
            .Set("AiRegistryMirror", "docker.io=127.0.0.1:5000/standin"));
    }

    private static object[] Case(string name, Func<ProjectInputs> inputs) => new object[] { name, inputs };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Dockerfile_matches_golden(string name, Func<ProjectInputs> inputs)
    {
        var generated = DockerfileGenerator.Generate(Inputs.Spec(inputs()));
        Assert.AreEqual(0, generated.Diagnostics.Count, string.Join("\n", generated.Diagnostics));
        Golden.Assert(name, "Dockerfile", generated.Text);
    }

    [TestMethod]
    public void Generated_dockerfiles_follow_hygiene_rules()
    {
        foreach (var c in Cases())
        {
            var name = (string)c[0];
            var text = DockerfileGenerator.Generate(Inputs.Spec(((Func<ProjectInputs>)c[1])())).Text;
            Assert.IsFalse(text.Contains(":latest"), $"{name}: no latest tags");
            Assert.IsFalse(System.Text.RegularExpressions.Regex.IsMatch(text, "^ADD ", System.Text.RegularExpressions.RegexOptions.Multiline), $"{name}: COPY, not ADD");
            StringAssert.Matches(text, new System.Text.RegularExpressions.Regex(@"^(ENTRYPOINT|CMD) \[""", System.Text.RegularExpressions.RegexOptions.Multiline), $"{name}: exec form");
            StringAssert.Matches(text, new System.Text.RegularExpressions.Regex(@"^USER (?!root|0\b)", System.Text.RegularExpressions.RegexOptions.Multiline), $"{name}: non-root USER");
            Assert.IsFalse(text.Contains("--mount") || text.Contains("--link"), $"{name}: must build on the classic builder");
            // Every stage cleans its apt lists in the RUN that fills them, and runs apt once at most.
            foreach (var stage in text.Split("\nFROM ").Skip(1))
            {
                var updates = System.Text.RegularExpressions.Regex.Matches(stage, "apt-get update").Count;
                Assert.IsTrue(updates <= 1, $"{name}: one apt RUN per stage");
                if (updates == 1) StringAssert.Contains(stage, "rm -rf /var/lib/apt/lists/*", $"{name}: apt lists cleaned");
            }
            if (text.Contains("AS python-builder"))
            {
                // The cache order the issue asks for: requirements installed before the app is copied.
                var pip = text.IndexOf("/bin/pip install", StringComparison.Ordinal);
                var app = text.IndexOf("COPY app/", StringComparison.Ordinal);
                Assert.IsTrue(app > 0 && (pip < 0 || pip < app), $"{name}: pip install comes before the app copy");
                StringAssert.Contains(text, "COPY --from=python-builder /opt/venv /opt/venv", name);
                if (pip > 0) StringAssert.Contains(text, "--no-cache-dir", name);
            }
        }
    }

    [TestMethod]
    public void Python_command_is_the_cmd_and_keeps_the_base_entrypoint()
    {
        var text = DockerfileGenerator.Generate(Inputs.Spec(PythonInputs.ClassicTraining())).Text;
        StringAssert.Contains(text, "CMD [\"python\",\"train.py\"]");
        Assert.IsFalse(text.Contains("ENTRYPOINT"), "the base's entrypoint (nvidia_entrypoint.sh) wraps the command, as in the hand-written image");
    }

    [TestMethod]
    public void Version_check_carries_the_coded_message()
    {
        var text = DockerfileGenerator.Generate(Inputs.Spec(PythonInputs.ClassicTraining())).Text;
        StringAssert.Contains(text, "RUN python3 -c 'import sys; v = \"%d.%d\" % sys.version_info[:2]; sys.exit(0 if v == \"3.10\" else f\"AIC2101: python3 in the base image is {v}, but AiPythonVersion is 3.10.");
    }

    [TestMethod]
    public void Python_images_find_hf_models_offline()
    {
        // What WeightsImagePlan.For gives for an hf:// model in the hf-cache layout (see the weights tests).
        var weights = new AiContainers.Core.Weights.WeightsImagePlan("localhost/aicontainers/weights:0123456789abcdef0123456789abcdef", "sha256:" + new string('0', 64),
            new[] { "/models/hf" },
            new[] { new NameValue("AI_MODEL_BERT_PATH", "/models/hf/hub/models--google-bert--bert-base-uncased/snapshots/86b5"), new NameValue("HF_HOME", "/models/hf"), new NameValue("HF_HUB_OFFLINE", "1") },
            Array.Empty<NameValue>());
        var text = DockerfileGenerator.Generate(Inputs.Spec(PythonInputs.ClassicTraining()), weights).Text;
        StringAssert.Contains(text, "FROM localhost/aicontainers/weights:0123456789abcdef0123456789abcdef AS weights");
        StringAssert.Contains(text, "COPY --from=weights /models/hf /models/hf");
        StringAssert.Contains(text, "HF_HOME=\"/models/hf\"");
        StringAssert.Contains(text, "HF_HUB_OFFLINE=\"1\"");
        Assert.IsTrue(text.IndexOf("COPY --from=weights", StringComparison.Ordinal) < text.IndexOf("COPY app/", StringComparison.Ordinal), "weights before the app");
    }

    [TestMethod]
    public void Python_spec_survives_its_json_hand_over()
    {
        foreach (var c in Cases())
        {
            var spec = Inputs.Spec(((Func<ProjectInputs>)c[1])());
            var again = AiImageSpecJson.Deserialize(AiImageSpecJson.Serialize(spec));
            Assert.AreEqual(DockerfileGenerator.Generate(spec).Text, DockerfileGenerator.Generate(again).Text, (string)c[0]);
        }
    }
}
