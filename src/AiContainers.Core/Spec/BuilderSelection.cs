using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Spec;

/// <summary>
/// Decides, from the spec alone, which builder runs: Daemonless composes the image from layers and
/// talks to registries directly (no engine, reproducible), but cannot run RUN steps; Docker can. Each
/// input that needs RUN is named, so <c>AiImageBuilder=Daemonless</c> fails with the property to change
/// and <c>Auto</c> says in the summary why it picked Docker.
/// </summary>
public static class BuilderSelection
{
    /// <summary>An input that needs a RUN step (or another engine-only feature), and why.</summary>
    public sealed record RunNeed(string Property, string Why);

    public static IReadOnlyList<RunNeed> RunNeeds(AiImageSpec spec)
    {
        var needs = new List<RunNeed>();
        if (spec.SystemPackages.Count > 0) needs.Add(new("AiSystemPackages", "apt-get installs " + string.Join(", ", spec.SystemPackages)));
        if (spec.RunCommands.Count > 0) needs.Add(new("AiRunCommand", $"{spec.RunCommands.Count} command(s) to run at build time"));
        if (spec.Python is not null) needs.Add(new("AiPythonVersion", "the Python builder stage creates the virtual environment with pip"));
        if (spec.User is { CreateUser: true, Uid: null }) needs.Add(new("ContainerUser", $"the named user '{spec.User.User}' must be created with useradd"));
        return needs;
    }

    /// <summary>The resolved builder and the reason the summary prints; reports what makes an explicit Daemonless impossible.</summary>
    public static (AiImageBuilderKind Kind, string Reason) Resolve(AiImageBuilderKind requested, AiImageSpec spec, DiagnosticBag bag)
    {
        var needs = RunNeeds(spec);
        var frameworkDependent = spec.Dotnet is { SelfContained: false };
        // Several platforms: only the daemonless builder composes one image per platform and an index over them.
        if (spec.Platforms.Count > 1 && requested is not AiImageBuilderKind.None)
        {
            var count = spec.Platforms.Count;
            var rids = string.Join(", ", spec.Platforms.Select(p => p.RuntimeIdentifier));
            if (requested == AiImageBuilderKind.Docker) { bag.Report(AiErrors.DockerBuilderOnePlatform, "AiImageBuilder", count, rids); return (requested, "AiImageBuilder=Docker"); }
            if (requested == AiImageBuilderKind.Auto)
            {
                foreach (var need in needs) bag.Report(AiErrors.MultiPlatformNeedsRun, need.Property, count, need.Property, need.Why);
                if (frameworkDependent) bag.Report(AiErrors.MultiPlatformFrameworkDependent, "SelfContained", count, spec.Dotnet!.RuntimeImage);
                return (AiImageBuilderKind.Daemonless, $"Auto: ContainerRuntimeIdentifiers names {count} platforms ({rids})");
            }
        }
        switch (requested)
        {
            case AiImageBuilderKind.None:
                return (requested, "AiImageBuilder=None: Dockerfile and context only");
            case AiImageBuilderKind.Docker:
                return (requested, "AiImageBuilder=Docker");
            case AiImageBuilderKind.Daemonless:
                foreach (var need in needs) bag.Report(AiErrors.DaemonlessNeedsRun, need.Property, need.Property, need.Why);
                if (frameworkDependent) bag.Report(AiErrors.DaemonlessFrameworkDependent, "SelfContained", spec.Dotnet!.RuntimeImage);
                return (requested, "AiImageBuilder=Daemonless");
            default:
                if (needs.Count > 0) return (AiImageBuilderKind.Docker, $"Auto: {needs[0].Property} needs RUN");
                if (frameworkDependent) return (AiImageBuilderKind.Docker, "Auto: SelfContained=false takes /usr/share/dotnet from the runtime image");
                return (AiImageBuilderKind.Daemonless, "Auto: no step needs RUN");
        }
    }
}
