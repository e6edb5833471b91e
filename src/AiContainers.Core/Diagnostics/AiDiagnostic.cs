using System.Globalization;

namespace AiContainers.Core.Diagnostics;

public enum AiSeverity { Warning, Error }

/// <summary>A coded message template. The text always reads "AICnnnn: what is wrong. what to set instead."</summary>
public sealed record AiDiagnosticDescriptor(string Code, AiSeverity Severity, string Format)
{
    public AiDiagnostic Create(string? property, params object?[] args)
        => new(Code, Severity, property, Code + ": " + string.Format(CultureInfo.InvariantCulture, Format, args));
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
    public IReadOnlyList<AiDiagnostic> Items => _items;
    public bool HasErrors => _items.Any(d => d.IsError);
    public void Add(AiDiagnostic d) => _items.Add(d);
    public void Report(AiDiagnosticDescriptor descriptor, string? property, params object?[] args)
        => _items.Add(descriptor.Create(property, args));
    public void ThrowIfErrors()
    {
        var first = _items.FirstOrDefault(d => d.IsError);
        if (first is not null) throw new AiException(first);
    }
}
