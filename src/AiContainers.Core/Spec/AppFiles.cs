using AiContainers.Core.Diagnostics;
using AiContainers.Core.Python;
using AiContainers.Core.Serving;

namespace AiContainers.Core.Spec;

/// <summary>
/// The host files a Python project or a model server puts into the build context, listed once when the spec is
/// resolved (<see cref="AppFiles.Resolve"/>, in ResolveAiImageSpec) and carried in spec.json, so the context writer
/// copies exactly what was checked and never lists the project again.
/// </summary>
/// <param name="PythonApp">Python: project-relative app files ('/'-separated, ordinal order).</param>
/// <param name="PythonBuilder">Python: project-relative files the builder stage gets (requirements, wheels).</param>
/// <param name="Serving">Model server: each file of the served models with its place under the context's serving folder.</param>
public sealed record AppFileLists(IReadOnlyList<string> PythonApp, IReadOnlyList<string> PythonBuilder, IReadOnlyList<ServingFile> Serving)
{
    public static readonly AppFileLists None = new(Array.Empty<string>(), Array.Empty<string>(), Array.Empty<ServingFile>());
}

/// <summary>Lists and checks the files of a Python project or model server: the one place that does (I/O, unlike the mapper).</summary>
public static class AppFiles
{
    /// <summary>
    /// The spec with <see cref="AiImageSpec.AppFiles"/> set, or null with the coded problems (a missing requirements
    /// file, an empty app, a .mar that is no zip, a file outside the project). A .NET app has nothing to list.
    /// </summary>
    public static (AiImageSpec? Spec, IReadOnlyList<AiDiagnostic> Diagnostics) Resolve(AiImageSpec spec)
    {
        var diagnostics = new List<AiDiagnostic>();
        var lists = AppFileLists.None;
        if (spec.Python is { } python)
        {
            var plan = PythonAppFiles.Plan(python, spec.Build.OutputDirectory, spec.ProjectFiles);
            diagnostics.AddRange(plan.Diagnostics);
            lists = lists with { PythonApp = plan.AppFiles, PythonBuilder = plan.BuilderFiles };
        }
        if (spec.Serving is { } serving)
        {
            var (files, problems) = ServingFiles.Plan(serving, spec.ProjectFiles);
            diagnostics.AddRange(problems);
            lists = lists with { Serving = files };
        }
        return (diagnostics.Any(d => d.IsError) ? null : spec with { AppFiles = lists }, diagnostics);
    }

    /// <summary>The lists a Python or serving spec must carry before its context is written.</summary>
    public static AppFileLists Required(AiImageSpec spec)
        => spec.AppFiles ?? throw new InvalidOperationException(
            $"The spec of {spec.ProjectName} has no file lists: resolve it with {nameof(AppFiles)}.{nameof(Resolve)} (ResolveAiImageSpec does) before writing its context.");
}
