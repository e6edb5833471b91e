using System.Globalization;
using System.Text;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Spec;

/// <summary>One MSBuild item as Core sees it: its Include and its metadata, nothing of MSBuild.</summary>
public sealed record InputItem(string Include, IReadOnlyDictionary<string, string> Metadata)
{
    public InputItem(string include) : this(include, new Dictionary<string, string>()) { }

    public string? Get(string name)
        => Metadata.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}

/// <summary>
/// Everything the mapper reads: project properties, items by item type, the few environment
/// variables that matter (SOURCE_DATE_EPOCH), and the text of the files the task read for it (the
/// requirements file). Passed in explicitly so mapping stays pure.
/// </summary>
public sealed class ProjectInputs
{
    private readonly Dictionary<string, string> _properties = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<InputItem>> _items = new(StringComparer.OrdinalIgnoreCase);
    // What the mapper reads: the items with their control characters removed (see Readable).
    private readonly Dictionary<string, List<InputItem>> _readableItems = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _fileTexts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Sets a property; null removes it.</summary>
    public ProjectInputs Set(string name, string? value)
    {
        if (value is null) _properties.Remove(name);
        else _properties[name] = value;
        return this;
    }

    public ProjectInputs Add(string itemType, InputItem item)
    {
        if (!_items.TryGetValue(itemType, out var list)) _items[itemType] = list = new List<InputItem>();
        list.Add(item);
        if (!_readableItems.TryGetValue(itemType, out var readable)) _readableItems[itemType] = readable = new List<InputItem>();
        readable.Add(new InputItem(Readable(item.Include), item.Metadata.ToDictionary(m => m.Key, m => Readable(m.Value), StringComparer.OrdinalIgnoreCase)));
        return this;
    }

    public ProjectInputs Add(string itemType, string include, params (string Name, string Value)[] metadata)
        => Add(itemType, new InputItem(include, metadata.ToDictionary(m => m.Name, m => m.Value, StringComparer.OrdinalIgnoreCase)));

    /// <summary>
    /// The content of the file the property <paramref name="property"/> names (AiPythonRequirements), read by the task
    /// so the mapper does no I/O; null removes it. Multi-line by nature, so never subject to the control-character rule
    /// of property values, and never written anywhere: the mapper only reads facts out of it (the pins that decide CUDA).
    /// </summary>
    public ProjectInputs SetFileText(string property, string? text)
    {
        if (text is null) _fileTexts.Remove(property);
        else _fileTexts[property] = text;
        return this;
    }

    /// <summary>The text <see cref="SetFileText"/> recorded for the file <paramref name="property"/> names, or null.</summary>
    public string? FileText(string property) => _fileTexts.TryGetValue(property, out var text) ? text : null;

    public ProjectInputs SetEnvironment(string name, string? value)
    {
        if (value is not null) _environment[name] = value;
        return this;
    }

    /// <summary>The property's trimmed value, or null when unset or blank; never with a control character (see <see cref="Readable"/>).</summary>
    public string? Get(string name)
    {
        if (!_properties.TryGetValue(name, out var v) || string.IsNullOrWhiteSpace(v)) return null;
        return NullIfBlank(Readable(FoldedProperties.Contains(name) ? Fold(v) : v.Trim()));
    }

    /// <summary>The items of a type, their Include and metadata without control characters (see <see cref="Readable"/>).</summary>
    public IReadOnlyList<InputItem> Items(string itemType)
        => _readableItems.TryGetValue(itemType, out var list) ? list : (IReadOnlyList<InputItem>)Array.Empty<InputItem>();

    /// <summary>
    /// A value without its control characters. Values that had some are refused (<see cref="ControlCharacterProblems"/>),
    /// so no spec comes out of them; the mapper still reads the rest of the value, so that path APIs do not throw on a
    /// NUL, a validation regex's '$' cannot match before a trailing line feed, no other message echoes a line break,
    /// and the checks that read the value (a ContainerPort for the health check) see what the user meant.
    /// </summary>
    private static string Readable(string value)
        => FindControlCharacter(value) is null ? value : new string(value.Where(c => !IsLineBreaking(c)).ToArray());

    /// <summary>Whitespace runs (line breaks and tabs included) as one space; other control characters stay, to be refused.</summary>
    private static string Fold(string value) => string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static string? NullIfBlank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public string? Environment(string name)
        => _environment.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    public IEnumerable<string> PropertyNames => _properties.Keys;

    /// <summary>
    /// Reads the files the mapper takes facts from (AiPythonRequirements' pins, restore's assets file) into
    /// <see cref="SetFileText"/>, so <see cref="AiImageSpecMapper.Map"/> itself does no I/O. A missing file is left out:
    /// the mapper's file checks report it with its code.
    /// </summary>
    public ProjectInputs ReadReferencedFiles()
    {
        if (Get("AiPythonRequirements") is { } requirements)
        {
            var path = Path.Combine(Get("MSBuildProjectDirectory") ?? ".", requirements);
            if (File.Exists(path)) SetFileText("AiPythonRequirements", File.ReadAllText(path));
        }
        // What restore resolved, transitive packages included, decides the CUDA the packages need.
        if (Get(Cuda.Inference.PackageReferenceInfo.AssetsFileProperty) is { } assets && File.Exists(assets))
            SetFileText(Cuda.Inference.PackageReferenceInfo.AssetsFileProperty, File.ReadAllText(assets));
        return this;
    }

    /// <summary>
    /// The properties, items and environment as given (not the files' texts: <see cref="ReadReferencedFiles"/> reads them
    /// again), as JSON. The next publish's <see cref="Publishing.StartupWarmUp"/> maps them once restore is done. They hold
    /// what the project file and command line hold, which is in every binlog already: never a secret (those are read by
    /// the tasks from the environment and credential stores only).
    /// </summary>
    public void WriteSnapshot(string path)
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            WriteMap(json, "properties", _properties);
            WriteMap(json, "environment", _environment);
            json.WriteStartObject("items");
            foreach (var (type, items) in _items)
            {
                json.WriteStartArray(type);
                foreach (var item in items)
                {
                    json.WriteStartObject();
                    json.WriteString("include", item.Include);
                    // Not the metadata MSBuild derives from the Include (full path, folder, file times): they differ
                    // between two clones of one project, and the output folders of two clones must be identical.
                    WriteMap(json, "metadata", item.Metadata.Where(m => !WellKnownMetadata.Contains(m.Key)));
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        IO.AtomicFile.WriteIfChanged(path, System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>A snapshot <see cref="WriteSnapshot"/> wrote, or null when there is none or it cannot be read.</summary>
    public static ProjectInputs? ReadSnapshot(string path)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var inputs = new ProjectInputs();
            foreach (var p in root.GetProperty("properties").EnumerateObject()) inputs.Set(p.Name, p.Value.GetString());
            foreach (var e in root.GetProperty("environment").EnumerateObject()) inputs.SetEnvironment(e.Name, e.Value.GetString());
            foreach (var type in root.GetProperty("items").EnumerateObject())
            {
                foreach (var item in type.Value.EnumerateArray())
                {
                    var metadata = item.GetProperty("metadata").EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetString() ?? "", StringComparer.OrdinalIgnoreCase);
                    inputs.Add(type.Name, new InputItem(item.GetProperty("include").GetString() ?? "", metadata));
                }
            }
            return inputs;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static void WriteMap(System.Text.Json.Utf8JsonWriter json, string name, IEnumerable<KeyValuePair<string, string>> values)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in values) json.WriteString(key, value);
        json.WriteEndObject();
    }

    /// <summary>
    /// Properties that NuGet packaging lets a project write over several lines and that reach only an
    /// image label: their line breaks and tabs read as one space (an OCI label is a single line), rather
    /// than failing a project that is also packed as a NuGet package.
    /// </summary>
    private static readonly HashSet<string> FoldedProperties = new(StringComparer.OrdinalIgnoreCase) { "Description" };

    /// <summary>Metadata MSBuild adds to every item (derived from the Include, which is checked itself).</summary>
    private static readonly HashSet<string> WellKnownMetadata = new(StringComparer.OrdinalIgnoreCase)
    {
        "FullPath", "RootDir", "Filename", "Extension", "RelativeDir", "Directory", "RecursiveDir", "Identity",
        "ModifiedTime", "CreatedTime", "AccessedTime", "DefiningProjectFullPath", "DefiningProjectDirectory",
        "DefiningProjectName", "DefiningProjectExtension", "AiItemType",
    };

    /// <summary>
    /// Item types the product reads only a few fields of (CUDA inference reads a package's name and version);
    /// their other metadata (PrivateAssets, IncludeAssets…) never reaches a generated file and is not checked.
    /// </summary>
    private static readonly Dictionary<string, string[]> PartlyReadItems = new(StringComparer.OrdinalIgnoreCase)
    {
        ["PackageReference"] = new[] { "Version", "VersionOverride" },
        ["PackageVersion"] = new[] { "Version" },
    };

    /// <summary>
    /// One coded error per property value, item Include or item metadata that holds a control character
    /// (Unicode category Cc: newline, carriage return, tab, NUL…) or a Unicode line or paragraph separator
    /// (U+2028, U+2029, U+0085). Such a character would end a Dockerfile instruction, a shell word or a YAML
    /// scalar and let the value add its own; no value of this product is legitimately multi-line. The value
    /// is checked as the mapper reads it (trimmed), so a property written over several lines of the project
    /// file for readability still passes. Reports every offender, before any file or engine is touched.
    /// </summary>
    public IEnumerable<AiDiagnostic> ControlCharacterProblems()
    {
        foreach (var (name, raw) in _properties.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
        {
            // A folded property is checked after folding: what is left (NUL, ESC…) is no whitespace.
            var value = FoldedProperties.Contains(name) ? Fold(raw) : raw.Trim();
            if (FindControlCharacter(value) is { } bad)
                yield return AiErrors.ControlCharacterInProperty.Create(name, name, Visible(value), Describe(bad));
        }
        foreach (var (type, items) in _items.OrderBy(i => i.Key, StringComparer.OrdinalIgnoreCase))
        {
            PartlyReadItems.TryGetValue(type, out var onlyMetadata);
            foreach (var item in items)
            {
                var include = item.Include.Trim();
                if (FindControlCharacter(include) is { } badInclude)
                    yield return AiErrors.ControlCharacterInItem.Create(type, type, Visible(include), "Include", Visible(include), Describe(badInclude));
                foreach (var (metadata, raw) in item.Metadata.OrderBy(m => m.Key, StringComparer.OrdinalIgnoreCase))
                {
                    if (WellKnownMetadata.Contains(metadata)) continue;
                    if (onlyMetadata is not null && !onlyMetadata.Contains(metadata, StringComparer.OrdinalIgnoreCase)) continue;
                    var value = raw.Trim();
                    if (FindControlCharacter(value) is { } bad)
                        yield return AiErrors.ControlCharacterInItem.Create(type, type, Visible(include), metadata, Visible(value), Describe(bad));
                }
            }
        }
    }

    /// <summary>The first control character or Unicode line/paragraph separator in <paramref name="value"/>, or null.</summary>
    public static char? FindControlCharacter(string value)
    {
        foreach (var c in value)
            if (IsLineBreaking(c)) return c;
        return null;
    }

    /// <summary>Cc (C0, DEL, C1 including U+0085 NEL) plus U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR.</summary>
    public static bool IsLineBreaking(char c)
        => char.GetUnicodeCategory(c) == UnicodeCategory.Control || c is '\u2028' or '\u2029';

    /// <summary>The value as it can be shown in a one-line message: control characters as \uXXXX, at most 80 characters.</summary>
    public static string Visible(string value)
    {
        var sb = new StringBuilder();
        foreach (var c in value)
        {
            if (sb.Length >= 80) { sb.Append('…'); break; }
            if (IsLineBreaking(c)) sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static string Describe(char c) => "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) + (c switch
    {
        '\n' => " (line feed)",
        '\r' => " (carriage return)",
        '\t' => " (tab)",
        '\0' => " (NUL)",
        '\u0085' => " (next line)",
        '\u2028' => " (line separator)",
        '\u2029' => " (paragraph separator)",
        _ => "",
    });
}
