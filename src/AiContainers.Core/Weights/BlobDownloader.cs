using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Net;

namespace AiContainers.Core.Weights;

/// <summary>One file to bring into the cache.</summary>
/// <param name="Name">model/path, for progress lines and messages.</param>
/// <param name="ExpectedSha256">Known content hash (LFS oid or the item's Sha256); the blob can then be reused without a request.</param>
/// <param name="ExpectedGitOid">A regular Hub file's git blob id, verified as git computes it.</param>
/// <param name="LockKey">Names the lock and temp file: the same for every build that wants the same content.</param>
/// <param name="ExpectedCommit">The commit the Hub must report in X-Repo-Commit, when it reports one.</param>
/// <param name="SizeAnnouncedBy">Who announced <paramref name="ExpectedSize"/>, for the message when a body runs past it.</param>
internal sealed record BlobRequest(string Model, string Name, Uri Url, RequestContext Context, string? ExpectedSha256, string? ExpectedGitOid, long? ExpectedSize, string LockKey, string? ExpectedCommit, string SizeAnnouncedBy = "the Hub's file list");

internal sealed record BlobResult(string Sha256, string BlobPath, long Size, bool Downloaded);

/// <summary>
/// Brings one file into the cache: reuse when present; otherwise take the blob's lock (other builds
/// wait and then reuse), download to tmp/&lt;key&gt;.incomplete, resume with Range after a dropped
/// connection, hash while writing, verify, and rename into blobs/sha256/. Every body is bounded: by the
/// announced size (file list, Size metadata, Content-Length), else by AiModelMaxDownloadSize and the
/// cache's free space; a body running past its bound, a stall and a spent retry budget are coded errors.
/// Only a verified file ever gets its final name; cancellation leaves at most the .incomplete file.
/// </summary>
internal sealed class BlobDownloader
{
    private readonly ModelCache _cache;
    private readonly ModelHttp _http;
    private readonly IAiLog _log;

    public BlobDownloader(ModelCache cache, ModelHttp http, IAiLog log) => (_cache, _http, _log) = (cache, http, log);

    public BlobResult? TryCached(BlobRequest request)
    {
        var sha = request.ExpectedSha256 ?? (request.ExpectedGitOid is { } oid ? _cache.ReadGitBlobSha256(oid) : null);
        return sha is not null && _cache.HasBlob(sha) ? Cached(sha) : null;
    }

    private BlobResult Cached(string sha)
    {
        var path = _cache.BlobPath(sha);
        return new BlobResult(sha, path, new FileInfo(path).Length, Downloaded: false);
    }

    public async Task<BlobResult> FetchAsync(BlobRequest request, CancellationToken cancellationToken)
    {
        if (TryCached(request) is { } cached) return cached;
        using (await _cache.LockAsync(request.LockKey, request.Name, _log, _http.Options.LockPollInterval, cancellationToken).ConfigureAwait(false))
        {
            // Whoever held the lock before may just have written it.
            if (TryCached(request) is { } written) return written;
            var temp = _cache.TempPath(request.LockKey);
            Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
            // A partial file from an interrupted build is resumed only when the content is pinned by a hash.
            var pinned = request.ExpectedSha256 is not null || request.ExpectedGitOid is not null;
            if (!pinned) File.Delete(temp);
            var resumingEarlierRun = pinned && File.Exists(temp) && new FileInfo(temp).Length > 0;
            try
            {
                return await DownloadAsync(request, temp, cancellationToken).ConfigureAwait(false);
            }
            catch (AiException e) when (resumingEarlierRun && e.Code == AiErrors.ModelChecksumMismatch.Code)
            {
                // The stale partial may be what is wrong: start once more from nothing.
                File.Delete(temp);
                return await DownloadAsync(request, temp, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!pinned || e is AiException { Code: "AIC5101" or "AIC5102" or "AIC5103" or "AIC5104" })
            {
                // Unpinned content cannot be resumed safely; an over-long, capped or stalled body is not worth keeping.
                File.Delete(temp);
                throw;
            }
        }
    }

    private async Task<BlobResult> DownloadAsync(BlobRequest request, string temp, CancellationToken cancellationToken)
    {
        var options = _http.Options;
        var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var gitSha1 = request.ExpectedGitOid is not null && request.ExpectedSize is not null ? IncrementalHash.CreateHash(HashAlgorithmName.SHA1) : null;
        long offset;
        var buffer = new byte[options.BufferSize];

        await using (var file = new FileStream(temp, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 0, FileOptions.SequentialScan))
        {
            offset = file.Length;
            if (request.ExpectedSize is { } size && offset > size) { file.SetLength(0); offset = 0; }
            if (offset > 0)
            {
                _log.Message(AiLogLevel.Progress, $"AiContainers: resuming {request.Name} at {Bytes(offset)}");
                Restart(sha256, gitSha1, request);
                int read;
                while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) Append(sha256, gitSha1, buffer.AsSpan(0, read));
            }
            else Restart(sha256, gitSha1, request);

            var free = FreeSpace(Path.GetDirectoryName(temp)!);
            if (request.ExpectedSize is { } needed && needed - offset > free)
                throw new AiException(AiErrors.NotEnoughDiskSpace, "AiModelCacheDirectory", request.Model, request.Name, Bytes(needed - offset), _cache.Directory, Bytes(free));

            var progress = new ProgressReporter(_log, request.Name, request.ExpectedSize, offset, options.ProgressInterval);
            var checkedHeaders = false;
            // The furthest the file has ever reached: only moving past it counts as progress, so a server that
            // sends the same short prefix again and again spends the retry budget instead of resetting it.
            var highWater = offset;
            bool Advanced()
            {
                if (offset <= highWater) return false;
                highWater = offset;
                return true;
            }

            try
            {
                await options.Retry.ExecuteAsync(async (attempt, token) =>
                {
                    var (response, headers) = await _http.GetAttemptAsync(request.Url, offset, request.Context, token).ConfigureAwait(false);
                    using (response)
                    {
                        if (!checkedHeaders) { CheckHubHeaders(request, headers); checkedHeaders = true; }
                        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                        {
                            // Everything was already there (a resumed file that was complete), or the range is bad: start over.
                            if (offset > 0 && (request.ExpectedSize is null || request.ExpectedSize == offset)) return;
                            Truncate(file, ref offset, sha256, gitSha1, request);
                            throw new RetryableException("the server refused the range of a resumed download");
                        }
                        if (offset > 0 && !RangeMatches(response, offset))
                        {
                            // The server ignored or misread Range: take the whole body from the start.
                            Truncate(file, ref offset, sha256, gitSha1, request);
                        }
                        var bound = Bound(request, response, offset, free);
                        if (offset == 0) progress.Total ??= request.ExpectedSize ?? response.Content.Headers.ContentLength;

                        try
                        {
                            await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
                            file.Seek(offset, SeekOrigin.Begin);
                            while (true)
                            {
                                int read;
                                using (var stall = CancellationTokenSource.CreateLinkedTokenSource(token))
                                {
                                    stall.CancelAfter(options.StallTimeout);
                                    try { read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false); }
                                    catch (OperationCanceledException e) when (!token.IsCancellationRequested) { throw new DownloadStalledException(options.StallTimeout, e); }
                                }
                                if (read == 0) break;
                                // Checked before writing, so the file never holds more than its bound.
                                if (offset + read > bound.Limit) throw bound.Exceeded(request, offset + read, _cache.Directory);
                                await file.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                                Append(sha256, gitSha1, buffer.AsSpan(0, read));
                                offset += read;
                                progress.Report(offset);
                            }
                        }
                        catch (Exception e) when (e is HttpRequestException or IOException && !token.IsCancellationRequested)
                        {
                            await file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                            _log.Message(AiLogLevel.Progress, $"AiContainers: connection lost during {request.Name} at {Bytes(offset)} ({_http.Describe(e)}); resuming");
                            throw new RetryableException(_http.Describe(e), madeProgress: Advanced(), inner: e);
                        }
                        if (request.ExpectedSize is { } expected && offset < expected)
                        {
                            // A body that ended cleanly but short (no Content-Length to catch it): resume like a drop.
                            await file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                            throw new RetryableException($"the body ended at {offset} of {expected} bytes", madeProgress: Advanced());
                        }
                    }
                }, ModelHttp.Classify, cancellationToken).ConfigureAwait(false);
            }
            catch (RetryBudgetExhaustedException e)
            {
                throw _http.Exhausted(request.Context, e);
            }
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            progress.Done(offset);
        }

        var actual = Convert.ToHexString(sha256.GetHashAndReset()).ToLowerInvariant();
        if (request.ExpectedSize is { } wantSize && offset != wantSize) Mismatch(request, temp, "size", offset + " bytes", wantSize + " bytes");
        if (request.ExpectedSha256 is { } want && want != actual) Mismatch(request, temp, "SHA-256", actual, want);
        if (gitSha1 is not null)
        {
            var oid = Convert.ToHexString(gitSha1.GetHashAndReset()).ToLowerInvariant();
            if (oid != request.ExpectedGitOid) Mismatch(request, temp, "git blob id", oid, request.ExpectedGitOid!);
        }
        var blob = _cache.Commit(temp, actual);
        if (request.ExpectedGitOid is { } gitOid) _cache.WriteGitBlobSha256(gitOid, actual);
        return new BlobResult(actual, blob, offset, Downloaded: true);
    }

    /// <summary>How far one response body may take the file, and who said so.</summary>
    private sealed record BodyBound(long Limit, string? AnnouncedBy, long Cap, string CapReason)
    {
        public AiException Exceeded(BlobRequest request, long reached, string cacheDirectory)
            => AnnouncedBy is not null
                ? new AiException(AiErrors.DownloadLongerThanAnnounced, ModelSpecMapper.Property, request.Context.What, request.Model, Limit, AnnouncedBy)
                : new AiException(AiErrors.DownloadOverCap, DownloadLimits.MaxDownloadSizeProperty, request.Context.What, request.Model, Bytes(reached), Bytes(Cap), CapReason);
    }

    /// <summary>
    /// The announced size (file list or Size metadata) bounds the body; Content-Length bounds it too (a
    /// Content-Length beyond the announced size is refused before a byte is written); with neither, the
    /// cap is AiModelMaxDownloadSize or the cache's free space, whichever is smaller.
    /// </summary>
    private BodyBound Bound(BlobRequest request, HttpResponseMessage response, long offset, long free)
    {
        var contentEnd = response.Content.Headers.ContentLength is { } length ? offset + length : (long?)null;
        if (request.ExpectedSize is { } expected)
        {
            if (contentEnd > expected)
                throw new AiException(AiErrors.DownloadLongerThanAnnounced, ModelSpecMapper.Property, request.Context.What, request.Model, expected,
                    request.SizeAnnouncedBy + " (the response's Content-Length says " + contentEnd + ")");
            return new BodyBound(expected, request.SizeAnnouncedBy, expected, "");
        }
        if (contentEnd is { } end) return new BodyBound(end, "Content-Length", end, "");
        var max = _http.Options.MaxDownloadSize;
        return offset + free < max
            ? new BodyBound(offset + free, null, offset + free, "the free space of the model cache " + _cache.Directory)
            : new BodyBound(max, null, max, "AiModelMaxDownloadSize");
    }

    private static long FreeSpace(string directory)
    {
        try { return new DriveInfo(directory).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return long.MaxValue; }
    }

    private void CheckHubHeaders(BlobRequest request, HubHeaders headers)
    {
        if (request.ExpectedCommit is { } commit && headers.RepoCommit is { } reported && !string.Equals(reported, commit, StringComparison.OrdinalIgnoreCase))
            throw new AiException(AiErrors.HubResponseInvalid, "HF_ENDPOINT", _http.Hub.Base, request.Name, $"X-Repo-Commit {reported} is not the requested commit {commit}");
    }

    private static bool RangeMatches(HttpResponseMessage response, long offset)
        => response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange is { From: { } from } && from == offset;

    private static void Truncate(FileStream file, ref long offset, IncrementalHash sha256, IncrementalHash? gitSha1, BlobRequest request)
    {
        file.SetLength(0);
        offset = 0;
        Restart(sha256, gitSha1, request);
    }

    private static void Restart(IncrementalHash sha256, IncrementalHash? gitSha1, BlobRequest request)
    {
        sha256.GetHashAndReset();
        if (gitSha1 is null) return;
        gitSha1.GetHashAndReset();
        // git hashes "blob <size>\0" + content; the size is the one the tree listed.
        gitSha1.AppendData(Encoding.ASCII.GetBytes("blob " + request.ExpectedSize!.Value.ToString(CultureInfo.InvariantCulture) + "\0"));
    }

    private static void Append(IncrementalHash sha256, IncrementalHash? gitSha1, ReadOnlySpan<byte> data)
    {
        sha256.AppendData(data);
        gitSha1?.AppendData(data);
    }

    private static void Mismatch(BlobRequest request, string temp, string kind, string actual, string expected)
    {
        File.Delete(temp);
        throw new AiException(AiErrors.ModelChecksumMismatch, ModelSpecMapper.Property, request.Model, request.Name, kind, actual, expected);
    }

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}

/// <summary>Progress lines for one file: bytes, rate and time left, at most once per interval.</summary>
internal sealed class ProgressReporter
{
    private readonly IAiLog _log;
    private readonly string _name;
    private readonly long _start;
    private readonly TimeSpan _interval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last;

    public ProgressReporter(IAiLog log, string name, long? total, long start, TimeSpan interval)
    {
        (_log, _name, Total, _start, _interval) = (log, name, total, start, interval);
        _log.Message(AiLogLevel.Progress, $"AiContainers: downloading {name}" + (total is { } t ? $" ({BlobDownloader.Bytes(t)})" : ""));
    }

    public long? Total { get; set; }

    public void Report(long bytes)
    {
        var now = _clock.Elapsed;
        if (now - _last < _interval) return;
        _last = now;
        var rate = (bytes - _start) / Math.Max(now.TotalSeconds, 0.001);
        var text = new StringBuilder($"AiContainers: {_name} {BlobDownloader.Bytes(bytes)}");
        if (Total is { } total && total > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" of {BlobDownloader.Bytes(total)} ({100.0 * bytes / total:0}%)");
            text.Append($" at {BlobDownloader.Bytes((long)rate)}/s");
            if (rate > 0) text.Append(CultureInfo.InvariantCulture, $", ETA {TimeSpan.FromSeconds(Math.Ceiling((total - bytes) / rate)):c}");
        }
        else text.Append($" at {BlobDownloader.Bytes((long)rate)}/s");
        _log.Message(AiLogLevel.Progress, text.ToString());
    }

    public void Done(long bytes)
    {
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        _log.Message(AiLogLevel.Progress, string.Create(CultureInfo.InvariantCulture,
            $"AiContainers: downloaded {_name} ({BlobDownloader.Bytes(bytes)}) in {seconds:0.0} s at {BlobDownloader.Bytes((long)((bytes - _start) / seconds))}/s"));
    }
}
