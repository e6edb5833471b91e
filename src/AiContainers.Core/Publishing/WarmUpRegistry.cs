using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using AiContainers.Core.Oci;
using AiContainers.Core.Oci.Registry;

namespace AiContainers.Core.Publishing;

/// <summary>
/// The registry <see cref="StartupWarmUp"/>'s dry run pulls from and pushes to: in this process, on a loopback port of its
/// own. It serves one tiny base image (an index over linux/amd64 and linux/arm64, each one empty layer) under any
/// repository name, and accepts every upload and manifest, keeping only their digests. That is enough of the distribution
/// API for the builder's own code paths to run once: manifest and blob GET and HEAD, the POST/PATCH/PUT upload, a declined
/// mount, manifest PUT, tags/list and the referrers tag. Not a registry for anything else: it stores no bytes it is sent.
/// </summary>
internal sealed class WarmUpRegistry : IDisposable
{
    private const string IndexType = "application/vnd.docker.distribution.manifest.list.v2+json";
    private const string ManifestType = "application/vnd.docker.distribution.manifest.v2+json";

    private readonly HttpListener _listener = new();
    private readonly Task _serving;
    // What GET serves, by digest: the base's index, manifests, configs and layer.
    private readonly Dictionary<string, (byte[] Bytes, string MediaType)> _served = new(StringComparer.Ordinal);
    private readonly (byte[] Bytes, string MediaType) _index;
    // What HEAD finds besides those: digests uploaded here (the bytes are dropped).
    private readonly ConcurrentDictionary<string, long> _uploaded = new(StringComparer.Ordinal);
    // Bytes received so far by each upload session.
    private readonly ConcurrentDictionary<string, long> _sessions = new(StringComparer.Ordinal);

    /// <summary>host:port, on 127.0.0.1.</summary>
    public string Registry { get; }

    public WarmUpRegistry()
    {
        var layer = EmptyLayer(out var diffId);
        var layerDigest = Add(layer, "application/vnd.docker.image.rootfs.diff.tar.gzip");
        var entries = new List<string>();
        foreach (var architecture in new[] { "amd64", "arm64" })
        {
            var config = Encoding.UTF8.GetBytes(
                $"{{\"architecture\":\"{architecture}\",\"os\":\"linux\",\"config\":{{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]}}," +
                $"\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{diffId}\"]}},\"history\":[{{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"warm-up\"}}]}}");
            var configDigest = Add(config, "application/vnd.docker.container.image.v1+json");
            var manifest = Encoding.UTF8.GetBytes(
                $"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestType}\",\"config\":{{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":{config.Length},\"digest\":\"{configDigest}\"}}," +
                $"\"layers\":[{{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":{layer.Length},\"digest\":\"{layerDigest}\"}}]}}");
            var manifestDigest = Add(manifest, ManifestType);
            entries.Add($"{{\"mediaType\":\"{ManifestType}\",\"size\":{manifest.Length},\"digest\":\"{manifestDigest}\",\"platform\":{{\"architecture\":\"{architecture}\",\"os\":\"linux\"}}}}");
        }
        var index = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{IndexType}\",\"manifests\":[{string.Join(",", entries)}]}}");
        Add(index, IndexType);
        _index = (index, IndexType);

        // HttpListener takes a prefix, not port 0: a port the system just handed out is free for it.
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Registry = $"127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}";
        }
        _listener.Prefixes.Add($"http://{Registry}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public void Dispose()
    {
        _listener.Close();
        try { _serving.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }

    private string Add(byte[] bytes, string mediaType)
    {
        var digest = RegistryDigest.Of(bytes);
        _served[digest] = (bytes, mediaType);
        return digest;
    }

    /// <summary>A gzip of an empty tar (two zero blocks); <paramref name="diffId"/> is the tar's digest.</summary>
    private static byte[] EmptyLayer(out string diffId)
    {
        var tar = new byte[1024];
        diffId = RegistryDigest.Of(tar);
        using var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
        return gzipped.ToArray();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var path = request.Url!.AbsolutePath;
            var method = request.HttpMethod;
            // Every request body is read to its end, so the connection stays usable for the next request; only a
            // manifest's is kept (its digest is the answer), a blob's is counted.
            using var manifestBody = new MemoryStream();
            long bodyLength;
            if (method == "PUT" && path.Contains("/manifests/", StringComparison.Ordinal))
            {
                await request.InputStream.CopyToAsync(manifestBody).ConfigureAwait(false);
                bodyLength = manifestBody.Length;
            }
            else
            {
                var counting = new CountingSink();
                await request.InputStream.CopyToAsync(counting).ConfigureAwait(false);
                bodyLength = counting.Length;
            }
            response.Headers["Docker-Distribution-Api-Version"] = "registry/2.0";
            if (path is "/v2/" or "/v2") { Json(response, 200, "{}"); return; }

            var at = path.LastIndexOf("/manifests/", StringComparison.Ordinal);
            if (at > 0)
            {
                var reference = Uri.UnescapeDataString(path[(at + "/manifests/".Length)..]);
                if (method == "PUT")
                {
                    response.Headers["Docker-Content-Digest"] = RegistryDigest.Of(manifestBody.ToArray());
                    response.StatusCode = 201;
                    return;
                }
                var manifest = RegistryDigest.IsSha256(reference)
                    ? _served.TryGetValue(reference, out var byDigest) ? byDigest : ((byte[], string)?)null
                    : reference.StartsWith("sha256-", StringComparison.Ordinal) ? null : _index;
                if (manifest is not { } found) { Json(response, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}"); return; }
                Blob(response, method, found.Item1, found.Item2);
                return;
            }

            at = path.LastIndexOf("/blobs/uploads", StringComparison.Ordinal);
            if (at > 0)
            {
                var repository = path[4..at];
                var session = method == "POST" ? Guid.NewGuid().ToString("N") : path[(path.LastIndexOf('/') + 1)..];
                var received = _sessions.AddOrUpdate(session, bodyLength, (_, sofar) => sofar + bodyLength);
                if (method == "PUT" && request.QueryString["digest"] is { } digest)
                {
                    _sessions.TryRemove(session, out _);
                    _uploaded[digest] = received;
                    response.Headers["Docker-Content-Digest"] = digest;
                    response.Headers["Location"] = $"/v2/{repository}/blobs/{digest}";
                    response.StatusCode = 201;
                    return;
                }
                // POST (a mount is declined: the blob is uploaded instead) and PATCH: the session goes on at its URL.
                response.Headers["Location"] = $"/v2/{repository}/blobs/uploads/{session}";
                response.Headers["Docker-Upload-UUID"] = session;
                response.Headers["Range"] = received == 0 ? "0-0" : $"0-{received - 1}";
                response.StatusCode = 202;
                return;
            }

            at = path.LastIndexOf("/blobs/", StringComparison.Ordinal);
            if (at > 0)
            {
                var digest = Uri.UnescapeDataString(path[(at + "/blobs/".Length)..]);
                if (_served.TryGetValue(digest, out var blob)) { Blob(response, method, blob.Bytes, "application/octet-stream"); return; }
                if (_uploaded.TryGetValue(digest, out var size))
                {
                    response.Headers["Docker-Content-Digest"] = digest;
                    response.ContentLength64 = method == "HEAD" ? size : 0;
                    response.StatusCode = method == "HEAD" ? 200 : 404;
                    return;
                }
                Json(response, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}");
                return;
            }
            // tags/list, referrers and anything else: nothing here.
            Json(response, 404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known to registry\"}]}");
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            try { response.Close(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { }
        }
    }

    private static void Blob(HttpListenerResponse response, string method, byte[] bytes, string mediaType)
    {
        response.StatusCode = 200;
        response.ContentType = mediaType;
        response.Headers["Docker-Content-Digest"] = RegistryDigest.Of(bytes);
        response.ContentLength64 = bytes.Length;
        if (method != "HEAD") response.OutputStream.Write(bytes);
    }

    private static void Json(HttpListenerResponse response, int status, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
    }

    /// <summary>Counts what is written to it and keeps nothing.</summary>
    private sealed class CountingSink : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        private long _length;
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) { _length += count; return Task.CompletedTask; }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) { _length += buffer.Length; return ValueTask.CompletedTask; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
