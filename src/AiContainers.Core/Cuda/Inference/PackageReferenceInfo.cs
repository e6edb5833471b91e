using System.Text.RegularExpressions;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Cuda.Inference;

/// <summary>A NuGet package the project references, with the version text as the project file has it.</summary>
public sealed partial record PackageReferenceInfo(string Name, string? Version)
{
    [GeneratedRegex(@"^\d+(\.\d+){0,3}$")]
    private static partial Regex NumericRegex();

    /// <summary>
    /// The PackageReference items with their versions: Version or VersionOverride metadata, or, under
    /// central package management, the PackageVersion item of the same name.
    /// </summary>
    public static IReadOnlyList<PackageReferenceInfo> FromItems(IEnumerable<InputItem> packageReferences, IEnumerable<InputItem>? packageVersions = null)
    {
        var central = (packageVersions ?? Array.Empty<InputItem>())
            .GroupBy(v => v.Include.Trim(), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Last().Get("Version"), StringComparer.OrdinalIgnoreCase);
        return packageReferences
            .Select(r => new PackageReferenceInfo(r.Include.Trim(), r.Get("VersionOverride") ?? r.Get("Version") ?? central.GetValueOrDefault(r.Include.Trim())))
            .ToList();
    }

    /// <summary>
    /// The version NuGet restores, as far as the text tells: "1.20.1", "1.20.1-rc.1" (its release part),
    /// "[1.20.1]", a range's lower bound (NuGet picks the lowest version a range allows) and a floating
    /// "1.20.*" (any 1.20 patch: CUDA data never changes within one).
    /// </summary>
    public Version? ParsedVersion
    {
        get
        {
            var text = Version?.Trim();
            if (string.IsNullOrEmpty(text)) return null;
            if (text[0] is '[' or '(') text = text[1..].Split(',', ']', ')')[0].Trim();
            var floating = text.Contains('*');
            text = text.Split('-', '+')[0].Replace(".*", "", StringComparison.Ordinal).TrimEnd('*', '.');
            if (!NumericRegex().IsMatch(text)) return null;
            var parts = text.Split('.').Select(int.Parse).ToList();
            // "1.*" floats over minors that need different CUDA versions, so it does not say which.
            if (floating && parts.Count < 2) return null;
            while (parts.Count < 3) parts.Add(0);
            return new Version(parts[0], parts[1], parts[2]);
        }
    }
}
