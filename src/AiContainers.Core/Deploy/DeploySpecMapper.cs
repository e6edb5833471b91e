using System.Globalization;
using System.Text.RegularExpressions;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Images;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Deploy;

/// <summary>
/// Maps the deploy properties and items (<c>AiVolume</c>, <c>AiLog*</c>, <c>AiComposeService</c>,
/// <c>AiWorkload</c>, <c>AiDistributed*</c>, <c>AiKubernetesNamespace</c>, <c>AiReplicas</c>,
/// <c>AiMetrics*</c>, <c>AiKubeflow</c>) onto <see cref="DeploySpec"/>. Pure, and reports every problem
/// into the bag with the property it came from, like <see cref="AiImageSpecMapper"/>.
/// </summary>
public static partial class DeploySpecMapper
{
    [GeneratedRegex(@"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")] private static partial Regex VolumeNameRegex();
    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")] private static partial Regex Dns1123LabelRegex();
    // docker's json-file driver takes max-size as a whole number with k, m or g.
    [GeneratedRegex(@"^[1-9]\d*[kmg]$")] private static partial Regex LogSizeRegex();

    public static DeploySpec Map(ProjectInputs input, DiagnosticBag bag)
    {
        var workload = ParseWorkload(input, bag);
        var gpuEnabled = !bool.TryParse(input.Get("AiGpu"), out var gpu) || gpu;

        var volumes = MapVolumes(input, bag);

        var logMaxSize = input.Get("AiLogMaxSize")?.ToLowerInvariant();
        if (logMaxSize is not null && !LogSizeRegex().IsMatch(logMaxSize)) { bag.Report(AiErrors.InvalidLogMaxSize, "AiLogMaxSize", logMaxSize); logMaxSize = null; }
        else if (logMaxSize is not null && !AiImageSpecMapper.FitsEngine(logMaxSize)) { bag.Report(AiErrors.SizeTooLarge, "AiLogMaxSize", "AiLogMaxSize", logMaxSize, long.MaxValue); logMaxSize = null; }
        int? logMaxFiles = input.Get("AiLogMaxFiles") is null ? null : AiImageSpecMapper.ParsePositiveInt(input, bag, "AiLogMaxFiles", 1);

        var companions = MapComposeServices(input, bag);

        var nodes = AiImageSpecMapper.ParsePositiveInt(input, bag, "AiDistributedNodes", 1);
        var procs = ParseProcsPerNode(input, bag, gpuEnabled);
        var masterPort = ParsePort(input, bag, "AiDistributedMasterPort") ?? DeploySpec.DefaultMasterPort;

        var ns = input.Get("AiKubernetesNamespace");
        if (ns is not null && !Dns1123LabelRegex().IsMatch(ns)) { bag.Report(AiErrors.InvalidKubernetesNamespace, "AiKubernetesNamespace", ns); ns = null; }
        var replicas = AiImageSpecMapper.ParsePositiveInt(input, bag, "AiReplicas", 1);

        var metricsPort = ParsePort(input, bag, "AiMetricsPort");
        var metricsPath = input.Get("AiMetricsPath") ?? DeploySpec.DefaultMetricsPath;
        if (!metricsPath.StartsWith('/') || metricsPath.Any(char.IsWhiteSpace)) { bag.Report(AiErrors.InvalidMetricsPath, "AiMetricsPath", metricsPath); metricsPath = DeploySpec.DefaultMetricsPath; }
        if (metricsPort is null && companions.Any(c => c.Name == ComposeCompanions.Prometheus) && !HasAppPort(input))
            bag.Report(AiErrors.NoMetricsPort, "AiMetricsPort");

        var kubeflow = AiImageSpecMapper.ParseBool(input, bag, "AiKubeflow", false);

        ReportIgnored(input, bag, workload);
        if (gpuEnabled && workload == AiWorkloadKind.Training) CheckGpusPerPod(input, bag, procs);
        else if (gpuEnabled && string.Equals(input.Get("AiGpuCount"), "all", StringComparison.OrdinalIgnoreCase))
            bag.Report(AiErrors.GpuCountAllOnKubernetes, "AiGpuCount", 1);

        return new DeploySpec(volumes, logMaxSize, logMaxFiles, companions, workload,
            new DistributedSpec(nodes, procs ?? (gpuEnabled ? DistributedSpec.ProcsPerGpu : "1"), masterPort),
            ns, replicas, metricsPort, metricsPath, kubeflow);
    }

    private static AiWorkloadKind ParseWorkload(ProjectInputs input, DiagnosticBag bag)
    {
        var text = input.Get("AiWorkload");
        if (text is null) return AiWorkloadKind.Service;
        if (Enum.TryParse<AiWorkloadKind>(text, ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !int.TryParse(text, out _)) return kind;
        bag.Report(AiErrors.UnknownEnumValue, "AiWorkload", "AiWorkload", text, string.Join(", ", Enum.GetNames<AiWorkloadKind>()));
        return AiWorkloadKind.Service;
    }

    private static List<VolumeSpec> MapVolumes(ProjectInputs input, DiagnosticBag bag)
    {
        var volumes = new List<VolumeSpec>();
        foreach (var item in input.Items("AiVolume"))
        {
            var source = item.Include.Trim();
            var target = item.Get("ContainerPath") ?? "";
            var ok = true;
            if (source.StartsWith('/'))
            {
                if (source.Contains(':')) { bag.Report(AiErrors.InvalidVolumeSource, "AiVolume", source, "a host path cannot contain ':' (docker -v and compose use it as the separator)"); ok = false; }
            }
            else if (!VolumeNameRegex().IsMatch(source))
            {
                var why = source.StartsWith('.') || source.Contains('/') ? "a host path must be absolute" : "a volume name must also be a Kubernetes claim name";
                bag.Report(AiErrors.InvalidVolumeSource, "AiVolume", source, why);
                ok = false;
            }
            if (!target.StartsWith('/') || target.Contains(':'))
            { bag.Report(AiErrors.InvalidVolumeTarget, "AiVolume", source, target); ok = false; }
            var readOnlyText = item.Get("ReadOnly");
            var readOnly = false;
            if (readOnlyText is not null && !bool.TryParse(readOnlyText, out readOnly))
            { bag.Report(AiErrors.InvalidBoolean, "AiVolume", "AiVolume ReadOnly", readOnlyText); ok = false; }
            if (!ok) continue;
            target = target.Length > 1 ? target.TrimEnd('/') : target;
            if (volumes.Any(v => v.Target == target)) { bag.Report(AiErrors.DuplicateVolumeTarget, "AiVolume", source, target); continue; }
            volumes.Add(new VolumeSpec(source, target, readOnly));
        }
        return volumes;
    }

    private static List<ComposeServiceSpec> MapComposeServices(ProjectInputs input, DiagnosticBag bag)
    {
        var services = new List<ComposeServiceSpec>();
        foreach (var item in input.Items("AiComposeService"))
        {
            var name = item.Include.Trim().ToLowerInvariant();
            var known = ComposeCompanions.Find(name);
            if (known is null)
            { bag.Report(AiErrors.UnknownComposeService, "AiComposeService", item.Include.Trim(), string.Join(", ", ComposeCompanions.Known.Select(k => k.Name))); continue; }
            var version = item.Get("Version") ?? known.DefaultVersion;
            if (!ImageReference.IsValidTag(version))
            { bag.Report(AiErrors.InvalidComposeServiceVersion, "AiComposeService", name, version, known.Image, known.DefaultVersion); continue; }
            if (services.Any(s => s.Name == name)) { bag.Report(AiErrors.DuplicateComposeService, "AiComposeService", name); continue; }
            services.Add(new ComposeServiceSpec(name, version));
        }
        // One order whatever the item order, so the output is stable.
        return services.OrderBy(s => ComposeCompanions.Known.ToList().FindIndex(k => k.Name == s.Name)).ToList();
    }

    private static string? ParseProcsPerNode(ProjectInputs input, DiagnosticBag bag, bool gpuEnabled)
    {
        var text = input.Get("AiDistributedProcsPerNode");
        if (text is null) return null;
        if (text.Equals(DistributedSpec.ProcsPerGpu, StringComparison.OrdinalIgnoreCase))
        {
            if (gpuEnabled) return DistributedSpec.ProcsPerGpu;
            bag.Report(AiErrors.ProcsPerGpuOnCpuImage, "AiDistributedProcsPerNode");
            return null;
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1) return n.ToString(CultureInfo.InvariantCulture);
        bag.Report(AiErrors.InvalidProcsPerNode, "AiDistributedProcsPerNode", text);
        return null;
    }

    private static int? ParsePort(ProjectInputs input, DiagnosticBag bag, string property)
    {
        var text = input.Get(property);
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535) return port;
        bag.Report(AiErrors.InvalidPortProperty, property, property, text);
        return null;
    }

    /// <summary>Whether the core mapper will find a port (a ContainerPort item, or a web app's default 8080).</summary>
    private static bool HasAppPort(ProjectInputs input)
        => input.Items("ContainerPort").Count > 0 || string.Equals(input.Get("UsingMicrosoftNETSdkWeb"), "true", StringComparison.OrdinalIgnoreCase);

    private static void ReportIgnored(ProjectInputs input, DiagnosticBag bag, AiWorkloadKind workload)
    {
        var trainingOnly = new[] { "AiDistributedNodes", "AiDistributedProcsPerNode", "AiDistributedMasterPort", "AiKubeflow" };
        var serviceOnly = new[] { "AiReplicas" };
        var (ignored, wanted) = workload == AiWorkloadKind.Service ? (trainingOnly, AiWorkloadKind.Training) : (serviceOnly, AiWorkloadKind.Service);
        foreach (var property in ignored.Where(p => input.Get(p) is not null))
            bag.Report(AiErrors.DeploySettingIgnored, property, property, wanted, workload);
    }

    /// <summary>Training asks for one process per GPU; warns when the project's GPU settings cannot give that.</summary>
    private static void CheckGpusPerPod(ProjectInputs input, DiagnosticBag bag, string? procs)
    {
        var count = input.Get("AiGpuCount");
        var devices = input.Get("AiGpuDevices");
        int? gpus = devices is not null ? devices.Split(',', StringSplitOptions.RemoveEmptyEntries).Length
            : int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        var procCount = int.TryParse(procs, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : (int?)null;
        if (string.Equals(count, "all", StringComparison.OrdinalIgnoreCase))
            bag.Report(AiErrors.GpuCountAllOnKubernetes, "AiGpuCount", procCount ?? 1);
        else if (gpus is { } g && procCount is { } pc && pc > g)
            bag.Report(AiErrors.ProcsExceedGpus, "AiDistributedProcsPerNode", pc, g);
    }
}
