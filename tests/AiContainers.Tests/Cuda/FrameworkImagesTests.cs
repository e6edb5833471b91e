using AiContainers.Core.Cuda;
using AiContainers.Core.Cuda.Inference;
using AiContainers.Core.Images;

namespace AiContainers.Tests.Cuda;

[TestClass]
public sealed class FrameworkImagesTests
{
    private static ImageReference Parse(string image)
        => ImageReference.TryParse(image, out var error) ?? throw new AssertFailedException($"{image}: {error}");

    [TestMethod]
    [DataRow("pytorch/pytorch:2.7.1-cuda12.6-cudnn9-runtime", "PyTorch", "2.7.1", "12.6", 9, CudaFlavor.Runtime)]
    [DataRow("pytorch/pytorch:2.5.1-cuda12.4-cudnn9-devel", "PyTorch", "2.5.1", "12.4", 9, CudaFlavor.Devel)]
    [DataRow("docker.io/pytorch/pytorch:1.13.1-cuda11.6-cudnn8-runtime", "PyTorch", "1.13.1", "11.6", 8, CudaFlavor.Runtime)]
    [DataRow("tensorflow/tensorflow:2.16.1-gpu", "TensorFlow", "2.16.1", "12.3", 8, CudaFlavor.Runtime)]
    [DataRow("tensorflow/tensorflow:2.13.0-gpu-jupyter", "TensorFlow", "2.13.0", "11.8", 8, CudaFlavor.Runtime)]
    [DataRow("tensorflow/tensorflow:2.18.0-gpu", "TensorFlow", "2.18.0", "12.5", 9, CudaFlavor.Runtime)]
    [DataRow("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "CUDA", null, "12.4.1", 9, CudaFlavor.Runtime)]
    public void Framework_image_tag_gives_its_cuda(string image, string framework, string? frameworkVersion, string cuda, int cudnn, CudaFlavor flavor)
    {
        var facts = FrameworkImages.Describe(Parse(image), CudaImageCatalog.Default);
        Assert.IsNotNull(facts);
        Assert.AreEqual(framework, facts.Framework);
        Assert.AreEqual(frameworkVersion, facts.FrameworkVersion);
        Assert.AreEqual(cuda, facts.CudaVersion?.ToString());
        Assert.AreEqual(cudnn, facts.CudnnMajor);
        Assert.IsTrue(facts.CudnnKnown);
        Assert.AreEqual(flavor, facts.Flavor);
    }

    [TestMethod]
    public void Huggingface_image_is_known_but_its_tag_does_not_tell_the_cuda()
    {
        var facts = FrameworkImages.Describe(Parse("huggingface/transformers-pytorch-gpu:4.41.2"), CudaImageCatalog.Default);
        Assert.IsNotNull(facts);
        Assert.AreEqual("4.41.2", facts.FrameworkVersion);
        Assert.IsNull(facts.CudaVersion);
        Assert.IsFalse(facts.CudnnKnown);
        StringAssert.Contains(facts.Note, "changed between releases");
        Assert.IsNull(FrameworkImages.Cuda(Parse("huggingface/transformers-pytorch-gpu:4.41.2"), CudaImageCatalog.Default, null));
    }

    [TestMethod]
    [DataRow("ubuntu:22.04")]
    [DataRow("pytorch/pytorch:latest")]
    [DataRow("pytorch/pytorch")]
    [DataRow("tensorflow/tensorflow:2.16.1")]
    [DataRow("tensorflow/tensorflow:2.30.0-gpu")]
    [DataRow("ghcr.io/acme/pytorch:2.7.1-cuda12.6-cudnn9-runtime")]
    public void Other_images_and_tags_without_cuda_facts_give_none(string image)
        => Assert.IsNull(FrameworkImages.Describe(Parse(image), CudaImageCatalog.Default)?.CudaVersion);

    [TestMethod]
    public void Framework_image_facts_become_the_spec_cuda_without_a_driver_claim()
    {
        var spec = FrameworkImages.Cuda(Parse("pytorch/pytorch:2.7.1-cuda12.6-cudnn9-runtime"), CudaImageCatalog.Default);
        Assert.IsNotNull(spec);
        Assert.AreEqual("12.6", spec.Version);
        Assert.AreEqual("12.6", spec.MajorMinor);
        Assert.AreEqual(9, spec.CudnnMajor);
        // The framework image's own NVIDIA_REQUIRE_CUDA is not in the data: unknown, not guessed.
        Assert.IsNull(spec.BaseRequireCuda);
        Assert.IsFalse(spec.FromCatalog);
    }

    [TestMethod]
    public void An_nvidia_cuda_tag_the_catalog_lists_carries_its_real_require_cuda_with_brand_clauses()
    {
        var spec = FrameworkImages.Cuda(Parse("nvidia/cuda:12.8.1-runtime-ubuntu24.04"), CudaImageCatalog.Default);
        StringAssert.StartsWith(spec!.BaseRequireCuda, "cuda>=12.8 brand=");
        StringAssert.Contains(spec.BaseRequireCuda, "brand=tesla,driver>=535,driver<536");
    }

    [TestMethod]
    public void Nvidia_cuda_images_keep_the_resolver_reading()
    {
        var reference = Parse("nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04");
        Assert.AreEqual(CudaBaseResolver.FromExplicitImage(CudaImageCatalog.Default, reference), FrameworkImages.Cuda(reference, CudaImageCatalog.Default));
    }
}
