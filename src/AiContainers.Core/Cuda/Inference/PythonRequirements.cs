using System.Text.RegularExpressions;

namespace AiContainers.Core.Cuda.Inference;

/// <summary>One requirement line of a pip requirements file, reduced to what CUDA inference reads.</summary>
/// <param name="Name">The name as written (for messages).</param>
/// <param name="Key">The PEP 503 normalized name (lowercase, runs of -_. as '-').</param>
/// <param name="Specifier">The version specifier as written, e.g. "==2.7.1+cu126"; empty when unpinned.</param>
/// <param name="MajorMinor">The release's major.minor when the specifier fixes it (==A.B.C, ==A.B.*, ~=A.B.C), else null.</param>
/// <param name="Local">The PEP 440 local version label of an exact pin ("cu126", "cpu"), else null.</param>
public sealed record PythonRequirement(string Name, string Key, IReadOnlyList<string> Extras, string Specifier, Version? MajorMinor, string? Local)
{
    public string Label => Name + (Extras.Count > 0 ? "[" + string.Join(",", Extras) + "]" : "") + Specifier;
}

/// <summary>
/// A pip requirements file as far as CUDA matters: the requirements and the package indexes it names.
/// Pure text in; <c>-r</c>/<c>-c</c> includes are not followed (no file system here), URL and
/// editable requirements are skipped.
/// </summary>
public sealed partial record PythonRequirements(IReadOnlyList<PythonRequirement> Requirements, IReadOnlyList<string> IndexUrls)
{
    [GeneratedRegex(@"^(?<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[(?<extras>[^\]]*)\])?\s*(?<spec>[^;@]*)(?:;.*)?$")]
    private static partial Regex RequirementRegex();

    [GeneratedRegex(@"^(?:==|===)\s*(?<release>\d+(?:\.\d+)*)(?:(?:a|b|rc|\.post|\.dev)\d*)*(?:\+(?<local>[A-Za-z0-9.]+))?$")]
    private static partial Regex ExactRegex();

    [GeneratedRegex(@"^==\s*(?<major>\d+)\.(?<minor>\d+)\.\*$")]
    private static partial Regex WildcardRegex();

    [GeneratedRegex(@"^~=\s*(?<major>\d+)\.(?<minor>\d+)\.\d+")]
    private static partial Regex CompatibleRegex();

    [GeneratedRegex(@"^(?:-i|--index-url|--extra-index-url|-f|--find-links)(?:\s+|=)(?<url>\S+)")]
    private static partial Regex IndexOptionRegex();

    [GeneratedRegex(@"/whl/(?:test/|nightly/)?(?<variant>cu\d+|cpu)(?:/|$)")]
    private static partial Regex TorchIndexRegex();

    [GeneratedRegex(@"(^|\s)#.*$")]
    private static partial Regex CommentRegex();

    public static PythonRequirements Parse(string? text)
    {
        var requirements = new List<PythonRequirement>();
        var indexes = new List<string>();
        if (string.IsNullOrWhiteSpace(text)) return new PythonRequirements(requirements, indexes);

        // pip joins a line ending in a backslash with the next one before anything else.
        var joined = Regex.Replace(text.Replace("\r\n", "\n"), @"\\\n", " ");
        foreach (var raw in joined.Split('\n'))
        {
            var line = CommentRegex().Replace(raw, "").Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('-'))
            {
                var option = IndexOptionRegex().Match(line);
                if (option.Success) indexes.Add(option.Groups["url"].Value);
                continue;
            }
            var match = RequirementRegex().Match(line);
            if (!match.Success) continue;
            var name = match.Groups["name"].Value;
            var extras = match.Groups["extras"].Success
                ? match.Groups["extras"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => e.ToLowerInvariant()).ToList()
                : new List<string>();
            var spec = Regex.Replace(match.Groups["spec"].Value, @"\s+", "");
            var (majorMinor, local) = ReadPin(spec);
            requirements.Add(new PythonRequirement(name, NormalizeName(name), extras, spec, majorMinor, local));
        }
        return new PythonRequirements(requirements, indexes);
    }

    /// <summary>PEP 503: names compare lowercase with runs of '-', '_' and '.' as one '-'.</summary>
    public static string NormalizeName(string name) => Regex.Replace(name, "[-_.]+", "-").ToLowerInvariant();

    public PythonRequirement? Find(string name)
    {
        var key = NormalizeName(name);
        return Requirements.FirstOrDefault(r => r.Key == key);
    }

    /// <summary>
    /// The PyTorch wheel variant an index option selects ("cu126" for download.pytorch.org/whl/cu126, "cpu"),
    /// or null. An extra index counts too: a pin without a local label also matches the index's
    /// +cuXXX build, and pip prefers that one.
    /// </summary>
    public string? TorchIndexVariant
        => IndexUrls.Select(u => TorchIndexRegex().Match(u)).Where(m => m.Success).Select(m => m.Groups["variant"].Value).FirstOrDefault();

    private static (Version? MajorMinor, string? Local) ReadPin(string spec)
    {
        if (spec.Contains(',')) return (null, null);
        var exact = ExactRegex().Match(spec);
        if (exact.Success)
        {
            var parts = exact.Groups["release"].Value.Split('.');
            if (parts.Length < 2) return (null, null);
            var local = exact.Groups["local"].Success ? exact.Groups["local"].Value.ToLowerInvariant() : null;
            return (new Version(int.Parse(parts[0]), int.Parse(parts[1])), local);
        }
        var wildcard = WildcardRegex().Match(spec);
        if (wildcard.Success) return (new Version(int.Parse(wildcard.Groups["major"].Value), int.Parse(wildcard.Groups["minor"].Value)), null);
        var compatible = CompatibleRegex().Match(spec);
        if (compatible.Success) return (new Version(int.Parse(compatible.Groups["major"].Value), int.Parse(compatible.Groups["minor"].Value)), null);
        return (null, null);
    }
}
