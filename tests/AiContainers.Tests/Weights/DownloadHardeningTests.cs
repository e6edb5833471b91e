using System.Diagnostics;
using System.Security.Cryptography;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Net;
using AiContainers.Core.Weights;
using static AiContainers.Tests.Weights.WeightsFixture;

namespace AiContainers.Tests.Weights;

/// <summary>
/// Downloads against servers that misbehave on purpose (an endless body, a short body forever, a stall, a
/// redirect from https to http, a cancelled build): each ends in its coded error within a bounded time,
/// and no file sits in the cache under a final name unless it was verified.
/// </summary>
[TestClass]
public sealed class DownloadHardeningTests
{
    private static readonly byte[] Payload = RandomBytes(1 << 20, 7);
    private static readonly string PayloadSha = Convert.ToHexString(SHA256.HashData(Payload)).ToLowerInvariant();
    private WeightsFixture _f = null!;

    [TestInitialize] public void Start() => _f = new WeightsFixture();
    [TestCleanup] public void Stop() => _f.Dispose();

    private FetchOptions Options(FaultHttpServer server, TimeSpan? stall = null, long? cap = null, RetryPolicy? retry = null) => Fast with
    {
        ServerCertificateValidation = server.Trusts,
        StallTimeout = stall ?? TimeSpan.FromSeconds(20),
        MaxDownloadSize = cap ?? DownloadLimits.Default.MaxDownloadSize,
        Retry = retry ?? RetryPolicy.Fast(4, TimeSpan.FromSeconds(20)),
    };

    private async Task<(Exception Error, TimeSpan Elapsed)> FetchFails(FaultHttpServer server, FetchOptions options, CancellationToken cancellationToken, params (string Name, string Value)[] metadata)
    {
        var specs = _f.Specs(Model("w", server.Url("w.bin").ToString(), metadata));
        using var fetcher = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, options);
        var clock = Stopwatch.StartNew();
        try
        {
            await fetcher.FetchAsync(specs, cancellationToken);
        }
        catch (Exception e)
        {
            return (e, clock.Elapsed);
        }
        Assert.Fail("the download was expected to fail");
        throw new InvalidOperationException();
    }

    /// <summary>Nothing in blobs/ (the final names), and nothing left at all when <paramref name="noPartial"/>.</summary>
    private void AssertNothingComplete(bool noPartial)
    {
        Assert.IsFalse(_f.CacheFiles("blobs").Any(), "a file reached its final name: " + string.Join(", ", _f.CacheFiles("blobs")));
        if (noPartial) Assert.IsFalse(_f.CacheFiles("tmp").Any(f => !f.EndsWith(".lock", StringComparison.Ordinal)), "a partial file was left: " + string.Join(", ", _f.CacheFiles("tmp")));
    }

    private static async Task EndlessChunkedBody(FaultRequest request, Stream stream, CancellationToken stop)
    {
        await FaultHttpServer.WriteHead(stream, "HTTP/1.1 200 OK\nContent-Type: application/octet-stream\nTransfer-Encoding: chunked\nConnection: close\n");
        var chunk = new byte[64 << 10];
        var header = System.Text.Encoding.ASCII.GetBytes((chunk.Length).ToString("x") + "\r\n");
        while (!stop.IsCancellationRequested)
        {
            await stream.WriteAsync(header, stop);
            await stream.WriteAsync(chunk, stop);
            await stream.WriteAsync("\r\n"u8.ToArray(), stop);
        }
    }

    [TestMethod]
    public async Task An_endless_body_for_a_file_of_announced_Size_stops_at_that_size()
    {
        using var server = new FaultHttpServer(EndlessChunkedBody);
        var (error, elapsed) = await FetchFails(server, Options(server), CancellationToken.None, ("Sha256", PayloadSha), ("Size", Payload.Length.ToString()));
        Assert.AreEqual("AIC5101", ((AiException)error).Code, error.ToString());
        Assert.IsTrue(elapsed < TimeSpan.FromSeconds(15), $"took {elapsed}");
        Assert.AreEqual(1, server.Requests, "an over-long body is not retried");
        AssertNothingComplete(noPartial: true);
    }

    [TestMethod]
    public async Task An_endless_body_of_unknown_size_stops_at_AiModelMaxDownloadSize()
    {
        using var server = new FaultHttpServer(EndlessChunkedBody);
        var (error, elapsed) = await FetchFails(server, Options(server, cap: 3 << 20), CancellationToken.None, ("Sha256", PayloadSha));
        Assert.AreEqual("AIC5102", ((AiException)error).Code, error.ToString());
        StringAssert.Contains(error.Message, "AiModelMaxDownloadSize");
        Assert.IsTrue(elapsed < TimeSpan.FromSeconds(15), $"took {elapsed}");
        AssertNothingComplete(noPartial: true);
    }

    [TestMethod]
    public async Task A_Content_Length_beyond_the_announced_Size_is_refused_before_a_byte_is_written()
    {
        using var server = new FaultHttpServer(async (_, stream, stop) =>
        {
            await FaultHttpServer.WriteHead(stream, $"HTTP/1.1 200 OK\nContent-Length: {Payload.Length * 4}\nConnection: close\n");
            for (var i = 0; i < 4; i++) await stream.WriteAsync(Payload, stop);
        });
        var (error, _) = await FetchFails(server, Options(server), CancellationToken.None, ("Sha256", PayloadSha), ("Size", Payload.Length.ToString()));
        Assert.AreEqual("AIC5101", ((AiException)error).Code, error.ToString());
        StringAssert.Contains(error.Message, "Content-Length");
        AssertNothingComplete(noPartial: true);
    }

    [TestMethod]
    public async Task A_server_that_always_sends_a_short_body_spends_the_retry_budget()
    {
        // It ignores Range and always sends the same first half, then closes: no attempt gets further than
        // the first, so progress never resets the count of failures.
        using var server = new FaultHttpServer(async (_, stream, stop) =>
        {
            await FaultHttpServer.WriteHead(stream, "HTTP/1.1 200 OK\nConnection: close\n");
            await stream.WriteAsync(Payload.AsMemory(0, Payload.Length / 2), stop);
        });
        var (error, elapsed) = await FetchFails(server, Options(server, retry: RetryPolicy.Fast(4, TimeSpan.FromSeconds(20))), CancellationToken.None,
            ("Sha256", PayloadSha), ("Size", Payload.Length.ToString()));
        Assert.AreEqual("AIC5023", ((AiException)error).Code, error.ToString());
        Assert.IsTrue(elapsed < TimeSpan.FromSeconds(15), $"took {elapsed}");
        Assert.IsTrue(server.Requests is >= 4 and <= 6, $"{server.Requests} requests");
        // Pinned content keeps its partial under tmp/*.incomplete for the next build; never under a final name.
        AssertNothingComplete(noPartial: false);
    }

    [TestMethod]
    public async Task A_stalled_body_is_a_coded_error_within_the_stall_timeout_and_leaves_no_partial()
    {
        using var server = new FaultHttpServer(async (_, stream, stop) =>
        {
            await FaultHttpServer.WriteHead(stream, $"HTTP/1.1 200 OK\nContent-Length: {Payload.Length}\nConnection: close\n");
            await stream.WriteAsync(Payload.AsMemory(0, 1000), stop);
            await stream.FlushAsync(stop);
            await Task.Delay(Timeout.Infinite, stop);
        });
        var (error, elapsed) = await FetchFails(server, Options(server, stall: TimeSpan.FromMilliseconds(400), retry: RetryPolicy.Fast(3)), CancellationToken.None,
            ("Sha256", PayloadSha));
        Assert.AreEqual("AIC5103", ((AiException)error).Code, error.ToString());
        StringAssert.Contains(error.Message, "AiModelStallTimeout");
        Assert.IsTrue(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed}");
        AssertNothingComplete(noPartial: true);
    }

    [TestMethod]
    public async Task An_https_source_redirecting_to_plain_http_is_refused()
    {
        using var plain = new FaultHttpServer(async (_, stream, stop) =>
        {
            await FaultHttpServer.WriteHead(stream, $"HTTP/1.1 200 OK\nContent-Length: {Payload.Length}\nConnection: close\n");
            await stream.WriteAsync(Payload, stop);
        }, tls: false);
        using var server = new FaultHttpServer(async (_, stream, _) =>
            await FaultHttpServer.WriteHead(stream, $"HTTP/1.1 302 Found\nLocation: {plain.Url("w.bin")}\nContent-Length: 0\nConnection: close\n"));
        var (error, elapsed) = await FetchFails(server, Options(server), CancellationToken.None, ("Sha256", PayloadSha));
        Assert.AreEqual("AIC5104", ((AiException)error).Code, error.ToString());
        Assert.AreEqual(0, plain.Requests, "the plain-http target must never be asked");
        Assert.IsTrue(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed}");
        AssertNothingComplete(noPartial: true);
    }

    [TestMethod]
    public async Task Cancelling_mid_download_stops_at_once_and_leaves_nothing_that_looks_complete()
    {
        using var server = new FaultHttpServer(async (_, stream, stop) =>
        {
            // A slow, correct body: 1 MiB at 64 KiB per 100 ms.
            await FaultHttpServer.WriteHead(stream, $"HTTP/1.1 200 OK\nContent-Length: {Payload.Length}\nConnection: close\n");
            for (var at = 0; at < Payload.Length; at += 64 << 10)
            {
                await stream.WriteAsync(Payload.AsMemory(at, 64 << 10), stop);
                await stream.FlushAsync(stop);
                await Task.Delay(100, stop);
            }
        });
        using var cancel = new CancellationTokenSource();
        var fetch = FetchFails(server, Options(server), cancel.Token, ("AllowUnverified", "true"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!_f.CacheFiles("tmp").Any(f => f.EndsWith(".incomplete", StringComparison.Ordinal) && new FileInfo(f).Length > 0) && DateTime.UtcNow < deadline) await Task.Delay(20);
        var cancelled = Stopwatch.StartNew();
        cancel.Cancel();
        var (error, _) = await fetch;
        Assert.IsInstanceOfType<OperationCanceledException>(error, error.ToString());
        Assert.IsTrue(cancelled.Elapsed < TimeSpan.FromSeconds(2), $"took {cancelled.Elapsed} after the cancel");
        // Unpinned content: the partial is removed; nothing is in blobs/.
        AssertNothingComplete(noPartial: true);
    }

    [TestMethod]
    public async Task A_body_that_advances_on_each_attempt_resumes_to_completion()
    {
        // Each attempt delivers 256 KiB more from the requested Range, then drops: progress resets the
        // failure count, so four short attempts finish a file that four failures in a row would abandon.
        using var server = new FaultHttpServer(async (request, stream, stop) =>
        {
            var from = (int)(request.RangeFrom ?? 0);
            var status = from > 0 ? $"206 Partial Content\nContent-Range: bytes {from}-{Payload.Length - 1}/{Payload.Length}" : "200 OK";
            await FaultHttpServer.WriteHead(stream, $"HTTP/1.1 {status}\nContent-Length: {Payload.Length - from}\nConnection: close\n");
            await stream.WriteAsync(Payload.AsMemory(from, Math.Min(256 << 10, Payload.Length - from)), stop);
        });
        var specs = _f.Specs(Model("w", server.Url("w.bin").ToString(), ("Sha256", PayloadSha)));
        using var fetcher = new ModelFetcher(new ModelCache(_f.CacheDirectory), new HubSettings(_f.Server.Endpoint, null, false), _f.Log, Options(server, retry: RetryPolicy.Fast(2)));
        var result = await fetcher.FetchAsync(specs, CancellationToken.None);
        Assert.AreEqual(PayloadSha, result.Models.Single().Files.Single().Sha256);
        Assert.AreEqual(4, server.Requests);
    }
}
