using System.Runtime.InteropServices;

namespace GpuSmoke;

/// <summary>
/// The few CUDA driver API entry points the smoke test needs, from libcuda.so.1: the library the NVIDIA driver
/// installs and the NVIDIA container runtime mounts into a container started with GPUs. Nothing here needs the
/// CUDA toolkit. Signatures follow cuda.h; the _v2 names are the 64-bit variants cuda.h maps the plain names to.
/// </summary>
internal static unsafe partial class CudaDriver
{
    private const string Library = "libcuda.so.1";

    public const int Success = 0;
    public const int ErrorNoDevice = 100;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;
    public const int JitErrorLogBuffer = 5;
    public const int JitErrorLogBufferSizeBytes = 6;

    [DllImport(Library)] public static extern int cuInit(uint flags);
    [DllImport(Library)] public static extern int cuDriverGetVersion(int* version);
    [DllImport(Library)] public static extern int cuDeviceGetCount(int* count);
    [DllImport(Library)] public static extern int cuDeviceGet(int* device, int ordinal);
    [DllImport(Library)] public static extern int cuDeviceGetName(byte* name, int length, int device);
    [DllImport(Library)] public static extern int cuDeviceGetAttribute(int* value, int attribute, int device);
    [DllImport(Library)] public static extern int cuDevicePrimaryCtxRetain(IntPtr* context, int device);
    [DllImport(Library)] public static extern int cuDevicePrimaryCtxRelease_v2(int device);
    [DllImport(Library)] public static extern int cuCtxSetCurrent(IntPtr context);
    [DllImport(Library)] public static extern int cuCtxSynchronize();
    [DllImport(Library)] public static extern int cuModuleLoadDataEx(IntPtr* module, byte* image, uint optionCount, int* options, void** optionValues);
    [DllImport(Library)] public static extern int cuModuleGetFunction(IntPtr* function, IntPtr module, byte* name);
    [DllImport(Library)] public static extern int cuModuleUnload(IntPtr module);
    [DllImport(Library)] public static extern int cuMemAlloc_v2(ulong* pointer, nuint bytes);
    [DllImport(Library)] public static extern int cuMemFree_v2(ulong pointer);
    [DllImport(Library)] public static extern int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);
    [DllImport(Library)] public static extern int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);
    [DllImport(Library)] public static extern int cuLaunchKernel(IntPtr function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemoryBytes, IntPtr stream, void** kernelParameters, void** extra);
    [DllImport(Library)] public static extern int cuGetErrorName(int error, byte** name);

    /// <summary>"CUDA_ERROR_NO_DEVICE (100)": the driver's own name for a result code.</summary>
    public static string ErrorName(int result)
    {
        byte* name = null;
        return cuGetErrorName(result, &name) == Success && name != null
            ? Marshal.PtrToStringUTF8((IntPtr)name) + " (" + result + ")"
            : "CUDA error " + result;
    }
}

/// <summary>A CUDA driver call that returned an error; Step says which call.</summary>
internal sealed class CudaException(string step, int result) : Exception(step + " failed: " + CudaDriver.ErrorName(result))
{
    public string Step { get; } = step;
    public int Result { get; } = result;

    public static void Check(int result, string step)
    {
        if (result != CudaDriver.Success) throw new CudaException(step, result);
    }
}
