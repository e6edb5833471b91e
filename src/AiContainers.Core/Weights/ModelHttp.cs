using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Net;

namespace AiContainers.Core.Weights;

/// <summary>What the Hub said on the first hop of a download, before any redirect to a CDN.</summary>
internal sealed record HubHeaders(string? RepoCommit, string? LinkedEtag, string? ErrorCode, string? ErrorMessage);

/// <summary>
/// The one HttpClient of a fetch. Follows redirects itself so HF_TOKEN goes only to HF_ENDPOINT's
/// own origin (a CDN redirect never sees it), retries transient failures with the package's one
/// <see cref="RetryPolicy"/> (bounded attempts and time, Retry-After honoured), and turns refusals into coded errors.
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
        if (options.ServerCertificateValidation is { } validation) handler.SslOptions.RemoteCertificateValidationCallback = validation;
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public HubSettings Hub { get; }
    public FetchOptions Options { get; }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// One GET (following redirects), no retries. The response is returned whatever its status. Headers
    /// that do not arrive within the stall timeout end the attempt (<see cref="DownloadStalledException"/>);
    /// a redirect from https to plain http is refused (AIC5104), since it would let anyone on the path
    /// substitute the download (and the token-free CDN hop makes that invisible otherwise).
    /// </summary>
    public async Task<(HttpResponseMessage Response, HubHeaders Headers)> GetOnceAsync(Uri url, long rangeFrom, RequestContext context, CancellationToken cancellationToken)
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

            HttpResponseMessage response;
            using (var headersWait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                headersWait.CancelAfter(Options.StallTimeout);
                try
                {
                    response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headersWait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new DownloadStalledException(Options.StallTimeout, e);
                }
            }
            first ??= new HubHeaders(Header(response, "X-Repo-Commit"), Header(response, "X-Linked-Etag")?.Trim('"'), Header(response, "X-Error-Code"), Header(response, "X-Error-Message"));
            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location && hop < MaxRedirects)
            {
                var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                response.Dispose();
                if (url.Scheme == Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttps)
                    throw new AiException(AiErrors.InsecureModelRedirect, ModelSpecMapper.Property, context.What, context.Model, ModelSpecMapper.RedactedUrl(next.AbsoluteUri));
                url = next;
                continue;
            }
            return (response, first);
        }
    }

    /// <summary>
    /// One attempt for <see cref="RetryPolicy"/>: a success (or 416, which a resumed download interprets)
    /// is returned; 5xx, 429 and 408 become <see cref="RetryableException"/> with the server's Retry-After;
    /// any other status is a coded refusal.
    /// </summary>
    public async Task<(HttpResponseMessage Response, HubHeaders Headers)> GetAttemptAsync(Uri url, long rangeFrom, RequestContext context, CancellationToken cancellationToken)
    {
        var (response, headers) = await GetOnceAsync(url, rangeFrom, context, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            return (response, headers);
        using (response)
        {
            if (!RetryPolicy.IsTransient(response.StatusCode)) throw context.Refused(response, headers, this);
            throw new RetryableException(StatusText(response), RetryPolicy.RetryAfterOf(response));
        }
    }

    /// <summary>GET with the package's retry policy; throws a coded error for a refusal or when the budget is spent.</summary>
    public async Task<(HttpResponseMessage Response, HubHeaders Headers)> GetAsync(Uri url, long rangeFrom, RequestContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await Options.Retry.ExecuteAsync((_, token) => GetAttemptAsync(url, rangeFrom, context, token), Classify, cancellationToken).ConfigureAwait(false);
        }
        catch (RetryBudgetExhaustedException e)
        {
            throw Exhausted(context, e);
        }
    }

    /// <summary>Connection resets, refused connections, truncated bodies and stalls are retried; the caller's cancellation and coded errors never.</summary>
    public static RetryVerdict Classify(Exception e)
        => e is HttpRequestException or IOException or SocketException ? RetryVerdict.Retry : RetryVerdict.Fail;

    /// <summary>The coded error for a spent retry budget: AIC5103 when the last attempt stalled, else AIC5023.</summary>
    public AiException Exhausted(RequestContext context, RetryBudgetExhaustedException e)
    {
        var last = e.InnerException is RetryableException { InnerException: { } cause } ? cause : e.InnerException;
        if (last is DownloadStalledException stalled)
            return new AiException(AiErrors.DownloadStalled.Create(ModelSpecMapper.Property, context.What, context.Model,
                stalled.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), e.Attempts), e);
        return context.Failed(e.Attempts, last is null ? Scrub(e.Message) : Describe(last), e);
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
        => Scrub(e is DownloadStalledException or RetryableException ? e.Message : e.InnerException is { } inner ? e.Message + " (" + inner.Message + ")" : e.Message);

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

/// <summary>No byte (or no response headers) arrived for the stall timeout; retryable, AIC5103 when it keeps happening.</summary>
internal sealed class DownloadStalledException : IOException
{
    public DownloadStalledException(TimeSpan timeout, Exception? inner = null)
        : base("no data arrived for " + timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s", inner) => Timeout = timeout;

    public TimeSpan Timeout { get; }
}
