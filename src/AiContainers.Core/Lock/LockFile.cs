using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.IO;

namespace AiContainers.Core.Lock;

/// <summary>
/// AiLockMode. <c>Auto</c> writes the lock when there is none and otherwise builds from its pins, warning on drift;
/// <c>Update</c> re-resolves everything and rewrites it; <c>Locked</c> (CI) fails on any drift before anything is
/// built or pushed; <c>Ignore</c> neither reads nor writes it.
/// </summary>
public enum AiLockMode { Auto, Update, Locked, Ignore }

/// <summary>Where the lock is and how it is used: AiLockMode and AiLockFile, resolved against the project folder.</summary>
/// <param name="Project">What identifies the project in the lock: the project file's name without extension.</param>
public sealed record LockSettings(AiLockMode Mode, string Path, string Project)
{
    public const string DefaultFileName = "aicontainers.lock.json";

    /// <summary>Whether the lock's pins are used: Auto and Locked (Update re-resolves and overwrites whatever is there; Ignore leaves it alone).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public bool Reads => Mode is AiLockMode.Auto or AiLockMode.Locked;
}

/// <summary>
/// aicontainers.lock.json: what a publish resolved, so the next one on any machine builds the same image. Written
/// deterministically (keys and entries in ordinal order, two-space indent, '\n' line ends, a final newline) so it diffs
/// cleanly in a commit and an unchanged build leaves it byte-identical.
/// </summary>
/// <param name="Version">The lock schema (<see cref="SchemaVersion"/>); a newer one is refused with AIC7001.</param>
/// <param name="WrittenBy">The AiContainers version that wrote it.</param>
public sealed record LockFile(int Version, string WrittenBy, LockProject Project, IReadOnlyList<LockedBase> Bases, IReadOnlyList<LockedModel> Models)
{
    public const int SchemaVersion = 1;

    public LockedBase? Base(string reference) => Bases.FirstOrDefault(b => b.Reference == reference);
    public LockedModel? Model(string name) => Models.FirstOrDefault(m => m.Name == name);
}

/// <param name="Name">The project file's name without extension (MSBuildProjectName): a lock copied from another project is refused.</param>
/// <param name="Repository">ContainerRepository when it was written, for people reading the lock (not checked: CI may push elsewhere).</param>
public sealed record LockProject(string Name, string? Repository);

/// <summary>One base image: the tag as the project names it and the digest it resolved to, per platform too.</summary>
/// <param name="Reference">The fully qualified reference as the project means it (before AiRegistryMirror), e.g. docker.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04.</param>
/// <param name="Digest">What the tag pointed at: an index for a multi-platform base, else the image manifest.</param>
/// <param name="Platforms">os/arch[/variant] → that platform's image manifest digest.</param>
public sealed record LockedBase(string Reference, string Digest, IReadOnlyDictionary<string, string> Platforms);

/// <summary>One AiModel item: what the project asked for, what it resolved to, and the layer it made.</summary>
/// <param name="Source">hf://org/repo, the https URL without its query, or the local path as written.</param>
/// <param name="Revision">hf://: the revision asked for (branch, tag or commit; main when none).</param>
/// <param name="Include">The Files patterns; part of the request, so a changed pattern is a changed declaration.</param>
/// <param name="Exclude">The ExcludeFiles patterns.</param>
/// <param name="Sha256">The item's own Sha256 metadata, when set.</param>
/// <param name="Commit">hf://: the commit the revision resolved to.</param>
/// <param name="License">The licence the Hub's model metadata gives (cardData.license, else a license:… tag), recorded at first fetch.</param>
/// <param name="ContentDigest">The model's layout digest (paths, targets and file hashes): a layer is reused only while it matches.</param>
/// <param name="Layer">The model's layer as the daemonless builder made it; null when no daemonless build has made it yet.</param>
public sealed record LockedModel(
    string Name,
    string Source,
    string? Revision,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude,
    string? Sha256,
    string? Commit,
    string? License,
    string ContentDigest,
    IReadOnlyList<LockedFile> Files,
    LockedLayer? Layer);

/// <param name="GitOid">hf:// regular (non-LFS) files: the git blob id, which names the blob in the hf-cache layout.</param>
public sealed record LockedFile(string Path, string Sha256, long Size, string? GitOid = null);

/// <param name="Digest">The blob's digest as pushed (compressed, for a compressed layer).</param>
/// <param name="DiffId">The digest of the uncompressed tar, as the image config lists it.</param>
public sealed record LockedLayer(string Digest, long Size, string DiffId, string MediaType);

/// <summary>Reads and writes <see cref="LockFile"/>s, and refuses the bad ones with a coded error saying what to do.</summary>
public static class LockFileStore
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The lock's text: sorted keys and entries, nulls and empty lists left out, two-space indent, '\n' line ends, a final newline.</summary>
    public static string Serialize(LockFile lockFile)
    {
        var root = new JsonObject
        {
            ["version"] = lockFile.Version,
            ["writtenBy"] = lockFile.WrittenBy,
            ["project"] = new JsonObject { ["name"] = lockFile.Project.Name, ["repository"] = lockFile.Project.Repository },
            ["bases"] = ListOf(lockFile.Bases.OrderBy(b => b.Reference, StringComparer.Ordinal).Select(b => new JsonObject
            {
                ["reference"] = b.Reference,
                ["digest"] = b.Digest,
                ["platforms"] = Object(b.Platforms),
            })),
            ["models"] = ListOf(lockFile.Models.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => new JsonObject
            {
                ["name"] = m.Name,
                ["source"] = m.Source,
                ["revision"] = m.Revision,
                ["include"] = m.Include.Count > 0 ? ListOf(m.Include.Select(p => JsonValue.Create(p))) : null,
                ["exclude"] = m.Exclude.Count > 0 ? ListOf(m.Exclude.Select(p => JsonValue.Create(p))) : null,
                ["sha256"] = m.Sha256,
                ["commit"] = m.Commit,
                ["license"] = m.License,
                ["contentDigest"] = m.ContentDigest,
                ["files"] = ListOf(m.Files.OrderBy(f => f.Path, StringComparer.Ordinal).Select(f => new JsonObject
                {
                    ["path"] = f.Path,
                    ["sha256"] = f.Sha256,
                    ["size"] = f.Size,
                    ["gitOid"] = f.GitOid,
                })),
                ["layer"] = m.Layer is { } l ? new JsonObject { ["digest"] = l.Digest, ["size"] = l.Size, ["diffId"] = l.DiffId, ["mediaType"] = l.MediaType } : null,
            })),
        };
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) WriteSorted(writer, root);
        // Utf8JsonWriter indents with Environment.NewLine: one spelling everywhere, so a lock written on Windows diffs clean.
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()).Replace("\r\n", "\n") + "\n";
    }

    /// <summary>Writes the lock when its text changed, so an unchanged publish leaves the committed file untouched.</summary>
    public static void Write(LockFile lockFile, string path) => AtomicFile.WriteIfChanged(path, Serialize(lockFile));

    /// <summary>The lock at <paramref name="path"/>, or null when there is none. AIC7000 (corrupt), AIC7001 (newer), AIC7002 (another project).</summary>
    public static LockFile? ReadIfPresent(string path, string project)
    {
        if (!File.Exists(path)) return null;
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new AiException(AiErrors.LockFileCorrupt, "AiLockFile", path, e.Message); }
        var lockFile = Parse(text, path);
        if (lockFile.Project.Name != project)
            throw new AiException(AiErrors.LockFileOtherProject, "AiLockFile", path, lockFile.Project.Name, project);
        return lockFile;
    }

    /// <summary>Parses a lock's text; <paramref name="path"/> is for messages.</summary>
    public static LockFile Parse(string text, string path)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false }); }
        catch (JsonException e) { throw Corrupt(path, "it is not JSON (" + e.Message + ")"); }
        if (root is not JsonObject obj) throw Corrupt(path, "it is not a JSON object");

        // The version first: a newer schema may have any shape, and must be reported as newer, not as corrupt.
        var version = obj["version"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : throw Corrupt(path, "'version' is missing or not a number");
        var writtenBy = obj["writtenBy"] is JsonValue w && w.TryGetValue<string>(out var s) ? s : throw Corrupt(path, "'writtenBy' is missing");
        if (version > LockFile.SchemaVersion || IsNewer(writtenBy, Spec.AiImageSpecMapper.GeneratorVersion))
            throw new AiException(AiErrors.LockFileTooNew, "AiLockFile", path, writtenBy, version, Spec.AiImageSpecMapper.GeneratorVersion, LockFile.SchemaVersion);
        if (version < 1) throw Corrupt(path, $"'version' {version} is not a lock schema version");

        try
        {
            var project = obj["project"] as JsonObject ?? throw new FormatException("'project' is missing");
            var bases = Items(obj, "bases").Select(b => new LockedBase(
                Required(b, "reference"), Digest(b, "digest"),
                (b["platforms"] as JsonObject ?? new JsonObject()).ToDictionary(p => p.Key, p => p.Value is JsonValue d && d.TryGetValue<string>(out var digest) && Oci.Registry.RegistryDigest.IsSha256(digest)
                    ? digest : throw new FormatException($"platform '{p.Key}' of base '{Required(b, "reference")}' has no sha256 digest"), StringComparer.Ordinal))).ToList();
            var models = Items(obj, "models").Select(m => new LockedModel(
                Required(m, "name"), Required(m, "source"), Optional(m, "revision"),
                Strings(m, "include"), Strings(m, "exclude"), Optional(m, "sha256"), Optional(m, "commit"), Optional(m, "license"),
                Digest(m, "contentDigest"),
                Items(m, "files").Select(f => new LockedFile(Required(f, "path"), Hex(f, "sha256"), Size(f, "size"), Optional(f, "gitOid"))).ToList(),
                m["layer"] is JsonObject l ? new LockedLayer(Digest(l, "digest"), Size(l, "size"), Digest(l, "diffId"), Required(l, "mediaType")) : null)).ToList();
            return new LockFile(version, writtenBy, new LockProject(Required(project, "name"), Optional(project, "repository")), bases, models);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException)
        {
            throw Corrupt(path, e.Message);
        }
    }

    /// <summary>Whether version <paramref name="writer"/> is newer than <paramref name="reader"/> (release parts only: 0.2.0-dev is newer than 0.1.0).</summary>
    public static bool IsNewer(string writer, string reader)
        => Release(writer) is { } w && Release(reader) is { } r && w > r;

    private static Version? Release(string text)
    {
        var core = text.Split('-', '+')[0];
        return Version.TryParse(core, out var version) ? version : null;
    }

    private static AiException Corrupt(string path, string why) => new(AiErrors.LockFileCorrupt, "AiLockFile", path, why);

    private static IEnumerable<JsonObject> Items(JsonObject parent, string name)
        => parent[name] switch
        {
            null => Enumerable.Empty<JsonObject>(),
            JsonArray array => array.Select(i => i as JsonObject ?? throw new FormatException($"an entry of '{name}' is not an object")).ToList(),
            _ => throw new FormatException($"'{name}' is not a list"),
        };

    private static string Required(JsonObject parent, string name)
        => Optional(parent, name) is { Length: > 0 } value ? value : throw new FormatException($"'{name}' is missing in {Describe(parent)}");

    private static string? Optional(JsonObject parent, string name)
        => parent[name] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            _ => throw new FormatException($"'{name}' is not a string in {Describe(parent)}"),
        };

    private static string Digest(JsonObject parent, string name)
        => Required(parent, name) is var digest && Oci.Registry.RegistryDigest.IsSha256(digest) ? digest : throw new FormatException($"'{name}' is not a sha256:<64 hex> digest in {Describe(parent)}");

    private static string Hex(JsonObject parent, string name)
        => Required(parent, name) is var hex && Weights.ModelNaming.IsSha256(hex) ? hex : throw new FormatException($"'{name}' is not 64 lowercase hex in {Describe(parent)}");

    private static long Size(JsonObject parent, string name)
        => parent[name] is JsonValue value && value.TryGetValue<long>(out var size) && size >= 0 ? size : throw new FormatException($"'{name}' is not a size in {Describe(parent)}");

    private static IReadOnlyList<string> Strings(JsonObject parent, string name)
        => parent[name] switch
        {
            null => Array.Empty<string>(),
            JsonArray array => array.Select(i => i is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"'{name}' holds a non-string")).ToList(),
            _ => throw new FormatException($"'{name}' is not a list"),
        };

    private static string Describe(JsonObject node)
        => node["name"] is JsonValue n && n.TryGetValue<string>(out var name) ? $"'{name}'"
            : node["reference"] is JsonValue r && r.TryGetValue<string>(out var reference) ? $"'{reference}'"
            : node["path"] is JsonValue p && p.TryGetValue<string>(out var path) ? $"'{path}'"
            : "an entry";

    private static JsonArray ListOf(IEnumerable<JsonNode?> items) => new(items.ToArray());

    private static JsonObject Object(IReadOnlyDictionary<string, string> map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal)) obj[key] = value;
        return obj;
    }

    /// <summary>Keys in ordinal order at every level, nulls left out: the same lock is the same bytes.</summary>
    private static void WriteSorted(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (value is null) continue;
                    writer.WritePropertyName(key);
                    WriteSorted(writer, value);
                }
                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array) WriteSorted(writer, item);
                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
