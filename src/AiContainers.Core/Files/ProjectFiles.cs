using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Files;

/// <summary>
/// Which host files the package may copy into an image: those that resolve, after following every
/// symbolic link (in the file's own name and in its folders), inside the project directory, unless the
/// project sets AiAllowFilesOutsideProject. One rule for models, Python app files and served models.
/// </summary>
/// <param name="ProjectDirectory">The full path of the project folder.</param>
/// <param name="AllowOutside">AiAllowFilesOutsideProject: copy files from anywhere the build user can read.</param>
public sealed record ProjectFileRule(string ProjectDirectory, bool AllowOutside)
{
    public const string AllowProperty = "AiAllowFilesOutsideProject";

    /// <summary>Reads AiAllowFilesOutsideProject and MSBuildProjectDirectory; a bad boolean goes into the bag.</summary>
    public static ProjectFileRule Map(ProjectInputs input, DiagnosticBag bag)
    {
        var directory = Path.GetFullPath(input.Get("MSBuildProjectDirectory") ?? ".");
        var text = input.Get(AllowProperty);
        var allow = false;
        if (text is not null && !bool.TryParse(text, out allow)) bag.Report(AiErrors.InvalidBoolean, AllowProperty, AllowProperty, text);
        return new ProjectFileRule(directory, allow);
    }
}

public static class ProjectFiles
{
    // As Linux's ELOOP limit: a cycle of links ends here instead of spinning.
    private const int MaxLinkHops = 40;

    /// <summary>
    /// Null when <paramref name="path"/> may be copied under <paramref name="rule"/>; otherwise the coded
    /// problem: a dangling link (always), or a resolved path outside the project (unless allowed).
    /// </summary>
    /// <param name="what">Names the input in the message, e.g. "AiModel 'bert' Source" or "AiAppInclude file".</param>
    /// <param name="shown">The path as the user wrote it (or project-relative), for the message.</param>
    public static AiDiagnostic? Check(ProjectFileRule rule, string property, string what, string shown, string path)
    {
        var resolved = Resolve(path, out var danglingLink, out var danglingTarget);
        if (danglingLink is not null)
            return AiErrors.DanglingFileLink.Create(property, what, danglingLink == Path.GetFullPath(path) ? shown : danglingLink, danglingTarget);
        if (rule.AllowOutside) return null;
        var root = Resolve(rule.ProjectDirectory, out _, out _);
        return IsInside(resolved, root) ? null : AiErrors.FileOutsideProject.Create(property, what, shown, resolved, rule.ProjectDirectory);
    }

    /// <summary>As <see cref="Check"/>, throwing the problem as an <see cref="AiException"/>.</summary>
    public static void Require(ProjectFileRule rule, string property, string what, string shown, string path)
    {
        if (Check(rule, property, what, shown, path) is { } problem) throw new AiException(problem);
    }

    /// <summary>
    /// The path with every symbolic link followed, as realpath(3) would give it, for files that exist.
    /// A link whose target is missing is reported through <paramref name="danglingLink"/> (the link) and
    /// <paramref name="danglingTarget"/> (where it points); a plain missing file is not a dangling link.
    /// </summary>
    public static string Resolve(string path, out string? danglingLink, out string? danglingTarget)
    {
        danglingLink = danglingTarget = null;
        var full = Path.GetFullPath(path);
        var current = Path.GetPathRoot(full)!;
        var pending = new LinkedList<string>(Split(full[current.Length..]));
        var hops = 0;
        while (pending.First is { } node)
        {
            pending.RemoveFirst();
            var part = node.Value;
            if (part is "." or "") continue;
            if (part == "..") { current = Path.GetDirectoryName(current) ?? current; continue; }
            var next = Path.Combine(current, part);
            var info = new FileInfo(next);
            string? target;
            try { target = info.LinkTarget; }
            catch (IOException) { target = null; }
            catch (UnauthorizedAccessException) { target = null; }
            if (target is null)
            {
                if (!info.Exists && !Directory.Exists(next))
                {
                    // Nothing more to resolve: the rest is lexical.
                    return Path.GetFullPath(Path.Combine([next, .. pending]));
                }
                current = next;
                continue;
            }
            if (++hops > MaxLinkHops) { danglingLink = next; danglingTarget = target + " (a cycle of links)"; return next; }
            var absolute = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
            if (!File.Exists(absolute) && !Directory.Exists(absolute))
            {
                danglingLink = next;
                danglingTarget = target;
                return next;
            }
            // Follow the link: its target's parts come before what is left of the path. A relative
            // target resolves against the link's own folder, which is `current` (already resolved).
            if (Path.IsPathRooted(target)) current = Path.GetPathRoot(target)!;
            foreach (var p in Split(Path.IsPathRooted(target) ? target[Path.GetPathRoot(target)!.Length..] : target).Reverse())
                pending.AddFirst(p);
        }
        return current;
    }

    private static IEnumerable<string> Split(string path)
        => path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or inside it (both already resolved).</summary>
    public static bool IsInside(string path, string folder)
    {
        var relative = Path.GetRelativePath(folder, path);
        return relative == "." || (relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative));
    }
}
