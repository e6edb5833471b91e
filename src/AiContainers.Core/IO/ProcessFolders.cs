namespace AiContainers.Core.IO;

/// <summary>
/// Folders named after the process that owns them (&lt;prefix&gt;&lt;pid&gt;): a process deletes its own when done, and one a
/// killed process left behind is deleted by the next process that makes such a folder in the same place.
/// </summary>
internal static class ProcessFolders
{
    /// <summary>
    /// <paramref name="parent"/>/&lt;prefix&gt;&lt;this pid&gt;, new and empty, after deleting those whose process has ended (best effort:
    /// one that cannot be deleted now is left for a later run).
    /// </summary>
    public static string CreateOwn(string parent, string prefix)
    {
        Directory.CreateDirectory(parent);
        foreach (var stale in Directory.EnumerateDirectories(parent, prefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(stale)[prefix.Length..], out var pid) || pid == Environment.ProcessId || IsRunning(pid)) continue;
            DeleteQuietly(stale);
        }
        var own = Path.Combine(parent, prefix + Environment.ProcessId);
        if (Directory.Exists(own)) Directory.Delete(own, recursive: true);
        Directory.CreateDirectory(own);
        return own;
    }

    public static void DeleteQuietly(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
