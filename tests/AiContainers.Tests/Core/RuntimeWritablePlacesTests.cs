using System.Net;
using System.Net.Sockets;
using System.Text;
using AiContainers.Core.Generation;
using AiContainers.Core.Oci;
using AiContainers.Core.Publishing;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;
using AiContainers.Tests.Python;

namespace AiContainers.Tests.Core;

/// <summary>
/// The writable places (WritablePlaces: home, caches, Python workspace, AiVolume targets) as both builders lay them out,
/// and the health probe's port rule, with the real probe compiled from src/aic-healthcheck/healthcheck.c.
/// </summary>
[TestClass]
public sealed class RuntimeWritablePlacesTests
{
    [TestMethod]
    public void Volume_targets_are_prepared_unless_read_only_or_on_code_or_weights()
    {
        var spec = Inputs.Spec(Inputs.WebApp()
            .Add("AiVolume", "out", ("ContainerPath", "/data/out"))
            .Add("AiVolume", "logs", ("ContainerPath", "/app/logs"))
            .Add("AiVolume", "code", ("ContainerPath", "/"))
            .Add("AiVolume", "ro", ("ContainerPath", "/data/ro"), ("ReadOnly", "true"))
            .Add("AiVolume", "hf", ("ContainerPath", "/home/app/.cache/huggingface")));
        CollectionAssert.AreEqual(new[] { "/data/out", "/home/app/.cache/huggingface" }, WritablePlaces.VolumeTargets(spec).ToArray());
        CollectionAssert.AreEqual(new[] { ".cache", ".cache/huggingface" }, WritablePlaces.HomeFolders(spec).ToArray(), "a target under the home is a home folder");
        CollectionAssert.AreEqual(new[] { new WritableRoot("/data/out", WritablePlaces.EmptyContextFolder) }, WritablePlaces.OtherRoots(spec).ToArray());
        Assert.AreEqual("/app", WritablePlaces.RunDirectory(spec), ".NET apps keep their folder as the working directory");
    }

    [TestMethod]
    public void Python_images_run_in_the_user_owned_workspace_with_links_to_the_read_only_code()
    {
        var spec = Inputs.Spec(PythonInputs.Standalone().Set("AiCommand", "python train.py"));
        Assert.AreEqual("/workspace", WritablePlaces.RunDirectory(spec));
        CollectionAssert.AreEqual(new[] { ("data", "../app/data"), ("train.py", "../app/train.py") },
            WritablePlaces.WorkspaceLinks(spec, new[] { "train.py", "data/a.csv", "data/b.csv" }).ToArray());
        var env = ImageEnvironment.For(spec).ToDictionary(e => e.Name, e => e.Value);
        Assert.AreEqual("/home/app/.cache/torch", env["TORCH_HOME"]);
        Assert.AreEqual("/home/app/.cache/huggingface/modules", env["HF_MODULES_CACHE"]);
        Assert.AreEqual("/home/app/.cache", env["XDG_CACHE_HOME"]);

        // The user's own variable still wins.
        var own = Inputs.Spec(PythonInputs.Standalone().Set("AiCommand", "python train.py").Add("ContainerEnvironmentVariable", "TORCH_HOME", ("Value", "/data/torch")));
        Assert.AreEqual("/data/torch", ImageEnvironment.For(own).Single(e => e.Name == "TORCH_HOME").Value);
    }

    [TestMethod]
    public void Daemonless_home_layer_holds_the_same_user_owned_places_the_dockerfile_copies()
    {
        var spec = Inputs.Spec(Inputs.WebApp().Add("AiVolume", "out", ("ContainerPath", "/data/out")));
        var context = TestPaths.NewTempDirectory("writable-plan");
        var layer = ImageLayerPlan.For(spec, context, null).Layers.Single(l => l.Description == "user home");
        CollectionAssert.AreEqual(new[] { "home/app", "home/app/.cache", "data/out" }, layer.Entries.Select(e => e.Path).ToArray());
        Assert.IsTrue(layer.Entries.All(e => e.Kind == LayerEntryKind.Directory && e.Uid == 1654 && e.Gid == 1654), "every writable place is the user's");

        var dockerfile = DockerfileGenerator.Generate(spec).Text;
        StringAssert.Contains(dockerfile, "COPY --chown=1654:1654 aic/home/ /home/app/\n");
        StringAssert.Contains(dockerfile, "COPY --chown=1654:1654 aic/empty/ /data/out/\n");
    }

    [TestMethod]
    public void A_volume_target_with_builder_syntax_is_copied_literally()
    {
        var spec = Inputs.Spec(Inputs.WebApp().Add("AiVolume", "odd", ("ContainerPath", "/data/my $HOME \"x\"")));
        StringAssert.Contains(DockerfileGenerator.Generate(spec).Text, "COPY --chown=1654:1654 [\"aic/empty/\",\"/data/my \\\\$HOME \\\\\\\"x\\\\\\\"/\"]\n");
    }

    [TestMethod]
    public void Probe_follows_the_aspnet_port_only_when_aimed_at_the_port_the_image_sets()
    {
        var follows = Inputs.Spec(Inputs.WebApp().Set("AiHealthCheckPath", "/health"));
        CollectionAssert.AreEqual(new[] { HealthProbe.ImagePath, "--port-from", "ASPNETCORE_URLS", "--port-from", "ASPNETCORE_HTTP_PORTS", "http://127.0.0.1:8080/health" },
            follows.HealthCheck!.Command.ToArray());
        var management = Inputs.Spec(Inputs.WebApp().Set("AiHealthCheckPath", "/health").Set("AiHealthCheckPort", "9100").Add("ContainerPort", "8080").Add("ContainerPort", "9100"));
        CollectionAssert.AreEqual(new[] { HealthProbe.ImagePath, "http://127.0.0.1:9100/health" }, management.HealthCheck!.Command.ToArray(), "a management port stays fixed");
        var console = Inputs.Spec(Inputs.WebApp().Set("UsingMicrosoftNETSdkWeb", "false").Set("AiHealthCheckPath", "/health").Add("ContainerPort", "7000"));
        CollectionAssert.AreEqual(new[] { HealthProbe.ImagePath, "http://127.0.0.1:7000/health" }, console.HealthCheck!.Command.ToArray(), "not ASP.NET: no ASP.NET variables");
    }

    /// <summary>The real probe, compiled from its source with the C compiler the pack uses (gcc, build/setup.sh installs it).</summary>
    private static readonly Lazy<string> Probe = new(() =>
    {
        var output = Path.Combine(TestPaths.NewTempDirectory("probe"), "aic-healthcheck");
        var gcc = ProcessRunner.Run("gcc", new[] { "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", output, Path.Combine(TestPaths.RepoRoot, "src", "aic-healthcheck", "healthcheck.c") });
        Assert.AreEqual(0, gcc.ExitCode, gcc.Output);
        return output;
    });

    /// <summary>Answers each connection with 200 and records the Host header it got.</summary>
    private sealed class OkServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        public OkServer()
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync();
                    var stream = client.GetStream();
                    var buffer = new byte[2048];
                    var read = await stream.ReadAsync(buffer);
                    LastRequest = Encoding.ASCII.GetString(buffer, 0, read);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                }
            });
        }
        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public string? LastRequest { get; private set; }
        public void Dispose() => _listener.Stop();
    }

    private static int RunProbe(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var all = new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = null, ["ASPNETCORE_HTTP_PORTS"] = null };
        foreach (var (k, v) in environment) all[k] = v;
        return ProcessRunner.Run(Probe.Value, arguments, environment: all, timeout: TimeSpan.FromSeconds(20)).ExitCode;
    }

    [TestMethod]
    public void Probe_takes_the_port_from_the_first_variable_that_names_one_else_the_url()
    {
        using var server = new OkServer();
        var closed = ClosedPort();
        var p = server.Port.ToString();
        var follow = new[] { "--port-from", "ASPNETCORE_URLS", "--port-from", "ASPNETCORE_HTTP_PORTS", $"http://127.0.0.1:{closed}/health" };

        Assert.AreEqual(1, RunProbe(new Dictionary<string, string?>(), follow), "no variable: the URL's (closed) port");
        Assert.AreEqual(0, RunProbe(new Dictionary<string, string?> { ["ASPNETCORE_HTTP_PORTS"] = p }, follow));
        StringAssert.Contains(server.LastRequest, $"Host: 127.0.0.1:{p}\r\n", "the Host header names the port probed");
        Assert.AreEqual(0, RunProbe(new Dictionary<string, string?> { ["ASPNETCORE_HTTP_PORTS"] = $"{p};{closed}" }, follow), "the list's first entry");
        Assert.AreEqual(1, RunProbe(new Dictionary<string, string?> { ["ASPNETCORE_HTTP_PORTS"] = $"{closed};{p}" }, follow), "only the first entry counts");
        Assert.AreEqual(0, RunProbe(new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"https://+:443;http://+:{p}", ["ASPNETCORE_HTTP_PORTS"] = closed }, follow),
            "ASPNETCORE_URLS first, as ASP.NET reads it; https entries skipped");
        Assert.AreEqual(0, RunProbe(new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://[::]:{p}/" }, follow), "an IPv6 wildcard URL");
        Assert.AreEqual(0, RunProbe(new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = "junk", ["ASPNETCORE_HTTP_PORTS"] = p }, follow), "a variable naming no port is passed over");
        Assert.AreEqual(0, RunProbe(new Dictionary<string, string?> { ["ASPNETCORE_HTTP_PORTS"] = "99999" }, "--port-from", "ASPNETCORE_HTTP_PORTS", $"http://127.0.0.1:{p}/health"),
            "an out-of-range port falls back to the URL's");
        Assert.AreEqual(0, RunProbe(new Dictionary<string, string?> { ["ASPNETCORE_HTTP_PORTS"] = closed }, $"http://127.0.0.1:{p}/health"), "without --port-from the URL decides");
        Assert.AreEqual(1, RunProbe(new Dictionary<string, string?>(), "--port-from", "ASPNETCORE_HTTP_PORTS"), "a URL is required");
    }

    private static string ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port.ToString();
    }
}
