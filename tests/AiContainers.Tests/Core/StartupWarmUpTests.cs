using AiContainers.Core.Publishing;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Core;

/// <summary>
/// The warm-up ignores its failures in a build (the real steps report their own), so a step that stopped working would
/// silently warm nothing: each must run cleanly here, and write nothing.
/// </summary>
[TestClass]
public sealed class StartupWarmUpTests
{
    [TestMethod]
    public void Every_warm_up_step_runs_without_error_and_writes_nothing()
    {
        var root = TestPaths.NewTempDirectory("warm-up");
        try
        {
            var specFile = Path.Combine(root, "spec.json");
            AiImageSpecJson.Write(Inputs.Spec(Inputs.WebApp()), specFile);
            var before = Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList();

            var failures = StartupWarmUp.Run(specFile);

            Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
            CollectionAssert.AreEqual(before, Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList());
            // No previous spec (a first publish): the other steps still run.
            Assert.AreEqual(0, StartupWarmUp.Run(Path.Combine(root, "none.json")).Count);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
