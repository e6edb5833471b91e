using AiContainers.Core.Spec;

namespace AiContainers.Tests.Python;

/// <summary>Project inputs as the targets pass them for a project with <c>&lt;Project Sdk="AiContainers.Sdk/0.1.0"&gt;</c> alone.</summary>
internal static class PythonInputs
{
    public static ProjectInputs Standalone(string name = "Trainer", string directory = "/src/Trainer") => new ProjectInputs()
        .Set("MSBuildProjectName", name)
        .Set("MSBuildProjectDirectory", directory)
        .Set("AssemblyName", name)
        .Set("Version", "1.0.0")
        .Set("_AiNoCompiledApp", "true")
        .Set("ContainerRepository", "acme/" + name.ToLowerInvariant())
        .Set("AiImageOutputPath", directory + "/bin/Release/aicontainer/")
        .Set("_AiHealthProbePath", "/pkg/tools/linux-x64/aic-healthcheck");

    /// <summary>The classic CUDA training image of the issue, declared as properties.</summary>
    public static ProjectInputs ClassicTraining(string pythonVersion = "3.10", string directory = "/src/Trainer") => Standalone(directory: directory)
        .Set("AiCudaVersion", "11.8").Set("AiCudnnVersion", "8").Set("AiCudaFlavor", "devel")
        .Set("AiPythonVersion", pythonVersion)
        .Set("AiPythonRequirements", "requirements.txt")
        .Set("AiCommand", "python train.py")
        .Add("AiSystemPackages", "git")
        .Add("ContainerEnvironmentVariable", "PYTHONPATH", ("Value", "/app"))
        .Add("ContainerEnvironmentVariable", "TORCH_HOME", ("Value", "/app/torch_cache"))
        .Add("ContainerPort", "8000");

    public static ProjectInputs TorchServe(string directory = "/src/Serve") => Standalone("Serve", directory)
        .Set("AiServingRuntime", "TorchServe").Set("AiGpu", "false")
        .Add("AiServedModel", "model-store/echo.mar");

    public static ProjectInputs TfServing(string directory = "/src/Tf") => Standalone("Tf", directory)
        .Set("AiServingRuntime", "TensorFlowServing").Set("AiGpu", "false")
        .Add("AiServedModel", "export/half_plus_two", ("Version", "1"));
}
