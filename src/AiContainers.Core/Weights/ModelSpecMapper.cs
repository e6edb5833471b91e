using System.Text.RegularExpressions;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Weights;

/// <summary>
/// Maps AiModel items onto <see cref="ModelSpec"/>s and validates them. Pure like the spec mapper:
/// no file system (a local Source is only made absolute), no network; every problem goes into the bag
/// with Property "AiModel".
/// </summary>
/// <remarks>
/// <c>&lt;AiModel Include="name" Source="hf://org/repo[@revision] | https://… | local path"
/// Files="glob;glob" ExcludeFiles="glob" Sha256="…" ContainerPath="/models/name" AllowUnverified="true"
/// Layout="files|hf-cache" Size="bytes (https:// only)" /&gt;</c>
/// </remarks>
public static partial class ModelSpecMapper
{
    public const string Property = "AiModel";

    // Metadata names. MSBuild reserves "Target" on items (MSB4066 before any target runs) and treats
    // "Exclude" as the item's exclude attribute (the globs never reach us), so neither can be used here.
    public const string FilesMetadata = "Files";
    public const string ExcludeFilesMetadata = "ExcludeFiles";
    public const string ContainerPathMetadata = "ContainerPath";
    public const string SizeMetadata = "Size";

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]*$")] private static partial Regex NameRegex();

    // huggingface_hub's validate_repo_id: optional namespace, then a name of [\w.-], at most 96 characters.
    [GeneratedRegex(@"^([A-Za-z0-9][A-Za-z0-9_.-]*/)?[A-Za-z0-9][A-Za-z0-9_.-]*$")] private static partial Regex RepoIdRegex();

    // A git ref name or a commit: no spaces, '~^:?*[\' or '..'; refs/pr/1 and v1.0 are fine.
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")] private static partial Regex RevisionRegex();

    public static IReadOnlyList<ModelSpec> Map(IReadOnlyList<InputItem> aiModelItems, string projectDirectory, DiagnosticBag bag)
    {
        var models = new List<ModelSpec>();
        foreach (var item in aiModelItems)
        {
            var model = MapOne(item, projectDirectory, bag);
            if (model is not null) models.Add(model);
        }
        CheckCollisions(models, bag);
        return models;
    }

    private static ModelSpec? MapOne(InputItem item, string projectDirectory, DiagnosticBag bag)
    {
        var name = item.Include.Trim();
        var ok = true;
        if (!NameRegex().IsMatch(name)) { bag.Report(AiErrors.InvalidModelName, Property, name); ok = false; }

        var source = MapSource(name, item.Get("Source"), projectDirectory, bag);
        ok &= source is not null;

        var allowUnverified = ParseBool(item, name, "AllowUnverified", bag, ref ok);
        var layout = MapLayout(item, name, source, bag, ref ok);

        var sha256 = item.Get("Sha256")?.ToLowerInvariant();
        if (sha256 is not null)
        {
            if (sha256.StartsWith("sha256:", StringComparison.Ordinal)) sha256 = sha256["sha256:".Length..];
            if (!ModelNaming.IsSha256(sha256)) { bag.Report(AiErrors.InvalidModelSha256, Property, name, item.Get("Sha256")); ok = false; }
            else if (source?.Kind == ModelSourceKind.HuggingFace)
            {
                bag.Report(AiErrors.ModelMetadataNotApplicable, Property, name, "Sha256", "hf:// sources (each file is verified against the Hub's LFS SHA-256; pin the revision to fix the content)");
                ok = false;
            }
        }
        if (source?.Kind == ModelSourceKind.Https)
        {
            if (sha256 is null && !allowUnverified) { bag.Report(AiErrors.MissingModelSha256, Property, name, RedactedUrl(source.Url!)); ok = false; }
            else if (sha256 is null) bag.Report(AiErrors.UnverifiedModelDownload, Property, name, RedactedUrl(source.Url!));
            foreach (var metadata in new[] { FilesMetadata, ExcludeFilesMetadata })
                if (item.Get(metadata) is not null) { bag.Report(AiErrors.ModelMetadataNotApplicable, Property, name, metadata, "an https:// source (it is one file)"); ok = false; }
        }
        long? size = null;
        if (item.Get(SizeMetadata) is { } sizeText)
        {
            if (source is not null && source.Kind != ModelSourceKind.Https)
            {
                bag.Report(AiErrors.ModelMetadataNotApplicable, Property, name, SizeMetadata, "hf:// and local sources (the Hub's file list and the file system give the sizes)");
                ok = false;
            }
            else if (long.TryParse(sizeText.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes > 0) size = bytes;
            else { bag.Report(AiErrors.InvalidModelSize, Property, name, sizeText); ok = false; }
        }
        if (source?.Kind == ModelSourceKind.HuggingFace && !source.IsPinnedCommit)
            bag.Report(AiErrors.UnpinnedHfRevision, Property, name, source.Text, source.RevisionOrDefault, source.Repository);

        var files = MapGlobs(item, name, FilesMetadata, bag, ref ok);
        var exclude = MapGlobs(item, name, ExcludeFilesMetadata, bag, ref ok);

        var explicitTarget = item.Get(ContainerPathMetadata);
        var target = explicitTarget?.TrimEnd('/') ?? (layout == ModelLayoutKind.HfCache ? ModelNaming.DefaultHfHome : ModelNaming.DefaultTarget(name));
        if (explicitTarget is not null)
        {
            var problem = !explicitTarget.StartsWith('/') ? "is not an absolute path"
                : explicitTarget.Contains('\\') ? "contains '\\'"
                : explicitTarget.Split('/').Any(s => s is ".." or ".") ? "contains '.' or '..' segments"
                : target.Length == 0 ? "is the image's root folder"
                : explicitTarget.Any(char.IsControl) ? "contains control characters"
                : null;
            if (problem is not null) { bag.Report(AiErrors.InvalidModelTarget, Property, name, explicitTarget, problem); ok = false; }
        }

        string? fileName = null;
        if (source?.Kind == ModelSourceKind.Https)
        {
            fileName = explicitTarget is not null ? target[(target.LastIndexOf('/') + 1)..] : UrlFileName(new Uri(source.Url!));
            if (fileName is null || ModelFileSelector.UnsafePathReason(fileName) is not null || fileName.Contains('/'))
            {
                bag.Report(AiErrors.InvalidModelTarget, Property, name, explicitTarget ?? "(unset)", "is needed because the URL's path does not end in a usable file name");
                ok = false;
            }
            else if (explicitTarget is null) target = target + "/" + fileName;
        }

        if (!ok || source is null) return null;
        return new ModelSpec(name, source, files, exclude, sha256, allowUnverified, target, explicitTarget is not null, layout, fileName, size);
    }

    private static ModelSource? MapSource(string name, string? text, string projectDirectory, DiagnosticBag bag)
    {
        if (text is null) { bag.Report(AiErrors.MissingModelSource, Property, name); return null; }

        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd > 0 ? text[..schemeEnd].ToLowerInvariant() : null;
        switch (scheme)
        {
            case "hf":
                return MapHf(name, text, text[(schemeEnd + 3)..], bag);
            case "https":
                if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Host.Length == 0)
                {
                    bag.Report(AiErrors.UnsupportedModelSource, Property, name, text, "https (not a valid URL)");
                    return null;
                }
                if (url.UserInfo.Length > 0) { bag.Report(AiErrors.CredentialsInModelUrl, Property, name); return null; }
                return new ModelSource(ModelSourceKind.Https, text, Url: url.AbsoluteUri);
            case null:
                // No scheme: a path relative to the project (or absolute). file: URLs are paths too, but say so.
                if (text.Length > 1 && text[1] == ':' && !OperatingSystem.IsWindows()) goto default;
                return new ModelSource(ModelSourceKind.Local, text, LocalPath: Path.GetFullPath(Path.Combine(projectDirectory, text)));
            default:
                bag.Report(AiErrors.UnsupportedModelSource, Property, name, text, scheme ?? text[..2]);
                return null;
        }
    }

    private static ModelSource? MapHf(string name, string text, string reference, DiagnosticBag bag)
    {
        var at = reference.IndexOf('@');
        var repository = at >= 0 ? reference[..at] : reference;
        var revision = at >= 0 ? reference[(at + 1)..] : null;

        string? problem = null;
        if (repository.StartsWith("datasets/", StringComparison.Ordinal) || repository.StartsWith("spaces/", StringComparison.Ordinal))
            problem = "only model repositories are supported";
        else if (!RepoIdRegex().IsMatch(repository) || repository.Length > 96 || repository.Contains("--", StringComparison.Ordinal) || repository.Contains("..", StringComparison.Ordinal)
                 || repository.EndsWith('.') || repository.EndsWith('-'))
            problem = $"'{repository}' is not a repo id (org/name of letters, digits, '.', '_' and '-')";
        else if (revision is not null && revision.Length == 0)
            problem = "the revision after '@' is empty";
        else if (revision is not null && (!RevisionRegex().IsMatch(revision) || revision.Contains("..", StringComparison.Ordinal) || revision.EndsWith('/') || revision.Contains("//", StringComparison.Ordinal)))
            problem = $"'{revision}' is not a branch, tag or commit";
        else if (revision is not null && revision.Length == 40 && revision.All(Uri.IsHexDigit) && !ModelNaming.IsCommit(revision))
            problem = $"commit '{revision}' must be lowercase hex";

        if (problem is not null) { bag.Report(AiErrors.InvalidHfSource, Property, name, text, problem); return null; }
        return new ModelSource(ModelSourceKind.HuggingFace, text, Repository: repository, Revision: revision);
    }

    private static ModelLayoutKind MapLayout(InputItem item, string name, ModelSource? source, DiagnosticBag bag, ref bool ok)
    {
        var text = item.Get("Layout");
        if (text is null) return ModelLayoutKind.Files;
        switch (text.ToLowerInvariant())
        {
            case "files":
                return ModelLayoutKind.Files;
            case "hf-cache":
                if (source is not null && source.Kind != ModelSourceKind.HuggingFace)
                {
                    bag.Report(AiErrors.InvalidModelLayout, Property, name, text, "needs an hf:// source (a Hugging Face cache holds Hub repositories)");
                    ok = false;
                }
                return ModelLayoutKind.HfCache;
            default:
                bag.Report(AiErrors.InvalidModelLayout, Property, name, text, "is not a known layout");
                ok = false;
                return ModelLayoutKind.Files;
        }
    }

    private static IReadOnlyList<string> MapGlobs(InputItem item, string name, string metadata, DiagnosticBag bag, ref bool ok)
    {
        var text = item.Get(metadata);
        if (text is null) return Array.Empty<string>();
        var patterns = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var pattern in patterns)
        {
            if (ModelFileSelector.Validate(pattern) is { } problem) { bag.Report(AiErrors.InvalidModelGlob, Property, name, metadata, pattern, problem); ok = false; }
        }
        return patterns;
    }

    private static bool ParseBool(InputItem item, string name, string metadata, DiagnosticBag bag, ref bool ok)
    {
        var text = item.Get(metadata);
        if (text is null) return false;
        if (bool.TryParse(text, out var value)) return value;
        bag.Report(AiErrors.InvalidModelBoolean, Property, name, metadata, text);
        ok = false;
        return false;
    }

    private static void CheckCollisions(List<ModelSpec> models, DiagnosticBag bag)
    {
        foreach (var group in models.GroupBy(m => m.EnvironmentVariable, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var list = group.ToList();
            bag.Report(AiErrors.DuplicateModelName, Property, list[0].Name, list[1].Name, group.Key);
        }

        var hfCache = models.Where(m => m.Layout == ModelLayoutKind.HfCache).ToList();
        for (var i = 1; i < hfCache.Count; i++)
            if (hfCache[i].Target != hfCache[0].Target)
                bag.Report(AiErrors.HfCacheTargetsDiffer, Property, hfCache[0].Name, hfCache[i].Name, hfCache[0].Target, hfCache[i].Target);
        foreach (var group in hfCache.GroupBy(m => m.Source.Repository, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var list = group.ToList();
            bag.Report(AiErrors.DuplicateHfCacheRepository, Property, list[0].Name, list[1].Name, group.Key);
        }

        // hf-cache models share HF_HOME by design; every other pair must keep out of each other's Target.
        for (var i = 0; i < models.Count; i++)
            for (var j = i + 1; j < models.Count; j++)
            {
                var (a, b) = (models[i], models[j]);
                if (a.Layout == ModelLayoutKind.HfCache && b.Layout == ModelLayoutKind.HfCache) continue;
                if (a.Target == b.Target || IsInside(a.Target, b.Target) || IsInside(b.Target, a.Target))
                    bag.Report(AiErrors.OverlappingModelTargets, Property, a.Name, a.Target, b.Name, b.Target);
            }
    }

    private static bool IsInside(string path, string folder) => path.StartsWith(folder + "/", StringComparison.Ordinal);

    private static string? UrlFileName(Uri url)
    {
        var last = url.AbsolutePath.TrimEnd('/');
        last = Uri.UnescapeDataString(last[(last.LastIndexOf('/') + 1)..]);
        return last.Length == 0 ? null : last;
    }

    /// <summary>The URL without its query and fragment, which may carry signed tokens; for messages and labels.</summary>
    public static string RedactedUrl(string url)
        => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : url;
}
