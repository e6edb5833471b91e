using System.Reflection;
using AiContainers.Core.IO;

namespace AiContainers.Tests.Infrastructure;

internal static class TestPaths
{
    private static string Metadata(string key)
        => typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    public static string SourceDirectory => Metadata("AiTestsSourceDirectory");
    public static string RepoRoot => Path.GetFullPath(Metadata("AiRepoRoot"));
    public static string GoldenDirectory => Path.Combine(SourceDirectory, "Golden");
    public static string Packages => Path.Combine(RepoRoot, "artifacts", "packages");

    private const string RunPrefix = "run-";

    /// <summary>
    /// This test process's folder under $TMP/aic-tests (run-&lt;pid&gt;): the projects, images and caches the tests write
    /// (~13 GB in a full run) are deleted when the run ends (<see cref="TestRunFolder"/>), and a run that was killed leaves
    /// a folder the next run deletes.
    /// </summary>
    public static string RunDirectory { get; } = CreateRunDirectory();

    public static string NewTempDirectory(string name)
    {
        var path = Path.Combine(RunDirectory, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string CreateRunDirectory() => ProcessFolders.CreateOwn(Path.Combine(Path.GetTempPath(), "aic-tests"), RunPrefix);
}
