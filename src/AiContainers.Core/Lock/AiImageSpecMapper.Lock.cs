using AiContainers.Core.Diagnostics;
using AiContainers.Core.Lock;

namespace AiContainers.Core.Spec;

public static partial class AiImageSpecMapper
{
    /// <summary>AiLockMode (Auto by default) and AiLockFile (aicontainers.lock.json beside the project, or relative to it).</summary>
    private static LockSettings MapLock(ProjectInputs input, DiagnosticBag bag, string projectName)
    {
        var mode = ParseEnum(input, bag, "AiLockMode", AiLockMode.Auto);
        var directory = input.Get("MSBuildProjectDirectory") ?? ".";
        var file = input.Get("AiLockFile") is { } set ? set : LockSettings.DefaultFileName;
        return new LockSettings(mode, Path.GetFullPath(file, Path.GetFullPath(directory)), projectName);
    }
}
