using System.IO.Compression;
using System.Text.Json;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// What the training sample and the training template do when their image runs: 300 epochs, then model.npz and
/// metrics.json in /data/checkpoints as the image's user. Checked from the run's output and the files copied out of the
/// stopped container.
/// </summary>
internal static class TrainingCheckpoint
{
    /// <summary>Asserts the run trained and wrote its checkpoint; returns metrics.json for the caller's own checks.</summary>
    public static JsonElement AssertWritten(string container, ProcessResult run)
    {
        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "epoch 300 loss");
        StringAssert.Contains(run.Output, "checkpoint /data/checkpoints/model.npz");
        var copied = TestPaths.NewTempDirectory("checkpoint");
        var cp = EngineEnvironment.Docker("cp", container + ":/data/checkpoints/.", copied);
        Assert.AreEqual(0, cp.ExitCode, cp.Output);
        using (var npz = ZipFile.OpenRead(Path.Combine(copied, "model.npz")))
            CollectionAssert.AreEquivalent(new[] { "weights.npy", "bias.npy" }, npz.Entries.Select(e => e.FullName).ToArray());
        var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(copied, "metrics.json"))).RootElement;
        Assert.AreEqual(300, metrics.GetProperty("epochs").GetInt32());
        return metrics;
    }
}
