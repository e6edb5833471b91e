using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// A real registry (Debian's docker-registry, distribution 2.8) configured for TOKEN auth, with an
/// in-process token service in front of it, the way Docker Hub, GHCR and ACR split the two. The
/// service checks Basic credentials (or an OAuth2 refresh token), grants the intersection of the
/// requested scope and the user's rights, and signs an RS256 JWT with a key whose self-signed
/// certificate is made here and written as the registry's rootcertbundle (the certificate travels in
/// the JWT's x5c header, which registry 2.8 verifies against the bundle). The token service is the
/// only fake: it stands in for an identity provider; the registry enforcing the tokens is real.
/// </summary>
internal sealed class TokenAuthRegistry : IDisposable
{
    public const string Service = "aic-test-registry";
    public const string Issuer = "aic-test-issuer";

    private readonly string _directory;
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly Process _registry;
    private readonly Dictionary<string, (string Password, (string Repository, string[] Actions)[] Rights)> _users = new();
    private readonly Dictionary<string, string> _refreshTokens = new();

    /// <summary>Every token request: the authenticated user (null when anonymous), how it was asked, the scopes asked and the access granted.</summary>
    public List<TokenRequest> Requests { get; } = new();

    public sealed record TokenRequest(string? User, string Method, IReadOnlyList<string> Scopes, IReadOnlyList<string> Granted);

    public TokenAuthRegistry()
    {
        _directory = Path.Combine(Path.GetTempPath(), "aic-token-registry-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);

        var request = new CertificateRequest("CN=" + Issuer, _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var bundle = Path.Combine(_directory, "root.pem");
        File.WriteAllText(bundle, _certificate.ExportCertificatePem());

        TokenPort = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{TokenPort}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);

        Port = FreePort();
        var config = Path.Combine(_directory, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log: {"{"} level: info, formatter: text {"}"}
            storage:
              filesystem: {"{"} rootdirectory: {_directory}/data {"}"}
              delete: {"{"} enabled: true {"}"}
            http:
              addr: 127.0.0.1:{Port}
              secret: {Convert.ToHexString(RandomNumberGenerator.GetBytes(16))}
            auth:
              token:
                realm: http://127.0.0.1:{TokenPort}/token
                service: {Service}
                issuer: {Issuer}
                rootcertbundle: {bundle}
            """);
        LogPath = Path.Combine(_directory, "registry.log");
        var start = new ProcessStartInfo("docker-registry")
        {
            ArgumentList = { "serve", config },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _registry = Process.Start(start) ?? throw new InvalidOperationException("docker-registry did not start");
        var log = new StreamWriter(LogPath) { AutoFlush = true };
        _registry.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _registry.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _registry.BeginOutputReadLine();
        _registry.BeginErrorReadLine();
        WaitUntilReady();
    }

    public int Port { get; }
    public int TokenPort { get; }
    public string HostPort => $"127.0.0.1:{Port}";
    public string LogPath { get; }

    /// <summary>What the registry printed (one line per request at level info).</summary>
    public string Log { get { try { using var s = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); return new StreamReader(s).ReadToEnd(); } catch (IOException) { return ""; } } }

    /// <summary>A user and its rights: (repository, actions) pairs, where repository "*" means any.</summary>
    public void AddUser(string user, string password, params (string Repository, string Actions)[] rights)
    {
        lock (_users) _users[user] = (password, rights.Select(r => (r.Repository, r.Actions.Split(','))).ToArray());
    }

    /// <summary>An identity token (what `docker login` stores as identitytoken) exchanged for access tokens by the OAuth2 POST.</summary>
    public void AddRefreshToken(string refreshToken, string user)
    {
        lock (_users) _refreshTokens[refreshToken] = user;
    }

    private void WaitUntilReady()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_registry.HasExited) throw new InvalidOperationException($"docker-registry exited with {_registry.ExitCode}:\n{Log}");
            try
            {
                using var response = http.GetAsync($"http://{HostPort}/v2/").GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"docker-registry on {HostPort} did not answer within 15 s:\n{Log}");
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Handle(context));
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var request = context.Request;
            string? user = null;
            IReadOnlyList<string> scopes;
            string? service;
            if (request.HttpMethod == "POST")
            {
                // OAuth2: grant_type=refresh_token&refresh_token=...&service=...&scope=a b
                var form = ParseQuery(new StreamReader(request.InputStream).ReadToEnd());
                service = form.GetValueOrDefault("service")?.FirstOrDefault();
                scopes = (form.GetValueOrDefault("scope")?.FirstOrDefault() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                lock (_users)
                {
                    if (form.GetValueOrDefault("grant_type")?.FirstOrDefault() != "refresh_token"
                        || form.GetValueOrDefault("refresh_token")?.FirstOrDefault() is not { } refresh || !_refreshTokens.TryGetValue(refresh, out user))
                    {
                        Answer(response, 401, "{\"error\":\"invalid_grant\"}");
                        return;
                    }
                }
            }
            else
            {
                var query = ParseQuery(request.Url!.Query.TrimStart('?'));
                service = query.GetValueOrDefault("service")?.FirstOrDefault();
                scopes = query.GetValueOrDefault("scope") ?? new List<string>();
                if (request.Headers["Authorization"] is { } authorization)
                {
                    if (!authorization.StartsWith("Basic ", StringComparison.Ordinal)) { Answer(response, 401, "{\"details\":\"Basic auth expected\"}"); return; }
                    var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..]));
                    var colon = pair.IndexOf(':');
                    var (name, password) = (pair[..colon], pair[(colon + 1)..]);
                    lock (_users)
                    {
                        if (!_users.TryGetValue(name, out var known) || known.Password != password)
                        {
                            Answer(response, 401, "{\"details\":\"incorrect username or password\"}");
                            return;
                        }
                    }
                    user = name;
                }
            }
            if (service != Service) { Answer(response, 400, "{\"details\":\"unknown service\"}"); return; }

            var access = new List<object>();
            var granted = new List<string>();
            foreach (var scope in scopes.SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            {
                var parts = scope.Split(':');
                if (parts.Length != 3 || parts[0] != "repository") continue;
                var actions = parts[2].Split(',').Where(a => Allowed(user, parts[1], a)).ToArray();
                // Like Docker Hub: asking for more than allowed is not an error; the token just carries less.
                access.Add(new { type = "repository", name = parts[1], actions });
                granted.Add($"repository:{parts[1]}:{string.Join(',', actions)}");
            }
            lock (Requests) Requests.Add(new TokenRequest(user, request.HttpMethod, scopes.ToList(), granted));

            var token = Sign(user ?? "", access);
            Answer(response, 200, JsonSerializer.Serialize(new { token, access_token = token, expires_in = 300, issued_at = DateTime.UtcNow.ToString("o") }));
        }
        catch (Exception e)
        {
            try { Answer(response, 500, JsonSerializer.Serialize(new { details = e.Message })); } catch (Exception) { /* client gone */ }
        }
    }

    private bool Allowed(string? user, string repository, string action)
    {
        if (user is null) return false;
        lock (_users)
        {
            return _users.TryGetValue(user, out var known)
                && known.Rights.Any(r => (r.Repository == "*" || r.Repository == repository) && r.Actions.Contains(action));
        }
    }

    private string Sign(string subject, List<object> access)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new { typ = "JWT", alg = "RS256", x5c = new[] { Convert.ToBase64String(_certificate.RawData) } });
        var claims = JsonSerializer.SerializeToUtf8Bytes(new
        {
            iss = Issuer,
            sub = subject,
            aud = Service,
            exp = now + 300,
            nbf = now - 10,
            iat = now,
            jti = Guid.NewGuid().ToString("N"),
            access,
        });
        var signingInput = B64(header) + "." + B64(claims);
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + B64(signature);
    }

    private static Dictionary<string, List<string>> ParseQuery(string query)
    {
        var result = new Dictionary<string, List<string>>();
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            if (!result.TryGetValue(key, out var list)) result[key] = list = new List<string>();
            list.Add(value);
        }
        return result;
    }

    private static void Answer(HttpListenerResponse response, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        try
        {
            if (!_registry.HasExited) { _registry.Kill(); _registry.WaitForExit(5000); }
        }
        catch (InvalidOperationException) { /* already gone */ }
        _registry.Dispose();
        _listener.Stop();
        _listener.Close();
        _key.Dispose();
        _certificate.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
