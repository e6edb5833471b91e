using AiContainers.Core.Diagnostics;
using AiContainers.Core.Engine;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Publishing;

/// <summary>The one place that turns the spec's resolved builder into a session.</summary>
public static class ImageBuilders
{
    /// <param name="layerCacheDirectory">The daemonless builder's blob cache; null takes the per-user default.</param>
    public static IImageBuilder Create(AiImageSpec spec, IAiLog log, string? layerCacheDirectory)
    {
        var credentials = new RegistryCredentialStore();
        return spec.Build.Builder switch
        {
            AiImageBuilderKind.Docker => new DockerImageBuilder(DockerEngine.Create(), credentials, log),
            AiImageBuilderKind.Daemonless => new DaemonlessImageBuilder(credentials, log, layerCacheDirectory),
            var other => throw new InvalidOperationException($"The {other} builder builds nothing."),
        };
    }
}
