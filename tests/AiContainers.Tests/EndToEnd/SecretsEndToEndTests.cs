using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// Issue #10: "the registry password is in every binary log". MSBuild's binary logger records every
/// environment variable named DOTNET_*, MSBUILD* or COMPLUS_* (and any variable the targets read as a
/// property), so secrets must travel only on paths that never become properties: AICONTAINERS_* variables,
/// $DOCKER_CONFIG/config.json auths, credential helpers, HF_TOKEN. Each path is driven through a real
/// `dotnet publish -bl` against a registry that only accepts that path's secret, and the secret is then
/// looked for everywhere a CI system keeps: the binlog (raw, decompressed, replayed at diagnostic
/// verbosity), the console, obj/ and bin/, and the image (history, config, every layer).
/// </summary>
[TestClass]
public sealed class SecretsEndToEndTests
{
    private static string Canary(string what) => $"aicCanary{what}{Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant()}";

    private readonly List<string> _images = new();
    private readonly List<string> _directories = new();

    [TestCleanup]
    public void CleanUp()
    {
        foreach (var image in _images) EngineEnvironment.Docker("rmi", "-f", image);
        foreach (var directory in _directories.Where(Directory.Exists)) Directory.Delete(directory, recursive: true);
    }

    private string TempDirectory(string name)
    {
        var directory = TestPaths.NewTempDirectory(name);
        _directories.Add(directory);
        return directory;
    }

    /// <summary>Every variable that could hand the publish a registry login other than the one under test.</summary>
    private static Dictionary<string, string?> NoOtherCredentials(string dockerConfig) => new()
    {
        ["DOCKER_CONFIG"] = dockerConfig,
        ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = null, ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = null,
        ["DOTNET_CONTAINER_PULL_REGISTRY_UNAME"] = null, ["DOTNET_CONTAINER_PULL_REGISTRY_PWORD"] = null,
        ["DOTNET_CONTAINER_REGISTRY_UNAME"] = null, ["DOTNET_CONTAINER_REGISTRY_PWORD"] = null,
        ["AICONTAINERS_PUSH_REGISTRY_USER"] = null, ["AICONTAINERS_PUSH_REGISTRY_PASSWORD"] = null,
        ["AICONTAINERS_REGISTRY_USER"] = null, ["AICONTAINERS_REGISTRY_PASSWORD"] = null,
        ["HF_TOKEN"] = null,
    };

    [TestMethod]
    public void Secrets_from_every_never_logged_path_reach_their_servers_and_no_log_file_or_image()
    {
        EngineEnvironment.Require();
        var envPassword = Canary("Env");
        var configPassword = Canary("Config");
        var helperPassword = Canary("Helper");
        var hfToken = "hf_" + Canary("Hub");
        using var registry = HtpasswdRegistry.Start(TempDirectory("secrets-registry"),
            ("aic-env", envPassword), ("aic-config", configPassword), ("aic-helper", helperPassword));
        using var hub = new FakeHuggingFaceServer();
        hub.AddRepo("org/secret-bert", requiredToken: hfToken)
            .AddText("config.json", $$"""{"model_type": "bert", "nonce": "{{Guid.NewGuid():N}}"}""")
            .AddFile("model.safetensors", RandomNumberGenerator.GetBytes(64 << 10), lfs: true)
            .Tag("release");

        var project = SdkProject.ConsoleApp("SecretsApp", $"""
            <AiGpu>false</AiGpu>
            <ContainerRepository>e2e/secretsapp</ContainerRepository>
            <AiModelCacheDirectory>$(MSBuildProjectDirectory)-model-cache</AiModelCacheDirectory>
            """, """<AiModel Include="bert" Source="hf://org/secret-bert@release" />""");
        _directories.Add(project.Directory);
        _directories.Add(project.Directory + "-model-cache");

        // A harmless DOTNET_* variable that MSBuild does log: the search below must find it, which shows
        // that it would find a secret that reached the log the same way.
        var loggedControl = "DOTNET_AIC_LOGGED_CONTROL";
        var loggedControlValue = Canary("Control");

        // 1. AICONTAINERS_PUSH_REGISTRY_USER/PASSWORD and HF_TOKEN (weights from a gated repository).
        var envTag = "env-" + Guid.NewGuid().ToString("N")[..8];
        // Every publish fetches the model (an unpinned revision is resolved online each time) with HF_TOKEN.
        Dictionary<string, string?> WithHub(Dictionary<string, string?> environment)
        {
            environment["HF_TOKEN"] = hfToken;
            environment["HF_ENDPOINT"] = hub.Endpoint.ToString();
            environment["HF_HUB_OFFLINE"] = null;
            return environment;
        }
        var env = WithHub(NoOtherCredentials(TempDirectory("docker-config-empty")));
        env["AICONTAINERS_PUSH_REGISTRY_USER"] = "aic-env";
        env["AICONTAINERS_PUSH_REGISTRY_PASSWORD"] = envPassword;
        env[loggedControl] = loggedControlValue;
        var envRun = PublishWithBinlog(project, registry, envTag, env, "env", consoleVerbosity: "diag");
        StringAssert.Contains(envRun.Console, "(from AICONTAINERS_PUSH_REGISTRY_USER/PASSWORD)");
        Assert.IsTrue(hub.Requests.Any(r => r.Authorization == "Bearer " + hfToken), "HF_TOKEN reached the hub");
        Assert.IsTrue(envRun.BinlogText.Contains(loggedControlValue, StringComparison.Ordinal), "the control DOTNET_* variable is in the binlog, as MSBuild logs it");

        // 2. $DOCKER_CONFIG/config.json auths (what 'docker login' writes).
        var configTag = "config-" + Guid.NewGuid().ToString("N")[..8];
        var configDirectory = TempDirectory("docker-config-auths");
        var configAuth = Convert.ToBase64String(Encoding.UTF8.GetBytes("aic-config:" + configPassword));
        File.WriteAllText(Path.Combine(configDirectory, "config.json"), $$"""{ "auths": { "{{registry.HostPort}}": { "auth": "{{configAuth}}" } } }""");
        var configRun = PublishWithBinlog(project, registry, configTag, WithHub(NoOtherCredentials(configDirectory)), "config");
        StringAssert.Contains(configRun.Console, $"(from auths.{registry.HostPort} in {configDirectory}/config.json)");

        // 3. A credHelpers entry naming a docker-credential-<name> program on PATH.
        var helperTag = "helper-" + Guid.NewGuid().ToString("N")[..8];
        var helperBin = TempDirectory("credential-helper-bin");
        var helperName = "aictest" + Guid.NewGuid().ToString("N")[..6];
        var helperScript = Path.Combine(helperBin, "docker-credential-" + helperName);
        File.WriteAllText(helperScript, $$"""
            #!/bin/sh
            # The docker credential helper protocol: 'get' reads the server URL on stdin, answers JSON.
            [ "$1" = get ] || exit 1
            read -r server
            [ "$server" = "{{registry.HostPort}}" ] || { echo "credentials not found in native keychain"; exit 1; }
            printf '{"ServerURL":"%s","Username":"aic-helper","Secret":"{{helperPassword}}"}\n' "$server"
            """);
        File.SetUnixFileMode(helperScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var helperConfig = TempDirectory("docker-config-helper");
        File.WriteAllText(Path.Combine(helperConfig, "config.json"), $$"""{ "credHelpers": { "{{registry.HostPort}}": "{{helperName}}" } }""");
        var helperEnv = WithHub(NoOtherCredentials(helperConfig));
        helperEnv["PATH"] = helperBin + ":" + Environment.GetEnvironmentVariable("PATH");
        var helperRun = PublishWithBinlog(project, registry, helperTag, helperEnv, "helper");
        StringAssert.Contains(helperRun.Console, $"docker-credential-{helperName} (credHelpers in {helperConfig}/config.json)");

        var secrets = new[] { envPassword, configPassword, helperPassword, hfToken, configAuth };
        foreach (var run in new[] { envRun, configRun, helperRun })
        {
            foreach (var secret in secrets)
            {
                AssertAbsent(run.Console, secret, $"{run.Name}: console output");
                AssertAbsent(run.BinlogText, secret, $"{run.Name}: binlog replayed at diagnostic verbosity");
                AssertAbsent(run.BinlogRaw, secret, $"{run.Name}: raw binlog bytes");
                AssertAbsent(run.BinlogDecompressed, secret, $"{run.Name}: decompressed binlog");
            }
        }
        foreach (var folder in new[] { Path.Combine(project.Directory, "obj"), Path.Combine(project.Directory, "bin"), project.Directory + "-model-cache" })
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
                foreach (var secret in secrets) AssertAbsent(File.ReadAllBytes(file), secret, file);

        // The images: the app under each tag, as pushed, and the weights image it copied the model from.
        var images = new[] { envTag, configTag, helperTag }.Select(t => $"{registry.HostPort}/e2e/secretsapp:{t}").ToList();
        var weights = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(project.OutputDirectory, "Dockerfile")), @"^FROM ((?:localhost/)?aicontainers/weights:[0-9a-f]+) AS weights$", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.IsTrue(weights.Success, "the Dockerfile has a weights stage");
        _images.Add(weights.Groups[1].Value);
        images.Add(weights.Groups[1].Value);
        foreach (var image in images)
        {
            var history = EngineEnvironment.Docker("history", "--no-trunc", image);
            Assert.AreEqual(0, history.ExitCode, history.Output);
            var inspect = EngineEnvironment.Docker("image", "inspect", image);
            Assert.AreEqual(0, inspect.ExitCode, inspect.Output);
            var archive = Path.Combine(TempDirectory("image-save"), "image.tar");
            var save = EngineEnvironment.Docker("save", "-o", archive, image);
            Assert.AreEqual(0, save.ExitCode, save.Output);
            var archiveBytes = File.ReadAllBytes(archive);
            foreach (var secret in secrets)
            {
                AssertAbsent(history.Output, secret, $"docker history {image}");
                AssertAbsent(inspect.Output, secret, $"docker inspect {image}");
                AssertAbsent(archiveBytes, secret, $"docker save {image}");
                foreach (var (entry, content) in TarContents(archiveBytes)) AssertAbsent(content, secret, $"docker save {image}: {entry}");
            }
        }

        // Each push really used its own login: the registry has every tag (read back with that user's password).
        foreach (var (tag, user, password) in new[] { (envTag, "aic-env", envPassword), (configTag, "aic-config", configPassword), (helperTag, "aic-helper", helperPassword) })
        {
            var read = EngineEnvironment.Skopeo("inspect", "--tls-verify=false", "--creds", $"{user}:{password}", $"docker://{registry.HostPort}/e2e/secretsapp:{tag}");
            Assert.AreEqual(0, read.ExitCode, read.Output);
        }
    }

    [TestMethod]
    public void A_dotnet_container_password_variable_gets_the_binlog_warning_and_still_works()
    {
        EngineEnvironment.Require();
        var password = Canary("Sdk");
        using var registry = HtpasswdRegistry.Start(TempDirectory("secrets-registry-sdk"), ("aic-sdk", password));
        var project = SdkProject.ConsoleApp("SdkVariableApp", """
            <AiGpu>false</AiGpu>
            <ContainerRepository>e2e/sdkvariableapp</ContainerRepository>
            """);
        _directories.Add(project.Directory);
        var tag = "sdk-" + Guid.NewGuid().ToString("N")[..8];
        var env = NoOtherCredentials(TempDirectory("docker-config-empty"));
        env["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = "aic-sdk";
        env["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = password;
        _images.Add($"{registry.HostPort}/e2e/sdkvariableapp:{tag}");
        var result = project.Publish(new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiBuildNetwork=host", "AiImageBuilder=Docker", "ContainerRegistry=" + registry.HostPort, "ContainerImageTag=" + tag }, env);
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "(from DOTNET_CONTAINER_PUSH_REGISTRY_UNAME/PWORD)");
        var tail = result.Output[Math.Max(0, result.Output.Length - 4000)..];
        Assert.IsTrue(result.Output.Contains("warning AIC4550: DOTNET_CONTAINER_PUSH_REGISTRY_PWORD is set", StringComparison.Ordinal), "the binlog warning is logged:\n" + tail);
        Assert.IsTrue(result.Output.Contains("Use AICONTAINERS_PUSH_REGISTRY_USER/PASSWORD", StringComparison.Ordinal), "it says what to use instead:\n" + tail);
        // Once during the build; MSBuild's console logger repeats every warning in its closing summary.
        var duringBuild = result.Output[..result.Output.LastIndexOf("Build succeeded", StringComparison.Ordinal)];
        Assert.AreEqual(1, System.Text.RegularExpressions.Regex.Matches(duringBuild, "warning AIC4550:").Count, "warned once:\n" + result.Output);
        AssertAbsent(result.Output, password, "console output");
    }

    private sealed record PublishRun(string Name, string Console, string BinlogText, byte[] BinlogRaw, byte[] BinlogDecompressed);

    private PublishRun PublishWithBinlog(SdkProject project, HtpasswdRegistry registry, string tag, Dictionary<string, string?> environment, string name, string consoleVerbosity = "n")
    {
        var logs = TempDirectory("secrets-logs-" + name);
        var binlog = Path.Combine(logs, name + ".binlog");
        _images.Add($"{registry.HostPort}/e2e/secretsapp:{tag}");
        var result = project.Publish(
            new[] { "AiRegistryMirror=" + EngineEnvironment.Mirror.Replace(";", "%3B"), "AiBuildNetwork=host", "AiImageBuilder=Docker", "ContainerRegistry=" + registry.HostPort, "ContainerImageTag=" + tag },
            environment, extraArguments: new[] { "-bl:" + binlog, "-v:" + consoleVerbosity });
        Assert.AreEqual(0, result.ExitCode, $"{name}: {result.Output}");
        StringAssert.Contains(result.Output, "(pushed, digest sha256:", name);

        var replayLog = Path.Combine(logs, name + "-replay.log");
        var replay = ProcessRunner.Run("dotnet", new[] { "msbuild", binlog, "-v:diag", "-noconlog", $"-flp:logfile={replayLog};verbosity=diagnostic", "-nologo" }, logs,
            new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["MSBUILDTERMINALLOGGER"] = "off" });
        Assert.AreEqual(0, replay.ExitCode, replay.Output);
        var replayText = File.ReadAllText(replayLog);
        StringAssert.Contains(replayText, "BuildAiImage", $"{name}: the replayed binlog covers the image build");

        var raw = File.ReadAllBytes(binlog);
        using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
        using var decompressed = new MemoryStream();
        gzip.CopyTo(decompressed);
        return new PublishRun(name, result.Output + replay.Output, replayText, raw, decompressed.ToArray());
    }

    private static void AssertAbsent(string text, string secret, string where)
        => Assert.IsFalse(text.Contains(secret, StringComparison.Ordinal), $"a secret ({secret[..12]}…) is in {where}");

    /// <summary>Binary search in UTF-8 and UTF-16 (binlogs and .NET files may hold either).</summary>
    private static void AssertAbsent(byte[] bytes, string secret, string where)
    {
        foreach (var encoding in new Encoding[] { Encoding.UTF8, Encoding.Unicode })
            Assert.IsTrue(bytes.AsSpan().IndexOf(encoding.GetBytes(secret)) < 0, $"a secret ({secret[..12]}…) is in {where} ({encoding.WebName})");
    }

    /// <summary>Every file in a docker-save archive and in the layer tars inside it (gzip-compressed ones decompressed).</summary>
    private static IEnumerable<(string Entry, byte[] Content)> TarContents(byte[] archive, string prefix = "")
    {
        using var reader = new TarReader(new MemoryStream(archive));
        var entries = new List<(string, byte[])>();
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            if (entry.DataStream is null) continue;
            using var buffer = new MemoryStream();
            entry.DataStream.CopyTo(buffer);
            var content = buffer.ToArray();
            if (content.Length > 2 && content[0] == 0x1f && content[1] == 0x8b)
            {
                using var gz = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                gz.CopyTo(plain);
                content = plain.ToArray();
            }
            entries.Add((prefix + entry.Name, content));
            if (entry.Name.EndsWith(".tar", StringComparison.Ordinal) || entry.Name.StartsWith("blobs/", StringComparison.Ordinal) && IsTar(content))
                entries.AddRange(TarContents(content, prefix + entry.Name + "!"));
        }
        return entries;
    }

    private static bool IsTar(byte[] content) => content.Length > 262 && Encoding.ASCII.GetString(content, 257, 5) == "ustar";
}

/// <summary>
/// A registry of its own for a test (Debian's docker-registry with an htpasswd file), on a free loopback
/// port, so each test's password is a fresh random canary. Stopped by its process id.
/// </summary>
internal sealed class HtpasswdRegistry : IDisposable
{
    private readonly Process _process;

    private HtpasswdRegistry(Process process, string hostPort) { _process = process; HostPort = hostPort; }

    public string HostPort { get; }

    public static HtpasswdRegistry Start(string directory, params (string User, string Password)[] users)
    {
        // Passwords go to htpasswd on stdin (-i), never on a command line other processes can read.
        var htpasswd = new StringBuilder();
        foreach (var (user, password) in users)
        {
            var line = ProcessRunner.Run("htpasswd", new[] { "-iBn", user }, stdin: password);
            Assert.AreEqual(0, line.ExitCode, "htpasswd failed");
            htpasswd.AppendLine(line.StandardOutput.Trim());
        }
        var htpasswdFile = Path.Combine(directory, "htpasswd");
        File.WriteAllText(htpasswdFile, htpasswd.ToString());

        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var config = Path.Combine(directory, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log: {"{"} level: error {"}"}
            storage: {"{"} filesystem: {"{"} rootdirectory: {Path.Combine(directory, "data")} {"}"} {"}"}
            http: {"{"} addr: 127.0.0.1:{port} {"}"}
            auth: {"{"} htpasswd: {"{"} realm: aic-secrets-test, path: {htpasswdFile} {"}"} {"}"}
            """);
        var start = new ProcessStartInfo("docker-registry") { ArgumentList = { "serve", config }, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new HtpasswdRegistry(process, $"127.0.0.1:{port}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 100; i++)
        {
            if (process.HasExited) break;
            try
            {
                // 401 without credentials: up, and asking for a login.
                if (http.GetAsync($"http://{registry.HostPort}/v2/").GetAwaiter().GetResult().StatusCode == HttpStatusCode.Unauthorized) return registry;
            }
            catch (HttpRequestException) { }
            Thread.Sleep(100);
        }
        registry.Dispose();
        Assert.Fail($"docker-registry did not start on {registry.HostPort}");
        return registry;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(10_000);
        _process.Dispose();
    }
}
