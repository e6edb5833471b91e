using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiContainers.Core.Cuda;

public enum CudaFlavor { Runtime, Base, Devel }

/// <summary>One CUDA release of the nvidia/cuda catalog and the OSes / cuDNN majors it ships for.</summary>
public sealed record CudaRelease(Version Version, IReadOnlyList<string> Os, IReadOnlyDictionary<int, CudaRelease.CudnnVariant> Cudnn)
{
    public sealed record CudnnVariant(string Tag, IReadOnlyList<string> Os);
    public string MajorMinor => $"{Version.Major}.{Version.Minor}";
    public override string ToString() => Version.ToString();
}

/// <summary>
/// The nvidia/cuda image catalog, embedded as <c>Data/cuda-images.json</c> (a reviewed data file
/// with its source noted). Answers which tags exist and picks the newest Ubuntu for a combination.
/// </summary>
public sealed class CudaImageCatalog
{
    public const string Repository = "nvidia/cuda";

    private readonly List<CudaRelease> _releases;
    private readonly List<(int Major, string Driver)> _minDriver;

    private CudaImageCatalog(List<CudaRelease> releases, List<(int, string)> minDriver, Version defaultVersion, string source)
    {
        _releases = releases;
        _minDriver = minDriver;
        DefaultVersion = defaultVersion;
        Source = source;
    }

    public static CudaImageCatalog Default { get; } = LoadEmbedded();

    public IReadOnlyList<CudaRelease> Releases => _releases;
    public Version DefaultVersion { get; }
    public string Source { get; }

    /// <summary>'12.4' resolves to the newest patch (12.4.1); '12.4.1' must exist exactly.</summary>
    public CudaRelease? Find(Version requested, bool exactPatch)
        => exactPatch
            ? _releases.FirstOrDefault(r => r.Version == requested)
            : _releases.Where(r => r.Version.Major == requested.Major && r.Version.Minor == requested.Minor)
                       .OrderByDescending(r => r.Version).FirstOrDefault();

    /// <summary>The minimum driver for a CUDA major (CUDA minor-version compatibility makes it per major).</summary>
    public string? MinimumDriver(Version cuda)
        => _minDriver.Where(m => m.Major == cuda.Major).Select(m => m.Driver).FirstOrDefault();

    /// <summary>The newest release that ships the given cuDNN major, for suggestions in errors.</summary>
    public IEnumerable<CudaRelease> WithCudnn(int cudnnMajor) => _releases.Where(r => r.Cudnn.ContainsKey(cudnnMajor));

    public string KnownVersionsText()
        => string.Join(", ", _releases.Select(r => r.MajorMinor).Distinct());

    /// <summary>Orders Ubuntu names numerically: ubuntu24.04 is newer than ubuntu22.04.</summary>
    public static Version OsVersion(string os)
        => Version.TryParse(os.Replace("ubuntu", "", StringComparison.Ordinal), out var v) ? v : new Version(0, 0);

    public static string Tag(CudaRelease release, int? cudnnMajor, CudaFlavor flavor, string os)
    {
        var cudnn = cudnnMajor is { } major ? release.Cudnn[major].Tag + "-" : "";
        return $"{release.Version}-{cudnn}{flavor.ToString().ToLowerInvariant()}-{os}";
    }

    private static CudaImageCatalog LoadEmbedded()
    {
        using var stream = typeof(CudaImageCatalog).Assembly.GetManifestResourceStream("AiContainers.Data.cuda-images.json")
            ?? throw new InvalidOperationException("The embedded CUDA catalog is missing from AiContainers.Core.");
        return Load(stream);
    }

    internal static CudaImageCatalog Load(Stream json)
    {
        var file = JsonSerializer.Deserialize<CatalogFile>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
            ?? throw new InvalidDataException("The CUDA catalog is empty.");
        var releases = file.Releases.Select(r => new CudaRelease(
                Version.Parse(r.Version),
                r.Os,
                r.Cudnn.ToDictionary(c => int.Parse(c.Key, CultureInfo.InvariantCulture), c => new CudaRelease.CudnnVariant(c.Value.Tag, c.Value.Os))))
            .OrderBy(r => r.Version).ToList();
        return new CudaImageCatalog(releases, file.MinDriver.Select(m => (m.Major, m.Driver)).ToList(), Version.Parse(file.DefaultVersion), file.Source);
    }

    private sealed record CatalogFile(
        [property: JsonPropertyName("source")] string Source,
        [property: JsonPropertyName("defaultVersion")] string DefaultVersion,
        [property: JsonPropertyName("minDriver")] List<MinDriverEntry> MinDriver,
        [property: JsonPropertyName("releases")] List<ReleaseEntry> Releases);
    private sealed record MinDriverEntry(int Major, string Driver);
    private sealed record ReleaseEntry(string Version, List<string> Os, Dictionary<string, CudnnEntry> Cudnn);
    private sealed record CudnnEntry(string Tag, List<string> Os);
}
