using System.Net;
using System.Net.Sockets;

namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// A loopback HTTP proxy in front of the real registry that injects faults (fault injection is the
/// one place a fake belongs): requests matching a predicate get a chosen status a number of times,
/// everything else is forwarded unchanged, Host header included, so the registry's upload Location
/// URLs point back through the proxy.
/// </summary>
internal sealed class RegistryFaultProxy : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream;
    private readonly string _upstreamBase;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private Func<HttpListenerRequest, bool> _faultWhen = _ => false;
    private int _faultsLeft;
    private HttpStatusCode _faultStatus;
    private Func<HttpListenerContext, Task>? _faultResponse;

    public RegistryFaultProxy(string upstreamHostPort)
    {
        _upstreamBase = "http://" + upstreamHostPort;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromMinutes(5) };
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string HostPort => $"127.0.0.1:{Port}";
    public int FaultsInjected { get; private set; }
    public List<string> Requests { get; } = new();

    public void FailNext(int count, HttpStatusCode status, Func<HttpListenerRequest, bool> when)
    {
        _faultWhen = when;
        _faultsLeft = count;
        _faultStatus = status;
        _faultResponse = null;
    }

    /// <summary>Like <see cref="FailNext"/>, but <paramref name="respond"/> writes the whole answer (headers, an HTML body, a cut connection).</summary>
    public void RespondNext(int count, Func<HttpListenerRequest, bool> when, Func<HttpListenerContext, Task> respond)
    {
        _faultWhen = when;
        _faultsLeft = count;
        _faultResponse = respond;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        lock (Requests) Requests.Add($"{request.HttpMethod} {request.RawUrl}");
        try
        {
            bool fault;
            lock (Requests)
            {
                fault = _faultsLeft > 0 && _faultWhen(request);
                if (fault) { _faultsLeft--; FaultsInjected++; }
            }
            if (fault && _faultResponse is { } respond)
            {
                await respond(context);
                return;
            }
            if (fault)
            {
                // Drain the body so the client sees the status rather than a reset.
                await request.InputStream.CopyToAsync(Stream.Null);
                context.Response.StatusCode = (int)_faultStatus;
                context.Response.Close();
                return;
            }

            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), _upstreamBase + request.RawUrl);
            if (request.HasEntityBody || request.ContentLength64 > 0)
            {
                forward.Content = new StreamContent(request.InputStream);
                if (request.ContentType is { } type) forward.Content.Headers.TryAddWithoutValidation("Content-Type", type);
                if (request.ContentLength64 >= 0) forward.Content.Headers.ContentLength = request.ContentLength64;
            }
            foreach (string name in request.Headers)
            {
                if (name is "Host" or "Content-Length" or "Content-Type" or "Transfer-Encoding" or "Connection") continue;
                forward.Headers.TryAddWithoutValidation(name, request.Headers.GetValues(name)!);
            }
            forward.Headers.Host = HostPort;
            using var response = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (header.Key is "Transfer-Encoding" or "Connection") continue;
                if (header.Key == "Content-Length") { context.Response.ContentLength64 = long.Parse(header.Value.First()); continue; }
                foreach (var value in header.Value) context.Response.AppendHeader(header.Key, value);
            }
            await using (var body = await response.Content.ReadAsStreamAsync())
                await body.CopyToAsync(context.Response.OutputStream);
            context.Response.Close();
        }
        catch (Exception)
        {
            try { context.Response.Abort(); } catch (Exception) { /* the client went away */ }
        }
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
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        _upstream.Dispose();
    }
}
