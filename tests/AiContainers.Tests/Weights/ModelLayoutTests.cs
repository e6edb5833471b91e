using AiContainers.Core.Weights;
using AiContainers.Tests.Infrastructure;
using static AiContainers.Tests.Weights.WeightsFixture;

namespace AiContainers.Tests.Weights;

[TestClass]
public sealed class ModelLayoutTests
{
    private WeightsFixture _f = null!;

    [TestInitialize] public void Start() => _f = new WeightsFixture();
    [TestCleanup] public void Stop() => _f.Dispose();

    /// <summary>
    /// What huggingface_hub's try_to_load_from_cache does for from_pretrained("org/name") with
    /// HF_HUB_OFFLINE=1: HF_HOME/hub/models--org--name/refs/main names the commit (read without
    /// stripping), and snapshots/&lt;commit&gt;/&lt;file&gt; must resolve to a file.
    /// </summary>
    private static string? HfCacheLookup(string hfHome, string repoId, string filename, string revision = "main")
    {
        var repo = Path.Combine(hfHome, "hub", "models--" + repoId.Replace("/", "--"));
        var refPath = Path.Combine(repo, "refs", revision);
        var commit = File.Exists(refPath) ? File.ReadAllText(refPath) : revision;
        var path = Path.Combine(repo, "snapshots", commit, filename);
        return File.Exists(path) ? path : null;
    }

    [TestMethod]
    public async Task The_hf_cache_layout_is_found_the_way_huggingface_hub_looks_offline()
    {
        var repo = _f.AddBert();
        var result = await _f.Fetch(Model("bert", "hf://org/bert@v1.0", ("Layout", "hf-cache")));
        var root = Path.Combine(_f.Root, "context", "weights");
        var stats = ModelLayout.Write(result.Models, root);
        var hfHome = Path.Combine(root, "models", "huggingface");

        foreach (var (path, file) in repo.Files)
        {
            var found = HfCacheLookup(hfHome, "org/bert", path);
            Assert.IsNotNull(found, path + " is found through refs/main and the snapshot");
            CollectionAssert.AreEqual(file.Content, File.ReadAllBytes(found), path);
            var link = new FileInfo(found).LinkTarget;
            Assert.IsNotNull(link, "snapshot entries are symlinks into blobs/, as in huggingface_hub's cache");
            Assert.IsFalse(Path.IsPathRooted(link), "relative, so the link survives the copy into the image");
        }
        Assert.IsNotNull(HfCacheLookup(hfHome, "org/bert", "config.json", revision: "v1.0"), "the named revision has its ref too");
        Assert.AreEqual(repo.CommitSha, File.ReadAllText(Path.Combine(hfHome, "hub", "models--org--bert", "refs", "main")), "no trailing newline");
        Assert.IsTrue(File.Exists(Path.Combine(hfHome, "hub", "models--org--bert", "blobs", repo.Files["model.safetensors"].Sha256)), "LFS blobs are named by sha256");
        Assert.IsTrue(File.Exists(Path.Combine(hfHome, "hub", "models--org--bert", "blobs", repo.Files["config.json"].GitOid)), "regular blobs by their git blob id (huggingface_hub's etag)");
        Assert.AreEqual("/models/huggingface/hub/models--org--bert/snapshots/" + repo.CommitSha, result.Models[0].EnvironmentValue);
        Assert.AreEqual(4, stats.Symlinks);
        Assert.AreEqual(4, stats.Linked + stats.Copied);
    }

    /// <summary>The files under snapshots/&lt;commit&gt;, '/'-separated, as huggingface_hub's _local_file_exists sees them.</summary>
    private static string[] SnapshotFiles(string snapshot)
        => Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(snapshot, p).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();

    [TestMethod]
    public async Task The_trees_file_lists_exactly_the_files_in_the_image_in_huggingface_hubs_format()
    {
        var repo = _f.AddBert();
        // A subset of the repository: a trees file listing the whole repository would make huggingface_hub's
        // offline snapshot_download raise IncompleteSnapshotError for the files the image lacks.
        var result = await _f.Fetch(Model("bert", "hf://org/bert", ("Layout", "hf-cache"), ("Files", "*.json;*.safetensors;onnx/**"), ("ExcludeFiles", "tokenizer.json")));
        var root = Path.Combine(_f.Root, "context", "weights");
        ModelLayout.Write(result.Models, root);
        var repoFolder = Path.Combine(root, "models", "huggingface", "hub", "models--org--bert");

        // _tree_cache.py: <storage folder>/trees/<commit>.json, format_version 1.
        var treesPath = Path.Combine(repoFolder, "trees", repo.CommitSha + ".json");
        Assert.IsTrue(File.Exists(treesPath), "trees/<commit>.json, which snapshot_download(revision=<commit>) reads offline");
        using var trees = System.Text.Json.JsonDocument.Parse(File.ReadAllText(treesPath));
        Assert.AreEqual(1, trees.RootElement.GetProperty("format_version").GetInt32(), "huggingface_hub ignores any other format_version");
        var listed = trees.RootElement.GetProperty("files").EnumerateObject().ToList();
        var inImage = SnapshotFiles(Path.Combine(repoFolder, "snapshots", repo.CommitSha));
        CollectionAssert.AreEqual(inImage, listed.Select(p => p.Name).ToArray(), "the listing is exactly the snapshot's files, sorted");
        CollectionAssert.AreEqual(new[] { "config.json", "model.safetensors", "onnx/model.onnx.json" }, inImage);

        foreach (var entry in listed)
        {
            var file = repo.Files[entry.Name];
            var info = entry.Value;
            Assert.AreEqual(file.Content.Length, info.GetProperty("size").GetInt64(), entry.Name);
            Assert.AreEqual(file.GitOid, info.GetProperty("blob_id").GetString(), entry.Name + ": the git blob id the Hub's tree API lists (the pointer's, for LFS)");
            if (file.Lfs)
            {
                Assert.AreEqual(file.Sha256, info.GetProperty("lfs_sha256").GetString(), entry.Name);
                Assert.AreEqual(file.Content.Length, info.GetProperty("lfs_size").GetInt64(), entry.Name);
            }
            else Assert.IsFalse(info.TryGetProperty("lfs_sha256", out _), entry.Name + " is a regular file");
            Assert.IsFalse(info.TryGetProperty("xet_hash", out _), "no xet hash: a wrong one makes huggingface_hub drop the whole listing");
        }
        Assert.AreEqual(File.ReadAllText(treesPath), ModelLayout.HfTreeListing(result.Models[0]), "the planned text is what lands in the image");
    }

    [TestMethod]
    [DataRow("hf://org/bert", new[] { "main" })]
    [DataRow("hf://org/bert@v1.0", new[] { "main", "v1.0" })]
    [DataRow("hf://org/bert@COMMIT", new[] { "main" })]
    public async Task Revision_main_names_the_one_revision_in_the_image_whatever_Source_pinned(string source, string[] refs)
    {
        var repo = _f.AddBert();
        var result = await _f.Fetch(Model("bert", source.Replace("COMMIT", repo.CommitSha), ("Layout", "hf-cache")));
        var root = Path.Combine(_f.Root, "context", "weights");
        ModelLayout.Write(result.Models, root);
        var refsFolder = Path.Combine(root, "models", "huggingface", "hub", "models--org--bert", "refs");

        CollectionAssert.AreEqual(refs, Directory.EnumerateFiles(refsFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        foreach (var name in refs)
            Assert.AreEqual(repo.CommitSha, File.ReadAllText(Path.Combine(refsFolder, name)), name + " names the image's commit");
        Assert.IsNotNull(HfCacheLookup(Path.Combine(root, "models", "huggingface"), "org/bert", "config.json"), "from_pretrained(\"org/bert\") with no revision finds the image's weights");
    }

    /// <summary>
    /// A real Hugging Face client, @huggingface/hub from npm (installed by build/test.sh into artifacts/node), reads
    /// the layout through its cache helpers, with every network request refused: scanCacheDir finds the repository,
    /// its one revision and its refs; downloadFileToCacheDir(revision=&lt;commit&gt;) returns each snapshot file without
    /// asking the Hub. The npm client does not read trees/ (huggingface_hub's Python client does, which the test above covers).
    /// </summary>
    [TestMethod]
    public async Task The_huggingface_js_client_finds_every_file_offline()
    {
        var nodeModulesParent = Path.Combine(TestPaths.RepoRoot, "artifacts", "node");
        EngineEnvironment.RequireTool(Path.Combine(nodeModulesParent, "node_modules", "@huggingface", "hub", "package.json"), "build/test.sh installs @huggingface/hub into artifacts/node");
        var repo = _f.AddBert();
        var result = await _f.Fetch(Model("bert", "hf://org/bert@v1.0", ("Layout", "hf-cache"), ("ExcludeFiles", "tokenizer.json")));
        var root = Path.Combine(_f.Root, "context", "weights");
        ModelLayout.Write(result.Models, root);
        var hubCache = Path.Combine(root, "models", "huggingface", "hub");
        var inImage = result.Models[0].Files.Select(f => f.Path).Order(StringComparer.Ordinal).ToArray();

        var script = Path.Combine(TestPaths.SourceDirectory, "Weights", "hf-cache-check.mjs");
        // tokenizer.json is left out of the image: the client must then ask the Hub, which shows the check can fail.
        var run = ProcessRunner.Run("node", new[] { script, nodeModulesParent, hubCache, "org/bert", repo.CommitSha }.Concat(inImage).Append("tokenizer.json"), timeout: TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        using var seen = System.Text.Json.JsonDocument.Parse(run.StandardOutput);
        var report = seen.RootElement;
        StringAssert.StartsWith(report.GetProperty("client").GetString(), "@huggingface/hub@2.");
        Assert.AreEqual(0, report.GetProperty("warnings").GetArrayLength(), run.StandardOutput);

        var repos = report.GetProperty("repos").EnumerateArray().ToList();
        Assert.AreEqual(1, repos.Count, run.StandardOutput);
        Assert.AreEqual("org/bert", repos[0].GetProperty("id").GetString());
        Assert.AreEqual("model", repos[0].GetProperty("type").GetString());
        var revisions = repos[0].GetProperty("revisions").EnumerateArray().ToList();
        Assert.AreEqual(1, revisions.Count, "one revision per repository in the image");
        Assert.AreEqual(repo.CommitSha, revisions[0].GetProperty("commit").GetString());
        CollectionAssert.AreEqual(new[] { "main", "v1.0" }, revisions[0].GetProperty("refs").EnumerateArray().Select(r => r.GetString()).ToArray());
        // scanCachedRepo lists a snapshot's top-level files only; each resolves into blobs/.
        var scanned = revisions[0].GetProperty("files").EnumerateArray().ToList();
        CollectionAssert.AreEqual(inImage.Where(p => !p.Contains('/')).ToArray(), scanned.Select(f => f.GetProperty("path").GetString()).Order(StringComparer.Ordinal).ToArray());
        foreach (var file in scanned)
        {
            var fake = repo.Files[file.GetProperty("path").GetString()!];
            Assert.AreEqual("blobs/" + (fake.Lfs ? fake.Sha256 : fake.GitOid), file.GetProperty("blob").GetString());
            Assert.AreEqual(fake.Content.Length, file.GetProperty("size").GetInt64());
        }

        var resolved = report.GetProperty("resolved");
        foreach (var path in inImage)
        {
            var pointer = resolved.GetProperty(path).GetProperty("path").GetString()!;
            Assert.AreEqual(Path.Combine(hubCache, "models--org--bert", "snapshots", repo.CommitSha, path), pointer);
            CollectionAssert.AreEqual(repo.Files[path].Content, File.ReadAllBytes(pointer), path);
        }
        Assert.IsTrue(resolved.GetProperty("tokenizer.json").TryGetProperty("error", out _), "a file the image lacks is not found");
        var calls = report.GetProperty("networkCalls").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.AreEqual(1, calls.Count, "only the file the image lacks sent the client to the Hub: " + string.Join(", ", calls));
        StringAssert.Contains(calls[0], "/api/models/org/bert/paths-info/" + repo.CommitSha, "the client's look-up for a file it has not cached");
    }

    [TestMethod]
    public async Task The_files_layout_places_read_only_hard_links_at_the_target()
    {
        var repo = _f.AddBert();
        var result = await _f.Fetch(Model("bert", "hf://org/bert", ("Files", "*.json;onnx/**")));
        var root = Path.Combine(_f.Root, "context", "weights");
        var stats = ModelLayout.Write(result.Models, root);

        var placed = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(new[] { "models/bert/config.json", "models/bert/onnx/model.onnx.json", "models/bert/tokenizer.json" }, placed);
        Assert.AreEqual(3, stats.Linked, "the cache and the context share a file system here, so nothing is copied");
        CollectionAssert.AreEqual(repo.Files["config.json"].Content, File.ReadAllBytes(Path.Combine(root, "models/bert/config.json")));
        if (!OperatingSystem.IsWindows())
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(root, "models/bert/config.json")), "readable by the image's non-root user, writable by nobody");

        // Writing again replaces the folder, so a file dropped from Files does not linger.
        var fewer = await _f.Fetch(Model("bert", "hf://org/bert", ("Files", "config.json")));
        ModelLayout.Write(fewer.Models, root);
        Assert.AreEqual(1, Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Count());
    }

    [TestMethod]
    public async Task The_content_digest_follows_content_and_layout_only()
    {
        _f.AddBert();
        var a = await _f.Fetch(Model("bert", "hf://org/bert"));
        var again = await _f.Fetch(Model("bert", "hf://org/bert"));
        var otherTarget = await _f.Fetch(Model("bert", "hf://org/bert", ("ContainerPath", "/opt/bert")));
        var otherLayout = await _f.Fetch(Model("bert", "hf://org/bert", ("Layout", "hf-cache")));
        var fewerFiles = await _f.Fetch(Model("bert", "hf://org/bert", ("ExcludeFiles", "onnx/**")));

        Assert.AreEqual(a.ContentDigest, again.ContentDigest);
        Assert.AreEqual(ModelLayout.Digest(ModelLayout.Plan(a.Models[0])), a.Models[0].ContentDigest);
        var digests = new[] { a, otherTarget, otherLayout, fewerFiles }.Select(r => r.ContentDigest).ToList();
        Assert.AreEqual(4, digests.Distinct().Count(), string.Join("\n", digests));
        foreach (var d in digests) StringAssert.Matches(d, new System.Text.RegularExpressions.Regex("^sha256:[0-9a-f]{64}$"));

        // A second cache elsewhere yields the same digest: host paths are not part of it.
        var elsewhere = Path.Combine(_f.Root, "cache2");
        using var fetcher = new ModelFetcher(new ModelCache(elsewhere), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Fast);
        var moved = await fetcher.FetchAsync(_f.Specs(Model("bert", "hf://org/bert")), CancellationToken.None);
        Assert.AreEqual(a.ContentDigest, moved.ContentDigest);
    }

    [TestMethod]
    public async Task The_manifest_round_trips()
    {
        _f.AddBert();
        var result = await _f.Fetch(Model("bert", "hf://org/bert", ("Layout", "hf-cache")), Model("cfg", "hf://org/bert", ("Files", "config.json"), ("ContainerPath", "/etc/bert")));
        var path = Path.Combine(_f.Root, "obj", "models.json");
        ModelManifest.Write(result, path);
        var read = ModelManifest.Read(path);
        Assert.AreEqual(result.ContentDigest, read.ContentDigest);
        Assert.AreEqual(result.Models.Count, read.Models.Count);
        for (var i = 0; i < result.Models.Count; i++)
        {
            var none = Array.Empty<FetchedFile>();
            Assert.AreEqual(result.Models[i] with { Files = none }, read.Models[i] with { Files = none });
            CollectionAssert.AreEqual(result.Models[i].Files.ToList(), read.Models[i].Files.ToList());
        }
        StringAssert.Contains(File.ReadAllText(path), "\"layout\": \"HfCache\"");

        File.WriteAllText(path, "{ not json");
        Assert.AreEqual("AIC5033", Assert.ThrowsExactly<AiContainers.Core.Diagnostics.AiException>(() => ModelManifest.Read(path)).Code);
    }

    [TestMethod]
    public void The_cache_folder_follows_the_documented_order()
    {
        string? Env(string name, Dictionary<string, string> values) => values.TryGetValue(name, out var v) ? v : null;
        var all = new Dictionary<string, string> { ["AIC_MODEL_CACHE"] = "/c/aic", ["XDG_CACHE_HOME"] = "/c/xdg", ["HOME"] = "/home/u" };
        Assert.AreEqual("/c/prop", ModelCache.ResolveDirectory("/c/prop", n => Env(n, all)));
        Assert.AreEqual("/c/aic", ModelCache.ResolveDirectory("", n => Env(n, all)));
        all.Remove("AIC_MODEL_CACHE");
        Assert.AreEqual("/c/xdg/aicontainers/models", ModelCache.ResolveDirectory(null, n => Env(n, all)));
        all.Remove("XDG_CACHE_HOME");
        Assert.AreEqual("/home/u/.cache/aicontainers/models", ModelCache.ResolveDirectory(" ", n => Env(n, all)));
    }

    [TestMethod]
    [DataRow("1", true)]
    [DataRow("ON", true)]
    [DataRow("yes", true)]
    [DataRow("True", true)]
    [DataRow("0", false)]
    [DataRow("", false)]
    [DataRow(null, false)]
    public void HF_HUB_OFFLINE_takes_huggingface_hubs_truthy_values(string? value, bool offline)
        => Assert.AreEqual(offline, HubSettings.FromEnvironment(n => n == "HF_HUB_OFFLINE" ? value : null).Offline);

    [TestMethod]
    public void HF_ENDPOINT_defaults_to_the_hub_and_must_be_a_url()
    {
        Assert.AreEqual(new Uri(HubSettings.DefaultEndpoint), HubSettings.FromEnvironment(_ => null).Endpoint);
        Assert.AreEqual("AIC5034", Assert.ThrowsExactly<AiContainers.Core.Diagnostics.AiException>(() => HubSettings.FromEnvironment(n => n == "HF_ENDPOINT" ? "ftp://mirror" : null)).Code);
    }

    [TestMethod]
    public void A_git_blob_id_is_what_git_computes()
        // `printf 'hello\n' | git hash-object --stdin` prints ce013625030ba8dba906f756967f9e9ca394464a.
        => Assert.AreEqual("ce013625030ba8dba906f756967f9e9ca394464a", FakeFile.GitBlobId("hello\n"u8.ToArray()));
}
