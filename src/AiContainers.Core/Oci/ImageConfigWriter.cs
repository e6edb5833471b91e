using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Oci;

/// <summary>A HEALTHCHECK as the Docker config stores it (OCI configs have no such field).</summary>
public sealed record ImageHealthcheck(IReadOnlyList<string> Test, TimeSpan? Interval = null, TimeSpan? Timeout = null,
    TimeSpan? StartPeriod = null, int? Retries = null);

/// <summary>
/// What the new image changes on top of its base. A null value keeps the base's; Env, ExposedPorts and Labels are
/// merged into the base's (same name: ours wins). Setting Entrypoint without Cmd clears the base's Cmd, as a Dockerfile
/// ENTRYPOINT does. <see cref="Created"/> comes from SOURCE_DATE_EPOCH or AiImageCreated (a fixed default otherwise).
/// </summary>
public sealed record ImageConfigInput
{
    public string? Os { get; init; }
    public string? Architecture { get; init; }
    public string? Variant { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = Array.Empty<KeyValuePair<string, string>>();
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public string? WorkingDir { get; init; }
    public string? User { get; init; }
    /// <summary>"8080/tcp", "53/udp"; a bare number means tcp.</summary>
    public IReadOnlyList<string> ExposedPorts { get; init; } = Array.Empty<string>();
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public ImageHealthcheck? Healthcheck { get; init; }
    public string? StopSignal { get; init; }
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UnixEpoch;
    /// <summary>Written as each new layer's history created_by, followed by the layer's description.</summary>
    public string CreatedBy { get; init; } = "AiContainers";
}

/// <summary>
/// Builds the image config from the base's raw config: the base's rootfs.diff_ids and history are kept and ours
/// appended (one history entry per new layer). The result is canonical JSON (see <see cref="CanonicalJson"/>).
/// Docker format keeps every Docker field (Healthcheck, Shell, OnBuild); OCI format keeps only what the OCI image spec
/// defines, so Healthcheck, Shell and OnBuild are dropped.
/// </summary>
public static class ImageConfigWriter
{
    private static readonly HashSet<string> OciTopLevel = new(StringComparer.Ordinal)
        { "created", "author", "architecture", "os", "os.version", "os.features", "variant", "config", "rootfs", "history" };
    private static readonly HashSet<string> OciConfigFields = new(StringComparer.Ordinal)
        { "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal", "ArgsEscaped" };
    // Describe the container that built the base, which did not build this image.
    private static readonly string[] DockerBuildLeftovers = { "container", "container_config", "docker_version", "id", "parent" };

    public static byte[] Create(byte[] baseConfigBytes, ImageConfigInput input, IReadOnlyList<LayerBlob> newLayers, ImageFormat format)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(baseConfigBytes) as JsonObject ?? throw new JsonException("the top level is not an object");
        }
        catch (JsonException e)
        {
            throw new AiException(AiErrors.BaseImageConfigInvalid, null, e.Message);
        }
        if (root["rootfs"] is not JsonObject rootfs || rootfs["diff_ids"] is not JsonArray diffIds)
            throw new AiException(AiErrors.BaseImageConfigInvalid, null, "it has no rootfs.diff_ids");

        foreach (var key in DockerBuildLeftovers) root.Remove(key);
        var config = root["config"] as JsonObject ?? new JsonObject();
        root["config"] = config;

        var created = input.Created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        root["created"] = created;
        if (input.Os is not null) root["os"] = input.Os;
        if (input.Architecture is not null) root["architecture"] = input.Architecture;
        if (input.Variant is not null) root["variant"] = input.Variant;

        MergeEnv(config, input.Env);
        if (input.Entrypoint is not null)
        {
            config["Entrypoint"] = StringArray(input.Entrypoint);
            if (input.Cmd is null) config.Remove("Cmd");
        }
        if (input.Cmd is not null) config["Cmd"] = StringArray(input.Cmd);
        if (input.WorkingDir is not null) config["WorkingDir"] = input.WorkingDir;
        if (input.User is not null) config["User"] = input.User;
        if (input.StopSignal is not null) config["StopSignal"] = input.StopSignal;
        if (input.ExposedPorts.Count > 0)
        {
            var ports = config["ExposedPorts"] as JsonObject ?? new JsonObject();
            foreach (var port in input.ExposedPorts) ports[port.Contains('/') ? port : port + "/tcp"] = new JsonObject();
            config["ExposedPorts"] = ports;
        }
        if (input.Labels.Count > 0)
        {
            var labels = config["Labels"] as JsonObject ?? new JsonObject();
            foreach (var (key, value) in input.Labels) labels[key] = value;
            config["Labels"] = labels;
        }
        if (input.Healthcheck is { } health)
        {
            var hc = new JsonObject { ["Test"] = StringArray(health.Test) };
            if (health.Interval is { } i) hc["Interval"] = Nanoseconds(i);
            if (health.Timeout is { } t) hc["Timeout"] = Nanoseconds(t);
            if (health.StartPeriod is { } s) hc["StartPeriod"] = Nanoseconds(s);
            if (health.Retries is { } r) hc["Retries"] = r;
            config["Healthcheck"] = hc;
        }

        var history = root["history"] as JsonArray ?? new JsonArray();
        root["history"] = history;
        foreach (var layer in newLayers)
        {
            diffIds.Add(layer.DiffId);
            history.Add(new JsonObject { ["created"] = created, ["created_by"] = input.CreatedBy + ": " + layer.Description });
        }

        if (format == ImageFormat.Oci)
        {
            foreach (var key in root.Select(p => p.Key).Where(k => !OciTopLevel.Contains(k)).ToList()) root.Remove(key);
            foreach (var key in config.Select(p => p.Key).Where(k => !OciConfigFields.Contains(k)).ToList()) config.Remove(key);
        }
        return CanonicalJson.Serialize(root);
    }

    private static void MergeEnv(JsonObject config, IReadOnlyList<KeyValuePair<string, string>> env)
    {
        if (env.Count == 0) return;
        var list = (config["Env"] as JsonArray)?.Select(n => n?.GetValue<string>() ?? "").ToList() ?? new List<string>();
        foreach (var (name, value) in env)
        {
            var index = list.FindIndex(v => v.StartsWith(name + "=", StringComparison.Ordinal) || v == name);
            if (index >= 0) list[index] = name + "=" + value;
            else list.Add(name + "=" + value);
        }
        config["Env"] = StringArray(list);
    }

    private static JsonArray StringArray(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static long Nanoseconds(TimeSpan t) => t.Ticks * 100;
}
