namespace AiContainers.Core.Images;

/// <summary>
/// Rewrites base-image references to mirrors, for air-gapped networks (and for the tests here,
/// where Docker Hub is unreachable). A plain prefix mirrors Docker Hub only; <c>registry=prefix</c>
/// pairs mirror named registries. Docker Hub official images keep their <c>library/</c> path so a
/// pull-through cache and a hand-filled mirror see the same names.
/// </summary>
public sealed record RegistryMirror(IReadOnlyList<RegistryMirror.Mapping> Mappings)
{
    public sealed record Mapping(string SourceRegistry, string Prefix);

    public static readonly RegistryMirror None = new(Array.Empty<Mapping>());

    public bool IsEmpty => Mappings.Count == 0;

    /// <summary>What separates mappings in AiRegistryMirror: ';' in a project file, ',' on a command line.</summary>
    public static readonly char[] Separators = { ';', ',' };

    /// <summary>Parses the AiRegistryMirror value; returns null and an explanation when malformed.</summary>
    public static RegistryMirror? TryParse(string? value, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(value)) return None;
        var mappings = new List<Mapping>();
        // ',' as well as ';': MSBuild splits a command-line -p: value at ';' (MSB4177), and neither a
        // registry host nor a repository path can hold a ','.
        foreach (var raw in value.Split(Separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string source = ImageReference.DockerHub, prefix = raw;
            var eq = raw.IndexOf('=');
            if (eq >= 0)
            {
                source = raw[..eq].Trim();
                prefix = raw[(eq + 1)..].Trim();
                if (source is "index.docker.io" or "registry-1.docker.io") source = ImageReference.DockerHub;
                if (!ImageReference.IsValidRegistry(source)) { error = $"'{source}' is not a registry host"; return null; }
            }
            prefix = prefix.TrimEnd('/');
            if (prefix.Contains("://")) { error = $"'{prefix}' has a URL scheme; give host[:port][/path]"; return null; }
            var slash = prefix.IndexOf('/');
            var host = slash < 0 ? prefix : prefix[..slash];
            if (!ImageReference.IsValidRegistry(host) || !(host.Contains('.') || host.Contains(':') || host == "localhost"))
            { error = $"'{prefix}' does not start with a registry host such as mirror.example.com or 127.0.0.1:5000"; return null; }
            if (slash >= 0 && ImageReference.ValidateRepositoryPath(prefix[(slash + 1)..]) is { } pathError)
            { error = $"the path of '{prefix}': {pathError}"; return null; }
            if (mappings.Any(m => m.SourceRegistry == source)) { error = $"'{source}' is mapped twice"; return null; }
            mappings.Add(new Mapping(source, prefix));
        }
        return new RegistryMirror(mappings);
    }

    /// <summary>Returns the reference to pull instead of <paramref name="reference"/> (itself when unmapped).</summary>
    public ImageReference Rewrite(ImageReference reference)
    {
        var mapping = Mappings.FirstOrDefault(m => m.SourceRegistry == reference.EffectiveRegistry);
        if (mapping is null) return reference;
        var slash = mapping.Prefix.IndexOf('/');
        var host = slash < 0 ? mapping.Prefix : mapping.Prefix[..slash];
        var path = slash < 0 ? reference.EffectiveRepository : mapping.Prefix[(slash + 1)..] + "/" + reference.EffectiveRepository;
        return new ImageReference(host, path, reference.Tag, reference.Digest);
    }

    public override string ToString() => string.Join(";", Mappings.Select(m => m.SourceRegistry + "=" + m.Prefix));
}
