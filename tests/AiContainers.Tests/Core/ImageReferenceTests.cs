using AiContainers.Core.Cuda;
using AiContainers.Core.Images;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Core;

[TestClass]
public sealed class ImageReferenceTests
{
    [TestMethod]
    [DataRow("ubuntu:22.04", null, "ubuntu", "22.04", "docker.io/library/ubuntu:22.04")]
    [DataRow("nvidia/cuda:12.4.1-runtime-ubuntu22.04", null, "nvidia/cuda", "12.4.1-runtime-ubuntu22.04", "docker.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04")]
    [DataRow("docker.io/library/python:3.11-slim", null, "python", "3.11-slim", "docker.io/library/python:3.11-slim")]
    [DataRow("127.0.0.1:5000/standin/nvidia/cuda:12.4.1", "127.0.0.1:5000", "standin/nvidia/cuda", "12.4.1", "127.0.0.1:5000/standin/nvidia/cuda:12.4.1")]
    [DataRow("localhost/app", "localhost", "app", null, "localhost/app")]
    [DataRow("mcr.microsoft.com/dotnet/aspnet:10.0", "mcr.microsoft.com", "dotnet/aspnet", "10.0", "mcr.microsoft.com/dotnet/aspnet:10.0")]
    public void Parses_references(string text, string? registry, string repository, string? tag, string canonical)
    {
        var reference = ImageReference.Parse(text);
        Assert.AreEqual(registry, reference.Registry);
        Assert.AreEqual(repository, reference.Repository);
        Assert.AreEqual(tag, reference.Tag);
        Assert.AreEqual(canonical, reference.Canonical);
    }

    [TestMethod]
    [DataRow("Ubuntu:22.04")]
    [DataRow("ubuntu:-x")]
    [DataRow("ubuntu@sha256:1234")]
    [DataRow("a//b")]
    [DataRow("")]
    [DataRow("ubuntu:22.04 ")]
    public void Rejects_bad_references(string text)
        => Assert.IsNull(ImageReference.TryParse(text, out var error), "should fail: " + text + " " + error);

    [TestMethod]
    public void Digest_references_keep_their_digest()
    {
        var digest = "sha256:" + new string('b', 64);
        var reference = ImageReference.Parse("ghcr.io/acme/base:1.0@" + digest);
        Assert.AreEqual(digest, reference.Digest);
        Assert.IsFalse(reference.IsLatestOrUntagged);
    }

    [TestMethod]
    public void Mirror_rewrites_docker_hub_and_named_registries()
    {
        var mirror = RegistryMirror.TryParse("docker.io=127.0.0.1:5000/standin;mcr.microsoft.com=127.0.0.1:5000/standin/mcr.microsoft.com", out _)!;
        Assert.AreEqual("127.0.0.1:5000/standin/nvidia/cuda:12.4.1-runtime-ubuntu22.04", mirror.Rewrite(ImageReference.Parse("nvidia/cuda:12.4.1-runtime-ubuntu22.04")).ToString());
        Assert.AreEqual("127.0.0.1:5000/standin/library/ubuntu:24.04", mirror.Rewrite(ImageReference.Parse("ubuntu:24.04")).ToString());
        Assert.AreEqual("127.0.0.1:5000/standin/mcr.microsoft.com/dotnet/aspnet:10.0", mirror.Rewrite(ImageReference.Parse("mcr.microsoft.com/dotnet/aspnet:10.0")).ToString());
        Assert.AreEqual("ghcr.io/acme/x:1", mirror.Rewrite(ImageReference.Parse("ghcr.io/acme/x:1")).ToString(), "unmapped registries are left alone");

        var plain = RegistryMirror.TryParse("mirror.example.com", out _)!;
        Assert.AreEqual("mirror.example.com/library/ubuntu:22.04", plain.Rewrite(ImageReference.Parse("ubuntu:22.04")).ToString());
    }

    [TestMethod]
    public void Catalog_picks_newest_patch_and_newest_ubuntu()
    {
        var spec = Inputs.Spec(Inputs.WebApp().Set("AiCudaVersion", "12.4"));
        Assert.AreEqual("nvidia/cuda:12.4.1-runtime-ubuntu22.04", spec.Base.Reference);
        spec = Inputs.Spec(Inputs.WebApp().Set("AiCudaVersion", "12.5").Set("AiCudnnVersion", "9"));
        Assert.AreEqual("nvidia/cuda:12.5.1-cudnn-runtime-ubuntu22.04", spec.Base.Reference, "12.5.1 has no cuDNN on 24.04");
        spec = Inputs.Spec(Inputs.WebApp().Set("AiCudaVersion", "12.3").Set("AiCudnnVersion", "9").Set("AiCudaFlavor", "devel"));
        Assert.AreEqual("nvidia/cuda:12.3.2-cudnn9-devel-ubuntu22.04", spec.Base.Reference);
        spec = Inputs.Spec(Inputs.WebApp().Set("AiCudaVersion", "11.6").Set("AiCudnnVersion", "8"));
        Assert.AreEqual("nvidia/cuda:11.6.2-cudnn8-runtime-ubuntu20.04", spec.Base.Reference);
        StringAssert.StartsWith(spec.Base.Cuda!.BaseRequireCuda, "cuda>=11.6 brand=");
        spec = Inputs.Spec(Inputs.WebApp().Set("AiCudaVersion", "13.0"));
        Assert.AreEqual("nvidia/cuda:13.0.2-runtime-ubuntu24.04", spec.Base.Reference);
        Assert.IsNull(spec.Gpu.RequireCuda, "the base image's own NVIDIA_REQUIRE_CUDA stays unless AiMinDriverVersion is set");
    }

    [TestMethod]
    public void Every_catalog_tag_has_the_documented_cudnn_spelling()
    {
        foreach (var release in CudaImageCatalog.Default.Releases)
        {
            foreach (var (major, variant) in release.Cudnn)
            {
                var expected = release.Version <= new Version(12, 2, 2) ? "cudnn8" : release.Version == new Version(12, 3, 2) ? "cudnn9" : "cudnn";
                Assert.AreEqual(expected, variant.Tag, $"{release.Version} cuDNN {major}");
            }
        }
    }
}
