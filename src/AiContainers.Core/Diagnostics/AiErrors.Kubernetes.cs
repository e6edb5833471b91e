namespace AiContainers.Core.Diagnostics;

/// <summary>
/// Kubernetes manifests and path patterns (the .dockerignore dialect shared by .dockerignore, AiAppInclude,
/// AiAppExclude and AiModel Files/ExcludeFiles): AIC2200-AIC2219.
/// </summary>
public static partial class AiErrors
{
    /// <summary>{0}: where the pattern came from (a property, item or file); {1}: the pattern; {2}: why (from <see cref="Engine.PathPatternException.Reason"/>).</summary>
    public static readonly AiDiagnosticDescriptor InvalidPathPattern = E("AIC2200", "{0} '{1}' is not a valid path pattern: {2}. Write it in the .dockerignore dialect: '*' and '?' within a folder, '**' for any folders, [a-z] or [^a-z] for one character, '\\' before a character to take it literally (e.g. data/\\[raw\\]/*.csv)");
}
