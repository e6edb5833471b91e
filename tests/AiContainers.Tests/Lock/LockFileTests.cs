using AiContainers.Core.Diagnostics;
using AiContainers.Core.Lock;
using AiContainers.Core.Publishing;
using AiContainers.Core.Weights;
using AiContainers.Tests.Infrastructure;
using AiContainers.Tests.Weights;
using static AiContainers.Tests.Weights.WeightsFixture;

namespace AiContainers.Tests.Lock;

/// <summary>
/// aicontainers.lock.json as a model: its text is deterministic (sorted keys and entries, '\n', a final newline) and
/// round-trips; bad locks (corrupt, newer, another project's) fail with their codes; drift is named; and the fetcher
/// follows the pins against the Hub stand-in: a pinned model asks the Hub nothing, a layer the registry holds is not
/// downloaded at all, and Locked mode finds a moved branch with one request.
/// </summary>
[TestClass]
public sealed class LockFileTests
{
    private WeightsFixture _f = null!;

    [TestInitialize] public void Start() => _f = new WeightsFixture();
    [TestCleanup] public void Stop() => _f.Dispose();

    private static readonly string D1 = "sha256:" + new string('1', 64);
    private static readonly string D2 = "sha256:" + new string('2', 64);
    private static readonly string D3 = "sha256:" + new string('3', 64);

    private static LockFile Sample(string baseDigest = "") => new(1, "0.1.0", new LockProject("App", "e2e/app"),
        [
            new LockedBase("docker.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04", baseDigest.Length > 0 ? baseDigest : D1,
                new Dictionary<string, string> { ["linux/arm64"] = D3, ["linux/amd64"] = D2 }),
            new LockedBase("docker.io/library/debian:12", D2, new Dictionary<string, string> { ["linux/amd64"] = D2 }),
        ],
        [
            new LockedModel("zeta", "https://example.com/m.onnx", null, [], [], null, null, null, D3, [new LockedFile("m.onnx", new string('c', 64), 10)], null),
            new LockedModel("bert", "hf://org/bert", "main", ["*.json", "*.safetensors"], ["onnx/**"], null, new string('a', 40), "apache-2.0", D1,
                [new LockedFile("model.safetensors", new string('e', 64), 2097152), new LockedFile("config.json", new string('d', 64), 42, new string('f', 40))],
                new LockedLayer(D2, 2100000, D2, "application/vnd.docker.image.rootfs.diff.tar")),
        ]);

    private string WriteLock(string text)
    {
        var path = Path.Combine(_f.Root, "aicontainers.lock.json");
        File.WriteAllText(path, text);
        return path;
    }

    private static AiException Throws(Action action)
    {
        try { action(); }
        catch (AiException e) { return e; }
        throw new AssertFailedException("a coded error was expected");
    }

    [TestMethod]
    public void The_text_is_sorted_and_stable_and_round_trips()
    {
        var text = LockFileStore.Serialize(Sample());
        StringAssert.EndsWith(text, "}\n", "a final newline");
        Assert.IsFalse(text.Contains('\r'), "'\\n' line ends on every OS");
        Assert.IsTrue(text.IndexOf("\"bert\"", StringComparison.Ordinal) < text.IndexOf("\"zeta\"", StringComparison.Ordinal), "models by name");
        Assert.IsTrue(text.IndexOf("\"config.json\"", StringComparison.Ordinal) < text.IndexOf("\"model.safetensors\"", StringComparison.Ordinal), "files by path");
        Assert.IsTrue(text.IndexOf("linux/amd64", StringComparison.Ordinal) < text.IndexOf("linux/arm64", StringComparison.Ordinal), "platforms by name");
        Assert.IsTrue(text.IndexOf("\"bases\"", StringComparison.Ordinal) < text.IndexOf("\"models\"", StringComparison.Ordinal)
            && text.IndexOf("\"models\"", StringComparison.Ordinal) < text.IndexOf("\"version\"", StringComparison.Ordinal), "keys in ordinal order");
        StringAssert.Contains(text, "\n  \"version\": 1,\n", "two-space indent");
        StringAssert.Contains(text, "\"license\": \"apache-2.0\"");

        // Entries given in another order make the same bytes; the parsed lock writes the same bytes again.
        var shuffled = Sample() with { Bases = Sample().Bases.Reverse().ToList(), Models = Sample().Models.Reverse().ToList() };
        Assert.AreEqual(text, LockFileStore.Serialize(shuffled));
        var parsed = LockFileStore.Parse(text, "lock");
        Assert.AreEqual(text, LockFileStore.Serialize(parsed));
        var bert = parsed.Model("bert")!;
        Assert.AreEqual("apache-2.0", bert.License);
        Assert.AreEqual(new string('f', 40), bert.Files.Single(f => f.Path == "config.json").GitOid);
        Assert.AreEqual(D2, bert.Layer!.DiffId);
        Assert.AreEqual(D3, parsed.Base("docker.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04")!.Platforms["linux/arm64"]);
    }

    [TestMethod]
    public void Writing_an_unchanged_lock_leaves_the_file_untouched()
    {
        var path = Path.Combine(_f.Root, "aicontainers.lock.json");
        LockFileStore.Write(Sample(), path);
        var stamp = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);
        LockFileStore.Write(Sample(), path);
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(path));
        LockFileStore.Write(Sample(D3), path);
        Assert.AreNotEqual(stamp, File.GetLastWriteTimeUtc(path));
        Assert.AreEqual(D3, LockFileStore.ReadIfPresent(path, "App")!.Bases.Single(b => b.Reference.Contains("cuda")).Digest);
    }

    [TestMethod]
    public void A_missing_lock_is_null_not_an_error()
        => Assert.IsNull(LockFileStore.ReadIfPresent(Path.Combine(_f.Root, "none.json"), "App"));

    [TestMethod]
    [DataRow("{ \"version\": 1, \"writtenBy\": ", "not JSON")]
    [DataRow("[]", "not a JSON object")]
    [DataRow("{ \"writtenBy\": \"0.1.0\" }", "'version'")]
    [DataRow("{ \"version\": 1, \"writtenBy\": \"0.1.0\", \"project\": { \"name\": \"App\" }, \"bases\": [ { \"reference\": \"x\", \"digest\": \"sha256:abc\" } ] }", "'digest'")]
    [DataRow("{ \"version\": 1, \"writtenBy\": \"0.1.0\", \"project\": { \"name\": \"App\" }, \"models\": [ { \"name\": \"m\", \"source\": \"hf://a/b\", \"contentDigest\": \"sha256:1111111111111111111111111111111111111111111111111111111111111111\", \"files\": [ { \"path\": \"a\", \"sha256\": \"zz\", \"size\": 1 } ] } ] }", "'sha256'")]
    [DataRow("{ \"version\": 1, \"writtenBy\": \"0.1.0\" }", "'project'")]
    public void A_corrupt_lock_is_AIC7000_naming_the_problem_and_the_fix(string text, string problem)
    {
        var path = WriteLock(text);
        var error = Throws(() => LockFileStore.ReadIfPresent(path, "App"));
        Assert.AreEqual("AIC7000", error.Code, error.Message);
        StringAssert.Contains(error.Message, path);
        StringAssert.Contains(error.Message, problem);
        StringAssert.Contains(error.Message, "-p:AiLockMode=Update");
    }

    [TestMethod]
    public void A_lock_from_a_newer_schema_or_package_is_AIC7001()
    {
        var newerSchema = Throws(() => LockFileStore.ReadIfPresent(WriteLock("{ \"version\": 2, \"writtenBy\": \"0.1.0\", \"anything\": [1] }"), "App"));
        Assert.AreEqual("AIC7001", newerSchema.Code, newerSchema.Message);
        StringAssert.Contains(newerSchema.Message, "lock schema 2");
        StringAssert.Contains(newerSchema.Message, "-p:AiLockMode=Update");

        var newerPackage = Throws(() => LockFileStore.ReadIfPresent(WriteLock(LockFileStore.Serialize(Sample() with { WrittenBy = "0.2.0-dev.3" })), "App"));
        Assert.AreEqual("AIC7001", newerPackage.Code, newerPackage.Message);
        StringAssert.Contains(newerPackage.Message, "AiContainers 0.2.0-dev.3");

        Assert.IsNotNull(LockFileStore.ReadIfPresent(WriteLock(LockFileStore.Serialize(Sample() with { WrittenBy = "0.1.0-dev.40" })), "App"), "a pre-release of this version reads");
    }

    [TestMethod]
    public void Another_projects_lock_is_AIC7002()
    {
        var error = Throws(() => LockFileStore.ReadIfPresent(WriteLock(LockFileStore.Serialize(Sample())), "OtherApp"));
        Assert.AreEqual("AIC7002", error.Code);
        StringAssert.Contains(error.Message, "'App', not 'OtherApp'");
        StringAssert.Contains(error.Message, "AiLockFile");
    }

    [TestMethod]
    public void Drift_names_what_moved()
    {
        var locked = Sample();
        Assert.IsNull(LockDrift.Base(locked, "docker.io/library/debian:12", D2));
        Assert.AreEqual($"base image docker.io/library/debian:12: the lock has {D2}, now {D3}", LockDrift.Base(locked, "docker.io/library/debian:12", D3)!.ToString());
        StringAssert.Contains(LockDrift.Base(locked, "docker.io/library/ubuntu:24.04", D3)!.ToString(), "no pin for it");

        var bert = locked.Model("bert")!;
        Assert.IsNull(LockDrift.Commit(bert, bert.Commit!));
        StringAssert.Contains(LockDrift.Commit(bert, new string('b', 40))!.ToString(), $"revision 'main' of hf://org/bert: the lock has commit {bert.Commit}, now commit {new string('b', 40)}");

        var files = LockDrift.Files(bert, [bert.Files[0] with { Sha256 = new string('9', 64) }, new LockedFile("extra.bin", new string('8', 64), 1)]);
        CollectionAssert.AreEqual(new[] { "AiModel 'bert' file 'config.json'", "AiModel 'bert' file 'extra.bin'", "AiModel 'bert' file 'model.safetensors'" }, files.Select(d => d.What).ToArray());
        StringAssert.Contains(files[1].ToString(), "no such file");

        var moved = Sample(D3) with { Models = [locked.Models[1] with { Commit = new string('b', 40) }] };
        var all = LockDrift.Compare(locked, moved);
        CollectionAssert.AreEqual(new[] { "base image docker.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04", "AiModel 'bert' revision 'main' of hf://org/bert", "AiModel 'zeta'" },
            all.Select(d => d.What).ToArray(), string.Join("\n", all));
        Assert.AreEqual(0, LockDrift.Compare(locked, Sample()).Count);
    }

    [TestMethod]
    public void A_changed_declaration_is_drift_and_its_pins_do_not_apply()
    {
        var specs = _f.Specs(Model("bert", "hf://org/bert@main", ("Files", "*.json;*.safetensors"), ("ExcludeFiles", "onnx/**")));
        var locked = Sample() with { Models = [Sample().Model("bert")!] };
        Assert.IsTrue(LockDrift.SameRequest(specs[0], locked.Models[0]));
        Assert.AreEqual(0, LockDrift.Declarations(locked, specs).Count);

        var otherFiles = _f.Specs(Model("bert", "hf://org/bert@main", ("Files", "*.safetensors"), ("ExcludeFiles", "onnx/**")));
        Assert.IsFalse(LockDrift.SameRequest(otherFiles[0], locked.Models[0]));
        var drift = LockDrift.Declarations(locked, otherFiles.Concat(_f.Specs(Model("gpt", "hf://org/gpt"))).ToList());
        Assert.AreEqual(2, drift.Count, string.Join("\n", drift));
        StringAssert.Contains(drift[0].ToString(), "Files=*.json;*.safetensors");
        StringAssert.Contains(drift[1].ToString(), "AiModel 'gpt': the lock has no such model");
        Assert.IsFalse(LockDrift.SameRequest(_f.Specs(Model("bert", "hf://org/bert@v1.0", ("Files", "*.json;*.safetensors"), ("ExcludeFiles", "onnx/**")))[0], locked.Models[0]), "another revision");
        StringAssert.Contains(LockDrift.Declarations(locked, []).Single().ToString(), "not declared");
    }

    /// <summary>The lock as a first fetch would write it, with the Hub stand-in's answers.</summary>
    private async Task<(ModelSpec Spec, LockedModel Locked, ModelFetchResult Fetched)> FirstFetch(string source = "hf://org/bert@main", bool license = true)
    {
        _bert = _f.AddBert();
        if (license) _bert.License = "apache-2.0";
        var specs = _f.Specs(Model("bert", source, ("Files", "*.json;*.safetensors")));
        var fetched = await new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Fast) { LookUpLicense = true }
            .FetchAsync(specs, CancellationToken.None);
        var spec = Inputs.Spec(Inputs.WebApp()) with { Models = specs, Lock = new LockSettings(AiLockMode.Auto, Path.Combine(_f.Root, "l.json"), "App") };
        var lockFile = LockWriter.Compose(spec, new LockPlan(AiLockMode.Auto, "l.json", true, [], new Dictionary<string, ModelPin>(), null), fetched, _ => null);
        return (specs[0], lockFile.Models.Single(), fetched);
    }

    private FakeRepo _bert = null!;

    private int HubRequests() => _f.Server.Requests.Count;

    [TestMethod]
    public async Task The_first_fetch_records_commit_files_and_the_hub_licence()
    {
        var (_, locked, fetched) = await FirstFetch();
        Assert.AreEqual(fetched.Models[0].Commit, locked.Commit);
        Assert.AreEqual("apache-2.0", locked.License, "cardData.license from the revision answer the fetch makes anyway");
        Assert.AreEqual("main", locked.Revision);
        CollectionAssert.AreEqual(new[] { "config.json", "model.safetensors", "tokenizer.json" }, locked.Files.Select(f => f.Path).ToArray());
        Assert.AreEqual(2 << 20, locked.Files.Single(f => f.Path == "model.safetensors").Size);
        Assert.IsNull(locked.Files.Single(f => f.Path == "model.safetensors").GitOid, "an LFS file is named by its sha256");
        Assert.IsNotNull(locked.Files.Single(f => f.Path == "config.json").GitOid, "a regular file keeps its git blob id");
        Assert.AreEqual(fetched.Models[0].ContentDigest, locked.ContentDigest);
    }

    [TestMethod]
    public async Task A_commit_pinned_source_asks_the_hub_for_its_licence_only_when_the_lock_is_written()
    {
        var repo = _f.AddBert();
        repo.License = "mit";
        var specs = _f.Specs(Model("bert", "hf://org/bert@" + repo.CommitSha, ("Files", "config.json")));
        var without = await _f.Fetch(specs);
        Assert.IsNull(without.Models[0].License);
        Assert.AreEqual(0, _f.Server.Requests.Count(r => r.RawUrl.Contains("/revision/")), "no lock, no licence lookup");
        var with = await new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Fast) { LookUpLicense = true }.FetchAsync(specs, CancellationToken.None);
        Assert.AreEqual("mit", with.Models[0].License);
    }

    [TestMethod]
    public async Task A_pinned_model_on_an_empty_cache_downloads_its_files_but_asks_the_hub_nothing_else()
    {
        var (spec, locked, _) = await FirstFetch();
        var emptyCache = Path.Combine(_f.Root, "fresh-cache");
        var before = HubRequests();
        using var fetcher = new ModelFetcher(new ModelCache(emptyCache), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Fast)
        {
            Pins = new Dictionary<string, ModelPin> { ["bert"] = new(locked, CheckRevision: false, LayerInRegistry: false) },
        };
        var again = await fetcher.FetchAsync([spec], CancellationToken.None);
        var requests = _f.Server.Requests.Skip(before).ToList();
        Assert.AreEqual(0, requests.Count(r => r.RawUrl.Contains("/api/")), "no revision or tree request: " + string.Join(", ", requests.Select(r => r.RawUrl)));
        Assert.AreEqual(3, requests.Count(r => r.RawUrl.Contains("/resolve/")), "the three files, at the locked commit");
        Assert.IsTrue(requests.Where(r => r.RawUrl.Contains("/resolve/")).All(r => r.RawUrl.Contains(locked.Commit!)));
        Assert.AreEqual(locked.ContentDigest, again.Models[0].ContentDigest, "the same layout as the first fetch");
        Assert.AreEqual("apache-2.0", again.Models[0].License, "the licence comes from the lock");
    }

    [TestMethod]
    public async Task A_layer_the_registry_holds_is_neither_downloaded_nor_laid_out()
    {
        var (spec, locked, _) = await FirstFetch();
        var layer = new LockedLayer(D2, 2 << 20, D2, "application/vnd.docker.image.rootfs.diff.tar");
        locked = locked with { Layer = layer };
        var before = HubRequests();
        var emptyCache = Path.Combine(_f.Root, "fresh-cache");
        using var fetcher = new ModelFetcher(new ModelCache(emptyCache), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Fast)
        {
            Pins = new Dictionary<string, ModelPin> { ["bert"] = new(locked, false, LayerInRegistry: true) },
        };
        var result = await fetcher.FetchAsync([spec], CancellationToken.None);
        Assert.AreEqual(before, HubRequests(), "not one request to the Hub");
        Assert.IsFalse(Directory.Exists(Path.Combine(emptyCache, "blobs")) && Directory.EnumerateFiles(Path.Combine(emptyCache, "blobs")).Any(), "nothing in the cache");
        var model = result.Models[0];
        Assert.AreEqual(layer, model.RegistryLayer);
        Assert.AreEqual(locked.ContentDigest, model.ContentDigest);

        // The daemonless plan references the layer by digest, with no entry to write.
        var context = Path.Combine(_f.Root, "context");
        var planned = ImageLayerPlan.ModelLayer(model, context, emptyCache);
        Assert.AreEqual(D2, planned.Prebuilt!.Digest);
        Assert.AreEqual(0, planned.Entries.Count);
        // The weights context skips it: there are no files to link.
        var written = Path.Combine(_f.Root, "weights");
        ModelLayout.Write(result.Models.Where(m => m.RegistryLayer is null), written);
        Assert.AreEqual(0, Directory.EnumerateFileSystemEntries(written).Count());
    }

    [TestMethod]
    public async Task Locked_mode_finds_a_moved_branch_with_one_hub_request_and_fails_with_AIC7004()
    {
        var (spec, locked, _) = await FirstFetch();
        var moved = _f.Server.Requests.Count;
        // Same commit: one revision request, then the pinned files (already cached: nothing more).
        using (var same = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Fast)
               { Pins = new Dictionary<string, ModelPin> { ["bert"] = new(locked, CheckRevision: true, false) }, FailOnDrift = true })
            await same.FetchAsync([spec], CancellationToken.None);
        Assert.AreEqual(1, _f.Server.Requests.Skip(moved).Count(r => r.RawUrl.Contains("/revision/")));

        var bert = _f.Server.Requests.Count;
        var newCommit = _bert.MoveBranch("main");
        using var fetcher = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Fast)
        {
            Pins = new Dictionary<string, ModelPin> { ["bert"] = new(locked, CheckRevision: true, false) },
            FailOnDrift = true,
            LockPath = "/src/app/aicontainers.lock.json",
        };
        var error = await Assert.ThrowsExactlyAsync<AiException>(() => fetcher.FetchAsync([spec], CancellationToken.None));
        Assert.AreEqual("AIC7004", error.Code, error.Message);
        StringAssert.Contains(error.Message, $"commit {locked.Commit}, now commit {newCommit}");
        StringAssert.Contains(error.Message, "-p:AiLockMode=Update");
        StringAssert.Contains(error.Message, "Nothing was built or pushed");
        Assert.AreEqual(0, _f.Server.Requests.Skip(bert).Count(r => r.RawUrl.Contains("/resolve/")), "no file of the moved branch is downloaded");
    }

    [TestMethod]
    public async Task A_changed_local_model_warns_in_Auto_and_fails_in_Locked()
    {
        var folder = Path.Combine(_f.ProjectDirectory, "local-model");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "weights.bin"), "one");
        var specs = _f.Specs(Model("local", "local-model"));
        var first = await _f.Fetch(specs);
        var spec = Inputs.Spec(Inputs.WebApp()) with { Models = specs, Lock = new LockSettings(AiLockMode.Auto, "l.json", "App") };
        var locked = LockWriter.Compose(spec, new LockPlan(AiLockMode.Auto, "l.json", true, [], new Dictionary<string, ModelPin>(), null), first, _ => null).Models.Single();
        File.WriteAllText(Path.Combine(folder, "weights.bin"), "two!");

        var log = new RecordingLog();
        using (var auto = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), log, Fast)
               { Pins = new Dictionary<string, ModelPin> { ["local"] = new(locked, false, false) } })
            await auto.FetchAsync(specs, CancellationToken.None);
        StringAssert.Contains(log.ToString(), "AIC7501");
        StringAssert.Contains(log.ToString(), "file 'weights.bin'");

        using var strict = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), log, Fast)
        { Pins = new Dictionary<string, ModelPin> { ["local"] = new(locked, false, false) }, FailOnDrift = true };
        var error = await Assert.ThrowsExactlyAsync<AiException>(() => strict.FetchAsync(specs, CancellationToken.None));
        Assert.AreEqual("AIC7004", error.Code, error.Message);
    }

    [TestMethod]
    public async Task FromLock_rebuilds_the_layout_digest_only_while_the_layout_is_unchanged()
    {
        var (spec, locked, _) = await FirstFetch();
        Assert.AreEqual(locked.ContentDigest, ModelFetcher.FromLock(spec, locked, _f.CacheDirectory)!.ContentDigest);
        var moved = spec with { Target = "/opt/other" };
        Assert.AreNotEqual(locked.ContentDigest, ModelFetcher.FromLock(moved, locked, _f.CacheDirectory)!.ContentDigest, "another ContainerPath is another layer");
    }

    [TestMethod]
    public void The_hub_licence_comes_from_cardData_else_a_license_tag()
    {
        using var card = System.Text.Json.JsonDocument.Parse("""{"cardData": {"license": "apache-2.0"}, "tags": ["license:mit"]}""");
        Assert.AreEqual("apache-2.0", HubLicense(card.RootElement));
        using var list = System.Text.Json.JsonDocument.Parse("""{"cardData": {"license": ["cc-by-4.0", "mit"]}}""");
        Assert.AreEqual("cc-by-4.0", HubLicense(list.RootElement));
        using var tag = System.Text.Json.JsonDocument.Parse("""{"cardData": {}, "tags": ["pytorch", "license:llama3"]}""");
        Assert.AreEqual("llama3", HubLicense(tag.RootElement));
        using var none = System.Text.Json.JsonDocument.Parse("""{"sha": "x"}""");
        Assert.IsNull(HubLicense(none.RootElement));
    }

    private static string? HubLicense(System.Text.Json.JsonElement info) => HubApi.License(info);
}
