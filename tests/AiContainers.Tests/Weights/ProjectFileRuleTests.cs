using System.Security.Cryptography;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Files;
using AiContainers.Core.Python;
using AiContainers.Core.Serving;
using AiContainers.Core.Weights;
using static AiContainers.Tests.Weights.WeightsFixture;

namespace AiContainers.Tests.Weights;

/// <summary>
/// The one rule for files copied from the host: inside the project after following links, unless
/// AiAllowFilesOutsideProject; a dangling link is a coded error. Checked for models, Python app files and
/// served models, and the verifying stream that keeps a tampered cache out of an image.
/// </summary>
[TestClass]
public sealed class ProjectFileRuleTests
{
    private WeightsFixture _f = null!;
    private string _outside = null!;

    [TestInitialize]
    public void Start()
    {
        _f = new WeightsFixture();
        _outside = Path.Combine(_f.Root, "outside");
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "not for the image");
    }

    [TestCleanup] public void Stop() => _f.Dispose();

    private ProjectFileRule Rule(bool allow = false) => new(_f.ProjectDirectory, allow);

    private async Task<AiException> FetchFails(ProjectFileRule rule, string source)
    {
        using var fetcher = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Fast, rule);
        return await Assert.ThrowsExactlyAsync<AiException>(() => fetcher.FetchAsync(_f.Specs(Model("m", source)), CancellationToken.None));
    }

    [TestMethod]
    public async Task A_local_model_source_outside_the_project_is_refused_unless_allowed()
    {
        var error = await FetchFails(Rule(), "../outside/secret.txt");
        Assert.AreEqual("AIC5107", error.Code);
        StringAssert.Contains(error.Message, "AiAllowFilesOutsideProject");
        Assert.AreEqual("AIC5107", (await FetchFails(Rule(), "/etc/hostname")).Code);
        Assert.IsFalse(_f.CacheFiles("blobs").Any(), "nothing from outside may reach the cache");

        using var fetcher = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Fast, Rule(allow: true));
        var result = await fetcher.FetchAsync(_f.Specs(Model("m", "../outside/secret.txt")), CancellationToken.None);
        Assert.AreEqual(1, result.Models.Single().Files.Count);
    }

    [TestMethod]
    public async Task A_symlink_in_the_project_pointing_outside_is_refused_like_the_path_itself()
    {
        Directory.CreateDirectory(Path.Combine(_f.ProjectDirectory, "models"));
        File.WriteAllText(Path.Combine(_f.ProjectDirectory, "models", "ok.bin"), "weights");
        File.CreateSymbolicLink(Path.Combine(_f.ProjectDirectory, "models", "passwd"), Path.Combine(_outside, "secret.txt"));
        Assert.AreEqual("AIC5107", (await FetchFails(Rule(), "models/passwd")).Code);
        // Inside a folder source too, and through a linked folder.
        Assert.AreEqual("AIC5107", (await FetchFails(Rule(), "models/")).Code);
        Directory.CreateSymbolicLink(Path.Combine(_f.ProjectDirectory, "linked"), _outside);
        Assert.AreEqual("AIC5107", (await FetchFails(Rule(), "linked/secret.txt")).Code);
        Assert.IsFalse(_f.CacheFiles("blobs").Any());
    }

    [TestMethod]
    public async Task A_dangling_link_is_a_coded_error_not_a_crash()
    {
        Directory.CreateDirectory(Path.Combine(_f.ProjectDirectory, "models"));
        File.CreateSymbolicLink(Path.Combine(_f.ProjectDirectory, "models", "gone.bin"), Path.Combine(_f.ProjectDirectory, "nowhere.bin"));
        Assert.AreEqual("AIC5108", (await FetchFails(Rule(), "models/gone.bin")).Code);
        Assert.AreEqual("AIC5108", (await FetchFails(Rule(allow: true), "models/")).Code);
    }

    [TestMethod]
    public void A_link_that_stays_inside_the_project_is_fine()
    {
        File.WriteAllText(Path.Combine(_f.ProjectDirectory, "real.bin"), "x");
        File.CreateSymbolicLink(Path.Combine(_f.ProjectDirectory, "alias.bin"), "real.bin");
        Assert.IsNull(ProjectFiles.Check(Rule(), "AiModel", "AiModel 'm' Source", "alias.bin", Path.Combine(_f.ProjectDirectory, "alias.bin")));
        Assert.AreEqual(Path.Combine(_f.ProjectDirectory, "real.bin"), ProjectFiles.Resolve(Path.Combine(_f.ProjectDirectory, "alias.bin"), out _, out _));
    }

    [TestMethod]
    public void Python_app_files_follow_the_same_rule()
    {
        File.WriteAllText(Path.Combine(_f.ProjectDirectory, "main.py"), "print('hi')\n");
        File.CreateSymbolicLink(Path.Combine(_f.ProjectDirectory, "hostname"), Path.Combine(_outside, "secret.txt"));
        var python = new PythonAppSpec(null, default, _f.ProjectDirectory, null, null, [], [], false, [], []);
        var plan = PythonAppFiles.Plan(python);
        Assert.IsTrue(plan.Diagnostics.Any(d => d.Code == "AIC5107" && d.Message.Contains("hostname")), string.Join(" | ", plan.Diagnostics));
        Assert.IsFalse(PythonAppFiles.Plan(python, rule: Rule(allow: true)).Diagnostics.Any(d => d.IsError));
    }

    [TestMethod]
    public void Served_models_follow_the_same_rule()
    {
        File.CreateSymbolicLink(Path.Combine(_f.ProjectDirectory, "model.mar"), Path.Combine(_outside, "secret.txt"));
        var serving = new ServingSpec(ServingRuntime.TorchServe, [new ServedModelSpec("m", "model.mar", Path.Combine(_f.ProjectDirectory, "model.mar"), null)], null);
        var (files, diagnostics) = ServingFiles.Plan(serving, Rule());
        Assert.AreEqual("AIC5107", diagnostics.Single().Code);
        Assert.AreEqual(0, files.Count);
    }

    [TestMethod]
    public void A_tampered_cache_file_fails_the_verifying_read_and_an_intact_one_passes()
    {
        var path = Path.Combine(_f.Root, "blob");
        var content = RandomBytes(300_000, 3);
        File.WriteAllBytes(path, content);
        var sha = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();

        using (var intact = Sha256VerifyingStream.OpenRead(path, sha, _f.CacheDirectory)) intact.CopyTo(Stream.Null);

        content[1234] ^= 0xff;
        File.WriteAllBytes(path, content);
        using var tampered = Sha256VerifyingStream.OpenRead(path, sha, _f.CacheDirectory);
        var error = Assert.ThrowsExactly<AiException>(() => tampered.CopyTo(Stream.Null));
        Assert.AreEqual("AIC5109", error.Code);
        var copy = Path.Combine(_f.Root, "copy");
        Assert.ThrowsExactly<AiException>(() => Sha256VerifyingStream.CopyVerified(path, copy, sha, _f.CacheDirectory));
        Assert.IsFalse(File.Exists(copy), "a failed verified copy leaves nothing behind");
    }

    [TestMethod]
    [DataRow("1048576", 1048576L)]
    [DataRow("64GiB", 64L << 30)]
    [DataRow("10 GB", 10_000_000_000L)]
    [DataRow("2kib", 2048L)]
    [DataRow("12x", null)]
    [DataRow("-5", null)]
    [DataRow("99999999999999999999TiB", null)]
    public void Download_sizes_parse_with_decimal_and_binary_units(string text, long? expected)
        => Assert.AreEqual(expected, DownloadLimits.ParseSize(text));

    [TestMethod]
    public void Bad_download_limits_are_coded_errors()
    {
        var bag = new DiagnosticBag();
        var limits = DownloadLimits.Map(new AiContainers.Core.Spec.ProjectInputs().Set("AiModelMaxDownloadSize", "lots").Set("AiModelStallTimeout", "0"), bag);
        CollectionAssert.AreEquivalent(new[] { "AIC5105", "AIC5106" }, bag.Items.Select(d => d.Code).ToArray());
        Assert.AreEqual(DownloadLimits.Default, limits);
        var ok = DownloadLimits.Map(new AiContainers.Core.Spec.ProjectInputs().Set("AiModelMaxDownloadSize", "2GiB").Set("AiModelStallTimeout", "00:05:00"), new DiagnosticBag());
        Assert.AreEqual(new DownloadLimits(2L << 30, TimeSpan.FromMinutes(5)), ok);
    }
}
