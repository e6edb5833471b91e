using System.Net;
using System.Net.Sockets;
using System.Text;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Engine;
using AiContainers.Core.Registry;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// Issue #10/#12: every way of not reaching a Docker engine is one coded error with the true cause and what
/// to do, never a stack trace (a refused tcp:// port escaped as MSB4018) or a misleading socket message (a
/// missing unix socket said "Cannot assign requested address"). Real endpoints: a closed tcp port, a socket
/// path with no file, and tiny in-test listeners that answer garbage, HTTP that is not Docker, or nothing.
/// </summary>
[TestClass]
public sealed class EngineErrorTests
{
    private static AiException PingFails(string endpoint)
    {
        using var engine = DockerEngine.Create(new Uri(endpoint));
        var error = Assert.ThrowsExactly<AiException>(() => engine.PingAsync(CancellationToken.None).GetAwaiter().GetResult());
        Assert.IsFalse(error.Message.Contains("Cannot assign requested address"), error.Message);
        return error;
    }

    private static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [TestMethod]
    public void A_refused_tcp_port_says_connection_refused_at_that_endpoint()
    {
        var port = ClosedPort();
        var error = PingFails($"tcp://127.0.0.1:{port}");
        Assert.AreEqual("AIC3100", error.Code);
        StringAssert.Contains(error.Message, $"127.0.0.1:{port}");
        StringAssert.Contains(error.Message, "connection refused");
        StringAssert.Contains(error.Message, "DOCKER_HOST");
        StringAssert.Contains(error.Message, "docker context use");
    }

    [TestMethod]
    public void A_missing_unix_socket_names_the_missing_file()
    {
        var socket = Path.Combine(Path.GetTempPath(), "aic-no-engine-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        var error = PingFails("unix://" + socket);
        Assert.AreEqual("AIC3101", error.Code);
        StringAssert.Contains(error.Message, $"The Docker engine socket {socket} (from the endpoint given) does not exist");
    }

    [TestMethod]
    public void A_socket_file_nobody_listens_on_is_connection_refused()
    {
        // What a crashed dockerd leaves behind: the socket file, with no process behind it.
        var path = Path.Combine(Path.GetTempPath(), "aic-stale-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        // Bound by another process: .NET's own Socket deletes the file when disposed; Python leaves it.
        var bind = ProcessRunner.Run("python3", new[] { "-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path });
        Assert.AreEqual(0, bind.ExitCode, bind.Output);
        Assert.IsTrue(Path.Exists(path), "the stale socket file exists");
        try
        {
            Assert.AreEqual("AIC3100", PingFails("unix://" + path).Code);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void A_unix_socket_that_answers_garbage_is_not_a_docker_engine()
    {
        var path = Path.Combine(Path.GetTempPath(), "aic-garbage-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var server = Task.Run(() =>
        {
            using var client = listener.Accept();
            var buffer = new byte[4096];
            client.Receive(buffer);
            client.Send(Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.2 this is not HTTP\r\n\r\n"));
            client.Shutdown(SocketShutdown.Both);
        });
        try
        {
            var error = PingFails("unix://" + path);
            Assert.AreEqual("AIC3103", error.Code, error.Message);
            StringAssert.Contains(error.Message, "answered, but not as a Docker engine");
            server.Wait(TimeSpan.FromSeconds(5));
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void An_http_server_that_is_not_docker_is_named_with_its_status()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(() =>
        {
            using var client = listener.AcceptTcpClient();
            var stream = client.GetStream();
            stream.ReadExactly(new byte[16]);
            var body = "404 page not found\n";
            stream.Write(Encoding.ASCII.GetBytes($"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
        });
        try
        {
            var error = PingFails($"tcp://127.0.0.1:{port}");
            Assert.AreEqual("AIC3103", error.Code, error.Message);
            StringAssert.Contains(error.Message, "404");
            server.Wait(TimeSpan.FromSeconds(5));
        }
        finally { listener.Stop(); }
    }

    [TestMethod]
    public void An_endpoint_that_accepts_and_never_answers_times_out()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            var error = PingFails($"tcp://127.0.0.1:{port}");
            Assert.AreEqual("AIC3104", error.Code, error.Message);
            StringAssert.Contains(error.Message, "did not answer within 5 s");
        }
        finally { listener.Stop(); }
    }

    [TestMethod]
    public void Permission_denied_on_the_socket_says_so()
    {
        // Tests run as root, which no socket mode refuses, so the client's exception (as it throws it for
        // EACCES) is built here, for a socket file that exists.
        var path = Path.Combine(Path.GetTempPath(), "aic-denied-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        var error = EngineFailure.Classify(new HttpRequestException("Connection failed.", new SocketException((int)SocketError.AccessDenied)),
            "unix://" + path, "DOCKER_HOST", TimeSpan.FromSeconds(5));
        Assert.AreEqual("AIC3102", error.Code, error.Message);
        StringAssert.Contains(error.Message, $"Permission denied opening the Docker engine socket {path} (from DOCKER_HOST)");
    }

    [TestMethod]
    public void Without_a_bridge_network_a_failing_run_step_says_set_AiBuildNetwork_host()
    {
        EngineEnvironment.Require();
        using var engine = DockerEngine.Create(new Uri(EngineEnvironment.DockerHost));
        engine.PingAsync(CancellationToken.None).GetAwaiter().GetResult();
        if (engine.HasBridgeNetworkAsync(CancellationToken.None).GetAwaiter().GetResult())
            EngineEnvironment.Unavailable("this engine has a bridge network; the test needs one started with --bridge=none (build/setup.sh does)");

        var context = TestPaths.NewTempDirectory("no-bridge-build");
        try
        {
            // apt-get update only warns when it cannot fetch; the install then fails with a screen of resolver
            // errors that never say "no network": exactly what users saw.
            File.WriteAllText(Path.Combine(context, "Dockerfile"), $"""
                FROM {EngineEnvironment.MirrorPrefix}/library/ubuntu:22.04
                RUN apt-get update && apt-get install -y --no-install-recommends libgomp1
                """);
            var tag = "aic-no-bridge:" + Guid.NewGuid().ToString("N")[..8];
            var request = new EngineBuildRequest(context, new[] { tag }, new Dictionary<string, RegistryCredential>());
            var error = Assert.ThrowsExactly<AiException>(() => engine.BuildAsync(request, NullAiLog.Instance, CancellationToken.None).GetAwaiter().GetResult());
            Assert.AreEqual("AIC3105", error.Code, error.Message);
            StringAssert.Contains(error.Message, "has no bridge network");
            StringAssert.Contains(error.Message, "Set AiBuildNetwork to host");
            StringAssert.Contains(error.Message, "RUN apt-get update");
            Assert.IsTrue(error.Message.Split('\n').Length < 15, "a short error, not the whole apt output:\n" + error.Message);

            // The same kind of failure with network mode host is an ordinary step failure.
            File.WriteAllText(Path.Combine(context, "Dockerfile"), $"""
                FROM {EngineEnvironment.MirrorPrefix}/library/ubuntu:22.04
                RUN exit 3
                """);
            var hostRequest = request with { NetworkMode = "host" };
            var hostError = Assert.ThrowsExactly<AiException>(() => engine.BuildAsync(hostRequest, NullAiLog.Instance, CancellationToken.None).GetAwaiter().GetResult());
            Assert.AreEqual("AIC3002", hostError.Code, hostError.Message);
        }
        finally { Directory.Delete(context, recursive: true); }
    }

    [TestMethod]
    public void A_publish_against_a_refused_engine_fails_with_one_coded_error_and_no_stack_trace()
    {
        var port = ClosedPort();
        var project = SdkProject.ConsoleApp("RefusedEngine", """
            <AiGpu>false</AiGpu>
            <ContainerRepository>e2e/refusedengine</ContainerRepository>
            <AiImageBuilder>Docker</AiImageBuilder>
            """);
        try
        {
            var result = project.Publish(new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B") }, new Dictionary<string, string?> { ["DOCKER_HOST"] = $"tcp://127.0.0.1:{port}" });
            Assert.AreNotEqual(0, result.ExitCode, result.Output);
            StringAssert.Contains(result.Output, $"error AIC3100: No Docker engine listens at tcp://127.0.0.1:{port}/ (from DOCKER_HOST): connection refused");
            Assert.IsFalse(result.Output.Contains("MSB4018"), "no unhandled exception:\n" + result.Output);
            Assert.IsFalse(result.Output.Contains("   at "), "no stack trace:\n" + result.Output);
        }
        finally { Directory.Delete(project.Directory, recursive: true); }
    }
}
