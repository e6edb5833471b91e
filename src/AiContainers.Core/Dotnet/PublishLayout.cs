using System.Text.Json;

namespace AiContainers.Core.Dotnet;

/// <summary>
/// A .NET publish folder split by how often its files change, read from the app's own
/// <c>&lt;assembly&gt;.deps.json</c> (what the SDK resolved, never a guess from file names): the runtime
/// packs of a self-contained app (change with the .NET patch), the NuGet packages' assets (change
/// with a package upgrade: e.g. ONNX Runtime's native libraries), and everything else, which is the
/// project's own output (its assembly, apphost, config, content). A code-only change touches only
/// <see cref="AppFiles"/>, so it yields one new layer of the project's own size.
/// </summary>
public sealed record PublishLayout(IReadOnlyList<string> RuntimeFiles, IReadOnlyList<string> PackageFiles, IReadOnlyList<string> AppFiles)
{
    /// <summary>Relative paths use '/' and are sorted ordinally, so the layers built from them are stable.</summary>
    public static PublishLayout Read(string publishDirectory, string assemblyName)
    {
        var all = Directory.EnumerateFiles(publishDirectory, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(publishDirectory, f).Replace('\\', '/'))
            .ToHashSet(StringComparer.Ordinal);
        var runtime = new HashSet<string>(StringComparer.Ordinal);
        var packages = new HashSet<string>(StringComparer.Ordinal);

        var depsPath = Path.Combine(publishDirectory, assemblyName + ".deps.json");
        if (File.Exists(depsPath))
        {
            using var deps = JsonDocument.Parse(File.ReadAllBytes(depsPath));
            var root = deps.RootElement;
            var targetName = root.TryGetProperty("runtimeTarget", out var rt) && rt.TryGetProperty("name", out var n) ? n.GetString() : null;
            if (targetName is not null && root.TryGetProperty("targets", out var targets) && targets.TryGetProperty(targetName, out var target)
                && root.TryGetProperty("libraries", out var libraries))
            {
                foreach (var library in target.EnumerateObject())
                {
                    var type = libraries.TryGetProperty(library.Name, out var lib) && lib.TryGetProperty("type", out var t) ? t.GetString() : null;
                    var bucket = type switch { "runtimepack" => runtime, "package" => packages, _ => null };
                    if (bucket is null) continue;
                    foreach (var asset in Assets(library.Value))
                    {
                        // The SDK publishes runtime and native assets flat beside the app, resources under their culture.
                        var published = asset.Culture is { } culture ? culture + "/" + Path.GetFileName(asset.Path) : Path.GetFileName(asset.Path);
                        if (all.Contains(published)) bucket.Add(published);
                    }
                }
            }
        }

        static List<string> Sorted(IEnumerable<string> files) => files.OrderBy(f => f, StringComparer.Ordinal).ToList();
        var app = all.Where(f => !runtime.Contains(f) && !packages.Contains(f));
        return new PublishLayout(Sorted(runtime), Sorted(packages.Where(f => !runtime.Contains(f))), Sorted(app));
    }

    private static IEnumerable<(string Path, string? Culture)> Assets(JsonElement library)
    {
        foreach (var kind in new[] { "runtime", "native" })
        {
            if (library.TryGetProperty(kind, out var assets) && assets.ValueKind == JsonValueKind.Object)
                foreach (var asset in assets.EnumerateObject()) yield return (asset.Name, null);
        }
        if (library.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Object)
        {
            foreach (var asset in resources.EnumerateObject())
                yield return (asset.Name, asset.Value.TryGetProperty("locale", out var locale) ? locale.GetString() : null);
        }
    }
}
