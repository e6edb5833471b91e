using Microsoft.Extensions.FileSystemGlobbing;

namespace AiContainers.Core.Weights;

/// <summary>
/// Files/Exclude globs, matched with Microsoft.Extensions.FileSystemGlobbing: '*' matches within one
/// folder, '**' across folders, names compare case-sensitively (as on the Hub and in Linux images).
/// fnmatch's '?' and '[...]' are refused rather than silently matched literally.
/// </summary>
public static class ModelFileSelector
{
    /// <summary>Why <paramref name="pattern"/> cannot be used, or null when it can.</summary>
    public static string? Validate(string pattern)
    {
        if (pattern.Length == 0) return "it is empty";
        if (pattern.Contains('\\')) return "it contains '\\'; separate folders with '/'";
        if (pattern.StartsWith('/')) return "it is absolute; patterns are relative to the repository or folder";
        if (pattern.IndexOfAny(['?', '[', ']', '{', '}']) >= 0) return "'?', '[...]' and '{...}' are not supported";
        foreach (var segment in pattern.Split('/'))
        {
            if (segment == "..") return "it climbs out of the model with '..'";
            if (segment.Contains("**", StringComparison.Ordinal) && segment != "**") return "'**' must be a whole folder segment (e.g. onnx/**/*.onnx)";
        }
        return null;
    }

    /// <summary>The paths (relative, '/'-separated) selected by the include and exclude patterns, in ordinal order.</summary>
    public static IReadOnlyList<string> Select(IEnumerable<string> paths, IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        if (include.Count == 0) matcher.AddInclude("**");
        else matcher.AddIncludePatterns(include);
        matcher.AddExcludePatterns(exclude);
        var all = paths.ToList();
        var matched = matcher.Match(all).Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        // The matcher normalises paths ("./a" → "a"); keep the listing's own spelling.
        return all.Where(matched.Contains).OrderBy(p => p, StringComparer.Ordinal).ToList();
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
