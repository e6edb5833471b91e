using System.Text.Json;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// samples/GpuSmoke, published with the packed SDK (daemonless, the default) on the glibc-only base that
/// build/standins.sh pushes, and run on this GPU-less machine: it must say plainly that there is no CUDA driver
/// (exit 2), and with a driver that finds no GPU, that there is no device (exit 3). On a GPU machine the same
/// image runs the kernel (README, "Proof on a real GPU"; build/gpu-smoke.sh exports its root filesystem).
/// </summary>
[TestClass]
public sealed class GpuSmokeEndToEndTests
{
    private const string NoDriverLine = "GpuSmoke: no CUDA driver: libcuda.so.1 was not found.";

    private static string? _image;
    private static ProcessResult? _publish;

    /// <summary>A copy of the sample in a temp folder (with the packed SDK's nuget.config and global.json), published once for the class.</summary>
    private static string Image()
    {
        if (_image is not null) return _image;
        var project = SdkProject.CopyOfSample("GpuSmoke");
        var tag = "e2e-" + Guid.NewGuid().ToString("N")[..10];
        _publish = project.Publish(new[] { "ContainerRegistry=" + EngineEnvironment.Registry, "ContainerImageTag=" + tag });
        Assert.AreEqual(0, _publish.ExitCode, _publish.Output);
        var image = $"{EngineEnvironment.Registry}/samples/gpusmoke:{tag}";
        var pull = EngineEnvironment.Docker("pull", "-q", image);
        Assert.AreEqual(0, pull.ExitCode, pull.Output);
        return _image = image;
    }

    [ClassCleanup]
    public static void RemoveImage()
    {
        if (_image is not null) EngineEnvironment.Docker("rmi", "-f", _image);
    }

    [TestMethod]
    public void Without_a_GPU_driver_the_app_exits_2_with_the_no_CUDA_driver_line()
    {
        EngineEnvironment.Require();
        var image = Image();
        StringAssert.Contains(_publish!.Output, "by the Daemonless builder", "a self-contained app with no RUN step builds daemonless");

        var run = EngineEnvironment.Docker("run", "--rm", "--network", "host", image);
        Assert.AreEqual(2, run.ExitCode, run.ToString());
        StringAssert.Contains(run.StandardError, NoDriverLine, run.ToString());
    }

    [TestMethod]
    public void The_image_carries_the_GPU_settings_on_a_glibc_only_base_of_a_few_MiB()
    {
        EngineEnvironment.Require();
        var image = Image();
        var inspect = EngineEnvironment.Docker("image", "inspect", image);
        Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
        var root = JsonDocument.Parse(inspect.Output).RootElement[0];
        var config = root.GetProperty("Config");
        var env = config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()!).ToList();
        CollectionAssert.Contains(env, "NVIDIA_VISIBLE_DEVICES=all", "what the NVIDIA container runtime reads to give GPUs");
        CollectionAssert.Contains(env, "NVIDIA_DRIVER_CAPABILITIES=compute,utility", "compute mounts libcuda.so.1 and the PTX JIT");
        var labels = config.GetProperty("Labels");
        Assert.AreEqual("true", labels.GetProperty("ai.containers.gpu").GetString());
        Assert.AreEqual("1", labels.GetProperty("ai.containers.gpu.count").GetString());
        Assert.AreEqual(EngineEnvironment.MirrorPrefix + "/aicontainers/glibc-min:bookworm", labels.GetProperty("org.opencontainers.image.base.name").GetString());
        Assert.AreEqual("/app/GpuSmoke", config.GetProperty("Entrypoint")[0].GetString());
        Assert.AreEqual("1654:1654", config.GetProperty("User").GetString());

        // The whole root filesystem must fit the 64 MiB a GPU test machine takes, with runc beside it (~10 MiB).
        var size = root.GetProperty("Size").GetInt64();
        Assert.IsTrue(size < 40L << 20, $"image is {size / (1 << 20)} MiB");
    }

    /// <summary>
    /// A libcuda.so.1 built here whose cuInit answers CUDA_ERROR_NO_DEVICE, as the real one does in a container
    /// that has the driver's libraries but no /dev/nvidia* nodes: the app finds the library through
    /// LD_LIBRARY_PATH (as a GPU host's runtime gives it) and exits 3 with the driver's own error name.
    /// </summary>
    [TestMethod]
    public void With_a_driver_that_finds_no_GPU_the_app_exits_3_naming_the_driver_error()
    {
        EngineEnvironment.Require();
        var image = Image();
        var driverDirectory = TestPaths.NewTempDirectory("fake-libcuda");
        var source = Path.Combine(driverDirectory, "libcuda.c");
        File.WriteAllText(source, """
            /* Fault injection: a CUDA driver with no GPU. Signatures as in cuda.h. */
            int cuInit(unsigned int flags) { (void)flags; return 100; /* CUDA_ERROR_NO_DEVICE */ }
            int cuGetErrorName(int error, const char **name) { *name = error == 100 ? "CUDA_ERROR_NO_DEVICE" : "CUDA_ERROR_UNKNOWN"; return 0; }
            """);
        var gcc = ProcessRunner.Run("gcc", new[] { "-shared", "-fPIC", "-O2", "-o", Path.Combine(driverDirectory, "libcuda.so.1"), source });
        Assert.AreEqual(0, gcc.ExitCode, gcc.Output);

        var run = EngineEnvironment.Docker("run", "--rm", "--network", "host", "-v", driverDirectory + ":/usr/local/nvidia/lib64:ro",
            "-e", "LD_LIBRARY_PATH=/usr/local/nvidia/lib64", image);
        Assert.AreEqual(3, run.ExitCode, run.ToString());
        StringAssert.Contains(run.StandardError, "GpuSmoke: no CUDA device: the CUDA driver is present but reports CUDA_ERROR_NO_DEVICE (100).", run.ToString());
        Assert.IsFalse(run.Output.Contains(NoDriverLine, StringComparison.Ordinal), "the driver was found");
    }
}
