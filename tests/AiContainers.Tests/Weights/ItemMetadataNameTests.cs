using System.Text.Json;
using AiContainers.Core.Deploy;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Weights;

/// <summary>
/// Item metadata names the package reads, checked through a real project file evaluated by MSBuild:
/// building items in C# cannot show what MSBuild does to reserved names (Target is MSB4066, Exclude is
/// the item's exclude attribute and never reaches a task).
/// </summary>
[TestClass]
public sealed class ItemMetadataNameTests
{
    private string _root = null!;

    [TestInitialize] public void Start() => Directory.CreateDirectory(_root = Path.Combine(Path.GetTempPath(), "aic-meta-" + Guid.NewGuid().ToString("N")[..8]));
    [TestCleanup] public void Stop() => Directory.Delete(_root, recursive: true);

    private ProcessResult Evaluate(string items, params string[] itemTypes)
    {
        var path = Path.Combine(_root, "items.proj");
        File.WriteAllText(path, $"""
            <Project>
              <ItemGroup>
            {items}
              </ItemGroup>
            </Project>
            """);
        return ProcessRunner.Run("dotnet", ["msbuild", path, "-nologo", "-nodeReuse:false", .. itemTypes.Select(t => "-getItem:" + t)], _root,
            new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" }, TimeSpan.FromMinutes(2));
    }

    /// <summary>The items as MSBuild evaluated them, in the shape the package's tasks receive them.</summary>
    private static ProjectInputs ToInputs(ProcessResult result, string projectDirectory)
    {
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var json = result.Output[result.Output.IndexOf('{')..];
        var inputs = new ProjectInputs().Set("MSBuildProjectDirectory", projectDirectory);
        using var document = JsonDocument.Parse(json);
        foreach (var itemType in document.RootElement.GetProperty("Items").EnumerateObject())
            foreach (var item in itemType.Value.EnumerateArray())
            {
                // Only custom metadata: the well-known ones (FullPath, Filename, …) come back too.
                var metadata = item.EnumerateObject()
                    .Where(p => p.Name is not ("Identity" or "FullPath" or "RootDir" or "Filename" or "Extension" or "RelativeDir" or "Directory" or "RecursiveDir" or "ModifiedTime" or "CreatedTime" or "AccessedTime" or "DefiningProjectFullPath" or "DefiningProjectDirectory" or "DefiningProjectName" or "DefiningProjectExtension"))
                    .Select(p => (p.Name, p.Value.GetString()!)).ToArray();
                inputs.Add(itemType.Name, item.GetProperty("Identity").GetString()!, metadata);
            }
        return inputs;
    }

    [TestMethod]
    public void Every_metadata_name_the_package_reads_survives_msbuild_evaluation()
    {
        var sha = new string('a', 64);
        var result = Evaluate($"""
                <AiModel Include="bert" Source="hf://org/bert@main" Files="*.json;*.safetensors" ExcludeFiles="onnx/**" ContainerPath="/opt/bert" Layout="files" />
                <AiModel Include="resnet" Source="https://models.example.com/r.onnx" Sha256="{sha}" Size="1048576" AllowUnverified="false" ContainerPath="/opt/resnet/model.onnx" />
                <AiVolume Include="/srv/models" ContainerPath="/models" ReadOnly="true" />
                <AiComposeService Include="redis" Version="7.2" />
                <AiServedModel Include="models/m.onnx" Name="m" Version="2" />
                <ContainerPort Include="8080" Type="tcp" />
                <ContainerEnvironmentVariable Include="A" Value="1" />
                <ContainerLabel Include="com.acme.team" Value="ml" />
                <AiPythonPackages Include="numpy==1.26.4" />
            """, "AiModel", "AiVolume", "AiComposeService", "AiServedModel", "ContainerPort", "ContainerEnvironmentVariable", "ContainerLabel", "AiPythonPackages");
        var inputs = ToInputs(result, _root);

        var bert = inputs.Items("AiModel").Single(i => i.Include == "bert");
        Assert.AreEqual("onnx/**", bert.Get("ExcludeFiles"));
        Assert.AreEqual("/opt/bert", bert.Get("ContainerPath"));
        Assert.AreEqual("*.json;*.safetensors", bert.Get("Files"));
        var resnet = inputs.Items("AiModel").Single(i => i.Include == "resnet");
        Assert.AreEqual("1048576", resnet.Get("Size"));
        Assert.AreEqual(sha, resnet.Get("Sha256"));
        Assert.AreEqual("/models", inputs.Items("AiVolume").Single().Get("ContainerPath"));
        Assert.AreEqual("true", inputs.Items("AiVolume").Single().Get("ReadOnly"));
        Assert.AreEqual("7.2", inputs.Items("AiComposeService").Single().Get("Version"));
        Assert.AreEqual("m", inputs.Items("AiServedModel").Single().Get("Name"));
        Assert.AreEqual("2", inputs.Items("AiServedModel").Single().Get("Version"));
        Assert.AreEqual("tcp", inputs.Items("ContainerPort").Single().Get("Type"));
        Assert.AreEqual("1", inputs.Items("ContainerEnvironmentVariable").Single().Get("Value"));
        Assert.AreEqual("ml", inputs.Items("ContainerLabel").Single().Get("Value"));
        Assert.AreEqual("numpy==1.26.4", inputs.Items("AiPythonPackages").Single().Include);

        // And the mappers turn them into the spec: the paths and globs set in the project arrive.
        var bag = new DiagnosticBag();
        var models = ModelSpecMapper.Map(inputs.Items("AiModel"), _root, bag);
        Assert.IsFalse(bag.HasErrors, string.Join("\n", bag.Items));
        Assert.AreEqual("/opt/bert", models.Single(m => m.Name == "bert").Target);
        CollectionAssert.AreEqual(new[] { "onnx/**" }, models.Single(m => m.Name == "bert").Exclude.ToArray());
        Assert.AreEqual("/opt/resnet/model.onnx", models.Single(m => m.Name == "resnet").Target);
        Assert.AreEqual(1048576L, models.Single(m => m.Name == "resnet").Size);
        var volumeBag = new DiagnosticBag();
        var deploy = DeploySpecMapper.Map(inputs, volumeBag);
        Assert.AreEqual("/models", deploy.Volumes.Single().Target);
    }

    [TestMethod]
    public void The_old_Target_metadata_is_refused_by_msbuild_before_the_package_runs()
    {
        // Why ContainerPath: MSBuild reserves Target on items, so the project does not even load.
        var result = Evaluate("""    <AiModel Include="bert" Source="hf://org/bert" Target="/opt/bert" />""", "AiModel");
        Assert.AreNotEqual(0, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Output, "MSB4066");
    }

    [TestMethod]
    public void The_old_Exclude_metadata_never_reaches_the_package()
    {
        // Why ExcludeFiles: Exclude is the item's exclude attribute; it filters Include and vanishes.
        var result = Evaluate("""    <AiModel Include="bert" Source="hf://org/bert" Exclude="*.bin" />""", "AiModel");
        var inputs = ToInputs(result, _root);
        Assert.IsNull(inputs.Items("AiModel").Single().Get("Exclude"));
    }
}
