using System.Text.Json;
using System.Text.RegularExpressions;
using AiContainers.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace AiContainers.Tests.Docs;

/// <summary>
/// The CI examples in docs/ci/ (GitHub Actions, GitLab CI, Azure Pipelines): each is YAML; the GitHub workflow passes
/// GitHub's own parser and schema (@actions/workflow-parser, npm); GitLab's and Azure's have no schema that installs
/// offline, so their structure is checked here (stages, jobs, steps) and their shell blocks with `bash -n`. All three
/// keep the registry password out of MSBuild's reach and cache the model cache. The GitHub workflow's run: blocks are
/// also run, in order, against the local htpasswd registry (build/run-github-actions-locally.sh).
/// </summary>
[TestClass]
public sealed class CiExamplesTests
{
    private static string CiDirectory => Path.Combine(TestPaths.RepoRoot, "docs", "ci");
    private static string GitHubWorkflow => Path.Combine(CiDirectory, "github-actions.yml");
    private static string GitLabPipeline => Path.Combine(CiDirectory, "gitlab-ci.yml");
    private static string AzurePipeline => Path.Combine(CiDirectory, "azure-pipelines.yml");
    private static string LocalRunner => Path.Combine(TestPaths.RepoRoot, "build", "run-github-actions-locally.py");

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(path))) stream.Load(reader);
        Assert.HasCount(1, stream.Documents, $"{path}: one YAML document");
        return stream.Documents[0].RootNode as YamlMappingNode ?? throw new AssertFailedException($"{path}: the top level is a mapping");
    }

    private static YamlMappingNode Map(YamlNode node, string key, string where)
        => (node as YamlMappingNode)?.Children.TryGetValue(new YamlScalarNode(key), out var value) == true && value is YamlMappingNode map
            ? map : throw new AssertFailedException($"{where}: '{key}' is a mapping");

    private static YamlSequenceNode Sequence(YamlNode node, string key, string where)
        => (node as YamlMappingNode)?.Children.TryGetValue(new YamlScalarNode(key), out var value) == true && value is YamlSequenceNode list
            ? list : throw new AssertFailedException($"{where}: '{key}' is a list");

    private static string? Scalar(YamlNode node, string key)
        => (node as YamlMappingNode)?.Children.TryGetValue(new YamlScalarNode(key), out var value) == true ? (value as YamlScalarNode)?.Value : null;

    private static IEnumerable<string> Keys(YamlMappingNode map) => map.Children.Keys.Select(k => ((YamlScalarNode)k).Value!);

    /// <summary>`bash -n`: the shell block parses (a quote left open, a stray `fi`, a broken heredoc all fail).</summary>
    private static void AssertBashParses(string script, string where)
    {
        var check = ProcessRunner.Run("bash", new[] { "-n" }, stdin: script, timeout: TimeSpan.FromSeconds(30));
        Assert.AreEqual(0, check.ExitCode, $"{where} is not valid bash:\n{check.Output}\n---\n{script}");
    }

    [TestMethod]
    [DataRow("github-actions.yml")]
    [DataRow("gitlab-ci.yml")]
    [DataRow("azure-pipelines.yml")]
    public void EachExampleIsOneYamlMapping(string file)
    {
        Assert.IsNotEmpty(Load(Path.Combine(CiDirectory, file)).Children);
    }

    [TestMethod]
    [DataRow("github-actions.yml")]
    [DataRow("gitlab-ci.yml")]
    [DataRow("azure-pipelines.yml")]
    public void EachExamplePublishesWithSecretsOnlyAiContainersReadsAndCachesTheModels(string file)
    {
        var text = File.ReadAllText(Path.Combine(CiDirectory, file));
        StringAssert.Contains(text, "-p:PublishAiImage=true");
        StringAssert.Contains(text, "AICONTAINERS_PUSH_REGISTRY_PASSWORD:", "the push password reaches the task through the variable MSBuild never logs");
        // DOTNET_CONTAINER_*_PWORD is copied into every binary log by MSBuild (AIC4550): the examples only name it to warn.
        foreach (var line in text.Split('\n').Where(l => l.Contains("DOTNET_CONTAINER_", StringComparison.Ordinal)))
            Assert.StartsWith("#", line.Trim(), $"{file}: DOTNET_CONTAINER_* appears outside a comment: {line}");
        StringAssert.Contains(text, "SOURCE_DATE_EPOCH=");
        StringAssert.Contains(text, "aicontainers/models", "the model cache is kept between runs");
        StringAssert.Contains(text, "image-report.html");
    }

    /// <summary>GitHub's own parser (the Actions language service's): keys, types, and where each expression context is allowed.</summary>
    [TestMethod]
    public void GitHubWorkflowPassesGitHubsParserAndSchema()
    {
        var modulesParent = Path.Combine(TestPaths.RepoRoot, "artifacts", "node");
        EngineEnvironment.RequireTool(Path.Combine(modulesParent, "node_modules", "@actions", "workflow-parser", "package.json"),
            "build/test.sh installs @actions/workflow-parser into artifacts/node");
        var script = Path.Combine(TestPaths.SourceDirectory, "Docs", "github-workflow-check.mjs");
        var run = ProcessRunner.Run("node", new[] { script, modulesParent, GitHubWorkflow }, timeout: TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, run.ExitCode, run.Output);
        var result = JsonDocument.Parse(run.StandardOutput).RootElement;
        Assert.AreEqual(0, result.GetProperty("errors").GetArrayLength(), run.StandardOutput);
        var job = result.GetProperty("jobs").EnumerateArray().Single();
        var steps = job.GetProperty("steps").EnumerateArray().ToList();
        var uses = steps.Where(s => s.TryGetProperty("uses", out _)).Select(s => s.GetProperty("uses").GetString()!.Split('@')[0]).ToList();
        CollectionAssert.IsSubsetOf(new[] { "actions/checkout", "actions/setup-dotnet", "actions/cache", "actions/upload-artifact" }, uses);
        var publish = steps.Single(s => s.GetProperty("id").GetString() == "publish");
        StringAssert.Contains(publish.GetProperty("run").GetString(), "dotnet publish");
    }

    /// <summary>The parts the schema cannot tie together: outputs name the publish step, the cache and upload paths are AiContainers' own.</summary>
    [TestMethod]
    public void GitHubWorkflowReadsTheDigestFromThePublishStepAndUploadsItsFiles()
    {
        var root = Load(GitHubWorkflow);
        var project = Scalar(Map(root, "env", "workflow"), "PROJECT") ?? throw new AssertFailedException("env.PROJECT is set");
        var projectFolder = Path.GetDirectoryName(project)!.Replace('\\', '/');
        var job = Map(Map(root, "jobs", "workflow"), "publish", "jobs");
        var outputs = Map(job, "outputs", "jobs.publish");
        Assert.AreEqual("${{ steps.publish.outputs.digest }}", Scalar(outputs, "digest"));
        Assert.AreEqual("${{ steps.publish.outputs.image }}", Scalar(outputs, "image"));

        var steps = Sequence(job, "steps", "jobs.publish").Children.Cast<YamlMappingNode>().ToList();
        foreach (var step in steps)
            Assert.AreEqual(1, Keys(step).Count(k => k is "run" or "uses"), $"a step has run: or uses:, not both: {string.Join(",", Keys(step))}");
        Assert.IsTrue(steps.Any(s => Scalar(s, "id") == "publish" && Scalar(s, "run")!.Contains("-p:PublishAiImage=true")));

        var cachePaths = steps.Where(s => Scalar(s, "uses")?.StartsWith("actions/cache@") == true)
            .SelectMany(s => Scalar(Map(s, "with", "cache"), "path")!.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        // The defaults of AiModelCacheDirectory and AiLayerCacheDirectory on a runner without XDG_CACHE_HOME (ModelCache.cs).
        CollectionAssert.IsSubsetOf(new[] { "~/.cache/aicontainers/models", "~/.cache/aicontainers/layers" }, cachePaths);

        var upload = steps.Single(s => Scalar(s, "uses")?.StartsWith("actions/upload-artifact@") == true);
        var uploaded = Scalar(Map(upload, "with", "upload-artifact"), "path")!.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        CollectionAssert.AreEquivalent(new[] { $"{projectFolder}/bin/Release/aicontainer/image.json", $"{projectFolder}/bin/Release/aicontainer/image-report.html" }, uploaded);
        foreach (var step in steps.Where(s => Scalar(s, "run") is not null)) AssertBashParses(Scalar(step, "run")!, $"step '{Scalar(step, "name")}'");
    }

    [TestMethod]
    public void GitLabPipelineHasItsStagesJobsAndCaches()
    {
        var root = Load(GitLabPipeline);
        var stages = Sequence(root, "stages", "pipeline").Children.Select(s => ((YamlScalarNode)s).Value!).ToList();
        // Top-level keys that are not jobs (GitLab's global keywords); a key starting with '.' is a hidden template.
        var global = new HashSet<string> { "stages", "variables", "default", "include", "workflow", "image", "services", "cache", "before_script", "after_script" };
        var jobs = Keys(root).Where(k => !global.Contains(k) && !k.StartsWith('.')).ToList();
        CollectionAssert.AreEquivalent(new[] { "test", "publish-image" }, jobs);
        var variables = Map(root, "variables", "pipeline");
        foreach (var (key, value) in variables.Children) Assert.IsInstanceOfType<YamlScalarNode>(value, $"variables.{key} is a plain value");
        foreach (var name in jobs)
        {
            var job = Map(root, name, "pipeline");
            CollectionAssert.Contains(stages, Scalar(job, "stage"), $"{name}'s stage is one of the stages");
            var script = Sequence(job, "script", name).Children.Select(line => ((YamlScalarNode)line).Value!).ToList();
            Assert.IsNotEmpty(script);
            AssertBashParses(string.Join("\n", script), $"{name}.script");
        }

        var publish = Map(root, "publish-image", "pipeline");
        var jobVariables = Map(publish, "variables", "publish-image");
        Assert.AreEqual("$CI_REGISTRY_PASSWORD", Scalar(jobVariables, "AICONTAINERS_PUSH_REGISTRY_PASSWORD"));
        // The cache covers the folder AIC_MODEL_CACHE and AIC_LAYER_CACHE point into, and GitLab only caches inside the project folder.
        var cachePaths = Sequence(publish, "cache", "publish-image").Children
            .SelectMany(c => Sequence(c, "paths", "publish-image.cache").Children.Select(p => ((YamlScalarNode)p).Value!)).ToList();
        foreach (var variable in new[] { "AIC_MODEL_CACHE", "AIC_LAYER_CACHE" })
        {
            var value = Scalar(variables, variable)!;
            Assert.StartsWith("$CI_PROJECT_DIR/", value);
            Assert.IsTrue(cachePaths.Any(p => value["$CI_PROJECT_DIR/".Length..].StartsWith(p.TrimEnd('/') + "/", StringComparison.Ordinal)),
                $"{variable}={value} is inside a cached path ({string.Join(", ", cachePaths)})");
        }
        var artifacts = Map(publish, "artifacts", "publish-image");
        Assert.AreEqual("image.env", Scalar(Map(artifacts, "reports", "artifacts"), "dotenv"));
        CollectionAssert.AreEquivalent(new[] { "image.json", "image-report.html" },
            Sequence(artifacts, "paths", "artifacts").Children.Select(p => ((YamlScalarNode)p).Value).ToList());
    }

    [TestMethod]
    public void AzurePipelineHasItsStagesJobsAndSteps()
    {
        var root = Load(AzurePipeline);
        Assert.IsNotNull(Scalar(Map(root, "pool", "pipeline"), "vmImage"));
        var variables = Sequence(root, "variables", "pipeline").Children.Cast<YamlMappingNode>().ToList();
        foreach (var variable in variables)
            Assert.IsTrue(Keys(variable).SequenceEqual(new[] { "group" }) || Keys(variable).SequenceEqual(new[] { "name", "value" }),
                $"a variable is {{group}} or {{name, value}}: {string.Join(",", Keys(variable))}");
        string Variable(string name) => Scalar(variables.Single(v => Scalar(v, "name") == name), "value")!;

        var steps = Sequence(root, "stages", "pipeline").Children
            .SelectMany(stage => Sequence(stage, "jobs", "stage").Children)
            .SelectMany(job => Sequence(job, "steps", "job").Children.Cast<YamlMappingNode>()).ToList();
        var kinds = new[] { "task", "bash", "script", "pwsh", "powershell", "checkout", "download", "publish", "template" };
        foreach (var step in steps)
        {
            var kind = Keys(step).Where(kinds.Contains).ToList();
            Assert.HasCount(1, kind, $"a step is one of {string.Join("/", kinds)}: {string.Join(",", Keys(step))}");
            if (kind[0] == "task") Assert.MatchesRegex(new Regex(@"^[A-Za-z][A-Za-z0-9]*@\d+$"), Scalar(step, "task"));
            if (kind[0] == "bash") AssertBashParses(Scalar(step, "bash")!, $"step '{Scalar(step, "displayName")}'");
        }

        var publish = steps.Single(s => Scalar(s, "name") == "publish");
        StringAssert.Contains(Scalar(publish, "bash"), "##vso[task.setvariable variable=digest;isOutput=true]");
        var env = Map(publish, "env", "publish");
        Assert.AreEqual("$(REGISTRY_PASSWORD)", Scalar(env, "AICONTAINERS_PUSH_REGISTRY_PASSWORD"), "secret variables reach a script only when mapped");

        var cache = steps.Where(s => Scalar(s, "task") == "Cache@2").Select(s => Map(s, "inputs", "Cache@2")).ToList();
        foreach (var variable in new[] { "AIC_MODEL_CACHE", "AIC_LAYER_CACHE" })
            Assert.IsTrue(cache.Any(c => Variable(variable).StartsWith(Scalar(c, "path")!.TrimEnd('/') + "/", StringComparison.Ordinal)),
                $"{variable} is inside a Cache@2 path");
        var upload = steps.Single(s => Scalar(s, "task") == "PublishPipelineArtifact@1");
        Assert.IsNotNull(Scalar(Map(upload, "inputs", "PublishPipelineArtifact@1"), "targetPath"));
    }

    private static ProcessResult RunLocalRunner(string workflowYaml, IReadOnlyDictionary<string, object> context)
    {
        var python = ProcessRunner.Run("python3", new[] { "-c", "import yaml" }, timeout: TimeSpan.FromSeconds(30));
        if (python.ExitCode != 0) EngineEnvironment.Unavailable("python3 with PyYAML is not installed (build/setup.sh installs python3-yaml)");
        var directory = TestPaths.NewTempDirectory("ci-local-runner");
        var workflow = Path.Combine(directory, "workflow.yml");
        File.WriteAllText(workflow, workflowYaml);
        var contextFile = Path.Combine(directory, "context.json");
        File.WriteAllText(contextFile, JsonSerializer.Serialize(context));
        Directory.CreateDirectory(Path.Combine(directory, "workspace"));
        return ProcessRunner.Run("python3", new[] { LocalRunner, workflow, Path.Combine(directory, "workspace"), Path.Combine(directory, "artifacts") },
            environment: new Dictionary<string, string?> { ["AIC_CI_CONTEXT"] = contextFile }, timeout: TimeSpan.FromMinutes(1));
    }

    /// <summary>The local runner itself: outputs flow between steps, secrets are masked, the first failure stops the run.</summary>
    [TestMethod]
    public void LocalRunnerPassesOutputsMasksSecretsAndStopsAtTheFirstFailure()
    {
        var result = RunLocalRunner("""
            on: push
            env:
              GREETING: ${{ vars.WORD }}
            jobs:
              only:
                runs-on: ubuntu-latest
                outputs:
                  value: ${{ steps.first.outputs.value }}
                steps:
                  - uses: actions/checkout@v4
                  - id: first
                    run: |
                      echo "value=from-first" >>"$GITHUB_OUTPUT"
                      echo "FROM_ENV_FILE=kept" >>"$GITHUB_ENV"
                  - env:
                      TOKEN: ${{ secrets.TOKEN }}
                    run: echo "${{ steps.first.outputs.value }} $GREETING $FROM_ENV_FILE token=$TOKEN"
                  - run: exit 3
                  - run: echo never printed
            """, new Dictionary<string, object> { ["secrets"] = new Dictionary<string, string> { ["TOKEN"] = "s3cr3t-value" }, ["vars"] = new Dictionary<string, string> { ["WORD"] = "hello" } });
        Assert.AreEqual(3, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "from-first hello kept token=***");
        Assert.DoesNotContain("s3cr3t-value", result.Output);
        Assert.DoesNotContain("never printed", result.Output);
        StringAssert.Contains(result.Output, "uses actions/checkout@v4: not run here");
    }

    [TestMethod]
    public void LocalRunnerRefusesAnExpressionItCannotEvaluate()
    {
        var result = RunLocalRunner("""
            on: push
            jobs:
              only:
                runs-on: ubuntu-latest
                steps:
                  - run: echo "${{ hashFiles('**/*.csproj') }}"
            """, new Dictionary<string, object>());
        Assert.AreEqual(2, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "is not an expression this local runner evaluates");
    }

    /// <summary>
    /// docs/ci/github-actions.yml's run: blocks, in order, on a copy of samples/SentimentService: restore, test, publish and
    /// push to the htpasswd registry with the workflow's own credential variables, read the digest back from GITHUB_OUTPUT.
    /// </summary>
    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void GitHubWorkflowRunsLocallyAndPushesTheImage()
    {
        EngineEnvironment.Require();
        var password = EngineEnvironment.AuthPassword;
        var run = ProcessRunner.Run("bash", new[] { Path.Combine(TestPaths.RepoRoot, "build", "run-github-actions-locally.sh") }, TestPaths.RepoRoot,
            new Dictionary<string, string?> { ["AIC_CI_REGISTRY"] = EngineEnvironment.AuthRegistry }, TimeSpan.FromMinutes(14));
        Assert.AreEqual(0, run.ExitCode, run.Output);
        Assert.DoesNotContain(password, run.Output, "the registry password is never printed");

        var digest = Regex.Match(run.StandardOutput, @"^digest=(sha256:[0-9a-f]{64})$", RegexOptions.Multiline);
        var image = Regex.Match(run.StandardOutput, @"^image=(\S+):(sha-[0-9a-f]{12})$", RegexOptions.Multiline);
        Assert.IsTrue(digest.Success, "the job's digest output is printed:\n" + run.Output);
        Assert.IsTrue(image.Success, "the job's image output is printed:\n" + run.Output);
        var repository = image.Groups[1].Value;
        StringAssert.StartsWith(repository, EngineEnvironment.AuthRegistry + "/aic-ci/sentiment-");

        foreach (var reference in new[] { $"{repository}@{digest.Groups[1].Value}", $"{repository}:{image.Groups[2].Value}", $"{repository}:latest" })
        {
            var inspect = EngineEnvironment.Skopeo("inspect", "--tls-verify=false", "--creds", $"{EngineEnvironment.AuthUser}:{password}", "docker://" + reference);
            Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
            Assert.AreEqual(digest.Groups[1].Value, JsonDocument.Parse(inspect.StandardOutput).RootElement.GetProperty("Digest").GetString(), reference);
        }
    }
}
