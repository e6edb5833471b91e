using System.Globalization;

namespace AiContainers.Core.Cuda.Inference;

/// <summary>How a framework build constrains the image's CUDA version.</summary>
public enum CudaMatch
{
    /// <summary>Any minor of one major: the build uses CUDA minor-version compatibility (ONNX Runtime) or ships its own CUDA libraries (TorchSharp).</summary>
    Major,
    /// <summary>The minor it was built with or a newer one of the same major: it links the image's CUDA libraries (TensorFlow).</summary>
    MinorOrNewer,
    /// <summary>One of a set of major.minor versions: the wheel variants a PyTorch release ships.</summary>
    AnyOf,
}

/// <summary>
/// What one referenced package or pinned requirement needs from the image. <see cref="Label"/> names it
/// as the user wrote it ("Microsoft.ML.OnnxRuntime.Gpu 1.20.1", "torch==2.7.1+cu126"); <see cref="Property"/>
/// is where it came from (PackageReference or AiPythonRequirements).
/// </summary>
public sealed record CudaRequirement(
    string Property,
    string Label,
    CudaMatch Match,
    IReadOnlyList<Version> Cuda,
    Version? Preferred,
    int? CudnnMajor,
    string Why)
{
    /// <summary>Other versions of the same package that would fit a CUDA major.minor (and cuDNN major, when one is fixed), for "what would work" in errors.</summary>
    internal Func<Version, int?, string?> AlternativesFor { get; init; } = (_, _) => null;

    /// <summary>What to do when the catalog has no image for it (e.g. a variant that brings its own CUDA libraries).</summary>
    internal string? NoImageHint { get; init; }

    public bool Allows(int major, int minor) => Match switch
    {
        CudaMatch.Major => Cuda[0].Major == major,
        CudaMatch.MinorOrNewer => Cuda[0].Major == major && minor >= Cuda[0].Minor,
        _ => Cuda.Any(c => c.Major == major && c.Minor == minor),
    };

    public bool Allows(Version cuda) => Allows(cuda.Major, Math.Max(cuda.Minor, 0));

    /// <summary>What it needs, for messages: "CUDA 12.x, cuDNN 9", "CUDA 12.3 or a newer 12.x", "CUDA 11.8, 12.6 or 12.8".</summary>
    public string Needs
    {
        get
        {
            var cuda = Match switch
            {
                CudaMatch.Major => $"CUDA {Cuda[0].Major}.x",
                CudaMatch.MinorOrNewer => $"CUDA {Text(Cuda[0])} or a newer {Cuda[0].Major}.x",
                _ => "CUDA " + JoinOr(Cuda.Select(Text).ToList()),
            };
            return CudnnMajor is { } cudnn ? $"{cuda}, cuDNN {cudnn}" : cuda;
        }
    }

    /// <summary>What AiCudaVersion could be set to: the versions themselves, with a catalog example where it helps.</summary>
    internal string Suggestion(Version? example) => Match switch
    {
        CudaMatch.Major => $"{Cuda[0].Major}.x" + (example is null ? "" : $" (e.g. {Text(example)})"),
        CudaMatch.MinorOrNewer => $"{Text(Cuda[0])} or a newer {Cuda[0].Major}.x" + (example is null || (example.Major == Cuda[0].Major && example.Minor == Cuda[0].Minor) ? "" : $" (e.g. {Text(example)})"),
        _ => JoinOr(Cuda.Select(Text).ToList()),
    };

    internal static string Text(Version v) => v.ToString(2);

    internal static string JoinOr(IReadOnlyList<string> items)
        => items.Count <= 1 ? string.Join("", items) : string.Join(", ", items.Take(items.Count - 1)) + " or " + items[^1];

    internal static Version MajorMinor(string text)
    {
        var (major, minor) = FrameworkCudaData.ParseCuda(text);
        return new Version(major, Math.Max(minor, 0));
    }

    internal static string CuTag(Version v) => "cu" + v.Major.ToString(CultureInfo.InvariantCulture) + v.Minor.ToString(CultureInfo.InvariantCulture);
}
