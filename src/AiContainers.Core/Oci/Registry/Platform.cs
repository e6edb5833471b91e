using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Oci.Registry;

/// <summary>
/// An image platform as OCI indexes and Docker manifest lists name it (os/architecture/variant).
/// Architecture aliases are normalised the way containerd's platforms package does (x86_64 is amd64,
/// aarch64 is arm64), and arm64's implicit variant is v8, so linux/arm64 and linux/arm64/v8 match.
/// </summary>
public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    public static readonly Platform LinuxAmd64 = new("linux", "amd64");
    public static readonly Platform LinuxArm64 = new("linux", "arm64", "v8");

    /// <summary>Parses os/architecture[/variant]; <paramref name="property"/> names the setting in the coded error.</summary>
    public static Platform Parse(string text, string property = "platform")
    {
        var parts = (text ?? "").Trim().ToLowerInvariant().Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
            throw new AiException(AiErrors.InvalidPlatform, property, property, text);
        return Normalize(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    /// <summary>The platform of a .NET runtime identifier (linux-x64, linux-musl-arm64, ...).</summary>
    public static Platform FromRuntimeIdentifier(string runtimeIdentifier)
    {
        var rid = (runtimeIdentifier ?? "").Trim().ToLowerInvariant();
        var dash = rid.LastIndexOf('-');
        var os = dash < 0 ? "" : rid[..dash];
        if (!(os == "linux" || os.StartsWith("linux-", StringComparison.Ordinal)))
            throw new AiException(AiErrors.UnsupportedRuntimeIdentifier, "RuntimeIdentifier", runtimeIdentifier);
        return rid[(dash + 1)..] switch
        {
            "x64" => LinuxAmd64,
            "arm64" => LinuxArm64,
            "arm" => new Platform("linux", "arm", "v7"),
            "x86" => new Platform("linux", "386"),
            "s390x" => new Platform("linux", "s390x"),
            "ppc64le" => new Platform("linux", "ppc64le"),
            "riscv64" => new Platform("linux", "riscv64"),
            _ => throw new AiException(AiErrors.UnsupportedRuntimeIdentifier, "RuntimeIdentifier", runtimeIdentifier),
        };
    }

    /// <summary>Normalises aliases; an empty variant becomes null (except arm64, whose default is v8).</summary>
    public static Platform Normalize(string os, string architecture, string? variant)
    {
        os = os.ToLowerInvariant();
        architecture = architecture.ToLowerInvariant() switch
        {
            "x86_64" or "x86-64" => "amd64",
            "aarch64" => "arm64",
            "i386" => "386",
            var a => a,
        };
        variant = string.IsNullOrEmpty(variant) ? null : variant.ToLowerInvariant();
        if (architecture == "arm64" && variant is null or "8") variant = "v8";
        if (architecture == "arm" && variant is { Length: 1 } digit && char.IsAsciiDigit(digit[0])) variant = "v" + digit;
        return new Platform(os, architecture, variant);
    }

    /// <summary>
    /// Whether an image of platform <paramref name="candidate"/> runs as this one: same os and
    /// architecture, and the same variant when this one names a variant.
    /// </summary>
    public bool Accepts(Platform candidate)
    {
        var want = Normalize(Os, Architecture, Variant);
        var have = Normalize(candidate.Os, candidate.Architecture, candidate.Variant);
        return want.Os == have.Os && want.Architecture == have.Architecture && (want.Variant is null || want.Variant == have.Variant);
    }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
