using System.Globalization;

namespace AiContainers.Core.Diagnostics;

public enum AiSeverity { Warning, Error }

/// <summary>A coded message template. The text always reads "AICnnnn: what is wrong. what to set instead."</summary>
public sealed record AiDiagnosticDescriptor(string Code, AiSeverity Severity, string Format)
{
    /// <summary>The message with its code; it always ends with one period, as the README promises, whether or not the template has one.</summary>
    public AiDiagnostic Create(string? property, params object?[] args)
    {
        var text = string.Format(CultureInfo.InvariantCulture, Format, args).TrimEnd();
        if (!text.EndsWith('.')) text += ".";
        return new(Code, Severity, property, Code + ": " + text);
    }
}

/// <summary>One reported problem. <see cref="Message"/> already starts with the code.</summary>
public sealed record AiDiagnostic(string Code, AiSeverity Severity, string? Property, string Message)
{
    public bool IsError => Severity == AiSeverity.Error;
    public override string ToString() => Message;
}

/// <summary>Thrown by Core when work cannot go on; the tasks log the message as an error with its code.</summary>
public sealed class AiException : Exception
{
    public AiException(AiDiagnostic diagnostic, Exception? inner = null) : base(diagnostic.Message, inner)
        => Diagnostic = diagnostic;

    public AiException(AiDiagnosticDescriptor descriptor, string? property, params object?[] args)
        : this(descriptor.Create(property, args)) { }

    public AiDiagnostic Diagnostic { get; }
    public string Code => Diagnostic.Code;
}

/// <summary>Collects diagnostics while mapping or generating, so a user sees every problem at once.</summary>
public sealed class DiagnosticBag
{
    private readonly List<AiDiagnostic> _items = new();
    private readonly HashSet<string> _refused = new(StringComparer.OrdinalIgnoreCase);
    public IReadOnlyList<AiDiagnostic> Items => _items;
    public bool HasErrors => _items.Any(d => d.IsError);
    public void Add(AiDiagnostic d)
    {
        // A value already refused as a whole (a control character in it) would only echo that error
        // through every check that reads it afterwards, under a misleading reason.
        if (d.Property is { } property && _refused.Contains(property)) return;
        _items.Add(d);
    }
    public void Report(AiDiagnosticDescriptor descriptor, string? property, params object?[] args)
        => Add(descriptor.Create(property, args));

    /// <summary>Reports <paramref name="d"/> and drops every later diagnostic that names the same property or item type.</summary>
    public void Refuse(AiDiagnostic d)
    {
        Add(d);
        if (d.Property is { } property) _refused.Add(property);
    }
    public void ThrowIfErrors()
    {
        var first = _items.FirstOrDefault(d => d.IsError);
        if (first is not null) throw new AiException(first);
    }
}
