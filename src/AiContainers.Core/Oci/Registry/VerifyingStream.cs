using System.Security.Cryptography;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Oci.Registry;

/// <summary>
/// A read-only stream over a downloaded blob that hashes what passes through and, at the end,
/// throws a coded digest mismatch instead of returning EOF when the bytes are not the ones asked for.
/// It owns (and disposes) the HTTP response it reads from.
/// </summary>
internal sealed class VerifyingStream : Stream
{
    private readonly Stream _inner;
    private readonly IDisposable? _owner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly string _expected;
    private readonly string _what;
    private readonly string _where;
    private bool _verified;
    private long _read;

    public VerifyingStream(Stream inner, IDisposable? owner, string expectedDigest, string what, string where)
    {
        _inner = inner;
        _owner = owner;
        _expected = expectedDigest;
        _what = what;
        _where = where;
    }

    public long BytesRead => _read;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = _inner.Read(buffer);
        if (buffer.Length > 0) Account(buffer[..n]); // a zero-length request is not EOF
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (buffer.Length > 0) Account(buffer.Span[..n]);
        return n;
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        if (data.Length > 0)
        {
            _hash.AppendData(data);
            _read += data.Length;
            return;
        }
        if (_verified) return;
        _verified = true;
        var actual = RegistryDigest.FromHash(_hash.GetHashAndReset());
        if (actual != _expected)
            throw new AiException(AiErrors.RegistryDigestMismatch, null, _what, actual, _expected, _where);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _owner?.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
