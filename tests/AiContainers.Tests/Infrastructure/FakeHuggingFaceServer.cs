using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AiContainers.Tests.Infrastructure;

/// <summary>A request as the fake server saw it.</summary>
internal sealed record SeenRequest(string Listener, string Method, string RawUrl, string? Range, string? Authorization);

/// <summary>
/// A loopback Hugging Face Hub over real HTTP (two HttpListeners on 127.0.0.1: the hub and a "CDN" on
/// another port, so a redirect crosses origins as on huggingface.co). It speaks the API subset the fetcher
/// uses: revision info, the recursive tree (paged with Link when <see cref="TreePageSize"/> is set) with
/// LFS sha256, resolve with X-Repo-Commit / ETag / X-Linked-Etag (LFS files redirect to the CDN), Range,
/// and 401/403 for gated repos. Faults are injected per file path: drop the connection half-way, answer
/// a status first, corrupt the body, throttle, or hold the body until a gate opens.
/// </summary>
internal sealed class FakeHuggingFaceServer : IDisposable
{
    private readonly HttpListener _hub;
    private readonly HttpListener _cdn;
    private readonly ConcurrentDictionary<string, FakeRepo> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _lfsObjects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Fault>> _faults = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    public FakeHuggingFaceServer()
    {
        (_hub, HubPort) = Start();
        (_cdn, CdnPort) = Start();
        _ = Task.Run(() => AcceptLoop(_hub, "hub"));
        _ = Task.Run(() => AcceptLoop(_cdn, "cdn"));
    }

    public int HubPort { get; }
    public int CdnPort { get; }
    public Uri Endpoint => new($"http://127.0.0.1:{HubPort}");
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>Files per tree page; null serves the whole tree at once.</summary>
    public int? TreePageSize { get; set; }

    /// <summary>Bytes per write and the pause after each, to make a download take a while.</summary>
    public (int ChunkSize, TimeSpan Pause)? Throttle { get; set; }

    /// <summary>Awaited before any file body is sent (e.g. until every parallel build has started).</summary>
    public Func<Task>? BeforeFileBody { get; set; }

    public FakeRepo AddRepo(string repository, string? requiredToken = null)
    {
        var repo = new FakeRepo(repository, requiredToken, this);
        _repos[repository] = repo;
        return repo;
    }

    public void DropOnce(string path) => Inject(path, new Fault(FaultKind.Drop, 0, null));
    public void StatusOnce(string path, int status, string? retryAfter = null) => Inject(path, new Fault(FaultKind.Status, status, retryAfter));
    public void CorruptOnce(string path) => Inject(path, new Fault(FaultKind.Corrupt, 0, null));

    private void Inject(string path, Fault fault) => _faults.GetOrAdd(path, _ => new ConcurrentQueue<Fault>()).Enqueue(fault);

    /// <summary>GETs of <paramref name="path"/>'s resolve URL on the hub.</summary>
    public IReadOnlyList<SeenRequest> ResolveGets(string path)
        => Requests.Where(r => r.Listener == "hub" && r.Method == "GET" && r.RawUrl.Contains("/resolve/", StringComparison.Ordinal) && r.RawUrl.EndsWith("/" + path, StringComparison.Ordinal)).ToList();

    /// <summary>GETs of an LFS file's body on the CDN (one per download attempt).</summary>
    public IReadOnlyList<SeenRequest> CdnGets(string path)
        => Requests.Where(r => r.Listener == "cdn" && r.Method == "GET" && r.RawUrl.EndsWith("path=" + Uri.EscapeDataString(path), StringComparison.Ordinal)).ToList();

    public void Dispose()
    {
        _stop.Cancel();
        _hub.Close();
        _cdn.Close();
    }

    private static (HttpListener, int) Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
    }

    private async Task AcceptLoop(HttpListener listener, string name)
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested || !listener.IsListening) { return; }
            catch (HttpListenerException) { continue; }
            _ = Task.Run(async () =>
            {
                try { await Handle(context, name); }
                catch (Exception) { try { context.Response.Abort(); } catch (Exception) { } }
            });
        }
    }

    private async Task Handle(HttpListenerContext context, string listener)
    {
        var request = context.Request;
        var raw = request.RawUrl ?? "/";
        Requests.Enqueue(new SeenRequest(listener, request.HttpMethod, raw, request.Headers["Range"], request.Headers["Authorization"]));
        var pathOnly = raw.Split('?')[0];

        if (listener == "cdn")
        {
            var sha = pathOnly.TrimStart('/').Split('/').Last();
            var query = raw.Contains('?') ? raw[(raw.IndexOf('?') + 1)..] : "";
            var path = Uri.UnescapeDataString(query.Split('&').FirstOrDefault(p => p.StartsWith("path=", StringComparison.Ordinal))?[5..] ?? "");
            if (_lfsObjects.TryGetValue(sha, out var bytes)) await SendFile(context, path, bytes, etag: sha);
            else await Send(context, 404, "{\"error\":\"no such object\"}");
            return;
        }

        Match m;
        if ((m = Regex.Match(pathOnly, "^/api/models/(?<repo>.+?)/revision/(?<rev>.+)$")).Success)
        {
            if (await Authorize(context, m) is not { } repo) return;
            var revision = Uri.UnescapeDataString(m.Groups["rev"].Value);
            if (repo.Commit(revision) is not { } commit) { await Send(context, 404, "{\"error\":\"Invalid rev id\"}", ("X-Error-Code", "RevisionNotFound")); return; }
            var siblings = repo.Files.Keys.Select(p => new Dictionary<string, object> { ["rfilename"] = p });
            var info = new Dictionary<string, object> { ["id"] = repo.Id, ["sha"] = commit, ["siblings"] = siblings };
            // As the Hub sends a model card's licence: cardData.license, and a license:<id> tag.
            if (repo.License is { } license) { info["cardData"] = new Dictionary<string, object> { ["license"] = license }; info["tags"] = new[] { "safetensors", "license:" + license }; }
            await Send(context, 200, JsonSerializer.Serialize(info));
            return;
        }
        if ((m = Regex.Match(pathOnly, "^/api/models/(?<repo>.+?)/tree/(?<rev>[^/]+)$")).Success)
        {
            if (await Authorize(context, m) is not { } repo) return;
            if (repo.Commit(Uri.UnescapeDataString(m.Groups["rev"].Value)) is null) { await Send(context, 404, "{}", ("X-Error-Code", "RevisionNotFound")); return; }
            var all = repo.Files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Value.TreeEntry()).ToList();
            var cursor = int.TryParse(request.QueryString["cursor"], out var c) ? c : 0;
            var size = TreePageSize ?? all.Count;
            var page = all.Skip(cursor).Take(size).ToList();
            var headers = new List<(string, string)>();
            if (cursor + size < all.Count)
                headers.Add(("Link", $"<{Endpoint}api/models/{repo.Id}/tree/{m.Groups["rev"].Value}?recursive=true&cursor={cursor + size}>; rel=\"next\""));
            await Send(context, 200, JsonSerializer.Serialize(page), headers.ToArray());
            return;
        }
        if ((m = Regex.Match(pathOnly, "^/(?<repo>.+?)/resolve/(?<rev>[^/]+)/(?<path>.+)$")).Success)
        {
            if (await Authorize(context, m) is not { } repo) return;
            var commit = repo.Commit(Uri.UnescapeDataString(m.Groups["rev"].Value));
            var path = string.Join('/', m.Groups["path"].Value.Split('/').Select(Uri.UnescapeDataString));
            if (commit is null || !repo.Files.TryGetValue(path, out var file)) { await Send(context, 404, "{}", ("X-Error-Code", "EntryNotFound")); return; }
            context.Response.Headers["X-Repo-Commit"] = commit;
            if (file.Lfs)
            {
                context.Response.Headers["X-Linked-Etag"] = "\"" + file.Sha256 + "\"";
                context.Response.Headers["X-Linked-Size"] = file.Content.Length.ToString();
                context.Response.Headers["Location"] = $"http://127.0.0.1:{CdnPort}/lfs/{file.Sha256}?path={Uri.EscapeDataString(path)}";
                await Send(context, 302, "");
                return;
            }
            await SendFile(context, path, file.Content, etag: file.GitOid);
            return;
        }
        await Send(context, 404, "{\"error\":\"not found\"}", ("X-Error-Code", "RepoNotFound"));
    }

    /// <summary>Gated repos answer 401 without a token and 403 with the wrong one, as the Hub does.</summary>
    private async Task<FakeRepo?> Authorize(HttpListenerContext context, Match match)
    {
        if (!_repos.TryGetValue(Uri.UnescapeDataString(match.Groups["repo"].Value), out var repo))
        {
            var anonymous = context.Request.Headers["Authorization"] is null;
            await Send(context, anonymous ? 401 : 404, "{\"error\":\"Repository not found\"}", ("X-Error-Code", "RepoNotFound"));
            return null;
        }
        if (repo.RequiredToken is not { } token) return repo;
        var sent = context.Request.Headers["Authorization"];
        if (sent == "Bearer " + token) return repo;
        await Send(context, sent is null ? 401 : 403, "{\"error\":\"gated\"}", ("X-Error-Code", "GatedRepo"),
            ("X-Error-Message", $"Access to model {repo.Id} is restricted and you are not in the authorized list."));
        return null;
    }

    private async Task SendFile(HttpListenerContext context, string path, byte[] content, string etag)
    {
        var response = context.Response;
        if (_faults.TryGetValue(path, out var queue) && queue.TryDequeue(out var fault))
        {
            if (fault.Kind == FaultKind.Status)
            {
                if (fault.RetryAfter is not null) response.Headers["Retry-After"] = fault.RetryAfter;
                await Send(context, fault.Status, "{\"error\":\"try later\"}");
                return;
            }
            if (fault.Kind == FaultKind.Corrupt)
            {
                content = (byte[])content.Clone();
                content[content.Length / 2] ^= 0xFF;
            }
            if (fault.Kind == FaultKind.Drop)
            {
                response.StatusCode = 200;
                response.ContentLength64 = content.Length;
                response.Headers["ETag"] = "\"" + etag + "\"";
                await response.OutputStream.WriteAsync(content.AsMemory(0, content.Length / 2));
                await response.OutputStream.FlushAsync();
                // Let the client read the first half before the reset, so the resume has an offset to start at.
                await Task.Delay(300);
                response.Abort();
                return;
            }
        }
        if (BeforeFileBody is { } gate) await gate();

        long start = 0;
        var range = context.Request.Headers["Range"];
        if (range is not null && Regex.Match(range, @"^bytes=(\d+)-$") is { Success: true } r)
        {
            start = long.Parse(r.Groups[1].Value);
            if (start >= content.Length)
            {
                response.Headers["Content-Range"] = $"bytes */{content.Length}";
                await Send(context, 416, "");
                return;
            }
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        else response.StatusCode = 200;
        response.Headers["ETag"] = "\"" + etag + "\"";
        response.Headers["Accept-Ranges"] = "bytes";
        response.ContentLength64 = content.Length - start;
        var chunk = Throttle?.ChunkSize ?? 1 << 20;
        for (var offset = (int)start; offset < content.Length; offset += chunk)
        {
            await response.OutputStream.WriteAsync(content.AsMemory(offset, Math.Min(chunk, content.Length - offset)));
            if (Throttle is { } throttle) await Task.Delay(throttle.Pause);
        }
        response.Close();
    }

    private static async Task Send(HttpListenerContext context, int status, string body, params (string Name, string Value)[] headers)
    {
        var response = context.Response;
        response.StatusCode = status;
        foreach (var (name, value) in headers) response.Headers[name] = value;
        var bytes = Encoding.UTF8.GetBytes(body);
        if (body.Length > 0) response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    internal void RegisterLfs(string sha256, byte[] content) => _lfsObjects[sha256] = content;

    private enum FaultKind { Drop, Status, Corrupt }
    private sealed record Fault(FaultKind Kind, int Status, string? RetryAfter);
}

/// <summary>A repository with one commit; branches and tags point at it.</summary>
internal sealed class FakeRepo
{
    private readonly FakeHuggingFaceServer _server;
    private readonly Dictionary<string, string> _refs = new(StringComparer.Ordinal);

    public FakeRepo(string id, string? requiredToken, FakeHuggingFaceServer server)
    {
        (Id, RequiredToken, _server) = (id, requiredToken, server);
        CommitSha = Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(id + Guid.NewGuid()))).ToLowerInvariant();
        _refs["main"] = CommitSha;
    }

    public string Id { get; }
    public string? RequiredToken { get; }
    public string CommitSha { get; }
    public ConcurrentDictionary<string, FakeFile> Files { get; } = new(StringComparer.Ordinal);

    public FakeRepo Tag(string name) { _refs[name] = CommitSha; return this; }

    /// <summary>The licence the model card declares (served as cardData.license and a license:… tag); null serves none.</summary>
    public string? License { get; set; }

    /// <summary>Points <paramref name="branch"/> at a new commit with the same files, as a push to the branch would; returns the commit.</summary>
    public string MoveBranch(string branch)
    {
        var commit = Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(Id + Guid.NewGuid()))).ToLowerInvariant();
        _commits.Add(commit);
        _refs[branch] = commit;
        return commit;
    }

    private readonly HashSet<string> _commits = new(StringComparer.Ordinal);

    public FakeRepo AddFile(string path, byte[] content, bool lfs)
    {
        var file = new FakeFile(path, content, lfs);
        Files[path] = file;
        if (lfs) _server.RegisterLfs(file.Sha256, content);
        return this;
    }

    public FakeRepo AddText(string path, string text) => AddFile(path, Encoding.UTF8.GetBytes(text), lfs: false);

    public string? Commit(string revision) => revision == CommitSha || _commits.Contains(revision) ? revision : _refs.TryGetValue(revision, out var c) ? c : null;
}

internal sealed record FakeFile(string Path, byte[] Content, bool Lfs)
{
    public string Sha256 { get; } = Convert.ToHexString(SHA256.HashData(Content)).ToLowerInvariant();

    /// <summary>git's blob id: sha1("blob &lt;size&gt;\0" + content); for an LFS file, of its pointer file.</summary>
    public string GitOid => GitBlobId(Lfs ? Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256}\nsize {Content.Length}\n") : Content);

    public static string GitBlobId(byte[] content)
        => Convert.ToHexString(SHA1.HashData(Encoding.ASCII.GetBytes($"blob {content.Length}\0").Concat(content).ToArray())).ToLowerInvariant();

    public object TreeEntry()
    {
        var entry = new Dictionary<string, object> { ["type"] = "file", ["oid"] = GitOid, ["size"] = Content.Length, ["path"] = Path };
        if (Lfs) entry["lfs"] = new Dictionary<string, object> { ["oid"] = Sha256, ["size"] = Content.Length, ["pointerSize"] = 134 };
        return entry;
    }
}
