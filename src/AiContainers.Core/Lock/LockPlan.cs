using System.Text.Json;
using System.Text.Json.Serialization;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.IO;

namespace AiContainers.Core.Lock;

/// <summary>How one model uses its lock entry in this build.</summary>
/// <param name="CheckRevision">Locked mode, hf:// branch or tag: ask the Hub once whether it still points at the locked commit.</param>
/// <param name="LayerInRegistry">The target repository already holds the locked layer: the daemonless builder references it by digest,
/// and nothing is downloaded from the source nor uploaded to the registry.</param>
public sealed record ModelPin(LockedModel Locked, bool CheckRevision, bool LayerInRegistry);

/// <summary>
/// What ResolveAiLock decided, handed to the steps after it as <c>obj/…/aicontainer/lock-plan.json</c>: the base digests
/// to build from, the model pins to fetch by, and whether (and where) WriteAiLock writes the lock after the publish.
/// </summary>
/// <param name="Write">Auto and Update write the lock after a successful publish; Locked and Ignore never do.</param>
/// <param name="Existing">The lock read at the start (null when none, or in Update mode): its layers carry over when this build made none.</param>
public sealed partial record LockPlan(AiLockMode Mode, string LockPath, bool Write, IReadOnlyList<LockedBase> Bases, IReadOnlyDictionary<string, ModelPin> Pins, LockFile? Existing)
{
    /// <summary>Source-generated: the plan is written and read on every publish, and a reflection contract costs a task start.</summary>
    [JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
        UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonSerializable(typeof(LockPlan))]
    private sealed partial class PlanJson : JsonSerializerContext;

    public static LockPlan None(string lockPath) => new(AiLockMode.Ignore, lockPath, false, Array.Empty<LockedBase>(), new Dictionary<string, ModelPin>(), null);

    public void Save(string path) => AtomicFile.WriteIfChanged(path, JsonSerializer.Serialize(this, PlanJson.Default.LockPlan));

    /// <summary>The plan ResolveAiLock wrote, or null when the step did not run (no file).</summary>
    public static LockPlan? ReadIfPresent(string? path)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize(File.ReadAllText(path), PlanJson.Default.LockPlan) ?? throw new JsonException("it is empty"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            throw new AiException(AiErrors.LockPlanUnreadable, null, path, e.Message);
        }
    }
}
