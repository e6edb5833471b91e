using System.Text.RegularExpressions;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// The README's "Getting the package" and "Quick start", followed literally by a user with nothing cached: a new
/// folder, an empty NuGet cache (NUGET_PACKAGES), the README's nuget.config pointing at this checkout's
/// artifacts/packages, the README's commands. The project the template writes is the one the README shows.
/// </summary>
[TestClass]
public sealed partial class GettingThePackageTests
{
    private const string FeedPlaceholder = "/path/to/aicontainers/artifacts/packages";

    private static string Readme => File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));

    /// <summary>The fenced blocks of one language in the README section under <paramref name="heading"/> (up to the next "## ").</summary>
    private static List<string> Blocks(string heading, string language)
    {
        var readme = Readme.Replace("\r\n", "\n");
        var start = readme.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.IsTrue(start >= 0, $"README.md has a '{heading}' section");
        var end = readme.IndexOf("\n## ", start + heading.Length + 2, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];
        return Regex.Matches(section, "^```" + language + "\n(?<body>.*?)^```$", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => m.Groups["body"].Value).ToList();
    }

    [TestMethod]
    public void Readme_quick_start_from_a_clean_nuget_cache_and_a_new_folder()
    {
        var work = TestPaths.NewTempDirectory("getting-the-package");
        var cache = TestPaths.NewTempDirectory("empty-nuget-cache");
        var hive = TestPaths.NewTempDirectory("template-hive");
        try
        {
            // The nuget.config of "Getting the package", with this checkout's folder for the placeholder.
            var nugetConfig = Blocks("## Getting the package", "xml").Single(b => b.Contains("<packageSources>", StringComparison.Ordinal));
            StringAssert.Contains(nugetConfig, FeedPlaceholder, "the README names the folder build/pack.sh writes");
            File.WriteAllText(Path.Combine(work, "nuget.config"), nugetConfig.Replace(FeedPlaceholder, TestPaths.Packages));

            var environment = new Dictionary<string, string?>(TemplateEndToEndTests.DotnetEnvironment)
            {
                ["NUGET_PACKAGES"] = cache,
                ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock",
            };
            // The Quick start's commands, one per line, as a shell would run them. Two additions only: the template
            // hive of this test (not ~/.templateengine), and AiImageBuilder=None (no image is built here; the
            // template tests build and run it).
            var directory = work;
            ProcessResult? publish = null;
            var commands = Blocks("## Quick start", "sh").First().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var line in commands)
            {
                var command = Regex.Replace(line, @"\s+#.*$", "").Trim();
                var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
                if (words[0] == "cd") { directory = Path.Combine(directory, words[1]); continue; }
                Assert.AreEqual("dotnet", words[0], $"the Quick start runs dotnet and cd only: {line}");
                if (words[1] == "new")
                {
                    if (words[2] == "install") words[3] = TemplateEndToEndTests.TemplatePackage;
                    words.AddRange(new[] { "--debug:custom-hive", hive });
                }
                if (words[1] == "publish") words.AddRange(new[] { "-nologo", "-nodeReuse:false", "-p:AiImageBuilder=None" });
                var result = ProcessRunner.Run("dotnet", words.Skip(1), directory, environment, TimeSpan.FromMinutes(10));
                Assert.AreEqual(0, result.ExitCode, $"{command}\n{result.Output}");
                if (words[1] == "publish") publish = result;
            }
            Assert.IsNotNull(publish, "the Quick start publishes");
            TemplateEndToEndTests.AssertNoWarning(publish, "the Quick start");
            Assert.IsTrue(File.Exists(Path.Combine(directory, "bin", "Release", "aicontainer", "Dockerfile")), publish.Output);
            Assert.IsTrue(Directory.EnumerateDirectories(Path.Combine(cache, "aicontainers.sdk")).Any(), "the SDK came from the README's feed into the empty cache");

            // What the template wrote is what the README shows (the README names the release version).
            var projectFile = Directory.EnumerateFiles(directory, "*.csproj").Single();
            Assert.AreEqual(SdkProject.WithPackedVersion(Blocks("## Quick start", "xml").First()).TrimEnd(), File.ReadAllText(projectFile).TrimEnd(), "the Quick start's project file is the template's");
            Assert.AreEqual(Blocks("## Quick start", "csharp").First().TrimEnd(), File.ReadAllText(Path.Combine(directory, "Program.cs")).TrimEnd(), "the Quick start's Program.cs is the template's");
        }
        finally
        {
            // Hundreds of MB of packages restored into a cache nobody reuses.
            Directory.Delete(cache, recursive: true);
        }
    }

    [TestMethod]
    public void Readme_quick_start_pasted_into_dotnet_new_web_publishes_without_a_warning()
    {
        var project = new SdkProject("PastedWeb");
        var created = project.Dotnet(new[] { "new", "web", "-n", "PastedWeb", "-o", project.Directory });
        Assert.AreEqual(0, created.ExitCode, created.Output);
        project.Write("PastedWeb.csproj", Blocks("## Quick start", "xml").First());
        project.Write("Program.cs", Blocks("## Quick start", "csharp").First());
        // "with a model at model/model.onnx": the template's.
        Directory.CreateDirectory(Path.Combine(project.Directory, "model"));
        File.Copy(Path.Combine(TestPaths.RepoRoot, "templates", "AiContainers.Templates", "content", "inference", "model", "model.onnx"), Path.Combine(project.Directory, "model", "model.onnx"));

        var result = project.Publish(new[] { "AiImageBuilder=None" }, new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" });
        Assert.AreEqual(0, result.ExitCode, result.Output);
        TemplateEndToEndTests.AssertNoWarning(result, "the Quick start in dotnet new web");
        var dockerfile = File.ReadAllText(Path.Combine(project.OutputDirectory, "Dockerfile"));
        StringAssert.Contains(dockerfile, "HEALTHCHECK", "the /health the project declares is the one Program.cs maps");
        StringAssert.Contains(dockerfile, "/health");
    }
}
