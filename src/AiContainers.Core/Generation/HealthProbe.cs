namespace AiContainers.Core.Generation;

/// <summary>Where the static HTTP health probe (src/aic-healthcheck) sits in the build context and in the image.</summary>
public static class HealthProbe
{
    public const string ImagePath = "/usr/local/bin/aic-healthcheck";
    public const string ContextPath = "aic/healthcheck";
}
