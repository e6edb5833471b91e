using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Hardening;

/// <summary>
/// Issue #10's own project through the packed SDK and a real `dotnet publish`: MSBuild decodes &amp;#10; into a
/// line feed, and the publish must stop with the coded errors before any file is written. No engine is needed
/// (AiImageBuilder=None, DOCKER_HOST pointing at nothing).
/// </summary>
[TestClass]
public sealed class InjectionEndToEndTests
{
    private static readonly Dictionary<string, string?> NoEngine = new() { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" };

    [TestMethod]
    public void Control_characters_issue_project_with_newlines_fails_the_publish_with_AIC1600_and_AIC1601_and_writes_no_dockerfile()
    {
        var project = SdkProject.ConsoleApp("InjectDemo", """
            <AiGpu>false</AiGpu>
            <ContainerRepository>acme/inject-demo</ContainerRepository>
            <ContainerWorkingDirectory>/models&#10;RUN touch /pwned</ContainerWorkingDirectory>
            """, """
            <AiRunCommand Include="echo ok&#10;USER root" />
            """);
        var result = project.Publish(new[] { "AiImageBuilder=None" }, NoEngine);

        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        var workdir = Diagnostics.AssertSingleError(result, "AIC1600", "ContainerWorkingDirectory");
        StringAssert.StartsWith(workdir.Text, "ContainerWorkingDirectory '/models\\u000ARUN touch /pwned' contains the control character U+000A (line feed)");
        var run = Diagnostics.AssertSingleError(result, "AIC1601", "AiRunCommand");
        StringAssert.Contains(run.Text, "has Include 'echo ok\\u000AUSER root'");
        Diagnostics.AssertNone(result, "error AIC3", "validation happens before the engine is contacted");
        Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "Dockerfile")), "no Dockerfile is written from refused input");
        Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "docker-run.sh")), "nor any run file");
    }
}
