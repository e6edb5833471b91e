using AiContainers.Core.Cuda.Inference;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;

namespace AiContainers.Tests.Cuda;

/// <summary>Reading requirements files and PackageReference versions as far as CUDA inference needs them.</summary>
[TestClass]
public sealed class InferenceInputTests
{
    [TestMethod]
    public void Requirements_file_reads_pins_extras_markers_comments_and_indexes()
    {
        var file = PythonRequirements.Parse(
            "# training image\r\n" +
            "--extra-index-url=https://download.pytorch.org/whl/cu121\n" +
            "Torch == 2.5.1+CU121 ; platform_system == \"Linux\"  # GPU build\n" +
            "tensorflow[and-cuda,extra]==2.16.1\n" +
            "numpy>=1.26,<2 \\\n" +
            "    --hash=sha256:abc\n" +
            "-r more-requirements.txt\n" +
            "Pillow_SIMD==9.0.0.post1\n" +
            "mypkg @ https://example.invalid/mypkg-1.0.whl\n");

        Assert.AreEqual("cu121", file.TorchIndexVariant);
        var torch = file.Find("torch");
        Assert.IsNotNull(torch);
        Assert.AreEqual(new Version(2, 5), torch.MajorMinor);
        Assert.AreEqual("cu121", torch.Local);
        var tensorflow = file.Find("TensorFlow");
        Assert.IsNotNull(tensorflow);
        CollectionAssert.AreEqual(new[] { "and-cuda", "extra" }, tensorflow.Extras.ToList());
        Assert.AreEqual("tensorflow[and-cuda,extra]==2.16.1", tensorflow.Label);
        Assert.IsNull(file.Find("numpy")!.MajorMinor);
        Assert.AreEqual(new Version(9, 0), file.Find("pillow-simd")!.MajorMinor);
        Assert.IsNull(file.Find("mypkg"), "URL requirements carry no version to read");
        Assert.AreEqual(4, file.Requirements.Count);
    }

    [TestMethod]
    [DataRow("torch==2.7.1", 2, 7, null)]
    [DataRow("torch===2.7.1", 2, 7, null)]
    [DataRow("torch==2.7.0rc1", 2, 7, null)]
    [DataRow("torch==2.7.*", 2, 7, null)]
    [DataRow("torch~=2.7.1", 2, 7, null)]
    [DataRow("torch==2.7.1+cpu", 2, 7, "cpu")]
    public void Pins_that_fix_the_minor_release_are_read(string line, int major, int minor, string? local)
    {
        var torch = PythonRequirements.Parse(line).Find("torch")!;
        Assert.AreEqual(new Version(major, minor), torch.MajorMinor);
        Assert.AreEqual(local, torch.Local);
    }

    [TestMethod]
    [DataRow("torch")]
    [DataRow("torch>=2.4")]
    [DataRow("torch~=2.7")]
    [DataRow("torch==2")]
    [DataRow("torch!=2.7.1")]
    public void Pins_that_leave_the_minor_open_are_not(string line)
        => Assert.IsNull(PythonRequirements.Parse(line).Find("torch")!.MajorMinor);

    [TestMethod]
    [DataRow("https://download.pytorch.org/whl/cu118", "cu118")]
    [DataRow("https://download.pytorch.org/whl/cpu/", "cpu")]
    [DataRow("https://download.pytorch.org/whl/nightly/cu130", "cu130")]
    [DataRow("https://mirror.example.com/pytorch/whl/cu126", "cu126")]
    [DataRow("https://pypi.org/simple", null)]
    public void Torch_index_variant_comes_from_the_wheel_index_path(string url, string? variant)
        => Assert.AreEqual(variant, PythonRequirements.Parse($"--index-url {url}\ntorch==2.7.1").TorchIndexVariant);

    [TestMethod]
    [DataRow("1.20.1", "1.20.1")]
    [DataRow("1.23.0-rc.2", "1.23.0")]
    [DataRow("2.5.1.1", "2.5.1")]
    [DataRow("1.20", "1.20.0")]
    [DataRow(null, null)]
    public void Resolved_versions_read_as_their_release_part(string? text, string? expected)
        => Assert.AreEqual(expected, new PackageReferenceInfo("Microsoft.ML.OnnxRuntime.Gpu", text).ParsedVersion?.ToString());

    [TestMethod]
    public void Assets_file_lists_every_resolved_package_transitive_ones_included_and_skips_projects()
    {
        const string assets = """
            { "version": 3, "targets": {},
              "libraries": {
                "Microsoft.ML.OnnxRuntime.Gpu.Linux/1.31.0": { "sha512": "x", "type": "package", "path": "microsoft.ml.onnxruntime.gpu.linux/1.31.0" },
                "Microsoft.ML.OnnxRuntime.Managed/1.31.0": { "type": "package" },
                "InferenceLib/1.0.0": { "type": "project", "path": "../InferenceLib/InferenceLib.csproj" } } }
            """;
        var bag = new DiagnosticBag();
        var packages = PackageReferenceInfo.FromAssets(assets, "/p/obj/project.assets.json", bag);
        Assert.AreEqual(0, bag.Items.Count);
        CollectionAssert.AreEqual(new[] { "Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0", "Microsoft.ML.OnnxRuntime.Managed 1.31.0" },
            packages.Select(p => $"{p.Name} {p.Version}").ToList());
    }

    [TestMethod]
    [DataRow("{ not json")]
    [DataRow("{\"version\": 3}")]
    public void An_unreadable_assets_file_is_AIC1700_naming_it(string text)
    {
        var bag = new DiagnosticBag();
        Assert.AreEqual(0, PackageReferenceInfo.FromAssets(text, "/p/obj/project.assets.json", bag).Count);
        var diagnostic = bag.Items.Single();
        Assert.AreEqual("AIC1700", diagnostic.Code);
        StringAssert.Contains(diagnostic.Message, "/p/obj/project.assets.json");
    }

    [TestMethod]
    public void No_restore_output_means_no_packages_and_no_error()
    {
        var bag = new DiagnosticBag();
        Assert.AreEqual(0, PackageReferenceInfo.FromAssets(null, null, bag).Count);
        Assert.AreEqual(0, bag.Items.Count);
    }
}
