namespace AiContainers.Core.Generation;

/// <summary>Where the static HTTP health probe (src/aic-healthcheck) sits in the build context and in the image.</summary>
public static class HealthProbe
{
    public const string ImagePath = "/usr/local/bin/aic-healthcheck";
    public const string ContextPath = "aic/healthcheck";

    /// <summary>
    /// The variables ASP.NET reads for its HTTP port, in ASP.NET's own precedence (ASPNETCORE_URLS overrides
    /// ASPNETCORE_HTTP_PORTS). The probe reads them at probe time (<c>--port-from</c>, first that names a port wins).
    /// </summary>
    public static readonly IReadOnlyList<string> AspNetPortVariables = new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS" };

    /// <summary>
    /// The probe command for a .NET web app: `docker run -e ASPNETCORE_HTTP_PORTS=9000` moves the app and the probe
    /// with it; the URL's port is the fallback when neither variable names a port.
    /// </summary>
    public static IReadOnlyList<string> FollowingAspNetPort(string url)
        => new[] { ImagePath }.Concat(AspNetPortVariables.SelectMany(v => new[] { "--port-from", v })).Append(url).ToList();
}
