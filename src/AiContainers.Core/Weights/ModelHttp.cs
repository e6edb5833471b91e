using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Weights;

/// <summary>What the Hub said on the first hop of a download, before any redirect to a CDN.</summary>
internal sealed record HubHeaders(string? RepoCommit, string? LinkedEtag, string? ErrorCode, string? ErrorMessage);

/// <summary>
/// The one HttpClient of a fetch. Follows redirects itself so HF_TOKEN goes only to HF_ENDPOINT's
/// own origin (a CDN redirect never sees it), retries transient failures with bounded exponential
/// backoff honouring Retry-After, and turns refusals into coded errors.
/// </summary>
internal sealed class ModelHttp : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient _client;

    public ModelHttp(HubSettings hub, FetchOptions options)
    {
        Hub = hub;
        Options = options;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            UseCookies = false,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public HubSettings Hub { get; }
    public FetchOptions Options { get; }

    public void Dispose() => _client.Dispose();

    /// <summary>One GET (following redirects), no retries. The response is returned whatever its status.</summary>
    public async Task<(HttpResponseMessage Response, HubHeaders Headers)> GetOnceAsync(Uri url, long rangeFrom, CancellationToken cancellationToken)
    {
        HubHeaders? first = null;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.UserAgent.ParseAdd(Options.UserAgent);
            request.Headers.AcceptEncoding.ParseAdd("identity");
            if (Hub.Token is { } token && SameOrigin(url, Hub.Endpoint))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (rangeFrom > 0) request.Headers.Range = new RangeHeaderValue(rangeFrom, null);

            var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            first ??= new HubHeaders(Header(response, "X-Repo-Commit"), Header(response, "X-Linked-Etag")?.Trim('"'), Header(response, "X-Error-Code"), Header(response, "X-Error-Message"));
            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location && hop < MaxRedirects)
            {
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                response.Dispose();
                continue;
            }
            return (response, first);
        }
    }

    /// <summary>
    /// GET with retries for 5xx, 429, 408 and connection failures. Returns the first response that is
    /// a success (or 416, which a resumed download interprets); throws a coded error for any refusal.
    /// </summary>
    public async Task<(HttpResponseMessage Response, HubHeaders Headers)> GetAsync(Uri url, long rangeFrom, RequestContext context, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage response;
            HubHeaders headers;
            try
            {
                (response, headers) = await GetOnceAsync(url, rangeFrom, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                if (attempt >= Options.MaxAttempts) throw context.Failed(attempt, Describe(e), e);
                await Task.Delay(Backoff(attempt, null), cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                return (response, headers);
            using (response)
            {
                if (!IsTransient(response.StatusCode)) throw context.Refused(response, headers, this);
                if (attempt >= Options.MaxAttempts) throw context.Failed(attempt, StatusText(response), null);
                await Task.Delay(Backoff(attempt, response), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static bool IsTransient(HttpStatusCode status) => (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;

    /// <summary>Connection resets, refused connections, truncated bodies and stalls; never the caller's own cancellation.</summary>
    public static bool IsTransient(Exception e, CancellationToken cancellationToken)
        => e is HttpRequestException or IOException or SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>Retry-After (seconds or a date) when the server sent one, else 1 s, 2 s, 4 s… up to MaxBackoff.</summary>
    public TimeSpan Backoff(int attempt, HttpResponseMessage? response)
    {
        if (response?.Headers.RetryAfter is { } retryAfter)
        {
            var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
            if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
            return wait > Options.MaxRetryAfter ? Options.MaxRetryAfter : wait;
        }
        var exponential = Options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        return TimeSpan.FromMilliseconds(Math.Min(exponential, Options.MaxBackoff.TotalMilliseconds));
    }

    public static bool SameOrigin(Uri a, Uri b)
        => string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    public static string StatusText(HttpResponseMessage response)
        => ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture) + " " + (response.ReasonPhrase is { Length: > 0 } reason ? reason : response.StatusCode.ToString());

    /// <summary>Server-provided text goes into messages only with the token scrubbed out, whatever the server echoes.</summary>
    public string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        return Hub.Token is { } token ? text.Replace(token, "***", StringComparison.Ordinal) : text;
    }

    public string Describe(Exception e)
        => Scrub(e is OperationCanceledException ? "no data arrived for " + Options.StallTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s" : e.InnerException is { } inner ? e.Message + " (" + inner.Message + ")" : e.Message);

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

/// <summary>Who a request is for, so failures become the right coded error.</summary>
/// <param name="What">What is fetched, for messages: a URL without query, or repo/path.</param>
/// <param name="Repository">hf:// repo id; null for an https:// source.</param>
/// <param name="Detail404">hf://: what a 404 most likely means for this request.</param>
internal sealed record RequestContext(string Model, string What, string? Repository, string? Detail404 = null)
{
    public AiException Failed(int attempts, string reason, Exception? inner)
        => new(AiErrors.ModelDownloadFailed.Create(ModelSpecMapper.Property, What, Model, attempts, reason), inner);

    public AiException Refused(HttpResponseMessage response, HubHeaders headers, ModelHttp http)
    {
        var status = (int)response.StatusCode;
        var origin = http.Hub.Base;
        if (Repository is null)
            return new AiException(AiErrors.ModelSourceRefused, ModelSpecMapper.Property, What, ModelHttp.StatusText(response), Model);
        return status switch
        {
            401 => new AiException(AiErrors.HfUnauthorized, "HF_TOKEN", origin, Model, Repository, http.Hub.HasToken ? "set but not accepted" : "not set"),
            403 => new AiException(AiErrors.HfForbidden, "HF_TOKEN", origin, Model, Repository,
                headers.ErrorMessage is { Length: > 0 } m ? ": " + http.Scrub(m).TrimEnd('.') : http.Hub.HasToken ? "" : " and HF_TOKEN is not set"),
            404 => new AiException(AiErrors.HfNotFound, ModelSpecMapper.Property, origin, Model, headers.ErrorCode switch
            {
                "RepoNotFound" => $"repository '{Repository}' does not exist (or is private and HF_TOKEN is {(http.Hub.HasToken ? "not for an account that can see it" : "not set")})",
                "RevisionNotFound" => $"the revision is not in '{Repository}'",
                "EntryNotFound" => $"{What} is not in '{Repository}' at that commit",
                _ => Detail404 ?? What + " was not found",
            }),
            _ => new AiException(AiErrors.ModelSourceRefused, ModelSpecMapper.Property, origin + " (" + What + ")", ModelHttp.StatusText(response), Model),
        };
    }
}
