using System.Text.RegularExpressions;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Cuda;

/// <summary>Turns AiCudaVersion / AiCudnnVersion / AiCudaFlavor / AiBaseOs into one nvidia/cuda tag, or says what exists.</summary>
public static partial class CudaBaseResolver
{
    [GeneratedRegex(@"^\d+\.\d+(\.\d+)?$")]
    private static partial Regex CudaVersionRegex();

    [GeneratedRegex(@"^(?<version>\d+\.\d+\.\d+)-(?:(?<cudnn>cudnn\d*)-)?(?<flavor>base|runtime|devel)-(?<os>[a-z]+\d+(?:\.\d+)?)$")]
    private static partial Regex CudaTagRegex();

    public static bool TryParseFlavor(string? text, out CudaFlavor flavor)
    {
        flavor = CudaFlavor.Runtime;
        if (text is null) return true;
        return Enum.TryParse(text, ignoreCase: true, out flavor) && Enum.IsDefined(flavor) && !int.TryParse(text, out _);
    }

    /// <summary>Parses an AiCudnnVersion value: null/none means no cuDNN; '9' or '9.3' means major 9.</summary>
    public static bool TryParseCudnn(string? text, out int? major)
    {
        major = null;
        if (text is null || text.Equals("none", StringComparison.OrdinalIgnoreCase) || text.Equals("false", StringComparison.OrdinalIgnoreCase)) return true;
        var head = text.Split('.')[0];
        if (int.TryParse(head, out var m) && m is 8 or 9 && Regex.IsMatch(text, @"^\d+(\.\d+)*$")) { major = m; return true; }
        return false;
    }

    /// <summary>
    /// Resolves the four properties to one catalog image. Each property's own syntax is checked first and every
    /// problem there is reported at once; the checks that combine them (cuDNN for this CUDA, the OS for both)
    /// run only when their inputs are valid, since their advice would otherwise be built on a wrong value.
    /// </summary>
    public static CudaBaseSpec? Resolve(CudaImageCatalog catalog, string cudaText, string? cudnnText, string? flavorText, string? osText, DiagnosticBag diagnostics)
    {
        CudaRelease? release = null;
        if (!CudaVersionRegex().IsMatch(cudaText)) diagnostics.Report(AiErrors.MalformedCudaVersion, "AiCudaVersion", cudaText);
        else
        {
            release = catalog.Find(Version.Parse(cudaText), exactPatch: cudaText.Split('.').Length == 3);
            if (release is null) diagnostics.Report(AiErrors.UnknownCudaVersion, "AiCudaVersion", cudaText, string.Join(", ", catalog.Releases.Select(r => r.Version)));
        }

        var cudnnValid = TryParseCudnn(cudnnText, out var cudnn);
        if (!cudnnValid) diagnostics.Report(AiErrors.InvalidCudnnVersion, "AiCudnnVersion", cudnnText);
        var flavorValid = TryParseFlavor(flavorText, out var flavor);
        if (!flavorValid) diagnostics.Report(AiErrors.UnknownEnumValue, "AiCudaFlavor", "AiCudaFlavor", flavorText, "runtime, base, devel");
        var combinationValid = true;
        if (cudnnValid && flavorValid && cudnn is not null && flavor == CudaFlavor.Base) { diagnostics.Report(AiErrors.CudnnWithBaseFlavor, "AiCudaFlavor"); combinationValid = false; }
        if (release is null || !cudnnValid || !flavorValid || !combinationValid) return null;

        if (cudnn is { } major && !release.Cudnn.ContainsKey(major))
        {
            var with = catalog.WithCudnn(major).ToList();
            var range = with.Count == 0 ? $"the catalog has no cuDNN {major} images" : $"cuDNN {major} tags exist for CUDA {with.First().Version} to {with.Last().Version}";
            var others = release.Cudnn.Keys.Select(k => k.ToString()).ToList();
            var fix = others.Count > 0
                ? $"AiCudnnVersion to {string.Join(" or ", others)}" + (with.Count > 0 ? $", or AiCudaVersion to {(with.Last().Version < release.Version ? with.Last().MajorMinor + " or older" : with.First().MajorMinor + " or newer")}" : "")
                : (with.Count > 0 ? $"AiCudaVersion to {with.Last().MajorMinor}, or AiCudnnVersion to none" : "AiCudnnVersion to none");
            diagnostics.Report(AiErrors.CudnnNotAvailable, "AiCudnnVersion", cudnnText, release.Version, range, fix);
            return null;
        }

        var oses = cudnn is { } m2 ? release.Cudnn[m2].Os : release.Os;
        string os;
        if (osText is not null)
        {
            if (!oses.Contains(osText, StringComparer.OrdinalIgnoreCase))
            {
                diagnostics.Report(AiErrors.BaseOsNotAvailable, "AiBaseOs", osText, release.Version, cudnn is null ? "" : $" with cuDNN {cudnn}", string.Join(", ", oses));
                return null;
            }
            os = osText.ToLowerInvariant();
        }
        else
        {
            os = oses.OrderByDescending(CudaImageCatalog.OsVersion).First();
        }

        return new CudaBaseSpec(release.Version.ToString(), cudnn, flavor, os, release.RequireCuda, FromCatalog: true);
    }

    /// <summary>Reads the CUDA facts out of an explicit nvidia/cuda reference, so labels and checks still know them.</summary>
    public static CudaBaseSpec? FromExplicitImage(CudaImageCatalog catalog, Images.ImageReference reference)
    {
        if (reference.EffectiveRepository != CudaImageCatalog.Repository || reference.Tag is null) return null;
        var match = CudaTagRegex().Match(reference.Tag);
        if (!match.Success) return null;
        var version = Version.Parse(match.Groups["version"].Value);
        int? cudnn = null;
        if (match.Groups["cudnn"].Success)
        {
            var digits = match.Groups["cudnn"].Value["cudnn".Length..];
            cudnn = digits.Length > 0 ? int.Parse(digits) : 9;
        }
        TryParseFlavor(match.Groups["flavor"].Value, out var flavor);
        // Only a tag the catalog lists has a known NVIDIA_REQUIRE_CUDA.
        return new CudaBaseSpec(version.ToString(), cudnn, flavor, match.Groups["os"].Value, catalog.Find(version, exactPatch: true)?.RequireCuda, FromCatalog: false);
    }
}
