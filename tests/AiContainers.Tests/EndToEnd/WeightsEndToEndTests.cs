using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AiContainers.Tests.Infrastructure;
using AiContainers.Tests.Weights;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// AiModel weights end to end: the real `dotnet publish -p:PublishAiImage=true` (out of process, the packed
/// SDK) fetches from <see cref="FakeHuggingFaceServer"/> over loopback HTTP (HF_ENDPOINT) and from a local
/// folder, builds the weights image and the app image on the real engine, and the results are read back with
/// the docker CLI: files and their owner inside a running container, env, labels, history, `docker save`.
/// Every test has its own model cache and its own random content, so the weights image it expects to be
/// built was never built before.
/// </summary>
[TestClass]
public sealed class WeightsEndToEndTests
{
    private const string Canary = "hf_CANARY_e2e_4f9b2c7d1a8e6035";

    private static readonly Regex WeightsStage = new(@"^FROM (localhost/aicontainers/weights:[0-9a-f]{32}) AS weights$", RegexOptions.Multiline);

    private FakeHuggingFaceServer _hub = null!;
    private readonly List<string> _images = new();
    private readonly HashSet<string> _weightsImages = new();
    private readonly HashSet<SdkProject> _projects = new();

    [TestInitialize] public void Start() => _hub = new FakeHuggingFaceServer();

    [TestCleanup]
    public void Stop()
    {
        _hub.Dispose();
        // App tags first: the weights image is only a build stage of them, never a parent.
        foreach (var image in _images.Concat(_weightsImages)) EngineEnvironment.Docker("rmi", "-f", image);
        foreach (var directory in _projects.SelectMany(p => new[] { p.Directory, CacheDirectory(p) }).Where(Directory.Exists))
            Directory.Delete(directory, recursive: true);
    }

    private static string UniqueTag() => "w-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A repository whose content exists nowhere else: config.json (a nonce in it) and a 1 MiB LFS safetensors file.</summary>
    private FakeRepo AddModelRepo(string id, string? requiredToken = null, int weightsBytes = 1 << 20)
        => _hub.AddRepo(id, requiredToken)
            .AddText("config.json", $$"""{"model_type": "bert", "hidden_size": 8, "nonce": "{{Guid.NewGuid():N}}"}""")
            .AddText("tokenizer.json", "{\"version\": \"1.0\"}")
            .AddFile("model.safetensors", WeightsFixture.RandomBytes(weightsBytes, Random.Shared.Next()), lfs: true)
            .Tag("release");

    private static SdkProject App(string name, string items, string extraProperties = "")
    {
        var project = SdkProject.ConsoleApp(name, $"""
            <AiGpu>false</AiGpu>
            <ContainerRepository>e2e/{name.ToLowerInvariant()}</ContainerRepository>
            <AiModelCacheDirectory>$(MSBuildProjectDirectory)-model-cache</AiModelCacheDirectory>
            {extraProperties}
            """, items);
        return project;
    }

    private static void WriteBytes(SdkProject project, string relativePath, byte[] content)
    {
        var path = Path.Combine(project.Directory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    private static string CacheDirectory(SdkProject project) => project.Directory + "-model-cache";

    private ProcessResult Publish(SdkProject project, string tag, string? token = null, params string[] more)
    {
        _projects.Add(project);
        var result = project.Publish(
            // The Docker builder's weights image (the daemonless builder makes a model layer instead; see DaemonlessEndToEndTests).
            new[] { "AiImageBuilder=Docker", "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiBuildNetwork=host", "ContainerImageTag=" + tag }.Concat(more),
            new Dictionary<string, string?>
            {
                ["HF_ENDPOINT"] = _hub.Endpoint.ToString(),
                ["HF_TOKEN"] = token,
                ["HF_HUB_OFFLINE"] = null,
                ["AIC_MODEL_CACHE"] = null,
            });
        // Removed after the test, also when a step after the weights image failed.
        var dockerfile = Path.Combine(project.OutputDirectory, "Dockerfile");
        if (File.Exists(dockerfile) && WeightsStage.Match(File.ReadAllText(dockerfile)) is { Success: true } weights)
            _weightsImages.Add(weights.Groups[1].Value);
        return result;
    }

    private string Track(string image)
    {
        _images.Add(image);
        return image;
    }

    /// <summary>The weights image the generated Dockerfile builds FROM.</summary>
    private static string WeightsReference(SdkProject project)
    {
        var match = WeightsStage.Match(File.ReadAllText(Path.Combine(project.OutputDirectory, "Dockerfile")));
        Assert.IsTrue(match.Success, "the Dockerfile has a weights stage");
        return match.Groups[1].Value;
    }

    private static JsonElement InspectConfig(string image)
    {
        var inspect = EngineEnvironment.Docker("image", "inspect", "--format", "{{json .Config}}", image);
        Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
        return JsonDocument.Parse(inspect.Output).RootElement;
    }

    private static Dictionary<string, string> Env(JsonElement config)
        => config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()!.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    private static string Label(JsonElement config, string name)
        => config.GetProperty("Labels").TryGetProperty(name, out var value) ? value.GetString()! : throw new AssertFailedException($"label {name} is missing: {config.GetProperty("Labels")}");

    /// <summary>Runs a shell command in the image as its own (non-root) user, with no network.</summary>
    private static ProcessResult Shell(string image, string script)
        => EngineEnvironment.Docker("run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", script);

    private static string Sha256(byte[] content) => Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();

    /// <summary>Bytes of the app build context from "built sha256:… (context 108.5 KiB in 7 files)".</summary>
    private static long ContextBytes(string output)
    {
        var match = Regex.Match(output, @"AiContainers: built sha256:[0-9a-f]+ \(context ([0-9.,]+) (B|KiB|MiB|GiB) in (\d+) files\)");
        Assert.IsTrue(match.Success, "the app build reports its context:\n" + output);
        var value = double.Parse(match.Groups[1].Value.Replace(',', '.'), CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value switch { "KiB" => 1L << 10, "MiB" => 1L << 20, "GiB" => 1L << 30, _ => 1L };
        return (long)(value * unit);
    }

    [TestMethod]
    public void Hf_and_local_models_land_at_their_targets_readable_by_the_image_user_with_env_and_labels()
    {
        EngineEnvironment.Require();
        var repo = AddModelRepo("org/tiny-bert");
        var project = App("WeightsBasic", """
            <AiModel Include="bert" Source="hf://org/tiny-bert@release" Files="config.json;*.safetensors" />
            <AiModel Include="classifier" Source="models/classifier/" />
            """);
        var labels = "negative\npositive\n" + Guid.NewGuid().ToString("N") + "\n";
        var nested = WeightsFixture.RandomBytes(64 << 10, Random.Shared.Next());
        project.Write("models/classifier/labels.txt", labels);
        WriteBytes(project, "models/classifier/head/weights.bin", nested);
        var tag = UniqueTag();
        var image = Track($"e2e/weightsbasic:{tag}");

        var result = Publish(project, tag);
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, $"AiContainers: org/tiny-bert@release is commit {repo.CommitSha}");
        Assert.IsFalse(Diagnostics.AssertSingle(result, "AIC5502").IsError, "a branch is not a pinned commit: the warning says so");
        var weights = WeightsReference(project);
        StringAssert.Contains(result.Output, $"AiContainers: building weights image {weights}");

        // The weights image exists, holds exactly the models, and carries the content digest the app image names.
        var weightsConfig = InspectConfig(weights);
        var config = InspectConfig(image);
        var digest = Label(config, "ai.containers.weights.digest");
        StringAssert.StartsWith(digest, "sha256:");
        Assert.AreEqual(digest, Label(weightsConfig, "ai.containers.weights.digest"));
        Assert.AreEqual("localhost/aicontainers/weights:" + digest["sha256:".Length..][..32], weights, "the weights image is named by its content digest");

        // Labels: the source pinned to the commit the branch resolved to, that commit, each model's content digest.
        Assert.AreEqual("hf://org/tiny-bert@" + repo.CommitSha, Label(config, "ai.containers.model.bert.source"));
        Assert.AreEqual(repo.CommitSha, Label(config, "ai.containers.model.bert.revision"));
        StringAssert.Matches(Label(config, "ai.containers.model.bert.digest"), new Regex("^sha256:[0-9a-f]{64}$"));
        Assert.AreEqual("models/classifier/", Label(config, "ai.containers.model.classifier.source"));
        StringAssert.Matches(Label(config, "ai.containers.model.classifier.digest"), new Regex("^sha256:[0-9a-f]{64}$"));
        Assert.IsFalse(config.GetProperty("Labels").TryGetProperty("ai.containers.model.classifier.revision", out _), "a local folder has no revision");

        var env = Env(config);
        Assert.AreEqual("/models/bert", env["AI_MODEL_BERT_PATH"]);
        Assert.AreEqual("/models/classifier", env["AI_MODEL_CLASSIFIER_PATH"]);
        Assert.AreEqual("1654:1654", config.GetProperty("User").GetString());

        // Inside a container, as the image's own non-root user: every file at its target, readable, intact.
        var run = Shell(image, """
            id -u
            find /models -type f -o -type l | sort
            cat "$AI_MODEL_BERT_PATH/config.json"; echo
            sha256sum "$AI_MODEL_BERT_PATH/model.safetensors" "$AI_MODEL_CLASSIFIER_PATH/head/weights.bin"
            cat "$AI_MODEL_CLASSIFIER_PATH/labels.txt"
            """);
        Assert.AreEqual(0, run.ExitCode, run.Output);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("WARNING", StringComparison.Ordinal)).ToList();
        Assert.AreEqual("1654", lines[0], "the container runs as the non-root image user");
        CollectionAssert.AreEqual(new[]
        {
            "/models/bert/config.json",
            "/models/bert/model.safetensors",
            "/models/classifier/head/weights.bin",
            "/models/classifier/labels.txt",
        }, lines.Skip(1).Take(4).ToList(), "Files selects config.json and *.safetensors; tokenizer.json stays out");
        StringAssert.Contains(run.Output, Encoding.UTF8.GetString(repo.Files["config.json"].Content));
        StringAssert.Contains(run.Output, $"{repo.Files["model.safetensors"].Sha256}  /models/bert/model.safetensors");
        StringAssert.Contains(run.Output, $"{Sha256(nested)}  /models/classifier/head/weights.bin");
        StringAssert.Contains(run.Output, labels);

        // The app itself still runs from the same image.
        var app = EngineEnvironment.Docker("run", "--rm", "--network", "none", image, "a", "b");
        Assert.AreEqual(0, app.ExitCode, app.Output);
        StringAssert.Contains(app.Output, "hello from a b");
    }

    [TestMethod]
    public void A_code_only_change_reuses_the_weights_image_sends_only_the_app_and_hits_the_copy_cache()
    {
        EngineEnvironment.Require();
        AddModelRepo("org/cached-bert", weightsBytes: 8 << 20);
        // Framework-dependent, so the app context is a few KiB and 16 MiB of weights in it could not hide.
        var project = App("WeightsRebuild", """
            <AiModel Include="bert" Source="hf://org/cached-bert@release" />
            <AiModel Include="local" Source="models/local/" />
            """, "<RuntimeIdentifier>linux-x64</RuntimeIdentifier><SelfContained>false</SelfContained>");
        var localWeights = WeightsFixture.RandomBytes(8 << 20, Random.Shared.Next());
        WriteBytes(project, "models/local/weights.bin", localWeights);
        var registry = EngineEnvironment.Registry;
        var first = UniqueTag();
        var second = UniqueTag();
        Track($"{registry}/e2e/weightsrebuild:{first}");
        var image = Track($"{registry}/e2e/weightsrebuild:{second}");

        var build1 = Publish(project, first, null, "ContainerRegistry=" + registry);
        Assert.AreEqual(0, build1.ExitCode, build1.Output);
        var weights = WeightsReference(project);
        StringAssert.Contains(build1.Output, $"AiContainers: building weights image {weights}");
        StringAssert.Matches(build1.Output, new Regex($@"AiContainers: weights image {Regex.Escape(weights)} built \(1[67]\.\d MiB sent"), "the weights context is the 16 MiB of weights");

        project.Write("Program.cs", "Console.WriteLine(\"code change v2: \" + string.Join(' ', args));\n");
        var build2 = Publish(project, second, null, "ContainerRegistry=" + registry);
        Assert.AreEqual(0, build2.ExitCode, build2.Output);
        Assert.AreEqual(weights, WeightsReference(project), "same weights, same weights image");
        StringAssert.Contains(build2.Output, $"AiContainers: weights image {weights} already built for ");
        StringAssert.Contains(build2.Output, "; reusing it");
        Assert.IsFalse(build2.Output.Contains("building weights image", StringComparison.Ordinal), "the weights are not built again");

        // What the engine got for the app: the app only, never the weights.
        var contextBytes = ContextBytes(build2.Output);
        Assert.IsTrue(contextBytes < 1 << 20, $"the app context is {contextBytes} bytes: the 16 MiB of weights must not travel with it");
        // The weights context sits beside the Dockerfile (so the folder alone builds the image) but out of the app context.
        StringAssert.Contains(File.ReadAllText(Path.Combine(project.OutputDirectory, ".dockerignore")), "\nweights/\n");
        var weightsFolder = Path.Combine(project.OutputDirectory, "weights") + Path.DirectorySeparatorChar;
        foreach (var file in Directory.EnumerateFiles(project.OutputDirectory, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(weightsFolder, StringComparison.Ordinal)))
            Assert.IsTrue(new FileInfo(file).Length < 1 << 20, $"{file} is in the app context and as large as weights");

        // The classic builder's log: the weights COPY step comes from the cache, the app COPY does not.
        var steps = build2.Output.Split('\n').Select(l => l.Trim()).ToList();
        var copyWeights = steps.FindIndex(l => l.StartsWith("Step ", StringComparison.Ordinal) && l.Contains("COPY --from=weights /models/bert /models/bert", StringComparison.Ordinal));
        Assert.IsTrue(copyWeights >= 0, build2.Output);
        Assert.AreEqual("---> Using cache", steps[copyWeights + 1], "COPY --from=weights is a cache hit");
        var copyApp = steps.FindIndex(l => l.StartsWith("Step ", StringComparison.Ordinal) && l.Contains("COPY app/ /app/", StringComparison.Ordinal));
        Assert.IsTrue(copyApp > copyWeights, "the app layer comes after the weights");
        Assert.AreNotEqual("---> Using cache", steps[copyApp + 1], "the changed app is copied again");

        // The push sends the new app layer only; the weights layer is already in the registry.
        var pushed = build2.Output.Split('\n').Count(l => l.TrimEnd().EndsWith(": Pushed", StringComparison.Ordinal));
        var existing = build2.Output.Split('\n').Count(l => l.TrimEnd().EndsWith(": Layer already exists", StringComparison.Ordinal));
        Assert.AreEqual(1, pushed, "one layer (the app) is pushed:\n" + build2.Output);
        Assert.IsTrue(existing >= 2, "the base and weights layers are already in the registry");

        var run = EngineEnvironment.Docker("run", "--rm", "--network", "none", image, "x");
        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "code change v2: x");
        var files = Shell(image, "sha256sum /models/local/weights.bin");
        StringAssert.Contains(files.Output, Sha256(localWeights));
    }

    [TestMethod]
    public void The_hf_token_reaches_the_hub_and_no_image_layer_history_config_generated_file_or_diagnostic_log()
    {
        EngineEnvironment.Require();
        AddModelRepo("org/gated-bert", requiredToken: Canary);
        var project = App("WeightsToken", """<AiModel Include="gated" Source="hf://org/gated-bert@release" />""");
        // Directory.Build.rsp adds a diagnostic file log to the real publish, as a user chasing a problem would.
        var diagnosticLog = Path.Combine(project.Directory, "msbuild-diag.log");
        project.Write("Directory.Build.rsp", $"-fileLogger\n-fileLoggerParameters:LogFile={diagnosticLog};Verbosity=diagnostic\n");
        var tag = UniqueTag();
        var image = Track($"e2e/weightstoken:{tag}");

        var withoutToken = Publish(project, tag);
        Diagnostics.AssertSingleError(withoutToken, "AIC5020", "HF_TOKEN");

        var result = Publish(project, tag, Canary);
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var weights = WeightsReference(project);
        Assert.IsTrue(_hub.Requests.Any(r => r.Listener == "hub" && r.Authorization == "Bearer " + Canary), "the token was sent to the hub");
        Assert.IsTrue(_hub.Requests.Any(r => r.Listener == "cdn"), "the LFS file came from the CDN");
        Assert.IsTrue(_hub.Requests.Where(r => r.Listener == "cdn").All(r => r.Authorization is null), "the token never goes to another origin");

        Assert.IsFalse(result.Output.Contains(Canary, StringComparison.Ordinal), "console log");
        Assert.IsTrue(File.Exists(diagnosticLog), "the diagnostic log was written");
        var diagnostic = File.ReadAllText(diagnosticLog);
        StringAssert.Contains(diagnostic, "FetchAiModels", "the diagnostic log covers the fetch");
        Assert.IsFalse(diagnostic.Contains(Canary, StringComparison.Ordinal), "the -v:diag MSBuild log holds the token");

        foreach (var reference in new[] { image, weights })
        {
            var history = EngineEnvironment.Docker("history", "--no-trunc", reference);
            Assert.AreEqual(0, history.ExitCode, history.Output);
            StringAssert.Contains(history.Output, "COPY", "the history was read");
            Assert.IsFalse(history.Output.Contains(Canary, StringComparison.Ordinal), $"docker history of {reference}");
            var inspect = EngineEnvironment.Docker("image", "inspect", reference);
            Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
            Assert.IsFalse(inspect.Output.Contains(Canary, StringComparison.Ordinal), $"docker inspect of {reference}");
        }

        // Every byte of the image as docker save writes it: the configs, the manifest and each layer's files.
        var archive = Path.Combine(CacheDirectory(project), "saved-image.tar");
        var save = EngineEnvironment.Docker("save", "-o", archive, image, weights);
        Assert.AreEqual(0, save.ExitCode, save.Output);
        var scanned = ScanArchive(archive, Encoding.UTF8.GetBytes(Canary));
        Assert.IsTrue(scanned.Layers >= 2 && scanned.Files > 10, $"docker save had {scanned.Layers} layers, {scanned.Files} files");
        Assert.IsTrue(scanned.Hits.Count == 0, "the token is in the saved image: " + string.Join(", ", scanned.Hits));
        File.Delete(archive);

        var generated = new[] { "bin", "obj" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(project.Directory, d), "*", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(CacheDirectory(project), "*", SearchOption.AllDirectories)).ToList();
        Assert.IsTrue(generated.Any(f => f.EndsWith("models.json", StringComparison.Ordinal)) && generated.Any(f => f.EndsWith("Dockerfile", StringComparison.Ordinal)));
        var needle = Encoding.UTF8.GetBytes(Canary);
        foreach (var file in generated)
        {
            using var stream = File.OpenRead(file);
            Assert.IsFalse(Contains(stream, needle), $"{file} holds the token");
        }
    }

    [TestMethod]
    public void An_hf_cache_layout_is_found_offline_by_a_python_lookup_inside_the_image()
    {
        EngineEnvironment.Require();
        var repo = AddModelRepo("org/tiny-llm");
        // The stand-in pytorch/torchserve image (Debian + python3, no real framework) from the local mirror,
        // run as its own non-root user, as a TorchServe image is.
        var project = App("WeightsHfCache", """<AiModel Include="tiny" Source="hf://org/tiny-llm" Layout="hf-cache" />""",
            "<AiBaseImage>pytorch/torchserve:0.12.0-cpu</AiBaseImage><ContainerUser>model-server</ContainerUser>");
        var tag = UniqueTag();
        var image = Track($"e2e/weightshfcache:{tag}");
        var result = Publish(project, tag);
        Assert.AreEqual(0, result.ExitCode, result.Output);

        var snapshot = $"/models/huggingface/hub/models--org--tiny-llm/snapshots/{repo.CommitSha}";
        var env = Env(InspectConfig(image));
        Assert.AreEqual("/models/huggingface", env["HF_HOME"]);
        Assert.AreEqual("1", env["HF_HUB_OFFLINE"]);
        Assert.AreEqual(snapshot, env["AI_MODEL_TINY_PATH"]);

        // What huggingface_hub does for from_pretrained("org/tiny-llm") offline (file_download.try_to_load_from_cache):
        // HF_HUB_CACHE defaults to $HF_HOME/hub; refs/<revision> holds the commit; snapshots/<commit>/<file>.
        const string lookup = """
            import hashlib, json, os, sys
            repo_id, revision = sys.argv[1], "main"
            assert os.environ.get("HF_HUB_OFFLINE") == "1", "HF_HUB_OFFLINE is not set"
            cache = os.environ.get("HF_HUB_CACHE") or os.path.join(os.environ["HF_HOME"], "hub")
            repo_cache = os.path.join(cache, "models--" + repo_id.replace("/", "--"))
            with open(os.path.join(repo_cache, "refs", revision)) as f:
                commit = f.read()
            snapshot = os.path.join(repo_cache, "snapshots", commit)
            config_path = os.path.join(snapshot, "config.json")
            weights_path = os.path.join(snapshot, "model.safetensors")
            with open(config_path) as f:
                config = json.load(f)
            with open(weights_path, "rb") as f:
                weights_sha = hashlib.sha256(f.read()).hexdigest()
            print(json.dumps({
                "uid": os.getuid(), "commit": commit, "snapshot": snapshot, "config": config,
                "config_is_link": os.path.islink(config_path),
                "config_blob": os.path.relpath(os.path.realpath(config_path), repo_cache),
                "weights_sha256": weights_sha,
            }))
            """;
        var run = EngineEnvironment.Docker("run", "--rm", "--network", "none", "--entrypoint", "python3", image, "-c", lookup, "org/tiny-llm");
        Assert.AreEqual(0, run.ExitCode, run.Output);
        var found = JsonDocument.Parse(run.Output.Split('\n').Last(l => l.StartsWith('{'))).RootElement;
        Assert.AreNotEqual(0, found.GetProperty("uid").GetInt32(), "run as the image's non-root user");
        Assert.AreEqual(repo.CommitSha, found.GetProperty("commit").GetString(), "refs/main holds the resolved commit, without a newline");
        Assert.AreEqual(snapshot, found.GetProperty("snapshot").GetString());
        var expectedConfig = JsonDocument.Parse(repo.Files["config.json"].Content).RootElement;
        Assert.AreEqual(expectedConfig.GetProperty("nonce").GetString(), found.GetProperty("config").GetProperty("nonce").GetString());
        Assert.AreEqual("bert", found.GetProperty("config").GetProperty("model_type").GetString());
        Assert.IsTrue(found.GetProperty("config_is_link").GetBoolean(), "snapshot files are links into blobs/, as in huggingface_hub's cache");
        StringAssert.StartsWith(found.GetProperty("config_blob").GetString(), "blobs/");
        Assert.AreEqual(repo.Files["model.safetensors"].Sha256, found.GetProperty("weights_sha256").GetString());
    }

    [TestMethod]
    public void A_checksum_mismatch_fails_the_publish_with_its_code_and_builds_nothing()
    {
        EngineEnvironment.Require();
        var repo = AddModelRepo("org/corrupt-bert");
        _hub.CorruptOnce("model.safetensors");
        var project = App("WeightsCorrupt", $"""<AiModel Include="bert" Source="hf://org/corrupt-bert@{repo.CommitSha}" />""");
        var tag = UniqueTag();
        var image = Track($"e2e/weightscorrupt:{tag}");

        var failed = Publish(project, tag);
        var mismatch = Diagnostics.AssertSingleError(failed, "AIC5024", "AiModel");
        StringAssert.StartsWith(mismatch.Text, "AiModel 'bert' file 'bert/model.safetensors' has SHA-256 ");
        StringAssert.Contains(mismatch.Text, $"but {repo.Files["model.safetensors"].Sha256} was expected");
        Assert.IsFalse(failed.Output.Contains("AiContainers: building", StringComparison.Ordinal), "nothing is sent to the engine");
        Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "Dockerfile")), "nothing is generated");
        Assert.AreNotEqual(0, EngineEnvironment.Docker("image", "inspect", image).ExitCode, "no app tag");
        var cache = CacheDirectory(project);
        var tmp = Path.Combine(cache, "tmp");
        var left = Directory.Exists(tmp) ? Directory.EnumerateFiles(tmp, "*", SearchOption.AllDirectories).ToList() : [];
        Assert.AreEqual(0, left.Count, "no temp file is left: " + string.Join(", ", left));
        var corrupt = Regex.Match(failed.Output, "has SHA-256 ([0-9a-f]{64})");
        Assert.IsTrue(corrupt.Success, failed.Output);
        var corruptSha = corrupt.Groups[1].Value;
        Assert.IsFalse(Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Any(f => f.Contains(corruptSha, StringComparison.Ordinal)), "the corrupt download is not in the cache");

        // The next publish downloads good bytes and has to build the weights image: the failed one made none.
        var retried = Publish(project, tag);
        Assert.AreEqual(0, retried.ExitCode, retried.Output);
        var weights = WeightsReference(project);
        StringAssert.Contains(retried.Output, $"AiContainers: building weights image {weights}");
        Assert.AreEqual(2, _hub.CdnGets("model.safetensors").Count, "downloaded again after the mismatch");
    }

    private sealed record ArchiveScan(int Layers, int Files, List<string> Hits);

    /// <summary>Looks for <paramref name="needle"/> in every entry of a docker save archive and in every file of each nested layer tar.</summary>
    private static ArchiveScan ScanArchive(string path, byte[] needle)
    {
        var hits = new List<string>();
        int layers = 0, files = 0;
        using var outer = new TarReader(File.OpenRead(path));
        while (outer.GetNextEntry() is { } entry)
        {
            if (entry.DataStream is null) continue;
            files++;
            // The engine's (20.10) save format: <id>/layer.tar beside <config>.json and manifest.json.
            if (entry.Name.EndsWith(".tar", StringComparison.Ordinal))
            {
                layers++;
                // Scan the raw layer bytes too (tar headers hold names), then each file in it.
                var copy = new MemoryStream();
                entry.DataStream.CopyTo(copy);
                copy.Position = 0;
                if (Contains(copy, needle)) hits.Add(entry.Name);
                copy.Position = 0;
                using var inner = new TarReader(copy);
                while (inner.GetNextEntry() is { } file)
                {
                    files++;
                    if (file.Name.Contains(Encoding.UTF8.GetString(needle), StringComparison.Ordinal) || file.LinkName.Contains(Encoding.UTF8.GetString(needle), StringComparison.Ordinal))
                        hits.Add(entry.Name + "!" + file.Name + " (name)");
                    if (file.DataStream is not null && Contains(file.DataStream, needle)) hits.Add(entry.Name + "!" + file.Name);
                }
            }
            else if (Contains(entry.DataStream, needle)) hits.Add(entry.Name);
        }
        return new ArchiveScan(layers, files, hits);
    }

    /// <summary>Streams <paramref name="stream"/> looking for <paramref name="needle"/>, across buffer boundaries.</summary>
    private static bool Contains(Stream stream, byte[] needle)
    {
        var buffer = new byte[(1 << 20) + needle.Length];
        var carry = 0;
        int read;
        while ((read = stream.Read(buffer, carry, buffer.Length - carry)) > 0)
        {
            var length = carry + read;
            if (buffer.AsSpan(0, length).IndexOf(needle) >= 0) return true;
            carry = Math.Min(needle.Length - 1, length);
            buffer.AsSpan(length - carry, carry).CopyTo(buffer);
        }
        return false;
    }
}
