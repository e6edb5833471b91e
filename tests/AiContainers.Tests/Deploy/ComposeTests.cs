using AiContainers.Tests.Infrastructure;
using AiContainers.Core.Deploy;
using YamlDotNet.RepresentationModel;

namespace AiContainers.Tests.Deploy;

/// <summary>Every compose.yaml is checked by Debian's docker-compose itself, and its values read back from what compose understood.</summary>
[TestClass]
public sealed class ComposeTests
{
    /// <summary>docker-compose and bash answer in well under a minute; more means a hang.</summary>
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private const string DockerCompose = "/usr/bin/docker-compose";

    [TestMethod]
    [DynamicData(nameof(DeployCases.Names), typeof(DeployCases))]
    public void Docker_compose_config_accepts_every_generated_compose_file(string caseName)
    {
        var dir = Prepare(caseName);
        var result = ProcessRunner.Run(DockerCompose, new[] { "-f", "compose.yaml", "config", "-q" }, dir, timeout: ToolTimeout);
        Assert.AreEqual(0, result.ExitCode, $"docker-compose config -q rejected {dir}/compose.yaml:\n{result.StandardError}{result.StandardOutput}");
    }

    [TestMethod]
    public void Compose_reserves_the_listed_gpus_and_applies_limits_shm_logging_volumes_and_env()
    {
        var service = Resolved("devices-limits")["services"]["demo"];
        var device = (YamlMappingNode)((YamlSequenceNode)service["deploy"]["resources"]["reservations"]["devices"]).Children.Single();
        Assert.AreEqual("nvidia", Scalar(device["driver"]));
        CollectionAssert.AreEqual(new[] { "0", "1" }, Sequence(device["device_ids"]));
        CollectionAssert.AreEqual(new[] { "gpu" }, Sequence(device["capabilities"]));
        Assert.IsFalse(device.Children.ContainsKey("count"), "device_ids and count are exclusive");
        Assert.AreEqual(4m, decimal.Parse(Scalar(service["deploy"]["resources"]["limits"]["cpus"]), System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual("16g", Scalar(service["deploy"]["resources"]["limits"]["memory"]));
        Assert.AreEqual("2g", Scalar(service["shm_size"]));
        Assert.AreEqual("24g", Scalar(service["memswap_limit"]));
        Assert.AreEqual("json-file", Scalar(service["logging"]["driver"]));
        Assert.AreEqual("10m", Scalar(service["logging"]["options"]["max-size"]));
        Assert.AreEqual("3", Scalar(service["logging"]["options"]["max-file"]));
        Assert.AreEqual("ghcr.io/acme/demo:1.2.0", Scalar(service["image"]));
        var volumes = Sequence(service["volumes"]);
        CollectionAssert.AreEqual(new[] { "/srv/models:/models:ro", "hf-cache:/home/app/.cache/huggingface:rw" }, volumes);
        var healthcheck = service["healthcheck"];
        Assert.AreEqual("10s", Scalar(healthcheck["interval"]));
        Assert.AreEqual("1m", Scalar(healthcheck["start_period"]));
        // The probe follows the port ASP.NET really listens on (read at probe time), the URL's port as the fallback.
        CollectionAssert.AreEqual(new[] { "CMD", "/usr/local/bin/aic-healthcheck", "--port-from", "ASPNETCORE_URLS", "--port-from", "ASPNETCORE_HTTP_PORTS", "http://127.0.0.1:8080/health" }, Sequence(healthcheck["test"]));
    }

    [TestMethod]
    public void A_dollar_in_a_value_survives_compose_interpolation()
    {
        // compose config prints the file after interpolation; $$ there reads back as one '$'.
        var text = DeployCases.File("devices-limits", ComposeGenerator.FileName);
        var parsed = Parse(text)["services"]["demo"]["environment"]["GREETING"];
        Assert.AreEqual(DeployCases.AwkwardValue.Replace("$", "$$"), Scalar(parsed), "the file itself doubles '$'");
        var dir = Prepare("devices-limits");
        var result = ProcessRunner.Run(DockerCompose, new[] { "-f", "compose.yaml", "config" }, dir, new Dictionary<string, string?> { ["HOME"] = "/should-not-appear" }, ToolTimeout);
        Assert.AreEqual(0, result.ExitCode, result.StandardError);
        StringAssert.DoesNotMatch(result.StandardOutput, new System.Text.RegularExpressions.Regex("should-not-appear"));
    }

    [TestMethod]
    public void Gpu_count_all_and_no_gpu_section_for_cpu_images()
    {
        var device = (YamlMappingNode)((YamlSequenceNode)Resolved("service-all-gpus")["services"]["demo"]["deploy"]["resources"]["reservations"]["devices"]).Children.Single();
        Assert.AreEqual("all", Scalar(device["count"]));
        var cpu = (YamlMappingNode)Resolved("cpu-only")["services"]["demo"];
        var deploy = (YamlMappingNode)cpu["deploy"]["resources"];
        Assert.IsFalse(deploy.Children.ContainsKey("reservations"), "a CPU image reserves no GPU");
        Assert.AreEqual(1.5m, decimal.Parse(Scalar(deploy["limits"]["cpus"]), System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual("512m", Scalar(deploy["limits"]["memory"]));
    }

    [TestMethod]
    public void Companions_are_wired_with_depends_on_named_volumes_env_file_and_scrape_config()
    {
        var root = Resolved("compose-companions");
        var services = (YamlMappingNode)root["services"];
        CollectionAssert.AreEquivalent(new[] { "demo", "postgres", "prometheus", "grafana" }, services.Children.Keys.Select(Scalar).ToList());
        Assert.AreEqual("service_healthy", Scalar(services["demo"]["depends_on"]["postgres"]["condition"]));
        Assert.IsTrue(((YamlMappingNode)services["prometheus"]["depends_on"]).Children.ContainsKey("demo"));
        Assert.IsTrue(((YamlMappingNode)services["grafana"]["depends_on"]).Children.ContainsKey("prometheus"));
        Assert.AreEqual("postgres:16", Scalar(services["postgres"]["image"]));
        // config inlines env files: the password reaches both services from postgres.env alone.
        Assert.AreEqual("test-only", Scalar(services["postgres"]["environment"]["POSTGRES_PASSWORD"]));
        Assert.AreEqual("test-only", Scalar(services["demo"]["environment"]["POSTGRES_PASSWORD"]));
        Assert.AreEqual("postgres", Scalar(services["demo"]["environment"]["POSTGRES_HOST"]));
        var raw = Parse(DeployCases.File("compose-companions", ComposeGenerator.FileName))["services"];
        CollectionAssert.AreEqual(new[] { "postgres.env" }, Sequence(raw["postgres"]["env_file"]));
        CollectionAssert.AreEqual(new[] { "postgres.env" }, Sequence(raw["demo"]["env_file"]));
        CollectionAssert.Contains(Sequence(services["postgres"]["volumes"]), "postgres-data:/var/lib/postgresql/data:rw");
        CollectionAssert.Contains(Sequence(services["grafana"]["volumes"]), "grafana-data:/var/lib/grafana:rw");
        CollectionAssert.AreEquivalent(new[] { "postgres-data", "prometheus-data", "grafana-data" }, ((YamlMappingNode)root["volumes"]).Children.Keys.Select(Scalar).ToList());

        var scrape = Parse(DeployCases.File("compose-companions", ComposeGenerator.PrometheusConfigPath))["scrape_configs"][0];
        Assert.AreEqual("/metrics/prometheus", Scalar(scrape["metrics_path"]));
        CollectionAssert.AreEqual(new[] { "demo:8080" }, Sequence(scrape["static_configs"][0]["targets"]));
    }

    [TestMethod]
    public void No_password_is_written_into_compose_yaml()
    {
        var compose = DeployCases.File("compose-companions", ComposeGenerator.FileName);
        StringAssert.DoesNotMatch(compose, new System.Text.RegularExpressions.Regex("PASSWORD", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
        var example = DeployCases.File("compose-companions", ComposeGenerator.PostgresEnvExample);
        StringAssert.Contains(example, "cp postgres.env.example postgres.env");
        StringAssert.Contains(example, "\nPOSTGRES_PASSWORD=\n", "the example leaves the password for the user to fill in");
    }

    /// <summary>Writes the case's files and, as a user would, the env file from its example.</summary>
    private static string Prepare(string caseName)
    {
        EngineEnvironment.RequireTool(DockerCompose, "apt-get install docker-compose; build/setup.sh installs it");
        var dir = DeployCases.WriteToTemp(caseName);
        var example = Path.Combine(dir, ComposeGenerator.PostgresEnvExample);
        if (File.Exists(example))
            File.WriteAllText(Path.Combine(dir, "postgres.env"), File.ReadAllText(example).Replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=test-only\n"));
        return dir;
    }

    /// <summary>The compose file as docker-compose resolved it (`config` prints the effective model).</summary>
    private static YamlMappingNode Resolved(string caseName)
    {
        var dir = Prepare(caseName);
        var result = ProcessRunner.Run(DockerCompose, new[] { "-f", "compose.yaml", "config" }, dir, timeout: ToolTimeout);
        Assert.AreEqual(0, result.ExitCode, result.StandardError);
        return Parse(result.StandardOutput);
    }

    private static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value!;

    private static List<string> Sequence(YamlNode node) => ((YamlSequenceNode)node).Children.Select(Scalar).ToList();
}
