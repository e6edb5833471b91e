using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Oci;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Oci;

/// <summary>
/// Reproducible layers: the same inputs give byte-identical blobs whatever the host files' times, owners and modes;
/// the tar holds exactly the expected entries and attributes (read back with System.Formats.Tar and with GNU tar);
/// a large layer streams with bounded memory; the cache skips unchanged inputs.
/// </summary>
[TestClass]
public sealed class LayerWriterTests
{
    private static readonly DateTimeOffset Epoch2024 = DateTimeOffset.FromUnixTimeSeconds(1704067200); // 2024-01-01T00:00:00Z

    private static List<LayerEntry> AppEntries(string root) => new()
    {
        LayerEntry.File("app/web/site.css", Path.Combine(root, "site.css"), 0x1A4, 1654, 1654),
        LayerEntry.File("app/Foo.dll", Path.Combine(root, "Foo.dll"), 0x1A4, 1654, 1654),
        LayerEntry.File("app/run.sh", Path.Combine(root, "run.sh"), 0x1ED, 1654, 1654),
        LayerEntry.Directory("app", 0x1ED, 1654, 1654),
        LayerEntry.Symlink("app/current", "Foo.dll", 1654, 1654),
    };

    /// <summary>Writes the same content with different host attributes: times, modes, owner.</summary>
    private static string NewSourceFolder(string name, DateTime mtime, UnixFileMode mode, string? chownTo)
    {
        var root = TestPaths.NewTempDirectory(name);
        File.WriteAllText(Path.Combine(root, "site.css"), "body { color: #333 }\n");
        File.WriteAllBytes(Path.Combine(root, "Foo.dll"), Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7 % 251)).ToArray());
        File.WriteAllText(Path.Combine(root, "run.sh"), "#!/bin/sh\nexec dotnet Foo.dll\n");
        foreach (var f in Directory.GetFiles(root))
        {
            File.SetUnixFileMode(f, mode);
            File.SetLastWriteTimeUtc(f, mtime);
            File.SetLastAccessTimeUtc(f, mtime.AddHours(3));
        }
        if (chownTo is not null)
        {
            var chown = ProcessRunner.Run("chown", new[] { "-R", chownTo, root });
            Assert.AreEqual(0, chown.ExitCode, chown.ToString());
        }
        return root;
    }

    [TestMethod]
    [DataRow(LayerCompression.Gzip)]
    [DataRow(LayerCompression.GzipFastest)]
    [DataRow(LayerCompression.None)]
    public async Task SameInputsInDifferentFoldersGiveIdenticalBlobs(LayerCompression compression)
    {
        var a = NewSourceFolder("layer-a", new DateTime(2020, 5, 1, 10, 0, 0, DateTimeKind.Utc), (UnixFileMode)0x1A4, null);
        var b = NewSourceFolder("layer-b", new DateTime(2023, 11, 9, 22, 17, 3, DateTimeKind.Utc), (UnixFileMode)0x1FF, "4321:4321");
        var blobA = await LayerWriter.WriteAsync(AppEntries(a), new LayerCache(Path.Combine(a, "cache")), compression, Epoch2024, "app", CancellationToken.None);
        // The entries listed in another order must not matter either.
        var reversed = AppEntries(b);
        reversed.Reverse();
        var blobB = await LayerWriter.WriteAsync(reversed, new LayerCache(Path.Combine(b, "cache")), compression, Epoch2024, "app", CancellationToken.None);

        Assert.AreEqual(blobA.Digest, blobB.Digest);
        Assert.AreEqual(blobA.DiffId, blobB.DiffId);
        Assert.AreEqual(blobA.Size, blobB.Size);
        CollectionAssert.AreEqual(Bytes(blobA), Bytes(blobB));
        Assert.AreEqual(-1, Uncompressed(blobA).AsSpan().IndexOf("PaxHeaders"u8), "no PAX headers (named after the process id)");
        Assert.AreEqual(Sha256(Bytes(blobA)), blobA.Digest, "the digest is the blob's SHA-256");
        Assert.AreEqual(Sha256(Uncompressed(blobA)), blobA.DiffId, "the diff_id is the SHA-256 of the uncompressed tar");
        Assert.AreEqual(Bytes(blobA).Length, blobA.Size);
        Assert.AreEqual(compression == LayerCompression.None ? OciMediaTypes.DockerLayerTar : OciMediaTypes.DockerLayerGzip, blobA.MediaType);
        if (compression == LayerCompression.None)
        {
            Assert.AreEqual(blobA.Digest, blobA.DiffId);
            // A plain tar is its files: the cache records its digest and keeps no copy; reading it writes it again.
            Assert.AreEqual("", blobA.BlobPath);
            Assert.IsFalse(Directory.EnumerateFiles(Path.Combine(a, "cache", "blobs", "sha256")).Any(), "no stored copy of an uncompressed layer");
            var hit = await LayerWriter.WriteAsync(AppEntries(a), new LayerCache(Path.Combine(a, "cache")), compression, Epoch2024, "app", CancellationToken.None);
            Assert.AreEqual(blobA.Digest, hit.Digest);
            CollectionAssert.AreEqual(Bytes(blobA), Bytes(hit), "a cache hit reads the same bytes");
        }

        // A different build time is a different layer.
        var later = await LayerWriter.WriteAsync(AppEntries(a), new LayerCache(Path.Combine(a, "cache")), compression, Epoch2024.AddDays(1), "app", CancellationToken.None);
        Assert.AreNotEqual(blobA.DiffId, later.DiffId);
    }

    [TestMethod]
    public async Task GzipHeaderHasNoTimestampAndAFixedOsByte()
    {
        var root = NewSourceFolder("layer-gzip", DateTime.UtcNow, (UnixFileMode)0x1A4, null);
        foreach (var compression in new[] { LayerCompression.Gzip, LayerCompression.GzipFastest })
        {
            var blob = await LayerWriter.WriteAsync(AppEntries(root), new LayerCache(Path.Combine(root, "cache")), compression, Epoch2024, "app", CancellationToken.None);
            var header = Bytes(blob)[..10];
            // magic, deflate, no flags (no name, no comment, no extra), mtime 0, XFL 0, OS 255 (unknown)
            CollectionAssert.AreEqual(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff }, header, compression.ToString());
            var gunzip = ProcessRunner.Run("gzip", new[] { "-t", blob.BlobPath });
            Assert.AreEqual(0, gunzip.ExitCode, "gzip -t checks CRC-32 and ISIZE: " + gunzip);
        }
    }

    [TestMethod]
    public async Task TarHoldsExactlyTheExpectedEntries()
    {
        var root = NewSourceFolder("layer-entries", DateTime.UtcNow, (UnixFileMode)0x1FF, "4321:4321");
        var blob = await LayerWriter.WriteAsync(AppEntries(root), new LayerCache(Path.Combine(root, "cache")), LayerCompression.Gzip, Epoch2024, "app", CancellationToken.None);

        var expected = new (string Name, TarEntryType Type, int Mode, int Uid, long Size, string Link)[]
        {
            ("app/", TarEntryType.Directory, 0x1ED, 1654, 0, ""),
            ("app/Foo.dll", TarEntryType.RegularFile, 0x1A4, 1654, 70_000, ""),
            ("app/current", TarEntryType.SymbolicLink, 0x1FF, 1654, 0, "Foo.dll"),
            ("app/run.sh", TarEntryType.RegularFile, 0x1ED, 1654, 30, ""),
            ("app/web/site.css", TarEntryType.RegularFile, 0x1A4, 1654, 21, ""),
        };
        var actual = ReadTar(blob);
        CollectionAssert.AreEqual(expected.Select(e => e.Name).ToList(), actual.Select(e => e.Name).ToList());
        for (var i = 0; i < expected.Length; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.AreEqual(TarEntryFormat.Ustar, a.Format, e.Name + ": no PAX or GNU headers for short names");
            Assert.AreEqual(e.Type, a.Type, e.Name);
            Assert.AreEqual(e.Mode, a.Mode, e.Name);
            Assert.AreEqual(e.Uid, a.Uid, e.Name);
            Assert.AreEqual(e.Uid, a.Gid, e.Name);
            Assert.AreEqual("", a.UserName, e.Name);
            Assert.AreEqual("", a.GroupName, e.Name);
            Assert.AreEqual(Epoch2024, a.ModificationTime, e.Name);
            Assert.AreEqual(e.Size, a.Length, e.Name);
            Assert.AreEqual(e.Link, a.LinkName, e.Name);
            Assert.AreEqual(0, a.DeviceMajor, e.Name);
            Assert.AreEqual(0, a.DeviceMinor, e.Name);
        }
        Assert.AreEqual("#!/bin/sh\nexec dotnet Foo.dll\n", actual.Single(a => a.Name == "app/run.sh").Content);

        // GNU tar reads the same thing (numeric owners, UTC times).
        var gnu = ProcessRunner.Run("tar", new[] { "--numeric-owner", "--utc", "-tvzf", blob.BlobPath });
        Assert.AreEqual(0, gnu.ExitCode, gnu.ToString());
        var lines = gnu.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        CollectionAssert.AreEqual(new[]
        {
            "drwxr-xr-x 1654/1654 0 2024-01-01 00:00 app/",
            "-rw-r--r-- 1654/1654 70000 2024-01-01 00:00 app/Foo.dll",
            "lrwxrwxrwx 1654/1654 0 2024-01-01 00:00 app/current -> Foo.dll",
            "-rwxr-xr-x 1654/1654 30 2024-01-01 00:00 app/run.sh",
            "-rw-r--r-- 1654/1654 21 2024-01-01 00:00 app/web/site.css",
        }, lines, gnu.StandardOutput);
    }

    [TestMethod]
    public async Task LongPathsUseGnuLongNamesWithoutHostTimes()
    {
        var root = TestPaths.NewTempDirectory("layer-long");
        var source = Path.Combine(root, "w.bin");
        File.WriteAllText(source, "weights");
        var longName = "models/" + new string('a', 180) + "/" + new string('b', 120) + ".safetensors";
        var blob = await LayerWriter.WriteAsync(new[] { LayerEntry.File(longName, source) }, new LayerCache(Path.Combine(root, "cache")), LayerCompression.None, Epoch2024, "model", CancellationToken.None);

        using (var reader = new TarReader(blob.Open()))
        {
            var entries = new List<TarEntry>();
            while (reader.GetNextEntry() is { } entry) entries.Add(entry);
            // Unlisted parent folders get no entry: an entry would replace an existing folder's owner in the base.
            CollectionAssert.AreEqual(new[] { longName }, entries.Select(e => e.Name).ToList());
            var file = (GnuTarEntry)entries[^1];
            Assert.AreEqual(Epoch2024, file.ModificationTime);
            Assert.AreEqual(DateTimeOffset.UnixEpoch, file.AccessTime, "no host atime");
            Assert.AreEqual(DateTimeOffset.UnixEpoch, file.ChangeTime, "no host ctime");
            Assert.AreEqual("", file.UserName);
        }
        // A PAX header written by .NET is named PaxHeaders.<pid>: its presence would make layers differ between runs.
        var bytes = Bytes(blob);
        Assert.AreEqual(-1, bytes.AsSpan().IndexOf("PaxHeaders"u8), "no PAX headers");
        var tarFile = Path.Combine(root, "layer.tar");
        File.WriteAllBytes(tarFile, bytes);
        var gnu = ProcessRunner.Run("tar", new[] { "-tf", tarFile });
        Assert.AreEqual(0, gnu.ExitCode, gnu.ToString());
        StringAssert.Contains(gnu.StandardOutput, longName + "\n");
    }

    [TestMethod]
    public async Task LargeLayerStreamsWithBoundedMemory()
    {
        var root = TestPaths.NewTempDirectory("layer-large");
        var source = Path.Combine(root, "model.safetensors");
        WriteRandomFile(source, 200L << 20);
        try
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var process = Process.GetCurrentProcess();
            process.Refresh();
            var baselineWorkingSet = process.WorkingSet64;
            var baselineManaged = GC.GetTotalMemory(forceFullCollection: true);
            long peakWorkingSet = baselineWorkingSet, peakManaged = baselineManaged;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    process.Refresh();
                    peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                    peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
                    await Task.Delay(20);
                }
            });
            var blob = await LayerWriter.WriteAsync(new[] { LayerEntry.File("models/big/model.safetensors", source) },
                new LayerCache(Path.Combine(root, "cache")), LayerCompression.GzipFastest, Epoch2024, "model big", CancellationToken.None);
            sampling.Cancel();
            await sampler;

            Assert.IsTrue(blob.Size > 150L << 20, "random data barely compresses: " + blob.Size);
            var workingSetGrowth = (peakWorkingSet - baselineWorkingSet) >> 20;
            var managedGrowth = (peakManaged - baselineManaged) >> 20;
            Assert.IsTrue(workingSetGrowth < 50, $"working set grew {workingSetGrowth} MB while writing a 200 MB layer");
            Assert.IsTrue(managedGrowth < 50, $"managed heap grew {managedGrowth} MB while writing a 200 MB layer");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public async Task CacheReturnsTheStoredBlobWithoutReadingUnchangedSources()
    {
        var root = NewSourceFolder("layer-cache", new DateTime(2022, 1, 1, 0, 0, 0, DateTimeKind.Utc), (UnixFileMode)0x1A4, null);
        var cache = new LayerCache(Path.Combine(root, "cache"));
        var first = await LayerWriter.WriteAsync(AppEntries(root), cache, LayerCompression.Gzip, Epoch2024, "app", CancellationToken.None);

        // Same size and same mtime but other bytes: only a writer that re-reads the file would notice. The cache must not.
        var dll = Path.Combine(root, "Foo.dll");
        var mtime = File.GetLastWriteTimeUtc(dll);
        File.WriteAllBytes(dll, new byte[70_000]);
        File.SetLastWriteTimeUtc(dll, mtime);
        var second = await LayerWriter.WriteAsync(AppEntries(root), cache, LayerCompression.Gzip, Epoch2024, "app again", CancellationToken.None);
        Assert.AreEqual(first.Digest, second.Digest, "unchanged size and time: served from the cache");
        Assert.AreEqual("app again", second.Description);

        // A new mtime: the file is read again and the layer changes.
        File.SetLastWriteTimeUtc(dll, mtime.AddSeconds(1));
        var third = await LayerWriter.WriteAsync(AppEntries(root), cache, LayerCompression.Gzip, Epoch2024, "app", CancellationToken.None);
        Assert.AreNotEqual(first.DiffId, third.DiffId);

        // A new size with the same mtime: also a new layer.
        File.WriteAllBytes(dll, new byte[70_001]);
        File.SetLastWriteTimeUtc(dll, mtime.AddSeconds(1));
        var fourth = await LayerWriter.WriteAsync(AppEntries(root), cache, LayerCompression.Gzip, Epoch2024, "app", CancellationToken.None);
        Assert.AreNotEqual(third.DiffId, fourth.DiffId);

        // The blob deleted behind the cache's back is a miss, not a dangling answer.
        var key = LayerCache.KeyOf(LayerWriter.Normalize(AppEntries(root), "app"), LayerCompression.Gzip, Epoch2024);
        Assert.IsTrue(cache.TryGet(key, out var cached));
        File.Delete(cached.BlobPath);
        Assert.IsFalse(cache.TryGet(key, out _));
    }

    [TestMethod]
    public async Task ContentKeyFindsTheSameLayerFromAnotherFolder()
    {
        // Models: the key comes from the verified SHA-256, so a copy elsewhere (another project) hits the cache.
        var cacheDir = TestPaths.NewTempDirectory("layer-shared-cache");
        var cache = new LayerCache(cacheDir);
        LayerBlob? firstBlob = null;
        foreach (var name in new[] { "proj-a", "proj-b" })
        {
            var root = TestPaths.NewTempDirectory(name);
            var file = Path.Combine(root, "model.onnx");
            File.WriteAllText(file, "onnx bytes");
            var entries = new[] { LayerEntry.File("models/m/model.onnx", file, 0x1A4, 1654, 1654) };
            var key = LayerCache.KeyOf(LayerWriter.Normalize(entries, "model m"), LayerCompression.GzipFastest, Epoch2024,
                new Dictionary<string, string> { [file] = Convert.ToHexString(SHA256.HashData("onnx bytes"u8)).ToLowerInvariant() });
            if (firstBlob is not null) File.Delete(file); // the second project's file is never read
            else File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-3));
            if (firstBlob is null)
            {
                firstBlob = await LayerWriter.WriteAsync(entries, cache, LayerCompression.GzipFastest, Epoch2024, "model m", key, CancellationToken.None);
            }
            else
            {
                Assert.IsTrue(cache.TryGet(key, out var hit));
                Assert.AreEqual(firstBlob.Digest, hit.Digest);
            }
        }
    }

    [TestMethod]
    public async Task InvalidEntriesAreReportedWithCodes()
    {
        var root = NewSourceFolder("layer-invalid", DateTime.UtcNow, (UnixFileMode)0x1A4, null);
        var cache = new LayerCache(Path.Combine(root, "cache"));
        async Task<string> CodeOf(params LayerEntry[] entries)
        {
            var e = await Assert.ThrowsExactlyAsync<AiException>(() => LayerWriter.WriteAsync(entries, cache, LayerCompression.Gzip, Epoch2024, "app", CancellationToken.None));
            StringAssert.StartsWith(e.Message, e.Code + ": ");
            return e.Code;
        }
        var css = Path.Combine(root, "site.css");
        Assert.AreEqual("AIC6100", await CodeOf(LayerEntry.File("/app/site.css", css)));
        Assert.AreEqual("AIC6100", await CodeOf(LayerEntry.File("app/../etc/passwd", css)));
        Assert.AreEqual("AIC6100", await CodeOf(LayerEntry.File("app/x", css), LayerEntry.File("app/x/y", css)));
        Assert.AreEqual("AIC6101", await CodeOf(LayerEntry.File("app/site.css", css), LayerEntry.File("app/site.css", Path.Combine(root, "run.sh"))));
        Assert.AreEqual("AIC6102", await CodeOf(LayerEntry.File("app/gone.css", Path.Combine(root, "gone.css"))));
        Assert.AreEqual("AIC6103", await CodeOf(new LayerEntry("app/link", LayerEntryKind.Symlink, null, null, 0x1FF)));
    }

    internal static void WriteRandomFile(string path, long size)
    {
        // Deterministic pseudo-random bytes: the shape of float weights (incompressible mantissas).
        var random = new Random(42);
        var buffer = new byte[1 << 20];
        using var file = File.Create(path);
        for (long written = 0; written < size; written += buffer.Length)
        {
            random.NextBytes(buffer);
            file.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
        }
    }

    private static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>The blob's bytes as a push or an archive reads them (a stored file, or an uncompressed layer written again).</summary>
    private static byte[] Bytes(LayerBlob blob)
    {
        using var source = blob.Open();
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        return copy.ToArray();
    }

    private static byte[] Uncompressed(LayerBlob blob)
    {
        using var file = blob.Open();
        using var output = new MemoryStream();
        if (blob.MediaType == OciMediaTypes.DockerLayerTar) file.CopyTo(output);
        else using (var gzip = new GZipStream(file, CompressionMode.Decompress)) gzip.CopyTo(output);
        return output.ToArray();
    }

    private sealed record ReadEntry(string Name, TarEntryFormat Format, TarEntryType Type, int Mode, int Uid, int Gid, string UserName, string GroupName,
        DateTimeOffset ModificationTime, long Length, string LinkName, int DeviceMajor, int DeviceMinor, string? Content);

    private static List<ReadEntry> ReadTar(LayerBlob blob)
    {
        using var reader = new TarReader(new MemoryStream(Uncompressed(blob)));
        var entries = new List<ReadEntry>();
        while (reader.GetNextEntry() is { } e)
        {
            var posix = (PosixTarEntry)e;
            string? content = e.DataStream is null ? null : new StreamReader(e.DataStream).ReadToEnd();
            entries.Add(new ReadEntry(e.Name, e.Format, e.EntryType, (int)e.Mode, e.Uid, e.Gid, posix.UserName, posix.GroupName,
                e.ModificationTime, e.Length, e.LinkName, posix.DeviceMajor, posix.DeviceMinor, content));
        }
        return entries;
    }
}
