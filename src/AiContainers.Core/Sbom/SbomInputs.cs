namespace AiContainers.Core.Sbom;

/// <summary>A licence as its source states it: an SPDX expression (a nuspec's &lt;license type="expression"&gt;), a name (a Hub model card's "license"), or a URL.</summary>
public sealed record SbomLicense(string? Expression = null, string? Name = null, string? Url = null);

/// <summary>A NuGet or Python package as restore or pip resolved it.</summary>
public sealed record SbomPackage(string Name, string Version, SbomLicense? License = null);

/// <summary>A Debian package as the image's dpkg status lists it.</summary>
/// <param name="Requested">Installed because AiSystemPackages names it (the rest came with the base or as dependencies).</param>
public sealed record SbomOsPackage(string Name, string Version, string? Architecture, bool Requested);

/// <summary>One model file: its path under the model's folder, its sha256 (hex) and size.</summary>
public sealed record SbomModelFile(string Path, string Sha256, long Size);

/// <summary>One model: where it came from, the revision it resolved to, its licence where known, and its files.</summary>
/// <param name="Source">hf://org/repo, the URL without its query, or the local path as written.</param>
/// <param name="Purl">pkg:huggingface/… for a Hub model; null for other sources.</param>
public sealed record SbomModel(string Name, string Source, string? Revision, string? Purl, string ContentDigest, SbomLicense? License, IReadOnlyList<SbomModelFile> Files);

/// <summary>The image the SBOM describes, or its base: a repository (registry/repository) and a tag and/or manifest digest.</summary>
public sealed record SbomImage(string Repository, string? Tag, string? Digest);

/// <summary>Which OS the image's packages are for (ID and VERSION_ID of /etc/os-release), for their purls.</summary>
public sealed record SbomOsRelease(string Id, string? VersionId);

/// <summary>Everything one SBOM says. Lists may come in any order: the writer sorts.</summary>
/// <param name="Provenance">The provenance labels (name/value), repeated as the SBOM's metadata properties.</param>
/// <param name="Created">SOURCE_DATE_EPOCH or AiImageCreated as ISO-8601; null leaves the timestamp out rather than take the clock.</param>
/// <param name="OsPackagesSource">What the OS packages were read from, e.g. "the image's /var/lib/dpkg/status"; null when none were read.</param>
public sealed record SbomInputs(
    SbomImage Image,
    SbomImage Base,
    string GeneratorVersion,
    string? Created,
    IReadOnlyList<KeyValuePair<string, string>> Provenance,
    IReadOnlyList<SbomPackage> NuGetPackages,
    IReadOnlyList<SbomPackage> PythonPackages,
    IReadOnlyList<SbomOsPackage> OsPackages,
    SbomOsRelease? OsRelease,
    string? OsPackagesSource,
    IReadOnlyList<SbomModel> Models);
