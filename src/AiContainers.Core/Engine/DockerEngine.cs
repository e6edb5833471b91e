using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Registry;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace AiContainers.Core.Engine;

/// <summary>
/// The Docker Engine API through Docker.DotNet.Enhanced, which resolves the endpoint like the
/// docker CLI (DOCKER_HOST, then the current docker context, then the platform socket). The API
/// version is left unset: the client does not negotiate, and unversioned paths work on every engine.
/// Errors from a build or push arrive inside the progress stream, so they are collected there.
/// </summary>
public sealed partial class DockerEngine : IContainerEngine
{
    [System.Text.RegularExpressions.GeneratedRegex(@"\x1B\[[0-9;]*[A-Za-z]")]
    private static partial System.Text.RegularExpressions.Regex AnsiEscape();

    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);
    private readonly DockerClient _client;

    private DockerEngine(DockerClient client, string endpointSource)
    {
        _client = client;
        Endpoint = client.Options.Endpoint?.ToString() ?? "(default)";
        EndpointSource = endpointSource;
    }

    public string Endpoint { get; }

    /// <summary>Where <see cref="Endpoint"/> came from (DOCKER_HOST, a docker context, the default), for error messages.</summary>
    public string EndpointSource { get; }

    /// <summary>The engine at <paramref name="endpoint"/>, or (null) where the docker CLI would look: DOCKER_HOST, the docker context, the platform socket.</summary>
    public static DockerEngine Create(Uri? endpoint = null)
    {
        try
        {
            var builder = new DockerClientBuilder();
            if (endpoint is not null) builder = builder.WithEndpoint(endpoint);
            return new DockerEngine(builder.Build(), endpoint is not null ? "the endpoint given" : DescribeEndpointSource());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var context = Environment.GetEnvironmentVariable("DOCKER_CONTEXT") ?? "current";
            throw new AiException(AiErrors.DockerContextInvalid, null, context, e.Message);
        }
    }

    /// <summary>The docker CLI's order: DOCKER_HOST, DOCKER_CONTEXT, config.json's currentContext, the platform default.</summary>
    private static string DescribeEndpointSource()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST"))) return "DOCKER_HOST";
        if (Environment.GetEnvironmentVariable("DOCKER_CONTEXT") is { Length: > 0 } context) return $"DOCKER_CONTEXT '{context}'";
        try
        {
            var config = new RegistryCredentialStore().ConfigPath;
            if (File.Exists(config))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(config));
                if (json.RootElement.TryGetProperty("currentContext", out var current) && current.GetString() is { Length: > 0 } name && name != "default")
                    return $"docker context '{name}' in {config}";
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { }
        return "the default, as DOCKER_HOST is unset";
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PingTimeout);
        try
        {
            await _client.System.PingAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not AiException)
        {
            throw EngineFailure.Classify(e, Endpoint, EndpointSource, PingTimeout);
        }
    }

    /// <summary>
    /// Whether the engine has the default <c>bridge</c> network. Without it (dockerd --bridge=none) a build
    /// whose network mode is the default runs RUN steps with no network at all.
    /// </summary>
    public async Task<bool> HasBridgeNetworkAsync(CancellationToken cancellationToken)
    {
        var networks = await _client.Networks.ListNetworksAsync(new NetworksListParameters(), cancellationToken).ConfigureAwait(false);
        return networks.Any(n => n.Name == "bridge" || n.Driver == "bridge");
    }

    /// <summary>Network modes that do not use the engine's bridge: these work on an engine without one.</summary>
    private static bool UsesBridge(string? networkMode)
        => string.IsNullOrEmpty(networkMode) || networkMode is "default" or "bridge";

    public async Task<EngineBuildResult> BuildAsync(EngineBuildRequest request, IAiLog log, CancellationToken cancellationToken)
    {
        var parameters = new ImageBuildParameters
        {
            Tags = request.Tags.ToList(),
            Dockerfile = "Dockerfile",
            // Intermediate containers go away whether the build succeeds or fails: nothing dangling.
            Remove = true,
            ForceRemove = true,
            NetworkMode = string.IsNullOrEmpty(request.NetworkMode) ? null : request.NetworkMode,
        };
        var auths = request.PullCredentials.Select(kv => ToAuthConfig(kv.Key, kv.Value)).ToList();

        // The context is streamed: a tar writer fills a pipe while the engine reads the other end.
        // Large segments: the HTTP client reads the pipe in segment-sized pieces, and 4 KiB pieces made
        // the upload twice as slow as the docker CLI's.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 32 << 20, resumeWriterThreshold: 16 << 20, minimumSegmentSize: 1 << 20));
        long contextBytes = 0;
        int contextFiles = 0;
        // A coded failure while writing the context (a model cache file that changed) is why the build fails, not the
        // broken upload it causes: kept to be thrown instead of the client's error.
        AiException? contextFailure = null;
        var writer = Task.Run(() =>
        {
            // TarWriter writes headers and file data in small pieces; batching them into 1 MiB writes
            // keeps the pipe's per-write flush cost from dominating a large context.
            using var counting = new CountingStream(new BufferedStream(pipe.Writer.AsStream(), 1 << 20));
            try
            {
                contextFiles = BuildContextArchive.Write(request.ContextDirectory, counting, cancellationToken, request.VerifiedFiles);
            }
            catch (AiException e)
            {
                contextFailure = e;
                throw;
            }
            finally
            {
                contextBytes = counting.BytesWritten;
            }
        }, cancellationToken).ContinueWith(t => pipe.Writer.Complete(t.Exception?.GetBaseException()), TaskScheduler.Default);

        var progress = new BuildProgress(log);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await using var reader = pipe.Reader.AsStream();
            await _client.Images.BuildImageFromDockerfileAsync(parameters, reader, auths, new Dictionary<string, string>(), progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (contextFailure is not null)
        {
            throw contextFailure;
        }
        catch (DockerApiException e)
        {
            throw new AiException(AiErrors.EngineRequestFailed, null, "the build", e.ResponseBody?.Trim() ?? e.Message, Endpoint);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && EngineFailure.IsConnectionFailure(e))
        {
            throw new AiException(AiErrors.EngineConnectionLost, null, Endpoint, "the build", EngineFailure.Reason(e));
        }
        await writer.ConfigureAwait(false);
        if (contextFailure is not null) throw contextFailure;
        log.Message(AiLogLevel.Detail, $"AiContainers: engine build took {watch.ElapsedMilliseconds} ms (context {contextBytes} bytes; first engine message after {progress.FirstMessageMs} ms)");

        if (progress.Error is { } error)
        {
            // On an engine without a bridge (dockerd --bridge=none) RUN steps in the default network mode have no
            // network: apt-get and pip fail with pages of resolver errors that never say why. Asked only after a
            // failure, so builds that need no network keep working on such engines.
            if (UsesBridge(request.NetworkMode) && !await HasBridgeNetworkAsync(cancellationToken).ConfigureAwait(false))
                throw new AiException(AiErrors.BuildWithoutBridgeNetwork, "AiBuildNetwork", progress.CurrentStep ?? "the first step", error + progress.RecentOutput(maxLines: 6), Endpoint);
            throw new AiException(AiErrors.BuildStepFailed, null, progress.CurrentStep ?? "the first step", error + progress.RecentOutput());
        }
        if (progress.ImageId is null) throw new AiException(AiErrors.BuildProducedNoImage, null);
        return new EngineBuildResult(progress.ImageId, contextBytes, contextFiles);
    }

    public async Task<EnginePushResult> PushAsync(string name, string tag, RegistryCredential? credential, IAiLog log, CancellationToken cancellationToken)
    {
        var registry = name.Split('/')[0];
        var progress = new PushProgress(log, tag);
        try
        {
            await _client.Images.PushImageAsync(name, new ImagePushParameters { Tag = tag }, credential is null ? new AuthConfig() : ToAuthConfig(registry, credential), progress, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            var body = e.ResponseBody?.Trim() ?? e.Message;
            throw new EnginePushException(body, PushErrorClassifier.Classify(body + " " + (int)e.StatusCode));
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new EnginePushException(Innermost(e).Message, PushFailureKind.Transient);
        }
        if (progress.Error is { } error) throw new EnginePushException(error, PushErrorClassifier.Classify(error));
        if (progress.Digest is null) throw new EnginePushException("the engine finished the push without reporting a digest", PushFailureKind.Other);
        return new EnginePushResult(progress.Digest, progress.Size);
    }

    public async Task<EngineImageInfo?> InspectImageAsync(string nameOrId, CancellationToken cancellationToken)
    {
        try
        {
            var image = await _client.Images.InspectImageAsync(nameOrId, cancellationToken).ConfigureAwait(false);
            return new EngineImageInfo(image.ID, image.Size, image.RepoTags?.ToList() ?? new List<string>(), image.RepoDigests?.ToList() ?? new List<string>());
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task LoadImageAsync(Stream archive, CancellationToken cancellationToken)
    {
        string? error = null;
        var progress = new Progress<JSONMessage>(m => error ??= m.Error?.Message);
        await _client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, archive, progress, cancellationToken).ConfigureAwait(false);
        // Like a failed RUN, a refused load arrives in the progress stream, not as an exception.
        if (error is not null) throw new AiException(AiErrors.EngineLoadFailed, "AiImageBuilder", Endpoint, error);
    }

    public async Task<IReadOnlyDictionary<string, byte[]>> ReadImageFilesAsync(string image, IReadOnlyList<string> paths, long maxBytesEach, CancellationToken cancellationToken)
    {
        // Created, never started: the entrypoint is never run, so any path will do for it.
        var container = await _client.Containers.CreateContainerAsync(new CreateContainerParameters { Image = image, Entrypoint = new[] { "/aicontainers-read-only" }, Cmd = new List<string>() }, cancellationToken).ConfigureAwait(false);
        try
        {
            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var path in paths)
            {
                var current = path;
                // Links like /etc/os-release -> ../usr/lib/os-release are followed a few hops, never out of the image.
                for (var hop = 0; hop < 8; hop++)
                {
                    ContainerArchiveResponse response;
                    try { response = await _client.Containers.GetArchiveFromContainerAsync(container.ID, new ContainerPathStatParameters { Path = current }, false, cancellationToken).ConfigureAwait(false); }
                    catch (DockerContainerNotFoundException) { break; }
                    catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound) { break; }
                    if (response.Stream is null) break;
                    var archive = new MemoryStream();
                    await using (var stream = response.Stream)
                    {
                        // The engine's chunked body can end without its last chunk (the client then throws at the end); a
                        // body cut short anywhere else is caught below, where the tar entry comes up shorter than its header says.
                        try { await stream.CopyToAsync(archive, cancellationToken).ConfigureAwait(false); }
                        catch (EndOfStreamException) { }
                    }
                    archive.Position = 0;
                    using var tar = new System.Formats.Tar.TarReader(archive);
                    var entry = await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
                    if (entry is { EntryType: System.Formats.Tar.TarEntryType.SymbolicLink })
                    {
                        current = entry.LinkName.StartsWith('/') ? entry.LinkName : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, entry.LinkName), "/").Replace('\\', '/');
                        continue;
                    }
                    if (entry is { DataStream: { } data } && entry.EntryType is System.Formats.Tar.TarEntryType.RegularFile or System.Formats.Tar.TarEntryType.V7RegularFile && entry.Length <= maxBytesEach)
                    {
                        using var copy = new MemoryStream();
                        await data.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
                        if (copy.Length != entry.Length) throw new EndOfStreamException($"the engine sent {copy.Length} of the {entry.Length} bytes of {current}");
                        files[path] = copy.ToArray();
                    }
                    break;
                }
            }
            return files;
        }
        finally
        {
            await _client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose() => _client.Dispose();

    private static AuthConfig ToAuthConfig(string registry, RegistryCredential credential)
        => credential.IsIdentityToken
            ? new AuthConfig { ServerAddress = registry, IdentityToken = credential.Secret }
            : new AuthConfig { ServerAddress = registry, Username = credential.Username, Password = credential.Secret };

    private static Exception Innermost(Exception e) => EngineFailure.Innermost(e);

    internal static string? AuxString(JSONMessage message, string key)
    {
        if (message.Aux?.ExtensionData is not { } data || !data.TryGetValue(key, out var value) || value is null) return null;
        return value switch
        {
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            JsonElement e => e.ToString(),
            _ => value.ToString(),
        };
    }

    /// <summary>Synchronous progress: Progress&lt;T&gt; would post callbacks later and out of order.</summary>
    private sealed class BuildProgress : IProgress<JSONMessage>
    {
        private readonly IAiLog _log;
        private readonly Queue<string> _recent = new();
        private readonly StringBuilder _line = new();
        private readonly Dictionary<string, string> _pullStatus = new();

        public BuildProgress(IAiLog log) => _log = log;

        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

        public string? Error { get; private set; }
        public string? ImageId { get; private set; }
        public string? CurrentStep { get; private set; }
        public long FirstMessageMs { get; private set; } = -1;

        public void Report(JSONMessage value)
        {
            if (FirstMessageMs < 0) FirstMessageMs = _clock.ElapsedMilliseconds;
            if (value.Error is { } error && !string.IsNullOrEmpty(error.Message)) Error = error.Message.Trim();
            if (AuxString(value, "ID") is { } id) ImageId = id;
            if (!string.IsNullOrEmpty(value.Stream)) Stream(value.Stream);
            if (!string.IsNullOrEmpty(value.Status))
            {
                // Pull progress: one line per layer state change, not per progress tick.
                var key = value.ID ?? "";
                if (!_pullStatus.TryGetValue(key, out var last) || last != value.Status)
                {
                    _pullStatus[key] = value.Status;
                    if (!HasByteProgress(value)) _log.Message(AiLogLevel.Progress, "  " + (key.Length > 0 ? key + ": " : "") + value.Status);
                }
            }
        }

        private void Stream(string text)
        {
            foreach (var c in text)
            {
                if (c == '\n') Flush();
                else if (c != '\r') _line.Append(c);
            }
        }

        private void Flush()
        {
            // RUN output on stderr arrives wrapped in ANSI colour codes; logs and errors want plain text.
            var line = AnsiEscape().Replace(_line.ToString(), "");
            _line.Clear();
            if (line.Length == 0) return;
            if (line.StartsWith("Step ", StringComparison.Ordinal))
            {
                CurrentStep = line;
                _recent.Clear();
                _log.Message(AiLogLevel.Summary, "  " + line);
                return;
            }
            if (line.StartsWith("Successfully built ", StringComparison.Ordinal) && ImageId is null)
                ImageId = line["Successfully built ".Length..].Trim();
            _recent.Enqueue(line);
            while (_recent.Count > 40) _recent.Dequeue();
            _log.Message(AiLogLevel.Progress, "    " + line);
        }

        public string RecentOutput(int maxLines = 40)
        {
            if (_line.Length > 0) Flush();
            var lines = _recent.Where(l => !l.StartsWith(" ---> ", StringComparison.Ordinal) && !l.StartsWith("Removing intermediate container", StringComparison.Ordinal)).ToList();
            if (lines.Count > maxLines) lines = lines.Skip(lines.Count - maxLines).ToList();
            return lines.Count == 0 ? "" : "\n--- step output ---\n" + string.Join("\n", lines) + "\n---";
        }
    }

    /// <summary>
    /// A progress-bar tick ("Pushing", "Downloading" with bytes). State changes such as "Pushed" or
    /// "Layer already exists" carry an empty progressDetail, which deserialises to a non-null, all-zero Progress.
    /// </summary>
    private static bool HasByteProgress(JSONMessage value) => value.Progress is { } p && (p.Current > 0 || p.Total > 0);

    private sealed class PushProgress : IProgress<JSONMessage>
    {
        private readonly IAiLog _log;
        private readonly string _tag;
        private readonly Dictionary<string, string> _status = new();

        public PushProgress(IAiLog log, string tag) { _log = log; _tag = tag; }

        public string? Error { get; private set; }
        public string? Digest { get; private set; }
        public long Size { get; private set; }

        public void Report(JSONMessage value)
        {
            if (value.Error is { } error && !string.IsNullOrEmpty(error.Message)) Error = error.Message.Trim();
            if (AuxString(value, "Digest") is { } digest && (AuxString(value, "Tag") ?? _tag) == _tag)
            {
                Digest = digest;
                if (long.TryParse(AuxString(value, "Size"), out var size)) Size = size;
            }
            if (!string.IsNullOrEmpty(value.Status) && !HasByteProgress(value))
            {
                var key = value.ID ?? "";
                if (!_status.TryGetValue(key, out var last) || last != value.Status)
                {
                    _status[key] = value.Status;
                    _log.Message(AiLogLevel.Progress, "  " + (key.Length > 0 ? key + ": " : "") + value.Status);
                }
            }
        }
    }

    private sealed class CountingStream : Stream
    {
        private readonly Stream _inner;
        public CountingStream(Stream inner) => _inner = inner;
        public long BytesWritten { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
        public override void Flush() => _inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) { _inner.Write(buffer, offset, count); BytesWritten += count; }
        public override void Write(ReadOnlySpan<byte> buffer) { _inner.Write(buffer); BytesWritten += buffer.Length; }
        protected override void Dispose(bool disposing) { if (disposing) _inner.Dispose(); base.Dispose(disposing); }
    }
}
