using GpuSmoke;

// Exit codes a caller (a test, a cluster's node check) can tell apart without reading the text.
return SmokeTest.Run(Console.Out, Console.Error);

internal static unsafe class SmokeTest
{
    public const int Ok = 0;
    public const int NoCudaDriver = 2;
    public const int NoCudaDevice = 3;
    public const int WrongResult = 4;
    public const int CudaError = 5;

    /// <summary>Floats per vector: 4 MiB each, enough to span many thread blocks, small enough for any GPU.</summary>
    private const int Count = 1 << 20;
    private const int BlockSize = 256;

    public static int Run(TextWriter output, TextWriter error)
    {
        try
        {
            return RunOnDevice(output, error);
        }
        catch (DllNotFoundException)
        {
            // libcuda.so.1 comes from the host's driver: the NVIDIA container runtime mounts it when the container
            // gets GPUs. Without it no CUDA program can run, whatever the image contains.
            error.WriteLine("GpuSmoke: no CUDA driver: libcuda.so.1 was not found. Run the container with GPUs "
                + "(docker run --gpus all, or a nvidia.com/gpu resource on Kubernetes) on a host with the NVIDIA driver.");
            return NoCudaDriver;
        }
        catch (CudaException e)
        {
            error.WriteLine("GpuSmoke: CUDA error: " + e.Message);
            return CudaError;
        }
    }

    private static int RunOnDevice(TextWriter output, TextWriter error)
    {
        // cuInit fails with CUDA_ERROR_NO_DEVICE when the driver is there but no GPU is visible (no device nodes,
        // NVIDIA_VISIBLE_DEVICES=void), and with other codes when the driver cannot talk to the kernel module.
        var init = CudaDriver.cuInit(0);
        int driverVersion = 0, deviceCount = 0, device = 0;
        if (init == CudaDriver.Success) init = CudaDriver.cuDeviceGetCount(&deviceCount);
        if (init == CudaDriver.Success && deviceCount > 0) init = CudaDriver.cuDeviceGet(&device, 0);
        if (init != CudaDriver.Success || deviceCount == 0)
        {
            error.WriteLine("GpuSmoke: no CUDA device: the CUDA driver is present but "
                + (init != CudaDriver.Success ? "reports " + CudaDriver.ErrorName(init) : "finds no GPU")
                + ". Give the container a GPU (device nodes /dev/nvidia*), and check NVIDIA_VISIBLE_DEVICES.");
            return NoCudaDevice;
        }
        CudaException.Check(CudaDriver.cuDriverGetVersion(&driverVersion), "cuDriverGetVersion");

        var nameBuffer = stackalloc byte[256];
        CudaException.Check(CudaDriver.cuDeviceGetName(nameBuffer, 256, device), "cuDeviceGetName");
        var name = System.Runtime.InteropServices.Marshal.PtrToStringUTF8((IntPtr)nameBuffer) ?? "?";
        int major = 0, minor = 0;
        CudaException.Check(CudaDriver.cuDeviceGetAttribute(&major, CudaDriver.AttributeComputeCapabilityMajor, device), "cuDeviceGetAttribute(major)");
        CudaException.Check(CudaDriver.cuDeviceGetAttribute(&minor, CudaDriver.AttributeComputeCapabilityMinor, device), "cuDeviceGetAttribute(minor)");
        output.WriteLine($"GpuSmoke: CUDA driver {driverVersion / 1000}.{driverVersion % 1000 / 10}, {deviceCount} device(s); using device 0: {name}, compute capability {major}.{minor}");

        // The primary context is the one the CUDA runtime and every framework share; retaining it needs no
        // cuCtxCreate variant (whose signature changed in CUDA 13).
        IntPtr context;
        CudaException.Check(CudaDriver.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        try
        {
            CudaException.Check(CudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            var mismatches = VectorAdd(error, out var firstBad);
            if (mismatches > 0)
            {
                error.WriteLine($"GpuSmoke: device {name}, compute capability {major}.{minor}: vector add of {Count} floats WRONG: {mismatches} mismatches, first {firstBad}");
                return WrongResult;
            }
            output.WriteLine($"GpuSmoke: device {name}, compute capability {major}.{minor}, vector add of {Count} floats OK");
            return Ok;
        }
        finally
        {
            CudaDriver.cuDevicePrimaryCtxRelease_v2(device);
        }
    }

    /// <summary>JITs the kernel, adds two vectors on the GPU and compares every element with the exact sum.</summary>
    private static int VectorAdd(TextWriter error, out string firstBad)
    {
        var a = new float[Count];
        var b = new float[Count];
        var c = new float[Count];
        // Whole numbers below 2^24 add exactly in float, so the check can demand equality.
        for (var i = 0; i < Count; i++) { a[i] = i; b[i] = 2 * i; }
        var bytes = (nuint)(Count * sizeof(float));

        IntPtr module = IntPtr.Zero, function;
        var log = new byte[8192];
        var ptx = System.Text.Encoding.ASCII.GetBytes(VectorAddKernel.Ptx + "\0");
        fixed (byte* image = ptx, logBuffer = log)
        {
            // The JIT's error log explains a PTX the driver refuses (e.g. a driver older than PTX ISA 6.0).
            var options = stackalloc int[] { CudaDriver.JitErrorLogBuffer, CudaDriver.JitErrorLogBufferSizeBytes };
            var values = stackalloc void*[] { logBuffer, (void*)(nint)log.Length };
            var loaded = CudaDriver.cuModuleLoadDataEx(&module, image, 2, options, values);
            if (loaded != CudaDriver.Success)
            {
                var text = System.Text.Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
                if (text.Length > 0) error.WriteLine("GpuSmoke: PTX JIT log: " + text);
                CudaException.Check(loaded, "cuModuleLoadDataEx (JIT of the PTX vector add)");
            }
        }
        ulong deviceA = 0, deviceB = 0, deviceC = 0;
        try
        {
            fixed (byte* entry = System.Text.Encoding.ASCII.GetBytes(VectorAddKernel.EntryName + "\0"))
                CudaException.Check(CudaDriver.cuModuleGetFunction(&function, module, entry), "cuModuleGetFunction");
            CudaException.Check(CudaDriver.cuMemAlloc_v2(&deviceA, bytes), "cuMemAlloc");
            CudaException.Check(CudaDriver.cuMemAlloc_v2(&deviceB, bytes), "cuMemAlloc");
            CudaException.Check(CudaDriver.cuMemAlloc_v2(&deviceC, bytes), "cuMemAlloc");
            fixed (float* hostA = a, hostB = b, hostC = c)
            {
                CudaException.Check(CudaDriver.cuMemcpyHtoD_v2(deviceA, hostA, bytes), "cuMemcpyHtoD");
                CudaException.Check(CudaDriver.cuMemcpyHtoD_v2(deviceB, hostB, bytes), "cuMemcpyHtoD");
                var n = (uint)Count;
                var parameters = stackalloc void*[] { &deviceA, &deviceB, &deviceC, &n };
                var grid = (uint)((Count + BlockSize - 1) / BlockSize);
                CudaException.Check(CudaDriver.cuLaunchKernel(function, grid, 1, 1, BlockSize, 1, 1, 0, IntPtr.Zero, parameters, null), "cuLaunchKernel");
                CudaException.Check(CudaDriver.cuCtxSynchronize(), "cuCtxSynchronize (the kernel's run)");
                CudaException.Check(CudaDriver.cuMemcpyDtoH_v2(hostC, deviceC, bytes), "cuMemcpyDtoH");
            }
        }
        finally
        {
            if (deviceA != 0) CudaDriver.cuMemFree_v2(deviceA);
            if (deviceB != 0) CudaDriver.cuMemFree_v2(deviceB);
            if (deviceC != 0) CudaDriver.cuMemFree_v2(deviceC);
            if (module != IntPtr.Zero) CudaDriver.cuModuleUnload(module);
        }

        var mismatches = 0;
        firstBad = "";
        for (var i = 0; i < Count; i++)
        {
            if (c[i] == a[i] + b[i]) continue;
            if (mismatches++ == 0) firstBad = $"c[{i}] = {c[i]}, expected {a[i] + b[i]}";
        }
        return mismatches;
    }
}
