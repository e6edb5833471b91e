using System.Security.Cryptography;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Files;

/// <summary>
/// A read-only stream over a file whose SHA-256 was recorded when it was verified (a model cache blob):
/// it hashes the bytes as the reader takes them, which is free since they are read anyway, and throws
/// AIC5109 at the end of the file when they no longer match, so a tampered cache never reaches a layer
/// under the original digest. Readers that stop early learn nothing; image builders read to the end.
/// </summary>
public sealed class Sha256VerifyingStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly string _expected;
    private readonly string _name;
    private readonly string? _cacheDirectory;
    private long _position;
    private bool _verified;

    /// <param name="expectedSha256">64 lowercase hex characters, with or without a sha256: prefix.</param>
    /// <param name="name">The file as messages show it.</param>
    /// <param name="cacheDirectory">The cache the file belongs to, named in the message so users know what to delete;
    /// null for a local model file, read where it is (AIC5111: it was edited during the build).</param>
    public Sha256VerifyingStream(Stream inner, string expectedSha256, string name, string? cacheDirectory)
    {
        _inner = inner;
        _expected = expectedSha256.StartsWith("sha256:", StringComparison.Ordinal) ? expectedSha256["sha256:".Length..] : expectedSha256;
        _name = name;
        _cacheDirectory = cacheDirectory;
    }

    /// <summary>Opens <paramref name="path"/> for a sequential read that is checked against <paramref name="expectedSha256"/>.</summary>
    public static Sha256VerifyingStream OpenRead(string path, string expectedSha256, string? cacheDirectory)
        => new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), expectedSha256, path, cacheDirectory);

    /// <summary>Copies the file to <paramref name="destination"/> through the check; the copy is deleted when it fails.</summary>
    public static void CopyVerified(string source, string destination, string expectedSha256, string? cacheDirectory)
    {
        try
        {
            using var input = OpenRead(source, expectedSha256, cacheDirectory);
            using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write);
            input.CopyTo(output, 1 << 20);
        }
        catch
        {
            File.Delete(destination);
            throw;
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _inner.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = _inner.Read(buffer);
        return Account(buffer[..read], buffer.Length);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span[..read], buffer.Length);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Account(ReadOnlySpan<byte> data, int requested)
    {
        // A zero-length request returns 0 without meaning the end of the file.
        if (requested == 0) return 0;
        if (data.Length > 0)
        {
            _hash.AppendData(data);
            _position += data.Length;
            return data.Length;
        }
        if (!_verified)
        {
            _verified = true;
            var actual = Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
            if (!string.Equals(actual, _expected, StringComparison.OrdinalIgnoreCase))
            {
                // A local model is read where it is (not copied into the cache): it was edited meanwhile.
                if (_cacheDirectory is null)
                    throw new AiException(AiErrors.LocalModelFileChanged, "AiModel", _name, actual, _expected);
                throw new AiException(AiErrors.CachedFileCorrupt, "AiModelCacheDirectory", _name, actual, _expected, _cacheDirectory);
            }
        }
        return 0;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
