using AiContainers.Core.Cuda;
using AiContainers.Core.Cuda.Inference;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Tests.Cuda;

[TestClass]
public sealed class CudaRequirementInferenceTests
{
    private static readonly CudaImageCatalog Catalog = CudaImageCatalog.Default;

    private static CudaInference Infer(string? requirements = null, string? cuda = null, string? cudnn = null, bool gpu = true, string? baseImage = null, params string[] packages)
        => CudaRequirementInference.Infer(new CudaInferenceInput
        {
            Packages = packages.Select(p => p.Split(' ')).Select(p => new PackageReferenceInfo(p[0], p.Length > 1 ? p[1] : null)).ToList(),
            PythonRequirements = requirements,
            CudaVersion = cuda,
            CudnnVersion = cudnn,
            Gpu = gpu,
            BaseImage = baseImage,
        }, Catalog);

    private static string Codes(CudaInference result) => string.Join(" | ", result.Diagnostics);

    private static void AssertChose(CudaInference result, string release, int? cudnn)
    {
        Assert.IsFalse(result.HasErrors, Codes(result));
        Assert.AreEqual(CudaChoice.Inferred, result.Choice, Codes(result));
        Assert.AreEqual(release, result.Release?.ToString());
        Assert.AreEqual(cudnn, result.CudnnMajor);
        StringAssert.StartsWith(result.Reason, $"AiCudaVersion not set: chose {release}");
    }

    private static AiDiagnostic Single(CudaInference result, string code)
    {
        var found = result.Diagnostics.Where(d => d.Code == code).ToList();
        Assert.AreEqual(1, found.Count, $"expected one {code}, got: {Codes(result)}");
        StringAssert.StartsWith(found[0].Message, code + ": ");
        return found[0];
    }

    // ---------------------------------------------------------------- ONNX Runtime

    [TestMethod]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu", "1.12.1", "11.4.3", 8)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu", "1.14.1", "11.6.2", 8)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu", "1.16.3", "11.8.0", 8)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu", "1.18.1", "11.8.0", 8)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu", "1.19.2", "12.8.1", 9)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu", "1.20.1", "12.8.1", 9)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu.Linux", "1.22.0", "12.8.1", 9)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu.Linux", "1.26.0", "12.8.1", 9)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu.Linux", "1.27.0", "13.2.0", 9)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu", "1.31.0", "13.2.0", 9)]
    [DataRow("microsoft.ml.onnxruntime.gpu.linux", "1.20.1", "12.8.1", 9)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu", "1.20.0-rc.1", "12.8.1", 9)]
    [DataRow("Microsoft.ML.OnnxRuntime.Gpu", "1.23.0-rc.2", "12.8.1", 9)]
    public void Onnx_runtime_gpu_package_gets_its_cuda_and_cudnn(string package, string version, string release, int cudnn)
        => AssertChose(Infer(packages: $"{package} {version}"), release, cudnn);

    [TestMethod]
    public void Onnx_runtime_reason_names_the_package_and_what_it_needs()
    {
        var result = Infer(packages: "Microsoft.ML.OnnxRuntime.Gpu 1.20.1");
        Assert.AreEqual("AiCudaVersion not set: chose 12.8.1 with cuDNN 9 because Microsoft.ML.OnnxRuntime.Gpu 1.20.1 needs CUDA 12 + cuDNN 9", result.Reason);
        Assert.AreEqual("12.8.1", result.CudaText);
        Assert.AreEqual("9", result.CudnnText);
    }

    // ---------------------------------------------------------------- PyTorch

    [TestMethod]
    [DataRow("torch==2.4.1", "12.1.1")]
    [DataRow("torch==2.5.1", "12.4.1")]
    [DataRow("torch==2.6.0", "12.4.1")]
    [DataRow("torch==2.7.1", "12.6.3")]
    [DataRow("torch==2.8.0", "12.8.1")]
    [DataRow("torch==2.9.1", "12.8.1")]
    [DataRow("torch==2.10.0", "12.8.1")]
    [DataRow("torch ~= 2.10.0", "12.8.1")]
    [DataRow("torch==2.7.*", "12.6.3")]
    [DataRow("torch==2.7.1+cu118", "11.8.0")]
    [DataRow("torch==2.7.1+cu128", "12.8.1")]
    [DataRow("torch==2.8.0+cu129", "12.9.1")]
    [DataRow("torch==2.9.1+cu130", "13.0.2")]
    [DataRow("Torch==2.5.1+cu121 ; sys_platform == 'linux'", "12.1.1")]
    [DataRow("--index-url https://download.pytorch.org/whl/cu118\ntorch==2.5.1\ntorchvision==0.20.1", "11.8.0")]
    [DataRow("numpy<2\n--extra-index-url https://download.pytorch.org/whl/cu124\ntorch==2.5.1  # pinned for the model", "12.4.1")]
    [DataRow("-i https://download.pytorch.org/whl/cu126\ntorch==2.7.1", "12.6.3")]
    public void Torch_pin_chooses_a_catalog_release_its_wheels_serve(string requirements, string release)
        => AssertChose(Infer(requirements), release, null);

    [TestMethod]
    public void Torch_and_onnx_runtime_together_take_the_torch_wheel_that_fits_both()
    {
        var result = Infer("torch==2.7.1\n", packages: "Microsoft.ML.OnnxRuntime.Gpu 1.20.1");
        AssertChose(result, "12.6.3", 9);
        Assert.AreEqual("AiCudaVersion not set: chose 12.6.3 with cuDNN 9 because Microsoft.ML.OnnxRuntime.Gpu 1.20.1 needs CUDA 12 + cuDNN 9 and torch==2.7.1 ships cu118/cu126/cu128 (PyPI's wheel is cu126)", result.Reason);
    }

    [TestMethod]
    public void Torch_with_an_old_onnx_runtime_takes_the_cuda_11_wheel()
        => AssertChose(Infer("torch==2.6.0", packages: "Microsoft.ML.OnnxRuntime.Gpu 1.18.1"), "11.8.0", 8);

    // ---------------------------------------------------------------- TensorFlow

    [TestMethod]
    [DataRow("tensorflow==2.12.0", "11.8.0", 8)]
    [DataRow("tensorflow==2.13.1", "11.8.0", 8)]
    [DataRow("tensorflow==2.14.1", "11.8.0", 8)]
    [DataRow("tensorflow==2.15.1", "12.2.2", 8)]
    [DataRow("tensorflow==2.18.0", "12.5.1", 9)]
    [DataRow("tensorflow==2.20.0", "12.5.1", 9)]
    [DataRow("tensorflow==2.21.0", "12.5.1", 9)]
    [DataRow("tensorflow-gpu==2.11.0", "11.8.0", 8)]
    [DataRow("tensorflow[and-cuda]==2.15.1", "12.2.2", null)]
    [DataRow("tensorflow[and-cuda]==2.16.1", "12.3.2", null)]
    [DataRow("tensorflow[and-cuda]==2.17.0", "12.3.2", null)]
    [DataRow("tensorflow[and-cuda]==2.19.0", "12.5.1", null)]
    public void Tensorflow_pin_chooses_its_tested_cuda(string requirements, string release, int? cudnn)
        => AssertChose(Infer(requirements), release, cudnn);

    [TestMethod]
    public void Tensorflow_2_16_without_and_cuda_has_no_catalog_image_and_says_what_works()
    {
        var result = Infer("tensorflow==2.16.1");
        var error = Single(result, "AIC1204");
        Assert.AreEqual(CudaRequirementInference.RequirementsProperty, error.Property);
        StringAssert.Contains(error.Message, "no image that serves tensorflow==2.16.1 (CUDA 12.3 or a newer 12.x, cuDNN 8)");
        StringAssert.Contains(error.Message, "Use tensorflow[and-cuda]==2.16.1");
        Assert.IsNull(result.Release);
    }

    // ---------------------------------------------------------------- TorchSharp

    [TestMethod]
    [DataRow("TorchSharp-cuda-linux 0.100.7", "11.7.1")]
    [DataRow("TorchSharp-cuda-linux 0.102.5", "12.1.1")]
    [DataRow("TorchSharp-cuda-linux 0.105.0", "12.1.1")]
    [DataRow("TorchSharp-cuda-linux 0.107.0", "12.8.1")]
    [DataRow("libtorch-cuda-12.1-linux-x64 2.5.1.0", "12.1.1")]
    [DataRow("libtorch-cuda-12.8-linux-x64 2.10.0", "12.8.1")]
    [DataRow("libtorch-cuda-11.7 1.13.0.1", "11.7.1")]
    public void Torchsharp_package_chooses_the_cuda_its_libtorch_ships(string package, string release)
        => AssertChose(Infer(packages: package), release, null);

    [TestMethod]
    public void Torchsharp_needs_only_its_major_so_onnx_runtime_decides_the_cudnn()
        => AssertChose(Infer(packages: new[] { "TorchSharp-cuda-linux 0.105.0", "Microsoft.ML.OnnxRuntime.Gpu 1.20.1" }), "12.8.1", 9);

    // ---------------------------------------------------------------- nothing to infer

    [TestMethod]
    public void Nothing_cuda_related_infers_nothing()
    {
        var result = Infer("numpy==2.1.0\nrequests", packages: new[] { "Microsoft.Extensions.Hosting 8.0.0", "TorchSharp 0.107.0" });
        Assert.AreEqual(CudaChoice.None, result.Choice);
        Assert.IsNull(result.Release);
        Assert.IsNull(result.Reason);
        Assert.AreEqual(0, result.Diagnostics.Count, Codes(result));
    }

    // ---------------------------------------------------------------- AiCudaVersion set

    /// <summary>13.3.0 is in the data only from images seen in use: inference keeps to 13.2.0, but asking for it works.</summary>
    [TestMethod]
    public void A_release_nvidia_has_not_listed_is_used_only_when_asked_for()
    {
        AssertChose(Infer(packages: "Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0"), "13.2.0", 9);
        var asked = Infer(cuda: "13.3", packages: "Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0");
        Assert.IsFalse(asked.HasErrors, Codes(asked));
        Assert.AreEqual("13.3.0", asked.Release?.ToString());
    }

    [TestMethod]
    public void Explicit_cuda_that_does_not_fit_onnx_runtime_names_both_sides_and_what_works()
    {
        var result = Infer(cuda: "11.8", packages: "Microsoft.ML.OnnxRuntime.Gpu 1.20.1");
        var error = Single(result, "AIC1201");
        Assert.AreEqual("AiCudaVersion", error.Property);
        Assert.AreEqual("AIC1201: AiCudaVersion '11.8' does not match Microsoft.ML.OnnxRuntime.Gpu 1.20.1 (CUDA 12.x, cuDNN 9). Set AiCudaVersion to 12.x (e.g. 12.8), or use Microsoft.ML.OnnxRuntime.Gpu 1.7 to 1.18.", error.Message);
    }

    [TestMethod]
    public void Explicit_cuda_that_torch_has_no_wheel_for_lists_the_wheels_and_releases_that_have_one()
    {
        var message = Single(Infer("torch==2.7.1", cuda: "12.4"), "AIC1201").Message;
        StringAssert.Contains(message, "does not match torch==2.7.1 (CUDA 11.8, 12.6 or 12.8)");
        StringAssert.Contains(message, "Set AiCudaVersion to 11.8, 12.6 or 12.8, or use torch 2.4 to 2.6 (+cu124)");
    }

    [TestMethod]
    public void Explicit_cuda_that_a_pinned_wheel_variant_misses_suggests_the_variant_that_fits()
        => StringAssert.Contains(Single(Infer("torch==2.7.1+cu126", cuda: "12.8"), "AIC1201").Message, "or use torch==2.7.1+cu128");

    [TestMethod]
    public void Explicit_cuda_older_than_tensorflow_was_built_with_is_an_error()
        => StringAssert.Contains(Single(Infer("tensorflow==2.18.0", cuda: "12.4", cudnn: "9"), "AIC1201").Message, "Set AiCudaVersion to 12.5 or a newer 12.x");

    [TestMethod]
    public void Explicit_cuda_that_fits_is_confirmed_and_the_needed_cudnn_added()
    {
        var result = Infer("torch==2.7.1", cuda: "12.6", packages: "Microsoft.ML.OnnxRuntime.Gpu 1.20.1");
        Assert.AreEqual(0, result.Diagnostics.Count, Codes(result));
        Assert.AreEqual(CudaChoice.Explicit, result.Choice);
        Assert.AreEqual("12.6.3", result.Release?.ToString());
        Assert.AreEqual(9, result.CudnnMajor);
        StringAssert.Contains(result.Reason, "cuDNN 9 added because Microsoft.ML.OnnxRuntime.Gpu 1.20.1 needs it");
    }

    [TestMethod]
    public void Explicit_cudnn_that_does_not_fit_is_an_error_on_AiCudnnVersion()
    {
        var error = Single(Infer(cuda: "12.2", cudnn: "8", packages: "Microsoft.ML.OnnxRuntime.Gpu 1.20.1"), "AIC1202");
        Assert.AreEqual("AiCudnnVersion", error.Property);
        StringAssert.Contains(error.Message, "Set AiCudnnVersion to 9");
    }

    [TestMethod]
    public void Explicit_cudnn_none_with_a_package_that_needs_cudnn_is_an_error()
        => Single(Infer(cudnn: "none", packages: "Microsoft.ML.OnnxRuntime.Gpu 1.20.1"), "AIC1202");

    [TestMethod]
    public void Explicit_cudnn_steers_the_inferred_choice()
        => AssertChose(Infer("tensorflow[and-cuda]==2.15.1", cudnn: "8"), "12.2.2", 8);

    [TestMethod]
    public void Explicit_cuda_without_the_cudnn_a_package_needs_says_which_versions_have_it()
    {
        var error = Single(Infer("tensorflow==2.15.1", cuda: "12.4"), "AIC1205");
        Assert.AreEqual("AiCudaVersion", error.Property);
        StringAssert.Contains(error.Message, "has no nvidia/cuda image with cuDNN 8, which tensorflow==2.15.1 needs. Set AiCudaVersion to 12.2");
    }

    [TestMethod]
    public void Malformed_explicit_cuda_is_left_to_the_mapper()
    {
        var result = Infer(cuda: "twelve", packages: "Microsoft.ML.OnnxRuntime.Gpu 1.20.1");
        Assert.AreEqual(0, result.Diagnostics.Count, Codes(result));
        Assert.AreEqual(CudaChoice.None, result.Choice);
    }

    // ---------------------------------------------------------------- packages that conflict

    [TestMethod]
    [DataRow("torch==2.8.0", "Microsoft.ML.OnnxRuntime.Gpu 1.18.1", "AiPythonRequirements")]
    [DataRow("torch==2.7.1+cu118", "Microsoft.ML.OnnxRuntime.Gpu 1.20.1", "AiPythonRequirements")]
    [DataRow("tensorflow==2.15.1", "Microsoft.ML.OnnxRuntime.Gpu 1.20.1", "AiPythonRequirements")]
    [DataRow("tensorflow==2.18.0", "Microsoft.ML.OnnxRuntime.Gpu 1.18.1", "AiPythonRequirements")]
    [DataRow(null, "Microsoft.ML.OnnxRuntime.Gpu 1.31.0;TorchSharp-cuda-linux 0.107.0", "PackageReference")]
    public void Packages_that_share_no_cuda_fail_naming_both(string? requirements, string packages, string property)
    {
        var result = Infer(requirements, packages: packages.Split(';'));
        var error = Single(result, "AIC1203");
        Assert.AreEqual(property, error.Property);
        foreach (var requirement in result.Requirements) StringAssert.Contains(error.Message, requirement.Label);
        StringAssert.Contains(error.Message, "cannot run on one CUDA image");
        StringAssert.Matches(error.Message, new System.Text.RegularExpressions.Regex(@"\. Use \S"));
        Assert.AreEqual(CudaChoice.None, result.Choice);
        Assert.IsNull(result.Release);
    }

    [TestMethod]
    public void Conflict_says_which_other_version_would_fit()
        => StringAssert.Contains(Single(Infer("torch==2.8.0", packages: "Microsoft.ML.OnnxRuntime.Gpu 1.18.1"), "AIC1203").Message,
            "Use torch 2.0 to 2.7 (+cu118) with Microsoft.ML.OnnxRuntime.Gpu 1.18.1");

    // ---------------------------------------------------------------- AiBaseImage set

    [TestMethod]
    [DataRow("pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime", "Microsoft.ML.OnnxRuntime.Gpu 1.18.1", "CUDA 12.4, cuDNN 9")]
    [DataRow("nvidia/cuda:12.4.1-runtime-ubuntu22.04", "Microsoft.ML.OnnxRuntime.Gpu 1.20.1", "CUDA 12.4.1, no cuDNN")]
    [DataRow("tensorflow/tensorflow:2.13.0-gpu", "Microsoft.ML.OnnxRuntime.Gpu 1.20.1", "CUDA 11.8, cuDNN 8")]
    public void Framework_base_image_that_does_not_fit_a_package_is_an_error_on_AiBaseImage(string image, string package, string has)
    {
        var error = Single(Infer(baseImage: image, packages: package), "AIC1206");
        Assert.AreEqual("AiBaseImage", error.Property);
        StringAssert.Contains(error.Message, $"AiBaseImage '{image}' has {has}, which does not match {package}");
    }

    [TestMethod]
    public void Framework_base_image_that_fits_is_recorded_with_its_cudnn()
    {
        var result = Infer(baseImage: "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", packages: "Microsoft.ML.OnnxRuntime.Gpu 1.20.1");
        Assert.AreEqual(0, result.Diagnostics.Count, Codes(result));
        Assert.AreEqual(CudaChoice.BaseImage, result.Choice);
        Assert.AreEqual("12.4.1", result.Release?.ToString());
        Assert.AreEqual(9, result.CudnnMajor);
        StringAssert.Contains(result.Reason, "which fits Microsoft.ML.OnnxRuntime.Gpu 1.20.1");
    }

    [TestMethod]
    public void Base_image_without_cuda_in_its_tag_is_not_checked_and_says_so()
    {
        var result = Infer("torch==2.7.1", baseImage: "huggingface/transformers-pytorch-gpu:4.41.2");
        Assert.AreEqual(0, result.Diagnostics.Count, Codes(result));
        StringAssert.Contains(result.Reason, "were not checked");
    }

    // ---------------------------------------------------------------- CPU builds on a GPU image and the reverse

    [TestMethod]
    [DataRow(null, "Microsoft.ML.OnnxRuntime 1.20.1", "PackageReference")]
    [DataRow(null, "TorchSharp-cpu 0.107.0", "PackageReference")]
    [DataRow(null, "libtorch-cpu-linux-x64 2.10.0", "PackageReference")]
    [DataRow("torch==2.7.1+cpu", null, "AiPythonRequirements")]
    [DataRow("--index-url https://download.pytorch.org/whl/cpu\ntorch==2.7.1", null, "AiPythonRequirements")]
    [DataRow("tensorflow-cpu==2.15.0", null, "AiPythonRequirements")]
    [DataRow("onnxruntime==1.20.1", null, "AiPythonRequirements")]
    public void Cpu_only_build_on_a_gpu_image_warns(string? requirements, string? package, string property)
    {
        var result = Infer(requirements, packages: package is null ? Array.Empty<string>() : new[] { package });
        var warning = Single(result, "AIC1520");
        Assert.IsFalse(warning.IsError);
        Assert.AreEqual(property, warning.Property);
        StringAssert.Contains(warning.Message, property);
        StringAssert.Contains(warning.Message, "AiGpu");
    }

    [TestMethod]
    [DataRow(null, "Microsoft.ML.OnnxRuntime.Gpu.Linux 1.22.0", "PackageReference")]
    [DataRow(null, "libtorch-cuda-12.8-linux-x64 2.10.0", "PackageReference")]
    [DataRow(null, "TorchSharp-cuda-linux 0.107.0", "PackageReference")]
    [DataRow("torch==2.7.1", null, "AiPythonRequirements")]
    [DataRow("torch==2.7.1+cu126", null, "AiPythonRequirements")]
    [DataRow("tensorflow[and-cuda]==2.16.1", null, "AiPythonRequirements")]
    [DataRow("onnxruntime-gpu==1.20.1", null, "AiPythonRequirements")]
    public void Cuda_build_with_AiGpu_false_warns(string? requirements, string? package, string property)
    {
        var result = Infer(requirements, gpu: false, packages: package is null ? Array.Empty<string>() : new[] { package });
        var warning = Single(result, "AIC1521");
        Assert.AreEqual(property, warning.Property);
        StringAssert.Contains(warning.Message, "AiGpu is false");
        Assert.AreEqual(CudaChoice.None, result.Choice);
    }

    [TestMethod]
    public void Cpu_builds_on_a_cpu_image_are_quiet()
    {
        var result = Infer("--index-url https://download.pytorch.org/whl/cpu\ntorch==2.7.1\ntensorflow==2.16.1\nonnxruntime==1.20.1", gpu: false,
            packages: new[] { "Microsoft.ML.OnnxRuntime 1.20.1", "TorchSharp-cpu 0.107.0" });
        Assert.AreEqual(0, result.Diagnostics.Count, Codes(result));
    }

    // ---------------------------------------------------------------- what the data does not know

    [TestMethod]
    [DataRow(null, "Microsoft.ML.OnnxRuntime.Gpu 1.40.0", "PackageReference")]
    [DataRow(null, "Microsoft.ML.OnnxRuntime.Gpu", "PackageReference")]
    [DataRow(null, "TorchSharp-cuda-linux 0.90.0", "PackageReference")]
    [DataRow("torch==2.15.0", null, "AiPythonRequirements")]
    [DataRow("tensorflow==2.22.0", null, "AiPythonRequirements")]
    public void Version_outside_the_data_warns_and_infers_nothing(string? requirements, string? package, string property)
    {
        var result = Infer(requirements, packages: package is null ? Array.Empty<string>() : new[] { package });
        Assert.AreEqual(property, Single(result, "AIC1522").Property);
        Assert.AreEqual(CudaChoice.None, result.Choice);
    }

    [TestMethod]
    public void Version_outside_the_data_names_what_the_data_covers()
        => StringAssert.Contains(Single(Infer(packages: "Microsoft.ML.OnnxRuntime.Gpu.Linux 1.40.0"), "AIC1522").Message, "(Microsoft.ML.OnnxRuntime.Gpu.Linux 1.0 to 1.31)");

    [TestMethod]
    [DataRow("torch", "torch==")]
    [DataRow("torch>=2.4", "torch==")]
    [DataRow("torch>=2.4,<2.6", "torch==")]
    [DataRow("tensorflow", "tensorflow[and-cuda]==")]
    public void Unpinned_framework_warns_with_an_example_pin(string requirements, string example)
    {
        var warning = Single(Infer(requirements), "AIC1523");
        Assert.AreEqual("AiPythonRequirements", warning.Property);
        StringAssert.Contains(warning.Message, "(e.g. " + example);
    }

    // ---------------------------------------------------------------- the codes

    [TestMethod]
    public void Inference_codes_sit_in_their_ranges()
    {
        var descriptors = new[]
        {
            AiErrors.CudaVersionMismatch, AiErrors.CudnnVersionMismatch, AiErrors.PackagesNeedDifferentCuda, AiErrors.NoCatalogImageForPackages,
            AiErrors.CudnnMissingForCudaVersion, AiErrors.BaseImageCudaMismatch,
            AiErrors.CpuPackageOnGpuImage, AiErrors.GpuPackageOnCpuImage, AiErrors.FrameworkVersionNotInData, AiErrors.UnpinnedFramework,
        };
        foreach (var d in descriptors)
        {
            var number = int.Parse(d.Code[3..]);
            if (d.Severity == AiSeverity.Error) Assert.IsTrue(number is >= 1200 and <= 1299, d.Code);
            else Assert.IsTrue(number is >= 1520 and <= 1549, d.Code);
        }
        Assert.AreEqual(descriptors.Length, descriptors.Select(d => d.Code).Distinct().Count());
    }
}
