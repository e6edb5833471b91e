using System.Text;
using System.Text.RegularExpressions;

namespace AiContainers.Core.Engine;

/// <summary>
/// .dockerignore matching with the engine's semantics: patterns are cleaned paths relative to the
/// context root, <c>*</c> and <c>?</c> stop at '/', <c>**</c> spans directories, a leading
/// <c>!</c> re-includes, the last matching pattern wins, and a matched directory excludes its contents.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude)> _rules = new();

    public static readonly DockerIgnore Empty = new(Array.Empty<string>());

    public DockerIgnore(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var exclude = true;
            if (line.StartsWith('!')) { exclude = false; line = line[1..].Trim(); }
            line = Clean(line);
            if (line.Length == 0 || line == ".") continue;
            _rules.Add((new Regex("^" + ToRegex(line) + "$", RegexOptions.CultureInvariant), exclude));
        }
    }

    /// <summary>True when a '!' rule exists, so an excluded directory may still hold included files.</summary>
    public bool HasExceptions => _rules.Any(r => !r.Exclude);

    public static DockerIgnore Load(string contextDirectory)
    {
        var path = Path.Combine(contextDirectory, ".dockerignore");
        return File.Exists(path) ? new DockerIgnore(File.ReadAllLines(path)) : Empty;
    }

    /// <summary>True when <paramref name="relativePath"/> (with '/' separators) stays out of the context.</summary>
    public bool IsExcluded(string relativePath)
    {
        if (_rules.Count == 0) return false;
        // A path is excluded if it or any parent directory is excluded by the last rule matching it.
        var parts = relativePath.Split('/');
        var excluded = false;
        var prefix = new StringBuilder();
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0) prefix.Append('/');
            prefix.Append(parts[i]);
            var current = prefix.ToString();
            bool? verdict = null;
            foreach (var (pattern, exclude) in _rules)
                if (pattern.IsMatch(current)) verdict = exclude;
            if (verdict is { } v) excluded = v;
        }
        return excluded;
    }

    private static string Clean(string pattern)
    {
        var parts = new List<string>();
        foreach (var part in pattern.Replace('\\', '/').Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == ".." ) { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                {
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/') { i++; sb.Append("(?:.*/)?"); }
                    else sb.Append(".*");
                }
                else sb.Append("[^/]*");
            }
            else if (c == '?') sb.Append("[^/]");
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.ToString();
    }
}
