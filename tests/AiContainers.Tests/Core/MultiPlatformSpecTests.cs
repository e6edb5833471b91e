using AiContainers.Core.Diagnostics;
using AiContainers.Core.Publishing;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Core;

/// <summary>
/// ContainerRuntimeIdentifiers as the mapper and builder selection see it: both separators, the per-RID
/// publish folders and probes the targets report, and every coded error at mapping time (before any
/// weights are fetched or layers built).
/// </summary>
[TestClass]
public sealed class MultiPlatformSpecTests
{
    private const string X64Probe = "/pkg/tools/linux-x64/aic-healthcheck";
    private const string Arm64Probe = "/pkg/tools/linux-arm64/aic-healthcheck";
    private const string X64Publish = "/src/Demo/bin/Release/net10.0/linux-x64/publish/";
    private const string Arm64Publish = "/src/Demo/bin/Release/net10.0/linux-arm64/publish/";

    /// <summary>What the targets pass for a two-RID publish: both probes of the package, both publish folders.</summary>
    private static ProjectInputs TwoPlatforms(string rids = "linux-x64,linux-arm64") => Inputs.WebApp()
        .Set("ContainerRuntimeIdentifiers", rids)
        .Set("AiHealthCheckPath", "/health")
        .Add(PlatformTargets.ProbeItem, X64Probe)
        .Add(PlatformTargets.ProbeItem, Arm64Probe)
        .Add(PlatformTargets.PublishItem, "linux-x64", ("PublishDir", X64Publish))
        .Add(PlatformTargets.PublishItem, "linux-arm64", ("PublishDir", Arm64Publish));

    private static IReadOnlyList<AiDiagnostic> Errors(ProjectInputs input)
    {
        var result = AiImageSpecMapper.Map(input);
        Assert.IsNull(result.Spec, "mapping must fail");
        return result.Diagnostics.Where(d => d.Severity == AiSeverity.Error).ToList();
    }

    [TestMethod]
    [DataRow("linux-x64,linux-arm64")]
    [DataRow("linux-x64;linux-arm64")]
    [DataRow(" linux-x64 ; linux-arm64 ,")]
    public void Both_separators_give_two_platforms_each_with_its_own_publish_folder_and_probe(string rids)
    {
        var spec = Inputs.Spec(TwoPlatforms(rids));
        CollectionAssert.AreEqual(new[] { "linux-x64", "linux-arm64" }, spec.Platforms.Select(p => p.RuntimeIdentifier).ToList());
        Assert.AreEqual(X64Publish, spec.Platforms[0].PublishDirectory);
        Assert.AreEqual(Arm64Publish, spec.Platforms[1].PublishDirectory);
        Assert.AreEqual(X64Probe, spec.Platforms[0].HealthProbePath);
        Assert.AreEqual(Arm64Probe, spec.Platforms[1].HealthProbePath);
        Assert.AreEqual("linux/arm64/v8", spec.Platforms[1].Platform.ToString());
        // The primary platform is what the Dockerfile and the single-platform paths use.
        Assert.AreEqual("linux-x64", spec.Dotnet!.RuntimeIdentifier);
        Assert.AreEqual(X64Probe, spec.Build.HealthProbePath);
    }

    [TestMethod]
    public void The_first_entry_is_the_primary_even_when_it_is_not_the_project_RuntimeIdentifier()
    {
        var spec = Inputs.Spec(TwoPlatforms("linux-arm64,linux-x64"));
        Assert.AreEqual("linux-arm64", spec.Dotnet!.RuntimeIdentifier);
        Assert.AreEqual(Arm64Publish, spec.Dotnet.PublishDirectory);
        Assert.AreEqual(Arm64Probe, spec.Build.HealthProbePath);
    }

    [TestMethod]
    public void Auto_picks_daemonless_for_several_platforms_and_says_why()
    {
        var spec = Inputs.Spec(TwoPlatforms());
        Assert.AreEqual(AiImageBuilderKind.Daemonless, spec.Build.Builder);
        StringAssert.Contains(spec.Build.BuilderReason, "ContainerRuntimeIdentifiers names 2 platforms (linux-x64, linux-arm64)");
        Assert.IsTrue(PlatformContexts.IsMultiPlatform(spec));
    }

    [TestMethod]
    public void Docker_builder_with_two_platforms_points_to_daemonless()
    {
        // The targets publish nothing per RID for the Docker builder: no publish items.
        var input = Inputs.WebApp().Set("ContainerRuntimeIdentifiers", "linux-x64,linux-arm64").Set("AiImageBuilder", "Docker");
        var errors = Errors(input);
        Assert.AreEqual(1, errors.Count, string.Join("\n", errors));
        Assert.AreEqual("AIC6173", errors[0].Code);
        Assert.AreEqual("AiImageBuilder", errors[0].Property);
        StringAssert.Contains(errors[0].Message, "AiImageBuilder=Daemonless");
        StringAssert.Contains(errors[0].Message, "linux-x64, linux-arm64");
    }

    [TestMethod]
    public void Auto_with_two_platforms_and_a_RUN_step_fails_with_the_reason()
    {
        var errors = Errors(TwoPlatforms().Add("AiSystemPackages", "libgomp1"));
        var error = errors.Single();
        Assert.AreEqual("AIC6174", error.Code);
        Assert.AreEqual("AiSystemPackages", error.Property);
        StringAssert.Contains(error.Message, "apt-get installs libgomp1");
    }

    [TestMethod]
    public void Auto_with_two_platforms_and_a_framework_dependent_app_fails()
    {
        var error = Errors(TwoPlatforms().Set("SelfContained", "false")).Single();
        Assert.AreEqual("AIC6175", error.Code);
        Assert.AreEqual("SelfContained", error.Property);
    }

    [TestMethod]
    public void A_platform_without_a_probe_fails_at_mapping_time_naming_it()
    {
        var input = Inputs.WebApp()
            .Set("ContainerRuntimeIdentifiers", "linux-x64,linux-arm64")
            .Set("AiHealthCheckPath", "/health")
            .Add(PlatformTargets.ProbeItem, X64Probe)
            .Add(PlatformTargets.PublishItem, "linux-x64", ("PublishDir", X64Publish))
            .Add(PlatformTargets.PublishItem, "linux-arm64", ("PublishDir", Arm64Publish));
        var error = Errors(input).Single();
        Assert.AreEqual("AIC6172", error.Code);
        Assert.AreEqual("ContainerRuntimeIdentifiers", error.Property);
        StringAssert.Contains(error.Message, "no build for linux-arm64");
        StringAssert.Contains(error.Message, "ships it for: linux-x64");
    }

    [TestMethod]
    public void A_custom_health_command_needs_no_probe_per_platform()
    {
        var input = Inputs.WebApp()
            .Set("ContainerRuntimeIdentifiers", "linux-x64,linux-arm64")
            .Set("AiHealthCheckPath", "/health")
            .Set("AiHealthCheckCommand", "/app/Demo --health")
            .Add(PlatformTargets.ProbeItem, X64Probe)
            .Add(PlatformTargets.PublishItem, "linux-x64", ("PublishDir", X64Publish))
            .Add(PlatformTargets.PublishItem, "linux-arm64", ("PublishDir", Arm64Publish));
        var spec = Inputs.Spec(input);
        Assert.IsTrue(spec.Platforms.All(p => p.HealthProbePath is null));
    }

    [TestMethod]
    public void A_single_arm64_RuntimeIdentifier_gets_the_arm64_probe()
    {
        var input = Inputs.WebApp()
            .Set("RuntimeIdentifier", "linux-arm64")
            .Set("AiHealthCheckPath", "/health")
            .Set("_AiHealthProbePath", null)
            .Add(PlatformTargets.ProbeItem, X64Probe)
            .Add(PlatformTargets.ProbeItem, Arm64Probe);
        var spec = Inputs.Spec(input);
        Assert.AreEqual(Arm64Probe, spec.Build.HealthProbePath);
        Assert.IsFalse(PlatformContexts.IsMultiPlatform(spec));
    }

    [TestMethod]
    public void Non_linux_and_duplicate_platforms_are_refused()
    {
        var errors = Errors(TwoPlatforms("linux-x64,win-x64,linux-arm64,linux-musl-arm64"));
        var invalid = errors.Single(e => e.Code == "AIC6170");
        StringAssert.Contains(invalid.Message, "'win-x64'");
        var duplicate = errors.Single(e => e.Code == "AIC6171");
        StringAssert.Contains(duplicate.Message, "'linux-arm64' and 'linux-musl-arm64'");
        StringAssert.Contains(duplicate.Message, "linux/arm64/v8");
    }

    [TestMethod]
    public void A_platform_the_targets_did_not_publish_is_reported()
    {
        var input = Inputs.WebApp()
            .Set("ContainerRuntimeIdentifiers", "linux-x64,linux-arm64")
            .Add(PlatformTargets.PublishItem, "linux-x64", ("PublishDir", X64Publish));
        var error = Errors(input).Single();
        Assert.AreEqual("AIC6177", error.Code);
        StringAssert.Contains(error.Message, "linux-arm64");
    }

    [TestMethod]
    public void The_platforms_survive_the_spec_file()
    {
        var spec = Inputs.Spec(TwoPlatforms());
        var read = AiImageSpecJson.Deserialize(AiImageSpecJson.Serialize(spec));
        CollectionAssert.AreEqual(spec.Platforms.ToList(), read.Platforms.ToList());
    }

    [TestMethod]
    public void Secondary_contexts_sit_under_platforms_and_out_of_the_docker_context()
    {
        var spec = Inputs.Spec(TwoPlatforms());
        var targets = PlatformContexts.Targets(spec);
        Assert.AreEqual("/ctx", PlatformContexts.DirectoryFor(spec, targets[0], "/ctx"));
        Assert.AreEqual(Path.Combine(Path.GetFullPath(spec.Build.OutputDirectory), "platforms", "linux-arm64"), PlatformContexts.DirectoryFor(spec, targets[1], "/ctx"));
        var arm = PlatformContexts.ForPlatform(spec, targets[1], "/out/platforms/linux-arm64");
        Assert.AreEqual("linux-arm64", arm.Dotnet!.RuntimeIdentifier);
        Assert.AreEqual(Arm64Publish, arm.Dotnet.PublishDirectory);
        Assert.AreEqual(Arm64Probe, arm.Build.HealthProbePath);
        CollectionAssert.Contains(AiContainers.Core.Generation.BuildContextWriter.NotInContext(spec).ToList(), "platforms/");
    }
}
