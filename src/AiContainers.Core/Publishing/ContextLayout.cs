namespace AiContainers.Core.Publishing;

/// <summary>
/// Where each kind of file sits in the generated build context. The folders are the image's layers from
/// the most stable to the least, so both builders read one layout: the Dockerfile copies each folder in
/// its own COPY, and the daemonless builder makes one layer of each.
/// </summary>
public static class ContextLayout
{
    /// <summary>An empty folder copied as the image user's home (owned by the user; no /etc/passwd edit, no RUN).</summary>
    public const string HomeFolder = "aic/home";
    /// <summary>The static health probe.</summary>
    public const string ProbePath = "aic/healthcheck";
    /// <summary>A self-contained app's runtime packs (from deps.json): they change with the .NET patch only.</summary>
    public const string RuntimeFolder = "dotnet-runtime";
    /// <summary>The NuGet packages' assets (from deps.json): they change with a package upgrade.</summary>
    public const string PackagesFolder = "packages";
    /// <summary>The project's own files: the one layer a code-only change makes new.</summary>
    public const string AppFolder = "app";

    /// <summary>The image user's home, when the package provides the user (the numeric default).</summary>
    public static string HomeDirectory(string user) => "/home/" + user;
}
