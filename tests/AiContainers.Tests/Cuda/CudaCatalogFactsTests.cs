using System.Diagnostics;
using System.Text.Json;
using AiContainers.Core.Cuda;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Cuda;

/// <summary>The nvidia/cuda catalog: every listed patch, arm64 availability, the base's NVIDIA_REQUIRE_CUDA, sources and review date.</summary>
[TestClass]
public sealed class CudaCatalogFactsTests
{
    private static readonly CudaImageCatalog Catalog = CudaImageCatalog.Default;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("12.6.1")]
    [DataRow("12.6.2")]
    [DataRow("12.8.0")]
    [DataRow("13.0.1")]
    [DataRow("13.0.2")]
    [DataRow("13.1.1")]
    [DataRow("13.2.0")]
    [DataRow("13.3.0")]
    public void Every_listed_patch_is_accepted_exactly(string version)
        => Assert.AreEqual(version, Catalog.Find(Version.Parse(version), exactPatch: true)?.ToString());

    [TestMethod]
    [DataRow("12.6", "12.6.3")]
    [DataRow("13.0", "13.0.2")]
    [DataRow("13.1", "13.1.1")]
    [DataRow("13.3", "13.3.0")]
    public void A_major_minor_still_means_its_newest_patch(string requested, string expected)
        => Assert.AreEqual(expected, Catalog.Find(Version.Parse(requested), exactPatch: false)?.ToString());

    [TestMethod]
    public void A_patch_that_was_never_listed_is_refused()
        => Assert.IsNull(Catalog.Find(new Version(12, 6, 9), exactPatch: true));

    [TestMethod]
    public void Every_release_cites_where_it_was_read()
    {
        foreach (var release in Catalog.Releases)
        {
            if (!release.ListedByNvidia)
            {
                // Seen only in use: the row says so with its date and the evidence, and claims nothing it could not read.
                StringAssert.Matches(release.Source, new System.Text.RegularExpressions.Regex(@"^not confirmed from NVIDIA's tag list as of \d{4}-\d{2}-\d{2}: .*nvidia/cuda:" + System.Text.RegularExpressions.Regex.Escape(release.Version.ToString()) + "-"), release.ToString());
                Assert.IsNull(release.RequireCuda, release.ToString());
                Assert.IsNull(release.Arm64Os, release.ToString());
                continue;
            }
            StringAssert.Matches(release.Source, new System.Text.RegularExpressions.Regex(@"^[\w.-]+/[\w.-]+@[0-9a-f]{40}:doc/supported-tags\.md$"), release.ToString());
            if (release.RequireCuda is not null)
            {
                StringAssert.StartsWith(release.RequireCuda, $"cuda>={release.MajorMinor}", release.ToString());
                StringAssert.Matches(release.RequireCudaSource, new System.Text.RegularExpressions.Regex(@"@[0-9a-f]{40}:dist/"), release.ToString());
            }
        }
    }

    /// <summary>13.3.0 comes from images seen in use, not from NVIDIA's list: asked for, it is used; inferred, a listed release wins.</summary>
    [TestMethod]
    public void A_release_not_confirmed_by_nvidia_is_never_inferred()
    {
        var unconfirmed = Catalog.Find(new Version(13, 3, 0), exactPatch: true)!;
        Assert.IsFalse(unconfirmed.ListedByNvidia);
        Assert.IsTrue(Catalog.Find(new Version(13, 2, 0), exactPatch: true)!.ListedByNvidia);
        Assert.IsTrue(unconfirmed.Cudnn.ContainsKey(9), "the data has a cuDNN 9 13.3.0 tag, so only the listing keeps inference off it");
    }

    [TestMethod]
    public void Arm64_availability_is_known_per_ubuntu_release_or_unknown()
    {
        var release = Catalog.Find(new Version(12, 8, 1), exactPatch: true)!;
        Assert.IsTrue(release.HasArm64("ubuntu24.04"));
        Assert.IsFalse(Catalog.Find(new Version(11, 4, 3), exactPatch: true)!.HasArm64("ubuntu22.04"));
        Assert.IsNull(Catalog.Find(new Version(13, 2, 0), exactPatch: true)!.HasArm64("ubuntu24.04"), "no Dockerfile of 13.2.0 was read: unknown, not guessed");
    }

    [TestMethod]
    public void The_default_version_still_has_a_stand_in_for_the_end_to_end_tests()
    {
        Assert.AreEqual(new Version(12, 8, 1), Catalog.DefaultVersion);
        Assert.IsNotNull(Catalog.Find(Catalog.DefaultVersion, exactPatch: true));
    }

    /// <summary>Stale data is a warning printed in the test log, not a failure: unrelated work must not break on a date.</summary>
    [TestMethod]
    public void Review_date_is_shown_and_staleness_is_a_printed_warning()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        if (Catalog.IsStale(today))
            TestContext.WriteLine("WARNING: " + Catalog.ReviewNote(today));
        StringAssert.StartsWith(Catalog.ReviewNote(Catalog.Reviewed), $"CUDA image data reviewed {Catalog.Reviewed:yyyy-MM-dd}");
        var late = Catalog.Reviewed.AddDays(CudaImageCatalog.StaleAfterDays + 1);
        Assert.IsTrue(Catalog.IsStale(late));
        StringAssert.Contains(Catalog.ReviewNote(late), "build/regen-cuda-catalog.py");
        Assert.IsFalse(Catalog.IsStale(Catalog.Reviewed.AddDays(CudaImageCatalog.StaleAfterDays)));
    }

    /// <summary>
    /// Round trip: every tag the catalog can name, fed to the regeneration script as a tag list, gives back the
    /// same releases, OSes and cuDNN variants, so the script and the loader agree on the file's meaning.
    /// </summary>
    [TestMethod]
    public void Regeneration_script_round_trips_the_catalog_tags()
    {
        var work = TestPaths.NewTempDirectory("regen-cuda");
        var tags = Path.Combine(work, "tags.txt");
        File.WriteAllLines(tags, Catalog.Releases.SelectMany(r =>
            r.Os.Select(os => CudaImageCatalog.Tag(r, null, CudaFlavor.Runtime, os))
             .Concat(r.Cudnn.SelectMany(c => c.Value.Os.Select(os => CudaImageCatalog.Tag(r, c.Key, CudaFlavor.Runtime, os))))));
        var output = Path.Combine(work, "cuda-images.json");
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(TestPaths.RepoRoot, "build", "regen-cuda-catalog.py"), "--tags", tags + "=round-trip", "--out", output }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, stderr);

        using var stream = File.OpenRead(output);
        var regenerated = CudaImageCatalog.Load(stream);
        string Shape(CudaImageCatalog c) => JsonSerializer.Serialize(c.Releases.Select(r => new { v = r.ToString(), r.Os, cudnn = r.Cudnn.ToDictionary(k => k.Key.ToString(), k => k.Value) }));
        Assert.AreEqual(Shape(Catalog), Shape(regenerated));
        Assert.AreEqual(Catalog.Reviewed, regenerated.Reviewed);
    }
}
