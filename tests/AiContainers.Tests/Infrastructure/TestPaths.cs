using System.Reflection;

namespace AiContainers.Tests.Infrastructure;

internal static class TestPaths
{
    private static string Metadata(string key)
        => typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    public static string SourceDirectory => Metadata("AiTestsSourceDirectory");
    public static string RepoRoot => Path.GetFullPath(Metadata("AiRepoRoot"));
    public static string GoldenDirectory => Path.Combine(SourceDirectory, "Golden");
    public static string Packages => Path.Combine(RepoRoot, "artifacts", "packages");

    public static string NewTempDirectory(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), "aic-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }
}
