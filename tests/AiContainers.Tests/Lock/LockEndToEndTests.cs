using System.Text.Json;
using AiContainers.Core.Lock;
using AiContainers.Tests.Infrastructure;
using AiContainers.Tests.Weights;

namespace AiContainers.Tests.Lock;

/// <summary>
/// aicontainers.lock.json through a real project published with the packed SDK, the daemonless builder, the local
/// registry (behind a counting proxy) and the Hub stand-in: the first publish writes the lock; a Locked publish after the
/// branch moved fails with AIC7004 before anything is pushed; and a fresh runner (empty model cache, empty layer cache)
/// with the lock neither downloads the model from the Hub nor uploads its layer: one HEAD, and the manifest lists it.
/// </summary>
[TestClass]
public sealed class LockEndToEndTests
{
    private FakeHuggingFaceServer _hub = null!;
    private readonly List<string> _folders = new();

    [TestInitialize]
    public void Start()
    {
        EngineEnvironment.Require();
        _hub = new FakeHuggingFaceServer();
    }

    [TestCleanup]
    public void Stop()
    {
        _hub.Dispose();
        foreach (var folder in _folders.Where(Directory.Exists)) Directory.Delete(folder, recursive: true);
    }

    private static string Unique() => Guid.NewGuid().ToString("N")[..10];

    private (SdkProject Project, FakeRepo Repo, string Repository) App()
    {
        var id = Unique();
        var repo = _hub.AddRepo("org/lock-" + id)
            .AddText("config.json", $$"""{"model_type": "bert", "nonce": "{{id}}"}""")
            .AddFile("model.safetensors", WeightsFixture.RandomBytes(1 << 20, id.GetHashCode()), lfs: true);
        repo.License = "apache-2.0";
        var repository = "aic-tests/lock-" + id;
        var project = SdkProject.ConsoleApp("LockApp" + id, $"""
            <AiGpu>false</AiGpu>
            <ContainerRepository>{repository}</ContainerRepository>
            """, $"""<AiModel Include="bert" Source="hf://{repo.Id}" Files="*.json;*.safetensors" />""");
        _folders.Add(project.Directory);
        return (project, repo, repository);
    }

    /// <summary>A publish with its own (initially empty) model and layer caches: a runner that has never built anything.</summary>
    private ProcessResult Publish(SdkProject project, string registry, string tag, string runner, params string[] more)
    {
        var caches = Path.Combine(project.Directory + "-runners", runner);
        _folders.Add(project.Directory + "-runners");
        return project.Publish(new[]
            {
                "AiImageBuilder=Daemonless", "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "ContainerRegistry=" + registry, "ContainerImageTag=" + tag,
                "AiModelCacheDirectory=" + Path.Combine(caches, "models"), "AiLayerCacheDirectory=" + Path.Combine(caches, "layers"),
            }.Concat(more),
            new Dictionary<string, string?> { ["HF_ENDPOINT"] = _hub.Endpoint.ToString(), ["HF_TOKEN"] = null, ["HF_HUB_OFFLINE"] = null, ["AIC_MODEL_CACHE"] = null, ["AIC_LAYER_CACHE"] = null });
    }

    private static string LockPath(SdkProject project) => Path.Combine(project.Directory, LockSettings.DefaultFileName);

    private static JsonElement Skopeo(params string[] args)
    {
        var result = EngineEnvironment.Skopeo(args);
        Assert.AreEqual(0, result.ExitCode, $"skopeo {string.Join(' ', args)}:\n{result}");
        return JsonDocument.Parse(result.StandardOutput).RootElement;
    }

    private static List<string> ManifestLayers(string reference)
        => Skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + reference).GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!).ToList();

    [TestMethod]
    public void In_Auto_a_moved_base_tag_warns_AIC7500_and_the_image_is_built_from_the_pinned_digest()
    {
        // A base tag this test owns: ubuntu 22.04 first, then moved to ubuntu 24.04 (both stand-ins in the local registry).
        var id = Unique();
        var baseRepository = $"{EngineEnvironment.Registry}/aic-tests/lock-base-{id}";
        void PointBaseTagAt(string standin) => Assert.AreEqual(0, EngineEnvironment.Skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false",
            $"docker://{EngineEnvironment.MirrorPrefix}/library/{standin}", $"docker://{baseRepository}:moving").ExitCode);
        PointBaseTagAt("ubuntu:22.04");
        var pinned = Skopeo("inspect", "--tls-verify=false", $"docker://{baseRepository}:moving").GetProperty("Digest").GetString()!;
        var repository = "aic-tests/lock-moved-" + id;
        var project = SdkProject.ConsoleApp("LockMoved" + id, $"""
            <AiGpu>false</AiGpu>
            <AiBaseImage>{baseRepository}:moving</AiBaseImage>
            <ContainerRepository>{repository}</ContainerRepository>
            """);
        _folders.Add(project.Directory);
        var first = Publish(project, EngineEnvironment.Registry, "v1", "a");
        Assert.AreEqual(0, first.ExitCode, first.Output);
        Assert.AreEqual(pinned, LockFileStore.Parse(File.ReadAllText(LockPath(project)), LockPath(project)).Bases.Single().Digest);
        var firstLayers = ManifestLayers($"{EngineEnvironment.Registry}/{repository}:v1");

        PointBaseTagAt("ubuntu:24.04");
        var moved = Skopeo("inspect", "--tls-verify=false", $"docker://{baseRepository}:moving").GetProperty("Digest").GetString()!;
        Assert.AreNotEqual(pinned, moved);
        var lockBefore = File.ReadAllText(LockPath(project));
        var second = Publish(project, EngineEnvironment.Registry, "v2", "a");
        Assert.AreEqual(0, second.ExitCode, second.Output);
        var warning = Diagnostics.AssertSingle(second, "AIC7500").Text;
        StringAssert.Contains(warning, moved);
        StringAssert.Contains(warning, pinned);
        // Built from the pin: the base's layers are the pinned image's, and the lock still pins it.
        CollectionAssert.AreEqual(firstLayers, ManifestLayers($"{EngineEnvironment.Registry}/{repository}:v2"), "the same base layers and the same app");
        Assert.AreEqual(lockBefore, File.ReadAllText(LockPath(project)), "Auto keeps the pin; Update moves it");
    }

    [TestMethod]
    public void A_pinned_base_digest_the_registry_no_longer_has_is_AIC7003_naming_tag_and_digest_and_nothing_is_pushed()
    {
        var id = Unique();
        var repository = "aic-tests/lock-gone-" + id;
        var project = SdkProject.ConsoleApp("LockGone" + id, $"""
            <AiGpu>false</AiGpu>
            <ContainerRepository>{repository}</ContainerRepository>
            """);
        _folders.Add(project.Directory);
        var first = Publish(project, EngineEnvironment.Registry, "v1", "a");
        Assert.AreEqual(0, first.ExitCode, first.Output);
        // As when a registry deletes an untagged manifest: the lock pins a digest that is not there (any more).
        var text = File.ReadAllText(LockPath(project));
        var pinned = LockFileStore.Parse(text, LockPath(project)).Bases.Single().Digest;
        var gone = "sha256:" + new string('0', 64);
        File.WriteAllText(LockPath(project), text.Replace(pinned, gone, StringComparison.Ordinal));

        var second = Publish(project, EngineEnvironment.Registry, "v2", "a");
        Assert.AreNotEqual(0, second.ExitCode, second.Output);
        var error = Diagnostics.AssertSingleError(second, "AIC7003").Text;
        StringAssert.Contains(error, gone);
        StringAssert.Contains(error, "-p:AiLockMode=Update");
        Assert.AreNotEqual(0, EngineEnvironment.Skopeo("inspect", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/{repository}:v2").ExitCode, "no tag moved");
    }

    [TestMethod]
    public void The_first_publish_writes_a_lock_with_the_base_digest_the_commit_the_files_the_licence_and_the_layer()
    {
        var (project, repo, repository) = App();
        var tag = "v1-" + Unique();
        var result = Publish(project, EngineEnvironment.Registry, tag, "a");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "wrote the lock file " + LockPath(project));

        var text = File.ReadAllText(LockPath(project));
        var lockFile = LockFileStore.Parse(text, LockPath(project));
        Assert.AreEqual(project.Name, lockFile.Project.Name);
        Assert.AreEqual(repository, lockFile.Project.Repository);

        // The base: the digest its tag has in the registry (the mirror), with the platform's manifest.
        var locked = lockFile.Bases.Single();
        var dockerfile = File.ReadAllText(Path.Combine(project.OutputDirectory, "Dockerfile"));
        var from = System.Text.RegularExpressions.Regex.Match(dockerfile, @"^FROM (\S+)@sha256:[0-9a-f]{64} AS final$", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.IsTrue(from.Success, dockerfile);
        var mirroredTag = from.Groups[1].Value + ":" + locked.Reference[(locked.Reference.LastIndexOf(':') + 1)..];
        Assert.AreEqual(DigestOf(mirroredTag), locked.Digest, "the digest the tag has in the registry");
        Assert.IsTrue(locked.Platforms.ContainsKey("linux/amd64"), text);
        StringAssert.Contains(dockerfile, "@" + locked.Digest + " AS final", "the Dockerfile pulls by the lock's digest");
        StringAssert.Contains(dockerfile, $"# Base image: {locked.Reference}, pinned to {locked.Digest} by aicontainers.lock.json", "the tag stays readable");

        var bert = lockFile.Models.Single();
        Assert.AreEqual(repo.CommitSha, bert.Commit);
        Assert.AreEqual("main", bert.Revision);
        Assert.AreEqual("apache-2.0", bert.License);
        CollectionAssert.AreEqual(new[] { "config.json", "model.safetensors" }, bert.Files.Select(f => f.Path).ToArray());
        Assert.AreEqual(repo.Files["model.safetensors"].Sha256, bert.Files[1].Sha256);
        Assert.AreEqual(1 << 20, bert.Files[1].Size);
        Assert.IsNotNull(bert.Layer, text);
        CollectionAssert.Contains(ManifestLayers($"{EngineEnvironment.Registry}/{repository}:{tag}"), bert.Layer.Digest, "the lock names the layer the image has");

        // Again, unchanged: the same bytes, and the file is not rewritten.
        var stamp = File.GetLastWriteTimeUtc(LockPath(project));
        var again = Publish(project, EngineEnvironment.Registry, "v2-" + Unique(), "a");
        Assert.AreEqual(0, again.ExitCode, again.Output);
        Assert.AreEqual(text, File.ReadAllText(LockPath(project)));
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(LockPath(project)));
    }

    private static string DigestOf(string reference)
        => Skopeo("inspect", "--tls-verify=false", "docker://" + reference).GetProperty("Digest").GetString()!;

    [TestMethod]
    public void Locked_mode_fails_with_AIC7004_when_the_branch_moved_and_pushes_nothing()
    {
        var (project, repo, repository) = App();
        var first = Publish(project, EngineEnvironment.Registry, "v1-" + Unique(), "a");
        Assert.AreEqual(0, first.ExitCode, first.Output);
        var lockText = File.ReadAllText(LockPath(project));

        var moved = repo.MoveBranch("main");
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        var tag = "v2-" + Unique();
        var before = _hub.Requests.Count;
        var result = Publish(project, proxy.HostPort, tag, "b", "AiLockMode=Locked");
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error AIC7004");
        StringAssert.Contains(result.Output, $"the lock has commit {repo.CommitSha}, now commit {moved}");
        StringAssert.Contains(result.Output, "-p:AiLockMode=Update");
        Assert.AreEqual(0, _hub.Requests.Skip(before).Count(r => r.RawUrl.Contains("/resolve/")), "no file of the moved branch is downloaded");
        Assert.AreEqual(0, proxy.Requests.Count(r => r.StartsWith("PUT ", StringComparison.Ordinal) || r.StartsWith("POST ", StringComparison.Ordinal) || r.StartsWith("PATCH ", StringComparison.Ordinal)),
            "nothing is pushed:\n" + string.Join("\n", proxy.Requests));
        Assert.AreNotEqual(0, EngineEnvironment.Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/{repository}:{tag}").ExitCode, "no tag was written");
        Assert.AreEqual(lockText, File.ReadAllText(LockPath(project)), "Locked never writes the lock");

        // Update re-resolves to the new commit and rewrites the lock.
        var updated = Publish(project, EngineEnvironment.Registry, "v3-" + Unique(), "b", "AiLockMode=Update");
        Assert.AreEqual(0, updated.ExitCode, updated.Output);
        Assert.AreEqual(moved, LockFileStore.Parse(File.ReadAllText(LockPath(project)), "lock").Models.Single().Commit);
    }

    [TestMethod]
    public void A_fresh_runner_with_the_lock_neither_downloads_the_model_nor_uploads_its_layer()
    {
        var (project, _, repository) = App();
        var first = Publish(project, EngineEnvironment.Registry, "v1-" + Unique(), "first");
        Assert.AreEqual(0, first.ExitCode, first.Output);
        var layer = LockFileStore.Parse(File.ReadAllText(LockPath(project)), "lock").Models.Single().Layer!;

        // Another runner: empty model cache, empty layer cache, no engine involved (daemonless push).
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        var before = _hub.Requests.Count;
        var tag = "v2-" + Unique();
        var result = Publish(project, proxy.HostPort, tag, "fresh");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var hub = _hub.Requests.Skip(before).ToList();
        Assert.AreEqual(0, hub.Count(r => r.RawUrl.Contains("/resolve/") || r.Listener == "cdn"), "no model file is downloaded: " + string.Join(", ", hub.Select(r => r.RawUrl)));
        Assert.AreEqual(0, hub.Count, "not even a revision lookup: the lock pins the commit");
        StringAssert.Contains(result.Output, "the registry holds its layer");

        var uploads = proxy.Requests.Where(r => r.Contains("/blobs/uploads/")).ToList();
        Assert.IsFalse(uploads.Any(r => Uri.UnescapeDataString(r).Contains(layer.Digest)), "the model layer is not uploaded:\n" + string.Join("\n", uploads));
        Assert.IsTrue(proxy.Requests.Any(r => r.StartsWith("HEAD ", StringComparison.Ordinal) && r.EndsWith("/blobs/" + layer.Digest, StringComparison.Ordinal)), "a HEAD confirmed the registry has it");
        CollectionAssert.Contains(ManifestLayers($"{EngineEnvironment.Registry}/{repository}:{tag}"), layer.Digest, "the manifest lists the layer by digest");
        Assert.IsFalse(Directory.Exists(Path.Combine(project.Directory + "-runners", "fresh", "models", "blobs"))
            && Directory.EnumerateFiles(Path.Combine(project.Directory + "-runners", "fresh", "models", "blobs")).Any(), "the fresh model cache stays empty");

        // The image is whole: its config lists the model layer's diffID among its rootfs layers.
        var config = Skopeo("inspect", "--config", "--raw", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/{repository}:{tag}");
        CollectionAssert.Contains(config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()).ToList(), layer.DiffId);
    }
}
