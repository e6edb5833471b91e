using System.IO.Compression;
using System.Text;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.Python;
using AiContainers.Core.Serving;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Python;

/// <summary>The project files behind a Python or model-server image: selection, checks with their codes, and the context written.</summary>
[TestClass]
public sealed class ContextFileTests
{
    private static string Write(string root, string relative, string text = "x")
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static string PythonProject()
    {
        var root = TestPaths.NewTempDirectory("pyctx");
        Write(root, "Trainer.csproj", "<Project Sdk=\"AiContainers.Sdk/0.1.0\" />");
        Write(root, "train.py", "print('hi')\n");
        Write(root, "lib/util.py");
        Write(root, "lib/__pycache__/util.cpython-311.pyc");
        Write(root, "requirements.txt", "--no-index\n--find-links wheels\ntrainkit==0.1.0\n");
        Write(root, "wheels/trainkit-0.1.0-py3-none-any.whl");
        Write(root, "bin/Release/stale.dll");
        Write(root, "obj/project.assets.json");
        Write(root, "data/big.bin");
        Write(root, "notes/todo.md");
        Write(root, ".git/HEAD");
        Write(root, ".dockerignore", "notes/\n*.md\n");
        return root;
    }

    /// <summary>The spec as ResolveAiImageSpec hands it on: with the project's files listed once (<see cref="AppFiles.Resolve"/>).</summary>
    private static AiImageSpec Resolved(AiImageSpec spec)
    {
        var (resolved, diagnostics) = AppFiles.Resolve(spec);
        Assert.IsNotNull(resolved, string.Join(" | ", diagnostics));
        return resolved;
    }

    private static AiImageSpec Spec(string root, Func<ProjectInputs, ProjectInputs>? more = null)
        => Inputs.Spec((more ?? (i => i))(PythonInputs.Standalone(directory: root).Set("AiGpu", "false").Set("AiCommand", "python train.py")
            .Set("AiPythonRequirements", "requirements.txt").Set("AiPythonWheelDirectory", "wheels")
            .Set("AiImageOutputPath", Path.Combine(root, "bin", "Release", "aicontainer"))));

    [TestMethod]
    public void App_is_the_project_folder_without_build_output_caches_or_ignored_files()
    {
        var root = PythonProject();
        var plan = PythonAppFiles.Plan(Spec(root, i => i.Add("AiAppExclude", "data/")).Python!);
        Assert.AreEqual(0, plan.Diagnostics.Count, string.Join("\n", plan.Diagnostics));
        CollectionAssert.AreEqual(new[] { "lib/util.py", "requirements.txt", "train.py" }, plan.AppFiles.ToArray());
        CollectionAssert.AreEqual(new[] { "requirements.txt", "wheels/trainkit-0.1.0-py3-none-any.whl" }, plan.BuilderFiles.ToArray());
    }

    [TestMethod]
    public void Include_items_keep_only_what_they_match()
    {
        var root = PythonProject();
        var plan = PythonAppFiles.Plan(Spec(root, i => i.Add("AiAppInclude", "*.py;lib/")).Python!);
        CollectionAssert.AreEqual(new[] { "lib/util.py", "train.py" }, plan.AppFiles.ToArray());
    }

    [TestMethod]
    public void Missing_requirements_and_wheels_and_an_empty_app_are_reported_together()
    {
        var root = TestPaths.NewTempDirectory("pyempty");
        Write(root, "bin/x.dll");
        var plan = PythonAppFiles.Plan(Spec(root).Python!);
        CollectionAssert.AreEqual(new[] { "AIC2102", "AIC2102", "AIC2108" }, plan.Diagnostics.Select(d => d.Code).ToArray());
        StringAssert.Contains(plan.Diagnostics[0].Message, "AiPythonRequirements 'requirements.txt' does not exist");
    }

    [TestMethod]
    public void Python_context_has_app_and_pip_inputs_and_a_source_change_touches_only_the_app()
    {
        var root = PythonProject();
        var spec = Spec(root);
        var generated = BuildContextWriter.Write(Resolved(spec));
        var output = generated.OutputDirectory;
        Assert.IsTrue(File.Exists(Path.Combine(output, "app", "train.py")));
        Assert.IsFalse(Directory.Exists(Path.Combine(output, "app", "wheels")), "wheels go to the builder stage only");
        Assert.IsFalse(Directory.Exists(Path.Combine(output, "app", "bin")), "never bin/");
        Assert.IsTrue(File.Exists(Path.Combine(output, "python", "requirements.txt")));
        Assert.IsTrue(File.Exists(Path.Combine(output, "python", "wheels", "trainkit-0.1.0-py3-none-any.whl")));

        var pythonStamp = File.GetLastWriteTimeUtc(Path.Combine(output, "python", "requirements.txt"));
        File.Delete(Path.Combine(root, "lib", "util.py"));
        Write(root, "train.py", "print('changed')\n");
        BuildContextWriter.Write(Resolved(spec));
        Assert.AreEqual("print('changed')\n", File.ReadAllText(Path.Combine(output, "app", "train.py")));
        Assert.IsFalse(File.Exists(Path.Combine(output, "app", "lib", "util.py")), "a deleted source file leaves the context");
        Assert.AreEqual(pythonStamp, File.GetLastWriteTimeUtc(Path.Combine(output, "python", "requirements.txt")));
    }

    private static string Mar(string path, bool manifest = true)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        if (manifest) using (var s = zip.CreateEntry("MAR-INF/MANIFEST.json").Open()) s.Write(Encoding.UTF8.GetBytes("{\"model\":{\"modelName\":\"echo\"}}"));
        using (var h = zip.CreateEntry("handler.py").Open()) h.Write(Encoding.UTF8.GetBytes("def handle(d, c): return d\n"));
        return path;
    }

    [TestMethod]
    public void Mar_files_must_be_model_archives()
    {
        var root = TestPaths.NewTempDirectory("mar");
        Mar(Path.Combine(root, "model-store", "echo.mar"));
        Write(root, "model-store/text.mar", "not a zip");
        Mar(Path.Combine(root, "model-store", "bare.mar"), manifest: false);
        var spec = Inputs.Spec(PythonInputs.TorchServe(root).Add("AiServedModel", "model-store/text.mar").Add("AiServedModel", "model-store/bare.mar")
            .Add("AiServedModel", "model-store/gone.mar").Set("AiTorchServeConfig", "ts.properties"));
        var diagnostics = ServingFiles.Validate(spec.Serving!);
        CollectionAssert.AreEqual(new[] { "AIC2107", "AIC2103", "AIC2103", "AIC2106" }, diagnostics.Select(d => d.Code).ToArray());
        StringAssert.Contains(diagnostics[1].Message, "AiServedModel 'model-store/text.mar' is not a TorchServe model archive: it is not a zip file");
        StringAssert.Contains(diagnostics[2].Message, "the zip has no MAR-INF/MANIFEST.json");
        // Resolving lists the files once and refuses the spec, so no context is written from it.
        var (resolved, problems) = AppFiles.Resolve(spec);
        Assert.IsNull(resolved);
        CollectionAssert.AreEqual(diagnostics.Select(d => d.Code).ToArray(), problems.Select(d => d.Code).ToArray());
        Assert.ThrowsExactly<InvalidOperationException>(() => BuildContextWriter.Write(spec), "an unresolved spec has no file lists to copy");
    }

    [TestMethod]
    public void SavedModels_need_saved_model_pb_and_numbered_versions()
    {
        var root = TestPaths.NewTempDirectory("savedmodel");
        Write(root, "export/empty/readme.txt");
        Write(root, "export/versions/1/saved_model.pb");
        Write(root, "export/versions/latest/saved_model.pb");
        Write(root, "export/versions/2/variables/variables.index");
        Directory.CreateDirectory(Path.Combine(root, "export", "nothing"));
        var spec = Inputs.Spec(PythonInputs.TfServing(root).Add("AiServedModel", "export/empty").Add("AiServedModel", "export/versions").Add("AiServedModel", "export/nothing"));
        var diagnostics = ServingFiles.Validate(spec.Serving!);
        CollectionAssert.AreEqual(new[] { "AIC2106", "AIC2104", "AIC2104", "AIC2105", "AIC2104" }, diagnostics.Select(d => d.Code).ToArray());
        StringAssert.Contains(diagnostics[3].Message, "holds the folder 'latest', which is not a positive whole number");
    }

    [TestMethod]
    public void TorchServe_context_has_the_model_store_and_a_generated_config()
    {
        var root = TestPaths.NewTempDirectory("tsctx");
        Mar(Path.Combine(root, "model-store", "echo.mar"));
        var spec = Inputs.Spec(PythonInputs.TorchServe(root).Set("AiImageOutputPath", Path.Combine(root, "bin", "aicontainer")).Set("_AiHealthProbePath", WriteProbe(root)));
        var output = BuildContextWriter.Write(Resolved(spec)).OutputDirectory;
        Assert.IsTrue(File.Exists(Path.Combine(output, "serving", "model-store", "echo.mar")));
        var config = File.ReadAllText(Path.Combine(output, "serving", "config.properties"));
        StringAssert.Contains(config, "inference_address=http://0.0.0.0:8080\nmanagement_address=http://0.0.0.0:8081\nmetrics_address=http://0.0.0.0:8082\nmodel_store=/home/model-server/model-store\n");
        Assert.IsFalse(Directory.Exists(Path.Combine(output, "app")), "a model server has no app folder");

        // A user config replaces the generated one.
        Write(root, "ts.properties", "inference_address=http://0.0.0.0:9090\n");
        BuildContextWriter.Write(Resolved(spec with { Serving = spec.Serving! with { TorchServeConfig = Path.Combine(root, "ts.properties") } }));
        Assert.AreEqual("inference_address=http://0.0.0.0:9090\n", File.ReadAllText(Path.Combine(output, "serving", "config.properties")));
    }

    [TestMethod]
    public void TensorFlow_context_lays_out_name_and_version()
    {
        var root = TestPaths.NewTempDirectory("tfctx");
        Write(root, "export/half_plus_two/saved_model.pb", "pb");
        Write(root, "export/half_plus_two/variables/variables.index", "idx");
        Write(root, "export/resnet/3/saved_model.pb", "pb3");
        var spec = Inputs.Spec(PythonInputs.TfServing(root).Add("AiServedModel", "export/resnet").Set("AiImageOutputPath", Path.Combine(root, "bin", "aicontainer")).Set("_AiHealthProbePath", WriteProbe(root)));
        var output = BuildContextWriter.Write(Resolved(spec)).OutputDirectory;
        Assert.AreEqual("pb", File.ReadAllText(Path.Combine(output, "serving", "models", "half_plus_two", "1", "saved_model.pb")));
        Assert.IsTrue(File.Exists(Path.Combine(output, "serving", "models", "half_plus_two", "1", "variables", "variables.index")));
        Assert.AreEqual("pb3", File.ReadAllText(Path.Combine(output, "serving", "models", "resnet", "3", "saved_model.pb")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "serving", "models.config")), "name: \"resnet\"\n    base_path: \"/models/resnet\"");
    }

    private static string WriteProbe(string root) => Write(root, "probe/aic-healthcheck", "#!/bin/sh\n");
}
