using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Core;

[TestClass]
public sealed class DockerfileLintTests
{
    [TestMethod]
    public void Every_golden_dockerfile_passes_the_offline_linter()
    {
        var files = Directory.GetFiles(TestPaths.GoldenDirectory, "Dockerfile", SearchOption.AllDirectories);
        Assert.IsTrue(files.Length >= 10, "at least ten golden Dockerfiles");
        foreach (var file in files) DockerfileLinter.AssertClean(file);
    }

    [TestMethod]
    public void The_linter_rejects_a_broken_dockerfile()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory("lint"), "Dockerfile");
        File.WriteAllText(path, "FROM\nEXPOSE 99999\nCOPY\n");
        var linter = DockerfileLinter.Path;
        if (linter is null) { DockerfileLinter.AssertClean(path); return; }
        var result = ProcessRunner.Run(linter, new[] { "lint", path });
        Assert.AreNotEqual(0, result.ExitCode, "the linter must be able to fail, or the golden check proves nothing");
    }
}
