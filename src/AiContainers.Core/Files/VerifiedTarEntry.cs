using System.Formats.Tar;

namespace AiContainers.Core.Files;

/// <summary>
/// Writes a tar entry whose data is a file with a recorded SHA-256 (a model cache blob), checking the bytes as the tar
/// takes them (<see cref="Sha256VerifyingStream"/>): never read twice, never buffered, AIC5109 when they changed. Used
/// wherever an image builder reads cached model files: the daemonless layer writer and the Docker context archive.
/// </summary>
internal static class VerifiedTarEntry
{
    /// <summary>Takes ownership of <paramref name="data"/> (a file opened for reading) and disposes it.</summary>
    public static void Write(TarWriter tar, TarEntry entry, FileStream data, string sha256, string name, string? cacheDirectory)
    {
        using var verifying = new Sha256VerifyingStream(data, sha256, name, cacheDirectory);
        entry.DataStream = new KnownLengthStream(verifying, data.Length);
        tar.WriteEntry(entry);
        // An empty file, or one that shrank: its end is reached here, where the hash is compared.
        var rest = new byte[1 << 16];
        while (verifying.Read(rest) > 0) { }
    }

    /// <inheritdoc cref="Write"/>
    public static async Task WriteAsync(TarWriter tar, TarEntry entry, FileStream data, string sha256, string name, string? cacheDirectory, CancellationToken ct)
    {
        var verifying = new Sha256VerifyingStream(data, sha256, name, cacheDirectory);
        await using (verifying.ConfigureAwait(false))
        {
            entry.DataStream = new KnownLengthStream(verifying, data.Length);
            await tar.WriteEntryAsync(entry, ct).ConfigureAwait(false);
            var rest = new byte[1 << 16];
            while (await verifying.ReadAsync(rest, ct).ConfigureAwait(false) > 0) { }
        }
    }

    /// <summary>
    /// Presents a forward-only stream of known length as seekable, which is all TarWriter needs to write the size into
    /// the header before the data. Given a data stream that cannot seek, TarWriter seeks back in the archive instead
    /// (ours are a hash/compress pipeline and an HTTP pipe, which cannot) or copies the data into memory first: a 1 GiB
    /// model file would take 1 GiB of memory. Seeking anywhere but the current position is refused, so a change in
    /// TarWriter's behaviour shows at once instead of corrupting a layer.
    /// </summary>
    internal sealed class KnownLengthStream : Stream
    {
        private readonly Stream _inner;
        private readonly long _length;
        private long _position;

        public KnownLengthStream(Stream inner, long length)
        {
            _inner = inner;
            _length = length;
        }

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => _length;

        public override long Position
        {
            get => _position;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        // Never past Length: the header already holds the size. The last piece is handed over only after the inner
        // stream reached its end and compared the hash, so a changed file never leaves a whole entry behind (an engine
        // reading the context as it streams would otherwise have every byte of it before the error).
        public override int Read(Span<byte> buffer)
        {
            var read = _inner.Read(buffer[..Remaining(buffer.Length)]);
            _position += read;
            if (_position == _length && read > 0) DrainToEnd();
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await _inner.ReadAsync(buffer[..Remaining(buffer.Length)], cancellationToken).ConfigureAwait(false);
            _position += read;
            if (_position == _length && read > 0) await DrainToEndAsync(cancellationToken).ConfigureAwait(false);
            return read;
        }

        /// <summary>Reads the inner stream to its end: bytes past Length (a file that grew) are hashed too, so they fail it.</summary>
        private void DrainToEnd()
        {
            var rest = new byte[1 << 16];
            while (_inner.Read(rest) > 0) { }
        }

        private async ValueTask DrainToEndAsync(CancellationToken cancellationToken)
        {
            var rest = new byte[1 << 16];
            while (await _inner.ReadAsync(rest, cancellationToken).ConfigureAwait(false) > 0) { }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Remaining(int requested) => (int)Math.Min(requested, _length - _position);

        public override long Seek(long offset, SeekOrigin origin)
        {
            var target = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => _length + offset };
            if (target != _position) throw new NotSupportedException("A verified file is read once, front to back.");
            return _position;
        }

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
