using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Net;
using AiContainers.Core.Registry;

namespace AiContainers.Core.Oci.Registry;

/// <summary>
/// An OCI distribution client for one registry: reads manifests (resolving indexes to a platform),
/// configs and blobs, and pushes blobs (HEAD first, cross-repository mount, streamed upload) and
/// manifests. Every request runs under the package's one <see cref="RetryPolicy"/> (5xx, 429 with
/// Retry-After, resets; never 401/403/404), and every failure a user can meet becomes a coded AIC42xx
/// error. Callers pass the registry and repository already rewritten by AiRegistryMirror.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>Registries refuse manifests over 4 MiB (distribution's limit); a bigger answer is not a manifest.</summary>
    private const int MaxManifestBytes = 4 * 1024 * 1024;
    private const long MaxConfigBytes = 64L * 1024 * 1024;

    private readonly RegistryEndpoint _endpoint;
    private readonly HttpClient _http;
    private readonly RegistryAuthenticator _auth;
    private readonly IAiLog _log;
    private readonly RetryPolicy _retry;

    public RegistryClient(string registry, RegistryCredentialStore credentials, IAiLog log, RetryPolicy? retry = null, HttpMessageHandler? handler = null)
        : this(RegistryEndpoint.For(registry), credentials, log, retry, handler) { }

    public RegistryClient(RegistryEndpoint endpoint, RegistryCredentialStore credentials, IAiLog log, RetryPolicy? retry = null, HttpMessageHandler? handler = null)
    {
        _endpoint = endpoint;
        _log = log;
        _retry = retry ?? RetryPolicy.Default;
        // No overall timeout: a layer upload may take long; a dead connection fails on connect or by reset.
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            // Blob GETs are redirected to storage (S3, Azure blob); the handler drops Authorization on redirects.
            AllowAutoRedirect = true,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        }, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("AiContainers", typeof(RegistryClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        _auth = new RegistryAuthenticator(endpoint, credentials, _http, log);
        if (endpoint.Insecure) log.Report(AiErrors.InsecureRegistryUsed.Create(null, endpoint.Registry));
    }

    public string Registry => _endpoint.Registry;
    public RegistryEndpoint Endpoint => _endpoint;

    /// <summary>Upload in PATCH chunks of this many bytes (some registries cap a request's size); null sends the blob in one streamed PATCH.</summary>
    public long? UploadChunkSize { get; init; }

    /// <summary>
    /// A blob up to this size (without <see cref="UploadChunkSize"/>) goes up in the PUT that ends its upload session (POST,
    /// PUT: the distribution spec's monolithic upload) instead of POST, PATCH, PUT: one round trip fewer for what a code
    /// change sends (the config, the SBOM, a small app's layer), each of which waits on the one before it.
    /// </summary>
    public const long MonolithicUploadLimit = 64 * 1024;

    /// <summary>Tokens fetched from the token service so far (one per scope while they last).</summary>
    public int TokensFetched => _auth.TokensFetched;

    public void Dispose() => _http.Dispose();

    // ------------------------------------------------------------------ reading

    /// <summary>Checks that /v2/ answers like a registry (200, or 401 with a challenge, which is learned).</summary>
    public Task PingAsync(CancellationToken cancellationToken)
        => RunAsync("GET /v2/", async (_, ct) =>
        {
            using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, Url("v2/")), HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            ThrowIfTransient(response, "GET /v2/");
            if (response.StatusCode == HttpStatusCode.Unauthorized && RegistryChallenge.From(response) is { } challenge)
            {
                _auth.Accept(challenge, AuthScope.None);
                return true;
            }
            var looksLikeRegistry = response.Headers.Contains("Docker-Distribution-Api-Version") || IsJson(response);
            if (!response.IsSuccessStatusCode || !looksLikeRegistry && response.Content.Headers.ContentLength is not 0)
                throw Invalid(response, "GET /v2/");
            return true;
        }, cancellationToken);

    /// <summary>
    /// A folder that keeps manifests and configs this client read, by digest. What a digest names never changes, so a
    /// kept copy is never stale (each is hashed again when read back): a base pinned by digest (aicontainers.lock.json)
    /// is then resolved without a request. Null: nothing is kept.
    /// </summary>
    public string? DigestCacheDirectory { get; init; }

    private byte[]? Kept(string kind, string digest, out string? mediaType)
    {
        mediaType = null;
        if (DigestCacheDirectory is null || !RegistryDigest.IsSha256(digest)) return null;
        var path = Path.Combine(DigestCacheDirectory, kind, digest[7..]);
        try
        {
            if (!File.Exists(path)) return null;
            var bytes = File.ReadAllBytes(path);
            if (RegistryDigest.Of(bytes) != digest) return null; // damaged: read from the registry again, and replaced
            if (kind == "manifests") mediaType = File.ReadAllText(path + ".type");
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private void Keep(string kind, string digest, byte[] bytes, string? mediaType)
    {
        if (DigestCacheDirectory is null || !RegistryDigest.IsSha256(digest)) return;
        var path = Path.Combine(DigestCacheDirectory, kind, digest[7..]);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // The media type first: a manifest file is only ever seen with its type beside it.
            if (mediaType is not null) IO.AtomicFile.Write(path + ".type", mediaType);
            var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a cache that cannot be written is only slower
    }

    /// <summary>Reads a manifest or index as sent, checking its digest against the reference (when a digest) and Docker-Content-Digest.</summary>
    public async Task<RegistryManifest> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        if (Kept("manifests", reference, out var keptType) is { } kept && keptType is { Length: > 0 })
            return new RegistryManifest(keptType, kept, reference);
        var manifest = await FetchManifestAsync(repository, reference, cancellationToken).ConfigureAwait(false);
        Keep("manifests", manifest.Digest, manifest.Bytes, manifest.MediaType);
        return manifest;
    }

    private Task<RegistryManifest> FetchManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        var what = $"GET manifest {repository}{Separator(reference)}{reference}";
        return RunAsync(what, async (_, ct) =>
        {
            var scope = AuthScope.Pull(repository);
            using var response = await SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, Url($"v2/{repository}/manifests/{reference}"));
                foreach (var type in RegistryMediaTypes.ManifestAccept) request.Headers.Accept.ParseAdd(type);
                return request;
            }, scope, what, HttpCompletionOption.ResponseHeadersRead, replayable: true, ct).ConfigureAwait(false);
            await EnsureSuccessAsync(response, scope, what, $"image {repository}{Separator(reference)}{reference}", ct).ConfigureAwait(false);
            var bytes = await ReadBoundedAsync(response, MaxManifestBytes, what, ct).ConfigureAwait(false);
            var digest = RegistryDigest.Of(bytes);
            var source = $"downloaded from {Registry}";
            if (RegistryDigest.IsSha256(reference) && reference != digest)
                throw new AiException(AiErrors.RegistryDigestMismatch, null, $"Manifest {repository}@{reference}", digest, reference, source);
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var header) && header.FirstOrDefault() is { } sent && RegistryDigest.IsSha256(sent) && sent != digest)
                throw new AiException(AiErrors.RegistryDigestMismatch, null, $"Manifest {repository}{Separator(reference)}{reference}", digest, sent, source + ", per its Docker-Content-Digest");
            var mediaType = MediaTypeOf(bytes, response, what);
            if (!RegistryMediaTypes.IsIndex(mediaType) && !RegistryMediaTypes.IsImageManifest(mediaType))
                throw new AiException(AiErrors.UnsupportedManifestType, null, $"{Registry}/{repository}{Separator(reference)}{reference}", mediaType);
            return new RegistryManifest(mediaType, bytes, digest);
        }, cancellationToken);
    }

    /// <summary>Reads the image for <paramref name="platform"/>: an index is resolved to the platform's manifest, then the config is read and verified.</summary>
    public async Task<ResolvedImage> ResolveAsync(string repository, string reference, Platform platform, CancellationToken cancellationToken)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        var name = $"{Registry}/{repository}{Separator(reference)}{reference}";
        var top = await GetManifestAsync(repository, reference, cancellationToken).ConfigureAwait(false);
        var manifest = top;
        string? indexDigest = null;
        if (top.IsIndex)
        {
            var entries = IndexEntries(top, name);
            var candidates = entries.Where(e => e.Platform is { } p && platform.Accepts(p)).ToList();
            // Prefer the exact variant (linux/arm64/v8 over an unvarianted arm64 entry when asked for v8).
            var chosen = candidates.FirstOrDefault(e => platform.Variant is not null && e.Platform!.Variant == platform.Variant) ?? candidates.FirstOrDefault();
            if (chosen is null)
                throw new AiException(AiErrors.PlatformNotInImage, null, name, platform, DescribePlatforms(entries.Select(e => e.Platform)));
            _log.Message(AiLogLevel.Detail, $"Registry {Registry}: {name} is an index; {chosen.Platform} is {chosen.Digest}");
            manifest = await GetManifestAsync(repository, chosen.Digest, cancellationToken).ConfigureAwait(false);
            if (manifest.IsIndex)
                throw new AiException(AiErrors.UnsupportedManifestType, null, $"{Registry}/{repository}@{chosen.Digest}", manifest.MediaType + " (an index inside an index)");
            indexDigest = top.Digest;
        }

        var (configDescriptor, layers) = ParseImageManifest(manifest, name);
        var configBytes = await ReadBlobBytesAsync(repository, configDescriptor.Digest, MaxConfigBytes, cancellationToken).ConfigureAwait(false);
        if (indexDigest is null && ConfigPlatform(configBytes) is { } imagePlatform && !platform.Accepts(imagePlatform))
            throw new AiException(AiErrors.PlatformNotInImage, null, name, platform, imagePlatform.ToString());
        return new ResolvedImage(Registry, repository, manifest.Digest, manifest, configBytes, configDescriptor.Digest, layers, indexDigest)
        {
            ConfigMediaType = configDescriptor.MediaType,
        };
    }

    /// <summary>The platforms an image offers: every entry of an index, or the one its config names.</summary>
    public async Task<IReadOnlyList<Platform>> PlatformsAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        var name = $"{Registry}/{repository}{Separator(reference)}{reference}";
        var top = await GetManifestAsync(repository, reference, cancellationToken).ConfigureAwait(false);
        if (top.IsIndex) return IndexEntries(top, name).Where(e => e.Platform is not null).Select(e => e.Platform!).ToList();
        var (config, _) = ParseImageManifest(top, name);
        var bytes = await ReadBlobBytesAsync(repository, config.Digest, MaxConfigBytes, cancellationToken).ConfigureAwait(false);
        return ConfigPlatform(bytes) is { } p ? new[] { p } : Array.Empty<Platform>();
    }

    /// <summary>Opens a blob for reading; the stream throws a coded digest mismatch at its end when the bytes are not <paramref name="digest"/>'s.</summary>
    public Task<Stream> OpenBlobAsync(string repository, string digest, CancellationToken cancellationToken)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        var name = repository;
        return RunAsync($"GET blob {repository}@{digest}", (_, ct) => OpenBlobOnceAsync(name, digest, ct), cancellationToken);
    }

    /// <summary>One attempt at opening a blob (the callers own the retry, so retries never nest).</summary>
    private async Task<Stream> OpenBlobOnceAsync(string repository, string digest, CancellationToken ct)
    {
        var what = $"GET blob {repository}@{digest}";
        var scope = AuthScope.Pull(repository);
        var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Url($"v2/{repository}/blobs/{digest}")),
            scope, what, HttpCompletionOption.ResponseHeadersRead, replayable: true, ct).ConfigureAwait(false);
        try
        {
            await EnsureSuccessAsync(response, scope, what, $"blob {digest} in {repository}", ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new VerifyingStream(body, response, digest, $"Blob {repository}@{digest}", $"downloaded from {Registry}");
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Reads a small blob (a config) whole, verified, retrying a download cut short.</summary>
    public async Task<byte[]> ReadBlobBytesAsync(string repository, string digest, long maxBytes, CancellationToken cancellationToken)
    {
        if (Kept("blobs", digest, out _) is { } kept && kept.Length <= maxBytes) return kept;
        var bytes = await FetchBlobBytesAsync(repository, digest, maxBytes, cancellationToken).ConfigureAwait(false);
        Keep("blobs", digest, bytes, null);
        return bytes;
    }

    private Task<byte[]> FetchBlobBytesAsync(string repository, string digest, long maxBytes, CancellationToken cancellationToken)
        => RunAsync($"GET blob {repository}@{digest}", async (_, ct) =>
        {
            await using var stream = await OpenBlobOnceAsync(RegistryEndpoint.ApiRepository(Registry, repository), digest, ct).ConfigureAwait(false);
            var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > maxBytes)
                    throw new AiException(AiErrors.RegistryResponseInvalid, null, Registry, $"GET blob {repository}@{digest}", $"more than {maxBytes} bytes for a config blob");
                buffer.Write(chunk, 0, n);
            }
            return buffer.ToArray();
        }, cancellationToken);

    // ------------------------------------------------------------------ pushing

    /// <summary>HEAD of a blob in <paramref name="repository"/> (with push scope: it is asked before uploading there).</summary>
    public Task<bool> BlobExistsAsync(string repository, string digest, CancellationToken cancellationToken)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        var what = $"HEAD blob {repository}@{digest}";
        return RunAsync(what, async (_, ct) =>
        {
            var scope = AuthScope.Push(repository);
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, Url($"v2/{repository}/blobs/{digest}")),
                scope, what, HttpCompletionOption.ResponseHeadersRead, replayable: true, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound) return false;
            await EnsureSuccessAsync(response, scope, what, $"blob {digest} in {repository}", ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Asks the registry to link a blob it already holds in <paramref name="fromRepository"/> into
    /// <paramref name="repository"/> (no bytes move). True when mounted; false when the registry declined
    /// (no access to the source, the blob is not there, or mounting is unsupported) and an upload is needed.
    /// </summary>
    public Task<bool> TryMountBlobAsync(string repository, string digest, string fromRepository, CancellationToken cancellationToken)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        fromRepository = RegistryEndpoint.ApiRepository(Registry, fromRepository);
        var what = $"mount blob {digest} from {fromRepository} into {repository}";
        var from = fromRepository;
        return RunAsync(what, async (_, ct) =>
        {
            var scope = AuthScope.Mount(repository, from);
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post,
                    Url($"v2/{repository}/blobs/uploads/?mount={digest}&from={from}")) { Content = new ByteArrayContent(Array.Empty<byte>()) },
                scope, what, HttpCompletionOption.ResponseContentRead, replayable: true, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                _log.Message(AiLogLevel.Detail, $"Registry {Registry}: mounted {digest} from {from} into {repository}");
                return true;
            }
            await EnsureSuccessAsync(response, scope, what, $"repository {repository}", ct).ConfigureAwait(false);
            // 202: the registry opened an ordinary upload instead; close it so it does not linger.
            if (response.Headers.Location is { } location)
                await DeleteQuietlyAsync(Resolve(location), scope, ct).ConfigureAwait(false);
            _log.Message(AiLogLevel.Detail, $"Registry {Registry}: {digest} could not be mounted from {from}; it will be uploaded");
            return false;
        }, cancellationToken);
    }

    /// <summary>
    /// Uploads a blob unless <paramref name="repository"/> has it already (HEAD first): POST opens an
    /// upload, PATCH streams the bytes from <paramref name="open"/> (one stream per attempt, so a
    /// retried upload starts from a fresh stream; never buffered whole), PUT ?digest= commits it. Up to
    /// <see cref="MonolithicUploadLimit"/> the bytes go in that PUT instead, with no PATCH.
    /// <paramref name="progress"/> gets the bytes of this blob sent so far (it restarts at 0 on a retry).
    /// </summary>
    /// <param name="checkedAbsent">The caller's own HEAD just found the blob missing: no second HEAD for it.</param>
    public async Task UploadBlobAsync(string repository, string digest, long size, Func<Stream> open, IProgress<long>? progress, CancellationToken cancellationToken, bool checkedAbsent = false)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        if (!checkedAbsent && await BlobExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false))
        {
            _log.Message(AiLogLevel.Detail, $"Registry {Registry}: {repository} already has {digest}; skipped");
            progress?.Report(size);
            return;
        }
        var what = $"upload of blob {digest} to {repository}";
        var scope = AuthScope.Push(repository);
        try
        {
            await _retry.ExecuteAsync(Announced<bool>(what, async (attempt, ct) =>
            {
                progress?.Report(0);
                var location = await StartUploadAsync(repository, scope, what, ct).ConfigureAwait(false);
                await using var source = open();
                var counting = new ProgressStream(source, progress);
                if (UploadChunkSize is null && size <= MonolithicUploadLimit)
                {
                    await CommitUploadAsync(location, repository, digest, scope, what, ct, () => OctetStream(new BoundedStream(counting, size), size)).ConfigureAwait(false);
                    return true;
                }
                long sent = 0;
                do
                {
                    var length = UploadChunkSize is { } chunk ? Math.Min(chunk, size - sent) : size - sent;
                    var start = sent;
                    using var patch = await SendAsync(() =>
                    {
                        var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = OctetStream(new BoundedStream(counting, length), length) };
                        if (UploadChunkSize is not null && length > 0)
                            request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{start}-{start + length - 1}");
                        return request;
                    }, scope, what, HttpCompletionOption.ResponseContentRead, replayable: false, ct).ConfigureAwait(false);
                    await EnsureSuccessAsync(patch, scope, what, $"upload session in {repository}", ct).ConfigureAwait(false);
                    sent += length;
                    location = patch.Headers.Location is { } next ? Resolve(next) : location;
                }
                while (sent < size);

                await CommitUploadAsync(location, repository, digest, scope, what, ct).ConfigureAwait(false);
                return true;
            }), e => Classify(e, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (RetryBudgetExhaustedException e)
        {
            throw new AiException(AiErrors.BlobUploadFailed.Create(null, digest, Registry, repository, e.Attempts, Describe(e.InnerException!)), e);
        }
        _log.Message(AiLogLevel.Detail, $"Registry {Registry}: uploaded {digest} ({size} bytes) to {repository}");
    }

    /// <summary>
    /// Whether <paramref name="repository"/> holds any tag (<c>GET /v2/&lt;name&gt;/tags/list?n=1</c>). Only a clear "none"
    /// (404, or an empty list) is false; any other answer, a refusal included, is true, so a caller that skips work
    /// for an empty repository never skips it on a guess.
    /// </summary>
    public async Task<bool> RepositoryHasTagsAsync(string repository, CancellationToken cancellationToken)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        var what = $"list the tags of {repository}";
        try
        {
            return await RunAsync(what, async (_, ct) =>
            {
                var scope = AuthScope.Push(repository);
                using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Url($"v2/{repository}/tags/list?n=1")),
                    scope, what, HttpCompletionOption.ResponseContentRead, replayable: true, ct).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NotFound) return false;
                if (!response.IsSuccessStatusCode) return true;
                try
                {
                    using var document = JsonDocument.Parse(await ReadBoundedAsync(response, 1 << 20, what, ct).ConfigureAwait(false));
                    return !(document.RootElement.TryGetProperty("tags", out var tags)
                             && (tags.ValueKind == JsonValueKind.Null || tags.ValueKind == JsonValueKind.Array && tags.GetArrayLength() == 0));
                }
                catch (JsonException) { return true; }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AiException) { return true; }
    }

    /// <summary>
    /// Uploads a blob whose digest is not known yet: the bytes are hashed as they stream (one PATCH without a length,
    /// chunked) and PUT ?digest= commits them under the digest they turned out to have. For a repository that cannot
    /// hold the blob (no tags: nothing was ever pushed there), this saves reading a 1 GiB layer once only to learn the
    /// digest its HEAD would ask for. Retried like <see cref="UploadBlobAsync"/>, from a fresh stream each attempt.
    /// Returns the digest and size of what landed.
    /// </summary>
    public async Task<(string Digest, long Size)> UploadBlobHashingAsync(string repository, Func<Stream> open, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        var what = $"upload of a new blob to {repository}";
        var scope = AuthScope.Push(repository);
        (string Digest, long Size) landed;
        try
        {
            landed = await _retry.ExecuteAsync(Announced<(string, long)>(what, async (attempt, ct) =>
            {
                progress?.Report(0);
                var location = await StartUploadAsync(repository, scope, what, ct).ConfigureAwait(false);
                await using var source = open();
                using var hashing = new HashingReadStream(source);
                var counting = new ProgressStream(hashing, progress);
                using var patch = await SendAsync(() =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new StreamContent(counting, 1 << 16) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    return request;
                }, scope, what, HttpCompletionOption.ResponseContentRead, replayable: false, ct).ConfigureAwait(false);
                await EnsureSuccessAsync(patch, scope, what, $"upload session in {repository}", ct).ConfigureAwait(false);
                location = patch.Headers.Location is { } next ? Resolve(next) : location;
                var digest = hashing.Digest;
                await CommitUploadAsync(location, repository, digest, scope, what, ct).ConfigureAwait(false);
                return (digest, hashing.BytesRead);
            }), e => Classify(e, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (RetryBudgetExhaustedException e)
        {
            throw new AiException(AiErrors.BlobUploadFailed.Create(null, "(a new layer)", Registry, repository, e.Attempts, Describe(e.InnerException!)), e);
        }
        _log.Message(AiLogLevel.Detail, $"Registry {Registry}: uploaded {landed.Digest} ({landed.Size} bytes, hashed as it went) to {repository}");
        return landed;
    }

    /// <summary>PUTs a manifest under a tag (or digest); returns its digest, checked against the registry's Docker-Content-Digest.</summary>
    public async Task<string> PutManifestAsync(string repository, string reference, byte[] bytes, string mediaType, CancellationToken cancellationToken)
        => (await PutManifestCoreAsync(repository, reference, bytes, mediaType, cancellationToken).ConfigureAwait(false)).Digest;

    /// <summary>
    /// PUTs a manifest that names a <c>subject</c> (OCI 1.1), by its digest. True when the registry indexes referrers
    /// itself (it answers with the OCI-Subject header); false means the client must keep the referrers tag (sha256-&lt;hex&gt;).
    /// </summary>
    public async Task<bool> PutReferrerManifestAsync(string repository, byte[] bytes, string mediaType, CancellationToken cancellationToken)
        => (await PutManifestCoreAsync(repository, RegistryDigest.Of(bytes), bytes, mediaType, cancellationToken).ConfigureAwait(false)).Subject is not null;

    private Task<(string Digest, string? Subject)> PutManifestCoreAsync(string repository, string reference, byte[] bytes, string mediaType, CancellationToken cancellationToken)
    {
        repository = RegistryEndpoint.ApiRepository(Registry, repository);
        var digest = RegistryDigest.Of(bytes);
        var what = $"PUT manifest {repository}{Separator(reference)}{reference}";
        return RunAsync(what, async (_, ct) =>
        {
            var scope = AuthScope.Push(repository);
            using var response = await SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Put, Url($"v2/{repository}/manifests/{reference}")) { Content = new ByteArrayContent(bytes) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return request;
            }, scope, what, HttpCompletionOption.ResponseContentRead, replayable: true, ct).ConfigureAwait(false);
            await EnsureSuccessAsync(response, scope, what, $"repository {repository}", ct).ConfigureAwait(false);
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { } stored && RegistryDigest.IsSha256(stored) && stored != digest)
                throw new AiException(AiErrors.RegistryDigestMismatch, null, $"Manifest {repository}{Separator(reference)}{reference}", stored, digest, $"as stored by {Registry}");
            _log.Message(AiLogLevel.Detail, $"Registry {Registry}: pushed manifest {repository}{Separator(reference)}{reference} ({digest})");
            return (digest, response.Headers.TryGetValues("OCI-Subject", out var subject) ? subject.FirstOrDefault() : null);
        }, cancellationToken);
    }

    /// <summary>
    /// PUT ?digest= ends an upload session, with the blob's bytes when <paramref name="body"/> is given (a monolithic upload);
    /// the digest the registry says it stored must be the one asked for.
    /// </summary>
    private async Task CommitUploadAsync(Uri location, string repository, string digest, AuthScope scope, string what, CancellationToken ct, Func<HttpContent>? body = null)
    {
        using var put = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, WithQuery(location, "digest=" + Uri.EscapeDataString(digest)))
        {
            Content = body?.Invoke() ?? new ByteArrayContent(Array.Empty<byte>()),
        }, scope, what, HttpCompletionOption.ResponseContentRead, replayable: body is null, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(put, scope, what, $"upload session in {repository}", ct).ConfigureAwait(false);
        if (put.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { } stored && RegistryDigest.IsSha256(stored) && stored != digest)
            throw new AiException(AiErrors.RegistryDigestMismatch, null, $"Blob {repository}@{digest}", stored, digest, $"as stored by {Registry}");
    }

    /// <summary>A blob's bytes (or a chunk of them) as a request body of a known length.</summary>
    private static StreamContent OctetStream(Stream bytes, long length)
    {
        var content = new StreamContent(bytes, 81920);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = length;
        return content;
    }

    private async Task<Uri> StartUploadAsync(string repository, AuthScope scope, string what, CancellationToken ct)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Url($"v2/{repository}/blobs/uploads/")) { Content = new ByteArrayContent(Array.Empty<byte>()) },
            scope, what, HttpCompletionOption.ResponseContentRead, replayable: true, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, scope, what, $"repository {repository}", ct).ConfigureAwait(false);
        if (response.Headers.Location is not { } location)
            throw Invalid(response, what + " (202 without a Location header)");
        return Resolve(location);
    }

    private async Task DeleteQuietlyAsync(Uri location, AuthScope scope, CancellationToken ct)
    {
        try
        {
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, location), scope, "cancel upload", HttpCompletionOption.ResponseContentRead, replayable: true, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or AiException)
        {
            // Best effort: an abandoned upload session expires on the registry by itself.
        }
    }

    // ------------------------------------------------------------------ plumbing

    /// <summary>
    /// Says so when an attempt is a retry, with why the previous one failed: with the default policy a registry that keeps
    /// failing is retried for half a minute or more, which must not look like a hang.
    /// </summary>
    private Func<int, CancellationToken, Task<T>> Announced<T>(string what, Func<int, CancellationToken, Task<T>> attempt)
    {
        string? previous = null;
        return async (number, ct) =>
        {
            if (number > 1) _log.Message(AiLogLevel.Progress, $"AiContainers: registry {Registry}: {what} failed ({previous}); retrying (attempt {number})");
            try { return await attempt(number, ct).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                previous = Describe(e);
                throw;
            }
        };
    }

    private async Task<T> RunAsync<T>(string what, Func<int, CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        try
        {
            return await _retry.ExecuteAsync(Announced(what, attempt), e => Classify(e, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (RetryBudgetExhaustedException e)
        {
            throw new AiException(AiErrors.RegistryRetriesSpent.Create(null, Registry, what, e.Attempts, e.Elapsed.TotalSeconds, Describe(e.InnerException!)), e);
        }
    }

    private static RetryVerdict Classify(Exception e, CancellationToken cancellationToken) => e switch
    {
        AiException => RetryVerdict.Fail,
        OperationCanceledException when cancellationToken.IsCancellationRequested => RetryVerdict.Fail,
        // A reset, a response cut short, a stalled connection timing out: worth another attempt.
        HttpRequestException or IOException or OperationCanceledException => RetryVerdict.Retry,
        _ => RetryVerdict.Fail,
    };

    /// <summary>Sends with the auth a learned challenge asks for; on a 401 learns its challenge and resends once. Never returns a 401.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, AuthScope scope, string what, HttpCompletionOption completion, bool replayable, CancellationToken ct)
    {
        var request = build();
        var credential = await _auth.ApplyAsync(request, scope, ct).ConfigureAwait(false);
        var response = await SendRawAsync(request, completion, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        var challenge = RegistryChallenge.From(response);
        var hadAuth = request.Headers.Authorization is not null;
        if (challenge is not null && !(hadAuth && challenge.Error == "insufficient_scope"))
        {
            _auth.Accept(challenge, scope);
            response.Dispose();
            // A streamed body cannot be sent twice: restart the whole attempt (with a fresh stream) instead.
            if (!replayable) throw new RetryableException($"{what}: the registry asked to authenticate again");
            request = build();
            credential = await _auth.ApplyAsync(request, scope, ct).ConfigureAwait(false);
            response = await SendRawAsync(request, completion, ct).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
            challenge = RegistryChallenge.From(response);
        }
        using (response)
        {
            var error = await ReadErrorAsync(response, ct).ConfigureAwait(false);
            // A token without the needed actions is refused with 401 insufficient_scope (distribution) or DENIED: with a
            // login that is a permission problem; without one (an anonymous token) the fix is to log in.
            if (credential is not null && (challenge?.Error == "insufficient_scope" || error.Codes.Contains("DENIED")))
                throw Denied(scope, what, credential, error.Summary.Length > 0 ? error.Summary : "insufficient_scope");
            throw _auth.CredentialError(credential, scope, what);
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        using (request)
        {
            try
            {
                return await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (IsUnreachable(e))
            {
                throw new AiException(AiErrors.RegistryUnreachable.Create(null, Registry, _endpoint.BaseUri.GetLeftPart(UriPartial.Authority), Describe(e)), e);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.InvalidResponse)
            {
                throw new AiException(AiErrors.RegistryResponseInvalid.Create(null, Registry, $"{request.Method} {request.RequestUri?.AbsolutePath}", "something that is not HTTP"), e);
            }
        }
    }

    /// <summary>DNS, refused connections and TLS failures: no retry will fix them, the user must.</summary>
    internal static bool IsUnreachable(HttpRequestException e)
        => e.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError;

    internal static string Describe(Exception e)
    {
        var inner = e.InnerException is { } i && i.Message != e.Message ? " (" + i.Message + ")" : "";
        return e.Message.TrimEnd('.') + inner;
    }

    private static void ThrowIfTransient(HttpResponseMessage response, string what)
    {
        if (RetryPolicy.IsTransient(response.StatusCode))
            throw new RetryableException($"{what}: {(int)response.StatusCode} {response.ReasonPhrase}", RetryPolicy.RetryAfterOf(response));
    }

    /// <summary>Turns a non-2xx answer into a retry (5xx, 429, 408) or a coded error.</summary>
    private async Task EnsureSuccessAsync(HttpResponseMessage response, AuthScope scope, string what, string notFound, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        ThrowIfTransient(response, what);
        var error = await ReadErrorAsync(response, ct).ConfigureAwait(false);
        if (error.Codes.Contains("DIGEST_INVALID"))
            throw new AiException(AiErrors.RegistryDigestMismatch, null, $"What was sent for the {what}", "another digest", "the one named in the request", $"the registry's check: {error.Summary}");
        if (response.StatusCode == HttpStatusCode.Forbidden || error.Codes.Contains("DENIED"))
            throw Denied(scope, what, _auth.Credential(scope.Purpose), error.Summary.Length > 0 ? error.Summary : "403 Forbidden");
        if (response.StatusCode == HttpStatusCode.NotFound || error.Codes.Contains("MANIFEST_UNKNOWN") || error.Codes.Contains("NAME_UNKNOWN"))
        {
            if (!error.IsRegistryJson && error.IsHtml) throw Invalid(response, what);
            throw new AiException(AiErrors.RegistryImageNotFound, null, Registry, notFound, error.Summary.Length > 0 ? error.Summary : $"{(int)response.StatusCode} {response.ReasonPhrase}");
        }
        if (!error.IsRegistryJson) throw Invalid(response, what);
        throw new AiException(AiErrors.RegistryRequestRejected, null, Registry, what, $"{(int)response.StatusCode} {response.ReasonPhrase}", error.Summary);
    }

    private AiException Denied(AuthScope scope, string what, RegistryCredential? credential, string detail)
    {
        var who = credential is null ? " to an anonymous request" : $" to '{credential.Username}' from {credential.Source}";
        var action = scope.Purpose == CredentialPurpose.Push ? "push to" : "pull from";
        var repositories = string.Join(" and ", scope.Scopes.Select(s => s.Split(':') is { Length: >= 2 } parts ? parts[1] : s));
        return new AiException(AiErrors.RegistryAccessDenied, null, Registry, what, detail, who, action, repositories.Length > 0 ? repositories : Registry);
    }

    private AiException Invalid(HttpResponseMessage response, string what)
    {
        var type = response.Content.Headers.ContentType?.MediaType ?? "no content type";
        return new AiException(AiErrors.RegistryResponseInvalid, null, Registry, what, $"{(int)response.StatusCode} {response.ReasonPhrase} and {type}");
    }

    private sealed record ErrorBody(IReadOnlyList<string> Codes, string Summary, bool IsRegistryJson, bool IsHtml);

    /// <summary>Reads the distribution error body <c>{"errors":[{"code","message"}]}</c> (at most 16 KiB of it).</summary>
    private static async Task<ErrorBody> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = "";
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            var total = 0;
            int n;
            while (total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0) total += n;
            text = System.Text.Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (Exception e) when (e is IOException or HttpRequestException) { }
        var isHtml = response.Content.Headers.ContentType?.MediaType is "text/html" || text.TrimStart().StartsWith('<');
        if (text.Length == 0) return new ErrorBody(Array.Empty<string>(), "", !isHtml, isHtml);
        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var codes = new List<string>();
                var parts = new List<string>();
                foreach (var item in errors.EnumerateArray())
                {
                    var code = item.TryGetProperty("code", out var c) ? c.GetString() ?? "" : "";
                    var message = item.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
                    codes.Add(code);
                    parts.Add(message.Length > 0 ? $"{code}: {message}" : code);
                }
                return new ErrorBody(codes, string.Join("; ", parts), true, false);
            }
            return new ErrorBody(Array.Empty<string>(), "", true, false);
        }
        catch (JsonException)
        {
            return new ErrorBody(Array.Empty<string>(), "", false, isHtml);
        }
    }

    private static bool IsJson(HttpResponseMessage response)
        => response.Content.Headers.ContentType?.MediaType is { } type && (type.EndsWith("/json", StringComparison.Ordinal) || type.EndsWith("+json", StringComparison.Ordinal));

    private string MediaTypeOf(byte[] bytes, HttpResponseMessage response, string what)
    {
        var contentType = response.Content.Headers.ContentType?.MediaType;
        try
        {
            using var json = JsonDocument.Parse(bytes);
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("not an object");
            if (json.RootElement.TryGetProperty("mediaType", out var m) && m.GetString() is { Length: > 0 } declared) return declared;
            if (json.RootElement.TryGetProperty("schemaVersion", out var v) && v.TryGetInt32(out var version) && version == 1)
                return "application/vnd.docker.distribution.manifest.v1+json";
            // OCI allows an unset mediaType; the shape tells an index from a manifest.
            if (json.RootElement.TryGetProperty("manifests", out _)) return RegistryMediaTypes.OciIndex;
            if (json.RootElement.TryGetProperty("config", out _)) return contentType is RegistryMediaTypes.DockerManifest ? contentType : RegistryMediaTypes.OciManifest;
            return contentType ?? "unknown";
        }
        catch (JsonException)
        {
            throw Invalid(response, what);
        }
    }

    private sealed record IndexEntry(string Digest, string MediaType, Platform? Platform);

    private static List<IndexEntry> IndexEntries(RegistryManifest index, string name)
    {
        var result = new List<IndexEntry>();
        using var json = JsonDocument.Parse(index.Bytes);
        if (!json.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
            throw new AiException(AiErrors.UnsupportedManifestType, null, name, index.MediaType + " without a manifests array");
        foreach (var m in manifests.EnumerateArray())
        {
            var digest = m.TryGetProperty("digest", out var d) ? d.GetString() : null;
            if (digest is null) continue;
            var mediaType = m.TryGetProperty("mediaType", out var t) ? t.GetString() ?? "" : "";
            Platform? platform = null;
            if (m.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("os", out var os) && p.TryGetProperty("architecture", out var arch)
                && os.GetString() is { Length: > 0 } osName && arch.GetString() is { Length: > 0 } archName
                // Attestation manifests (buildx provenance) are listed as unknown/unknown.
                && osName != "unknown")
            {
                platform = Platform.Normalize(osName, archName, p.TryGetProperty("variant", out var v) ? v.GetString() : null);
            }
            result.Add(new IndexEntry(digest, mediaType, platform));
        }
        return result;
    }

    private static string DescribePlatforms(IEnumerable<Platform?> platforms)
    {
        var list = platforms.Where(p => p is not null).Select(p => p!.ToString()).Distinct().ToList();
        return list.Count == 0 ? "no platforms" : string.Join(", ", list);
    }

    private static (RegistryLayerRef Config, IReadOnlyList<RegistryLayerRef> Layers) ParseImageManifest(RegistryManifest manifest, string name)
    {
        try
        {
            using var json = JsonDocument.Parse(manifest.Bytes);
            var root = json.RootElement;
            static RegistryLayerRef Descriptor(JsonElement e) => new(
                e.TryGetProperty("mediaType", out var t) ? t.GetString() ?? "" : "",
                e.GetProperty("digest").GetString() ?? throw new JsonException("descriptor without digest"),
                e.TryGetProperty("size", out var s) ? s.GetInt64() : 0);
            var config = Descriptor(root.GetProperty("config"));
            var layers = root.TryGetProperty("layers", out var l) && l.ValueKind == JsonValueKind.Array
                ? l.EnumerateArray().Select(Descriptor).ToList()
                : new List<RegistryLayerRef>();
            return (config, layers);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new AiException(AiErrors.UnsupportedManifestType, null, name, manifest.MediaType + " that cannot be read (" + e.Message + ")");
        }
    }

    private static Platform? ConfigPlatform(byte[] config)
    {
        try
        {
            using var json = JsonDocument.Parse(config);
            var root = json.RootElement;
            if (root.TryGetProperty("os", out var os) && root.TryGetProperty("architecture", out var arch) && os.GetString() is { Length: > 0 } o && arch.GetString() is { Length: > 0 } a)
                return Platform.Normalize(o, a, root.TryGetProperty("variant", out var v) ? v.GetString() : null);
        }
        catch (JsonException) { }
        return null;
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, int max, string what, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > max) throw new AiException(AiErrors.RegistryResponseInvalid, null, "(manifest)", what, $"more than {max} bytes");
            buffer.Write(chunk, 0, n);
        }
        if (response.Content.Headers.ContentLength is { } expected && expected != buffer.Length)
            throw new IOException($"{what}: the response ended after {buffer.Length} of {expected} bytes");
        return buffer.ToArray();
    }

    private Uri Url(string path) => new(_endpoint.BaseUri, path);

    private Uri Resolve(Uri location) => location.IsAbsoluteUri ? location : new Uri(_endpoint.BaseUri, location);

    private static Uri WithQuery(Uri uri, string query)
        => new UriBuilder(uri) { Query = string.IsNullOrEmpty(uri.Query) ? query : uri.Query.TrimStart('?') + "&" + query }.Uri;

    private static string Separator(string reference) => reference.Contains(':') ? "@" : ":";
}

/// <summary>SHA-256 and count of the bytes read through it; the source is the caller's, not disposed here.</summary>
internal sealed class HashingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public HashingReadStream(Stream inner) => _inner = inner;

    public long BytesRead { get; private set; }

    /// <summary>"sha256:&lt;hex&gt;" of what was read so far.</summary>
    public string Digest => "sha256:" + Convert.ToHexString(_hash.GetCurrentHash()).ToLowerInvariant();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override int Read(Span<byte> buffer) => Account(buffer, _inner.Read(buffer));
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span, n);
    }
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Account(ReadOnlySpan<byte> buffer, int n)
    {
        _hash.AppendData(buffer[..n]);
        BytesRead += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Reports the running count of bytes read through it; the source is the caller's, not disposed here.</summary>
internal sealed class ProgressStream : Stream
{
    private readonly Stream _inner;
    private readonly IProgress<long>? _progress;
    private long _position;

    public ProgressStream(Stream inner, IProgress<long>? progress) { _inner = inner; _progress = progress; }

    public override int Read(byte[] buffer, int offset, int count) => Count(_inner.Read(buffer, offset, count));
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => Count(await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int n)
    {
        if (n > 0) { _position += n; _progress?.Report(_position); }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>At most <c>length</c> bytes of a shared source (one upload chunk); disposing it leaves the source open.</summary>
internal sealed class BoundedStream : Stream
{
    private readonly Stream _inner;
    private long _left;

    public BoundedStream(Stream inner, long length) { _inner = inner; _left = length; }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_left <= 0) return 0;
        var n = _inner.Read(buffer, offset, (int)Math.Min(count, _left));
        _left -= n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_left <= 0) return 0;
        var n = await _inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
        _left -= n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
