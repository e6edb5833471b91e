using AiContainers.Core.Diagnostics;
using AiContainers.Core.Oci.Registry;

namespace AiContainers.Core.Spec;

/// <summary>
/// One platform the image is published for (an entry of ContainerRuntimeIdentifiers): the .NET runtime
/// identifier, where that RID's app was published, and the health probe built for its architecture.
/// </summary>
/// <param name="PublishDirectory">The RID's publish folder; null for apps with nothing compiled (Python, model servers).</param>
/// <param name="HealthProbePath">The built-in probe for this architecture; null when the image uses AiHealthCheckCommand or none is known.</param>
public sealed record PlatformTarget(string RuntimeIdentifier, string? PublishDirectory, string? HealthProbePath)
{
    public Platform Platform => Platform.FromRuntimeIdentifier(RuntimeIdentifier);
}

/// <summary>
/// Maps ContainerRuntimeIdentifiers (';' or ',' separated, since ';' cannot be given with -p: on the
/// command line), the per-RID publish folders the SDK's targets report (<c>_AiRuntimeIdentifierPublish</c>
/// items: Include is the RID, PublishDir its folder) and the probes the package ships
/// (<c>_AiHealthProbe</c> items: tools/&lt;rid&gt;/aic-healthcheck). Pure: the items say which files exist.
/// </summary>
public static class PlatformTargets
{
    public const string PublishItem = "_AiRuntimeIdentifierPublish";
    public const string ProbeItem = "_AiHealthProbe";

    /// <summary>The entries of ContainerRuntimeIdentifiers in order, split on ';' and ',', trimmed, without empties.</summary>
    public static IReadOnlyList<string> Split(string? text)
        => (text ?? "").Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => r.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The platforms the image is published for: ContainerRuntimeIdentifiers when set (the first one is the
    /// primary, whose context the Dockerfile describes), else the one RuntimeIdentifier. Reports invalid or
    /// duplicate platforms, a RID whose probe the package lacks (now, not after the weights are downloaded),
    /// and a RID with no publish output.
    /// </summary>
    public static IReadOnlyList<PlatformTarget> Map(ProjectInputs input, DiagnosticBag bag, DotnetAppSpec? dotnet, HealthCheckSpec? health)
    {
        var listed = Split(input.Get("ContainerRuntimeIdentifiers"));
        var rids = listed.Count > 0 ? listed : new[] { dotnet?.RuntimeIdentifier ?? input.Get("RuntimeIdentifier") ?? "linux-x64" };
        var multi = listed.Count > 0;
        var seen = new Dictionary<Platform, string>();
        var valid = new List<string>();
        foreach (var rid in rids)
        {
            Platform platform;
            try { platform = Platform.FromRuntimeIdentifier(rid); }
            catch (AiException)
            {
                // A single RuntimeIdentifier already has its own code (AIC2006) from the .NET mapping.
                if (multi) bag.Report(AiErrors.InvalidContainerRuntimeIdentifier, "ContainerRuntimeIdentifiers", rid);
                continue;
            }
            if (seen.TryGetValue(platform, out var first)) { bag.Report(AiErrors.DuplicateContainerPlatform, "ContainerRuntimeIdentifiers", first, rid, platform); continue; }
            seen[platform] = rid;
            valid.Add(rid);
        }

        var probes = Probes(input);
        var published = input.Items(PublishItem)
            .Where(i => i.Get("PublishDir") is not null)
            .GroupBy(i => i.Include.Trim().ToLowerInvariant())
            .ToDictionary(g => g.Key, g => g.Last().Get("PublishDir")!, StringComparer.Ordinal);
        var targets = new List<PlatformTarget>();
        foreach (var rid in valid)
        {
            string? probe = null;
            if (health is { UsesBuiltInProbe: true } && probes is not null)
            {
                probe = probes.Custom ?? (probes.ByRid.TryGetValue(rid, out var p) ? p : null);
                if (probe is null)
                    bag.Report(AiErrors.HealthProbeMissingForPlatform, multi ? "ContainerRuntimeIdentifiers" : "RuntimeIdentifier", rid,
                        probes.ByRid.Count == 0 ? "none" : string.Join(", ", probes.ByRid.Keys.Order(StringComparer.Ordinal)));
            }
            string? publishDir = null;
            if (dotnet is not null)
            {
                publishDir = published.TryGetValue(rid, out var dir) ? dir
                    : rid == dotnet.RuntimeIdentifier || !multi ? dotnet.PublishDirectory
                    : null;
                // The Docker builder with several RIDs publishes none of them (it gets AIC6173 instead).
                if (publishDir is null && !IsDockerRequested(input))
                    bag.Report(AiErrors.PlatformPublishMissing, "ContainerRuntimeIdentifiers", rid, $"no {PublishItem} item names it");
            }
            targets.Add(new PlatformTarget(rid, publishDir, probe));
        }
        return targets;
    }

    private static bool IsDockerRequested(ProjectInputs input)
        => string.Equals(input.Get("AiImageBuilder"), nameof(AiImageBuilderKind.Docker), StringComparison.OrdinalIgnoreCase);

    private sealed record KnownProbes(string? Custom, IReadOnlyDictionary<string, string> ByRid);

    /// <summary>
    /// The probes the package ships, by the RID folder they sit in (tools/&lt;rid&gt;/aic-healthcheck). A
    /// _AiHealthProbePath outside such a folder is a custom probe for every platform (tests, own builds).
    /// Null when nothing names a probe: generation then reports AIC2003 as before.
    /// </summary>
    private static KnownProbes? Probes(ProjectInputs input)
    {
        var byRid = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in input.Items(ProbeItem))
        {
            if (RidFolder(item.Include) is { } rid) byRid.TryAdd(rid, item.Include);
        }
        string? custom = null;
        if (input.Get("_AiHealthProbePath") is { } path)
        {
            if (RidFolder(path) is { } rid) byRid[rid] = path;
            else custom = path;
        }
        return custom is null && byRid.Count == 0 ? null : new KnownProbes(custom, byRid);
    }

    private static string? RidFolder(string probePath)
    {
        var folder = Path.GetFileName(Path.GetDirectoryName(probePath.Replace('\\', '/').TrimEnd('/')) ?? "");
        return folder is { Length: > 0 } && folder.StartsWith("linux-", StringComparison.OrdinalIgnoreCase) ? folder.ToLowerInvariant() : null;
    }
}
