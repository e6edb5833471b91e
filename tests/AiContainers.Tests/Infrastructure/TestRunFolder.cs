namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// Deletes this run's temp folder (<see cref="TestPaths.RunDirectory"/>) once every test has run, unless
/// AIC_KEEP_TEST_FILES=1 asks to keep it for a look at what a failing test wrote.
/// </summary>
[TestClass]
public static class TestRunFolder
{
    [AssemblyCleanup]
    public static void DeleteRunFolder()
    {
        if (Environment.GetEnvironmentVariable("AIC_KEEP_TEST_FILES") == "1") return;
        AiContainers.Core.IO.ProcessFolders.DeleteQuietly(TestPaths.RunDirectory);
    }
}
