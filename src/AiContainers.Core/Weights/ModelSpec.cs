using System.Text;
using System.Text.Json.Serialization;

namespace AiContainers.Core.Weights;

public enum ModelSourceKind { HuggingFace, Https, Local }

/// <summary>How a model's files are placed at its Target.</summary>
public enum ModelLayoutKind
{
    /// <summary>Target/&lt;path in the repository or folder&gt;; for a single file, Target is the file.</summary>
    Files,

    /// <summary>
    /// Target is an HF_HOME: hub/models--org--name/{blobs,snapshots/&lt;commit&gt;,refs/main}, so
    /// huggingface_hub's from_pretrained("org/name") finds the model with HF_HUB_OFFLINE=1.
    /// </summary>
    HfCache,
}

/// <summary>
/// Where a model comes from. One flat record (not a hierarchy) so it serialises plainly into
/// spec.json and templates read it without type tests.
/// </summary>
/// <param name="Text">The Source metadata as written, for labels and messages.</param>
/// <param name="Repository">hf://: the repo id (org/name or name).</param>
/// <param name="Revision">hf://: the branch, tag or commit after '@'; null means main.</param>
/// <param name="Url">https://: the absolute URL.</param>
/// <param name="LocalPath">local: the full path of the file or folder.</param>
public sealed record ModelSource(ModelSourceKind Kind, string Text, string? Repository = null, string? Revision = null, string? Url = null, string? LocalPath = null)
{
    public const string DefaultRevision = "main";

    [JsonIgnore] public string RevisionOrDefault => Revision ?? DefaultRevision;

    /// <summary>True when the hf:// revision is already a 40-hex commit, so no API call is needed to resolve it.</summary>
    [JsonIgnore] public bool IsPinnedCommit => Revision is { } r && ModelNaming.IsCommit(r);
}

/// <summary>One validated AiModel item.</summary>
/// <param name="Name">The item's Include: names the default Target and the environment variable.</param>
/// <param name="Files">Include globs (hf:// and local folders); empty means every file.</param>
/// <param name="Exclude">ExcludeFiles globs applied after <paramref name="Files"/> (the metadata cannot be called Exclude: MSBuild takes that name).</param>
/// <param name="Sha256">Expected SHA-256 (lowercase hex) of a single-file source.</param>
/// <param name="Target">
/// The ContainerPath metadata: absolute path in the image. For a single file (https:// or a local file) an explicit Target is the
/// file's own path; otherwise it is a folder. For <see cref="ModelLayoutKind.HfCache"/> it is HF_HOME.
/// </param>
/// <param name="TargetIsExplicit">Whether Target came from the item rather than the default.</param>
/// <param name="FileName">https:// only: the file's name in the image (from ContainerPath, else the URL's last segment).</param>
/// <param name="Size">https:// only: the Size metadata, the file's length in bytes; it bounds the download.</param>
public sealed record ModelSpec(
    string Name,
    ModelSource Source,
    IReadOnlyList<string> Files,
    IReadOnlyList<string> Exclude,
    string? Sha256,
    bool AllowUnverified,
    string Target,
    bool TargetIsExplicit,
    ModelLayoutKind Layout,
    string? FileName = null,
    long? Size = null)
{
    /// <summary>The variable that holds the model's path in the image: see <see cref="ModelNaming.EnvironmentVariable"/>.</summary>
    public string EnvironmentVariable => ModelNaming.EnvironmentVariable(Name);
}

/// <summary>Naming rules shared by the mapper, the fetcher and the image generator.</summary>
public static class ModelNaming
{
    public const string DefaultTargetRoot = "/models";

    /// <summary>HF_HOME in the image for <see cref="ModelLayoutKind.HfCache"/> models without a Target.</summary>
    public const string DefaultHfHome = "/models/huggingface";

    /// <summary>
    /// Each model's path in the image is exported as <c>AI_MODEL_&lt;NAME&gt;_PATH</c>, where NAME is the
    /// AiModel Include uppercased with every character other than A-Z and 0-9 replaced by '_'
    /// (bert-base → AI_MODEL_BERT_BASE_PATH). The value is the model's folder, the file itself for a
    /// single-file model, or the snapshot folder (hub/models--org--name/snapshots/&lt;commit&gt;) for the
    /// hf-cache layout.
    /// </summary>
    public static string EnvironmentVariable(string name)
    {
        var builder = new StringBuilder("AI_MODEL_", name.Length + 14);
        foreach (var c in name.ToUpperInvariant()) builder.Append(c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') ? c : '_');
        return builder.Append("_PATH").ToString();
    }

    public static string DefaultTarget(string name) => DefaultTargetRoot + "/" + name;

    /// <summary>huggingface_hub's cache folder name for a model repo: models--org--name.</summary>
    public static string HfCacheFolder(string repository) => "models--" + repository.Replace("/", "--", StringComparison.Ordinal);

    public static bool IsCommit(string revision)
        => revision.Length == 40 && revision.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    public static bool IsSha256(string value)
        => value.Length == 64 && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
