using System.Net.Sockets;
using AiContainers.Core.Diagnostics;
using Docker.DotNet;

namespace AiContainers.Core.Engine;

/// <summary>
/// Turns whatever the Docker client throws when the engine cannot be reached into one coded error with the
/// true cause. The client's exceptions mislead on their own: a refused tcp:// port arrives as an
/// AggregateException (which escaped as MSB4018 with a stack trace), and a missing unix socket file as
/// "Cannot assign requested address" (the socket layer's EADDRNOTAVAIL), so the socket path is checked here.
/// A socket file left behind by a stopped engine (or any non-socket file) answers "connection refused".
/// </summary>
public static class EngineFailure
{
    /// <summary>Where this repository's build/setup.sh writes DOCKER_HOST for the engine it starts.</summary>
    public static string DevelopmentEnvFile => Path.Combine(Environment.GetEnvironmentVariable("AIC_STATE") is { Length: > 0 } state ? state : "/var/lib/aic-dev", "env.sh");

    public static AiException Classify(Exception exception, string endpoint, string endpointSource, TimeSpan timeout)
    {
        var hint = File.Exists(DevelopmentEnvFile)
            ? $" (for the engine build/setup.sh started on this machine, run '. {DevelopmentEnvFile}' first: it sets DOCKER_HOST)"
            : "";
        var uri = Uri.TryCreate(endpoint, UriKind.Absolute, out var parsed) ? parsed : null;
        var socketPath = uri?.Scheme == "unix" ? uri.LocalPath : null;

        if (socketPath is not null && !Path.Exists(socketPath))
            return new AiException(AiErrors.EngineSocketMissing, "AiImageBuilder", socketPath, endpointSource, hint);

        var socket = Find<SocketException>(exception);
        if (socket?.SocketErrorCode == SocketError.ConnectionRefused)
            return new AiException(AiErrors.EngineConnectionRefused, "AiImageBuilder", endpoint, endpointSource, hint);
        if (socket?.SocketErrorCode == SocketError.AccessDenied || Find<UnauthorizedAccessException>(exception) is not null)
            return new AiException(AiErrors.EnginePermissionDenied, "AiImageBuilder", socketPath ?? endpoint, endpointSource, hint);

        if (Find<DockerApiException>(exception) is { } api)
        {
            var body = api.ResponseBody?.Trim() is { Length: > 0 } b ? b : api.Message;
            return new AiException(AiErrors.EngineNotDocker, "AiImageBuilder", endpoint, endpointSource, $"HTTP {(int)api.StatusCode} {api.StatusCode} to /_ping: {Shorten(body)}", hint);
        }
        // The ping's own deadline: the client wraps the cancellation in an HttpRequestException.
        if (socket is null && (Find<OperationCanceledException>(exception) is not null || Find<TimeoutException>(exception) is not null))
            return new AiException(AiErrors.EngineTimeout, "AiImageBuilder", endpoint, endpointSource, timeout.TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture), hint);
        // Connected (no socket error) yet no HTTP answer the client could read: something else listens there.
        if (socket is null && Find<HttpRequestException>(exception) is { } http)
            return new AiException(AiErrors.EngineNotDocker, "AiImageBuilder", endpoint, endpointSource, Reason(http), hint);
        if (socket is null && (Find<FormatException>(exception) is not null || Find<InvalidDataException>(exception) is not null))
            return new AiException(AiErrors.EngineNotDocker, "AiImageBuilder", endpoint, endpointSource, Reason(exception), hint);
        if (Find<IOException>(exception) is { } io && socket is null)
            return new AiException(AiErrors.EngineNotDocker, "AiImageBuilder", endpoint, endpointSource, "the connection closed without an HTTP answer (" + Reason(io) + ")", hint);
        return new AiException(AiErrors.EngineUnreachable, "AiImageBuilder", endpoint, Reason(exception) + hint);
    }

    /// <summary>Exceptions that mean the connection to the engine broke, not that the engine said no.</summary>
    public static bool IsConnectionFailure(Exception e)
        => e is not DockerApiException && (Find<SocketException>(e) is not null || Find<HttpRequestException>(e) is not null || Find<IOException>(e) is not null);

    public static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found) return found;
            if (e is AggregateException { InnerExceptions.Count: > 0 } aggregate)
                return aggregate.InnerExceptions.Select(Find<T>).FirstOrDefault(x => x is not null);
        }
        return null;
    }

    /// <summary>The innermost message without its final period: the message format adds its own.</summary>
    public static string Reason(Exception e) => Innermost(e).Message.Trim().TrimEnd('.');

    private static string Shorten(string text) => text.Length <= 200 ? text.ReplaceLineEndings(" ") : text[..200].ReplaceLineEndings(" ") + "…";
}
