namespace AiContainers.Core.IO;

/// <summary>Writes that never leave a half-written file under the final name.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> through a temporary file and a rename; an unchanged file keeps its timestamp.</summary>
    public static void WriteIfChanged(string path, string text)
    {
        if (File.Exists(path) && File.ReadAllText(path) == text) return;
        Write(path, text);
    }

    public static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
