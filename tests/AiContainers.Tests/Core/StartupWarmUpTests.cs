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

            var outcome = StartupWarmUp.Run(specFile);

            Assert.AreEqual(0, outcome.Failures.Count, string.Join("\n", outcome.Failures));
            Assert.IsNull(outcome.DryRun, "no inputs of a previous publish: no dry run");
            CollectionAssert.AreEqual(before, Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList());
            // No previous spec (a first publish): the other steps still run.
            Assert.AreEqual(0, StartupWarmUp.Run(Path.Combine(root, "none.json")).Failures.Count);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public void With_the_previous_inputs_the_dry_run_builds_and_pushes_to_its_own_registry_and_leaves_nothing()
    {
        var root = TestPaths.NewTempDirectory("warm-up-dry-run");
        try
        {
            // The previous publish: its inputs as ResolveAiImageSpec saved them, its publish folder, a health probe.
            var publish = Directory.CreateDirectory(Path.Combine(root, "publish")).FullName;
            File.WriteAllText(Path.Combine(publish, "Demo.deps.json"), "{\"runtimeTarget\":{\"name\":\".NETCoreApp,Version=v10.0/linux-x64\"},\"targets\":{},\"libraries\":{}}");
            var probe = Path.Combine(root, "aic-healthcheck");
            File.WriteAllBytes(probe, new byte[] { 0x7f, 0x45, 0x4c, 0x46 });
            var specFile = Path.Combine(root, "obj", "spec.json");
            Directory.CreateDirectory(Path.GetDirectoryName(specFile)!);
            Inputs.WebApp()
                .Set("MSBuildProjectDirectory", root)
                .Set("PublishDir", publish + "/")
                .Set("AiImageOutputPath", Path.Combine(root, "aicontainer") + "/")
                .Set("_AiHealthProbePath", probe)
                // The project's registry is never contacted: the dry run pushes to its own.
                .Set("ContainerRegistry", "registry.invalid")
                .WriteSnapshot(StartupWarmUp.InputsFileBeside(specFile));
            var before = Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList();

            var outcome = StartupWarmUp.Run(specFile);

            Assert.AreEqual(0, outcome.Failures.Count, string.Join("\n", outcome.Failures));
            StringAssert.StartsWith(outcome.DryRun, "pushed sha256:");
            CollectionAssert.AreEqual(before, Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList());
            Assert.IsFalse(Directory.Exists(Path.Combine(Path.GetTempPath(), "aicontainers-warm-up-" + Environment.ProcessId)), "the scratch folder is deleted");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public void The_inputs_snapshot_reads_back_as_the_same_inputs()
    {
        var root = TestPaths.NewTempDirectory("warm-up-snapshot");
        try
        {
            var path = Path.Combine(root, "inputs.json");
            var inputs = Inputs.WebApp()
                .Add("ContainerPort", "8080", ("Type", "tcp"))
                .Add("ContainerEnvironmentVariable", "MODE", ("Value", "a \"quoted\" value"))
                .SetEnvironment("SOURCE_DATE_EPOCH", "1700000000");
            inputs.WriteSnapshot(path);

            var read = ProjectInputs.ReadSnapshot(path);

            Assert.IsNotNull(read);
            Assert.AreEqual(AiImageSpecJson.Serialize(Inputs.Spec(inputs)), AiImageSpecJson.Serialize(Inputs.Spec(read)));
            Assert.AreEqual("1700000000", read.Environment("SOURCE_DATE_EPOCH"));
            File.WriteAllText(path, "{ not json");
            Assert.IsNull(ProjectInputs.ReadSnapshot(path), "a damaged snapshot is no snapshot");
            Assert.IsNull(ProjectInputs.ReadSnapshot(Path.Combine(root, "none.json")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
