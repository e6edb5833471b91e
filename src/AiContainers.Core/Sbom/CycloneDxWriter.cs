using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AiContainers.Core.Sbom;

/// <summary>
/// Writes a CycloneDX 1.5 JSON document (https://cyclonedx.org/docs/1.5/json/) from <see cref="SbomInputs"/>.
/// Deterministic: components sorted by bom-ref, properties in a fixed order, the timestamp only from
/// SOURCE_DATE_EPOCH / AiImageCreated (left out otherwise, never the clock), and a serialNumber that is a
/// name-based UUID of the document's own content, so equal inputs give byte-equal files on any machine.
/// Written with System.Text.Json rather than the CycloneDX .NET library: the subset used is small, and the
/// library's dependencies (protobuf, a JSON-schema engine) would ship inside the task package; the tests
/// validate every document against the official 1.5 schema instead.
/// </summary>
public static class CycloneDxWriter
{
    public const string SpecVersion = "1.5";
    /// <summary>The OCI artifactType of the referrer, and the file's media type.</summary>
    public const string MediaType = "application/vnd.cyclonedx+json";
    public const string MediaTypeWithVersion = MediaType + "; version=" + SpecVersion;
    public const string FileName = "sbom.cdx.json";

    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(SbomInputs inputs)
    {
        var body = Render(inputs, serialNumber: null);
        return Render(inputs, SerialNumberOf(body));
    }

    /// <summary>urn:uuid: of a version-5-style UUID over the document without its serialNumber: the same content, the same serial.</summary>
    private static string SerialNumberOf(string body)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(body));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexString(hash, 0, 16).ToLowerInvariant();
        return $"urn:uuid:{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    private static string Render(SbomInputs inputs, string? serialNumber)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("$schema", "http://cyclonedx.org/schema/bom-1.5.schema.json");
            w.WriteString("bomFormat", "CycloneDX");
            w.WriteString("specVersion", SpecVersion);
            if (serialNumber is not null) w.WriteString("serialNumber", serialNumber);
            w.WriteNumber("version", 1);
            WriteMetadata(w, inputs);
            w.WriteStartArray("components");
            foreach (var component in Components(inputs).DistinctBy(c => c.Ref).OrderBy(c => c.Ref, StringComparer.Ordinal)) component.Write(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        // Utf8JsonWriter breaks lines with Environment.NewLine: one form everywhere keeps the file and its digest equal.
        return Encoding.UTF8.GetString(buffer.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }

    private static void WriteMetadata(Utf8JsonWriter w, SbomInputs inputs)
    {
        w.WriteStartObject("metadata");
        if (inputs.Created is not null) w.WriteString("timestamp", inputs.Created);
        w.WriteStartObject("tools");
        w.WriteStartArray("components");
        w.WriteStartObject();
        w.WriteString("type", "application");
        w.WriteString("name", "AiContainers");
        w.WriteString("version", inputs.GeneratorVersion);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        ImageComponent(inputs.Image, "container").Write(w, "component");
        WriteProperties(w, inputs.Provenance);
        w.WriteEndObject();
    }

    private static IEnumerable<Component> Components(SbomInputs inputs)
    {
        yield return ImageComponent(inputs.Base, "container") with { Properties = new() { new("ai.containers:role", "base image") } };
        foreach (var p in inputs.NuGetPackages)
            yield return new Component("library", Purl.NuGet(p.Name, p.Version), p.Name, p.Version, Purl.NuGet(p.Name, p.Version)) { License = p.License };
        foreach (var p in inputs.PythonPackages)
            yield return new Component("library", Purl.PyPi(p.Name, p.Version), p.Name, p.Version, Purl.PyPi(p.Name, p.Version)) { License = p.License };
        foreach (var p in inputs.OsPackages)
        {
            var purl = Purl.Deb(inputs.OsRelease, p.Name, p.Version, p.Architecture);
            var properties = new List<KeyValuePair<string, string>>();
            if (inputs.OsPackagesSource is { } from) properties.Add(new("ai.containers:source", from));
            if (p.Requested) properties.Add(new("ai.containers:requested-by", "AiSystemPackages"));
            yield return new Component("library", purl, p.Name, p.Version, purl) { Properties = properties };
        }
        foreach (var m in inputs.Models)
        {
            yield return new Component("machine-learning-model", m.Purl ?? "model:" + m.Name, m.Name, m.Revision, m.Purl)
            {
                License = m.License,
                Properties = new() { new("ai.containers:model.source", m.Source), new("ai.containers:model.content-digest", m.ContentDigest) },
                Files = m.Files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList(),
            };
        }
    }

    private static Component ImageComponent(SbomImage image, string type)
    {
        var purl = image.Digest is not null ? Purl.Oci(image.Repository, image.Digest, image.Tag) : null;
        return new Component(type, purl ?? "image:" + image.Repository + (image.Tag is null ? "" : ":" + image.Tag), image.Repository, image.Digest ?? image.Tag, purl)
        {
            Properties = new(),
        };
    }

    private static void WriteProperties(Utf8JsonWriter w, IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        if (properties.Count == 0) return;
        w.WriteStartArray("properties");
        foreach (var (name, value) in properties)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private sealed record Component(string Type, string Ref, string Name, string? Version, string? PackageUrl)
    {
        public SbomLicense? License { get; init; }
        public List<KeyValuePair<string, string>> Properties { get; init; } = new();
        public IReadOnlyList<SbomModelFile> Files { get; init; } = Array.Empty<SbomModelFile>();

        public void Write(Utf8JsonWriter w, string? propertyName = null)
        {
            if (propertyName is null) w.WriteStartObject(); else w.WriteStartObject(propertyName);
            w.WriteString("bom-ref", Ref);
            w.WriteString("type", Type);
            w.WriteString("name", Name);
            if (Version is not null) w.WriteString("version", Version);
            if (License is { } license && (license.Expression ?? license.Name ?? license.Url) is not null)
            {
                w.WriteStartArray("licenses");
                w.WriteStartObject();
                if (license.Expression is not null) w.WriteString("expression", license.Expression);
                else
                {
                    w.WriteStartObject("license");
                    w.WriteString("name", license.Name ?? license.Url);
                    if (license.Url is not null) w.WriteString("url", license.Url);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteEndArray();
            }
            if (PackageUrl is not null) w.WriteString("purl", PackageUrl);
            WriteProperties(w, Properties);
            if (Files.Count > 0)
            {
                w.WriteStartArray("components");
                foreach (var file in Files)
                {
                    w.WriteStartObject();
                    w.WriteString("bom-ref", Ref + "#" + file.Path);
                    w.WriteString("type", "file");
                    w.WriteString("name", file.Path);
                    w.WriteStartArray("hashes");
                    w.WriteStartObject();
                    w.WriteString("alg", "SHA-256");
                    w.WriteString("content", file.Sha256);
                    w.WriteEndObject();
                    w.WriteEndArray();
                    WriteProperties(w, new[] { new KeyValuePair<string, string>("ai.containers:size", file.Size.ToString(CultureInfo.InvariantCulture)) });
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
    }
}

/// <summary>Package URLs (https://github.com/package-url/purl-spec) for the component kinds an image holds.</summary>
public static class Purl
{
    public static string NuGet(string name, string version) => $"pkg:nuget/{Encode(name)}@{Encode(version)}";

    /// <summary>PyPI names are normalised as PEP 503 says: lowercase, runs of '-', '_' and '.' as one '-'.</summary>
    public static string PyPi(string name, string version)
        => $"pkg:pypi/{Encode(System.Text.RegularExpressions.Regex.Replace(name.ToLowerInvariant(), "[-_.]+", "-"))}@{Encode(version)}";

    public static string Deb(SbomOsRelease? os, string name, string version, string? architecture)
    {
        var vendor = os?.Id ?? "debian";
        var qualifiers = new List<string>();
        if (architecture is not null) qualifiers.Add("arch=" + Encode(architecture));
        if (os?.VersionId is { } v) qualifiers.Add("distro=" + Encode(vendor + "-" + v));
        return $"pkg:deb/{Encode(vendor)}/{Encode(name)}@{Encode(version)}" + (qualifiers.Count > 0 ? "?" + string.Join("&", qualifiers) : "");
    }

    /// <summary>pkg:huggingface/org/repo@commit (the purl type for Hub models).</summary>
    public static string HuggingFace(string repository, string commit)
    {
        var slash = repository.LastIndexOf('/');
        return slash < 0 ? $"pkg:huggingface/{Encode(repository)}@{Encode(commit.ToLowerInvariant())}"
            : $"pkg:huggingface/{Encode(repository[..slash])}/{Encode(repository[(slash + 1)..])}@{Encode(commit.ToLowerInvariant())}";
    }

    /// <summary>pkg:oci/name@sha256%3A…?repository_url=registry/path/name&amp;tag=…: the name is the repository's last segment.</summary>
    public static string Oci(string repository, string digest, string? tag)
    {
        var name = repository[(repository.LastIndexOf('/') + 1)..].ToLowerInvariant();
        var qualifiers = "repository_url=" + Encode(repository, keepSlash: true) + (tag is null ? "" : "&tag=" + Encode(tag));
        return $"pkg:oci/{Encode(name)}@{Encode(digest)}?{qualifiers}";
    }

    private static string Encode(string text, bool keepSlash = false)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' || keepSlash && c == '/') builder.Append(c);
            else builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }
}
