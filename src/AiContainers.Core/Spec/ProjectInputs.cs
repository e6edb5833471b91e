namespace AiContainers.Core.Spec;

/// <summary>One MSBuild item as Core sees it: its Include and its metadata, nothing of MSBuild.</summary>
public sealed record InputItem(string Include, IReadOnlyDictionary<string, string> Metadata)
{
    public InputItem(string include) : this(include, new Dictionary<string, string>()) { }

    public string? Get(string name)
        => Metadata.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}

/// <summary>
/// Everything the mapper reads: project properties, items by item type, and the few environment
/// variables that matter (SOURCE_DATE_EPOCH). Passed in explicitly so mapping stays pure.
/// </summary>
public sealed class ProjectInputs
{
    private readonly Dictionary<string, string> _properties = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<InputItem>> _items = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

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
        return this;
    }

    public ProjectInputs Add(string itemType, string include, params (string Name, string Value)[] metadata)
        => Add(itemType, new InputItem(include, metadata.ToDictionary(m => m.Name, m => m.Value, StringComparer.OrdinalIgnoreCase)));

    public ProjectInputs SetEnvironment(string name, string? value)
    {
        if (value is not null) _environment[name] = value;
        return this;
    }

    /// <summary>The property's trimmed value, or null when unset or blank.</summary>
    public string? Get(string name)
        => _properties.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    public IReadOnlyList<InputItem> Items(string itemType)
        => _items.TryGetValue(itemType, out var list) ? list : (IReadOnlyList<InputItem>)Array.Empty<InputItem>();

    public string? Environment(string name)
        => _environment.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    public IEnumerable<string> PropertyNames => _properties.Keys;
}
