using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Net;
using AiContainers.Core.Registry;

namespace AiContainers.Core.Oci.Registry;

/// <summary>What a request needs access to: token scopes (<c>repository:name:actions</c>) and whose credentials to use.</summary>
internal sealed record AuthScope(IReadOnlyList<string> Scopes, CredentialPurpose Purpose)
{
    public static AuthScope None { get; } = new(Array.Empty<string>(), CredentialPurpose.Pull);
    public static AuthScope Pull(string repository) => new(new[] { $"repository:{repository}:pull" }, CredentialPurpose.Pull);
    public static AuthScope Push(string repository) => new(new[] { $"repository:{repository}:pull,push" }, CredentialPurpose.Push);
    public static AuthScope Mount(string repository, string from) => new(new[] { $"repository:{repository}:pull,push", $"repository:{from}:pull" }, CredentialPurpose.Push);

    /// <summary>Tokens are cached per this key (and per credential purpose, which picks the account).</summary>
    public string Key => Purpose + " " + string.Join(' ', Scopes);
}

/// <summary>
/// Registry authentication as the distribution spec and Docker Hub, GHCR, ACR and ECR do it: the first
/// 401's <c>WWW-Authenticate</c> challenge says Basic (send the credentials on every request) or Bearer
/// (get a token from the realm for the service and scope, cache it per scope until it expires). Basic
/// credentials go on the token GET as Basic auth; an identity token is exchanged with an OAuth2
/// <c>grant_type=refresh_token</c> POST. Secrets and tokens are never logged or put in messages.
/// </summary>
internal sealed class RegistryAuthenticator
{
    private readonly RegistryEndpoint _endpoint;
    private readonly RegistryCredentialStore _credentials;
    private readonly HttpClient _http;
    private readonly IAiLog _log;
    private readonly ConcurrentDictionary<CredentialPurpose, Lazy<RegistryCredential?>> _found = new();
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new();
    private volatile RegistryChallenge? _challenge;

    private sealed record CachedToken(string Token, DateTimeOffset Expires, RegistryCredential? Credential);

    public RegistryAuthenticator(RegistryEndpoint endpoint, RegistryCredentialStore credentials, HttpClient http, IAiLog log)
    {
        _endpoint = endpoint;
        _credentials = credentials;
        _http = http;
        _log = log;
    }

    /// <summary>How many tokens were fetched from the realm (tests assert the per-scope cache with it).</summary>
    public int TokensFetched;

    public RegistryCredential? Credential(CredentialPurpose purpose)
        => _found.GetOrAdd(purpose, p => new Lazy<RegistryCredential?>(() => _credentials.Find(_endpoint.Registry, p))).Value;

    public string ConfigPath => _credentials.ConfigPath;

    /// <summary>Puts the Authorization header a learned challenge calls for; returns whose credential it carries.</summary>
    public async Task<RegistryCredential?> ApplyAsync(HttpRequestMessage request, AuthScope scope, CancellationToken cancellationToken)
    {
        var challenge = _challenge;
        if (challenge is null) return null;
        if (challenge.IsBasic)
        {
            var credential = Credential(scope.Purpose);
            if (credential is null || credential.IsIdentityToken) return null;
            request.Headers.Authorization = BasicHeader(credential);
            return credential;
        }
        var token = await TokenAsync(challenge, scope, cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        return token.Credential;
    }

    /// <summary>Learns the scheme of a 401's challenge and drops the token that was refused, so the next <see cref="ApplyAsync"/> fetches a fresh one.</summary>
    public void Accept(RegistryChallenge challenge, AuthScope scope)
    {
        if (!challenge.IsBasic && !challenge.IsBearer)
            throw new AiException(AiErrors.RegistryTokenFailed, null, "(none)", _endpoint.Registry, string.Join(' ', scope.Scopes), $"the registry asks for the unsupported authentication scheme '{challenge.Scheme}'");
        if (challenge.IsBearer && string.IsNullOrEmpty(challenge.Realm))
            throw new AiException(AiErrors.RegistryTokenFailed, null, "(none)", _endpoint.Registry, string.Join(' ', scope.Scopes), "its Bearer challenge names no realm");
        _challenge = challenge;
        _tokens.TryRemove(scope.Key, out _);
    }

    public bool Knows => _challenge is not null;

    private async Task<CachedToken> TokenAsync(RegistryChallenge challenge, AuthScope scope, CancellationToken cancellationToken)
    {
        if (_tokens.TryGetValue(scope.Key, out var cached) && cached.Expires > DateTimeOffset.UtcNow) return cached;
        var credential = Credential(scope.Purpose);
        var realm = new Uri(challenge.Realm!);
        var scopeText = string.Join(' ', scope.Scopes);

        using var request = new HttpRequestMessage();
        if (credential is { IsIdentityToken: true })
        {
            // OAuth2 refresh-token grant, as docker does with an identity token from `docker login`.
            request.Method = HttpMethod.Post;
            request.RequestUri = realm;
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"),
                new("refresh_token", credential.Secret),
                new("client_id", "aicontainers"),
            };
            if (challenge.Service is { } service) form.Add(new("service", service));
            if (scopeText.Length > 0) form.Add(new("scope", scopeText));
            request.Content = new FormUrlEncodedContent(form);
        }
        else
        {
            var query = new StringBuilder(realm.Query.TrimStart('?'));
            void Add(string key, string value) => query.Append(query.Length > 0 ? "&" : "").Append(key).Append('=').Append(Uri.EscapeDataString(value));
            if (challenge.Service is { } service) Add("service", service);
            foreach (var s in scope.Scopes) Add("scope", s);
            if (credential is not null) Add("account", credential.Username);
            request.Method = HttpMethod.Get;
            request.RequestUri = new UriBuilder(realm) { Query = query.ToString() }.Uri;
            if (credential is not null) request.Headers.Authorization = BasicHeader(credential);
        }

        HttpResponseMessage response;
        try { response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false); }
        catch (HttpRequestException e) when (RegistryClient.IsUnreachable(e))
        {
            throw new AiException(AiErrors.RegistryTokenFailed.Create(null, realm.GetLeftPart(UriPartial.Path), _endpoint.Registry, scopeText, RegistryClient.Describe(e)), e);
        }
        using (response)
        {
            Interlocked.Increment(ref TokensFetched);
            if (RetryPolicy.IsTransient(response.StatusCode))
                throw new RetryableException($"token service answered {(int)response.StatusCode}", RetryPolicy.RetryAfterOf(response));
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw CredentialError(credential, scope, scopeText);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new AiException(AiErrors.RegistryTokenFailed, null, realm.GetLeftPart(UriPartial.Path), _endpoint.Registry, scopeText, $"it answered {(int)response.StatusCode} {response.ReasonPhrase}");
            string? token = null;
            var expiresIn = 60;
            try
            {
                using var json = JsonDocument.Parse(body);
                var root = json.RootElement;
                if (root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String) token = t.GetString();
                if (string.IsNullOrEmpty(token) && root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String) token = a.GetString();
                if (root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0) expiresIn = seconds;
            }
            catch (JsonException) { }
            if (string.IsNullOrEmpty(token))
                throw new AiException(AiErrors.RegistryTokenFailed, null, realm.GetLeftPart(UriPartial.Path), _endpoint.Registry, scopeText,
                    $"its answer ({response.Content.Headers.ContentType?.MediaType ?? "no content type"}) has no token");
            // Renew a little early so a token never expires between being applied and being checked.
            var entry = new CachedToken(token, DateTimeOffset.UtcNow.AddSeconds(Math.Max(1, expiresIn - 10)), credential);
            _tokens[scope.Key] = entry;
            _log.Message(AiLogLevel.Detail, $"Registry {_endpoint.Registry}: token for '{scopeText}' ({(credential is null ? "anonymous" : "as " + credential)})");
            return entry;
        }
    }

    /// <summary>
    /// The coded error for a refused login, the same for both builders (the credential store words it): none found
    /// (AIC4100, with every source looked at) or refused (AIC4001, which account and source, never the secret).
    /// </summary>
    public AiException CredentialError(RegistryCredential? credential, AuthScope scope, string what)
        => _credentials.Unauthorized(_endpoint.Registry, what, scope.Purpose, credential);

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential credential)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Username + ":" + credential.Secret)));
}
