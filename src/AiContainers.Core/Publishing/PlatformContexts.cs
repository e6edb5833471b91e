using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.Oci.Registry;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Publishing;

/// <summary>
/// One build context per platform of ContainerRuntimeIdentifiers. The primary platform (the first entry)
/// keeps the output folder itself, so the Dockerfile there still builds its one platform with any builder;
/// every other platform gets <c>platforms/&lt;rid&gt;/</c> beside it (kept out of the Docker context by
/// .dockerignore), with the same layout: that RID's runtime, packages, app and probe.
/// </summary>
public static class PlatformContexts
{
    public const string Folder = "platforms";

    /// <summary>The platforms to build, primary first: ContainerRuntimeIdentifiers, or the spec's one RID.</summary>
    public static IReadOnlyList<PlatformTarget> Targets(AiImageSpec spec)
        => spec.Platforms.Count > 0
            ? spec.Platforms
            : new[] { new PlatformTarget(spec.Dotnet?.RuntimeIdentifier ?? "linux-x64", spec.Dotnet?.PublishDirectory, spec.Build.HealthProbePath) };

    public static bool IsMultiPlatform(AiImageSpec spec) => spec.Platforms.Count > 1;

    /// <summary>Where <paramref name="target"/>'s context is: the primary's is the output folder (<paramref name="primaryContext"/>).</summary>
    public static string DirectoryFor(AiImageSpec spec, PlatformTarget target, string primaryContext)
        => target.RuntimeIdentifier == Targets(spec)[0].RuntimeIdentifier
            ? primaryContext
            : Path.Combine(Path.GetFullPath(spec.Build.OutputDirectory), Folder, target.RuntimeIdentifier);

    /// <summary>The spec as seen by one platform: its RID, publish folder, probe and output folder.</summary>
    public static AiImageSpec ForPlatform(AiImageSpec spec, PlatformTarget target, string outputDirectory)
        => spec with
        {
            Dotnet = spec.Dotnet is { } dotnet ? dotnet with { RuntimeIdentifier = target.RuntimeIdentifier, PublishDirectory = target.PublishDirectory ?? dotnet.PublishDirectory } : null,
            Build = spec.Build with { OutputDirectory = outputDirectory, HealthProbePath = target.HealthProbePath ?? spec.Build.HealthProbePath },
            Platforms = Array.Empty<PlatformTarget>(),
        };

    /// <summary>
    /// Writes the contexts of the platforms after the primary (the primary's is written by
    /// <see cref="BuildContextWriter"/> as for any image) and removes those of platforms no longer listed.
    /// </summary>
    public static IReadOnlyList<GeneratedImage> WriteSecondary(AiImageSpec spec, ModelFetchResult? models)
    {
        var root = Path.Combine(Path.GetFullPath(spec.Build.OutputDirectory), Folder);
        var targets = Targets(spec);
        var written = new List<GeneratedImage>();
        foreach (var target in targets.Skip(1))
        {
            var directory = Path.Combine(root, target.RuntimeIdentifier);
            written.Add(BuildContextWriter.Write(ForPlatform(spec, target, directory), models));
        }
        if (Directory.Exists(root))
        {
            var keep = targets.Skip(1).Select(t => t.RuntimeIdentifier).ToHashSet(StringComparer.Ordinal);
            foreach (var stale in Directory.EnumerateDirectories(root).Where(d => !keep.Contains(Path.GetFileName(d))).ToList())
                Directory.Delete(stale, recursive: true);
            if (keep.Count == 0) Directory.Delete(root, recursive: true);
        }
        return written;
    }

    /// <summary>The context of each platform, checked to exist, with the platform it is for.</summary>
    public static IReadOnlyList<(PlatformTarget Target, Platform Platform, string Context)> Resolve(AiImageSpec spec, string primaryContext)
    {
        var list = new List<(PlatformTarget, Platform, string)>();
        foreach (var target in Targets(spec))
        {
            var context = DirectoryFor(spec, target, primaryContext);
            if (!Directory.Exists(context)) throw new AiException(AiErrors.PlatformContextMissing, "ContainerRuntimeIdentifiers", target.RuntimeIdentifier, context);
            list.Add((target, target.Platform, context));
        }
        return list;
    }
}
