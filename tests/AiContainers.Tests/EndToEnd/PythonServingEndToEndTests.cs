using System.Text.Json;
using AiContainers.Tests.Infrastructure;
using AiContainers.Tests.Python;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// Projects with no C# (<c>&lt;Project Sdk="AiContainers.Sdk/0.1.0"&gt;</c>): the Python training sample,
/// the classic CUDA training image, TorchServe and TensorFlow Serving, published with the packed SDK.
/// Bases are the stand-ins build/setup.sh pushes (Debian bookworm with the real images' contract, no
/// CUDA, python3 3.11, a stand-in torchserve / tensorflow_model_server), reached through AiRegistryMirror.
/// </summary>
[TestClass]
public sealed class PythonServingEndToEndTests
{
    private static readonly Dictionary<string, string?> NoEngine = new() { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" };

    private static string UniqueTag() => "e2e-" + Guid.NewGuid().ToString("N")[..10];

    private static string[] Common(params string[] more)
        => new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiBuildNetwork=host" }.Concat(more).ToArray();

    /// <summary>The sample's requirements install trainkit from wheels/ (PyPI is unreachable): build it from its source.</summary>
    private static SdkProject PythonSample()
    {
        var project = SdkProject.CopyOfSample("PythonTraining");
        PureWheel.Build(Path.Combine(project.Directory, "trainkit", "trainkit"), "trainkit", "0.1.0", Path.Combine(project.Directory, "wheels"));
        return project;
    }

    private static JsonElement Inspect(string image)
    {
        var result = EngineEnvironment.Docker("image", "inspect", image);
        Assert.AreEqual(0, result.ExitCode, result.Output);
        return JsonDocument.Parse(result.Output).RootElement[0];
    }

    private static string[] Strings(JsonElement element)
        => element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().Select(e => e.GetString()!).ToArray() : Array.Empty<string>();

    private static void AssertNoCompiledOutput(SdkProject project)
    {
        var compiled = new[] { "bin", "obj" }.Select(d => Path.Combine(project.Directory, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".dll") || f.EndsWith(".pdb") || f.EndsWith(".deps.json") || f.EndsWith(".runtimeconfig.json")).ToList();
        Assert.AreEqual(0, compiled.Count, "a project without C# compiles nothing: " + string.Join(", ", compiled));
    }

    [TestMethod]
    public void Samples_generate_their_golden_dockerfiles_without_compiling_anything()
    {
        foreach (var (name, golden) in new[] { ("PythonTraining", "python-sample-training"), ("TorchServe", "serving-sample-torchserve"), ("TfServing", "serving-sample-tfserving") })
        {
            var project = name == "PythonTraining" ? PythonSample() : SdkProject.CopyOfSample(name);
            var result = project.Publish(new[] { "AiImageBuilder=None" }, NoEngine);
            Assert.AreEqual(0, result.ExitCode, result.Output);
            var dockerfile = Path.Combine(project.OutputDirectory, "Dockerfile");
            Golden.Assert(golden, "Dockerfile", File.ReadAllText(dockerfile));
            DockerfileLinter.AssertClean(dockerfile);
            AssertNoCompiledOutput(project);
        }
    }

    [TestMethod]
    public void Standalone_project_restores_builds_and_publishes_without_compiling()
    {
        var project = SdkProject.CopyOfSample("TfServing");
        foreach (var verb in new[] { "restore", "build", "publish" })
        {
            var result = ProcessRunner.Run("dotnet", new[] { verb, project.ProjectFile, "-nologo", "-nodeReuse:false", "-v:n" }, project.Directory, new Dictionary<string, string?>
            {
                ["NUGET_PACKAGES"] = Path.Combine(TestPaths.RepoRoot, "artifacts", "nuget-packages"),
                ["MSBUILDTERMINALLOGGER"] = "off",
                ["DOCKER_HOST"] = NoEngine["DOCKER_HOST"],
            });
            Assert.AreEqual(0, result.ExitCode, result.Output);
            Assert.IsFalse(result.Output.Contains("CoreCompile:"), $"{verb}: no compile step");
            Assert.IsFalse(result.Output.Contains("Csc"), $"{verb}: the C# compiler never runs");
        }
        AssertNoCompiledOutput(project);
        Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "Dockerfile")), "without PublishAiImage the image steps stay off");
    }

    [TestMethod]
    public void Bad_mar_fails_the_publish_with_its_code_before_any_engine_call()
    {
        var project = SdkProject.CopyOfSample("TorchServe");
        File.WriteAllText(Path.Combine(project.Directory, "model-store", "echo.mar"), "a text file, not a zip");
        var result = project.Publish(environment: NoEngine);
        StringAssert.StartsWith(Diagnostics.AssertSingleError(result, "AIC2103", "AiServedModel").Text, "AiServedModel 'model-store/echo.mar' is not a TorchServe model archive: it is not a zip file");
        Diagnostics.AssertNone(result, "error AIC3", "validation happens before the engine is contacted");
        Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "Dockerfile")), "nothing is generated from invalid input");
    }

    [TestMethod]
    public void Python_sample_trains_in_its_image_writes_a_checkpoint_and_reuses_its_dependency_layers()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var image = $"samples/python-training:{tag}";
        var project = PythonSample();
        // The stand-in CUDA base is Debian bookworm: its python3 is 3.11 (the real ubuntu22.04 image has 3.10).
        var result = project.Publish(Common("ContainerImageTag=" + tag, "AiPythonVersion=3.11"));
        Assert.AreEqual(0, result.ExitCode, result.Output);
        // The SBOM lists what pip resolved in the venv (the builder stage's pip list, read from the image), the local wheel included.
        var sbomPath = Path.Combine(project.OutputDirectory, "sbom.cdx.json");
        var purls = JsonDocument.Parse(File.ReadAllText(sbomPath)).RootElement.GetProperty("components").EnumerateArray().Select(c => c.GetProperty("purl").GetString()).ToList();
        CollectionAssert.Contains(purls, "pkg:pypi/trainkit@0.1.0");
        Assert.IsTrue(purls.Any(p => p!.StartsWith("pkg:pypi/pip@", StringComparison.Ordinal)), string.Join(", ", purls));
        Assert.IsTrue(purls.Any(p => p!.StartsWith("pkg:deb/", StringComparison.Ordinal)), "the image's dpkg status is read too");
        Sbom.SbomSchema.AssertValid("1.5", sbomPath);
        var name = "aic-e2e-py-" + tag;
        try
        {
            var run = EngineEnvironment.Docker("run", "--name", name, "--network", "none", image);
            var metrics = TrainingCheckpoint.AssertWritten(name, run);
            var accuracyLine = run.Output.Split('\n').Single(l => l.StartsWith("test accuracy "));
            Assert.IsTrue(double.Parse(accuracyLine["test accuracy ".Length..], System.Globalization.CultureInfo.InvariantCulture) >= 0.9, run.Output);
            Assert.AreEqual("0.1.0", metrics.GetProperty("trainkit").GetString(), "trainkit came from the local wheel");
        }
        finally
        {
            EngineEnvironment.Docker("rm", "-f", name);
        }

        // The environment: trainkit in the venv, numpy from the OS, a non-root user, no pip cache.
        var probe = EngineEnvironment.Docker("run", "--rm", "--network", "none", image, "python", "-c",
            "import os, sys, numpy, trainkit; print(sys.prefix, trainkit.__file__, numpy.__file__, os.getuid(), os.path.exists(os.path.expanduser('~/.cache/pip')))");
        Assert.AreEqual(0, probe.ExitCode, probe.Output);
        var words = probe.Output.Trim().Split('\n').Last().Split(' ');
        Assert.AreEqual("/opt/venv", words[0]);
        StringAssert.StartsWith(words[1], "/opt/venv/lib/python3.11/site-packages/trainkit/");
        StringAssert.StartsWith(words[2], "/usr/lib/python3/dist-packages/numpy/");
        Assert.AreEqual("1654", words[3]);
        Assert.AreEqual("False", words[4]);
        var appFiles = EngineEnvironment.Docker("run", "--rm", "--network", "none", image, "ls", "-A", "/app");
        CollectionAssert.AreEquivalent(new[] { "requirements.txt", "train.py" }, appFiles.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            "the app is the project folder without the project and NuGet files, bin/, obj/, wheels/, trainkit/ and .dockerignore'd files");

        // A source change rebuilds only the app layer: every layer before it (apt, venv) is reused.
        var before = Strings(Inspect(image).GetProperty("RootFS").GetProperty("Layers"));
        File.AppendAllText(Path.Combine(project.Directory, "train.py"), $"# a code-only change {tag}\n");
        var again = project.Publish(Common("ContainerImageTag=" + tag, "AiPythonVersion=3.11"));
        Assert.AreEqual(0, again.ExitCode, again.Output);
        var after = Strings(Inspect(image).GetProperty("RootFS").GetProperty("Layers"));
        Assert.AreEqual(before.Length, after.Length);
        CollectionAssert.AreEqual(before[..^1], after[..^1], "the dependency layers are reused:\n" + string.Join("\n", before) + "\n--\n" + string.Join("\n", after) + "\n" + again.Output[Math.Max(0, again.Output.IndexOf("Step 1/", StringComparison.Ordinal))..]);
        Assert.AreNotEqual(before[^1], after[^1], "the app layer changed");
        EngineEnvironment.Docker("rmi", image);
    }

    [TestMethod]
    public void Python_version_mismatch_stops_the_build_with_its_code()
    {
        EngineEnvironment.Require();
        var project = PythonSample();
        // The sample says 3.10 (the real ubuntu22.04 python3); the Debian stand-in has 3.11.
        var result = project.Publish(Common("ContainerImageTag=" + UniqueTag()));
        // The interpreter check runs inside the image build, so AIC2101 reaches the user inside the failed step's AIC3002.
        StringAssert.Contains(Diagnostics.AssertSingleError(result, "AIC3002").Text, "\nAIC2101: python3 in the base image is 3.11, but AiPythonVersion is 3.10");
    }

    private const string ClassicDockerfile = """
        FROM {0}/nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04
        RUN apt-get update && apt-get install -y python3 python3-pip git
        WORKDIR /app
        COPY requirements.txt .
        RUN pip3 install --break-system-packages -r requirements.txt
        COPY . .
        ENV PYTHONPATH=/app
        ENV TORCH_HOME=/app/torch_cache
        EXPOSE 8000
        CMD ["python", "train.py"]
        """;

    [TestMethod]
    public void Classic_cuda_training_image_is_matched_and_bettered()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        const string requirements = "# PyPI is unreachable here; the image config is what is compared.\n";
        const string train = "print('training')\n";

        // The hand-written Dockerfile of the issue, on the same stand-in base. Two adaptations for
        // Debian bookworm: python3 (bookworm has no python3.10 package) and --break-system-packages (PEP 668).
        var classic = TestPaths.NewTempDirectory("classic");
        File.WriteAllText(Path.Combine(classic, "Dockerfile"), string.Format(ClassicDockerfile, EngineEnvironment.MirrorPrefix));
        File.WriteAllText(Path.Combine(classic, "requirements.txt"), requirements);
        File.WriteAllText(Path.Combine(classic, "train.py"), train);
        var classicImage = "e2e/classic-training:" + tag;
        var build = EngineEnvironment.Docker("build", "--network", "host", "-q", "-t", classicImage, classic);
        Assert.AreEqual(0, build.ExitCode, build.Output);

        var project = new SdkProject("ClassicTraining");
        project.Write("ClassicTraining.csproj", """
            <Project Sdk="AiContainers.Sdk/0.1.0">
              <PropertyGroup>
                <AiCudaVersion>11.8</AiCudaVersion>
                <AiCudnnVersion>8</AiCudnnVersion>
                <AiCudaFlavor>devel</AiCudaFlavor>
                <AiPythonVersion>3.11</AiPythonVersion>
                <AiPythonRequirements>requirements.txt</AiPythonRequirements>
                <AiCommand>python train.py</AiCommand>
                <ContainerRepository>e2e/classic-generated</ContainerRepository>
              </PropertyGroup>
              <ItemGroup>
                <AiSystemPackages Include="git" />
                <ContainerEnvironmentVariable Include="PYTHONPATH" Value="/app" />
                <ContainerEnvironmentVariable Include="TORCH_HOME" Value="/app/torch_cache" />
                <ContainerPort Include="8000" />
              </ItemGroup>
            </Project>
            """).Write("requirements.txt", requirements).Write("train.py", train);
        var result = project.Publish(Common("ContainerImageTag=" + tag));
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var generatedImage = "e2e/classic-generated:" + tag;

        var theirs = Inspect(classicImage);
        var ours = Inspect(generatedImage);
        var theirConfig = theirs.GetProperty("Config");
        var ourConfig = ours.GetProperty("Config");

        // Matches: every variable of the hand-written image with its value (PATH gains the venv in front), workdir, ports, command.
        var ourEnv = Strings(ourConfig.GetProperty("Env")).Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        foreach (var pair in Strings(theirConfig.GetProperty("Env")).Select(e => e.Split('=', 2)))
        {
            Assert.IsTrue(ourEnv.TryGetValue(pair[0], out var value), $"{pair[0]} is missing from the generated image");
            Assert.AreEqual(pair[0] == "PATH" ? "/opt/venv/bin:" + pair[1] : pair[1], value, pair[0]);
        }
        // Bettered here: the classic image runs in its root-owned code folder, where train.py cannot save model.pth; ours runs
        // in /workspace, owned by the user, with links to the read-only code in /app (RuntimeWritesEndToEndTests proves it).
        Assert.AreEqual("/app", theirConfig.GetProperty("WorkingDir").GetString());
        Assert.AreEqual("/workspace", ourConfig.GetProperty("WorkingDir").GetString());
        CollectionAssert.AreEqual(theirConfig.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).ToArray(),
            ourConfig.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).ToArray());
        CollectionAssert.AreEqual(Strings(theirConfig.GetProperty("Entrypoint")), Strings(ourConfig.GetProperty("Entrypoint")), "the base's nvidia_entrypoint.sh wraps both");
        CollectionAssert.AreEqual(new[] { "python", "train.py" }, Strings(ourConfig.GetProperty("Cmd")));
        CollectionAssert.AreEqual(Strings(theirConfig.GetProperty("Cmd")), Strings(ourConfig.GetProperty("Cmd")));

        // Better: a non-root user, no apt lists, a smaller image; and `python` exists (the hand-written one has only python3).
        Assert.AreEqual("", theirConfig.GetProperty("User").GetString(), "the hand-written image runs as root");
        Assert.AreEqual("1654:1654", ourConfig.GetProperty("User").GetString());
        int AptLists(string image)
        {
            var ls = EngineEnvironment.Docker("run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", "ls -A /var/lib/apt/lists | grep -v -x -e lock -e partial | wc -l");
            Assert.AreEqual(0, ls.ExitCode, ls.Output);
            return int.Parse(ls.Output.Trim().Split('\n').Last());
        }
        Assert.IsTrue(AptLists(classicImage) > 0, "the hand-written image keeps its apt lists");
        Assert.AreEqual(0, AptLists(generatedImage));
        var theirSize = theirs.GetProperty("Size").GetInt64();
        var ourSize = ours.GetProperty("Size").GetInt64();
        Assert.IsTrue(ourSize < theirSize, $"generated {ourSize} bytes, hand-written {theirSize} bytes");
        var run = EngineEnvironment.Docker("run", "--rm", "--network", "none", generatedImage);
        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "training");
        Console.WriteLine($"classic image {theirSize / 1_000_000} MB, generated {ourSize / 1_000_000} MB");
        EngineEnvironment.Docker("rmi", classicImage, generatedImage);
    }

    /// <summary>No network but loopback: the servers' ports cannot collide with anything on the host.</summary>
    private static readonly string[] IsolatedRun = { "--network", "none", "--health-interval", "1s" };

    [TestMethod]
    public async Task TorchServe_sample_is_laid_out_configured_and_healthy_on_the_stand_in()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var image = "samples/torchserve-echo:" + tag;
        var project = SdkProject.CopyOfSample("TorchServe");
        var result = project.Publish(Common("ContainerImageTag=" + tag));
        Assert.AreEqual(0, result.ExitCode, result.Output);

        var ls = EngineEnvironment.Docker("run", "--rm", "--network", "none", "--entrypoint", "ls", image, "/home/model-server/model-store");
        Assert.AreEqual(0, ls.ExitCode, ls.Output);
        StringAssert.Contains(ls.Output, "echo.mar");
        var cat = EngineEnvironment.Docker("run", "--rm", "--network", "none", "--entrypoint", "cat", image, "/home/model-server/config.properties");
        Assert.AreEqual(AiContainers.Core.Serving.ServingFiles.TorchServeConfig(), cat.Output);
        var config = Inspect(image).GetProperty("Config");
        CollectionAssert.AreEqual(new[] { "torchserve", "--start", "--foreground", "--model-store", "/home/model-server/model-store", "--ts-config", "/home/model-server/config.properties", "--models", "echo=echo.mar" },
            Strings(config.GetProperty("Entrypoint")));
        Assert.AreEqual("model-server", config.GetProperty("User").GetString());
        CollectionAssert.IsSubsetOf(new[] { "8080/tcp", "8081/tcp", "8082/tcp" }, config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "CMD", "/usr/local/bin/aic-healthcheck", "http://127.0.0.1:8080/ping" }, Strings(config.GetProperty("Healthcheck").GetProperty("Test")));

        await ContainerRun.RunUntilHealthyAsync(image, IsolatedRun, TimeSpan.FromSeconds(90), container =>
        {
            var args = container.Exec("cat", "/tmp/torchserve.args");
            StringAssert.Contains(args.Output, "--model-store\n/home/model-server/model-store\n--ts-config\n/home/model-server/config.properties\n--models\necho=echo.mar\n");
            var models = container.Exec("/usr/local/bin/aic-healthcheck", "http://127.0.0.1:8081/models");
            Assert.AreEqual(0, models.ExitCode, "the management API answers on 8081: " + models.Output);
            return Task.CompletedTask;
        });
        EngineEnvironment.Docker("rmi", image);
    }

    [TestMethod]
    public async Task TfServing_sample_is_laid_out_and_healthy_on_the_stand_in()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var image = "samples/tf-half-plus-two:" + tag;
        var project = SdkProject.CopyOfSample("TfServing");
        var result = project.Publish(Common("ContainerImageTag=" + tag));
        Assert.AreEqual(0, result.ExitCode, result.Output);

        var find = EngineEnvironment.Docker("run", "--rm", "--network", "none", "--entrypoint", "find", image, "/models", "-type", "f");
        Assert.AreEqual(0, find.ExitCode, find.Output);
        Assert.AreEqual("/models/half_plus_two/1/saved_model.pb", find.Output.Trim());
        var size = EngineEnvironment.Docker("run", "--rm", "--network", "none", "--entrypoint", "stat", image, "-c", "%s", "/models/half_plus_two/1/saved_model.pb");
        Assert.AreEqual(new FileInfo(Path.Combine(project.Directory, "export", "half_plus_two", "1", "saved_model.pb")).Length.ToString(), size.Output.Trim());
        var config = Inspect(image).GetProperty("Config");
        CollectionAssert.AreEqual(new[] { "tensorflow_model_server", "--port=8500", "--rest_api_port=8501", "--model_name=half_plus_two", "--model_base_path=/models/half_plus_two" },
            Strings(config.GetProperty("Entrypoint")));
        CollectionAssert.Contains(Strings(config.GetProperty("Env")), "MODEL_NAME=half_plus_two");
        CollectionAssert.AreEquivalent(new[] { "8500/tcp", "8501/tcp" }, config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).ToArray());
        Assert.AreEqual("1654:1654", config.GetProperty("User").GetString());

        await ContainerRun.RunUntilHealthyAsync(image, IsolatedRun, TimeSpan.FromSeconds(90), container =>
        {
            var status = container.Exec("python3", "-c",
                "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8501/v1/models/half_plus_two').read().decode())");
            Assert.AreEqual(0, status.ExitCode, status.Output);
            var version = JsonDocument.Parse(status.Output).RootElement.GetProperty("model_version_status")[0];
            Assert.AreEqual("1", version.GetProperty("version").GetString());
            Assert.AreEqual("AVAILABLE", version.GetProperty("state").GetString());
            return Task.CompletedTask;
        });
        EngineEnvironment.Docker("rmi", image);
    }
}
