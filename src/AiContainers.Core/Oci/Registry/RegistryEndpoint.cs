using System.Net;

namespace AiContainers.Core.Oci.Registry;

/// <summary>
/// Where a registry's API lives: Docker Hub's <c>docker.io</c> is served by <c>registry-1.docker.io</c>
/// (and its single-name repositories live under <c>library/</c>); plain HTTP is used only for loopback
/// hosts and for hosts listed in <c>DOTNET_CONTAINER_INSECURE_REGISTRIES</c> (';' or ',' separated),
/// as Docker and the .NET SDK do; everything else is HTTPS.
/// </summary>
public sealed record RegistryEndpoint(string Registry, string ApiHost, bool PlainHttp, bool Insecure)
{
    public const string InsecureRegistriesVariable = "DOTNET_CONTAINER_INSECURE_REGISTRIES";

    public Uri BaseUri => new((PlainHttp ? "http://" : "https://") + ApiHost + "/");

    public static RegistryEndpoint For(string registry, Func<string, string?>? environment = null)
    {
        var apiHost = registry is "docker.io" or "index.docker.io" ? "registry-1.docker.io" : registry;
        var listed = IsListedInsecure(registry, environment ?? Environment.GetEnvironmentVariable);
        var loopback = IsLoopback(apiHost);
        return new RegistryEndpoint(registry, apiHost, loopback || listed, listed && !loopback);
    }

    /// <summary>Docker Hub's official images are <c>library/name</c> in the API.</summary>
    public static string ApiRepository(string registry, string repository)
        => registry is "docker.io" or "index.docker.io" or "registry-1.docker.io" && !repository.Contains('/') ? "library/" + repository : repository;

    public static bool IsListedInsecure(string registry, Func<string, string?> environment)
    {
        var list = environment(InsecureRegistriesVariable);
        if (string.IsNullOrWhiteSpace(list)) return false;
        return list.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(entry => string.Equals(StripScheme(entry), registry, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>127.0.0.0/8, ::1 and localhost, with or without a port.</summary>
    public static bool IsLoopback(string hostPort)
    {
        var host = HostOf(hostPort);
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }

    private static string HostOf(string hostPort)
    {
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']');
            return close > 0 ? hostPort[1..close] : hostPort;
        }
        var colon = hostPort.IndexOf(':');
        // More than one colon without brackets is a bare IPv6 address, not host:port.
        if (colon >= 0 && hostPort.IndexOf(':', colon + 1) < 0) return hostPort[..colon];
        return hostPort;
    }

    private static string StripScheme(string entry)
    {
        var scheme = entry.IndexOf("://", StringComparison.Ordinal);
        return (scheme >= 0 ? entry[(scheme + 3)..] : entry).TrimEnd('/');
    }
}
