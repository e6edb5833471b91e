using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Core;

[TestClass]
public sealed class SpecValidationTests
{
    /// <summary>One case per spec code: the input that triggers it, the code and the property the message must name.</summary>
    public static IEnumerable<object[]> ErrorCases()
    {
        yield return Case("AIC1001", "AiImageBuilder", i => i.Set("AiImageBuilder", "Podman"));
        yield return Case("AIC1001", "AiCudaFlavor", i => i.Set("AiCudaVersion", "12.4").Set("AiCudaFlavor", "slim"));
        yield return Case("AIC1002", "AiGpu", i => i.Set("AiGpu", "yes"));
        yield return Case("AIC1003", "AiCudaVersion", i => i.Set("AiCudaVersion", "twelve"));
        yield return Case("AIC1004", "AiCudaVersion", i => i.Set("AiCudaVersion", "12.7"));
        yield return Case("AIC1004", "AiCudaVersion", i => i.Set("AiCudaVersion", "12.4.2"));
        yield return Case("AIC1005", "AiCudnnVersion", i => i.Set("AiCudaVersion", "12.4").Set("AiCudnnVersion", "7"));
        yield return Case("AIC1006", "AiCudnnVersion", i => i.Set("AiCudaVersion", "12.4").Set("AiCudnnVersion", "8"));
        yield return Case("AIC1007", "AiBaseOs", i => i.Set("AiCudaVersion", "12.4").Set("AiBaseOs", "ubuntu24.04"));
        yield return Case("AIC1007", "AiBaseOs", i => i.Set("AiCudaVersion", "12.5").Set("AiCudnnVersion", "9").Set("AiBaseOs", "ubuntu24.04"));
        yield return Case("AIC1008", "AiCudaFlavor", i => i.Set("AiCudaVersion", "12.4").Set("AiCudnnVersion", "9").Set("AiCudaFlavor", "base"));
        yield return Case("AIC1009", "AiBaseImage", i => i.Set("AiCudaVersion", "12.4").Set("AiBaseImage", "ubuntu:22.04"));
        yield return Case("AIC1010", "AiBaseImage", i => i.Set("AiBaseImage", "Ubuntu:22.04"));
        yield return Case("AIC1010", "AiBaseImage", i => i.Set("AiBaseImage", "ubuntu:22.04@sha256:abc"));
        yield return Case("AIC1010", "AiBaseImage", i => i.Set("AiBaseImage", "https://ubuntu:22.04"));
        yield return Case("AIC1011", "ContainerRepository", i => i.Set("ContainerRepository", "Acme/Demo"));
        yield return Case("AIC1011", "ContainerRepository", i => i.Set("ContainerRepository", "acme/" + new string('a', 260)));
        yield return Case("AIC1011", "ContainerRepository", i => i.Set("ContainerRepository", "acme//demo"));
        yield return Case("AIC1012", "ContainerImageTag", i => i.Set("ContainerImageTag", "-bad"));
        yield return Case("AIC1012", "ContainerImageTag", i => i.Set("ContainerImageTag", new string('a', 129)));
        yield return Case("AIC1012", "ContainerImageTags", i => i.Set("ContainerImageTags", "1.0;has space"));
        yield return Case("AIC1013", "ContainerImageTag", i => i.Set("ContainerImageTag", "1.0").Set("ContainerImageTags", "1.0;latest"));
        yield return Case("AIC1014", "ContainerRegistry", i => i.Set("ContainerRegistry", "https://ghcr.io"));
        yield return Case("AIC1014", "ContainerRegistry", i => i.Set("ContainerRegistry", "ghcr.io/acme"));
        yield return Case("AIC1015", "ContainerPort", i => i.Add("ContainerPort", "70000"));
        yield return Case("AIC1015", "ContainerPort", i => i.Add("ContainerPort", "8080", ("Type", "sctp")));
        yield return Case("AIC1016", "ContainerEnvironmentVariable", i => i.Add("ContainerEnvironmentVariable", "1BAD", ("Value", "x")));
        yield return Case("AIC1017", "ContainerLabel", i => i.Add("ContainerLabel", "bad key", ("Value", "x")));
        yield return Case("AIC1018", "AiHealthCheckPath", i => i.Add("ContainerPort", "8080").Set("AiHealthCheckPath", "health"));
        yield return Case("AIC1019", "AiHealthCheckPath", i => i.Set("UsingMicrosoftNETSdkWeb", "false").Set("AiHealthCheckPath", "/health"));
        yield return Case("AIC1020", "AiHealthCheckInterval", i => i.Add("ContainerPort", "8080").Set("AiHealthCheckPath", "/health").Set("AiHealthCheckInterval", "often"));
        yield return Case("AIC1021", "AiHealthCheckRetries", i => i.Add("ContainerPort", "8080").Set("AiHealthCheckPath", "/health").Set("AiHealthCheckRetries", "0"));
        yield return Case("AIC1022", "AiGpuCapabilities", i => i.Set("AiGpuCapabilities", "compute,teleport"));
        yield return Case("AIC1023", "AiGpuDevices", i => i.Set("AiGpuDevices", "0,,1"));
        yield return Case("AIC1023", "AiGpuDevices", i => i.Set("AiGpuDevices", "0,first"));
        yield return Case("AIC1024", "AiGpuCount", i => i.Set("AiGpuCount", "-1"));
        yield return Case("AIC1025", "AiShmSize", i => i.Set("AiShmSize", "lots"));
        yield return Case("AIC1025", "AiMemoryLimit", i => i.Set("AiMemoryLimit", "16 gigs"));
        yield return Case("AIC1026", "AiCpuLimit", i => i.Set("AiCpuLimit", "-2"));
        yield return Case("AIC1027", "ContainerUser", i => i.Set("ContainerUser", "bad user!"));
        yield return Case("AIC1028", "AiRegistryMirror", i => i.Set("AiRegistryMirror", "http://mirror"));
        yield return Case("AIC1028", "AiRegistryMirror", i => i.Set("AiRegistryMirror", "docker.io=a.example;docker.io=b.example"));
        yield return Case("AIC1029", "ContainerWorkingDirectory", i => i.Set("ContainerWorkingDirectory", "app"));
        yield return Case("AIC1030", "AiCudaVersion", i => i.Set("AiGpu", "false").Set("AiCudaVersion", "12.4"));
        yield return Case("AIC1031", "SOURCE_DATE_EPOCH", i => i.SetEnvironment("SOURCE_DATE_EPOCH", "yesterday"));
        yield return Case("AIC1031", "AiImageCreated", i => i.Set("AiImageCreated", "not a date"));
        yield return Case("AIC1032", "ContainerRepository", i => i.Set("ContainerRepository", null!).Set("AssemblyName", "___"));
        yield return Case("AIC1033", "AiGpuCount", i => i.Set("AiGpu", "false").Set("AiGpuCount", "2"));
        yield return Case("AIC1034", "AiCommand", i => i.Set("AiCommand", "python 'train.py"));
        yield return Case("AIC1035", "AiSystemPackages", i => i.Add("AiSystemPackages", "libfoo;rm -rf"));
        yield return Case("AIC1036", "AiMinDriverVersion", i => i.Set("AiMinDriverVersion", "latest"));
        yield return Case("AIC1037", "AiGpuDevices", i => i.Set("AiGpuDevices", "0,1").Set("AiGpuCount", "2"));
        yield return Case("AIC2006", "RuntimeIdentifier", i => i.Set("RuntimeIdentifier", "win-x64"));
    }

    public static IEnumerable<object[]> WarningCases()
    {
        yield return Case("AIC1501", "AiBaseImage", i => i.Set("AiBaseImage", "pytorch/pytorch"));
        yield return Case("AIC1501", "AiBaseImage", i => i.Set("AiBaseImage", "pytorch/pytorch:latest"));
        yield return Case("AIC1502", "ContainerUser", i => i.Set("ContainerUser", "root"));
        yield return Case("AIC1503", "AiCudnnVersion", i => i.Set("AiBaseImage", "nvidia/cuda:12.4.1-runtime-ubuntu22.04").Set("AiCudnnVersion", "9"));
        yield return Case("AIC4501", "AiImagePush", i => i.Set("ContainerRegistry", "127.0.0.1:5000").Set("AiImagePush", "false"));
    }

    private static object[] Case(string code, string property, Func<ProjectInputs, ProjectInputs> configure) => new object[] { code, property, configure };

    [TestMethod]
    [DynamicData(nameof(ErrorCases))]
    public void Bad_input_fails_with_its_code_naming_the_property(string code, string property, Func<ProjectInputs, ProjectInputs> configure)
    {
        var result = AiImageSpecMapper.Map(configure(Inputs.WebApp()));
        Assert.IsNull(result.Spec, "no spec may come out of invalid input");
        var diagnostic = result.Diagnostics.FirstOrDefault(d => d.Code == code);
        Assert.IsNotNull(diagnostic, $"expected {code}, got: {string.Join(" | ", result.Diagnostics)}");
        Assert.IsTrue(diagnostic.IsError);
        Assert.AreEqual(property, diagnostic.Property);
        StringAssert.StartsWith(diagnostic.Message, code + ": ");
        StringAssert.Contains(diagnostic.Message, property, "the message names the offending property");
        StringAssert.Matches(diagnostic.Message, new System.Text.RegularExpressions.Regex(@"\. (Set|Use|Add|Remove|Fix|Check|Run|Install|Leave|Pin)"), "the message says what to do instead");
    }

    [TestMethod]
    [DynamicData(nameof(WarningCases))]
    public void Risky_input_warns_with_its_code(string code, string property, Func<ProjectInputs, ProjectInputs> configure)
    {
        var result = AiImageSpecMapper.Map(configure(Inputs.WebApp()));
        Assert.IsNotNull(result.Spec, string.Join(" | ", result.Diagnostics));
        var diagnostic = result.Diagnostics.Single(d => d.Code == code);
        Assert.IsFalse(diagnostic.IsError);
        Assert.AreEqual(property, diagnostic.Property);
        StringAssert.Contains(diagnostic.Message, property);
    }

    [TestMethod]
    public void All_problems_are_reported_at_once()
    {
        var result = AiImageSpecMapper.Map(Inputs.WebApp().Set("AiGpuDevices", "0,,1").Set("AiShmSize", "lots").Set("AiGpuCapabilities", "bogus").Set("ContainerImageTag", ".x"));
        CollectionAssert.IsSubsetOf(new[] { "AIC1023", "AIC1025", "AIC1022", "AIC1012" }, result.Diagnostics.Select(d => d.Code).ToList());
    }

    [TestMethod]
    public void Cudnn8_with_cuda_12_4_says_where_cudnn8_stops()
    {
        var result = AiImageSpecMapper.Map(Inputs.WebApp().Set("AiCudaVersion", "12.4").Set("AiCudnnVersion", "8"));
        var message = result.Diagnostics.Single(d => d.Code == "AIC1006").Message;
        StringAssert.Contains(message, "cuDNN 8 tags exist for CUDA 11.4.0 to 12.2.2");
        StringAssert.Contains(message, "AiCudnnVersion to 9");
        StringAssert.Contains(message, "AiCudaVersion to 12.2 or older");
    }

    [TestMethod]
    public void Every_code_is_unique_well_formed_and_in_the_readme()
    {
        var descriptors = typeof(AiErrors).GetFields().Where(f => f.FieldType == typeof(AiDiagnosticDescriptor))
            .Select(f => (AiDiagnosticDescriptor)f.GetValue(null)!).ToList();
        Assert.IsTrue(descriptors.Count > 40);
        var duplicates = descriptors.GroupBy(d => d.Code).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.AreEqual(0, duplicates.Count, "duplicate codes: " + string.Join(", ", duplicates));
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        foreach (var d in descriptors)
        {
            StringAssert.Matches(d.Code, new System.Text.RegularExpressions.Regex(@"^AIC[1-7]\d{3}$"));
            Assert.AreEqual(d.Severity == AiSeverity.Warning, d.Code[4] == '5', $"{d.Code}: warnings take the x5xx half of their area");
            StringAssert.Contains(readme, "| " + d.Code + " |", $"{d.Code} is missing from the README's error-code table");
        }
    }
}
