using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiContainers.Core.Cuda;

public enum CudaFlavor { Runtime, Base, Devel }

/// <summary>
/// One CUDA release of the nvidia/cuda catalog: the OSes and cuDNN majors it ships for, the Ubuntu releases
/// with an arm64 (sbsa) image (null: the sources did not say), the NVIDIA_REQUIRE_CUDA its base Dockerfile
/// sets (null: not known), and where each fact was read.
/// </summary>
public sealed record CudaRelease(Version Version, IReadOnlyList<string> Os, IReadOnlyDictionary<int, CudaRelease.CudnnVariant> Cudnn)
{
    public sealed record CudnnVariant(string Tag, IReadOnlyList<string> Os);
    public string MajorMinor => $"{Version.Major}.{Version.Minor}";
    /// <summary>Ubuntu releases with a linux/arm64 image of this version; null when no source said.</summary>
    public IReadOnlyList<string>? Arm64Os { get; init; }
    /// <summary>The base image's own NVIDIA_REQUIRE_CUDA on amd64 (with its brand=…,driver>=… clauses); null when unknown.</summary>
    public string? RequireCuda { get; init; }
    /// <summary>The value on arm64 where NVIDIA's Dockerfile sets a different one.</summary>
    public string? RequireCudaArm64 { get; init; }
    /// <summary>Where the tags were listed (repo@commit:path).</summary>
    public string Source { get; init; } = "";
    /// <summary>Where <see cref="RequireCuda"/> was read.</summary>
    public string? RequireCudaSource { get; init; }

    /// <summary>How a <see cref="Source"/> begins when no reachable copy of NVIDIA's tag list named the release.</summary>
    public const string UnconfirmedSourcePrefix = "not confirmed from NVIDIA's tag list";

    /// <summary>
    /// False for a release taken from images seen in use because no copy of NVIDIA's own tag list naming it was
    /// reachable: it is accepted when asked for, but inference never chooses it on its own.
    /// </summary>
    public bool ListedByNvidia => !Source.StartsWith(UnconfirmedSourcePrefix, StringComparison.Ordinal);

    /// <summary>True / false when the data says whether <paramref name="os"/> has an arm64 image; null when it does not know.</summary>
    public bool? HasArm64(string os) => Arm64Os?.Contains(os, StringComparer.OrdinalIgnoreCase);

    public override string ToString() => Version.ToString();
}

/// <summary>
/// The nvidia/cuda image catalog, embedded as <c>Data/cuda-images.json</c> (a reviewed data file
/// with its source noted). Answers which tags exist and picks the newest Ubuntu for a combination.
/// </summary>
public sealed partial class CudaImageCatalog
{
    public const string Repository = "nvidia/cuda";

    private readonly List<CudaRelease> _releases;
    private readonly List<(int Major, string Driver)> _minDriver;

    private CudaImageCatalog(List<CudaRelease> releases, List<(int, string)> minDriver, Version defaultVersion, string source, DateOnly reviewed, string refresh)
    {
        _releases = releases;
        _minDriver = minDriver;
        DefaultVersion = defaultVersion;
        Source = source;
        Reviewed = reviewed;
        RefreshCommand = refresh;
    }

    /// <summary>Days after <see cref="Reviewed"/> beyond which the data counts as stale (a test warns, the build summary says so).</summary>
    public const int StaleAfterDays = 120;

    public static CudaImageCatalog Default { get; } = LoadEmbedded();

    public IReadOnlyList<CudaRelease> Releases => _releases;
    public Version DefaultVersion { get; }
    public string Source { get; }
    /// <summary>The day the data was last checked against its sources; shown in the README and the build summary.</summary>
    public DateOnly Reviewed { get; }
    /// <summary>The one command that regenerates the data file from NVIDIA's sources.</summary>
    public string RefreshCommand { get; }

    /// <summary>"CUDA image data reviewed 2026-11-30", with "(N days ago: refresh with …)" once it is older than <see cref="StaleAfterDays"/>.</summary>
    public string ReviewNote(DateOnly today)
    {
        var age = today.DayNumber - Reviewed.DayNumber;
        var note = $"CUDA image data reviewed {Reviewed:yyyy-MM-dd}";
        return age > StaleAfterDays ? $"{note} ({age} days ago, older than {StaleAfterDays}: newer CUDA images may exist; refresh with {RefreshCommand})" : note;
    }

    public bool IsStale(DateOnly today) => today.DayNumber - Reviewed.DayNumber > StaleAfterDays;

    /// <summary>'12.4' resolves to the newest patch (12.4.1); '12.4.1' must exist exactly (every listed patch is kept).</summary>
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

    public static CudaImageCatalog Load(Stream json)
    {
        // Unknown members fail, so a misspelt field in the reviewed file cannot silently drop a fact.
        var file = JsonSerializer.Deserialize(json, CatalogJson.Default.CatalogFile)
            ?? throw new InvalidDataException("The CUDA catalog is empty.");
        var releases = file.Releases.Select(r => new CudaRelease(
                Version.Parse(r.Version),
                r.Os,
                r.Cudnn.ToDictionary(c => int.Parse(c.Key, CultureInfo.InvariantCulture), c => new CudaRelease.CudnnVariant(c.Value.Tag, c.Value.Os)))
            {
                Arm64Os = r.Arm64,
                RequireCuda = r.RequireCuda,
                RequireCudaArm64 = r.RequireCudaArm64,
                Source = r.Source,
                RequireCudaSource = r.RequireCudaSource,
            })
            .OrderBy(r => r.Version).ToList();
        return new CudaImageCatalog(releases, file.MinDriver.Select(m => (m.Major, m.Driver)).ToList(), Version.Parse(file.DefaultVersion), file.Source,
            DateOnly.ParseExact(file.Reviewed, "yyyy-MM-dd", CultureInfo.InvariantCulture), file.Refresh);
    }

    /// <summary>Source-generated: the catalog is read on every publish, and a reflection contract costs a task start.</summary>
    [JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
    [JsonSerializable(typeof(CatalogFile))]
    private sealed partial class CatalogJson : JsonSerializerContext;

    private sealed record CatalogFile(
        [property: JsonPropertyName("source")] string Source,
        [property: JsonPropertyName("reviewed")] string Reviewed,
        [property: JsonPropertyName("refresh")] string Refresh,
        [property: JsonPropertyName("tagFormat")] string TagFormat,
        [property: JsonPropertyName("defaultVersion")] string DefaultVersion,
        [property: JsonPropertyName("minDriver")] List<MinDriverEntry> MinDriver,
        [property: JsonPropertyName("releases")] List<ReleaseEntry> Releases);
    private sealed record MinDriverEntry(int Major, string Driver);
    private sealed record ReleaseEntry(string Version, List<string> Os, Dictionary<string, CudnnEntry> Cudnn, List<string>? Arm64, string Source,
        string? RequireCuda, string? RequireCudaArm64, string? RequireCudaSource);
    private sealed record CudnnEntry(string Tag, List<string> Os);
}
