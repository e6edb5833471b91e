using System.Text.Json;
using System.Xml.Linq;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Sbom;

/// <summary>
/// The NuGet packages restore resolved (project.assets.json "libraries", transitive ones included; project references
/// are the app itself and left out), each with the licence its .nuspec declares in the packages folder restore used.
/// </summary>
public static class NuGetAssetsReader
{
    public static IReadOnlyList<SbomPackage> Read(string assetsPath)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllText(assetsPath)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new AiException(AiErrors.SbomAssetsUnreadable, "AiSbom", assetsPath, e.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            var folders = root.TryGetProperty("packageFolders", out var f) && f.ValueKind == JsonValueKind.Object
                ? f.EnumerateObject().Select(p => p.Name).ToList() : new List<string>();
            var packages = new List<SbomPackage>();
            if (!root.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object) return packages;
            foreach (var library in libraries.EnumerateObject())
            {
                if (!library.Value.TryGetProperty("type", out var type) || type.GetString() != "package") continue;
                var slash = library.Name.IndexOf('/');
                if (slash <= 0) continue;
                var (name, version) = (library.Name[..slash], library.Name[(slash + 1)..]);
                var path = library.Value.TryGetProperty("path", out var p) ? p.GetString() : null;
                packages.Add(new SbomPackage(name, version, path is null ? null : LicenseOf(folders, path, name)));
            }
            return packages;
        }
    }

    /// <summary>&lt;license type="expression"&gt; from the nuspec, else the deprecated &lt;licenseUrl&gt;; null when the package is not on this machine.</summary>
    internal static SbomLicense? LicenseOf(IReadOnlyList<string> folders, string packagePath, string id)
    {
        foreach (var folder in folders)
        {
            var nuspec = Path.Combine(folder, packagePath, id.ToLowerInvariant() + ".nuspec");
            if (!File.Exists(nuspec)) continue;
            try
            {
                var metadata = XDocument.Load(nuspec).Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "metadata");
                var license = metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == "license");
                if (license is not null && (string?)license.Attribute("type") == "expression" && license.Value.Trim() is { Length: > 0 } expression)
                    return new SbomLicense(Expression: expression);
                var url = metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == "licenseUrl")?.Value.Trim();
                // The placeholder URL NuGet writes for file licences says nothing about which licence.
                if (url is { Length: > 0 } && !url.StartsWith("https://aka.ms/deprecateLicenseUrl", StringComparison.OrdinalIgnoreCase))
                    return new SbomLicense(Url: url);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Xml.XmlException)
            {
                // A nuspec restore could not have used is no licence statement: the package is listed without one.
                return null;
            }
        }
        return null;
    }
}

/// <summary>
/// The Python packages of the image's virtual environment as pip itself lists them: the python-builder stage runs
/// <c>pip list --format json</c> after installing and leaves the result in the environment (<see cref="FileName"/>).
/// </summary>
public static class PipListReader
{
    public const string FileName = "aicontainers-pip-list.json";

    public static IReadOnlyList<SbomPackage> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array) throw new JsonException("not a JSON array of {name, version}");
        return document.RootElement.EnumerateArray()
            .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("name", out _) && e.TryGetProperty("version", out _))
            .Select(e => new SbomPackage(e.GetProperty("name").GetString()!, e.GetProperty("version").GetString()!))
            .ToList();
    }
}

/// <summary>Installed packages from a Debian dpkg status file (/var/lib/dpkg/status): stanzas whose Status ends in "installed".</summary>
public static class DpkgStatusReader
{
    public const string StatusPath = "/var/lib/dpkg/status";
    public const string OsReleasePath = "/etc/os-release";

    public static IReadOnlyList<SbomOsPackage> Parse(string status, IReadOnlyCollection<string> requested)
    {
        var packages = new List<SbomOsPackage>();
        foreach (var stanza in status.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in stanza.Split('\n'))
            {
                if (line.Length == 0 || line[0] is ' ' or '\t') continue; // continuation lines (descriptions, conffiles)
                var colon = line.IndexOf(':');
                if (colon > 0) fields[line[..colon]] = line[(colon + 1)..].Trim();
            }
            if (!fields.TryGetValue("Package", out var name) || !fields.TryGetValue("Version", out var version)) continue;
            if (!fields.TryGetValue("Status", out var state) || !state.EndsWith(" installed", StringComparison.Ordinal)) continue;
            fields.TryGetValue("Architecture", out var architecture);
            packages.Add(new SbomOsPackage(name, version, architecture, requested.Contains(name)));
        }
        return packages;
    }

    /// <summary>ID and VERSION_ID of an os-release file; null without an ID.</summary>
    public static SbomOsRelease? ParseOsRelease(string text)
    {
        var values = text.Split('\n')
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim())
            .ToDictionary(g => g.Key, g => g.Last()[1].Trim().Trim('"', '\''));
        return values.TryGetValue("ID", out var id) && id.Length > 0 ? new SbomOsRelease(id, values.GetValueOrDefault("VERSION_ID")) : null;
    }
}
