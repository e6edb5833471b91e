namespace AiContainers.Core.Sbom;

/// <summary>
/// What a builder can say about the image's contents beyond the spec, for the SBOM: the base's manifest digest and,
/// where the image exists on this machine (the Docker builder), files read from it. The daemonless builder never
/// downloads base layers for this, so it reports the base by digest and no file.
/// </summary>
/// <param name="BaseDigest">The digest the base reference resolved to (an index or a manifest); null when unknown.</param>
/// <param name="DpkgStatus">/var/lib/dpkg/status of the built image: the base's packages and AiSystemPackages.</param>
/// <param name="OsRelease">/etc/os-release of the built image.</param>
/// <param name="PipList">The python-builder stage's <c>pip list --format json</c> (<see cref="PipListReader.FileName"/>).</param>
/// <param name="PipListPath">Where <see cref="PipList"/> was looked for, when it was; named in AIC7521.</param>
public sealed record ImageInventory(string? BaseDigest, string? DpkgStatus = null, string? OsRelease = null, string? PipList = null, string? PipListPath = null);
