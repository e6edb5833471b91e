using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Docs;

/// <summary>
/// Every ```xml example of README.md and docs/**/*.md, evaluated by real MSBuild with the packed SDK, as a
/// user pasting it would: a fragment (PropertyGroup / ItemGroup) inside a minimal project, a whole
/// &lt;Project&gt; as it is. Evaluation must succeed with no MSBxxxx error (MSBuild reserves item metadata
/// names such as Target: MSB4066), every property and every item metadata the example sets must read back
/// unchanged (a reserved attribute such as Exclude is swallowed silently), and a whole project must resolve
/// its image spec (ResolveAiImageSpec, AiImageBuilder=None) without error.
/// </summary>
[TestClass]
public sealed partial class ReadmeExamplesTests
{
    private sealed record Example(string Location, string Xml);

    [GeneratedRegex(@"^```xml[ \t]*\r?\n(?<xml>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex XmlBlock();

    private static List<Example> All()
    {
        var files = new List<string> { Path.Combine(TestPaths.RepoRoot, "README.md") };
        var docs = Path.Combine(TestPaths.RepoRoot, "docs");
        if (Directory.Exists(docs)) files.AddRange(Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal));
        var examples = new List<Example>();
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            foreach (Match block in XmlBlock().Matches(text))
            {
                var line = text.Take(block.Index).Count(c => c == '\n') + 1;
                examples.Add(new Example($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}:{line}", block.Groups["xml"].Value));
            }
        }
        return examples;
    }

    /// <summary>One test per example, named by file and line; the XML travels with the row, so a README edited mid-run cannot mismatch it.</summary>
    public static IEnumerable<object[]> Examples()
        => All().Select(e => new object[] { new TestDataRow<(string, string)>((e.Location, e.Xml)) { DisplayName = e.Location } });

    /// <summary>MSBuild's own attributes on an item element; everything else on it is metadata the example means to set.</summary>
    private static readonly HashSet<string> ItemOperationAttributes = new(StringComparer.OrdinalIgnoreCase)
    {
        "Include", "Remove", "Update", "Condition", "KeepMetadata", "RemoveMetadata", "KeepDuplicates", "MatchOnMetadata", "MatchOnMetadataOptions", "Label",
    };

    [TestMethod]
    public void The_readme_has_xml_examples() => Assert.IsTrue(All().Count >= 3, "the extractor found the README's ```xml blocks");

    [TestMethod]
    [DynamicData(nameof(Examples))]
    public void Xml_example_evaluates_in_msbuild_and_keeps_what_it_sets(string location, string xml) => Check(location, xml);

    /// <summary>The check itself catches what it is for: MSB4066 for Target= on an item, and Exclude swallowed as the item-exclude attribute.</summary>
    [TestMethod]
    public void The_check_fails_on_reserved_metadata_names()
    {
        var target = Assert.ThrowsExactly<AssertFailedException>(() => Check("reserved-target", $"""
            <ItemGroup>
              <AiModel Include="resnet" Source="https://models.example.com/resnet50.onnx"
                       Sha256="{new string('a', 64)}" Target="/models/resnet/model.onnx" />
            </ItemGroup>
            """));
        StringAssert.Contains(target.Message, "MSB4066");
        var exclude = Assert.ThrowsExactly<AssertFailedException>(() => Check("reserved-exclude", """
            <ItemGroup>
              <AiModel Include="local" Source="models/classifier/" Exclude="*.bin" />
            </ItemGroup>
            """));
        StringAssert.Contains(exclude.Message, "AiModel 'local' metadata Exclude is missing");
    }

    private static void Check(string location, string xml)
    {
        var example = new Example(location, xml);
        // A nuget.config ("Getting the package") is NuGet's file, not a project: it must be well-formed; MSBuild never reads it.
        if (Regex.IsMatch(example.Xml, @"^\s*(<\?xml[^>]*\?>\s*)?<configuration>"))
        {
            try { XDocument.Parse(example.Xml.Trim()); }
            catch (XmlException e) { Assert.Fail($"{location}: the nuget.config example is not well-formed XML: {e.Message}"); }
            return;
        }
        XElement root;
        try
        {
            // A fragment may hold several top-level elements; a wrapper makes it one document.
            var wrapped = XElement.Parse("<Fragment>" + example.Xml + "</Fragment>", LoadOptions.SetLineInfo);
            root = wrapped.Elements().Count() == 1 && wrapped.Elements().Single().Name.LocalName == "Project" ? wrapped.Elements().Single() : wrapped;
        }
        catch (XmlException e)
        {
            Assert.Fail($"{location}: the example is not well-formed XML, so a user cannot paste it: {e.Message}");
            return;
        }

        var wholeProject = root.Name.LocalName == "Project";
        var project = new SdkProject("Example");
        project.Write("Example.csproj", wholeProject
            ? example.Xml
            : "<Project Sdk=\"AiContainers.Sdk/0.1.0\">\n" + string.Concat(root.Elements().Select(e => e.ToString() + "\n")) + "</Project>\n");

        var properties = root.Elements().Where(e => e.Name.LocalName == "PropertyGroup").SelectMany(g => g.Elements()).ToList();
        var items = root.Elements().Where(e => e.Name.LocalName == "ItemGroup").SelectMany(g => g.Elements()).ToList();
        var query = new List<string> { "msbuild", project.ProjectFile, "-nologo", "-getProperty:MSBuildProjectName", "-getProperty:AiImageBuilder" };
        query.AddRange(properties.Select(p => "-getProperty:" + p.Name.LocalName).Distinct());
        query.AddRange(items.Select(i => "-getItem:" + i.Name.LocalName).Distinct());
        var evaluation = project.Dotnet(query);
        Assert.AreEqual(0, evaluation.ExitCode, $"{location}: MSBuild could not evaluate the example:\n{evaluation.Output}\n--- project ---\n{File.ReadAllText(project.ProjectFile)}");
        Assert.IsFalse(Regex.IsMatch(evaluation.Output, @"error MSB\d{4}"), $"{location}: {evaluation.Output}");

        var json = JsonDocument.Parse(evaluation.StandardOutput).RootElement;
        var problems = new List<string>();
        foreach (var property in properties.Where(p => !p.Value.Contains("$(", StringComparison.Ordinal)))
        {
            var value = json.GetProperty("Properties").GetProperty(property.Name.LocalName).GetString();
            if (value != property.Value) problems.Add($"property {property.Name.LocalName} is '{value}', the example sets '{property.Value}'");
        }
        foreach (var item in items)
        {
            var include = item.Attribute("Include")?.Value;
            if (include is null || include.IndexOfAny(new[] { '*', '?', ';', '$', '@', '%' }) >= 0) continue;
            var type = item.Name.LocalName;
            var evaluated = json.GetProperty("Items").TryGetProperty(type, out var list)
                ? list.EnumerateArray().FirstOrDefault(i => i.GetProperty("Identity").GetString() == include)
                : default;
            if (evaluated.ValueKind != JsonValueKind.Object) { problems.Add($"{type} '{include}' is not among the evaluated items"); continue; }
            // The README documents Exclude as metadata of our items; MSBuild takes it as the item-exclude attribute.
            var metadata = item.Attributes().Where(a => !ItemOperationAttributes.Contains(a.Name.LocalName) && (a.Name.LocalName != "Exclude" || type.StartsWith("Ai", StringComparison.Ordinal)))
                .Select(a => (Name: a.Name.LocalName, a.Value))
                .Concat(item.Elements().Select(e => (Name: e.Name.LocalName, e.Value)));
            foreach (var (name, expected) in metadata.Where(m => !m.Value.Contains("$(", StringComparison.Ordinal) && !m.Value.Contains("%(", StringComparison.Ordinal)))
            {
                var actual = evaluated.TryGetProperty(name, out var v) ? v.GetString() : null;
                if (actual != expected) problems.Add($"{type} '{include}' metadata {name} is {(actual is null ? "missing" : $"'{actual}'")}, the example sets '{expected}'");
            }
        }
        Assert.AreEqual(0, problems.Count, $"{location}: what the example sets does not reach MSBuild as written:\n{string.Join("\n", problems)}\n--- -getProperty/-getItem ---\n{evaluation.StandardOutput}");

        if (!wholeProject) return;
        // The example's own files (requirements, the script it runs) are not part of it: empty stand-ins.
        foreach (var file in properties.Where(p => p.Name.LocalName is "AiPythonRequirements" or "AiTorchServeConfig").Select(p => p.Value)
                     .Concat(properties.Where(p => p.Name.LocalName == "AiCommand").SelectMany(p => p.Value.Split(' ')).Where(w => w.EndsWith(".py", StringComparison.Ordinal))))
            project.Write(file, "");
        var resolve = project.Dotnet(new[] { "build", project.ProjectFile, "-nologo", "-nodeReuse:false", "-t:ResolveAiImageSpec", "-p:AiImageBuilder=None", "-v:n" },
            new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" });
        Assert.AreEqual(0, resolve.ExitCode, $"{location}: the example does not resolve to an image spec:\n{resolve.Output}");
        var errors = Diagnostics.Parse(resolve.Output).Where(d => d.IsError).ToList();
        Assert.AreEqual(0, errors.Count, $"{location}: " + string.Join("\n", errors.Select(e => e.ConsoleLine)));
    }
}
