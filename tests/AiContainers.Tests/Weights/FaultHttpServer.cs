using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace AiContainers.Tests.Weights;

/// <summary>A request line and its Range header, as the fault server read them.</summary>
internal sealed record FaultRequest(string Path, long? RangeFrom);

/// <summary>
/// A raw HTTP/1.1 server on loopback for fault injection, with TLS (a certificate made at start) so https://
/// model sources can be served: each handler writes the response bytes itself (an endless chunked body, a
/// body that stops short, a stall, a redirect to plain http), which no well-behaved server framework allows.
/// One request per connection, closed after the handler returns.
/// </summary>
internal sealed class FaultHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2? _certificate;
    private readonly Func<FaultRequest, Stream, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public FaultHttpServer(Func<FaultRequest, Stream, CancellationToken, Task> handler, bool tls = true)
    {
        _handler = handler;
        _certificate = tls ? SelfSigned() : null;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = Task.Run(AcceptLoop);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public Uri Url(string path) => new($"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}/{path.TrimStart('/')}");
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Accepts exactly this server's certificate (pinning it), as a private CA would be trusted.</summary>
    public bool Trusts(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        => certificate is not null && _certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString();

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Re-import so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(_certificate);
                    stream = ssl;
                }
                await using (stream)
                {
                    var request = await ReadRequest(stream);
                    if (request is null) return;
                    Interlocked.Increment(ref _requests);
                    await _handler(request, stream, _stop.Token);
                    await stream.FlushAsync();
                }
            }
            catch (Exception) { /* the client went away: that is what most faults are about */ }
        }
    }

    private static async Task<FaultRequest?> ReadRequest(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0) return null;
            head.Append((char)one[0]);
        }
        var lines = head.ToString().Split("\r\n");
        var path = lines[0].Split(' ')[1];
        long? from = null;
        foreach (var line in lines)
            if (line.StartsWith("Range: bytes=", StringComparison.OrdinalIgnoreCase))
                from = long.Parse(line["Range: bytes=".Length..].Split('-')[0]);
        return new FaultRequest(path, from);
    }

    public static Task WriteHead(Stream stream, string head) => stream.WriteAsync(Encoding.ASCII.GetBytes(head.Replace("\n", "\r\n") + "\r\n")).AsTask();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _certificate?.Dispose();
    }
}
