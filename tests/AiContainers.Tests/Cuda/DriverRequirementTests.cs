using AiContainers.Core.Generation;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Cuda;

/// <summary>The one driver fact: what the image's env, labels and therefore every deploy file mean by "which drivers may run it".</summary>
[TestClass]
public sealed class DriverRequirementTests
{
    private static string? Env(AiImageSpec spec, string name) => ImageEnvironment.For(spec).FirstOrDefault(e => e.Name == name)?.Value;
    private static string? Label(AiImageSpec spec, string name) => ImageLabels.For(spec).FirstOrDefault(e => e.Name == name)?.Value;

    [TestMethod]
    public void Without_AiMinDriverVersion_the_base_image_requirement_stays_and_nothing_claims_another()
    {
        var spec = Inputs.Spec(Inputs.WebApp().Set("AiCudaVersion", "12.8.1"));
        Assert.IsNull(Env(spec, "NVIDIA_REQUIRE_CUDA"), "overriding it would drop the base's brand=…,driver>=… forward-compatibility clauses");
        Assert.IsNull(Label(spec, "ai.containers.min-driver"));
        Assert.IsNull(Label(spec, "ai.containers.require-cuda"));
        Assert.IsFalse(spec.Gpu.Driver.FromUser);
        StringAssert.Contains(spec.Gpu.Driver.Effective, "brand=tesla,driver>=535,driver<536");
    }

    [TestMethod]
    public void AiMinDriverVersion_becomes_one_floor_that_env_and_labels_share()
    {
        var spec = Inputs.Spec(Inputs.WebApp().Set("AiCudaVersion", "12.8.1").Set("AiMinDriverVersion", "570.124.06"));
        // A comma would AND it with the base's CUDA check and a space would OR it; alone it means exactly "this driver or newer".
        Assert.AreEqual("driver>=570.124.06", Env(spec, "NVIDIA_REQUIRE_CUDA"));
        Assert.AreEqual("570.124.06", Label(spec, "ai.containers.min-driver"));
        Assert.AreEqual("driver>=570.124.06", Label(spec, "ai.containers.require-cuda"));
        Assert.IsTrue(spec.Gpu.Driver.FromUser);
    }

    [TestMethod]
    public void A_floor_below_the_cuda_major_minimum_is_kept_with_AIC1580()
    {
        var result = AiImageSpecMapper.Map(Inputs.WebApp().Set("AiCudaVersion", "12.8.1").Set("AiMinDriverVersion", "470.82.01"));
        Assert.IsTrue(result.Succeeded, string.Join(" | ", result.Diagnostics));
        var warning = result.Diagnostics.Single(d => d.Code == "AIC1580");
        StringAssert.Contains(warning.Message, "525.60.13");
        Assert.AreEqual("driver>=470.82.01", result.Spec!.Gpu.RequireCuda);
    }

    [TestMethod]
    public void Driver_versions_compare_as_numbers_not_text()
    {
        // 535.104.05 is above 525.60.13 part by part, though "104" < "60" as text.
        var result = AiImageSpecMapper.Map(Inputs.WebApp().Set("AiCudaVersion", "12.8.1").Set("AiMinDriverVersion", "525.104.05"));
        Assert.IsFalse(result.Diagnostics.Any(d => d.Code == "AIC1580"), string.Join(" | ", result.Diagnostics));
    }

    [TestMethod]
    public void A_cpu_image_sets_no_driver_requirement()
    {
        var spec = Inputs.Spec(Inputs.WebApp().Set("AiGpu", "false").Set("AiMinDriverVersion", "570.124.06"));
        Assert.IsNull(Env(spec, "NVIDIA_REQUIRE_CUDA"));
        Assert.IsNull(Label(spec, "ai.containers.min-driver"));
    }
}
