using System.Text.Json;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Cuda.Inference;

/// <summary>
/// A NuGet package restore resolved for the project, direct or transitive, with the exact version restore chose
/// (from <c>project.assets.json</c>), so a library that brings Microsoft.ML.OnnxRuntime.Gpu counts like a direct
/// reference and no range or floating version has to be second-guessed.
/// </summary>
public sealed record PackageReferenceInfo(string Name, string? Version)
{
    /// <summary>The property the SDK passes the assets file path in (<c>$(ProjectAssetsFile)</c>); the task reads the file.</summary>
    public const string AssetsFileProperty = "_AiProjectAssetsFile";

    /// <summary>
    /// Every package in the assets file's <c>libraries</c> section (the union of all target frameworks; projects
    /// referenced through ProjectReference are not packages and are skipped, their own packages are listed).
    /// Null or empty text (no restore output, e.g. a Python project) gives no packages; text that is not an
    /// assets file reports AIC1700 naming <paramref name="path"/>.
    /// </summary>
    public static IReadOnlyList<PackageReferenceInfo> FromAssets(string? assetsJson, string? path, DiagnosticBag bag)
    {
        if (string.IsNullOrWhiteSpace(assetsJson)) return Array.Empty<PackageReferenceInfo>();
        try
        {
            using var document = JsonDocument.Parse(assetsJson);
            if (!document.RootElement.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object)
                throw new JsonException("it has no 'libraries' section");
            var packages = new List<PackageReferenceInfo>();
            foreach (var library in libraries.EnumerateObject())
            {
                if (library.Value.TryGetProperty("type", out var type) && type.GetString() != "package") continue;
                // Keys are "<id>/<version>", the version exactly as restore resolved it.
                var slash = library.Name.LastIndexOf('/');
                if (slash <= 0) continue;
                packages.Add(new PackageReferenceInfo(library.Name[..slash], library.Name[(slash + 1)..]));
            }
            return packages.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Version, StringComparer.Ordinal).ToList();
        }
        catch (JsonException e)
        {
            bag.Report(AiErrors.UnreadableAssetsFile, AssetsFileProperty, path ?? "project.assets.json", e.Message);
            return Array.Empty<PackageReferenceInfo>();
        }
    }

    /// <summary>The resolved version's numeric release part ("1.27.0-rc.1" is 1.27.0), or null when there is none.</summary>
    public Version? ParsedVersion
    {
        get
        {
            var release = Version?.Split('-', '+')[0];
            if (!System.Version.TryParse(release, out var v)) return null;
            return new Version(v.Major, v.Minor, Math.Max(v.Build, 0));
        }
    }
}
