using AiContainers.Core.Deploy;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Deploy;

[TestClass]
public sealed class DeployValuesTests
{
    [TestMethod]
    [DataRow("2g", "2g", "2Gi")]
    [DataRow("512m", "512m", "512Mi")]
    [DataRow("1.5g", "1.5g", "1.5Gi")]
    [DataRow("2gb", "2g", "2Gi")]
    [DataRow("2gib", "2g", "2Gi")]
    [DataRow("64k", "64k", "64Ki")]
    [DataRow("1t", "1024g", "1Ti")]
    [DataRow("1048576", "1048576", "1048576")]
    [DataRow("100b", "100", "100")]
    public void Sizes_keep_docker_meaning_in_both_spellings(string size, string docker, string kubernetes)
    {
        Assert.AreEqual(docker, DeployValues.DockerSize(size));
        Assert.AreEqual(kubernetes, DeployValues.KubernetesQuantity(size));
        // Same number of bytes on both sides: docker's units are binary.
        Assert.AreEqual(new k8s.Models.ResourceQuantity(kubernetes).ToDecimal(), new k8s.Models.ResourceQuantity(DeployValues.KubernetesQuantity(docker)).ToDecimal());
    }

    [TestMethod]
    [DataRow("30s", 30)]
    [DataRow("1m", 60)]
    [DataRow("2h", 7200)]
    [DataRow("500ms", 1)]
    [DataRow("1500ms", 2)]
    public void Durations_become_whole_probe_seconds(string duration, int seconds)
        => Assert.AreEqual(seconds, DeployValues.Seconds(duration));

    [TestMethod]
    [DataRow("acme/demo", "demo")]
    [DataRow("acme/my_model.server", "my-model-server")]
    [DataRow("Demo", "demo")]
    public void App_names_are_dns_labels_from_the_repository(string repository, string name)
        => Assert.AreEqual(name, DeployValues.AppName(Inputs.Spec(Inputs.WebApp().Set("ContainerRepository", repository.ToLowerInvariant()))));

    [TestMethod]
    public void Long_repository_names_leave_room_for_the_pod_index()
    {
        var name = DeployValues.AppName(Inputs.Spec(Inputs.WebApp().Set("ContainerRepository", "acme/" + new string('a', 80))));
        Assert.AreEqual(40, name.Length);
    }

    [TestMethod]
    public void Yaml_scalars_escape_quotes_backslashes_and_newlines()
    {
        Assert.AreEqual("\"a \\\"b\\\" \\\\ c\\nd\"", DeployValues.Yaml("a \"b\" \\ c\nd"));
        Assert.AreEqual("\"$$HOME\"", DeployValues.Compose("$HOME"));
        Assert.AreEqual("$$(RANK)", DeployValues.KubernetesLiteral("$(RANK)"));
    }

    [TestMethod]
    public void Torchrun_wraps_python_scripts_modules_and_other_commands()
    {
        string[] Wrap(string command)
        {
            var spec = Inputs.Spec(Inputs.WebApp().Set("AiCommand", command));
            return TorchrunCommand.For(spec, new DistributedSpec(2, "gpu", 29500), "0", "m", "1", s => s).Skip(11).ToArray();
        }
        CollectionAssert.AreEqual(new[] { "train.py", "--lr", "0.1" }, Wrap("python3 train.py --lr 0.1"));
        CollectionAssert.AreEqual(new[] { "-m", "pkg.train" }, Wrap("/usr/bin/python3.11 -m pkg.train"));
        CollectionAssert.AreEqual(new[] { "train.py" }, Wrap("train.py"));
        CollectionAssert.AreEqual(new[] { "--no-python", "python", "-u", "train.py" }, Wrap("python -u train.py"));
        CollectionAssert.AreEqual(new[] { "--no-python", "/app/Demo", "--serve" }, Wrap("/app/Demo --serve"));
    }
}
