using System.Text.RegularExpressions;

namespace AiContainers.Core.Images;

/// <summary>
/// A parsed image reference following the distribution reference grammar
/// (<c>[domain/]path[:tag][@digest]</c>). Docker Hub names are kept short (<c>nvidia/cuda</c>)
/// and canonicalised on request (<c>docker.io/nvidia/cuda</c>, <c>docker.io/library/ubuntu</c>).
/// </summary>
public sealed partial record ImageReference(string? Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex PathComponentRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$")]
    private static partial Regex DigestRegex();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](?::[0-9]{1,5})?$")]
    private static partial Regex DomainRegex();

    /// <summary>The registry this reference pulls from, with Docker Hub spelled out.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string EffectiveRegistry => Registry ?? DockerHub;

    /// <summary>The repository as a registry addresses it (Docker Hub official images live under <c>library/</c>).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string EffectiveRepository => Registry is null && !Repository.Contains('/') ? "library/" + Repository : Repository;

    [System.Text.Json.Serialization.JsonIgnore] public bool IsLatestOrUntagged => Digest is null && (Tag is null || Tag == "latest");

    /// <summary>The fully qualified name, e.g. <c>docker.io/library/ubuntu:22.04</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string Canonical => Format(EffectiveRegistry + "/" + EffectiveRepository);

    /// <summary>The name without tag or digest, as the user would write it.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string Name => Registry is null ? Repository : Registry + "/" + Repository;

    public override string ToString() => Format(Name);

    private string Format(string name)
        => name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    public ImageReference WithTag(string? tag) => this with { Tag = tag };

    public static bool IsValidTag(string tag) => TagRegex().IsMatch(tag);

    public static bool IsValidRegistry(string registry) => DomainRegex().IsMatch(registry);

    /// <summary>Checks a repository path (no registry, no tag). Returns null when valid, else why not.</summary>
    public static string? ValidateRepositoryPath(string path)
    {
        if (path.Length == 0) return "it is empty";
        if (path.Length > 255) return $"it is {path.Length} characters long, more than 255";
        if (path.Any(char.IsUpper)) return "it contains uppercase letters";
        foreach (var component in path.Split('/'))
        {
            if (!PathComponentRegex().IsMatch(component))
                return $"the component '{component}' must be [a-z0-9] runs joined by '.', '_', '__' or '-'";
        }
        return null;
    }

    /// <summary>Parses <paramref name="text"/>; on failure returns null and says why.</summary>
    public static ImageReference? TryParse(string text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "it is empty"; return null; }
        if (text.Contains("://")) { error = "it has a URL scheme"; return null; }
        if (text.Any(char.IsWhiteSpace)) { error = "it contains whitespace"; return null; }

        string rest = text;
        string? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestRegex().IsMatch(digest)) { error = $"the digest '{digest}' is not sha256:<64 lowercase hex>"; return null; }
        }

        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagRegex().IsMatch(tag)) { error = $"the tag '{tag}' must match [A-Za-z0-9_][A-Za-z0-9._-]{{0,127}}"; return null; }
        }

        string? registry = null;
        var firstSlash = rest.IndexOf('/');
        if (firstSlash > 0)
        {
            var first = rest[..firstSlash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost" || first.StartsWith('['))
            {
                if (!DomainRegex().IsMatch(first)) { error = $"the registry '{first}' is not a host[:port]"; return null; }
                registry = first;
                rest = rest[(firstSlash + 1)..];
            }
        }

        if (registry is "index.docker.io" or "registry-1.docker.io" or DockerHub)
        {
            registry = null;
            if (rest.StartsWith("library/", StringComparison.Ordinal) && rest.IndexOf('/', 8) < 0) rest = rest[8..];
        }

        var pathError = ValidateRepositoryPath(rest);
        if (pathError is not null) { error = "the repository " + pathError; return null; }
        var fullLength = (registry is null ? 0 : registry.Length + 1) + rest.Length;
        if (fullLength > 255) { error = $"the name is {fullLength} characters long, more than 255"; return null; }

        return new ImageReference(registry, rest, tag, digest);
    }

    public static ImageReference Parse(string text)
        => TryParse(text, out var error) ?? throw new FormatException($"'{text}' is not an image reference: {error}");
}
