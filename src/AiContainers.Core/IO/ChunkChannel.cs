using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace AiContainers.Core.IO;

/// <summary>
/// Byte chunks handed from one thread to another through a bounded channel (System.Threading.Channels), the buffers
/// rented from the shared pool: the writer blocks when <see cref="Capacity"/> chunks wait, so memory stays at a few
/// MiB whatever the size of what flows through. The base of <see cref="ProducedStream"/> and <see cref="BackgroundSha256"/>.
/// </summary>
internal static class ChunkChannel
{
    public const int Capacity = 16;
    public const int ChunkBytes = 1 << 18;

    public static Channel<(byte[] Buffer, int Count)> Create()
        => Channel.CreateBounded<(byte[] Buffer, int Count)>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });

    /// <summary>A write-only stream that copies what it is given into rented chunks and queues them.</summary>
    internal class WriterStream(ChannelWriter<(byte[] Buffer, int Count)> writer) : Stream
    {
        public long BytesWritten { get; private set; }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                var (chunk, n) = Copy(buffer);
                // Synchronous callers (TarWriter.WriteEntry) wait here while the channel is full.
                if (!writer.TryWrite((chunk, n))) writer.WriteAsync((chunk, n)).AsTask().GetAwaiter().GetResult();
                buffer = buffer[n..];
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (!buffer.IsEmpty)
            {
                var (chunk, n) = Copy(buffer.Span);
                await writer.WriteAsync((chunk, n), cancellationToken).ConfigureAwait(false);
                buffer = buffer[n..];
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private (byte[] Chunk, int Count) Copy(ReadOnlySpan<byte> source)
        {
            var n = Math.Min(source.Length, ChunkBytes);
            var chunk = ArrayPool<byte>.Shared.Rent(n);
            source[..n].CopyTo(chunk);
            BytesWritten += n;
            return (chunk, n);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

/// <summary>
/// A write-only stream that computes SHA-256 on a thread of its own: the writer only copies. Used where one pass over a
/// large file must produce two hashes (a model file's own, checked as it is read, and the layer tar's), so on two cores
/// the pass takes one hash's time instead of two.
/// </summary>
internal sealed class BackgroundSha256 : ChunkChannel.WriterStream
{
    private readonly Channel<(byte[] Buffer, int Count)> _channel;
    private readonly Task<byte[]> _hashing;

    public BackgroundSha256() : this(ChunkChannel.Create()) { }

    private BackgroundSha256(Channel<(byte[] Buffer, int Count)> channel) : base(channel.Writer)
    {
        _channel = channel;
        var reader = channel.Reader;
        _hashing = Task.Run(async () =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await foreach (var (buffer, count) in reader.ReadAllAsync().ConfigureAwait(false))
            {
                sha.AppendData(buffer, 0, count);
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return sha.GetHashAndReset();
        });
    }

    /// <summary>Ends the input and returns "sha256:&lt;hex&gt;" of everything written.</summary>
    public async Task<string> CompleteAsync()
    {
        _channel.Writer.TryComplete();
        return "sha256:" + Convert.ToHexString(await _hashing.ConfigureAwait(false)).ToLowerInvariant();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Abandoned (an exception in the writer): end the hashing task so it returns its buffers and exits.
            _channel.Writer.TryComplete();
            try { _hashing.GetAwaiter().GetResult(); } catch (Exception) { }
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// A read-only stream of what a producer writes, produced as it is read: a layer tar regenerated from its source files
/// for an upload, so no copy of it is ever stored. The producer runs on a thread of its own and waits while the reader
/// lags (bounded memory). Its exception (e.g. AIC5109, a file changed) is thrown by the read that reaches it, so a
/// consumer never takes a stream cut short for a whole one. Disposing the stream early cancels the producer.
/// </summary>
internal sealed class ProducedStream : Stream
{
    private readonly Channel<(byte[] Buffer, int Count)> _channel = ChunkChannel.Create();
    private readonly CancellationTokenSource _abandoned = new();
    private readonly Task _producer;
    private byte[]? _current;
    private int _offset, _count;
    private long _position;

    public ProducedStream(Func<Stream, CancellationToken, Task> produce)
    {
        var writer = _channel.Writer;
        var token = _abandoned.Token;
        _producer = Task.Run(async () =>
        {
            try
            {
                await produce(new ChunkChannel.WriterStream(writer), token).ConfigureAwait(false);
                writer.TryComplete();
            }
            catch (Exception e)
            {
                writer.TryComplete(e);
            }
        });
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_current is null && !TryNext(wait: true).GetAwaiter().GetResult()) return 0;
        return Take(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_current is null && !await TryNext(wait: true, cancellationToken).ConfigureAwait(false)) return 0;
        return Take(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async ValueTask<bool> TryNext(bool wait, CancellationToken cancellationToken = default)
    {
        var reader = _channel.Reader;
        while (true)
        {
            if (reader.TryRead(out var item))
            {
                if (item.Count == 0) { ArrayPool<byte>.Shared.Return(item.Buffer); continue; }
                (_current, _offset, _count) = (item.Buffer, 0, item.Count);
                return true;
            }
            if (!wait) return false;
            // WaitToReadAsync throws the producer's exception once the channel completes with one.
            if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return false;
        }
    }

    private int Take(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _count - _offset);
        _current.AsSpan(_offset, n).CopyTo(buffer);
        _offset += n;
        _position += n;
        if (_offset == _count)
        {
            ArrayPool<byte>.Shared.Return(_current!);
            _current = null;
        }
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _abandoned.Cancel();
            // A closed channel fails the producer's next write (and one waiting for room); draining frees its buffers.
            _channel.Writer.TryComplete();
            while (!_producer.IsCompleted)
            {
                while (_channel.Reader.TryRead(out var item)) ArrayPool<byte>.Shared.Return(item.Buffer);
                _producer.Wait(TimeSpan.FromMilliseconds(20));
            }
            while (_channel.Reader.TryRead(out var item)) ArrayPool<byte>.Shared.Return(item.Buffer);
            if (_current is not null) { ArrayPool<byte>.Shared.Return(_current); _current = null; }
            _abandoned.Dispose();
        }
        base.Dispose(disposing);
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
