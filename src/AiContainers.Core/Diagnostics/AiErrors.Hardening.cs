namespace AiContainers.Core.Diagnostics;

/// <summary>
/// Hostile or malformed input that would change the shape of a generated file (a Dockerfile line, a shell
/// word, a YAML scalar): spec AIC1600–AIC1649, generation AIC2600–AIC2619.
/// </summary>
public static partial class AiErrors
{
    public static readonly AiDiagnosticDescriptor ControlCharacterInProperty = E("AIC1600", "{0} '{1}' contains the control character {2}, which would split a line of the generated Dockerfile, scripts or manifests. Set {0} to a single line without control characters");
    public static readonly AiDiagnosticDescriptor ControlCharacterInItem = E("AIC1601", "{0} '{1}' has {2} '{3}' with the control character {4}, which would split a line of the generated Dockerfile, scripts or manifests. Set the {2} of the {0} item to a single line without control characters");
    public static readonly AiDiagnosticDescriptor UnsafeContainerPath = E("AIC1602", "{0} '{1}' is not a plain absolute path: {2}. Set {0} to a path of letters, digits and . _ / @ + = , - that starts with '/' and has no '..' segment (e.g. /app)");
    public static readonly AiDiagnosticDescriptor RunCommandSpansLines = E("AIC1603", "AiRunCommand '{0}' {1}, so the Dockerfile would read the following lines as part of this step. Use a single-line command (e.g. printf 'a\\n' > /etc/app.conf instead of a heredoc, and no trailing '\\')");
    public static readonly AiDiagnosticDescriptor SizeTooLarge = E("AIC1604", "{0} '{1}' is more than the {2} bytes a container engine accepts. Set {0} to a smaller size (e.g. 16g)");

    public static readonly AiDiagnosticDescriptor ValueNotEncodable = E("AIC2600", "A value for the generated {0} holds the control character {1}, which that format cannot carry on one line. This is a bug in AiContainers (the spec mapper refuses such values); report it with the project file");
}
