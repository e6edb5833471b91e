using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Tasks;

/// <summary>
/// AiContainers.Core holds all the logic and references no Microsoft.Build assembly (the tasks are a thin
/// layer over it): checked on the compiled assembly and on the package graph NuGet restores for it.
/// </summary>
[TestClass]
public sealed class CoreLayeringTests
{
    private static bool IsMsBuild(string name) => name.StartsWith("Microsoft.Build", StringComparison.OrdinalIgnoreCase);

    [TestMethod]
    public void The_core_assembly_references_no_msbuild_assembly()
    {
        // Read from the file's metadata, not the loaded assembly: what the compiler wrote is what ships.
        var path = typeof(AiImageSpecMapper).Assembly.Location;
        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        var references = metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name)).ToList();
        Assert.IsTrue(references.Contains("System.Runtime"), $"the references were read from {path}: {string.Join(", ", references)}");
        var msbuild = references.Where(IsMsBuild).ToList();
        Assert.AreEqual(0, msbuild.Count, $"{Path.GetFileName(path)} references {string.Join(", ", msbuild)}; Core must not depend on MSBuild");
    }

    [TestMethod]
    public void The_core_package_graph_holds_no_msbuild_package()
    {
        // Restore Core into a folder of the test's own, so the graph is the one its csproj declares today,
        // wherever this build put its obj/ (artifacts paths differ between machines and engineers).
        var core = Path.Combine(TestPaths.RepoRoot, "src", "AiContainers.Core", "AiContainers.Core.csproj");
        var output = TestPaths.NewTempDirectory("core-restore") + "/";
        var restore = ProcessRunner.Run("dotnet", new[] { "restore", core, "-nologo", "-p:RestoreOutputPath=" + output, "-p:MSBuildProjectExtensionsPath=" + output }, TestPaths.RepoRoot,
            new Dictionary<string, string?>
            {
                ["NUGET_PACKAGES"] = Path.Combine(TestPaths.RepoRoot, "artifacts", "nuget-packages"),
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["MSBUILDTERMINALLOGGER"] = "off",
            }, TimeSpan.FromMinutes(5));
        Assert.AreEqual(0, restore.ExitCode, restore.Output);

        var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "project.assets.json"))).RootElement;
        // "libraries" lists every package of the graph, direct and transitive, as "Name/Version".
        var packages = assets.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToList();
        CollectionAssert.Contains(packages, "Scriban.Signed", "the graph was read: Core's own packages are in it");
        var msbuild = packages.Where(IsMsBuild).ToList();
        Assert.AreEqual(0, msbuild.Count, "Core's package graph holds " + string.Join(", ", msbuild));
    }
}
