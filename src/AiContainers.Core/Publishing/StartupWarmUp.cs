using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.Net;
using AiContainers.Core.Oci;
using AiContainers.Core.Oci.Registry;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Publishing;

/// <summary>
/// While the compiler runs (in its server process, the MSBuild process waiting on it), runs on a background thread
/// the code paths the image steps take for the first time in a fresh MSBuild process: the spec's JSON contract, the
/// templates, the layer writer's tar, gzip and SHA-256, and the HTTP stack. Measured on a code-change publish, that
/// first-use work (the runtime compiling code the ReadyToRun images cannot hold, e.g. generics over framework types)
/// was most of what the image steps added: serializing the spec took 165 ms the first time and 0 ms the second.
/// It touches no network but a loopback socket it opens itself, writes no file, logs nothing, and every failure is
/// ignored: the tasks after it do the real work either way.
/// </summary>
public static class StartupWarmUp
{
    private static int _started;

    /// <summary>Starts once per process; <paramref name="specFile"/> is the previous publish's spec.json, if any.</summary>
    public static void Start(string? specFile)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) return;
        _ = Task.Run(() => Run(specFile));
    }

    /// <summary>Runs every step; returns the failures (ignored in a build, where the real steps report their own).</summary>
    internal static IReadOnlyList<Exception> Run(string? specFile)
    {
        var failures = new List<Exception>();
        void Try(Action step)
        {
            try { step(); }
            catch (Exception e) { failures.Add(e); }
        }
        Try(() =>
        {
            if (specFile is not null && File.Exists(specFile)) AiImageSpecJson.Serialize(AiImageSpecJson.Read(specFile));
        });
        Try(TemplateRenderer.ParseAll);
        Try(WriteSmallLayer);
        Try(() => PingLoopbackAsync().GetAwaiter().GetResult());
        return failures;
    }

    /// <summary>A one-file gzip layer into nowhere: the same tar, deflate and hash code a layer write runs.</summary>
    private static void WriteSmallLayer()
    {
        using var hash = new HashingWriteStream(Stream.Null, leaveOpen: true);
        using (var gzip = new DeterministicGzipStream(hash, System.IO.Compression.CompressionLevel.Optimal))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var entry = new UstarTarEntry(TarEntryType.RegularFile, "app/warm-up.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes("warm-up")),
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            tar.WriteEntry(entry);
        }
        _ = hash.Digest;
    }

    /// <summary>GET /v2/ against a registry stand-in on a loopback port of its own, through the registry client.</summary>
    private static async Task PingLoopbackAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(timeout.Token).ConfigureAwait(false);
            var buffer = new byte[4096];
            var request = new StringBuilder();
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (n == 0) return;
                request.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            var response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
            await socket.SendAsync(Encoding.ASCII.GetBytes(response), SocketFlags.None, timeout.Token).ConfigureAwait(false);
        });
        using var client = new RegistryClient($"127.0.0.1:{port}", new RegistryCredentialStore(_ => null), NullAiLog.Instance, RetryPolicy.Fast(1));
        await client.PingAsync(timeout.Token).ConfigureAwait(false);
        await serving.ConfigureAwait(false);
    }
}
