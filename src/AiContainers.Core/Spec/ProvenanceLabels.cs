using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Spec;

/// <summary>
/// What a publish records about where an image came from, beyond the OCI source/revision/created labels
/// (<see cref="Generation.ImageLabels"/> adds those from <see cref="ImageMetadata"/>): whether an SBOM is made (AiSbom),
/// and the digest of the lock file the publish started from. Mapped once; the labels and the SBOM read it.
/// </summary>
/// <param name="Sbom">AiSbom (default true): write sbom.cdx.json beside image.json and push it as a referrer.</param>
/// <param name="LockFileSha256">sha256:&lt;hex&gt; of the lock file's bytes as the publish found it; null when there is none.</param>
public sealed record ProvenanceSpec(bool Sbom, string? LockFileSha256)
{
    public static readonly ProvenanceSpec Default = new(true, null);

    /// <summary>The lock file's name beside the project when AiLockFile does not name another.</summary>
    public const string DefaultLockFileName = "aicontainers.lock.json";

    /// <summary>The property the task sets (never the project) with the digest it computed, so mapping stays free of I/O.</summary>
    public const string LockFileDigestProperty = "_AiLockFileSha256";

    /// <summary>Where the lock file is: AiLockFile (relative to the project folder) or aicontainers.lock.json beside the project.</summary>
    public static string LockFilePath(ProjectInputs input)
        => Path.GetFullPath(input.Get("AiLockFile") ?? DefaultLockFileName, input.Get("MSBuildProjectDirectory") ?? ".");

    public static ProvenanceSpec Map(ProjectInputs input, DiagnosticBag bag)
    {
        var sbom = AiImageSpecMapper.ParseBool(input, bag, "AiSbom", true);
        var digest = input.Get(LockFileDigestProperty);
        return new ProvenanceSpec(sbom, digest is not null && Oci.Registry.RegistryDigest.IsSha256(digest) ? digest : null);
    }
}

/// <summary>
/// The provenance labels: which builder ran, the lock file's digest, and where the image's SBOM is found.
/// The same facts head the SBOM's metadata (<see cref="Core.Sbom.CycloneDxWriter"/>), so both say one thing.
/// </summary>
public static class ProvenanceLabels
{
    public const string Builder = "ai.containers.builder";
    public const string LockDigest = "ai.containers.lock.digest";
    /// <summary>The SBOM's media type with its version (CycloneDX's registered form); its bare type is the referrer's artifactType.</summary>
    public const string SbomLabel = "ai.containers.sbom";

    /// <summary>The labels that say where an image came from; the SBOM's metadata repeats exactly these, as the image carries them.</summary>
    public static readonly IReadOnlyList<string> FactNames = new[]
    {
        "org.opencontainers.image.source", "org.opencontainers.image.revision", "org.opencontainers.image.created",
        "ai.containers.generator", Builder, LockDigest,
    };

    public static IReadOnlyList<NameValue> For(AiImageSpec spec)
    {
        var labels = new List<NameValue>();
        // AiImageBuilder=None builds nothing here: whoever builds the Dockerfile is the builder, and no SBOM is written.
        if (spec.Build.Builder is AiImageBuilderKind.Docker or AiImageBuilderKind.Daemonless)
        {
            labels.Add(new(Builder, BuilderName(spec)));
            if (spec.Provenance.Sbom) labels.Add(new(SbomLabel, Core.Sbom.CycloneDxWriter.MediaTypeWithVersion));
        }
        if (spec.Provenance.LockFileSha256 is { } digest) labels.Add(new(LockDigest, digest));
        return labels;
    }

    /// <summary>e.g. "AiContainers 0.1.0 Daemonless".</summary>
    public static string BuilderName(AiImageSpec spec) => $"AiContainers {spec.Metadata.GeneratorVersion} {spec.Build.Builder}";
}
