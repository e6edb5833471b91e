using AiContainers.Core.Engine;

namespace AiContainers.Core.Weights;

/// <summary>
/// Files/ExcludeFiles patterns in the package's one glob dialect, Docker's .dockerignore semantics
/// (<see cref="DockerIgnore"/>, also used by AiAppInclude/AiAppExclude): '*' and '?' within a folder,
/// '[...]' classes, '**' across folders, '\' escapes; a pattern naming a folder selects what is under it.
/// Names compare case-sensitively, as on the Hub and in Linux images.
/// </summary>
public static class ModelFileSelector
{
    /// <summary>Why <paramref name="pattern"/> cannot be used, or null when it can.</summary>
    public static string? Validate(string pattern)
    {
        if (pattern.Length == 0) return "it is empty";
        if (pattern.StartsWith('/')) return "it is absolute; patterns are relative to the repository or folder";
        if (DockerIgnore.Validate(pattern) is { } reason) return reason;
        foreach (var segment in pattern.Split('/'))
        {
            if (segment == "..") return "it climbs out of the model with '..'";
        }
        return null;
    }

    /// <summary>The paths (relative, '/'-separated) selected by the include and exclude patterns, in ordinal order.</summary>
    public static IReadOnlyList<string> Select(IEnumerable<string> paths, IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        var selected = include.Count == 0 ? null : new DockerIgnore(include);
        var dropped = new DockerIgnore(exclude);
        return paths.Where(p => (selected?.Matches(p) ?? true) && !dropped.Matches(p)).OrderBy(p => p, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Why a listed file name could not be placed under a target folder, or null when it is safe:
    /// it must be relative, '/'-separated, without '.', '..' or empty segments, drive letters or control characters.
    /// </summary>
    public static string? UnsafePathReason(string path)
    {
        if (path.Length == 0) return "the name is empty";
        if (path.StartsWith('/')) return "it is an absolute path";
        if (path.Contains('\\')) return "it contains a backslash";
        if (path.Length >= 2 && path[1] == ':') return "it starts with a drive letter";
        if (path.Any(char.IsControl)) return "it contains control characters";
        foreach (var segment in path.Split('/'))
        {
            if (segment == "..") return "it climbs out with '..'";
            if (segment is "" or ".") return "it has an empty or '.' path segment";
        }
        return null;
    }
}
