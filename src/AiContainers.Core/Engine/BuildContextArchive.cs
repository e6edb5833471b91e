using System.Formats.Tar;

namespace AiContainers.Core.Engine;

/// <summary>
/// Streams a build context as tar: only what .dockerignore lets through, in a stable order, with
/// root ownership and a fixed modification time so the same inputs give the same bytes (and the
/// engine's COPY cache keys on content, not on when a file was copied).
/// </summary>
public static class BuildContextArchive
{
    /// <summary>2000-01-01: the fixed mtime of every entry (reproducible layers).</summary>
    public static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Writes the tar and returns the number of files it holds.</summary>
    /// <param name="verified">Files whose bytes are checked against their recorded SHA-256 as they are written (the
    /// weights context's hard links into the model cache): a changed one fails the write with AIC5109, so the engine
    /// never receives a whole context and builds nothing.</param>
    public static int Write(string contextDirectory, Stream output, CancellationToken cancellationToken = default, VerifiedContextFiles? verified = null)
    {
        var ignore = DockerIgnore.Load(contextDirectory);
        var files = 0;
        using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var (relative, isDirectory) in Enumerate(contextDirectory, ignore))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var full = Path.Combine(contextDirectory, relative);
            var info = new FileInfo(full);
            if (info.LinkTarget is { } linkTarget)
            {
                // Symlinks travel as symlinks (the Hugging Face cache layout is built of them).
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, relative) { LinkName = linkTarget, Uid = 0, Gid = 0, ModificationTime = FixedTime, Mode = (UnixFileMode)0b111_111_111 });
                files++;
                continue;
            }
            var entry = new PaxTarEntry(isDirectory ? TarEntryType.Directory : TarEntryType.RegularFile, isDirectory ? relative + "/" : relative)
            {
                Uid = 0,
                Gid = 0,
                ModificationTime = FixedTime,
                Mode = OperatingSystem.IsWindows()
                    ? (isDirectory ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100)
                    : File.GetUnixFileMode(full),
            };
            if (!isDirectory && verified is not null && verified.Sha256ByPath.TryGetValue(relative, out var sha256))
            {
                Files.VerifiedTarEntry.Write(writer, entry, File.OpenRead(full), sha256, full, verified.LocalPaths?.Contains(relative) == true ? null : verified.CacheDirectory);
                files++;
            }
            else if (!isDirectory)
            {
                using var data = File.OpenRead(full);
                entry.DataStream = data;
                writer.WriteEntry(entry);
                files++;
            }
            else
            {
                writer.WriteEntry(entry);
            }
        }
        return files;
    }

    /// <summary>Paths relative to the context, '/'-separated, parents before children, ordinal order.</summary>
    public static IEnumerable<(string Path, bool IsDirectory)> Enumerate(string root, DockerIgnore ignore)
    {
        var stack = new Stack<string>();
        stack.Push("");
        while (stack.Count > 0)
        {
            var relativeDir = stack.Pop();
            var fullDir = relativeDir.Length == 0 ? root : Path.Combine(root, relativeDir);
            var entries = Directory.EnumerateFileSystemEntries(fullDir)
                .Select(e => Path.GetFileName(e))
                .OrderBy(n => n, StringComparer.Ordinal)
                .ToList();
            var subdirs = new List<string>();
            foreach (var name in entries)
            {
                var relative = relativeDir.Length == 0 ? name : relativeDir + "/" + name;
                var full = Path.Combine(root, relative);
                // A symlink is an entry of its own, never followed (it may point at a folder or outside).
                var isDirectory = Directory.Exists(full) && new DirectoryInfo(full).LinkTarget is null;
                // The Dockerfile and .dockerignore always travel: the engine needs them even when ignored.
                if (relative is not ("Dockerfile" or ".dockerignore") && ignore.IsExcluded(relative))
                {
                    // An excluded folder can still hold files a '!' rule brings back: look inside.
                    if (isDirectory && ignore.HasExceptions) subdirs.Add(relative);
                    continue;
                }
                yield return (relative, isDirectory);
                if (isDirectory) subdirs.Add(relative);
            }
            for (int i = subdirs.Count - 1; i >= 0; i--) stack.Push(subdirs[i]);
        }
    }
}
