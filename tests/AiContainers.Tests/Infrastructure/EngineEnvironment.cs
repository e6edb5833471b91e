namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// The real infrastructure build/setup.sh starts (see $AIC_STATE/env.sh): the engine, the open and
/// the htpasswd registry, and the stand-in mirror. Engine tests, and tests that need an installed tool,
/// are inconclusive when it is missing, except under build/test.sh (AIC_REQUIRE_ENGINE=1), where it is a failure.
/// </summary>
internal static class EngineEnvironment
{
    public static string DockerHost => Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "unix:///run/aic-docker/docker.sock";
    public static string Registry => Environment.GetEnvironmentVariable("AIC_REGISTRY") ?? "127.0.0.1:5000";
    public static string AuthRegistry => Environment.GetEnvironmentVariable("AIC_AUTH_REGISTRY") ?? "127.0.0.1:5001";
    public static string AuthUser => Environment.GetEnvironmentVariable("AIC_AUTH_USER") ?? "aic";
    public static string AuthPassword => File.ReadAllText(Environment.GetEnvironmentVariable("AIC_AUTH_PASSWORD_FILE") ?? "/var/lib/aic-dev/auth-registry.password").Trim();
    public static string MirrorPrefix => Environment.GetEnvironmentVariable("AIC_MIRROR") ?? "127.0.0.1:5000/standin";
    public static string Mirror => Environment.GetEnvironmentVariable("AIC_TEST_MIRROR") ?? $"docker.io={MirrorPrefix};mcr.microsoft.com={MirrorPrefix}/mcr.microsoft.com";

    private static readonly Lazy<string?> Problem = new(() =>
    {
        try
        {
            var ping = ProcessRunner.Run("docker", new[] { "version", "--format", "{{.Server.Version}}" }, environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = DockerHost }, timeout: TimeSpan.FromSeconds(20));
            if (ping.ExitCode != 0) return "no Docker engine at " + DockerHost + ": " + ping.Output.Trim();
            var catalog = ProcessRunner.Run("curl", new[] { "-fsS", $"http://{Registry}/v2/_catalog" }, timeout: TimeSpan.FromSeconds(10));
            if (catalog.ExitCode != 0) return "no registry at " + Registry;
            return null;
        }
        catch (Exception e) { return e.Message; }
    });

    /// <summary>Call first in every engine-backed test.</summary>
    public static void Require()
    {
        if (Problem.Value is not { } problem) return;
        Unavailable($"Engine-backed test needs build/setup.sh's infrastructure: {problem}");
    }

    /// <summary>
    /// Call first in a test that needs an installed tool (docker-compose, dockerfile-utils, ...): the test
    /// ends inconclusive without it, except under build/test.sh (AIC_REQUIRE_ENGINE=1), where it fails.
    /// </summary>
    public static void RequireTool(string path, string howToInstall)
    {
        if (!File.Exists(path)) Unavailable($"{path} is not installed ({howToInstall})");
    }

    /// <summary>The one gate for missing infrastructure: a failure under AIC_REQUIRE_ENGINE=1, inconclusive otherwise.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Unavailable(string message)
    {
        if (Environment.GetEnvironmentVariable("AIC_REQUIRE_ENGINE") == "1") Assert.Fail(message + " (AIC_REQUIRE_ENGINE=1: missing infrastructure is a failure)");
        Assert.Inconclusive(message);
    }

    public static ProcessResult Docker(params string[] args)
        => ProcessRunner.Run("docker", args, environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = DockerHost }, timeout: TimeSpan.FromMinutes(5));

    public static ProcessResult Skopeo(params string[] args)
        => ProcessRunner.Run("skopeo", args, timeout: TimeSpan.FromMinutes(2));
}
