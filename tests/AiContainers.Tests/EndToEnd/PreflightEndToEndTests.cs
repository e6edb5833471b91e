using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// The engine (Docker builder) and the registry (when pushing) are checked before any model is fetched,
/// so a typo in DOCKER_HOST or ContainerRegistry fails in seconds instead of after gigabytes of weights.
/// The fake Hub counts requests: a refused destination must leave it untouched.
/// </summary>
[TestClass]
public sealed class PreflightEndToEndTests
{
    private static SdkProject Project(string name, string properties)
        => SdkProject.ConsoleApp(name, $"""
            <AiGpu>false</AiGpu>
            <AiRegistryMirror>{EngineEnvironment.Mirror}</AiRegistryMirror>
            {properties}
            """, """<AiModel Include="bert" Source="hf://org/preflight-bert@main" />""");

    private static FakeHuggingFaceServer Hub()
    {
        var hub = new FakeHuggingFaceServer();
        hub.AddRepo("org/preflight-bert").AddText("config.json", "{}").AddFile("model.safetensors", new byte[4096], lfs: true);
        return hub;
    }

    [TestMethod]
    public void A_refused_engine_fails_with_AIC3100_before_any_model_is_fetched()
    {
        using var hub = Hub();
        var project = Project("PreflightEngine", "<AiImageBuilder>Docker</AiImageBuilder>");
        var result = project.Publish(environment: new Dictionary<string, string?>
        {
            ["DOCKER_HOST"] = "tcp://127.0.0.1:1",
            ["HF_ENDPOINT"] = hub.Endpoint.ToString(),
            ["AIC_MODEL_CACHE"] = project.Directory + "-model-cache",
        });
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error AIC3100");
        // The error points at the user's project (where the property lives), not at the package's targets file.
        StringAssert.Contains(result.Output, project.ProjectFile + " : error AIC3100");
        Assert.IsEmpty(hub.Requests, "no model request may precede the engine check");
        Assert.IsFalse(File.Exists(Path.Combine(project.OutputDirectory, "image.json")));
    }

    [TestMethod]
    public void An_unreachable_registry_fails_with_AIC4200_before_any_model_is_fetched()
    {
        using var hub = Hub();
        var project = Project("PreflightRegistry", "<AiImageBuilder>Daemonless</AiImageBuilder><ContainerRegistry>127.0.0.1:1</ContainerRegistry>");
        var result = project.Publish(environment: new Dictionary<string, string?>
        {
            ["HF_ENDPOINT"] = hub.Endpoint.ToString(),
            ["AIC_MODEL_CACHE"] = project.Directory + "-model-cache",
        });
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "error AIC4200");
        Assert.IsEmpty(hub.Requests, "no model request may precede the registry check");
    }
}
