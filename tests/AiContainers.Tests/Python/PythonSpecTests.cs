using AiContainers.Core.Generation;
using AiContainers.Core.Python;
using AiContainers.Core.Serving;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Python;

/// <summary>Mapping of Python and model-server projects: the kind, the defaults, and one case per spec code.</summary>
[TestClass]
public sealed class PythonSpecTests
{
    private static IReadOnlyList<string> Codes(ProjectInputs input) => AiImageSpecMapper.Map(input).Diagnostics.Select(d => d.Code).ToList();

    [TestMethod]
    public void Standalone_project_is_a_python_app_with_its_defaults()
    {
        var spec = Inputs.Spec(PythonInputs.ClassicTraining());
        Assert.AreEqual(AiAppKind.Python, spec.AppKind);
        Assert.IsNull(spec.Dotnet);
        Assert.AreEqual("/app", spec.WorkingDirectory);
        Assert.AreEqual("1654:1654", spec.User.User);
        Assert.AreEqual(PythonInterpreterSource.OsPackages, spec.Python!.Interpreter);
        Assert.AreEqual("3.10", spec.Python.Version);
        Assert.AreEqual("requirements.txt", spec.Python.Requirements);
        CollectionAssert.AreEqual(new[] { "python", "train.py" }, spec.Command.ToArray());
        Assert.AreEqual("docker.io/nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04", spec.Base.CanonicalName);
    }

    [TestMethod]
    public void Python_image_bases_bring_their_interpreter()
    {
        var spec = Inputs.Spec(PythonInputs.Standalone().Set("AiGpu", "false").Set("AiBaseImage", "python:3.12-slim").Set("AiCommand", "python app.py"));
        Assert.AreEqual(PythonInterpreterSource.BaseImage, spec.Python!.Interpreter);
        Assert.IsFalse(DockerfileGenerator.FinalStagePackages(spec).Contains("python3"));
    }

    [TestMethod]
    public void Compiled_projects_stay_dotnet()
    {
        var spec = Inputs.Spec(Inputs.WebApp());
        Assert.AreEqual(AiAppKind.Dotnet, spec.AppKind);
        Assert.IsNull(spec.Python);
        Assert.IsNull(spec.Serving);
    }

    [TestMethod]
    public void TorchServe_defaults_base_user_ports_health_and_command()
    {
        var spec = Inputs.Spec(PythonInputs.TorchServe().Add("ContainerPort", "7070"));
        Assert.AreEqual(AiAppKind.TorchServe, spec.AppKind);
        Assert.AreEqual("docker.io/pytorch/torchserve:0.12.0-cpu", spec.Base.CanonicalName);
        Assert.AreEqual("model-server", spec.User.User);
        Assert.IsFalse(spec.User.CreateUser);
        CollectionAssert.AreEqual(new[] { "8080/tcp", "8081/tcp", "8082/tcp", "7070/tcp" }, spec.Ports.Select(p => p.ToString()).ToArray());
        Assert.AreEqual("http://127.0.0.1:8080/ping", spec.HealthCheck!.Url);
        Assert.AreEqual("echo", spec.Serving!.Models.Single().Name);
        Assert.AreEqual("/src/Serve/model-store/echo.mar", spec.Serving.Models.Single().Source);
        StringAssert.StartsWith(string.Join(' ', spec.Command), "torchserve --start --foreground --model-store /home/model-server/model-store --ts-config /home/model-server/config.properties");
    }

    [TestMethod]
    public void TensorFlow_serving_defaults_and_gpu_variant()
    {
        var cpu = Inputs.Spec(PythonInputs.TfServing());
        Assert.AreEqual("docker.io/tensorflow/serving:2.18.0", cpu.Base.CanonicalName);
        CollectionAssert.AreEqual(new[] { "8500/tcp", "8501/tcp" }, cpu.Ports.Select(p => p.ToString()).ToArray());
        Assert.AreEqual("http://127.0.0.1:8501/v1/models/half_plus_two", cpu.HealthCheck!.Url);
        CollectionAssert.AreEqual(new[] { "tensorflow_model_server", "--port=8500", "--rest_api_port=8501", "--model_name=half_plus_two", "--model_base_path=/models/half_plus_two" }, cpu.Command.ToArray());
        Assert.AreEqual(1, cpu.Serving!.Models.Single().Version);
        var gpu = Inputs.Spec(PythonInputs.TfServing().Set("AiGpu", "true"));
        Assert.AreEqual("docker.io/tensorflow/serving:2.18.0-gpu", gpu.Base.CanonicalName);
        Assert.IsTrue(ImageEnvironment.For(gpu).Any(e => e.Name == "NVIDIA_VISIBLE_DEVICES"));
        Assert.AreEqual("half_plus_two", ImageEnvironment.For(gpu).Single(e => e.Name == "MODEL_NAME").Value);
    }

    [TestMethod]
    public void Explicit_base_and_command_override_the_server_defaults()
    {
        var spec = Inputs.Spec(PythonInputs.TorchServe().Set("AiBaseImage", "registry.example.com/ts:0.12.0-cpu").Set("AiCommand", "torchserve --start --foreground --ncs"));
        Assert.AreEqual("registry.example.com/ts:0.12.0-cpu", spec.Base.Reference);
        CollectionAssert.AreEqual(new[] { "torchserve", "--start", "--foreground", "--ncs" }, spec.Command.ToArray());
    }

    [TestMethod]
    [DataRow("AiPythonVersion", "three", "AIC1301")]
    [DataRow("AiPythonVersion", "3", "AIC1301")]
    [DataRow("AiPythonRequirements", "../requirements.txt", "AIC1303")]
    [DataRow("AiPythonRequirements", "/abs/requirements.txt", "AIC1303")]
    [DataRow("AiPythonWheelDirectory", "../wheels", "AIC1303")]
    [DataRow("AiPythonSystemSitePackages", "yes", "AIC1002")]
    public void Bad_python_property_is_reported(string property, string value, string code)
        => CollectionAssert.Contains(Codes(PythonInputs.ClassicTraining().Set(property, value)).ToList(), code);

    [TestMethod]
    public void Python_project_needs_a_command()
        => CollectionAssert.Contains(Codes(PythonInputs.ClassicTraining().Set("AiCommand", null)).ToList(), "AIC1302");

    [TestMethod]
    public void Bad_pip_and_apt_names_are_reported()
    {
        var codes = Codes(PythonInputs.ClassicTraining().Add("AiPythonPackages", "numpy; rm -rf /").Add("AiPythonBuildPackages", "Build_Essential"));
        CollectionAssert.Contains(codes.ToList(), "AIC1304");
        CollectionAssert.Contains(codes.ToList(), "AIC1313");
    }

    [TestMethod]
    public void Python_version_other_than_the_os_one_warns()
    {
        var result = AiImageSpecMapper.Map(PythonInputs.ClassicTraining("3.11"));
        Assert.IsTrue(result.Succeeded, "a warning: the stand-in bases here are Debian with 3.11");
        var warning = result.Diagnostics.Single(d => d.Code == "AIC1560");
        StringAssert.Contains(warning.Message, "AiPythonVersion '3.11' differs from the python3 of nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04 (3.10)");
    }

    [TestMethod]
    [DataRow("AiCudaVersion", "12.4")]
    [DataRow("AiCudnnVersion", "9")]
    [DataRow("AiBaseOs", "ubuntu22.04")]
    public void Serving_images_bring_their_own_cuda(string property, string value)
    {
        var result = AiImageSpecMapper.Map(PythonInputs.TfServing().Set(property, value));
        Assert.IsFalse(result.Succeeded);
        var error = result.Diagnostics.Single(d => d.Code == "AIC1305");
        Assert.AreEqual(property, error.Property);
    }

    [TestMethod]
    public void Serving_without_models_fails()
    {
        var input = PythonInputs.Standalone().Set("AiServingRuntime", "TorchServe").Set("AiGpu", "false");
        CollectionAssert.Contains(Codes(input).ToList(), "AIC1306");
    }

    [TestMethod]
    [DataRow("0")]
    [DataRow("-1")]
    [DataRow("v2")]
    public void Version_must_be_a_positive_integer(string version)
    {
        var input = PythonInputs.Standalone("Tf", "/src/Tf").Set("AiServingRuntime", "TensorFlowServing").Set("AiGpu", "false")
            .Add("AiServedModel", "export/m", ("Version", version));
        var error = AiImageSpecMapper.Map(input).Diagnostics.Single(d => d.Code == "AIC1307");
        StringAssert.Contains(error.Message, $"Version '{version}'");
    }

    [TestMethod]
    public void Model_names_and_duplicates_are_checked()
    {
        var codes = Codes(PythonInputs.TfServing().Add("AiServedModel", "export/other", ("Name", "half_plus_two")).Add("AiServedModel", "export/x", ("Name", "-bad name")));
        CollectionAssert.Contains(codes.ToList(), "AIC1309");
        CollectionAssert.Contains(codes.ToList(), "AIC1308");
    }

    [TestMethod]
    public void TorchServe_wants_mar_files_and_ignores_versions()
    {
        var codes = Codes(PythonInputs.TorchServe().Add("AiServedModel", "models/resnet.pt").Add("AiServedModel", "model-store/b.mar", ("Version", "2")));
        CollectionAssert.Contains(codes.ToList(), "AIC1310");
        CollectionAssert.Contains(codes.ToList(), "AIC1562");
    }

    [TestMethod]
    public void TorchServe_config_only_with_torchserve()
        => CollectionAssert.Contains(Codes(PythonInputs.TfServing().Set("AiTorchServeConfig", "config.properties")).ToList(), "AIC1311");

    [TestMethod]
    public void Serving_in_a_compiled_project_fails()
        => CollectionAssert.Contains(Codes(Inputs.WebApp().Set("AiServingRuntime", "TorchServe").Add("AiServedModel", "m.mar")).ToList(), "AIC1312");

    [TestMethod]
    public void Unknown_runtime_lists_the_known_ones()
    {
        var error = AiImageSpecMapper.Map(PythonInputs.Standalone().Set("AiServingRuntime", "Triton")).Diagnostics.Single(d => d.Code == "AIC1001");
        StringAssert.Contains(error.Message, "TorchServe, TensorFlowServing");
    }

    [TestMethod]
    public void Python_settings_on_a_model_server_warn()
    {
        var result = AiImageSpecMapper.Map(PythonInputs.TorchServe().Set("AiPythonVersion", "3.11").Add("AiAppExclude", "data/"));
        Assert.IsTrue(result.Succeeded);
        CollectionAssert.AreEquivalent(new[] { "AiPythonVersion", "AiAppExclude" }, result.Diagnostics.Where(d => d.Code == "AIC1561").Select(d => d.Property).ToArray());
    }
}
