using System.Diagnostics;
using AiContainers.Core.IO;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Core;

[TestClass]
public sealed class ProcessFoldersTests
{
    [TestMethod]
    public void A_new_folder_replaces_those_of_ended_processes_and_keeps_those_of_running_ones()
    {
        var parent = TestPaths.NewTempDirectory("process-folders");
        // A pid whose process has ended: one this test started and waited for.
        using var ended = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        ended.WaitForExit();
        var left = Directory.CreateDirectory(Path.Combine(parent, "scratch-" + ended.Id)).FullName;
        File.WriteAllText(Path.Combine(left, "partial"), "left by a killed run");
        var running = Directory.CreateDirectory(Path.Combine(parent, "scratch-1")).FullName;   // init runs as long as the machine
        var other = Directory.CreateDirectory(Path.Combine(parent, "scratch-notapid")).FullName;

        var own = ProcessFolders.CreateOwn(parent, "scratch-");

        Assert.AreEqual(Path.Combine(parent, "scratch-" + Environment.ProcessId), own);
        Assert.IsTrue(Directory.Exists(own) && !Directory.EnumerateFileSystemEntries(own).Any(), "this process's folder, empty");
        Assert.IsFalse(Directory.Exists(left), "the folder of a process that ended is deleted");
        Assert.IsTrue(Directory.Exists(running), "a running process's folder is kept");
        Assert.IsTrue(Directory.Exists(other), "a folder not named after a pid is not ours to delete");
    }
}
