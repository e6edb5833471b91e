using System.Globalization;
using System.Text.RegularExpressions;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Images;

namespace AiContainers.Core.Cuda.Inference;

/// <summary>What the project says that bears on its CUDA version. Every member is optional.</summary>
public sealed record CudaInferenceInput
{
    /// <summary>The project's PackageReference items with their versions (see <see cref="PackageReferenceInfo.FromItems"/>).</summary>
    public IReadOnlyList<PackageReferenceInfo> Packages { get; init; } = Array.Empty<PackageReferenceInfo>();
    /// <summary>The text of the requirements file AiPythonRequirements points at.</summary>
    public string? PythonRequirements { get; init; }
    /// <summary>AiCudaVersion as set, or null.</summary>
    public string? CudaVersion { get; init; }
    /// <summary>AiCudnnVersion as set, or null.</summary>
    public string? CudnnVersion { get; init; }
    /// <summary>AiGpu (default true).</summary>
    public bool Gpu { get; init; } = true;
    /// <summary>AiBaseImage as set, or null.</summary>
    public string? BaseImage { get; init; }
}

/// <summary>Where the CUDA version came from.</summary>
public enum CudaChoice
{
    /// <summary>Nothing was inferred: no GPU, nothing that needs CUDA, or conflicting needs (see the diagnostics).</summary>
    None,
    /// <summary>AiCudaVersion was set; <see cref="CudaInference.Release"/> is its catalog release when there is one.</summary>
    Explicit,
    /// <summary>AiCudaVersion was not set and the packages chose <see cref="CudaInference.Release"/>.</summary>
    Inferred,
    /// <summary>AiBaseImage was set; its tag's CUDA facts were checked where known.</summary>
    BaseImage,
}

/// <summary>
/// The decision: the catalog release to build on (when one was chosen or confirmed), the cuDNN major the
/// image must have (null: none needed), what each package needs, a log line saying why, and the diagnostics.
/// </summary>
public sealed record CudaInference(
    CudaChoice Choice,
    CudaRelease? Release,
    int? CudnnMajor,
    IReadOnlyList<CudaRequirement> Requirements,
    string? Reason,
    IReadOnlyList<AiDiagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    /// <summary><see cref="Release"/> as AiCudaVersion text for <see cref="CudaBaseResolver.Resolve"/>, or null.</summary>
    public string? CudaText => Release?.Version.ToString();

    /// <summary><see cref="CudnnMajor"/> as AiCudnnVersion text for <see cref="CudaBaseResolver.Resolve"/>, or null.</summary>
    public string? CudnnText => CudnnMajor?.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Infers the CUDA version and cuDNN major a project needs from what it references: ONNX Runtime GPU and
/// TorchSharp packages, torch and tensorflow pins in its requirements file. Pure: data in, decision out.
/// When AiCudaVersion (or AiBaseImage) is set it checks it instead and says what would work.
/// </summary>
public static partial class CudaRequirementInference
{
    public const string PackageReferenceProperty = "PackageReference";
    public const string RequirementsProperty = "AiPythonRequirements";

    [GeneratedRegex(@"^\d+\.\d+(\.\d+)?$")]
    private static partial Regex CudaVersionRegex();

    /// <summary>Every CUDA major.minor a requirement could name, to tell "never compatible" from "no catalog image".</summary>
    private static readonly IReadOnlyList<Version> Universe =
        Enumerable.Range(10, 5).SelectMany(major => Enumerable.Range(0, 10).Select(minor => new Version(major, minor))).ToList();

    public static CudaInference Infer(CudaInferenceInput input, CudaImageCatalog catalog, FrameworkCudaData? data = null)
    {
        data ??= FrameworkCudaData.Default;
        var bag = new DiagnosticBag();
        var python = PythonRequirements.Parse(input.PythonRequirements);

        if (!input.Gpu)
        {
            WarnCudaBuildsOnCpuImage(input.Packages, python, data, bag);
            return new CudaInference(CudaChoice.None, null, null, Array.Empty<CudaRequirement>(), null, bag.Items);
        }

        var requirements = new List<CudaRequirement>();
        CollectPackages(input.Packages, data, requirements, bag);
        CollectPython(python, data, requirements, bag);
        var conflicting = ReportConflicts(requirements, catalog, bag);

        var cudnnSet = input.CudnnVersion is not null && CudaBaseResolver.TryParseCudnn(input.CudnnVersion, out _);
        CudaBaseResolver.TryParseCudnn(input.CudnnVersion, out var explicitCudnn);
        if (cudnnSet) CheckCudnn(input.CudnnVersion!, explicitCudnn, requirements, bag);
        var neededCudnn = requirements.Select(r => r.CudnnMajor).FirstOrDefault(c => c is not null);
        var cudnn = cudnnSet ? explicitCudnn : neededCudnn;

        if (input.CudaVersion is not null) return CheckExplicit(input.CudaVersion, cudnnSet, cudnn, requirements, catalog, bag);
        if (input.BaseImage is not null) return CheckBaseImage(input.BaseImage, requirements, catalog, data, bag);
        if (requirements.Count == 0 || conflicting || bag.HasErrors)
            return new CudaInference(CudaChoice.None, null, null, requirements, null, bag.Items);
        return Choose(cudnn, requirements, catalog, bag);
    }

    // ---------------------------------------------------------------- deciding

    private static CudaInference Choose(int? cudnn, List<CudaRequirement> requirements, CudaImageCatalog catalog, DiagnosticBag bag)
    {
        var candidates = catalog.Releases
            .Where(r => requirements.All(q => q.Allows(r.Version)) && (cudnn is null || r.Cudnn.ContainsKey(cudnn.Value)))
            .ToList();
        if (candidates.Count == 0)
        {
            var hint = requirements.Select(r => r.NoImageHint).FirstOrDefault(h => h is not null)
                ?? $"Set AiBaseImage to an image that has it, or use package versions built for a CUDA version the catalog has ({catalog.KnownVersionsText()})";
            var needs = string.Join("; ", requirements.Select(r => r.Needs).Distinct());
            bag.Report(AiErrors.NoCatalogImageForPackages, requirements[0].Property, JoinAnd(requirements.Select(r => r.Label).ToList()), needs, hint);
            return new CudaInference(CudaChoice.None, null, null, requirements, null, bag.Items);
        }

        // Only a release NVIDIA's own tag list names is chosen when one fits (a release seen only in use may not
        // exist for every flavor); then a framework's own preference (the PyPI wheel's CUDA, TensorFlow's tested
        // minor) wins; then the catalog's default, then the newest patch.
        var best = candidates
            .OrderByDescending(r => r.ListedByNvidia)
            .ThenByDescending(r => requirements.Count(q => q.Preferred is { } p && p.Major == r.Version.Major && p.Minor == r.Version.Minor))
            .ThenByDescending(r => r.Version == catalog.DefaultVersion)
            .ThenByDescending(r => r.Version)
            .First();
        var reason = $"AiCudaVersion not set: chose {best.Version}" + (cudnn is { } c ? $" with cuDNN {c}" : "")
            + " because " + JoinAnd(requirements.Select(r => r.Why).ToList());
        return new CudaInference(CudaChoice.Inferred, best, cudnn, requirements, reason, bag.Items);
    }

    private static CudaInference CheckExplicit(string text, bool cudnnSet, int? cudnn, List<CudaRequirement> requirements, CudaImageCatalog catalog, DiagnosticBag bag)
    {
        // A malformed AiCudaVersion is the mapper's AIC1003; nothing to compare it with here.
        if (!CudaVersionRegex().IsMatch(text)) return new CudaInference(CudaChoice.None, null, null, requirements, null, bag.Items);
        var requested = Version.Parse(text);
        foreach (var requirement in requirements.Where(r => !r.Allows(requested)))
        {
            var alternative = requirement.AlternativesFor(new Version(requested.Major, requested.Minor), cudnnSet ? cudnn : null);
            bag.Report(AiErrors.CudaVersionMismatch, "AiCudaVersion", text, requirement.Label, requirement.Needs,
                requirement.Suggestion(Example(requirement, catalog)), alternative is null ? "" : ", or use " + alternative);
        }

        var release = catalog.Find(requested, exactPatch: text.Split('.').Length == 3);
        if (!cudnnSet && cudnn is { } needed && release is not null && !release.Cudnn.ContainsKey(needed) && !bag.HasErrors)
        {
            var who = requirements.First(r => r.CudnnMajor == needed);
            var fits = catalog.WithCudnn(needed).Where(r => requirements.All(q => q.Allows(r.Version))).Select(r => r.MajorMinor).Distinct().ToList();
            bag.Report(AiErrors.CudnnMissingForCudaVersion, "AiCudaVersion", text, needed, who.Label,
                fits.Count > 0 ? JoinOr(fits) : $"a version with cuDNN {needed} images ({string.Join(", ", catalog.WithCudnn(needed).Select(r => r.MajorMinor).Distinct())})");
        }

        string? reason = null;
        if (requirements.Count > 0 && !bag.HasErrors)
        {
            reason = $"AiCudaVersion {text} is set and fits " + JoinAnd(requirements.Select(r => r.Label).ToList());
            if (!cudnnSet && cudnn is { } added)
                reason += $"; cuDNN {added} added because {requirements.First(r => r.CudnnMajor == added).Label} needs it";
        }
        return new CudaInference(CudaChoice.Explicit, release, cudnn, requirements, reason, bag.Items);
    }

    private static CudaInference CheckBaseImage(string baseImage, List<CudaRequirement> requirements, CudaImageCatalog catalog, FrameworkCudaData data, DiagnosticBag bag)
    {
        // An invalid reference is the mapper's AIC1010.
        var reference = ImageReference.TryParse(baseImage, out _);
        var facts = reference is null ? null : FrameworkImages.Describe(reference, catalog, data);
        var labels = JoinAnd(requirements.Select(r => r.Label).ToList());
        if (facts?.CudaVersion is not { } cuda)
        {
            string? unknown = requirements.Count == 0 ? null
                : facts is not null ? $"AiBaseImage {baseImage}: {facts.Note}, so {labels} were not checked against it"
                : $"AiBaseImage {baseImage} does not name its CUDA version, so {labels} were not checked against it";
            return new CudaInference(CudaChoice.BaseImage, null, facts?.CudnnMajor, requirements, unknown, bag.Items);
        }

        foreach (var requirement in requirements)
        {
            var cudnnClash = facts.CudnnKnown && requirement.CudnnMajor is { } needed && facts.CudnnMajor != needed;
            if (requirement.Allows(cuda) && !cudnnClash) continue;
            var alternative = requirement.AlternativesFor(new Version(cuda.Major, Math.Max(cuda.Minor, 0)), facts.CudnnKnown ? facts.CudnnMajor : null);
            bag.Report(AiErrors.BaseImageCudaMismatch, "AiBaseImage", baseImage, facts.Describe(), requirement.Label, requirement.Needs,
                requirement.Needs, alternative is null ? "" : ", or use " + alternative);
        }
        var reason = $"AiBaseImage {baseImage} has {facts.Describe()} ({facts.Note})" + (requirements.Count > 0 && !bag.HasErrors ? ", which fits " + labels : "");
        return new CudaInference(CudaChoice.BaseImage, catalog.Find(cuda, exactPatch: cuda.Build >= 0), facts.CudnnMajor, requirements, reason, bag.Items);
    }

    private static void CheckCudnn(string text, int? cudnn, List<CudaRequirement> requirements, DiagnosticBag bag)
    {
        foreach (var requirement in requirements.Where(r => r.CudnnMajor is { } needed && needed != cudnn))
            bag.Report(AiErrors.CudnnVersionMismatch, "AiCudnnVersion", text, requirement.Label, requirement.Needs, requirement.CudnnMajor);
    }

    /// <summary>Reports each pair of requirements no single CUDA version (or cuDNN major) can serve.</summary>
    private static bool ReportConflicts(List<CudaRequirement> requirements, CudaImageCatalog catalog, DiagnosticBag bag)
    {
        var any = false;
        for (var i = 0; i < requirements.Count; i++)
        for (var j = i + 1; j < requirements.Count; j++)
        {
            var (a, b) = (requirements[i], requirements[j]);
            var cudnnClash = a.CudnnMajor is { } ca && b.CudnnMajor is { } cb && ca != cb;
            if (!cudnnClash && Universe.Any(v => a.Allows(v) && b.Allows(v))) continue;
            any = true;
            bag.Report(AiErrors.PackagesNeedDifferentCuda, b.Property, a.Property, a.Label, a.Needs, b.Property, b.Label, b.Needs, ConflictFix(a, b, catalog));
        }
        return any;
    }

    /// <summary>Another version of one side that fits the other, trying CUDA versions the catalog has first.</summary>
    private static string ConflictFix(CudaRequirement a, CudaRequirement b, CudaImageCatalog catalog)
    {
        var order = catalog.Releases.Select(r => new Version(r.Version.Major, r.Version.Minor)).Reverse().Distinct().Concat(Universe.Reverse()).ToList();
        foreach (var (keep, change) in new[] { (a, b), (b, a) })
        foreach (var v in order.Where(keep.Allows))
            if (change.AlternativesFor(v, keep.CudnnMajor) is { } alternative)
                return $"{alternative} with {keep.Label}";
        return $"versions of {a.Label.Split(' ', '=')[0]} and {b.Label.Split(' ', '=')[0]} built for the same CUDA version";
    }

    private static Version? Example(CudaRequirement requirement, CudaImageCatalog catalog)
    {
        var fits = catalog.Releases.Where(r => requirement.Allows(r.Version) && (requirement.CudnnMajor is null || r.Cudnn.ContainsKey(requirement.CudnnMajor.Value))).ToList();
        var pick = fits.FirstOrDefault(r => r.Version == catalog.DefaultVersion)
            ?? fits.FirstOrDefault(r => requirement.Preferred is { } p && r.Version.Major == p.Major && r.Version.Minor == p.Minor)
            ?? fits.LastOrDefault(r => r.ListedByNvidia)
            ?? fits.LastOrDefault();
        return pick is null ? null : new Version(pick.Version.Major, pick.Version.Minor);
    }

    // ---------------------------------------------------------------- NuGet packages

    private static void CollectPackages(IReadOnlyList<PackageReferenceInfo> packages, FrameworkCudaData data, List<CudaRequirement> requirements, DiagnosticBag bag)
    {
        const string property = PackageReferenceProperty;
        var libtorchCuda = new Regex(data.TorchSharp.GpuPackagePattern, RegexOptions.IgnoreCase);
        foreach (var package in packages)
        {
            var label = package.Version is null ? package.Name : $"{package.Name} {package.Version}";
            if (Named(data.OnnxRuntime.CpuPackages, package.Name))
                bag.Report(AiErrors.CpuPackageOnGpuImage, property, property, label, "Microsoft.ML.OnnxRuntime.Gpu.Linux (the CUDA build for Linux)");
            else if (Named(data.TorchSharp.CpuPackages, package.Name))
                bag.Report(AiErrors.CpuPackageOnGpuImage, property, property, label, "TorchSharp-cuda-linux, or TorchSharp with a libtorch-cuda-X.Y-linux-x64 package");
            else if (Named(data.OnnxRuntime.GpuPackages, package.Name))
                AddRow(package, label, data.OnnxRuntime.Releases, ship: false, requirements, bag);
            else if (Named(data.TorchSharp.GpuPackages, package.Name))
                AddRow(package, label, data.TorchSharp.Releases, ship: true, requirements, bag);
            else if (libtorchCuda.Match(package.Name) is { Success: true } match)
            {
                var cuda = CudaRequirement.MajorMinor(match.Groups["cuda"].Value);
                requirements.Add(new CudaRequirement(property, label, CudaMatch.Major, new[] { cuda }, cuda, null,
                    $"{label} ships CUDA {CudaRequirement.Text(cuda)} libraries (needs CUDA {cuda.Major}.x)"));
            }
        }
    }

    /// <summary>A package whose version ranges map to CUDA builds (ONNX Runtime, TorchSharp-cuda-linux).</summary>
    private static void AddRow(PackageReferenceInfo package, string label, IReadOnlyList<FrameworkCudaData.PackageRow> rows, bool ship, List<CudaRequirement> requirements, DiagnosticBag bag)
    {
        var version = package.ParsedVersion;
        var row = version is null ? null : rows.FirstOrDefault(r => r.Contains(version));
        if (row is null)
        {
            bag.Report(AiErrors.FrameworkVersionNotInData, PackageReferenceProperty, PackageReferenceProperty, package.Version is null ? package.Name + " (no version)" : label,
                $"{package.Name} {Trim(rows[0].MinVersion)} to {LastBefore(rows[^1].MaxVersionExclusive)}");
            return;
        }
        var (major, minor) = FrameworkCudaData.ParseCuda(row.Cuda);
        var cuda = new Version(major, Math.Max(minor, 0));
        var why = ship
            ? $"{label} ships CUDA {row.Cuda} libraries (needs CUDA {major}.x)"
            : $"{label} needs CUDA {major}" + (row.Cudnn is { } c ? $" + cuDNN {c}" : "");
        requirements.Add(new CudaRequirement(PackageReferenceProperty, label, CudaMatch.Major, new[] { cuda }, minor >= 0 ? cuda : null, ship ? null : row.Cudnn, why)
        {
            AlternativesFor = (wanted, cudnn) =>
            {
                var fit = rows.Where(r => FrameworkCudaData.ParseCuda(r.Cuda).Major == wanted.Major && (ship || cudnn is null || r.Cudnn == cudnn)).ToList();
                return fit.Count == 0 ? null : $"{package.Name} {Trim(fit[0].MinVersion)} to {LastBefore(fit[^1].MaxVersionExclusive)}";
            },
        });
    }

    // ---------------------------------------------------------------- Python requirements

    private static void CollectPython(PythonRequirements python, FrameworkCudaData data, List<CudaRequirement> requirements, DiagnosticBag bag)
    {
        const string property = RequirementsProperty;
        foreach (var cpu in data.Python.CpuPackages.Select(python.Find).OfType<PythonRequirement>())
            bag.Report(AiErrors.CpuPackageOnGpuImage, property, property, cpu.Label, PythonGpuName(cpu.Name, data));
        foreach (var cpu in data.Tensorflow.CpuPackages.Select(python.Find).OfType<PythonRequirement>())
            bag.Report(AiErrors.CpuPackageOnGpuImage, property, property, cpu.Label, "tensorflow[and-cuda] (its Linux wheel runs on the GPU)");

        if (python.Find("torch") is { } torch) AddTorch(torch, python.TorchIndexVariant, data, requirements, bag);
        if (data.Tensorflow.Packages.Select(python.Find).OfType<PythonRequirement>().FirstOrDefault() is { } tensorflow) AddTensorflow(tensorflow, data, requirements, bag);
    }

    private static void AddTorch(PythonRequirement torch, string? indexVariant, FrameworkCudaData data, List<CudaRequirement> requirements, DiagnosticBag bag)
    {
        const string property = RequirementsProperty;
        var variant = torch.Local ?? indexVariant;
        var label = torch.Label + (torch.Local is null && indexVariant is not null ? $" (from the whl/{indexVariant} index)" : "");
        if (variant == data.Pytorch.CpuLocalVersion)
        {
            bag.Report(AiErrors.CpuPackageOnGpuImage, property, property, label, "the plain PyPI torch wheel (the CUDA build on Linux) or a +cuXXX build from https://download.pytorch.org/whl/cuXXX");
            return;
        }
        var latest = data.Pytorch.Releases[^1].Version;
        if (torch.MajorMinor is not { } release)
        {
            bag.Report(AiErrors.UnpinnedFramework, property, torch.Name, torch.Specifier.Length == 0 ? "no version" : torch.Specifier, $"torch=={latest}.0");
            return;
        }
        var known = data.Pytorch.Releases.FirstOrDefault(r => r.Version == CudaRequirement.Text(release));
        if (known is null)
        {
            bag.Report(AiErrors.FrameworkVersionNotInData, property, property, label, $"torch {data.Pytorch.Releases[0].Version} to {latest}");
            return;
        }

        var pinned = torch.Specifier.TrimStart('=', '~').Split('+')[0];
        Func<Version, int?, string?> alternatives = (wanted, _) =>
        {
            if (known.Cuda.Any(c => CudaRequirement.MajorMinor(c) == wanted)) return $"torch=={pinned}+{CudaRequirement.CuTag(wanted)}";
            var fit = data.Pytorch.Releases.Where(r => r.Cuda.Any(c => CudaRequirement.MajorMinor(c) == wanted)).ToList();
            return fit.Count == 0 ? null : $"torch {fit[0].Version} to {fit[^1].Version} (+{CudaRequirement.CuTag(wanted)})";
        };

        if (variant is not null && ParseCuTag(variant) is { } built)
        {
            requirements.Add(new CudaRequirement(property, label, CudaMatch.AnyOf, new[] { built }, built, null,
                $"{label} is built for CUDA {CudaRequirement.Text(built)}") { AlternativesFor = alternatives });
            return;
        }
        var wheels = known.Cuda.Select(CudaRequirement.MajorMinor).ToList();
        var pypi = CudaRequirement.MajorMinor(known.Default);
        requirements.Add(new CudaRequirement(property, label, CudaMatch.AnyOf, wheels, pypi, null,
            $"{label} ships {string.Join("/", wheels.Select(CudaRequirement.CuTag))} (PyPI's wheel is {CudaRequirement.CuTag(pypi)})") { AlternativesFor = alternatives });
    }

    private static void AddTensorflow(PythonRequirement tensorflow, FrameworkCudaData data, List<CudaRequirement> requirements, DiagnosticBag bag)
    {
        const string property = RequirementsProperty;
        var latest = data.Tensorflow.Releases[^1].Versions[^1];
        if (tensorflow.MajorMinor is not { } version)
        {
            bag.Report(AiErrors.UnpinnedFramework, property, tensorflow.Name, tensorflow.Specifier.Length == 0 ? "no version" : tensorflow.Specifier, $"tensorflow[and-cuda]=={latest}.0");
            return;
        }
        var release = FindTensorflow(data, version);
        if (release is null)
        {
            bag.Report(AiErrors.FrameworkVersionNotInData, property, property, tensorflow.Label, $"tensorflow {data.Tensorflow.Releases[0].Versions[0]} to {latest}");
            return;
        }
        var bundled = tensorflow.Extras.Contains(data.Tensorflow.BundledExtra);
        var cuda = CudaRequirement.MajorMinor(release.Cuda);
        var why = bundled
            ? $"{tensorflow.Label} brings CUDA {release.Cuda} libraries (needs CUDA {release.Cuda} or a newer {cuda.Major}.x)"
            : $"{tensorflow.Label} is built for CUDA {release.Cuda} + cuDNN {release.CudnnVersion ?? release.Cudnn.ToString(CultureInfo.InvariantCulture)}";
        requirements.Add(new CudaRequirement(property, tensorflow.Label, CudaMatch.MinorOrNewer, new[] { cuda }, cuda, bundled ? null : release.Cudnn, why)
        {
            AlternativesFor = (wanted, cudnn) =>
            {
                var fit = data.Tensorflow.Releases.Where(r =>
                {
                    var c = CudaRequirement.MajorMinor(r.Cuda);
                    return c.Major == wanted.Major && c.Minor <= wanted.Minor && (bundled || cudnn is null || r.Cudnn == cudnn);
                }).SelectMany(r => r.Versions).ToList();
                return fit.Count == 0 ? null : $"{tensorflow.Name}{(bundled ? "[and-cuda]" : "")} {fit[0]} to {fit[^1]}";
            },
            NoImageHint = bundled ? null
                : $"Use {tensorflow.Name}[{data.Tensorflow.BundledExtra}]{tensorflow.Specifier}, which brings its own CUDA and cuDNN libraries, or set AiBaseImage to an image that has CUDA {release.Cuda} with cuDNN {release.Cudnn}",
        });
    }

    internal static FrameworkCudaData.TensorflowRelease? FindTensorflow(FrameworkCudaData data, Version version)
        => data.Tensorflow.Releases.FirstOrDefault(r => r.Versions.Contains(CudaRequirement.Text(new Version(version.Major, version.Minor))));

    // ---------------------------------------------------------------- AiGpu=false

    private static void WarnCudaBuildsOnCpuImage(IReadOnlyList<PackageReferenceInfo> packages, PythonRequirements python, FrameworkCudaData data, DiagnosticBag bag)
    {
        var libtorchCuda = new Regex(data.TorchSharp.GpuPackagePattern, RegexOptions.IgnoreCase);
        foreach (var package in packages)
        {
            var label = package.Version is null ? package.Name : $"{package.Name} {package.Version}";
            if (Named(data.OnnxRuntime.GpuPackages, package.Name))
                bag.Report(AiErrors.GpuPackageOnCpuImage, PackageReferenceProperty, PackageReferenceProperty, label, "Microsoft.ML.OnnxRuntime (the CPU build)");
            else if (Named(data.TorchSharp.GpuPackages, package.Name) || libtorchCuda.IsMatch(package.Name))
                bag.Report(AiErrors.GpuPackageOnCpuImage, PackageReferenceProperty, PackageReferenceProperty, label, "TorchSharp-cpu");
        }

        const string property = RequirementsProperty;
        foreach (var gpu in data.Python.GpuPackages.Select(python.Find).OfType<PythonRequirement>())
            bag.Report(AiErrors.GpuPackageOnCpuImage, property, property, gpu.Label, data.Python.CpuPackages[0]);
        if (python.Find("torch") is { } torch && (torch.Local ?? python.TorchIndexVariant) != data.Pytorch.CpuLocalVersion)
        {
            // On Linux the plain PyPI torch wheel is the CUDA build and pulls gigabytes of nvidia-* wheels.
            var pinned = torch.MajorMinor is null ? "torch" : "torch==" + torch.Specifier.TrimStart('=', '~').Split('+')[0] + "+cpu";
            bag.Report(AiErrors.GpuPackageOnCpuImage, property, property, torch.Label, $"{pinned} with --index-url https://download.pytorch.org/whl/cpu");
        }
        foreach (var tensorflow in data.Tensorflow.Packages.Select(python.Find).OfType<PythonRequirement>().Where(t => t.Extras.Contains(data.Tensorflow.BundledExtra)))
            bag.Report(AiErrors.GpuPackageOnCpuImage, property, property, tensorflow.Label, $"{tensorflow.Name}{tensorflow.Specifier} without [{data.Tensorflow.BundledExtra}]");
    }

    // ---------------------------------------------------------------- text

    private static bool Named(IReadOnlyList<string> names, string name) => names.Contains(name, StringComparer.OrdinalIgnoreCase);

    private static string PythonGpuName(string cpuName, FrameworkCudaData data)
    {
        var index = data.Python.CpuPackages.ToList().FindIndex(n => n.Equals(cpuName, StringComparison.OrdinalIgnoreCase));
        return index >= 0 && index < data.Python.GpuPackages.Count ? data.Python.GpuPackages[index] : cpuName + "'s GPU build";
    }

    /// <summary>"cu126" → 12.6, "cu118" → 11.8, "cu92" → 9.2.</summary>
    internal static Version? ParseCuTag(string variant)
    {
        if (!variant.StartsWith("cu", StringComparison.Ordinal) || variant.Length < 4 || !variant[2..].All(char.IsAsciiDigit)) return null;
        var digits = variant[2..];
        return new Version(int.Parse(digits[..^1], CultureInfo.InvariantCulture), digits[^1] - '0');
    }

    /// <summary>The last release below an exclusive bound: "1.19.0" → "1.18", "0.108.0" → "0.107".</summary>
    private static string LastBefore(string maxExclusive)
    {
        var v = Version.Parse(maxExclusive);
        return v.Build > 0 ? $"{v.Major}.{v.Minor}.{v.Build - 1}" : v.Minor > 0 ? $"{v.Major}.{v.Minor - 1}" : $"{v.Major - 1}.x";
    }

    private static string Trim(string version) => Version.Parse(version) is { Build: 0 } v ? $"{v.Major}.{v.Minor}" : version;

    private static string JoinOr(IReadOnlyList<string> items) => CudaRequirement.JoinOr(items);

    private static string JoinAnd(IReadOnlyList<string> items)
        => items.Count <= 1 ? string.Join("", items) : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];
}
