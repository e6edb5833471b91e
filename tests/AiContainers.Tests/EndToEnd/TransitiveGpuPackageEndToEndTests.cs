using System.Text.Json;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// An app whose only GPU package reaches it through a ProjectReference: the class library references ONNX Runtime's
/// CUDA build, the app references the library. `dotnet publish` restores both (the package from the NuGet cache the
/// templates use), and the CUDA image must come from what restore resolved (the app's project.assets.json), since
/// the app's own project text names no package at all.
/// </summary>
[TestClass]
public sealed class TransitiveGpuPackageEndToEndTests
{
    private const string GpuPackage = "Microsoft.ML.OnnxRuntime.Gpu.Linux";
    private const string GpuPackageVersion = "1.31.0";

    [TestMethod]
    public void A_gpu_package_that_comes_through_a_project_reference_chooses_the_cuda_image()
    {
        // The folder holds the test feed's nuget.config and global.json; the two projects sit in sibling folders
        // below it (so neither globs the other's sources) and find both by walking up, as in a user's solution.
        var root = new SdkProject("TransitiveGpu");
        root.Write("GpuLib/GpuLib.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{GpuPackage}" Version="{GpuPackageVersion}" />
              </ItemGroup>
            </Project>
            """);
        root.Write("GpuLib/Scorer.cs", """
            namespace GpuLib;
            public static class Scorer
            {
                public static string Providers() => string.Join(",", Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders());
            }
            """);
        root.Write("App/App.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <Sdk Name="AiContainers.Sdk" Version="0.1.0" />
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <InvariantGlobalization>true</InvariantGlobalization>
                <ImplicitUsings>enable</ImplicitUsings>
                <ContainerRepository>transitivegpu</ContainerRepository>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="../GpuLib/GpuLib.csproj" />
              </ItemGroup>
            </Project>
            """);
        root.Write("App/Program.cs", "Console.WriteLine(GpuLib.Scorer.Providers());\n");
        var app = SdkProject.Existing(Path.Combine(root.Directory, "App"), "App");
        StringAssert.DoesNotMatch(File.ReadAllText(app.ProjectFile), new System.Text.RegularExpressions.Regex("OnnxRuntime|PackageReference"), "the app's own project names no package");

        // AiImageBuilder=None: the Dockerfile and deploy files only, so no engine or mirror is needed.
        var result = app.Publish(new[] { "AiImageBuilder=None" });
        Assert.AreEqual(0, result.ExitCode, result.Output);

        // Restore resolved the package for the app only transitively: it is a library of the app's assets file,
        // but not a dependency the app's project declares.
        using (var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(app.Directory, "obj", "project.assets.json"))))
        {
            Assert.IsTrue(assets.RootElement.GetProperty("libraries").TryGetProperty($"{GpuPackage}/{GpuPackageVersion}", out _), "restore resolved the library's package for the app");
            var declared = assets.RootElement.GetProperty("project").GetProperty("frameworks").GetProperty("net10.0");
            Assert.IsFalse(declared.TryGetProperty("dependencies", out var dependencies) && dependencies.TryGetProperty(GpuPackage, out _), "the app declares no GPU package of its own");
        }

        // The log says which CUDA it chose and why: the resolved package and version, with what that build needs.
        StringAssert.Contains(result.Output, $"AiContainers: AiCudaVersion not set: chose 13.2.0 with cuDNN 9 because {GpuPackage} {GpuPackageVersion} needs CUDA 13", result.Output);
        var dockerfile = File.ReadAllText(Path.Combine(app.OutputDirectory, "Dockerfile"));
        StringAssert.Contains(dockerfile, "\nFROM docker.io/nvidia/cuda:13.2.0-cudnn-runtime-ubuntu24.04 AS final\n", "the CUDA and cuDNN of the resolved ONNX Runtime build chose the base");
        StringAssert.Contains(dockerfile, "ai.containers.cuda=\"13.2.0\"", dockerfile);
        StringAssert.Contains(dockerfile, "ai.containers.cudnn=\"9\"", dockerfile);
    }
}
