using System.Text.Json;
using AiContainers.Core.Cuda;
using AiContainers.Core.Cuda.Inference;

namespace AiContainers.Tests.Cuda;

/// <summary>The reviewed data file: it parses, cites sources, and names only CUDA versions the catalog has (or says it does not).</summary>
[TestClass]
public sealed class FrameworkCudaDataTests
{
    private static readonly FrameworkCudaData Data = FrameworkCudaData.Default;

    private static readonly HashSet<string> CatalogMinors = CudaImageCatalog.Default.Releases.Select(r => r.MajorMinor).ToHashSet();
    private static readonly HashSet<string> CatalogMajors = CudaImageCatalog.Default.Releases.Select(r => r.Version.Major.ToString()).ToHashSet();

    private static bool InCatalog(string cuda) => cuda.Contains('.') ? CatalogMinors.Contains(cuda) : CatalogMajors.Contains(cuda);

    [TestMethod]
    public void Every_section_cites_its_sources()
    {
        Assert.IsFalse(string.IsNullOrWhiteSpace(Data.Source));
        foreach (var source in new[] { Data.OnnxRuntime.Source, Data.TorchSharp.Source, Data.Pytorch.Source, Data.Tensorflow.Source, Data.Python.Source, Data.Images.Source })
            StringAssert.Matches(source, new System.Text.RegularExpressions.Regex("https://|PR #|issue #"), "each section names where its facts come from");
    }

    [TestMethod]
    public void Every_cuda_version_named_is_in_the_catalog_or_marked_not_in_it()
    {
        var named = new List<(string What, string Cuda, bool Marked)>();
        named.AddRange(Data.OnnxRuntime.Releases.Select(r => ($"onnxRuntime {r.MinVersion}", r.Cuda, r.NotInCatalog)));
        named.AddRange(Data.TorchSharp.Releases.Select(r => ($"torchSharp {r.MinVersion}", r.Cuda, r.NotInCatalog)));
        named.AddRange(Data.Pytorch.Releases.SelectMany(r => r.Cuda.Append(r.Default).Select(c => ($"pytorch {r.Version}", c, false))));
        named.AddRange(Data.Tensorflow.Releases.Select(r => ($"tensorflow {r.Versions[0]}", r.Cuda, r.NotInCatalog)));
        Assert.IsTrue(named.Count > 40);
        foreach (var (what, cuda, marked) in named)
        {
            StringAssert.Matches(cuda, new System.Text.RegularExpressions.Regex(@"^\d+(\.\d)?$"), what);
            Assert.AreNotEqual(marked, InCatalog(cuda), $"{what}: CUDA {cuda} is {(InCatalog(cuda) ? "in the catalog but marked notInCatalog" : "not in the catalog and not marked notInCatalog")}");
        }
    }

    [TestMethod]
    public void Package_version_ranges_are_ordered_and_leave_no_gaps()
    {
        foreach (var rows in new[] { Data.OnnxRuntime.Releases, Data.TorchSharp.Releases })
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.IsTrue(Version.Parse(rows[i].MinVersion) < Version.Parse(rows[i].MaxVersionExclusive), rows[i].MinVersion);
            if (i > 0) Assert.AreEqual(rows[i - 1].MaxVersionExclusive, rows[i].MinVersion, "ranges meet end to start");
            if (rows[i].Inferred) Assert.IsFalse(string.IsNullOrWhiteSpace(rows[i].Note), $"{rows[i].MinVersion}: an inferred row says how it was inferred");
        }
    }

    [TestMethod]
    public void Each_release_is_listed_once_and_pytorch_defaults_are_wheels_it_ships()
    {
        Assert.AreEqual(Data.Pytorch.Releases.Count, Data.Pytorch.Releases.Select(r => r.Version).Distinct().Count());
        var tensorflow = Data.Tensorflow.Releases.SelectMany(r => r.Versions).ToList();
        Assert.AreEqual(tensorflow.Count, tensorflow.Distinct().Count());
        foreach (var release in Data.Pytorch.Releases) CollectionAssert.Contains(release.Cuda.ToList(), release.Default, release.Version);
    }

    [TestMethod]
    public void Image_tag_patterns_compile_and_name_the_groups_the_reader_uses()
    {
        foreach (var family in Data.Images.Families)
        {
            var regex = new System.Text.RegularExpressions.Regex(family.TagPattern);
            CollectionAssert.Contains(regex.GetGroupNames(), "framework", family.Repository);
            if (family.CudaFrom is null) CollectionAssert.IsSubsetOf(new[] { "cuda", "cudnn", "flavor" }, regex.GetGroupNames(), family.Repository);
        }
    }

    [TestMethod]
    public void A_misspelt_field_fails_to_load()
    {
        using var stream = typeof(FrameworkCudaData).Assembly.GetManifestResourceStream("AiContainers.Data.framework-cuda.json")!;
        var text = new StreamReader(stream).ReadToEnd().Replace("\"maxVersionExclusive\"", "\"maxVersionExcluded\"");
        Assert.ThrowsExactly<JsonException>(() => FrameworkCudaData.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text))));
    }
}
