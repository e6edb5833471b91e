namespace AiContainers.Core.Diagnostics;

public enum AiLogLevel { Detail, Progress, Summary }

/// <summary>How Core reports as it works; the tasks bridge it to MSBuild's logger. Never given a credential.</summary>
public interface IAiLog
{
    void Message(AiLogLevel level, string text);
    void Report(AiDiagnostic diagnostic);
}

/// <summary>A log that drops everything, for callers that only want results.</summary>
public sealed class NullAiLog : IAiLog
{
    public static readonly NullAiLog Instance = new();
    public void Message(AiLogLevel level, string text) { }
    public void Report(AiDiagnostic diagnostic) { }
}
