namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// Golden files under tests/AiContainers.Tests/Golden/&lt;case&gt;/. A missing file fails and names its
/// path; AIC_UPDATE_GOLDEN=1 rewrites them (review the diff before committing).
/// </summary>
internal static class Golden
{
    public static bool Updating => Environment.GetEnvironmentVariable("AIC_UPDATE_GOLDEN") == "1";

    public static void Assert(string caseName, string fileName, string actual)
    {
        var path = Path.Combine(TestPaths.GoldenDirectory, caseName, fileName);
        if (Updating)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        if (!File.Exists(path))
            Microsoft.VisualStudio.TestTools.UnitTesting.Assert.Fail($"Golden file {path} is missing. Run the tests with AIC_UPDATE_GOLDEN=1 to write it, then review it.");
        var expected = File.ReadAllText(path).Replace("\r\n", "\n");
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual(expected, actual, $"Generated {fileName} differs from {path}. If the change is intended, rerun with AIC_UPDATE_GOLDEN=1 and review the diff.");
    }
}
