using AiContainers.Core.Diagnostics;
using AiContainers.Core.Engine;
using AiContainers.Core.Files;

namespace AiContainers.Core.Python;

/// <summary>What goes into the context for a Python project: the app files, and the builder stage's pip inputs.</summary>
/// <param name="AppFiles">Project-relative, '/'-separated, ordinal order.</param>
/// <param name="BuilderFiles">Project-relative files the builder stage gets (requirements, wheels), laid out as in the project so relative --find-links lines work.</param>
public sealed record PythonAppFilePlan(IReadOnlyList<string> AppFiles, IReadOnlyList<string> BuilderFiles, IReadOnlyList<AiDiagnostic> Diagnostics);

/// <summary>
/// Selects the project folder's files with .dockerignore semantics: the always-excluded build and cache
/// folders, then the project's own .dockerignore, then AiAppExclude; AiAppInclude (when given) keeps
/// only what it matches. The wheel folder goes to the builder stage only, never into the app.
/// </summary>
public static class PythonAppFiles
{
    /// <param name="rule">Which files may be copied (AiAllowFilesOutsideProject); null is the default rule for the project folder.</param>
    public static PythonAppFilePlan Plan(PythonAppSpec python, string? outputDirectory = null, ProjectFileRule? rule = null)
    {
        var root = Path.GetFullPath(python.ProjectDirectory);
        rule ??= new ProjectFileRule(root, AllowOutside: false);
        var bag = new DiagnosticBag();
        var builder = new List<string>();

        if (python.Requirements is { } requirements)
        {
            if (File.Exists(Path.Combine(root, requirements))) builder.Add(requirements);
            else bag.Report(AiErrors.PythonInputMissing, "AiPythonRequirements", "AiPythonRequirements", requirements, "requirements file", root);
        }
        if (python.WheelDirectory is { } wheels)
        {
            var folder = Path.Combine(root, wheels);
            if (Directory.Exists(folder))
                builder.AddRange(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Relative(root, f)).Order(StringComparer.Ordinal));
            else bag.Report(AiErrors.PythonInputMissing, "AiPythonWheelDirectory", "AiPythonWheelDirectory", wheels, "folder", root);
        }

        var rules = new List<string>(PythonAppSpec.AlwaysExcluded);
        var projectIgnore = Path.Combine(root, ".dockerignore");
        if (File.Exists(projectIgnore)) rules.AddRange(File.ReadAllLines(projectIgnore));
        rules.AddRange(python.Exclude);
        if (python.WheelDirectory is { } wheelFolder) rules.Add(wheelFolder + "/");
        // The generated context may sit inside the project (bin/ by default, but AiImageOutputPath can move it).
        if (outputDirectory is not null && IsInside(Path.GetFullPath(outputDirectory), root) && Relative(root, Path.GetFullPath(outputDirectory)) is var rel && rel != ".")
            rules.Add(rel.TrimEnd('/') + "/");
        DockerIgnore ignore;
        try { ignore = new DockerIgnore(rules); }
        catch (PathPatternException e)
        {
            // The mapper checked AiAppInclude/AiAppExclude; a bad line here is the project's own .dockerignore.
            bag.Report(AiErrors.InvalidPathPattern, ".dockerignore", projectIgnore, e.Pattern, e.Reason);
            return new PythonAppFilePlan(Array.Empty<string>(), builder, bag.Items);
        }
        var include = python.Include.Count > 0 ? new DockerIgnore(python.Include) : null;

        var app = new List<string>();
        foreach (var (path, isDirectory) in BuildContextArchive.Enumerate(root, ignore))
        {
            if (isDirectory) continue;
            // The archive always sends these two; as project files they follow the rules like any other.
            if (path is "Dockerfile" or ".dockerignore" && ignore.IsExcluded(path)) continue;
            if (path == ".dockerignore") continue; // rules for the context, not a file of the app
            if (include is not null && !include.IsExcluded(path)) continue;
            app.Add(path);
        }
        app.Sort(StringComparer.Ordinal);
        if (app.Count == 0) bag.Report(AiErrors.PythonAppEmpty, "AiAppInclude", root);

        // A symlink in the project may point anywhere (/etc/passwd); every copied file follows the one rule.
        foreach (var path in builder.Concat(app))
            if (ProjectFiles.Check(rule, "AiAppInclude", "Project file", path, Path.Combine(root, path)) is { } problem) bag.Add(problem);
        return new PythonAppFilePlan(app, builder, bag.Items);
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    private static bool IsInside(string path, string folder)
    {
        var rel = Path.GetRelativePath(folder, path);
        return rel == "." || (!rel.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(rel));
    }
}
