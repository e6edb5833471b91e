using System.Text.RegularExpressions;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Python;

/// <summary>
/// Maps the AiPython* properties and items, AiAppInclude and AiAppExclude. Pure like the main mapper:
/// whether the files exist is checked when the context is written (<see cref="PythonAppFiles"/>).
/// </summary>
public static partial class PythonSpecMapper
{
    public static readonly string[] Properties = { "AiPythonVersion", "AiPythonRequirements", "AiPythonWheelDirectory", "AiPythonSystemSitePackages" };
    public static readonly string[] ItemTypes = { "AiPythonPackages", "AiPythonBuildPackages", "AiAppInclude", "AiAppExclude" };

    /// <summary>python3 as each Ubuntu release ships it: what the OS-package interpreter will be on a CUDA or Ubuntu base.</summary>
    public static readonly IReadOnlyDictionary<string, string> OsPython = new Dictionary<string, string>
    {
        ["ubuntu20.04"] = "3.8",
        ["ubuntu22.04"] = "3.10",
        ["ubuntu24.04"] = "3.12",
    };

    [GeneratedRegex(@"^3\.\d{1,2}$")] private static partial Regex VersionRegex();
    // PEP 508 name, optional extras, optional specifiers; no URLs or options (those belong in the requirements file).
    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._,-]+\])?\s*((===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*$")] private static partial Regex RequirementRegex();
    [GeneratedRegex(@"^[a-z0-9][a-z0-9.+-]*(=[A-Za-z0-9.+~:_-]+)?$")] private static partial Regex AptPackageRegex();
    [GeneratedRegex(@"^(\d+\.\d+)")] private static partial Regex LeadingVersionRegex();

    public static PythonAppSpec? Map(ProjectInputs input, DiagnosticBag bag, BaseImageSpec? baseImage)
    {
        var projectDirectory = input.Get("MSBuildProjectDirectory") ?? ".";
        var version = input.Get("AiPythonVersion");
        if (version is not null && !VersionRegex().IsMatch(version)) { bag.Report(AiErrors.InvalidPythonVersion, "AiPythonVersion", version); version = null; }

        var requirements = RelativePath(input, bag, "AiPythonRequirements", "requirements.txt");
        var wheels = RelativePath(input, bag, "AiPythonWheelDirectory", "wheels");

        var packages = new List<string>();
        foreach (var item in input.Items("AiPythonPackages"))
        {
            var spec = item.Include.Trim();
            if (spec.Length == 0) continue;
            if (!RequirementRegex().IsMatch(spec)) { bag.Report(AiErrors.InvalidPythonPackage, "AiPythonPackages", spec); continue; }
            if (!packages.Contains(spec)) packages.Add(spec);
        }

        var buildPackages = new List<string>();
        foreach (var item in input.Items("AiPythonBuildPackages"))
        {
            foreach (var name in item.Include.Split(new[] { ';', ' ' }, StringSplitOptions.RemoveEmptyEntries))
            {
                if (!AptPackageRegex().IsMatch(name)) { bag.Report(AiErrors.InvalidPythonBuildPackage, "AiPythonBuildPackages", name); continue; }
                if (!buildPackages.Contains(name)) buildPackages.Add(name);
            }
        }
        buildPackages.Sort(StringComparer.Ordinal);

        var systemSite = AiImageSpecMapper.ParseBool(input, bag, "AiPythonSystemSitePackages", false);
        var include = Patterns(input, bag, "AiAppInclude");
        var exclude = Patterns(input, bag, "AiAppExclude");

        if (input.Get("AiCommand") is null) bag.Report(AiErrors.PythonCommandMissing, "AiCommand");

        if (baseImage is null) return null;
        var interpreter = IsPythonImage(baseImage) ? PythonInterpreterSource.BaseImage : PythonInterpreterSource.OsPackages;
        if (version is not null && ExpectedVersion(baseImage, interpreter) is { } expected && expected != version)
            bag.Report(AiErrors.PythonVersionDiffersFromOs, "AiPythonVersion", version, baseImage.Reference, expected);

        return new PythonAppSpec(version, interpreter, projectDirectory, requirements, wheels, packages, buildPackages, systemSite, include, exclude);
    }

    /// <summary>Reports the Python settings a non-Python project would silently ignore.</summary>
    public static void ReportIgnored(ProjectInputs input, DiagnosticBag bag)
    {
        foreach (var p in Properties.Where(p => input.Get(p) is not null)) bag.Report(AiErrors.PythonSettingIgnored, p, p);
        foreach (var t in ItemTypes.Where(t => input.Items(t).Count > 0)) bag.Report(AiErrors.PythonSettingIgnored, t, t);
    }

    /// <summary>The official python images (docker.io/library/python) bring their own interpreter, venv included.</summary>
    public static bool IsPythonImage(BaseImageSpec baseImage)
        => baseImage.CanonicalName.StartsWith("docker.io/library/python:", StringComparison.Ordinal)
           || baseImage.CanonicalName.StartsWith("docker.io/library/python@", StringComparison.Ordinal);

    /// <summary>The python3 the base will have when it is known from the reference alone.</summary>
    public static string? ExpectedVersion(BaseImageSpec baseImage, PythonInterpreterSource interpreter)
    {
        if (interpreter == PythonInterpreterSource.BaseImage)
        {
            var tag = baseImage.CanonicalName.Split(':').LastOrDefault() ?? "";
            return LeadingVersionRegex().Match(tag) is { Success: true } m ? m.Groups[1].Value : null;
        }
        return baseImage.Os is { } os && OsPython.TryGetValue(os, out var v) ? v : null;
    }

    private static string? RelativePath(ProjectInputs input, DiagnosticBag bag, string property, string example)
    {
        var text = input.Get(property);
        if (text is null) return null;
        var normalized = text.Replace('\\', '/').TrimEnd('/');
        while (normalized.StartsWith("./", StringComparison.Ordinal)) normalized = normalized[2..];
        if (normalized.Length == 0 || normalized.StartsWith('/') || Path.IsPathRooted(text) || normalized.Split('/').Any(p => p is ".." or "."))
        {
            bag.Report(AiErrors.PathOutsideProject, property, property, text, example);
            return null;
        }
        return normalized;
    }

    /// <summary>The item's patterns in the .dockerignore dialect ('\\' escapes, so it is not turned into '/'); malformed ones are reported.</summary>
    private static IReadOnlyList<string> Patterns(ProjectInputs input, DiagnosticBag bag, string itemType)
    {
        var patterns = input.Items(itemType)
            .SelectMany(i => i.Include.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        foreach (var pattern in patterns)
            if (Engine.DockerIgnore.Validate(pattern) is { } reason) bag.Report(AiErrors.InvalidPathPattern, itemType, itemType, pattern, reason);
        return patterns.Where(p => Engine.DockerIgnore.Validate(p) is null).ToList();
    }
}
