using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiContainers.Core.Cuda.Inference;

/// <summary>
/// Which CUDA and cuDNN each framework build needs: ONNX Runtime and TorchSharp packages, PyTorch and
/// TensorFlow pins, framework base images. Embedded as <c>Data/framework-cuda.json</c>, a reviewed
/// data file whose sections each cite their sources.
/// </summary>
public sealed partial record FrameworkCudaData(
    string Source,
    FrameworkCudaData.PackageSection OnnxRuntime,
    FrameworkCudaData.TorchSharpSection TorchSharp,
    FrameworkCudaData.PytorchSection Pytorch,
    FrameworkCudaData.TensorflowSection Tensorflow,
    FrameworkCudaData.PythonSection Python,
    FrameworkCudaData.ImageSection Images)
{
    // Declared before Default: static initializers run in text order and Default reads these options.
    /// <summary>Source-generated: the data is read on every publish, and a reflection contract costs a task start.</summary>
    [JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
    [JsonSerializable(typeof(FrameworkCudaData))]
    private sealed partial class DataJson : JsonSerializerContext;

    public static FrameworkCudaData Default { get; } = LoadEmbedded();

    /// <summary>One package version range and the CUDA it is built for ("12" for a major, "11.8" for a minor).</summary>
    public sealed record PackageRow(string MinVersion, string MaxVersionExclusive, string Cuda, int? Cudnn, bool Inferred, bool NotInCatalog, string? Note)
    {
        public bool Contains(Version version)
            => version >= Version.Parse(MinVersion) && version < Version.Parse(MaxVersionExclusive);
    }

    public sealed record PackageSection(string Source, IReadOnlyList<string> GpuPackages, IReadOnlyList<string> CpuPackages, IReadOnlyList<PackageRow> Releases);

    public sealed record TorchSharpSection(string Source, string GpuPackagePattern, IReadOnlyList<string> GpuPackages, IReadOnlyList<string> CpuPackages, IReadOnlyList<PackageRow> Releases);

    /// <summary>One PyTorch minor release: the cuXXX wheel sets it ships and the CUDA of its plain PyPI wheel.</summary>
    /// <param name="Inferred">True when a source does not state it (<paramref name="Note"/> says how it was worked out).</param>
    public sealed record PytorchRelease(string Version, IReadOnlyList<string> Cuda, string Default, bool Inferred = false, string? Note = null);

    public sealed record PytorchSection(string Source, string CpuLocalVersion, IReadOnlyList<PytorchRelease> Releases);

    /// <summary>TensorFlow minor releases sharing one tested CUDA / cuDNN configuration.</summary>
    public sealed record TensorflowRelease(IReadOnlyList<string> Versions, string Cuda, int Cudnn, string? CudnnVersion, bool NotInCatalog);

    public sealed record TensorflowSection(string Source, IReadOnlyList<string> Packages, string BundledExtra, IReadOnlyList<string> CpuPackages, IReadOnlyList<TensorflowRelease> Releases);

    public sealed record PythonSection(string Source, IReadOnlyList<string> CpuPackages, IReadOnlyList<string> GpuPackages);

    /// <summary>A framework image repository and how its tag says (or does not say) its CUDA version.</summary>
    public sealed record ImageFamily(string Repository, string Framework, string TagPattern, string? CudaFrom);

    public sealed record ImageSection(string Source, IReadOnlyList<ImageFamily> Families);

    private static FrameworkCudaData LoadEmbedded()
    {
        using var stream = typeof(FrameworkCudaData).Assembly.GetManifestResourceStream("AiContainers.Data.framework-cuda.json")
            ?? throw new InvalidOperationException("The embedded framework CUDA data is missing from AiContainers.Core.");
        return Load(stream);
    }

    /// <summary>Reads the data file; unknown members fail so a misspelt field cannot silently drop a fact.</summary>
    public static FrameworkCudaData Load(Stream json)
        => JsonSerializer.Deserialize(json, DataJson.Default.FrameworkCudaData) ?? throw new InvalidDataException("The framework CUDA data is empty.");

    /// <summary>Parses "12" or "12.6" from the data file; a major alone has minor -1.</summary>
    internal static (int Major, int Minor) ParseCuda(string text)
    {
        var parts = text.Split('.');
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
                parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : -1);
    }
}
