using AiContainers.Core.Deploy;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Deploy;

[TestClass]
public sealed class DeployGoldenTests
{
    [TestMethod]
    [DynamicData(nameof(DeployCases.Names), typeof(DeployCases))]
    public void Every_deploy_file_matches_its_golden_file(string caseName)
    {
        // Every file is compared (each mismatch writes its .received file), and no stale golden file may linger.
        Golden.AssertFiles("deploy-" + caseName, DeployCases.Files(caseName).Select(f => (f.RelativePath, f.Content)));
    }

    [TestMethod]
    public void Only_docker_run_sh_is_executable_and_the_set_of_files_follows_the_settings()
    {
        CollectionAssert.AreEqual(new[] { "docker-run.sh", "compose.yaml", "k8s/deployment.yaml", "k8s/service.yaml" },
            DeployCases.Files("service-all-gpus").Select(f => f.RelativePath).ToList());
        CollectionAssert.AreEqual(new[] { "docker-run.sh", "compose.yaml", "k8s/job.yaml", "k8s/headless-service.yaml", "k8s/kubeflow/pytorchjob.yaml" },
            DeployCases.Files("training").Select(f => f.RelativePath).ToList());
        CollectionAssert.AreEqual(new[] { "docker-run.sh", "compose.yaml", "postgres.env.example", "prometheus/prometheus.yml", "k8s/deployment.yaml", "k8s/service.yaml" },
            DeployCases.Files("compose-companions").Select(f => f.RelativePath).ToList());
        foreach (var name in DeployCases.All.Keys)
            Assert.AreEqual("docker-run.sh", DeployCases.Files(name).Single(f => f.Executable).RelativePath);
    }

    [TestMethod]
    public void Every_deploy_template_is_embedded_in_the_core_assembly()
    {
        // A name like docker-run.sh.sbn reads to MSBuild as culture "sh" and silently moves to a satellite assembly.
        var folder = Path.Combine(TestPaths.RepoRoot, "src", "AiContainers.Core", "Templates", "deploy");
        var resources = typeof(DeployFilesGenerator).Assembly.GetManifestResourceNames();
        foreach (var template in Directory.EnumerateFiles(folder, "*.sbn"))
            CollectionAssert.Contains(resources, "AiContainers.Templates.deploy/" + Path.GetFileName(template));
    }

    [TestMethod]
    public void A_project_without_ports_gets_no_kubernetes_service()
    {
        var (spec, deploy, _) = DeployCases.Map(Inputs.WebApp().Set("UsingMicrosoftNETSdkWeb", "false").Set("AiGpu", "false"));
        var paths = DeployFilesGenerator.Generate(spec, deploy).Select(f => f.RelativePath).ToList();
        CollectionAssert.Contains(paths, "k8s/deployment.yaml");
        CollectionAssert.DoesNotContain(paths, "k8s/service.yaml");
    }
}
