using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Publishing;

/// <summary>What every builder gets: the spec, the generated context, and the fetched models.</summary>
public sealed record ImageBuildInputs(
    AiImageSpec Spec,
    string ContextDirectory,
    ModelFetchResult? Models,
    string? WeightsContextDirectory,
    string? NetworkMode);

/// <summary>
/// One build-and-push session: the Docker engine (<see cref="DockerImageBuilder"/>) or the registries
/// directly (<see cref="DaemonlessImageBuilder"/>). <see cref="PreflightAsync"/> runs before any model is
/// fetched, so a missing engine or an unreachable registry fails in seconds, not after gigabytes.
/// </summary>
public interface IImageBuilder : IDisposable
{
    Task PreflightAsync(AiImageSpec spec, CancellationToken cancellationToken);

    Task<PublishedImage> BuildAndPushAsync(ImageBuildInputs inputs, CancellationToken cancellationToken);

    /// <summary>After <see cref="BuildAndPushAsync"/>: what the SBOM needs to know that only the builder knows (the base's digest, files of the image).</summary>
    Task<Sbom.ImageInventory> InventoryAsync(ImageBuildInputs inputs, PublishedImage image, CancellationToken cancellationToken);

    /// <summary>
    /// The client this session pushed to <paramref name="registry"/> with, if any (its connection open, its token
    /// fetched), for a push that follows the image's: the SBOM referrer. Not the caller's to dispose.
    /// </summary>
    Oci.Registry.RegistryClient? PushClient(string registry) => null;
}
