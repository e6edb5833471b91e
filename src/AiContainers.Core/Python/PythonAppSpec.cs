namespace AiContainers.Core.Python;

/// <summary>Where the image's interpreter comes from.</summary>
public enum PythonInterpreterSource
{
    /// <summary>The base's OS packages (python3, python3-venv): CUDA and Ubuntu bases.</summary>
    OsPackages,
    /// <summary>The base already has it (the official python images).</summary>
    BaseImage,
}

/// <summary>
/// A Python project: the interpreter, the virtual environment the builder stage fills, and which
/// files of the project folder are the app. Paths in <see cref="Requirements"/>,
/// <see cref="WheelDirectory"/> and the patterns are project-relative with '/' separators.
/// </summary>
public sealed record PythonAppSpec(
    /// <summary>major.minor the build checks python3 against; null means whatever the base has.</summary>
    string? Version,
    PythonInterpreterSource Interpreter,
    string ProjectDirectory,
    string? Requirements,
    string? WheelDirectory,
    IReadOnlyList<string> Packages,
    IReadOnlyList<string> BuildPackages,
    bool SystemSitePackages,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude)
{
    /// <summary>The virtual environment: filled in the builder stage, copied whole into the final one.</summary>
    public const string VirtualEnv = "/opt/venv";

    /// <summary>Where the builder stage receives the requirements and wheels (context folder <see cref="ContextFolder"/>).</summary>
    public const string BuilderInputs = "/tmp/aic-python";

    /// <summary>The build-context folder that holds only what pip needs, so a source change leaves its COPY cached.</summary>
    public const string ContextFolder = "python";

    /// <summary>Never part of the app: the project's own MSBuild and NuGet files, build output, VCS data, caches and local environments.</summary>
    public static readonly IReadOnlyList<string> AlwaysExcluded = new[]
    {
        "*.csproj", "*.proj", "nuget.config", "NuGet.Config", "global.json", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props",
        "bin/", "obj/", ".git/", "**/__pycache__/", "**/*.pyc", ".venv/",
        // Written after the image (Lock.LockSettings.DefaultFileName): in the app it would change the app layer on the next publish.
        "aicontainers.lock.json",
    };
}
