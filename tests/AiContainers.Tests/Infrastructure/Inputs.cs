using AiContainers.Core.Spec;

namespace AiContainers.Tests.Infrastructure;

/// <summary>Project inputs as the targets would pass them for a small web app named Demo.</summary>
internal static class Inputs
{
    public static ProjectInputs WebApp() => new ProjectInputs()
        .Set("MSBuildProjectName", "Demo")
        .Set("MSBuildProjectDirectory", "/src/Demo")
        .Set("AssemblyName", "Demo")
        .Set("Version", "1.2.0")
        .Set("TargetFrameworkVersion", "v10.0")
        .Set("RuntimeIdentifier", "linux-x64")
        .Set("SelfContained", "true")
        .Set("PublishDir", "/src/Demo/bin/Release/net10.0/linux-x64/publish/")
        .Set("UsingMicrosoftNETSdkWeb", "true")
        .Set("InvariantGlobalization", "true")
        .Set("ContainerRepository", "acme/demo")
        .Set("AiImageOutputPath", "/src/Demo/bin/Release/aicontainer/")
        .Set("_AiHealthProbePath", "/pkg/tools/linux-x64/aic-healthcheck");

    public static AiImageSpec Spec(ProjectInputs input)
    {
        var result = AiImageSpecMapper.Map(input);
        if (result.Spec is null)
            throw new InvalidOperationException("Mapping failed: " + string.Join(" | ", result.Diagnostics));
        return result.Spec;
    }
}
