using System.Collections.Concurrent;
using AiContainers.Core.Diagnostics;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace AiContainers.Core.Generation;

/// <summary>
/// Renders the embedded Scriban templates (<c>Templates/**.sbn</c>). Each template is parsed once
/// with its logical name, parse errors are fatal, and rendering uses strict variables so a typo in a
/// template fails loudly instead of printing nothing. Models are flat objects, renamed to snake_case.
/// </summary>
public static class TemplateRenderer
{
    private static readonly ConcurrentDictionary<string, Template> Cache = new();

    public static string Render(string name, object model)
    {
        var template = Cache.GetOrAdd(name, Parse);
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        var context = new TemplateContext
        {
            StrictVariables = true,
            MemberRenamer = StandardMemberRenamer.Default,
            TemplateLoader = EmbeddedTemplateLoader.Instance,
            EnableRelaxedMemberAccess = false,
            NewLine = "\n",
            LoopLimit = 100_000,
        };
        context.PushGlobal(globals);
        try
        {
            return template.Render(context);
        }
        catch (Scriban.Syntax.ScriptRuntimeException e)
        {
            throw new AiException(AiErrors.TemplateFailed, null, name, e.OriginalMessage);
        }
    }

    /// <summary>Parses every embedded template into the cache (StartupWarmUp: while the compiler runs).</summary>
    public static void ParseAll()
    {
        const string prefix = "AiContainers.Templates.";
        foreach (var resource in typeof(TemplateRenderer).Assembly.GetManifestResourceNames().Where(r => r.StartsWith(prefix, StringComparison.Ordinal)))
            Cache.GetOrAdd(resource[prefix.Length..], Parse);
    }

    private static Template Parse(string name)
    {
        var text = EmbeddedTemplateLoader.Read(name);
        var template = Template.Parse(text, name);
        if (template.HasErrors)
            throw new AiException(AiErrors.TemplateFailed, null, name, string.Join("; ", template.Messages));
        return template;
    }

    private sealed class EmbeddedTemplateLoader : ITemplateLoader
    {
        public static readonly EmbeddedTemplateLoader Instance = new();

        public static string Read(string name)
        {
            var resource = "AiContainers.Templates." + name;
            using var stream = typeof(TemplateRenderer).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Embedded template '{name}' ({resource}) is missing.");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Replace("\r\n", "\n");
        }

        public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => templateName;
        public string? Load(TemplateContext context, SourceSpan callerSpan, string templatePath) => Read(templatePath);
        public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) => new(Read(templatePath));
    }
}
