using AiContainers.Core.Diagnostics;
using AiContainers.Core.Net;

namespace AiContainers.Core.Weights;

/// <summary>
/// The Hugging Face environment, read as huggingface_hub reads it: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE.
/// A class rather than a record so no generated ToString or equality ever prints the token.
/// </summary>
public sealed class HubSettings
{
    public const string DefaultEndpoint = "https://huggingface.co";

    public HubSettings(Uri endpoint, string? token, bool offline)
    {
        Endpoint = endpoint;
        Token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        Offline = offline;
    }

    public Uri Endpoint { get; }

    /// <summary>Sent only as "Authorization: Bearer" to <see cref="Endpoint"/>'s own origin; never logged or written.</summary>
    internal string? Token { get; }

    public bool HasToken => Token is not null;
    public bool Offline { get; }

    public static HubSettings FromEnvironment(Func<string, string?> environment)
    {
        var endpointText = environment("HF_ENDPOINT");
        endpointText = string.IsNullOrWhiteSpace(endpointText) ? DefaultEndpoint : endpointText.Trim().TrimEnd('/');
        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
            throw new AiException(AiErrors.InvalidHfEndpoint, "HF_ENDPOINT", endpointText);
        return new HubSettings(endpoint, environment("HF_TOKEN"), IsTrue(environment("HF_HUB_OFFLINE")));
    }

    /// <summary>huggingface_hub's truthy values: 1, ON, YES, TRUE in any case.</summary>
    public static bool IsTrue(string? value)
        => value is not null && value.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    /// <summary>The endpoint without a trailing slash, for building API URLs.</summary>
    internal string Base => Endpoint.AbsoluteUri.TrimEnd('/');

    public override string ToString() => $"HF_ENDPOINT={Base}, HF_TOKEN {(HasToken ? "set" : "unset")}, HF_HUB_OFFLINE={(Offline ? "1" : "0")}";
}

/// <summary>Knobs of the network side; the defaults suit real hubs, tests shrink the delays.</summary>
public sealed record FetchOptions
{
    /// <summary>
    /// The package's one retry policy: failures in a row (5xx, 429, resets, stalls, short bodies) before
    /// giving up, where an attempt that moved the file further than ever before resets the count, and a
    /// total time budget, so a server that always sends a short body cannot keep a build looping.
    /// </summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>AiModelStallTimeout: a response (headers or body) that delivers nothing for this long ends the attempt.</summary>
    public TimeSpan StallTimeout { get; init; } = DownloadLimits.Default.StallTimeout;

    /// <summary>AiModelMaxDownloadSize: the most a download of unannounced size may write (also bounded by free space).</summary>
    public long MaxDownloadSize { get; init; } = DownloadLimits.Default.MaxDownloadSize;

    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan LockPollInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    public int BufferSize { get; init; } = 1 << 20;
    public string UserAgent { get; init; } = "aicontainers/" + Spec.AiImageSpecMapper.GeneratorVersion;

    /// <summary>Trust for a private CA (a mirror's, a test server's); null uses the system's trust store.</summary>
    public System.Net.Security.RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>The defaults with the project's download limits.</summary>
    public static FetchOptions For(DownloadLimits? limits)
        => limits is null ? new FetchOptions() : new FetchOptions { StallTimeout = limits.StallTimeout, MaxDownloadSize = limits.MaxDownloadSize };
}
