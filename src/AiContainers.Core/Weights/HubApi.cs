using System.Text.Json;
using System.Text.RegularExpressions;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Weights;

/// <summary>One file of a Hub repository at a commit.</summary>
/// <param name="Oid">The git blob id (sha1): of the content for a regular file, of the pointer for an LFS file.</param>
/// <param name="LfsSha256">The LFS object id, which is the SHA-256 of the content; null for a regular file.</param>
public sealed record HubTreeEntry(string Path, long Size, string? Oid, string? LfsSha256);

/// <summary>What the Hub's revision endpoint says: the commit, and the model's licence when its metadata names one.</summary>
public sealed record HubRevision(string Commit, string? License);

/// <summary>
/// The subset of the Hugging Face Hub HTTP API that huggingface_hub's snapshot_download uses:
/// <list type="bullet">
/// <item><c>GET {endpoint}/api/models/{repo}/revision/{revision}</c> → <c>{"sha": "&lt;commit&gt;", "siblings": [...]}</c></item>
/// <item><c>GET {endpoint}/api/models/{repo}/tree/{commit}?recursive=true</c> → <c>[{"type":"file","path","size","oid","lfs":{"oid":"&lt;sha256&gt;","size"}}]</c>, paged by a <c>Link: &lt;…&gt;; rel="next"</c> header</item>
/// <item><c>GET {endpoint}/{repo}/resolve/{commit}/{path}</c> → the file, usually by a redirect, with X-Repo-Commit and X-Linked-Etag</item>
/// </list>
/// </summary>
internal static partial class HubApi
{
    [GeneratedRegex(@"<([^>]+)>\s*;\s*rel\s*=\s*""?next""?", RegexOptions.IgnoreCase)] private static partial Regex NextLinkRegex();

    public static string RepoPath(string repository) => string.Join('/', repository.Split('/').Select(Uri.EscapeDataString));

    public static Uri ResolveUrl(HubSettings hub, string repository, string commit, string path)
        => new(hub.Base + "/" + RepoPath(repository) + "/resolve/" + commit + "/" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString)));

    public static async Task<string> ResolveRevisionAsync(ModelHttp http, string model, string repository, string revision, CancellationToken cancellationToken)
        => (await ResolveRevisionInfoAsync(http, model, repository, revision, cancellationToken).ConfigureAwait(false)).Commit;

    /// <summary>
    /// The commit a revision resolves to, and the licence the same answer carries (the model card's <c>cardData.license</c>,
    /// else a <c>license:…</c> tag), so recording the licence in the lock costs no request of its own.
    /// </summary>
    public static async Task<HubRevision> ResolveRevisionInfoAsync(ModelHttp http, string model, string repository, string revision, CancellationToken cancellationToken)
    {
        var url = new Uri(http.Hub.Base + "/api/models/" + RepoPath(repository) + "/revision/" + Uri.EscapeDataString(revision));
        var context = new RequestContext(model, $"revision '{revision}' of {repository}", repository, $"revision '{revision}' is not a branch, tag or commit of '{repository}'");
        using var document = await GetJsonAsync(http, url, context, cancellationToken).ConfigureAwait(false);
        if (document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String
            && sha.GetString() is { } commit && ModelNaming.IsCommit(commit))
            return new HubRevision(commit, License(document.RootElement));
        throw new AiException(AiErrors.HubResponseInvalid, "HF_ENDPOINT", http.Hub.Base, context.What, "no 40-hex 'sha' in the revision info");
    }

    public static async Task<IReadOnlyList<HubTreeEntry>> ListFilesAsync(ModelHttp http, string model, string repository, string commit, CancellationToken cancellationToken)
    {
        Uri? url = new(http.Hub.Base + "/api/models/" + RepoPath(repository) + "/tree/" + commit + "?recursive=true");
        var context = new RequestContext(model, $"the file list of {repository} at {commit}", repository, $"commit {commit} is not in '{repository}'");
        var entries = new List<HubTreeEntry>();
        for (var page = 0; url is not null; page++)
        {
            if (page > 10_000) throw new AiException(AiErrors.HubResponseInvalid, "HF_ENDPOINT", http.Hub.Base, context.What, "the pages never end");
            var (response, _) = await http.GetAsync(url, 0, context, cancellationToken).ConfigureAwait(false);
            using (response)
            {
                var next = response.Headers.TryGetValues("Link", out var links) ? links.Select(l => NextLinkRegex().Match(l)).FirstOrDefault(m => m.Success) : null;
                using var document = await ReadJsonAsync(http, response, context, cancellationToken).ConfigureAwait(false);
                if (document.RootElement.ValueKind != JsonValueKind.Array)
                    throw new AiException(AiErrors.HubResponseInvalid, "HF_ENDPOINT", http.Hub.Base, context.What, "the tree is not a JSON array");
                foreach (var element in document.RootElement.EnumerateArray())
                    if (ParseEntry(element) is { } entry) entries.Add(entry);
                url = next is null ? null : new Uri(url, next.Groups[1].Value);
            }
        }
        return entries;
    }

    /// <summary>cardData.license (a string, or the first of a list), else the first "license:…" tag; null when the Hub names none.</summary>
    internal static string? License(JsonElement info)
    {
        static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) || text.Length > 200 ? null : text.Trim();
        if (info.TryGetProperty("cardData", out var card) && card.ValueKind == JsonValueKind.Object && card.TryGetProperty("license", out var license))
        {
            if (license.ValueKind == JsonValueKind.String && Clean(license.GetString()) is { } single) return single;
            if (license.ValueKind == JsonValueKind.Array && license.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.String).Select(l => Clean(l.GetString())).FirstOrDefault(l => l is not null) is { } first) return first;
        }
        if (info.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array)
            foreach (var tag in tags.EnumerateArray())
                if (tag.ValueKind == JsonValueKind.String && tag.GetString() is { } text && text.StartsWith("license:", StringComparison.Ordinal) && Clean(text["license:".Length..]) is { } fromTag)
                    return fromTag;
        return null;
    }

    private static HubTreeEntry? ParseEntry(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object) return null;
        if (element.TryGetProperty("type", out var type) && type.GetString() != "file") return null;
        if (!element.TryGetProperty("path", out var path) || path.GetString() is not { } p) return null;
        var size = element.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : -1;
        var oid = element.TryGetProperty("oid", out var o) ? o.GetString() : null;
        string? lfs = null;
        if (element.TryGetProperty("lfs", out var l) && l.ValueKind == JsonValueKind.Object)
        {
            // The tree API names the LFS sha256 "oid"; the revision API's siblings name it "sha256".
            lfs = (l.TryGetProperty("oid", out var lo) ? lo.GetString() : null) ?? (l.TryGetProperty("sha256", out var ls) ? ls.GetString() : null);
            if (l.TryGetProperty("size", out var lsize) && lsize.TryGetInt64(out var ln)) size = ln;
            lfs = lfs?.ToLowerInvariant();
            if (lfs is not null && !ModelNaming.IsSha256(lfs)) lfs = null;
        }
        return new HubTreeEntry(p, size, oid?.ToLowerInvariant(), lfs);
    }

    private static async Task<JsonDocument> GetJsonAsync(ModelHttp http, Uri url, RequestContext context, CancellationToken cancellationToken)
    {
        var (response, _) = await http.GetAsync(url, 0, context, cancellationToken).ConfigureAwait(false);
        using (response) return await ReadJsonAsync(http, response, context, cancellationToken).ConfigureAwait(false);
    }

    // A page of the Hub API is kilobytes; a body past this is a broken or hostile server, not a listing.
    private const int MaxJsonBytes = 64 << 20;

    private static async Task<JsonDocument> ReadJsonAsync(ModelHttp http, HttpResponseMessage response, RequestContext context, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var json = new MemoryStream();
            var buffer = new byte[81920];
            while (true)
            {
                int read;
                using (var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    stall.CancelAfter(http.Options.StallTimeout);
                    try { read = await stream.ReadAsync(buffer, stall.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested) { throw new DownloadStalledException(http.Options.StallTimeout, e); }
                }
                if (read == 0) break;
                if (json.Length + read > MaxJsonBytes)
                    throw new AiException(AiErrors.HubResponseInvalid, "HF_ENDPOINT", http.Hub.Base, context.What, $"the answer is larger than {MaxJsonBytes >> 20} MiB");
                json.Write(buffer, 0, read);
            }
            json.Position = 0;
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new AiException(AiErrors.HubResponseInvalid, "HF_ENDPOINT", http.Hub.Base, context.What, "not JSON (" + e.Message + ")");
        }
        catch (Exception e) when (ModelHttp.Classify(e) == Net.RetryVerdict.Retry && !cancellationToken.IsCancellationRequested)
        {
            throw context.Failed(1, http.Describe(e), e);
        }
    }
}
