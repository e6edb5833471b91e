using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// The warm-up target as a project meets it: with PublishAiImage=true it runs as soon as restore is done, once per process; AiStartupWarmUp=false, the README's example, turns it off. No publish: restore and the target.
/// </summary>
[TestClass]
public sealed class WarmUpTargetTests
{
    private static ProcessResult Run(SdkProject project, params string[] properties)
        => project.Dotnet(new[] { "msbuild", project.ProjectFile, "-restore", "-t:_AiWarmUpImageSteps", "-nologo", "-nodeReuse:false", "-v:d", "-p:PublishAiImage=true" }
            .Concat(properties.Select(p => "-p:" + p)));

    [TestMethod]
    public void The_warm_up_starts_when_restore_is_done_and_AiStartupWarmUp_false_turns_it_off()
    {
        var project = SdkProject.ConsoleApp("WarmUpTarget" + Guid.NewGuid().ToString("N")[..8], "");
        try
        {
            var on = Run(project);
            Assert.AreEqual(0, on.ExitCode, on.Output);
            // In the restore pass, right after Restore (AfterTargets), then again as the target asked for (a no-op there).
            var task = on.Output.IndexOf("Task \"WarmUpAiImageSteps\"", StringComparison.Ordinal);
            var restored = on.Output.IndexOf("Done building target \"Restore\"", StringComparison.Ordinal);
            var build = on.Output.IndexOf("(_AiWarmUpImageSteps target(s))", StringComparison.Ordinal);
            Assert.IsTrue(restored >= 0 && task > restored && build > task, "the warm-up task runs once restore is done, before the build:\n" + on.Output);

            var off = Run(project, "AiStartupWarmUp=false");
            Assert.AreEqual(0, off.ExitCode, off.Output);
            Assert.IsFalse(off.Output.Contains("Task \"WarmUpAiImageSteps\"", StringComparison.Ordinal), off.Output);
        }
        finally
        {
            Directory.Delete(project.Directory, recursive: true);
        }
    }
}
