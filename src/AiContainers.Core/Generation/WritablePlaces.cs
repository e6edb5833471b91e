using AiContainers.Core.Spec;

namespace AiContainers.Core.Generation;

/// <summary>One folder the image user owns, and where its content comes from in the build context (the Dockerfile's COPY --chown source).</summary>
/// <param name="ImagePath">Absolute path in the image.</param>
/// <param name="ContextFolder">The context folder copied onto it: the home tree, the workspace links, or an empty folder.</param>
public sealed record WritableRoot(string ImagePath, string ContextFolder);

/// <summary>
/// Where the package's numeric user (1654) may write at run time, decided once for both builders. Code and weights
/// stay root-owned and read-only; the user owns:
/// <list type="bullet">
/// <item>its home (HOME) with <c>.cache</c> (XDG_CACHE_HOME); Python images add <c>.cache/torch</c> (TORCH_HOME) and
/// <c>.cache/huggingface/modules</c> (HF_MODULES_CACHE: transformers writes trust_remote_code modules there, and
/// HF_HOME may be the read-only weights cache);</item>
/// <item>a Python image's working directory <see cref="Workspace"/>: the code stays in its folder (default /app), and the
/// workspace holds root-owned links to the code's top-level entries, so <c>python train.py</c> runs as written
/// (Python resolves the link: sys.path[0] is the code folder), relative reads find the project's files, and
/// <c>model.pth</c> or <c>checkpoints/</c> land in the workspace;</item>
/// <item>every writable AiVolume target, made in the image so that a named volume mounted there starts owned by the user
/// (Docker copies the image folder's owner into a new volume).</item>
/// </list>
/// /tmp is the base's (1777 on every base the package knows). Nothing here needs a RUN step: the Dockerfile copies
/// context folders with <c>COPY --chown</c>, the daemonless builder writes the same entries into its "user home" layer.
/// </summary>
public static class WritablePlaces
{
    /// <summary>A Python image's working directory, owned by the user.</summary>
    public const string Workspace = "/workspace";
    /// <summary>The context folder holding the workspace's links to the code.</summary>
    public const string WorkspaceContextFolder = "aic/workspace";
    /// <summary>An empty context folder, copied (owned by the user) onto each AiVolume target outside the home.</summary>
    public const string EmptyContextFolder = "aic/empty";

    public const string CacheFolder = ".cache";
    public const string TorchFolder = ".cache/torch";
    public const string HfModulesFolder = ".cache/huggingface/modules";

    /// <summary>The home the package makes for its numeric user; null when the user comes from the base or from AiContainerUser.</summary>
    public static string? Home(AiImageSpec spec)
        => spec.User is { CreateUser: true, Uid: not null } ? Publishing.ContextLayout.HomeDirectory(ContainerUserSpec.DefaultName) : null;

    /// <summary>The process's working directory (WORKDIR): the workspace for Python images with the package's user, else the app folder.</summary>
    public static string RunDirectory(AiImageSpec spec)
        => spec.AppKind == AiAppKind.Python && Home(spec) is not null ? Workspace : spec.WorkingDirectory;

    /// <summary>Folders under the home, relative and parents first, that the user owns besides the home itself.</summary>
    public static IReadOnlyList<string> HomeFolders(AiImageSpec spec)
    {
        var home = Home(spec);
        if (home is null) return Array.Empty<string>();
        var folders = new List<string> { CacheFolder };
        if (spec.AppKind == AiAppKind.Python) folders.AddRange(new[] { TorchFolder, ".cache/huggingface", HfModulesFolder });
        foreach (var target in VolumeTargets(spec).Where(t => IsInside(t, home)))
        {
            var relative = target[(home.Length + 1)..];
            // Every folder on the way is made (and owned) too, so the user can also write beside the volume.
            var parts = relative.Split('/');
            for (var i = 1; i <= parts.Length; i++) folders.Add(string.Join('/', parts.Take(i)));
        }
        return folders.Distinct(StringComparer.Ordinal).OrderBy(f => f, StringComparer.Ordinal).ToList();
    }

    /// <summary>The user-owned roots outside the home: the workspace (Python) and the AiVolume targets, in path order.</summary>
    public static IReadOnlyList<WritableRoot> OtherRoots(AiImageSpec spec)
    {
        var home = Home(spec);
        if (home is null) return Array.Empty<WritableRoot>();
        var roots = new List<WritableRoot>();
        if (RunDirectory(spec) == Workspace) roots.Add(new WritableRoot(Workspace, WorkspaceContextFolder));
        foreach (var target in VolumeTargets(spec))
        {
            if (target == home || IsInside(target, home) || target == Workspace) continue;
            roots.Add(new WritableRoot(target, EmptyContextFolder));
        }
        return roots.OrderBy(r => r.ImagePath, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Writable AiVolume targets the image prepares. Left out: read-only volumes, "/", and targets on the code folder or a
    /// model's folder (equal, inside or above): those stay root-owned, so a mount there never makes code or weights writable.
    /// </summary>
    public static IReadOnlyList<string> VolumeTargets(AiImageSpec spec)
    {
        if (Home(spec) is null) return Array.Empty<string>();
        var protectedPaths = new List<string> { spec.WorkingDirectory.TrimEnd('/') };
        protectedPaths.AddRange(spec.Models.Select(m => m.Target.TrimEnd('/')));
        return spec.Deploy.Volumes
            .Where(v => !v.ReadOnly && v.Target != "/")
            .Select(v => v.Target.TrimEnd('/'))
            .Where(t => !protectedPaths.Any(p => p.Length == 0 || t == p || IsInside(t, p) || IsInside(p, t)))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(t => t, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The cache variables that point the frameworks at the user's writable cache (the user's own ENV still wins).</summary>
    public static IReadOnlyList<NameValue> Environment(AiImageSpec spec)
    {
        var home = Home(spec);
        if (home is null) return Array.Empty<NameValue>();
        var variables = new List<NameValue>
        {
            new("HOME", home),
            new("XDG_CACHE_HOME", home + "/" + CacheFolder),
        };
        if (spec.AppKind == AiAppKind.Python)
        {
            variables.Add(new("TORCH_HOME", home + "/" + TorchFolder));
            variables.Add(new("HF_MODULES_CACHE", home + "/" + HfModulesFolder));
        }
        return variables;
    }

    /// <summary>The workspace's links: one per top-level entry of the code, pointing into the code folder (read-only there).</summary>
    /// <remarks>The targets are relative (<c>../app/train.py</c>). An absolute <c>/app/train.py</c> resolves, inside the
    /// build context, to the context's own <c>app/</c> folder: the classic builder then hashes the code into this layer's
    /// cache key, so every code change rebuilt the workspace and every layer after it (the 21 MB venv included).</remarks>
    public static IReadOnlyList<(string Name, string Target)> WorkspaceLinks(AiImageSpec spec, IEnumerable<string> appRelativeFiles)
    {
        if (RunDirectory(spec) != Workspace) return Array.Empty<(string, string)>();
        var toCode = Path.GetRelativePath(Workspace, spec.WorkingDirectory.TrimEnd('/')).Replace('\\', '/');
        return appRelativeFiles.Select(f => f.Replace('\\', '/').Split('/')[0]).Distinct(StringComparer.Ordinal)
            .OrderBy(n => n, StringComparer.Ordinal)
            .Select(n => (n, toCode + "/" + n)).ToList();
    }

    private static bool IsInside(string path, string folder) => path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);
}
