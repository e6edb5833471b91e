using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Docs;

/// <summary>
/// Templates and samples share some files (the TorchServe handler, its archive and the script that makes it). A file
/// both have is one file in two places: a fix to one must reach the other, so they must stay byte-identical, except
/// the files listed here with the reason they differ.
/// </summary>
[TestClass]
public sealed class TemplateSampleCopiesTests
{
    private static readonly (string Template, string Sample)[] Pairs =
    {
        ("torchserve", "TorchServe"),
        ("training", "PythonTraining"),
        ("inference", "SentimentService"),
    };

    private static readonly Dictionary<string, string> IntendedDifferences = new(StringComparer.Ordinal)
    {
        // The sample installs a local wheel offline (trainkit), to test the Python builder stage; the template has no wheel.
        ["training/requirements.txt"] = "the sample pins a local wheel",
        ["training/train.py"] = "the sample imports the local wheel",
        // The template is the Quick start's minimal service; the sample is the fuller demo with /predict.
        ["inference/Program.cs"] = "template: minimal service; sample: the demo",
    };

    [TestMethod]
    public void Files_a_template_shares_with_its_sample_are_identical()
    {
        var templates = Path.Combine(TestPaths.RepoRoot, "templates", "AiContainers.Templates", "content");
        var compared = 0;
        var drifted = new List<string>();
        foreach (var (template, sample) in Pairs)
        {
            var templateRoot = Path.Combine(templates, template);
            var sampleRoot = Path.Combine(TestPaths.RepoRoot, "samples", sample);
            Assert.IsTrue(Directory.Exists(templateRoot), templateRoot);
            Assert.IsTrue(Directory.Exists(sampleRoot), sampleRoot);
            foreach (var file in Directory.EnumerateFiles(templateRoot, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(templateRoot, file).Replace('\\', '/');
                if (relative.Split('/')[0] is "bin" or "obj" or ".template.config") continue;
                var twin = Path.Combine(sampleRoot, relative);
                if (!File.Exists(twin)) continue;
                var key = template + "/" + relative;
                if (IntendedDifferences.ContainsKey(key)) continue;
                compared++;
                if (!File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(twin))) drifted.Add($"{key} differs from samples/{sample}/{relative}");
            }
        }
        Assert.IsTrue(compared >= 3, $"the TorchServe handler, archive and script are shared; compared {compared}");
        Assert.AreEqual(0, drifted.Count, string.Join("\n", drifted));
    }

    [TestMethod]
    public void Every_intended_difference_is_still_a_difference()
    {
        var templates = Path.Combine(TestPaths.RepoRoot, "templates", "AiContainers.Templates", "content");
        foreach (var (key, reason) in IntendedDifferences)
        {
            var template = key.Split('/')[0];
            var sample = Pairs.Single(p => p.Template == template).Sample;
            var templateFile = Path.Combine(templates, key);
            var sampleFile = Path.Combine(TestPaths.RepoRoot, "samples", sample, key[(template.Length + 1)..]);
            if (!File.Exists(templateFile) || !File.Exists(sampleFile)) continue;
            Assert.IsFalse(File.ReadAllBytes(templateFile).AsSpan().SequenceEqual(File.ReadAllBytes(sampleFile)),
                $"{key} is listed as differing ({reason}) but is identical now: drop it from the list");
        }
    }
}
