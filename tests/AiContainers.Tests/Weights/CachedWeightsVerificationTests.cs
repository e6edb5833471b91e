using System.Diagnostics;
using System.Formats.Tar;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Engine;
using AiContainers.Core.Oci;
using AiContainers.Core.Publishing;
using AiContainers.Core.Registry;
using AiContainers.Core.Weights;
using AiContainers.Tests.Infrastructure;
using static AiContainers.Tests.Weights.WeightsFixture;

namespace AiContainers.Tests.Weights;

/// <summary>
/// Cached model files are checked against the SHA-256 they were verified as whenever an image builder reads their
/// bytes: the daemonless layer writer (tar entries hashed as they stream) and the Docker path (the weights context's
/// hard links into the cache, hashed as the context streams to the engine). A blob changed in the cache after it was
/// fetched fails with AIC5109 and leaves no layer and no image; a layer already cached under its content key is reused
/// without reading the model at all, so a code-only publish stays fast.
/// </summary>
[TestClass]
public sealed class CachedWeightsVerificationTests
{
    private WeightsFixture _f = null!;

    [TestInitialize] public void Start() => _f = new WeightsFixture();
    [TestCleanup] public void Stop() => _f.Dispose();

    private async Task<(ModelFetchResult Result, FetchedFile Weights)> FetchBert()
    {
        _f.AddBert();
        var result = await _f.Fetch(Model("bert", "hf://org/bert@v1.0", ("Layout", "hf-cache")));
        return (result, result.Models[0].Files.Single(f => f.Path == "model.safetensors"));
    }

    /// <summary>Flips one byte in place: same size, same inode (so hard links into the cache see it too).</summary>
    private static void Tamper(string path, long offset = 1234)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserWrite);
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0xff));
    }

    private static PlannedLayer ModelLayer(ModelFetchResult models, string context)
        => ImageLayerPlan.For(Inputs.Spec(Inputs.WebApp()), context, models).Layers.Single(l => l.Description == "model bert");

    private static Task<LayerBlob> Write(PlannedLayer layer, LayerCache cache)
        => LayerWriter.WriteAsync(layer.Entries, cache, layer.Compression, layer.FixedTime!.Value, layer.Description, layer.ContentKey, CancellationToken.None);

    [TestMethod]
    public async Task Daemonless_reads_a_local_model_where_it_is_and_a_change_during_the_build_fails_with_AIC5111()
    {
        var folder = Path.Combine(_f.ProjectDirectory, "models");
        Directory.CreateDirectory(folder);
        var weights = Path.Combine(folder, "model.safetensors");
        File.WriteAllBytes(weights, RandomBytes(300_000, 11));
        using (var fetcher = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), _f.Log) { ReadLocalFilesInPlace = true })
        {
            var result = await fetcher.FetchAsync(_f.Specs(Model("bert", "models/model.safetensors")), CancellationToken.None);
            var file = result.Models[0].Files.Single();
            Assert.AreEqual(weights, file.BlobPath, "hashed where it is");
            Assert.IsFalse(_f.CacheFiles("blobs").Any(), "no copy of it in the model cache");

            var layer = ModelLayer(result, Path.Combine(_f.Root, "context"));
            var blob = await Write(layer, new LayerCache(Path.Combine(_f.Root, "layers")));
            using (var tar = new TarReader(blob.Open()))
            {
                var entry = tar.GetNextEntry()!;
                using var copy = new MemoryStream();
                entry.DataStream!.CopyTo(copy);
                CollectionAssert.AreEqual(File.ReadAllBytes(weights), copy.ToArray(), "the layer holds the file's bytes");
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, entry.Mode, "the layer's mode, not the source's");
            }

            // Edited after it was hashed (a training run saving over it): the upload's read fails, naming the file.
            Tamper(weights);
            var error = Assert.ThrowsExactly<AiException>(() =>
            {
                using var read = blob.Open();
                read.CopyTo(Stream.Null);
            });
            Assert.AreEqual("AIC5111", error.Code, error.Message);
            StringAssert.Contains(error.Message, weights);
        }
    }

    [TestMethod]
    public async Task Model_layer_entries_carry_the_verified_sha256_of_every_cached_file()
    {
        var (result, weights) = await FetchBert();
        var layer = ModelLayer(result, Path.Combine(_f.Root, "context"));
        var files = layer.Entries.Where(e => e.Kind == LayerEntryKind.File && e.SourcePath!.StartsWith(_f.CacheDirectory, StringComparison.Ordinal)).ToList();
        Assert.AreEqual(result.Models[0].Files.DistinctBy(f => f.HfBlobName).Count(), files.Count, "one entry per cache blob");
        Assert.IsTrue(files.All(e => e.Sha256 is { Length: 64 } && e.CacheDirectory == result.CacheDirectory), "every cached file is verified while written");
        Assert.AreEqual(weights.Sha256, files.Single(e => e.SourcePath == weights.BlobPath).Sha256);
    }

    [TestMethod]
    public async Task Daemonless_a_tampered_cache_blob_fails_the_layer_with_AIC5109_and_caches_nothing()
    {
        var (result, weights) = await FetchBert();
        var layer = ModelLayer(result, Path.Combine(_f.Root, "context"));
        var cache = new LayerCache(Path.Combine(_f.Root, "layers"));
        Tamper(weights.BlobPath);

        var error = await Assert.ThrowsExactlyAsync<AiException>(() => Write(layer, cache));
        Assert.AreEqual("AIC5109", error.Code);
        StringAssert.Contains(error.Message, weights.BlobPath);
        StringAssert.Contains(error.Message, $"but {weights.Sha256} was recorded");
        StringAssert.Contains(error.Message, result.CacheDirectory);
        Assert.IsFalse(cache.TryGet(layer.ContentKey!, out _), "nothing is cached under the layer's key");
        Assert.AreEqual(0, Directory.EnumerateFiles(cache.Directory, "*", SearchOption.AllDirectories).Count(), "no blob, index or temp file is left");
    }

    [TestMethod]
    public async Task Daemonless_an_intact_layer_holds_the_bytes_and_a_cached_layer_is_reused_without_reading_the_model()
    {
        var (result, weights) = await FetchBert();
        var layer = ModelLayer(result, Path.Combine(_f.Root, "context"));
        var cache = new LayerCache(Path.Combine(_f.Root, "layers"));
        var blob = await Write(layer, cache);

        using (var tar = new TarReader(blob.Open()))
        {
            var found = false;
            while (tar.GetNextEntry() is { } entry)
            {
                if (!entry.Name.EndsWith("/blobs/" + weights.Sha256, StringComparison.Ordinal)) continue;
                using var copy = new MemoryStream();
                entry.DataStream!.CopyTo(copy);
                CollectionAssert.AreEqual(File.ReadAllBytes(weights.BlobPath), copy.ToArray(), "the layer holds the cached bytes, whole");
                found = true;
            }
            Assert.IsTrue(found, "the weights blob is in the layer");
        }

        // A code-only publish: the key comes from the verified hashes, so a hit returns the blob without opening the
        // model. Had it been read, the tampered byte would have failed it.
        Tamper(weights.BlobPath);
        var again = await Write(layer, cache);
        Assert.AreEqual(blob.Digest, again.Digest);

        // Reading it (an upload, an archive) writes the tar again from the cache blob, checked as it goes: the changed
        // byte fails the read before the stream ends, so no registry or archive takes it for the recorded layer.
        var error = Assert.ThrowsExactly<AiException>(() =>
        {
            using var read = again.Open();
            read.CopyTo(Stream.Null);
        });
        Assert.AreEqual("AIC5109", error.Code, error.Message);
    }

    [TestMethod]
    public async Task Daemonless_a_verified_file_streams_into_the_layer_with_bounded_memory()
    {
        var root = TestPaths.NewTempDirectory("verified-large");
        try
        {
            var source = Path.Combine(root, "model.safetensors");
            var content = RandomBytes(1 << 20, 7);
            using (var file = File.Create(source))
                for (var i = 0; i < 160; i++) file.Write(content);
            string sha;
            using (var read = File.OpenRead(source)) sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(read)).ToLowerInvariant();

            GC.Collect();
            var baseline = GC.GetTotalMemory(forceFullCollection: true);
            long peak = baseline;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested) { peak = Math.Max(peak, GC.GetTotalMemory(false)); await Task.Delay(10); }
            });
            var blob = await LayerWriter.WriteAsync(new[] { LayerEntry.VerifiedFile("models/big/model.safetensors", source, sha, root) },
                new LayerCache(Path.Combine(root, "cache")), LayerCompression.None, DateTimeOffset.UnixEpoch, "model big", CancellationToken.None);
            sampling.Cancel();
            await sampler;

            Assert.IsTrue(blob.Size > 160L << 20, "the whole file is in the tar: " + blob.Size);
            var growth = (peak - baseline) >> 20;
            Assert.IsTrue(growth < 48, $"managed heap grew {growth} MiB while verifying a 160 MiB file: TarWriter buffered it");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task Docker_context_archive_refuses_a_changed_verified_file_with_AIC5109()
    {
        var (result, weights) = await FetchBert();
        var context = Path.Combine(_f.Root, "weights");
        ModelLayout.Write(result.Models, Path.Combine(context, WeightsImagePlan.RootFolder));
        var relative = Path.GetRelativePath(context, Directory.EnumerateFiles(context, weights.Sha256, SearchOption.AllDirectories).Single()).Replace('\\', '/');
        var verified = new VerifiedContextFiles(new Dictionary<string, string> { [relative] = weights.Sha256 }, result.CacheDirectory);

        var intact = BuildContextArchive.Write(context, Stream.Null, CancellationToken.None, verified);
        Assert.IsTrue(intact > 0);
        Tamper(Path.Combine(context, relative));
        var sent = new MemoryStream();
        var error = Assert.ThrowsExactly<AiException>(() => BuildContextArchive.Write(context, sent, CancellationToken.None, verified));
        Assert.AreEqual("AIC5109", error.Code);
        StringAssert.Contains(error.Message, result.CacheDirectory);
        // The error comes before the entry's last bytes are handed on: an engine reading as it streams never has it whole.
        var tail = File.ReadAllBytes(weights.BlobPath)[^64..];
        Assert.AreEqual(-1, sent.ToArray().AsSpan().IndexOf(tail), "the changed file's end was never written");
    }

    [TestMethod]
    public async Task Docker_a_tampered_cache_blob_fails_the_weights_build_with_AIC5109_and_no_image_is_built()
    {
        EngineEnvironment.Require();
        // Random content of its own, so the weights image this test expects not to exist was never built before.
        _f.Server.AddRepo("org/tampered")
            .AddText("config.json", $$"""{"nonce": "{{Guid.NewGuid():N}}"}""")
            .AddFile("model.safetensors", RandomBytes(1 << 20, Random.Shared.Next()), lfs: true);
        var result = await _f.Fetch(Model("bert", "hf://org/tampered", ("Layout", "hf-cache")));
        var weights = result.Models[0].Files.Single(f => f.Path == "model.safetensors");
        var spec = Inputs.Spec(Inputs.WebApp());
        var plan = WeightsImagePlan.For(result)!;
        var weightsContext = Path.Combine(_f.Root, "out", "weights");
        Directory.CreateDirectory(weightsContext);
        File.WriteAllText(Path.Combine(weightsContext, "Dockerfile"), plan.Dockerfile());
        ModelLayout.Write(result.Models, Path.Combine(weightsContext, WeightsImagePlan.RootFolder));
        // The context holds hard links: the change in the cache is what the engine would receive.
        Tamper(weights.BlobPath);

        using var builder = new DockerImageBuilder(DockerEngine.Create(new Uri(EngineEnvironment.DockerHost)), new RegistryCredentialStore(_ => null), _f.Log);
        try
        {
            var error = await Assert.ThrowsExactlyAsync<AiException>(() => builder.BuildAndPushAsync(
                new ImageBuildInputs(spec, Path.Combine(_f.Root, "out"), result, weightsContext, "host"), CancellationToken.None));
            Assert.AreEqual("AIC5109", error.Code, error.Message);
            StringAssert.Contains(error.Message, $"but {weights.Sha256} was recorded");
            Assert.AreNotEqual(0, EngineEnvironment.Docker("image", "inspect", plan.Reference).ExitCode, "no weights image was built from the changed bytes");
            Assert.IsFalse(_f.Log.Lines.Any(l => l.StartsWith("AiContainers: building ", StringComparison.Ordinal) && !l.Contains("weights image", StringComparison.Ordinal)),
                "the app image is not built either:\n" + _f.Log);
        }
        finally
        {
            EngineEnvironment.Docker("rmi", "-f", plan.Reference);
        }
    }
}
