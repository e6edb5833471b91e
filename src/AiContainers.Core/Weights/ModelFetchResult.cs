using System.Text.Json.Serialization;

namespace AiContainers.Core.Weights;

/// <summary>One fetched file.</summary>
/// <param name="Path">Relative path under the model's <see cref="FetchedModel.TargetDirectory"/> ('/'-separated; for hf:// the path in the repository).</param>
/// <param name="BlobPath">Where its bytes are on the host: the cache blob, or the file itself for a local source.</param>
/// <param name="GitOid">hf:// regular files: the git blob id (huggingface_hub's etag, which names the blob in an HF cache).</param>
public sealed record FetchedFile(string Path, long Size, string Sha256, string BlobPath, string? GitOid = null)
{
    /// <summary>The blob's name in the hf-cache layout, as huggingface_hub names it: the LFS sha256, else the git blob id.</summary>
    [JsonIgnore] public string HfBlobName => GitOid ?? Sha256;
}

/// <summary>One model, fetched and verified.</summary>
/// <param name="Commit">hf://: the 40-hex commit the revision resolved to.</param>
/// <param name="TargetDirectory">The folder in the image the files go under (HF_HOME for the hf-cache layout).</param>
/// <param name="EnvironmentValue">The value of <see cref="EnvironmentVariable"/> in the image (see <see cref="ModelNaming.EnvironmentVariable"/>).</param>
/// <param name="ContentDigest">sha256:&lt;hex&gt; over the canonical listing of what the model puts into the image (<see cref="ModelLayout.Digest"/>).</param>
public sealed record FetchedModel(
    string Name,
    ModelSource Source,
    string? Commit,
    ModelLayoutKind Layout,
    string TargetDirectory,
    string EnvironmentVariable,
    string EnvironmentValue,
    IReadOnlyList<FetchedFile> Files,
    string ContentDigest)
{
    public long TotalSize => Files.Sum(f => f.Size);

    /// <summary>hf://: the licence the Hub's model metadata names (recorded in aicontainers.lock.json at first fetch).</summary>
    public string? License { get; init; }

    /// <summary>
    /// Set when the model was not fetched because the target registry already holds its layer (aicontainers.lock.json
    /// pins it): <see cref="FetchedFile.BlobPath"/>s may not exist, and the daemonless builder references the layer by digest.
    /// </summary>
    public Lock.LockedLayer? RegistryLayer { get; init; }

    /// <summary>What the model came from, for labels: org/repo@commit, the URL without its query, or the local path as written.</summary>
    public string SourceDescription => Source.Kind switch
    {
        ModelSourceKind.HuggingFace => "hf://" + Source.Repository + "@" + Commit,
        ModelSourceKind.Https => ModelSpecMapper.RedactedUrl(Source.Url!),
        _ => Source.Text,
    };
}

/// <summary>Every model of a project. <see cref="ContentDigest"/> covers them all and keys the weights image.</summary>
public sealed record ModelFetchResult(IReadOnlyList<FetchedModel> Models, string ContentDigest, string CacheDirectory)
{
    public static ModelFetchResult Create(IReadOnlyList<FetchedModel> models, string cacheDirectory)
        => new(models, ModelLayout.Digest(models.SelectMany(ModelLayout.Plan)), cacheDirectory);
}
