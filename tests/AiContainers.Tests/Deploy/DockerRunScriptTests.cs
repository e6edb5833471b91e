using AiContainers.Tests.Infrastructure;
using AiContainers.Core.Deploy;

namespace AiContainers.Tests.Deploy;

/// <summary>
/// docker-run.sh is parsed by bash -n and then run with a stand-in `docker` on PATH that prints the
/// arguments it got, one NUL-terminated word each: that is exactly what the real CLI would receive.
/// </summary>
[TestClass]
public sealed class DockerRunScriptTests
{
    /// <summary>docker-compose and bash answer in well under a minute; more means a hang.</summary>
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    [TestMethod]
    [DynamicData(nameof(DeployCases.Names), typeof(DeployCases))]
    public void Bash_parses_every_generated_script(string caseName)
    {
        var dir = DeployCases.WriteToTemp(caseName);
        var result = ProcessRunner.Run("bash", new[] { "-n", DockerRunGenerator.FileName }, dir, timeout: ToolTimeout);
        Assert.AreEqual(0, result.ExitCode, result.StandardError);
        StringAssert.StartsWith(DeployCases.File(caseName, DockerRunGenerator.FileName), "#!/usr/bin/env bash\n");
        StringAssert.Contains(DeployCases.File(caseName, DockerRunGenerator.FileName), "\nset -euo pipefail\n");
    }

    [TestMethod]
    public void Docker_receives_every_setting_as_one_word_with_quotes_and_spaces_intact()
    {
        var (args, _) = RunScript("devices-limits");
        CollectionAssert.AreEqual(new[]
        {
            "run", "--name", "demo", "--rm",
            "-p", "8080:8080", "-p", "5353:5353/udp",
            "-v", "/srv/models:/models:ro", "-v", "hf-cache:/home/app/.cache/huggingface",
            "-e", "GREETING=" + DeployCases.AwkwardValue,
            "--shm-size", "2g", "--memory", "16g", "--memory-swap", "24g", "--cpus", "4",
            "--log-driver", "json-file", "--log-opt", "max-size=10m", "--log-opt", "max-file=3",
            "--gpus", "\"device=0,1\"",
            "ghcr.io/acme/demo:1.2.0",
        }, args);
    }

    [TestMethod]
    public void Count_all_gives_gpus_all_and_a_cpu_image_has_no_gpu_switch()
    {
        var (args, _) = RunScript("service-all-gpus");
        CollectionAssert.IsSubsetOf(new[] { "--gpus", "all" }, args);
        Assert.AreEqual("all", args[args.IndexOf("--gpus") + 1]);

        var (cpuArgs, _) = RunScript("cpu-only");
        CollectionAssert.DoesNotContain(cpuArgs, "--gpus");
        StringAssert.DoesNotMatch(DeployCases.File("cpu-only", DockerRunGenerator.FileName), new System.Text.RegularExpressions.Regex("AIC_NO_GPU"));
        Assert.AreEqual("1.5", cpuArgs[cpuArgs.IndexOf("--cpus") + 1]);
    }

    [TestMethod]
    public void AIC_NO_GPU_drops_gpus_and_says_so()
    {
        var (args, stderr) = RunScript("devices-limits", new Dictionary<string, string?> { ["AIC_NO_GPU"] = "1" });
        CollectionAssert.DoesNotContain(args, "--gpus");
        StringAssert.Contains(stderr, "AIC_NO_GPU=1");
        StringAssert.Contains(stderr, "without --gpus");
        Assert.AreEqual("ghcr.io/acme/demo:1.2.0", args[^1]);
    }

    [TestMethod]
    public void Extra_docker_options_go_before_the_image_and_script_arguments_after_it()
    {
        var (args, _) = RunScript("service-all-gpus", new Dictionary<string, string?> { ["AIC_DOCKER_RUN_ARGS"] = "--network host -d" },
            "--model", "name with space");
        var image = args.IndexOf("acme/demo:latest");
        CollectionAssert.AreEqual(new[] { "--network", "host", "-d" }, args.GetRange(image - 3, 3));
        CollectionAssert.AreEqual(new[] { "--model", "name with space" }, args.GetRange(image + 1, args.Count - image - 1));
    }

    [TestMethod]
    public void Shell_quoting_leaves_plain_words_bare_and_quotes_the_rest()
    {
        Assert.AreEqual("8080:8080", DeployValues.Shell("8080:8080"));
        Assert.AreEqual("''", DeployValues.Shell(""));
        Assert.AreEqual("'a b'", DeployValues.Shell("a b"));
        Assert.AreEqual("'it'\\''s'", DeployValues.Shell("it's"));
        Assert.AreEqual("'$HOME'", DeployValues.Shell("$HOME"));
        Assert.AreEqual("'\"device=0,1\"'", DeployValues.Shell("\"device=0,1\""));
    }

    private static (List<string> Args, string Stderr) RunScript(string caseName, Dictionary<string, string?>? environment = null, params string[] scriptArgs)
    {
        var dir = DeployCases.WriteToTemp(caseName);
        var bin = Path.Combine(dir, "fake-bin");
        Directory.CreateDirectory(bin);
        var docker = Path.Combine(bin, "docker");
        File.WriteAllText(docker, "#!/bin/sh\nprintf '%s\\0' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(docker, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = new Dictionary<string, string?>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["AIC_NO_GPU"] = null,
            ["AIC_DOCKER_RUN_ARGS"] = null,
        };
        foreach (var (k, v) in environment ?? new()) env[k] = v;
        var result = ProcessRunner.Run("bash", new[] { "./" + DockerRunGenerator.FileName }.Concat(scriptArgs), dir, env, ToolTimeout);
        Assert.AreEqual(0, result.ExitCode, result.StandardError);
        var args = result.StandardOutput.Split('\0').ToList();
        Assert.AreEqual("", args[^1], "every word ends with NUL");
        args.RemoveAt(args.Count - 1);
        return (args, result.StandardError);
    }
}
