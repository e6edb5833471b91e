using System.Text;
using System.Text.RegularExpressions;
using AiContainers.Core.Deploy;
using AiContainers.Core.Generation;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace AiContainers.Tests.Hardening;

/// <summary>
/// The hostile inputs of issue #10 and the helpers that read the generated files back the way their consumers
/// do: the Dockerfile parser's instructions and double-quote unescaping, YAML, Kubernetes' own types, and bash.
/// </summary>
internal static partial class HostileValues
{
    /// <summary>Line breaks of every kind the issue names, and NUL and tab (also Cc).</summary>
    public static readonly string[] ControlPayloads = { "\n", "\r\n", "\r", "\nRUN touch /pwned\n", "\0", "\t", "\u2028", "\u2029", "\u0085", "\u001b[31m" };

    /// <summary>Characters that mean something to a Dockerfile, a shell or YAML, but on one line.</summary>
    public static readonly string[] SyntaxPayloads = { "\"", "'", "\\", "\\\"", "$(touch /pwned)", "${HOME}", "$HOME", "`id`", "&& touch /pwned", "; touch /pwned #", ": x", "- y", "#z", "{a: b}", "\\" /* trailing, as the last character */ };

    public static IEnumerable<string> All => ControlPayloads.Concat(SyntaxPayloads);

    /// <summary>The baseline's items, one of each kind the generated files show.</summary>
    public static readonly (string Type, string Include, (string Name, string Value)[] Metadata)[] BaselineItems =
    {
        ("ContainerPort", "8080", new[] { ("Type", "tcp") }),
        ("ContainerEnvironmentVariable", "LOG_LEVEL", new[] { ("Value", "info") }),
        ("ContainerLabel", "com.acme.team", new[] { ("Value", "ml") }),
        ("AiSystemPackages", "libgomp1", Array.Empty<(string, string)>()),
        ("AiRunCommand", "echo ok > /etc/ok", Array.Empty<(string, string)>()),
        ("AiVolume", "model-cache", new[] { ("ContainerPath", "/models") }),
    };

    /// <summary>The project every hostile value is planted into: it uses every generated file's every section.</summary>
    public static ProjectInputs Baseline()
    {
        var input = BaselineProperties();
        foreach (var (type, include, metadata) in BaselineItems) input.Add(type, include, metadata);
        return input;
    }

    public static ProjectInputs BaselineProperties() => Inputs.WebApp()
        .Set("ContainerWorkingDirectory", "/srv/app")
        .Set("Description", "Demo service")
        .Set("Authors", "Acme")
        .Set("AiHealthCheckPath", "/health")
        .Set("AiShmSize", "1g")
        .Set("AiMemoryLimit", "2g")
        .Set("AiCpuLimit", "2")
        .Set("AiLogMaxSize", "10m")
        .Set("AiLogMaxFiles", "3");

    /// <summary>Every property the SDK hands to the mapper, read from the targets, so a new one is covered without editing this test.</summary>
    public static IReadOnlyList<string> SdkProperties()
    {
        var targets = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "sdk", "AiContainers.Sdk", "build", "AiContainers.Sdk.targets"));
        return PropertyRegex().Matches(targets).Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every item type the SDK hands to the mapper, from the same targets.</summary>
    public static IReadOnlyList<string> SdkItemTypes()
    {
        var targets = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "sdk", "AiContainers.Sdk", "build", "AiContainers.Sdk.targets"));
        return ItemTypeRegex().Matches(targets).Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"<_AiProperty Include=""(\w+)""")] private static partial Regex PropertyRegex();
    [GeneratedRegex(@"AiItemType=""(\w+)""")] private static partial Regex ItemTypeRegex();

    // ---------------------------------------------------------------- Dockerfile, as its parser reads it

    /// <summary>One Dockerfile instruction: its keyword and its text with continuation lines joined.</summary>
    public sealed record Instruction(string Keyword, string Text);

    /// <summary>
    /// The instructions as the Dockerfile parser sees them: comment and blank lines dropped, a line ending in
    /// the escape character continued onto the next, and a BuildKit heredoc word swallowing the lines to its end word.
    /// </summary>
    public static IReadOnlyList<Instruction> Instructions(string dockerfile)
    {
        var result = new List<Instruction>();
        var lines = dockerfile.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.TrimStart().StartsWith('#') || line.Trim().Length == 0) continue;
            var text = new StringBuilder();
            while (true)
            {
                var trimmed = line.TrimEnd();
                if (trimmed.EndsWith('\\') && i + 1 < lines.Length) { text.Append(trimmed[..^1]); line = lines[++i]; continue; }
                text.Append(line);
                break;
            }
            var joined = text.ToString().Trim();
            var keyword = joined.Split(' ', 2)[0].ToUpperInvariant();
            // BuildKit reads <<WORD in RUN/COPY as a heredoc: the lines up to WORD belong to this instruction.
            var heredoc = Regex.Match(joined, @"(?:^|\s)\d*<<-?\s*[""']?(\w+)");
            if (heredoc.Success && keyword is "RUN" or "COPY")
                while (i + 1 < lines.Length && lines[++i].Trim() != heredoc.Groups[1].Value) { }
            result.Add(new Instruction(keyword, joined));
        }
        return result;
    }

    /// <summary>
    /// The name=value pairs of an ENV or LABEL instruction, unquoted the way the Dockerfile parser does inside
    /// double quotes (only \\, \" and \$ are escapes; any other backslash is literal).
    /// </summary>
    public static IReadOnlyList<(string Name, string Value)> Pairs(Instruction instruction)
    {
        var pairs = new List<(string, string)>();
        var text = instruction.Text[(instruction.Keyword.Length + 1)..];
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length) break;
            var eq = text.IndexOf('=', i);
            var name = text[i..eq];
            i = eq + 1;
            var value = new StringBuilder();
            if (text[i] != '"') throw new AssertFailedException($"{instruction.Keyword} value of {name} is not double-quoted: {text}");
            i++;
            while (text[i] != '"')
            {
                if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '\\' or '"' or '$') i++;
                value.Append(text[i++]);
            }
            i++;
            pairs.Add((name, value.ToString()));
        }
        return pairs;
    }

    // ---------------------------------------------------------------- compose.yaml

    public static YamlMappingNode Yaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    public static YamlNode At(YamlNode node, params string[] path)
    {
        foreach (var key in path) node = ((YamlMappingNode)node).Children[new YamlScalarNode(key)];
        return node;
    }

    /// <summary>What compose makes of a scalar it interpolates: $$ is one '$'.</summary>
    public static string ComposeValue(YamlNode node) => ((YamlScalarNode)node).Value!.Replace("$$", "$");

    // ---------------------------------------------------------------- docker-run.sh, run by bash

    private static readonly Lazy<string> FakeDockerDirectory = new(() =>
    {
        var directory = TestPaths.NewTempDirectory("fake-docker");
        var docker = Path.Combine(directory, "docker");
        // Prints each argument it got, NUL-terminated, so the test sees the words bash really passed.
        File.WriteAllText(docker, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n");
        File.SetUnixFileMode(docker, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    });

    /// <summary>Runs the script with bash and a docker that only reports its arguments; returns them.</summary>
    public static IReadOnlyList<string> DockerRunArguments(string script)
    {
        var path = Path.Combine(FakeDockerDirectory.Value, "docker-run-" + Guid.NewGuid().ToString("N") + ".sh");
        File.WriteAllText(path, script);
        try
        {
            var result = ProcessRunner.Run("bash", new[] { path }, FakeDockerDirectory.Value,
                new Dictionary<string, string?> { ["PATH"] = FakeDockerDirectory.Value + ":" + Environment.GetEnvironmentVariable("PATH"), ["AIC_NO_GPU"] = null, ["AIC_DOCKER_RUN_ARGS"] = null });
            Assert.AreEqual(0, result.ExitCode, "docker-run.sh failed under bash: " + result.Output);
            return result.StandardOutput.Split('\0', StringSplitOptions.None)[..^1];
        }
        finally { File.Delete(path); }
    }

    /// <summary>The files a spec produces, by relative path.</summary>
    public static Dictionary<string, string> DeployFiles(AiImageSpec spec)
        => DeployFilesGenerator.Generate(spec, spec.Deploy).ToDictionary(f => f.RelativePath, f => f.Content);

    /// <summary>The ENV the image gets for the user's variables, as the engine will read it.</summary>
    public static Dictionary<string, string> ImageEnvironmentOf(string dockerfile)
        => Instructions(dockerfile).Where(i => i.Keyword == "ENV").SelectMany(Pairs).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Last().Value);

    public static Dictionary<string, string> ImageLabelsOf(string dockerfile)
        => Instructions(dockerfile).Where(i => i.Keyword == "LABEL").SelectMany(Pairs).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Last().Value);

    public static GeneratedDockerfile Dockerfile(AiImageSpec spec) => DockerfileGenerator.Generate(spec);
}
