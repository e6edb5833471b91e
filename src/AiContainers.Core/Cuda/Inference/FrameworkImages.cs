using System.Text.RegularExpressions;
using AiContainers.Core.Images;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Cuda.Inference;

/// <summary>
/// What a known framework image's reference says about its CUDA. <see cref="CudaVersion"/> is null when the
/// tag does not tell (<see cref="Note"/> says why); <see cref="CudnnKnown"/> is false when the tag does not
/// say whether cuDNN is inside.
/// </summary>
public sealed record FrameworkImageCuda(
    string Framework,
    string Repository,
    string? FrameworkVersion,
    Version? CudaVersion,
    int? CudnnMajor,
    bool CudnnKnown,
    CudaFlavor Flavor,
    string? Os,
    string Note)
{
    /// <summary>"CUDA 12.6, cuDNN 9" or "CUDA 12.4" for messages.</summary>
    public string Describe()
        => CudaVersion is null ? "an unknown CUDA version"
            : "CUDA " + CudaVersion + (CudnnKnown ? (CudnnMajor is { } c ? $", cuDNN {c}" : ", no cuDNN") : "");

    /// <summary>
    /// The facts as the spec records them, so labels and checks use them; null when the CUDA version is unknown.
    /// A framework image's own NVIDIA_REQUIRE_CUDA is not in the data, so it stays unknown (null).
    /// </summary>
    public CudaBaseSpec? ToCudaBaseSpec()
        => CudaVersion is null ? null
            : new CudaBaseSpec(CudaVersion.ToString(), CudnnMajor, Flavor, Os ?? "", BaseRequireCuda: null, FromCatalog: false);
}

/// <summary>Known framework images in AiBaseImage (pytorch/pytorch, tensorflow/tensorflow:*-gpu, huggingface/transformers-pytorch-gpu, nvidia/cuda).</summary>
public static class FrameworkImages
{
    /// <summary>The CUDA facts of a known framework image, or null when the repository is not one of them or its tag does not parse.</summary>
    public static FrameworkImageCuda? Describe(ImageReference reference, CudaImageCatalog catalog, FrameworkCudaData? data = null)
    {
        data ??= FrameworkCudaData.Default;
        if (reference.Tag is null) return null;

        if (CudaBaseResolver.FromExplicitImage(catalog, reference) is { } cuda)
        {
            var version = Version.Parse(cuda.Version);
            return new FrameworkImageCuda("CUDA", CudaImageCatalog.Repository, null, version, cuda.CudnnMajor, CudnnKnown: true, cuda.Flavor, cuda.Os,
                $"nvidia/cuda tag {reference.Tag}");
        }

        var family = data.Images.Families.FirstOrDefault(f => f.Repository == reference.EffectiveRepository);
        if (family is null) return null;
        var match = Regex.Match(reference.Tag, family.TagPattern);
        if (!match.Success) return null;
        var frameworkVersion = match.Groups["framework"].Value;

        switch (family.CudaFrom)
        {
            case "unknown":
                return new FrameworkImageCuda(family.Framework, family.Repository, frameworkVersion, null, null, CudnnKnown: false, CudaFlavor.Devel, null,
                    $"{family.Repository} tags name only the {family.Framework} version, and the CUDA base it is built on changed between releases");
            case "tensorflow":
                var release = Version.TryParse(frameworkVersion, out var tf) ? CudaRequirementInference.FindTensorflow(data, tf) : null;
                if (release is null)
                    return new FrameworkImageCuda(family.Framework, family.Repository, frameworkVersion, null, null, CudnnKnown: false, CudaFlavor.Runtime, null,
                        $"TensorFlow {frameworkVersion} is not in the framework CUDA data");
                return new FrameworkImageCuda(family.Framework, family.Repository, frameworkVersion, CudaRequirement.MajorMinor(release.Cuda), release.Cudnn, CudnnKnown: true, CudaFlavor.Runtime, null,
                    $"{reference.Tag} carries TensorFlow {frameworkVersion}'s tested CUDA {release.Cuda} and cuDNN {release.CudnnVersion ?? release.Cudnn.ToString()}");
            default:
                CudaBaseResolver.TryParseFlavor(match.Groups["flavor"].Value, out var flavor);
                return new FrameworkImageCuda(family.Framework, family.Repository, frameworkVersion, Version.Parse(match.Groups["cuda"].Value),
                    int.Parse(match.Groups["cudnn"].Value), CudnnKnown: true, flavor, null, $"tag {reference.Tag} names CUDA {match.Groups["cuda"].Value}");
        }
    }

    /// <summary>
    /// The CUDA facts of AiBaseImage for labels and checks: nvidia/cuda tags as <see cref="CudaBaseResolver.FromExplicitImage"/>
    /// reads them, framework images from their tags, null for anything else.
    /// </summary>
    public static CudaBaseSpec? Cuda(ImageReference reference, CudaImageCatalog catalog, FrameworkCudaData? data = null)
        => CudaBaseResolver.FromExplicitImage(catalog, reference)
           ?? Describe(reference, catalog, data)?.ToCudaBaseSpec();
}
