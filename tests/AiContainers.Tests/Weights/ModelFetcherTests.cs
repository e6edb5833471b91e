using System.Diagnostics;
using System.Security.Cryptography;
using AiContainers.Core.Weights;
using static AiContainers.Tests.Weights.WeightsFixture;

namespace AiContainers.Tests.Weights;

[TestClass]
public sealed class ModelFetcherTests
{
    private WeightsFixture _f = null!;

    [TestInitialize] public void Start() => _f = new WeightsFixture();
    [TestCleanup] public void Stop() => _f.Dispose();

    private static string Sha256Of(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    [TestMethod]
    public async Task A_branch_resolves_to_its_commit_which_is_recorded_and_every_file_is_verified()
    {
        var repo = _f.AddBert();
        _f.Server.TreePageSize = 2;
        var result = await _f.Fetch(Model("bert", "hf://org/bert", ("Files", "config.json;*.safetensors;onnx/**/*.json")));

        var bert = result.Models.Single();
        Assert.AreEqual(repo.CommitSha, bert.Commit);
        Assert.AreEqual(repo.CommitSha, File.ReadAllText(Path.Combine(_f.CacheDirectory, "hf", "models--org--bert", "refs", "main")), "the resolved commit is recorded for offline builds");
        CollectionAssert.AreEqual(new[] { "config.json", "model.safetensors", "onnx/model.onnx.json" }, bert.Files.Select(f => f.Path).ToArray());
        foreach (var file in bert.Files)
        {
            Assert.AreEqual(repo.Files[file.Path].Sha256, file.Sha256);
            Assert.AreEqual(file.Sha256, Sha256Of(File.ReadAllBytes(file.BlobPath)));
            StringAssert.StartsWith(file.BlobPath, Path.Combine(_f.CacheDirectory, "blobs", "sha256"));
        }
        Assert.IsNull(bert.Files.Single(f => f.Path == "model.safetensors").GitOid, "LFS files are named by their sha256");
        Assert.AreEqual(repo.Files["config.json"].GitOid, bert.Files.Single(f => f.Path == "config.json").GitOid);
        Assert.IsTrue(_f.Server.Requests.Count(r => r.RawUrl.Contains("/tree/")) >= 2, "the paged tree was followed through its Link header");
        Assert.AreEqual("/models/bert", bert.TargetDirectory);
        Assert.AreEqual("AI_MODEL_BERT_PATH", bert.EnvironmentVariable);
        StringAssert.StartsWith(bert.ContentDigest, "sha256:");
        Assert.AreEqual(0, _f.CacheFiles("tmp").Count(), "no temp file is left behind");
    }

    [TestMethod]
    public async Task A_tag_and_a_pinned_commit_give_the_same_files_and_digest_and_a_pinned_warm_build_sends_nothing()
    {
        var repo = _f.AddBert();
        var byTag = await _f.Fetch(Model("bert", "hf://org/bert@v1.0"));
        _f.Server.Requests.Clear();
        var byCommit = await _f.Fetch(Model("bert", "hf://org/bert@" + repo.CommitSha));
        Assert.AreEqual(byTag.ContentDigest, byCommit.ContentDigest);
        Assert.AreEqual(repo.CommitSha, byTag.Models[0].Commit);
        Assert.AreEqual(0, _f.Server.Requests.Count, "a pinned commit with a warm cache needs no request: " + string.Join(", ", _f.Server.Requests.Select(r => r.RawUrl)));
    }

    [TestMethod]
    public async Task A_corrupted_body_fails_with_a_checksum_error_and_leaves_no_temp_file()
    {
        _f.AddBert();
        _f.Server.CorruptOnce("model.safetensors");
        var error = await _f.FetchFails(_f.Specs(Model("bert", "hf://org/bert", ("Files", "*.safetensors"))));
        Assert.AreEqual("AIC5024", error.Code);
        StringAssert.Contains(error.Message, "model.safetensors");
        Assert.AreEqual(0, _f.CacheFiles("tmp").Count(), "nothing .incomplete is left");
        Assert.AreEqual(0, _f.CacheFiles("blobs").Count(), "nothing unverified enters the cache");

        // The next build downloads again and succeeds.
        var result = await _f.Fetch(Model("bert", "hf://org/bert", ("Files", "*.safetensors")));
        Assert.AreEqual(1, result.Models[0].Files.Count);
    }

    [TestMethod]
    public async Task A_regular_file_is_verified_against_its_git_blob_id()
    {
        _f.AddBert();
        _f.Server.CorruptOnce("config.json");
        var error = await _f.FetchFails(_f.Specs(Model("bert", "hf://org/bert", ("Files", "config.json"))));
        Assert.AreEqual("AIC5024", error.Code);
        StringAssert.Contains(error.Message, "git blob id");
        Assert.AreEqual(0, _f.CacheFiles("tmp").Count());
    }

    [TestMethod]
    public async Task A_connection_dropped_half_way_is_resumed_with_range_and_verified()
    {
        var repo = _f.AddBert();
        _f.Server.DropOnce("model.safetensors");
        var result = await _f.Fetch(Model("bert", "hf://org/bert", ("Files", "*.safetensors")));

        var gets = _f.Server.CdnGets("model.safetensors");
        Assert.AreEqual(2, gets.Count, "one dropped download and one resumed");
        Assert.IsNull(gets[0].Range);
        StringAssert.Matches(gets[1].Range, new System.Text.RegularExpressions.Regex(@"^bytes=[1-9]\d*-$"), "the retry asks only for the rest");
        Assert.AreEqual(repo.Files["model.safetensors"].Sha256, result.Models[0].Files[0].Sha256);
        Assert.IsTrue(_f.Log.Lines.Any(l => l.Contains("resuming", StringComparison.Ordinal)), _f.Log.ToString());
    }

    [TestMethod]
    public async Task Server_errors_and_rate_limits_are_retried_honouring_retry_after()
    {
        _f.AddBert();
        _f.Server.StatusOnce("model.safetensors", 503, retryAfter: "1");
        _f.Server.StatusOnce("config.json", 429);
        var clock = Stopwatch.StartNew();
        var result = await _f.Fetch(Model("bert", "hf://org/bert", ("Files", "config.json;*.safetensors")));
        Assert.AreEqual(2, result.Models[0].Files.Count);
        Assert.AreEqual(2, _f.Server.CdnGets("model.safetensors").Count);
        Assert.AreEqual(2, _f.Server.ResolveGets("config.json").Count);
        Assert.IsTrue(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"Retry-After: 1 was honoured ({clock.Elapsed})");
    }

    [TestMethod]
    public async Task Persistent_server_errors_give_up_with_a_coded_error()
    {
        _f.AddBert();
        for (var i = 0; i < 3; i++) _f.Server.StatusOnce("config.json", 500);
        using var fetcher = _f.Fetcher(options: Fast with { Retry = AiContainers.Core.Net.RetryPolicy.Fast(3) });
        var error = await Assert.ThrowsExactlyAsync<AiContainers.Core.Diagnostics.AiException>(() => fetcher.FetchAsync(_f.Specs(Model("bert", "hf://org/bert", ("Files", "config.json"))), CancellationToken.None));
        Assert.AreEqual("AIC5023", error.Code);
        StringAssert.Contains(error.Message, "3 attempt(s)");
    }

    [TestMethod]
    public async Task A_gated_repo_without_a_token_says_to_set_HF_TOKEN()
    {
        _f.AddBert("org/gated", requiredToken: "hf_right");
        var error = await _f.FetchFails(_f.Specs(Model("gated", "hf://org/gated")));
        Assert.AreEqual("AIC5020", error.Code);
        StringAssert.Contains(error.Message, "HF_TOKEN");
        StringAssert.Contains(error.Message, "not set");

        var forbidden = await _f.FetchFails(_f.Specs(Model("gated", "hf://org/gated")), token: "hf_wrong");
        Assert.AreEqual("AIC5021", forbidden.Code);
        StringAssert.Contains(forbidden.Message, "restricted", "the Hub's own explanation is passed on");

        var ok = await _f.Fetch(_f.Specs(Model("gated", "hf://org/gated")), token: "hf_right");
        Assert.AreEqual(4, ok.Models[0].Files.Count);
    }

    [TestMethod]
    public async Task Missing_repositories_revisions_and_files_say_what_to_check()
    {
        _f.AddBert();
        var repo = await _f.FetchFails(_f.Specs(Model("x", "hf://org/missing")), token: "hf_any");
        Assert.AreEqual("AIC5022", repo.Code);
        StringAssert.Contains(repo.Message, "'org/missing' does not exist");

        var revision = await _f.FetchFails(_f.Specs(Model("x", "hf://org/bert@no-such-branch")));
        Assert.AreEqual("AIC5022", revision.Code);
        StringAssert.Contains(revision.Message, "revision");

        var none = await _f.FetchFails(_f.Specs(Model("x", "hf://org/bert", ("Files", "*.gguf"))));
        Assert.AreEqual("AIC5027", none.Code);
        StringAssert.Contains(none.Message, "model.safetensors", "the message lists what is there");
    }

    [TestMethod]
    [DataRow("../escape.bin")]
    [DataRow("sub/../../escape.bin")]
    [DataRow("/etc/passwd")]
    [DataRow("sub\\..\\escape.bin")]
    public async Task File_names_that_escape_the_target_are_refused(string evil)
    {
        _f.Server.AddRepo("org/evil").AddText("config.json", "{}").AddText(evil, "pwned");
        var error = await _f.FetchFails(_f.Specs(Model("evil", "hf://org/evil")));
        Assert.AreEqual("AIC5026", error.Code);
        StringAssert.Contains(error.Message, evil);
        Assert.AreEqual(0, _f.Server.Requests.Count(r => r.RawUrl.Contains("/resolve/")), "nothing is downloaded");
        Assert.AreEqual(0, _f.CacheFiles("hf").Count(f => f.Contains("trees", StringComparison.Ordinal)), "the listing is not cached");
    }

    [TestMethod]
    public async Task Offline_with_a_warm_cache_works_without_any_request()
    {
        var repo = _f.AddBert();
        var online = await _f.Fetch(Model("bert", "hf://org/bert", ("Files", "config.json;*.safetensors")));
        _f.Server.Requests.Clear();

        var offline = await _f.Fetch(_f.Specs(Model("bert", "hf://org/bert", ("Files", "config.json;*.safetensors"))), offline: true);
        Assert.AreEqual(0, _f.Server.Requests.Count, string.Join(", ", _f.Server.Requests.Select(r => r.RawUrl)));
        Assert.AreEqual(online.ContentDigest, offline.ContentDigest);
        Assert.AreEqual(repo.CommitSha, offline.Models[0].Commit);
    }

    [TestMethod]
    public async Task Offline_with_a_cold_cache_fails_at_once()
    {
        _f.AddBert();
        var clock = Stopwatch.StartNew();
        var error = await _f.FetchFails(_f.Specs(Model("bert", "hf://org/bert")), offline: true);
        Assert.AreEqual("AIC5025", error.Code);
        StringAssert.Contains(error.Message, "HF_HUB_OFFLINE");
        StringAssert.Contains(error.Message, _f.CacheDirectory);
        Assert.AreEqual(0, _f.Server.Requests.Count);
        Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(2), clock.Elapsed.ToString());

        // A warm listing but a missing blob fails the same way.
        await _f.Fetch(Model("bert", "hf://org/bert", ("Files", "config.json")));
        var partial = await _f.FetchFails(_f.Specs(Model("bert", "hf://org/bert", ("Files", "*.safetensors"))), offline: true);
        Assert.AreEqual("AIC5025", partial.Code);
        StringAssert.Contains(partial.Message, "model.safetensors");
    }

    [TestMethod]
    public async Task The_token_is_sent_only_as_a_header_to_the_hub_and_appears_nowhere_else()
    {
        const string canary = "hf_CANARY_3b1f7c0d9e8a4f6b";
        _f.AddBert("org/gated", requiredToken: canary);
        _f.Server.DropOnce("model.safetensors");
        var result = await _f.Fetch(_f.Specs(Model("gated", "hf://org/gated", ("Layout", "hf-cache"))), token: canary);
        var messages = new List<string>();
        foreach (var failing in new[] { "hf://org/missing", "hf://org/gated@nope" })
            messages.Add((await _f.FetchFails(_f.Specs(Model("x", failing)), token: canary)).ToString());
        var manifest = Path.Combine(_f.Root, "out", "models.json");
        ModelManifest.Write(result, manifest);
        ModelLayout.Write(result.Models, Path.Combine(_f.Root, "out", "weights"));

        Assert.IsTrue(_f.Server.Requests.Where(r => r.Listener == "hub").All(r => r.Authorization == "Bearer " + canary), "every hub request carries the token");
        Assert.IsTrue(_f.Server.Requests.Where(r => r.Listener == "cdn").All(r => r.Authorization is null), "a redirect to another origin drops the token");
        Assert.IsTrue(_f.Server.CdnGets("model.safetensors").Count >= 2);
        foreach (var line in _f.Log.Lines.Concat(messages)) Assert.IsFalse(line.Contains(canary, StringComparison.Ordinal), line);
        Assert.IsFalse(new HubSettings(_f.Server.Endpoint, canary, false).ToString().Contains(canary, StringComparison.Ordinal));
        foreach (var file in Directory.EnumerateFiles(_f.Root, "*", SearchOption.AllDirectories))
            Assert.IsFalse(File.ReadAllText(file).Contains(canary, StringComparison.Ordinal), $"{file} holds the token");
    }

    [TestMethod]
    public async Task Four_parallel_fetches_sharing_a_cache_download_each_file_once()
    {
        var repo = _f.AddBert();
        // Hold every body until all four fetches have asked for the revision, so they truly overlap.
        _f.Server.BeforeFileBody = async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (_f.Server.Requests.Count(r => r.RawUrl.Contains("/revision/")) < 4 && DateTime.UtcNow < deadline) await Task.Delay(20);
        };
        var logs = Enumerable.Range(0, 4).Select(_ => new RecordingLog()).ToArray();
        var specs = _f.Specs(Model("bert", "hf://org/bert"));
        var results = await Task.WhenAll(logs.Select(log => Task.Run(async () =>
        {
            using var fetcher = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), log, Fast);
            return await fetcher.FetchAsync(specs, CancellationToken.None);
        })));

        Assert.AreEqual(1, _f.Server.CdnGets("model.safetensors").Count, "the LFS blob is downloaded once");
        foreach (var path in new[] { "config.json", "tokenizer.json", "onnx/model.onnx.json" })
            Assert.AreEqual(1, _f.Server.ResolveGets(path).Count, path + " is downloaded once");
        Assert.AreEqual(1, results.Select(r => r.ContentDigest).Distinct().Count());
        Assert.IsTrue(logs.Any(l => l.Lines.Any(x => x.Contains("waiting for another build", StringComparison.Ordinal))), "the others waited on the lock");
        Assert.AreEqual(repo.Files.Count, _f.CacheFiles("blobs").Count());
        Assert.AreEqual(0, _f.CacheFiles("tmp").Count());
    }

    [TestMethod]
    public async Task Progress_reports_bytes_rate_and_time_left()
    {
        _f.AddBert();
        _f.Server.Throttle = (256 << 10, TimeSpan.FromMilliseconds(60));
        await _f.Fetch(_f.Specs(Model("bert", "hf://org/bert", ("Files", "*.safetensors"))), options: Fast with { ProgressInterval = TimeSpan.FromMilliseconds(100) });
        var progress = _f.Log.Lines.Where(l => l.Contains("bert/model.safetensors", StringComparison.Ordinal) && l.Contains(" of 2.0 MiB", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(progress.Count >= 2, _f.Log.ToString());
        StringAssert.Matches(progress[^1], new System.Text.RegularExpressions.Regex(@"\d+% ?\) at [\d.]+ [KM]i?B/s, ETA \d\d:\d\d:\d\d"));
    }

    [TestMethod]
    public async Task Https_sources_verify_sha256_and_reuse_the_pinned_blob_without_a_request()
    {
        var content = RandomBytes(300_000, 7);
        _f.Server.AddRepo("files/resnet").AddFile("resnet50.onnx", content, lfs: false);
        var url = _f.Server.Endpoint + "files/resnet/resolve/main/resnet50.onnx";
        ModelSpec Https(string? sha, bool allowUnverified = false) => new("resnet", new ModelSource(ModelSourceKind.Https, url, Url: url), [], [], sha, allowUnverified,
            "/models/resnet/model.onnx", true, ModelLayoutKind.Files, "model.onnx");

        var missingUrl = _f.Server.Endpoint + "files/resnet/resolve/main/missing.onnx?sig=abc";
        var refused = await _f.FetchFails([Https(new string('0', 64)) with { Source = new ModelSource(ModelSourceKind.Https, missingUrl, Url: missingUrl) }]);
        Assert.AreEqual("AIC5029", refused.Code);
        StringAssert.Contains(refused.Message, "404");
        Assert.IsFalse(refused.Message.Contains("sig=abc", StringComparison.Ordinal), "the query (signed URLs) stays out of messages");

        var wrong = await _f.FetchFails([Https(new string('0', 64))]);
        Assert.AreEqual("AIC5024", wrong.Code);
        Assert.AreEqual(0, _f.CacheFiles("tmp").Count());

        var result = await _f.Fetch([Https(Sha256Of(content))]);
        var model = result.Models.Single();
        Assert.AreEqual("/models/resnet/model.onnx", model.EnvironmentValue);
        Assert.AreEqual("/models/resnet", model.TargetDirectory);
        Assert.AreEqual("model.onnx", model.Files[0].Path);
        _f.Server.Requests.Clear();
        await _f.Fetch([Https(Sha256Of(content))]);
        Assert.AreEqual(0, _f.Server.Requests.Count, "a pinned Sha256 already in the cache needs no request");

        await _f.Fetch([Https(null, allowUnverified: true)]);
        Assert.AreEqual(1, _f.Server.Requests.Count, "unverified content is fetched again online");
        _f.Server.Requests.Clear();
        var offline = await _f.Fetch([Https(null, allowUnverified: true)], offline: true);
        Assert.AreEqual(Sha256Of(content), offline.Models[0].Files[0].Sha256);
        Assert.AreEqual(0, _f.Server.Requests.Count);
    }

    [TestMethod]
    public async Task Local_files_and_folders_are_hashed_into_the_cache()
    {
        var folder = Path.Combine(_f.ProjectDirectory, "models", "classifier");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "model.onnx"), "onnx");
        File.WriteAllText(Path.Combine(folder, "sub", "labels.txt"), "a\nb\n");
        File.WriteAllText(Path.Combine(folder, "notes.md"), "skip me");
        var single = Path.Combine(_f.ProjectDirectory, "single.bin");
        File.WriteAllBytes(single, [1, 2, 3]);

        var result = await _f.Fetch(
            Model("clf", "models/classifier/", ("ExcludeFiles", "*.md")),
            Model("one", "single.bin"),
            Model("pinned", "single.bin", ("Sha256", Sha256Of([1, 2, 3])), ("ContainerPath", "/opt/w/one.bin")));
        CollectionAssert.AreEqual(new[] { "model.onnx", "sub/labels.txt" }, result.Models[0].Files.Select(f => f.Path).ToArray());
        Assert.AreEqual("/models/clf", result.Models[0].EnvironmentValue);
        Assert.AreEqual("/models/one/single.bin", result.Models[1].EnvironmentValue);
        Assert.AreEqual("/opt/w/one.bin", result.Models[2].EnvironmentValue);
        Assert.AreEqual("one.bin", result.Models[2].Files[0].Path);
        foreach (var file in result.Models.SelectMany(m => m.Files)) StringAssert.StartsWith(file.BlobPath, _f.CacheDirectory);

        var mismatch = await _f.FetchFails(_f.Specs(Model("pinned", "single.bin", ("Sha256", new string('a', 64)))));
        Assert.AreEqual("AIC5024", mismatch.Code);
        var missing = await _f.FetchFails(_f.Specs(Model("gone", "models/nothing")));
        Assert.AreEqual("AIC5028", missing.Code);
    }
}
