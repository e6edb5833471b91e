using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// Each kind of image run as its own user, by code that writes where real code writes (issue #11): a Python training
/// image (`python train.py` saving model.pth in its working directory, filling TORCH_HOME, ~/.cache, HF_MODULES_CACHE
/// and an AiVolume), a .NET service (daemonless default builder) writing its cache and /tmp and going healthy through
/// its own HEALTHCHECK on a port moved at run time, and the TorchServe stand-in writing its TEMP.
/// Code folders must stay read-only. Bases are build/setup.sh's stand-ins, reached through AiRegistryMirror.
/// </summary>
[TestClass]
public sealed class RuntimeWritesEndToEndTests
{
    private static string UniqueTag() => "rt-" + Guid.NewGuid().ToString("N")[..10];

    private static string[] Common(params string[] more)
        => new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiBuildNetwork=host" }.Concat(more).ToArray();

    private static JsonElement ImageConfig(string image)
    {
        var result = EngineEnvironment.Docker("image", "inspect", image);
        Assert.AreEqual(0, result.ExitCode, result.Output);
        return JsonDocument.Parse(result.StandardOutput).RootElement[0].GetProperty("Config");
    }

    private static string[] Strings(JsonElement element) => element.EnumerateArray().Select(e => e.GetString()!).ToArray();

    /// <summary>What a training script does with its filesystem, each step printed so a failure names the place.</summary>
    private const string TrainScript = """
        import os, tempfile
        import helper  # a sibling module: sys.path[0] is the code folder the workspace link points into
        print("uid", os.getuid(), "cwd", os.getcwd(), flush=True)
        print("config", open("config.txt").read().strip(), flush=True)  # a relative read of a project file
        with open("model.pth", "wb") as f:  # torch.save(model, "model.pth"): the working directory
            f.write(b"weights")
        os.makedirs("checkpoints", exist_ok=True)
        open("checkpoints/epoch-1.pt", "wb").write(b"ckpt")
        hub = os.path.join(os.environ["TORCH_HOME"], "hub", "checkpoints")  # torch.hub.load_state_dict_from_url
        os.makedirs(hub, exist_ok=True)
        open(os.path.join(hub, "resnet.pth"), "wb").write(b"hub")
        xdg = os.path.join(os.path.expanduser("~/.cache"), "datasets")  # ~/.cache (XDG_CACHE_HOME)
        os.makedirs(xdg, exist_ok=True)
        open(os.path.join(xdg, "part-0"), "wb").write(b"data")
        modules = os.path.join(os.environ["HF_MODULES_CACHE"], "transformers_modules", "org", "model")  # trust_remote_code
        os.makedirs(modules, exist_ok=True)
        open(os.path.join(modules, "modeling.py"), "w").write("# remote code\n")
        with tempfile.NamedTemporaryFile(dir="/tmp", delete=False) as f:
            f.write(b"tmp")
            print("tmp", f.name, flush=True)
        open("/data/out/metrics.json", "w").write('{"loss": 0.1}')  # the AiVolume target
        for path in ("/app/train.py", "/app/new.py"):
            try:
                open(path, "a").write("# changed\n")
                print("WRITABLE", path, flush=True)
            except PermissionError:
                print("read-only", path, flush=True)
        print("done", helper.NAME, flush=True)
        """;

    [TestMethod]
    public void Python_training_image_writes_its_working_directory_caches_and_volume_and_keeps_its_code_read_only()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var image = "aic-tests/runtime-train:" + tag;
        var project = new SdkProject("RuntimeTrain");
        project.Write("RuntimeTrain.csproj", $"""
            <Project Sdk="AiContainers.Sdk/0.1.0">
              <PropertyGroup>
                <AiCudaVersion>12.4</AiCudaVersion>
                <!-- The stand-in CUDA base is Debian bookworm: python3 3.11. -->
                <AiPythonVersion>3.11</AiPythonVersion>
                <AiCommand>python train.py</AiCommand>
                <ContainerRepository>aic-tests/runtime-train</ContainerRepository>
                <ContainerImageTag>{tag}</ContainerImageTag>
              </PropertyGroup>
              <ItemGroup>
                <AiVolume Include="train-out" ContainerPath="/data/out" />
              </ItemGroup>
            </Project>
            """);
        project.Write("train.py", TrainScript);
        project.Write("helper.py", "NAME = \"helper\"\n");
        project.Write("config.txt", "lr=0.1\n");
        var result = project.Publish(Common());
        Assert.AreEqual(0, result.ExitCode, result.Output);

        var config = ImageConfig(image);
        Assert.AreEqual("/workspace", config.GetProperty("WorkingDir").GetString());
        Assert.AreEqual("1654:1654", config.GetProperty("User").GetString());
        var env = Strings(config.GetProperty("Env"));
        CollectionAssert.IsSubsetOf(new[] { "HOME=/home/app", "XDG_CACHE_HOME=/home/app/.cache", "TORCH_HOME=/home/app/.cache/torch", "HF_MODULES_CACHE=/home/app/.cache/huggingface/modules" }, env);

        var volume = "aic-rt-" + tag;
        var name = "aic-rt-train-" + tag;
        try
        {
            // A new named volume takes the owner of the image folder it is mounted on: the user, so the script can write it.
            var run = EngineEnvironment.Docker("run", "--name", name, "--network", "host", "-v", volume + ":/data/out", image);
            Assert.AreEqual(0, run.ExitCode, run.Output);
            StringAssert.Contains(run.Output, "uid 1654 cwd /workspace");
            StringAssert.Contains(run.Output, "config lr=0.1");
            StringAssert.Contains(run.Output, "read-only /app/train.py");
            StringAssert.Contains(run.Output, "read-only /app/new.py");
            Assert.IsFalse(run.Output.Contains("WRITABLE"), run.Output);
            StringAssert.Contains(run.Output, "done helper");

            // The files are where the script put them (docker cp reads the stopped container).
            foreach (var (path, content) in new[]
            {
                ("/workspace/model.pth", "weights"),
                ("/workspace/checkpoints/epoch-1.pt", "ckpt"),
                ("/home/app/.cache/torch/hub/checkpoints/resnet.pth", "hub"),
                ("/home/app/.cache/datasets/part-0", "data"),
                ("/home/app/.cache/huggingface/modules/transformers_modules/org/model/modeling.py", "# remote code\n"),
            })
            {
                var copy = Path.Combine(TestPaths.NewTempDirectory("runtime-cp"), "file");
                var cp = EngineEnvironment.Docker("cp", name + ":" + path, copy);
                Assert.AreEqual(0, cp.ExitCode, path + ": " + cp.Output);
                Assert.AreEqual(content, File.ReadAllText(copy), path);
            }
            var metrics = EngineEnvironment.Docker("run", "--rm", "--network", "none", "-v", volume + ":/data/out", image, "cat", "/data/out/metrics.json");
            Assert.AreEqual("{\"loss\": 0.1}", metrics.StandardOutput.Trim(), metrics.Output);

            // `docker run image python other.py` style overrides still resolve a project file from the working directory.
            var again = EngineEnvironment.Docker("run", "--rm", "--network", "none", image, "python", "-c",
                "import os; print(all(os.path.islink(n) for n in ('config.txt', 'helper.py', 'train.py')), os.path.realpath('train.py'), open('helper.py').read().strip())");
            Assert.AreEqual(0, again.ExitCode, again.Output);
            StringAssert.Contains(again.Output, "True /app/train.py NAME = \"helper\"");
        }
        finally
        {
            EngineEnvironment.Docker("rm", "-f", name);
            EngineEnvironment.Docker("volume", "rm", "-f", volume);
            EngineEnvironment.Docker("rmi", image);
        }
    }

    [TestMethod]
    public async Task Dotnet_service_writes_its_cache_and_tmp_and_is_healthy_on_a_port_moved_at_run_time()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var image = "aic-tests/runtime-web:" + tag;
        var project = new SdkProject("RuntimeWeb");
        project.Write("RuntimeWeb.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <Sdk Name="AiContainers.Sdk" Version="0.1.0" />
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <InvariantGlobalization>true</InvariantGlobalization>
                <ImplicitUsings>enable</ImplicitUsings>
                <AiCudaVersion>12.4</AiCudaVersion>
                <ContainerRepository>aic-tests/runtime-web</ContainerRepository>
                <ContainerImageTag>{tag}</ContainerImageTag>
                <AiHealthCheckPath>/health</AiHealthCheckPath>
              </PropertyGroup>
            </Project>
            """);
        project.Write("Program.cs", """
            var app = WebApplication.CreateBuilder(args).Build();
            app.MapGet("/health", () => "ok");
            // What a service writes: a cache under $HOME/.cache and scratch files in /tmp; its own folder must refuse writes.
            app.MapGet("/write", () =>
            {
                var cache = Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME")!, "runtime-web");
                Directory.CreateDirectory(cache);
                File.WriteAllText(Path.Combine(cache, "state.txt"), "cached");
                var scratch = Path.Combine(Path.GetTempPath(), "runtime-web.txt");
                File.WriteAllText(scratch, "scratch");
                string app;
                try { File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "new.txt"), "x"); app = "writable"; }
                catch (UnauthorizedAccessException) { app = "read-only"; }
                return $"{cache} {scratch} app={app}";
            });
            app.Run();
            """);
        var result = project.Publish(new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B") });
        Assert.AreEqual(0, result.ExitCode, result.Output);

        var config = ImageConfig(image);
        CollectionAssert.AreEqual(new[] { "CMD", "/usr/local/bin/aic-healthcheck", "--port-from", "ASPNETCORE_URLS", "--port-from", "ASPNETCORE_HTTP_PORTS", "http://127.0.0.1:8080/health" },
            Strings(config.GetProperty("Healthcheck").GetProperty("Test")));
        CollectionAssert.Contains(Strings(config.GetProperty("Env")), "ASPNETCORE_HTTP_PORTS=8080");

        // Network host: 8080 may be another test's; the app is moved the way the README says, and the image's own probe follows.
        var port = 20000 + RandomNumberGenerator.GetInt32(20000);
        try
        {
            await ContainerRun.RunUntilHealthyAsync(image, new[] { "-e", $"ASPNETCORE_HTTP_PORTS={port}", "--health-interval", "1s" }, TimeSpan.FromSeconds(90), async container =>
            {
                using var http = new HttpClient();
                var answer = await http.GetStringAsync($"http://127.0.0.1:{port}/write");
                Assert.AreEqual("/home/app/.cache/runtime-web /tmp/runtime-web.txt app=read-only", answer);
                Assert.AreEqual("cached", container.Exec("cat", "/home/app/.cache/runtime-web/state.txt").StandardOutput);
                Assert.AreEqual("scratch", container.Exec("cat", "/tmp/runtime-web.txt").StandardOutput);
                var owner = container.Exec("stat", "-c", "%u:%g %a", "/home/app", "/home/app/.cache");
                Assert.AreEqual("1654:1654 755\n1654:1654 755", owner.StandardOutput.Trim());
            });
        }
        finally
        {
            EngineEnvironment.Docker("rmi", image);
        }
    }

    [TestMethod]
    public async Task TorchServe_image_writes_its_temp_as_its_own_user()
    {
        EngineEnvironment.Require();
        var tag = UniqueTag();
        var image = "samples/torchserve-echo:" + tag;
        var project = SdkProject.CopyOfSample("TorchServe");
        var result = project.Publish(Common("ContainerImageTag=" + tag));
        Assert.AreEqual(0, result.ExitCode, result.Output);
        try
        {
            await ContainerRun.RunUntilHealthyAsync(image, new[] { "--network", "none", "--health-interval", "1s" }, TimeSpan.FromSeconds(90), container =>
            {
                // TorchServe unpacks archives into TEMP (its base sets TEMP=/home/model-server/tmp, owned by model-server).
                // Not checked yet: /home/model-server itself and its model-store, which the daemonless layers make root-owned
                // (the layer writer's implicit parent folders replace the base's owner); reported with issue #11.
                var write = container.Exec("sh", "-c", "id -un && echo t > \"$TEMP/aic-write\" && echo s > /tmp/aic-write && cat \"$TEMP/aic-write\" /tmp/aic-write");
                Assert.AreEqual(0, write.ExitCode, write.Output);
                Assert.AreEqual("model-server\nt\ns", write.StandardOutput.Trim());
                return Task.CompletedTask;
            });
        }
        finally
        {
            EngineEnvironment.Docker("rmi", image);
        }
    }
}
