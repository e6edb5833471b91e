using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// The task assemblies MSBuild loads must hold precompiled (ReadyToRun) code the running runtime accepts: a runtime
/// reads only its own ReadyToRun format (.NET 10 reads major version 16, .NET 8 wrote 9) and silently compiles every
/// method at first use otherwise, which was ~0.65 s of each code-change publish. Nothing fails when that happens, so
/// only a test of the shipped files can see it.
/// </summary>
[TestClass]
public sealed class PrecompiledTasksTests
{
    [TestMethod]
    public void The_tasks_msbuild_loads_are_precompiled_in_the_format_of_its_runtime()
    {
        var project = SdkProject.ConsoleApp("PrecompiledDemo", "<AiGpu>false</AiGpu>");
        var evaluation = project.Dotnet(new[] { "msbuild", project.ProjectFile, "-nologo", "-getProperty:AiContainersTaskAssembly" });
        Assert.AreEqual(0, evaluation.ExitCode, evaluation.Output);
        var tasks = evaluation.StandardOutput.Trim();
        Assert.IsTrue(File.Exists(tasks), $"AiContainersTaskAssembly is {tasks}, which does not exist");

        // The tests run on the runtime of the SDK that ran MSBuild above (one dotnet): its own libraries say which format it reads.
        var runtimeFormat = ReadyToRunMajorVersion(typeof(object).Assembly.Location);
        Assert.IsNotNull(runtimeFormat, "the runtime's own System.Private.CoreLib is precompiled");
        if (Environment.Version.Major >= 10)
            StringAssert.EndsWith(tasks.Replace('\\', '/'), "/tasks/net10.0/AiContainers.Tasks.dll", "an SDK on .NET 10 loads the tasks precompiled for it");
        foreach (var name in new[] { "AiContainers.Tasks.dll", "AiContainers.Core.dll" })
        {
            var file = Path.Combine(Path.GetDirectoryName(tasks)!, name);
            Assert.AreEqual(runtimeFormat, ReadyToRunMajorVersion(file), $"{file}: precompiled in the format this runtime reads");
        }

        // The folder for SDKs 8 and 9 is precompiled too (for .NET 8's format), beside it.
        var net8 = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(tasks))!, "net8.0", "AiContainers.Core.dll");
        Assert.AreEqual(9, ReadyToRunMajorVersion(net8), $"{net8}: ReadyToRun for .NET 8");
    }

    /// <summary>The major version of an assembly's ReadyToRun header, or null when it holds IL only.</summary>
    private static int? ReadyToRunMajorVersion(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var header = pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory ?? default;
        if (header.Size == 0) return null;
        var reader = pe.GetSectionData(header.RelativeVirtualAddress).GetReader();
        Assert.AreEqual(0x00525452u, reader.ReadUInt32(), $"{path}: the managed native header is a ReadyToRun header ('RTR')");
        return reader.ReadUInt16();
    }
}
