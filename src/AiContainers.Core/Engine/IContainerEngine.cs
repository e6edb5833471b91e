using AiContainers.Core.Diagnostics;
using AiContainers.Core.Registry;

namespace AiContainers.Core.Engine;

/// <summary>
/// What a build needs: the context folder (with its Dockerfile), the names to tag, and logins for base-image pulls.
/// <paramref name="VerifiedFiles"/>: context files (model cache blobs linked in) whose bytes are checked as they are sent.
/// </summary>
public sealed record EngineBuildRequest(
    string ContextDirectory,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, RegistryCredential> PullCredentials,
    string? NetworkMode = null,
    VerifiedContextFiles? VerifiedFiles = null);

/// <summary>
/// Files of a build context that must still have the SHA-256 they were verified as (context-relative '/'-separated
/// path to hex digest), and the cache they came from, named when one changed (AIC5109).
/// </summary>
/// <param name="LocalPaths">Paths (of <paramref name="Sha256ByPath"/>) that link a local model file, read where it is rather than from the cache.</param>
public sealed record VerifiedContextFiles(IReadOnlyDictionary<string, string> Sha256ByPath, string CacheDirectory, IReadOnlySet<string>? LocalPaths = null);

public sealed record EngineBuildResult(string ImageId, long ContextBytes, int ContextFiles);

public sealed record EnginePushResult(string Digest, long Size);

public sealed record EngineImageInfo(string Id, long Size, IReadOnlyList<string> RepoTags, IReadOnlyList<string> RepoDigests);

/// <summary>
/// The Docker engine as the pipeline sees it. One implementation talks the Engine API
/// (<see cref="DockerEngine"/>); Docker.DotNet types stay behind this interface.
/// </summary>
public interface IContainerEngine : IDisposable
{
    /// <summary>The endpoint in use (DOCKER_HOST, the docker context, or the platform default).</summary>
    string Endpoint { get; }

    /// <summary>Fails fast with AIC3001 when nothing answers.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    Task<EngineBuildResult> BuildAsync(EngineBuildRequest request, IAiLog log, CancellationToken cancellationToken);

    /// <summary>Pushes one tag; errors reported inside the progress stream become <see cref="EnginePushException"/>.</summary>
    Task<EnginePushResult> PushAsync(string name, string tag, RegistryCredential? credential, IAiLog log, CancellationToken cancellationToken);

    Task<EngineImageInfo?> InspectImageAsync(string nameOrId, CancellationToken cancellationToken);

    /// <summary>Loads a docker-archive tarball, as `docker load` does (the daemonless builder without a registry).</summary>
    Task LoadImageAsync(Stream archive, CancellationToken cancellationToken);

    /// <summary>
    /// Reads small regular files out of an image (as `docker cp` from a created, never started container), following
    /// symbolic links inside the image; a path the image lacks is left out of the result.
    /// </summary>
    Task<IReadOnlyDictionary<string, byte[]>> ReadImageFilesAsync(string image, IReadOnlyList<string> paths, long maxBytesEach, CancellationToken cancellationToken);
}

/// <summary>A push error the engine reported in-band, with what kind of failure it looks like.</summary>
public sealed class EnginePushException : Exception
{
    public EnginePushException(string message, PushFailureKind kind) : base(message) => Kind = kind;
    public PushFailureKind Kind { get; }
}

public enum PushFailureKind { Transient, Unauthorized, Denied, NotFound, Other }
