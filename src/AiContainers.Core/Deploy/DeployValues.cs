using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Deploy;

/// <summary>
/// Turns spec values into the spelling each deploy format wants: shell words, YAML scalars, docker and
/// Kubernetes sizes, probe seconds, resource names. Every generator goes through these, so the files agree.
/// </summary>
public static partial class DeployValues
{
    private static readonly JsonSerializerOptions JsonString = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"^[A-Za-z0-9_@%+=:,./-]+$")] private static partial Regex ShellSafeRegex();
    [GeneratedRegex(@"^(\d+(?:\.\d+)?)([bkmgt])?(?:i?b)?$")] private static partial Regex SizeRegex();
    [GeneratedRegex(@"^(\d+)(ms|s|m|h)$")] private static partial Regex DurationRegex();
    [GeneratedRegex(@"[^a-z0-9-]+")] private static partial Regex NotDnsLabelRegex();

    /// <summary>One shell word: left bare when it holds nothing the shell would read, else single-quoted ('\'' for a quote).</summary>
    public static string Shell(string value)
        => value.Length > 0 && ShellSafeRegex().IsMatch(value) ? value : "'" + value.Replace("'", "'\\''") + "'";

    /// <summary>
    /// A YAML double-quoted scalar. JSON string syntax is a subset of it (YAML 1.1 and 1.2), so a
    /// well-tested JSON encoder does the escaping; quoting also keeps 8080:8080 from reading as base 60 in YAML 1.1.
    /// </summary>
    public static string Yaml(string value) => JsonSerializer.Serialize(value, JsonString);

    /// <summary>A YAML scalar for compose.yaml, where '$' starts variable interpolation unless doubled.</summary>
    public static string Compose(string value) => Yaml(value.Replace("$", "$$"));

    /// <summary>
    /// A literal for a Kubernetes env value or command word: the kubelet expands $(VAR) there and reads
    /// $$ as one '$', so doubling every '$' keeps the text as docker and compose pass it.
    /// </summary>
    public static string KubernetesLiteral(string value) => value.Replace("$", "$$");

    /// <summary>A validated size (2g, 512m, 1.5gb, 1024) in docker's units: b, k, m, g (1024-based, like docker itself).</summary>
    public static string DockerSize(string size)
    {
        var (number, unit) = ParseSize(size);
        return unit switch
        {
            null or 'b' => number,
            // Neither docker-py (compose) nor every CLI takes t; the same amount in g does.
            't' => (decimal.Parse(number, CultureInfo.InvariantCulture) * 1024).ToString(CultureInfo.InvariantCulture) + "g",
            _ => number + unit,
        };
    }

    /// <summary>The same size as a Kubernetes quantity: docker's k/m/g are binary, so 2g is 2Gi.</summary>
    public static string KubernetesQuantity(string size)
    {
        var (number, unit) = ParseSize(size);
        return unit switch
        {
            null or 'b' => Math.Ceiling(decimal.Parse(number, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture),
            _ => number + char.ToUpperInvariant(unit.Value) + "i",
        };
    }

    private static (string Number, char? Unit) ParseSize(string size)
    {
        var match = SizeRegex().Match(size.Replace(" ", "").ToLowerInvariant());
        if (!match.Success) throw new ArgumentException($"'{size}' is not a size the spec mapper accepts.", nameof(size));
        return (match.Groups[1].Value, match.Groups[2].Success ? match.Groups[2].Value[0] : null);
    }

    /// <summary>A health-check duration (30s, 1m, 500ms) in whole seconds for probe fields, at least 1.</summary>
    public static int Seconds(string duration)
    {
        var match = DurationRegex().Match(duration);
        if (!match.Success) throw new ArgumentException($"'{duration}' is not a duration the spec mapper accepts.", nameof(duration));
        var n = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var seconds = match.Groups[2].Value switch { "ms" => (n + 999) / 1000, "s" => n, "m" => n * 60, _ => n * 3600 };
        return (int)Math.Clamp(seconds, 1, int.MaxValue);
    }

    /// <summary>
    /// The name the app goes by in every file: container, compose service, Kubernetes objects. The last
    /// segment of the repository as a DNS label, short enough that "-metrics" or an indexed pod's "-12" still fit in 63.
    /// </summary>
    public static string AppName(AiImageSpec spec)
    {
        var last = spec.Identity.Repository.Split('/')[^1].ToLowerInvariant();
        var name = NotDnsLabelRegex().Replace(last, "-").Trim('-');
        if (name.Length > 40) name = name[..40].TrimEnd('-');
        return name.Length == 0 ? "app" : name;
    }

    /// <summary>registry/repository:first-tag, what every file runs.</summary>
    public static string ImageReference(AiImageSpec spec) => spec.Identity.TaggedNames.First();

    /// <summary>
    /// GPUs one pod or container asks for when a number is needed (Kubernetes): the listed devices, the
    /// count, or for training one per torchrun process; "all" and unset become 1 (the mapper warns for "all").
    /// </summary>
    public static int GpusPerPod(AiImageSpec spec, DeploySpec deploy)
    {
        if (!spec.Gpu.Enabled) return 0;
        if (spec.Gpu.GpuDevices.Count > 0) return spec.Gpu.GpuDevices.Count;
        if (int.TryParse(spec.Gpu.GpuCount, NumberStyles.None, CultureInfo.InvariantCulture, out var count)) return count;
        if (deploy.Workload == AiWorkloadKind.Training && deploy.Distributed.ProcsPerNodeCount is { } procs) return procs;
        return 1;
    }

    /// <summary>The port Prometheus scrapes: AiMetricsPort, else the app's first TCP port.</summary>
    public static int? MetricsPort(AiImageSpec spec, DeploySpec deploy)
        => deploy.MetricsPort ?? spec.Ports.FirstOrDefault(p => p.Protocol == "tcp")?.Number;

    public static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
