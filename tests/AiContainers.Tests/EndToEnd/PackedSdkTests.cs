using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// Out of process, like a user: a temp project consumes the packed SDK from artifacts/packages and
/// runs `dotnet publish -p:PublishAiImage=true -p:AiImageBuilder=None`. No engine is involved:
/// DOCKER_HOST points at nothing, which proves generation never calls one.
/// </summary>
[TestClass]
public sealed class PackedSdkTests
{
    private static readonly Dictionary<string, string?> NoEngine = new() { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" };

    [TestMethod]
    public void Sdk_element_form_writes_the_dockerfile_and_context_and_says_where()
    {
        var project = SdkProject.ConsoleApp("GenDemo", """
            <AiCudaVersion>12.4</AiCudaVersion>
            <ContainerRepository>acme/gen-demo</ContainerRepository>
            <AiHealthCheckPath>/health</AiHealthCheckPath>
            """, """
            <ContainerPort Include="8080" />
            <ContainerEnvironmentVariable Include="LOG_LEVEL" Value="info" />
            """);
        var result = project.Publish(new[] { "AiImageBuilder=None" }, NoEngine);
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "Dockerfile and build context for acme/gen-demo written to " + project.OutputDirectory);

        var dockerfile = Path.Combine(project.OutputDirectory, "Dockerfile");
        var text = File.ReadAllText(dockerfile);
        StringAssert.Contains(text, "FROM docker.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04 AS final");
        StringAssert.Contains(text, "ENTRYPOINT [\"/app/GenDemo\"]");
        StringAssert.Contains(text, "LOG_LEVEL=\"info\"");
        StringAssert.Contains(text, "CMD [\"/usr/local/bin/aic-healthcheck\",");
        StringAssert.Contains(text, "\"http://127.0.0.1:8080/health\"]");
        Assert.IsTrue(File.Exists(Path.Combine(project.OutputDirectory, "app", "GenDemo")), "self-contained linux-x64 apphost in the context");
        Assert.IsTrue(File.Exists(Path.Combine(project.OutputDirectory, "dotnet-runtime", "libcoreclr.so")), "self-contained: the runtime travels with the app, in its own layer folder");
        var probe = Path.Combine(project.OutputDirectory, "aic", "healthcheck");
        Assert.IsTrue(File.Exists(probe), "the static health probe is in the context");
        Assert.IsTrue(File.GetUnixFileMode(probe).HasFlag(UnixFileMode.OtherExecute), "the probe is executable");
        DockerfileLinter.AssertClean(dockerfile);

        var spec = Path.Combine(project.Directory, "obj", "Release", "net10.0", "linux-x64", "aicontainer", "spec.json");
        Assert.IsTrue(File.Exists(spec), "the resolved spec is written for the next tasks");
    }

    [TestMethod]
    public void Package_reference_form_runs_the_same_targets()
    {
        var project = SdkProject.ConsoleApp("PkgRefDemo", """
            <AiGpu>false</AiGpu>
            <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
            <SelfContained>false</SelfContained>
            """, """<PackageReference Include="AiContainers.Sdk" Version="0.1.0" PrivateAssets="all" />""", sdkLine: "");
        var result = project.Publish(new[] { "AiImageBuilder=None" }, NoEngine);
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var text = File.ReadAllText(Path.Combine(project.OutputDirectory, "Dockerfile"));
        StringAssert.Contains(text, "FROM mcr.microsoft.com/dotnet/runtime:10.0 AS dotnet-runtime");
        StringAssert.Contains(text, "FROM docker.io/library/ubuntu:24.04 AS final");
        StringAssert.Contains(text, "ENTRYPOINT [\"/usr/share/dotnet/dotnet\",\"/app/PkgRefDemo.dll\"]");
        DockerfileLinter.AssertClean(Path.Combine(project.OutputDirectory, "Dockerfile"));
    }

    [TestMethod]
    public void Standalone_target_publishes_first_and_keeps_the_projects_own_publish_shape()
    {
        // dotnet publish -t:PublishAiImage without PublishAiImage=true: no RID or SelfContained defaults
        // are applied, so the portable framework-dependent output is what goes into the image.
        var project = SdkProject.ConsoleApp("StandaloneDemo", "<AiGpu>false</AiGpu>");
        var result = project.Publish(new[] { "AiImageBuilder=None" }, NoEngine, target: "PublishAiImage");
        Assert.AreEqual(0, result.ExitCode, result.Output);
        var text = File.ReadAllText(Path.Combine(project.OutputDirectory, "Dockerfile"));
        StringAssert.Contains(text, "FROM mcr.microsoft.com/dotnet/runtime:10.0 AS dotnet-runtime");
        StringAssert.Contains(text, "ENTRYPOINT [\"/usr/share/dotnet/dotnet\",\"/app/StandaloneDemo.dll\"]");
        Assert.IsTrue(File.Exists(Path.Combine(project.OutputDirectory, "app", "StandaloneDemo.dll")));
    }

    [TestMethod]
    public void Bad_input_fails_the_publish_with_its_code_before_any_engine_call()
    {
        var project = SdkProject.ConsoleApp("BadDemo", """
            <AiCudaVersion>12.4</AiCudaVersion>
            <AiCudnnVersion>8</AiCudnnVersion>
            <ContainerImageTag>-nope</ContainerImageTag>
            """);
        var result = project.Publish(environment: NoEngine);
        StringAssert.StartsWith(Diagnostics.AssertSingleError(result, "AIC1006", "AiCudnnVersion").Text, "AiCudnnVersion '8' has no nvidia/cuda image for CUDA 12.4.1");
        StringAssert.StartsWith(Diagnostics.AssertSingleError(result, "AIC1012", "ContainerImageTag").Text, "ContainerImageTag '-nope'");
        Diagnostics.AssertNone(result, "error AIC3", "validation happens before the engine is contacted");
        Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "Dockerfile")), "nothing is generated from invalid input");
    }
}
