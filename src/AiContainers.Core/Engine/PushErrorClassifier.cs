namespace AiContainers.Core.Engine;

/// <summary>
/// Classifies a push error message from the engine's progress stream. The engine reports registry
/// failures as text ("received unexpected HTTP status: 503 Service Unavailable", "unauthorized:
/// authentication required", "denied: requested access to the resource is denied"), so the words
/// decide whether a retry can help: 5xx, 429 and connection resets can; 401, 403, 404 cannot.
/// </summary>
public static class PushErrorClassifier
{
    public static PushFailureKind Classify(string message)
    {
        var m = message.ToLowerInvariant();
        if (m.Contains("unauthorized") || m.Contains("authentication required") || m.Contains("401") || m.Contains("no basic auth credentials"))
            return PushFailureKind.Unauthorized;
        if (m.Contains("denied") || m.Contains("forbidden") || m.Contains(" 403"))
            return PushFailureKind.Denied;
        if (m.Contains("name unknown") || m.Contains("not found") || m.Contains(" 404"))
            return PushFailureKind.NotFound;
        if (m.Contains("429") || m.Contains("too many requests") || m.Contains(" 500") || m.Contains(" 502") || m.Contains(" 503") || m.Contains(" 504")
            || m.Contains("service unavailable") || m.Contains("bad gateway") || m.Contains("internal server error") || m.Contains("gateway timeout")
            || m.Contains("connection reset") || m.Contains("broken pipe") || m.Contains("eof") || m.Contains("connection refused") || m.Contains("i/o timeout"))
            return PushFailureKind.Transient;
        return PushFailureKind.Other;
    }
}
