using AiContainers.Tasks;
using AiContainers.Tests.Infrastructure;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace AiContainers.Tests.Tasks;

/// <summary>
/// The ResolveAiImageSpec task in-process on <see cref="FakeBuildEngine"/>, with its inputs as the targets
/// pass them (_AiProperty items with Value, _AiInputItem items with AiItemType): what MSBuild receives
/// for bad input, the code separate from the text, the project file as the place, and nothing written.
/// </summary>
[TestClass]
public sealed class ResolveAiImageSpecTaskTests
{
    private string _project = null!;
    private FakeBuildEngine _engine = null!;
    private string SpecFile => Path.Combine(_project, "obj", "aicontainer", "spec.json");

    [TestInitialize]
    public void CreateProject()
    {
        _project = TestPaths.NewTempDirectory("resolve-task");
        _engine = new FakeBuildEngine(Path.Combine(_project, "Demo.csproj"));
    }

    [TestCleanup]
    public void DeleteProject() => Directory.Delete(_project, recursive: true);

    /// <summary>A small web app, as _AiCollectInputs passes it, plus the test's own properties (null removes one).</summary>
    private ResolveAiImageSpec ResolveTask(IEnumerable<(string Name, string? Value)> properties, params ITaskItem[] items)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["MSBuildProjectName"] = "Demo",
            ["MSBuildProjectDirectory"] = _project,
            ["AssemblyName"] = "Demo",
            ["Version"] = "1.2.0",
            ["TargetFrameworkVersion"] = "v10.0",
            ["RuntimeIdentifier"] = "linux-x64",
            ["SelfContained"] = "true",
            ["PublishDir"] = Path.Combine(_project, "bin", "Release", "net10.0", "linux-x64", "publish") + "/",
            ["UsingMicrosoftNETSdkWeb"] = "true",
            ["InvariantGlobalization"] = "true",
            ["ContainerRepository"] = "acme/demo",
            ["AiImageOutputPath"] = Path.Combine(_project, "bin", "Release", "aicontainer") + "/",
            ["_AiHealthProbePath"] = "/pkg/tools/linux-x64/aic-healthcheck",
        };
        foreach (var (name, value) in properties) values[name] = value;
        return new ResolveAiImageSpec
        {
            BuildEngine = _engine,
            Properties = values.Where(p => p.Value is not null).Select(p => (ITaskItem)new TaskItem(p.Key, new Dictionary<string, string> { ["Value"] = p.Value! })).ToArray(),
            Items = items,
            SpecFile = SpecFile,
        };
    }

    private ResolveAiImageSpec ResolveTask(params (string Name, string? Value)[] properties) => ResolveTask(properties, Array.Empty<ITaskItem>());

    private static ITaskItem Item(string type, string include, params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem(include, metadata.ToDictionary(m => m.Name, m => m.Value));
        item.SetMetadata("AiItemType", type);
        return item;
    }

    private void AssertFailedWithoutOutput(ResolveAiImageSpec task)
    {
        Assert.IsFalse(task.Execute(), "the task fails:\n" + _engine.Log);
        Assert.IsFalse(File.Exists(SpecFile), "no spec.json is written from invalid input");
        Assert.AreEqual("", task.OutputDirectory);
        Assert.AreEqual("", task.Builder);
    }

    [TestMethod]
    public void Valid_input_writes_the_spec_and_returns_the_output_folder_and_builder()
    {
        var task = ResolveTask(("AiCudaVersion", "12.4"), ("AiImageBuilder", "Docker"));
        Assert.IsTrue(task.Execute(), _engine.Log);
        Assert.AreEqual(0, _engine.Diagnostics.Count, _engine.Log);
        Assert.IsTrue(File.Exists(SpecFile));
        Assert.AreEqual(Path.Combine(_project, "bin", "Release", "aicontainer") + "/", task.OutputDirectory);
        Assert.AreEqual("Docker", task.Builder);
        Assert.IsTrue(_engine.Messages.Any(m => m.Text.StartsWith("AiContainers: acme/demo on nvidia/cuda:12.4.1", StringComparison.Ordinal)), _engine.Log);
    }

    [TestMethod]
    public void An_impossible_cudnn_is_one_error_on_the_project_file_naming_the_property_and_what_works()
    {
        var task = ResolveTask(("AiCudaVersion", "12.4"), ("AiCudnnVersion", "8"));
        AssertFailedWithoutOutput(task);
        var error = Diagnostics.AssertSingle(_engine, "AIC1006", "AiCudnnVersion");
        Assert.IsTrue(error.IsError);
        Assert.AreEqual(1, _engine.Errors.Count, _engine.Log);
        // What `dotnet build` prints: the code once, before the text, the project file as the place.
        StringAssert.StartsWith(error.ConsoleLine, $"{_engine.ProjectFileOfTaskNode} : error AIC1006: AiCudnnVersion '8' has no nvidia/cuda image for CUDA 12.4.1");
        StringAssert.Contains(error.Text, "AiCudnnVersion to 9");
    }

    [TestMethod]
    public void Every_bad_value_is_reported_in_one_run()
    {
        var task = ResolveTask(("AiGpuDevices", "0,,1"), ("AiShmSize", "lots"), ("ContainerImageTag", ".x"));
        AssertFailedWithoutOutput(task);
        Diagnostics.AssertSingle(_engine, "AIC1023", "AiGpuDevices");
        Diagnostics.AssertSingle(_engine, "AIC1025", "AiShmSize");
        Diagnostics.AssertSingle(_engine, "AIC1012", "ContainerImageTag");
        Assert.IsTrue(_engine.Errors.All(e => e.File == _engine.ProjectFileOfTaskNode), _engine.Log);
    }

    [TestMethod]
    public void A_bad_item_is_reported_with_its_code_and_the_item_type()
    {
        var task = ResolveTask(Array.Empty<(string, string?)>(),
            Item("ContainerPort", "8080"),
            Item("ContainerPort", "70000"),
            Item("ContainerEnvironmentVariable", "1BAD", ("Value", "x")));
        AssertFailedWithoutOutput(task);
        StringAssert.Contains(Diagnostics.AssertSingle(_engine, "AIC1015", "ContainerPort").Text, "70000");
        StringAssert.Contains(Diagnostics.AssertSingle(_engine, "AIC1016", "ContainerEnvironmentVariable").Text, "1BAD");
    }

    [TestMethod]
    public void A_risky_value_warns_on_the_project_file_and_the_spec_is_still_written()
    {
        var task = ResolveTask(("ContainerUser", "root"));
        Assert.IsTrue(task.Execute(), _engine.Log);
        var warning = Diagnostics.AssertSingle(_engine, "AIC1502", "ContainerUser");
        Assert.IsFalse(warning.IsError);
        StringAssert.StartsWith(warning.ConsoleLine, $"{_engine.ProjectFileOfTaskNode} : warning AIC1502: ");
        Assert.AreEqual(0, _engine.Errors.Count, _engine.Log);
        Assert.IsTrue(File.Exists(SpecFile));
    }

    [TestMethod]
    public void A_missing_requirements_file_of_a_python_project_fails_before_anything_is_written()
    {
        var task = ResolveTask(("UsingMicrosoftNETSdkWeb", null), ("RuntimeIdentifier", null), ("SelfContained", null), ("PublishDir", null),
            ("_AiNoCompiledApp", "true"), ("AiGpu", "false"), ("AiCommand", "python train.py"), ("AiPythonRequirements", "requirements.txt"));
        File.WriteAllText(Path.Combine(_project, "train.py"), "print('training')\n");
        AssertFailedWithoutOutput(task);
        var error = Diagnostics.AssertSingle(_engine, "AIC2102", "AiPythonRequirements");
        StringAssert.StartsWith(error.Text, "AiPythonRequirements 'requirements.txt' does not exist.");
        StringAssert.Contains(error.Text, _project, "the message says which folder was searched");
    }

    [TestMethod]
    public void A_text_file_named_mar_is_rejected_by_reading_it()
    {
        Directory.CreateDirectory(Path.Combine(_project, "model-store"));
        File.WriteAllText(Path.Combine(_project, "model-store", "echo.mar"), "a text file, not a zip");
        var task = ResolveTask(new (string, string?)[] { ("UsingMicrosoftNETSdkWeb", null), ("RuntimeIdentifier", null), ("SelfContained", null), ("PublishDir", null),
            ("_AiNoCompiledApp", "true"), ("AiServingRuntime", "TorchServe"), ("AiGpu", "false") },
            Item("AiServedModel", "model-store/echo.mar"));
        AssertFailedWithoutOutput(task);
        var error = Diagnostics.AssertSingle(_engine, "AIC2103", "AiServedModel");
        StringAssert.StartsWith(error.Text, "AiServedModel 'model-store/echo.mar' is not a TorchServe model archive: it is not a zip file");
    }
}
