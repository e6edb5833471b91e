using System.Security;
using AiContainers.Core.Weights;
using AiContainers.Tasks;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Weights;

/// <summary>
/// The FetchAiModels task in real MSBuild processes (dotnet msbuild on a small project that loads the
/// task assembly from the test output), several at once against one cache, as parallel builds would.
/// </summary>
[TestClass]
public sealed class FetchAiModelsTaskTests
{
    private const string Canary = "hf_CANARY_b7e2d5a1c9f04e38";
    private WeightsFixture _f = null!;

    [TestInitialize] public void Start() => _f = new WeightsFixture();
    [TestCleanup] public void Stop() => _f.Dispose();

    private string WriteProject(string name, string models)
    {
        var directory = Path.Combine(_f.Root, name);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "fetch.proj");
        File.WriteAllText(path, $"""
            <Project>
              <UsingTask TaskName="AiContainers.Tasks.FetchAiModels" AssemblyFile="{SecurityElement.Escape(typeof(FetchAiModels).Assembly.Location)}" />
              <UsingTask TaskName="AiContainers.Tasks.ResolveAiImageSpec" AssemblyFile="{SecurityElement.Escape(typeof(FetchAiModels).Assembly.Location)}" />
              <ItemGroup>
            {models}
              </ItemGroup>
              <Target Name="Fetch">
                <ItemGroup>
                  <_AiProperty Include="MSBuildProjectName" Value="fetch" />
                  <_AiProperty Include="MSBuildProjectDirectory" Value="$(MSBuildProjectDirectory)" />
                  <_AiProperty Include="AiGpu" Value="false" />
                  <_AiInputItem Include="@(AiModel)" AiItemType="AiModel" />
                </ItemGroup>
                <ResolveAiImageSpec Properties="@(_AiProperty)" Items="@(_AiInputItem)" SpecFile="$(MSBuildProjectDirectory)/obj/spec.json" />
                <FetchAiModels SpecFile="$(MSBuildProjectDirectory)/obj/spec.json" CacheDirectory="{SecurityElement.Escape(_f.CacheDirectory)}" ManifestFile="$(MSBuildProjectDirectory)/obj/models.json" />
              </Target>
            </Project>
            """);
        return path;
    }

    private ProcessResult MSBuild(string project, bool offline = false)
        => ProcessRunner.Run("dotnet", ["msbuild", project, "-t:Fetch", "-nologo", "-nodeReuse:false", "-v:detailed", "-p:UseSharedCompilation=false"],
            Path.GetDirectoryName(project), new Dictionary<string, string?>
            {
                ["HF_ENDPOINT"] = _f.Server.Endpoint.ToString(),
                ["HF_TOKEN"] = Canary,
                ["HF_HUB_OFFLINE"] = offline ? "1" : null,
                ["MSBUILDNOINPROCNODE"] = null,
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
            }, TimeSpan.FromMinutes(3));

    [TestMethod]
    public async Task Four_msbuild_processes_sharing_a_cache_download_the_model_once_and_never_log_the_token()
    {
        var repo = _f.AddBert("org/gated", requiredToken: Canary);
        _f.Server.BeforeFileBody = async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            // Hold the first body until all four builds have resolved the branch (every build asks; the
            // file listing may come from the cache) and had time to reach the blob lock.
            while (_f.Server.Requests.Count(r => r.RawUrl.Contains("/revision/")) < 4 && DateTime.UtcNow < deadline) await Task.Delay(50);
            await Task.Delay(1500);
        };
        var projects = Enumerable.Range(0, 4).Select(i => WriteProject("p" + i, """<AiModel Include="bert" Source="hf://org/gated" Files="*.json;*.safetensors" />""")).ToList();
        var runs = await Task.WhenAll(projects.Select(p => Task.Run(() => MSBuild(p))));

        foreach (var run in runs) Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.AreEqual(1, _f.Server.CdnGets("model.safetensors").Count, "four builds, one download of the LFS blob");
        Assert.AreEqual(1, _f.Server.ResolveGets("config.json").Count);
        Assert.IsTrue(runs.Any(r => r.Output.Contains("waiting for another build", StringComparison.Ordinal)), "the builds overlapped:\n" + string.Join("\n----\n", runs.Select(r => string.Join("\n", r.Output.Split('\n').Where(l => l.Contains("AiContainers") || l.Contains("AIC"))))));
        Assert.IsTrue(runs.All(r => r.Output.Contains("AIC5502", StringComparison.Ordinal)), "the unpinned-revision warning reaches the MSBuild log with its code");

        var manifests = projects.Select(p => ModelManifest.Read(Path.Combine(Path.GetDirectoryName(p)!, "obj", "models.json"))).ToList();
        Assert.AreEqual(1, manifests.Select(m => m.ContentDigest).Distinct().Count());
        Assert.AreEqual(repo.CommitSha, manifests[0].Models.Single().Commit);
        Assert.AreEqual(_f.CacheDirectory, manifests[0].CacheDirectory);

        foreach (var run in runs) Assert.IsFalse(run.Output.Contains(Canary, StringComparison.Ordinal), "the MSBuild log holds the token");
        foreach (var file in Directory.EnumerateFiles(_f.Root, "*", SearchOption.AllDirectories))
            Assert.IsFalse(File.ReadAllText(file).Contains(Canary, StringComparison.Ordinal), $"{file} holds the token");
    }

    [TestMethod]
    public void Item_errors_and_offline_misses_fail_the_build_with_their_codes()
    {
        _f.AddBert();
        var bad = MSBuild(WriteProject("bad", """<AiModel Include="Bad Name" Source="ftp://x/y" />"""));
        Assert.AreNotEqual(0, bad.ExitCode);
        StringAssert.Contains(bad.Output, "error AIC5001");
        StringAssert.Contains(bad.Output, "error AIC5003");

        var cold = MSBuild(WriteProject("cold", """<AiModel Include="bert" Source="hf://org/bert" />"""), offline: true);
        Assert.AreNotEqual(0, cold.ExitCode);
        StringAssert.Contains(cold.Output, "error AIC5025");
        Assert.AreEqual(0, _f.Server.Requests.Count);
    }
}
