namespace AiContainers.Tests.Infrastructure;

/// <summary>The offline linter from npm (dockerfile-utils), installed by build/test.sh into artifacts/node.</summary>
internal static class DockerfileLinter
{
    public static string? Path
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("AIC_DOCKERFILE_LINTER");
            if (!string.IsNullOrEmpty(configured) && File.Exists(configured)) return configured;
            var local = System.IO.Path.Combine(TestPaths.RepoRoot, "artifacts", "node", "node_modules", ".bin", "dockerfile-utils");
            return File.Exists(local) ? local : null;
        }
    }

    public static void AssertClean(string dockerfilePath)
    {
        var linter = Path;
        if (linter is null) EngineEnvironment.Unavailable("dockerfile-utils is not installed (build/test.sh installs it into artifacts/node)");
        var result = ProcessRunner.Run(linter, new[] { "lint", dockerfilePath }, timeout: TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, result.ExitCode, $"dockerfile-utils lint {dockerfilePath}:\n{result.Output}");
    }
}
