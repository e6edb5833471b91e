using AiContainers.Core.Deploy;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Deploy;

[TestClass]
public sealed class DeploySpecMapperTests
{
    public static IEnumerable<object[]> ErrorCases()
    {
        yield return Case("AIC1101", "AiVolume", i => i.Add("AiVolume", "./data", ("ContainerPath", "/data")));
        yield return Case("AIC1101", "AiVolume", i => i.Add("AiVolume", "Model_Cache", ("ContainerPath", "/data")));
        yield return Case("AIC1101", "AiVolume", i => i.Add("AiVolume", "/srv/a:b", ("ContainerPath", "/data")));
        yield return Case("AIC1102", "AiVolume", i => i.Add("AiVolume", "/srv/models", ("ContainerPath", "models")));
        yield return Case("AIC1102", "AiVolume", i => i.Add("AiVolume", "/srv/models"));
        yield return Case("AIC1103", "AiVolume", i => i.Add("AiVolume", "/srv/a", ("ContainerPath", "/data")).Add("AiVolume", "b", ("ContainerPath", "/data/")));
        yield return Case("AIC1002", "AiVolume", i => i.Add("AiVolume", "/srv/a", ("ContainerPath", "/data"), ("ReadOnly", "yes")));
        yield return Case("AIC1104", "AiLogMaxSize", i => i.Set("AiLogMaxSize", "10 megs"));
        yield return Case("AIC1104", "AiLogMaxSize", i => i.Set("AiLogMaxSize", "1.5m"));
        yield return Case("AIC1021", "AiLogMaxFiles", i => i.Set("AiLogMaxFiles", "x"));
        yield return Case("AIC1105", "AiComposeService", i => i.Add("AiComposeService", "mysql"));
        yield return Case("AIC1106", "AiComposeService", i => i.Add("AiComposeService", "postgres", ("Version", "16 alpine")));
        yield return Case("AIC1107", "AiComposeService", i => i.Add("AiComposeService", "grafana").Add("AiComposeService", "Grafana"));
        yield return Case("AIC1001", "AiWorkload", i => i.Set("AiWorkload", "Batch"));
        yield return Case("AIC1021", "AiDistributedNodes", i => i.Set("AiWorkload", "Training").Set("AiDistributedNodes", "0"));
        yield return Case("AIC1108", "AiDistributedProcsPerNode", i => i.Set("AiWorkload", "Training").Set("AiDistributedProcsPerNode", "0"));
        yield return Case("AIC1108", "AiDistributedProcsPerNode", i => i.Set("AiWorkload", "Training").Set("AiDistributedProcsPerNode", "auto"));
        yield return Case("AIC1109", "AiDistributedProcsPerNode", i => i.Set("AiGpu", "false").Set("AiWorkload", "Training").Set("AiDistributedProcsPerNode", "gpu"));
        yield return Case("AIC1110", "AiDistributedMasterPort", i => i.Set("AiWorkload", "Training").Set("AiDistributedMasterPort", "70000"));
        yield return Case("AIC1110", "AiMetricsPort", i => i.Set("AiMetricsPort", "http"));
        yield return Case("AIC1111", "AiKubernetesNamespace", i => i.Set("AiKubernetesNamespace", "ML_Serving"));
        yield return Case("AIC1021", "AiReplicas", i => i.Set("AiReplicas", "-1"));
        yield return Case("AIC1112", "AiMetricsPath", i => i.Set("AiMetricsPath", "metrics"));
        yield return Case("AIC1113", "AiMetricsPort", i => i.Set("UsingMicrosoftNETSdkWeb", "false").Add("AiComposeService", "prometheus"));
        yield return Case("AIC1002", "AiKubeflow", i => i.Set("AiWorkload", "Training").Set("AiKubeflow", "maybe"));
    }

    public static IEnumerable<object[]> WarningCases()
    {
        yield return Case("AIC1550", "AiGpuCount", i => i.Set("AiGpuCount", "all"));
        yield return Case("AIC1551", "AiDistributedNodes", i => i.Set("AiDistributedNodes", "2"));
        yield return Case("AIC1551", "AiKubeflow", i => i.Set("AiKubeflow", "true"));
        yield return Case("AIC1551", "AiReplicas", i => i.Set("AiWorkload", "Training").Set("AiReplicas", "3"));
        yield return Case("AIC1552", "AiDistributedProcsPerNode", i => i.Set("AiWorkload", "Training").Set("AiGpuDevices", "0,1").Set("AiDistributedProcsPerNode", "4"));
    }

    private static object[] Case(string code, string property, Func<ProjectInputs, ProjectInputs> configure) => new object[] { code, property, configure };

    [TestMethod]
    [DynamicData(nameof(ErrorCases))]
    public void Bad_deploy_input_fails_with_its_code_naming_the_property(string code, string property, Func<ProjectInputs, ProjectInputs> configure)
    {
        var bag = new DiagnosticBag();
        DeploySpecMapper.Map(configure(Inputs.WebApp()), bag);
        var diagnostic = bag.Items.FirstOrDefault(d => d.Code == code);
        Assert.IsNotNull(diagnostic, $"expected {code}, got: {string.Join(" | ", bag.Items)}");
        Assert.IsTrue(diagnostic.IsError);
        Assert.AreEqual(property, diagnostic.Property);
        StringAssert.StartsWith(diagnostic.Message, code + ": ");
        StringAssert.Contains(diagnostic.Message, property, "the message names the offending property");
        StringAssert.Matches(diagnostic.Message, new System.Text.RegularExpressions.Regex(@"\. (Set|Use|Add|Remove)"), "the message says what to do instead");
    }

    [TestMethod]
    [DynamicData(nameof(WarningCases))]
    public void Settings_that_do_not_apply_warn_with_their_code(string code, string property, Func<ProjectInputs, ProjectInputs> configure)
    {
        var bag = new DiagnosticBag();
        DeploySpecMapper.Map(configure(Inputs.WebApp()), bag);
        Assert.IsFalse(bag.HasErrors, string.Join(" | ", bag.Items));
        var diagnostic = bag.Items.Single(d => d.Code == code);
        Assert.AreEqual(property, diagnostic.Property);
        StringAssert.Contains(diagnostic.Message, property);
    }

    [TestMethod]
    public void Core_size_validation_still_names_AiShmSize()
    {
        var result = AiImageSpecMapper.Map(Inputs.WebApp().Set("AiShmSize", "lots"));
        Assert.AreEqual("AiShmSize", result.Diagnostics.Single(d => d.Code == "AIC1025").Property);
    }

    [TestMethod]
    public void All_deploy_problems_are_reported_at_once()
    {
        var bag = new DiagnosticBag();
        DeploySpecMapper.Map(Inputs.WebApp()
            .Add("AiVolume", "/srv/a", ("ContainerPath", "rel"))
            .Set("AiLogMaxFiles", "x")
            .Add("AiComposeService", "redis")
            .Set("AiWorkload", "Training").Set("AiDistributedNodes", "0"), bag);
        CollectionAssert.AreEquivalent(new[] { "AIC1102", "AIC1021", "AIC1105", "AIC1021" }, bag.Items.Where(d => d.IsError).Select(d => d.Code).ToList());
        StringAssert.Contains(bag.Items.Single(d => d.Code == "AIC1105").Message, "postgres, prometheus, grafana", "the error lists the known services");
    }

    [TestMethod]
    public void Nothing_set_gives_the_default_and_no_diagnostics()
    {
        var bag = new DiagnosticBag();
        var deploy = DeploySpecMapper.Map(Inputs.WebApp(), bag);
        Assert.AreEqual(0, bag.Items.Count, string.Join(" | ", bag.Items));
        Assert.AreEqual(DeploySpec.Default.Workload, deploy.Workload);
        Assert.AreEqual(DeploySpec.Default.Distributed, deploy.Distributed);
        Assert.AreEqual(DeploySpec.Default.MetricsPath, deploy.MetricsPath);
        Assert.AreEqual(0, deploy.Volumes.Count);
        Assert.AreEqual(1, deploy.Replicas);
    }

    [TestMethod]
    public void Procs_per_node_defaults_to_gpu_and_to_one_on_cpu_images()
    {
        var bag = new DiagnosticBag();
        Assert.AreEqual("gpu", DeploySpecMapper.Map(Inputs.WebApp().Set("AiWorkload", "Training"), bag).Distributed.ProcsPerNode);
        Assert.AreEqual("1", DeploySpecMapper.Map(Inputs.WebApp().Set("AiWorkload", "Training").Set("AiGpu", "false"), bag).Distributed.ProcsPerNode);
        Assert.IsFalse(bag.HasErrors);
    }

    [TestMethod]
    public void Compose_services_come_out_in_one_order_with_default_tags()
    {
        var bag = new DiagnosticBag();
        var deploy = DeploySpecMapper.Map(Inputs.WebApp().Add("AiComposeService", "Grafana").Add("AiComposeService", "postgres"), bag);
        CollectionAssert.AreEqual(new[] { new ComposeServiceSpec("postgres", "17"), new ComposeServiceSpec("grafana", "12.0.0") }, deploy.ComposeServices.ToList());
    }

    [TestMethod]
    public void The_deploy_spec_round_trips_through_the_spec_json_options()
    {
        var (_, deploy) = DeployCases.Case("devices-limits");
        var json = System.Text.Json.JsonSerializer.Serialize(deploy, AiImageSpecJson.Options);
        var back = System.Text.Json.JsonSerializer.Deserialize<DeploySpec>(json, AiImageSpecJson.Options)!;
        Assert.AreEqual(System.Text.Json.JsonSerializer.Serialize(back, AiImageSpecJson.Options), json);
        StringAssert.Contains(json, "\"workload\": \"Service\"");
    }
}
