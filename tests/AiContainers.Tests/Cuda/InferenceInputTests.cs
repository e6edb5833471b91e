using AiContainers.Core.Cuda.Inference;
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
    [DataRow("1.20", "1.20.0")]
    [DataRow("[1.20.1]", "1.20.1")]
    [DataRow("[1.18.0, 1.20.0)", "1.18.0")]
    [DataRow("1.20.*", "1.20.0")]
    [DataRow("1.23.0-rc.2", "1.23.0")]
    [DataRow("2.5.1.0", "2.5.1")]
    [DataRow("1.*", null)]
    [DataRow("*", null)]
    [DataRow("(, 1.20.0]", null)]
    [DataRow("$(OrtVersion)", null)]
    [DataRow(null, null)]
    public void Package_version_text_reads_as_what_nuget_restores(string? text, string? expected)
        => Assert.AreEqual(expected, new PackageReferenceInfo("Microsoft.ML.OnnxRuntime.Gpu", text).ParsedVersion?.ToString());

    [TestMethod]
    public void Package_references_take_version_override_then_version_then_central_version()
    {
        var references = new[]
        {
            new InputItem("Microsoft.ML.OnnxRuntime.Gpu", new Dictionary<string, string>()),
            new InputItem("TorchSharp-cuda-linux", new Dictionary<string, string> { ["Version"] = "0.105.0" }),
            new InputItem("libtorch-cuda-12.1-linux-x64", new Dictionary<string, string> { ["Version"] = "2.5.1", ["VersionOverride"] = "2.5.1.1" }),
            new InputItem("Newtonsoft.Json", new Dictionary<string, string>()),
        };
        var central = new[] { new InputItem("microsoft.ml.onnxruntime.gpu", new Dictionary<string, string> { ["Version"] = "1.20.1" }) };
        var packages = PackageReferenceInfo.FromItems(references, central);
        CollectionAssert.AreEqual(new[] { "1.20.1", "0.105.0", "2.5.1.1", null }, packages.Select(p => p.Version).ToList());
    }
}
