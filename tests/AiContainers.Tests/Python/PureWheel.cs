using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace AiContainers.Tests.Python;

/// <summary>
/// Builds a pure-Python wheel (PEP 427) from a package folder, as `pip wheel` would for a
/// setuptools project without compiled parts: the package files, then dist-info METADATA, WHEEL
/// and a RECORD with each file's sha256. PyPI is unreachable here, so tests install from it.
/// </summary>
internal static class PureWheel
{
    public static string Build(string packageFolder, string distribution, string version, string outputFolder)
    {
        Directory.CreateDirectory(outputFolder);
        var path = Path.Combine(outputFolder, $"{distribution}-{version}-py3-none-any.whl");
        var distInfo = $"{distribution}-{version}.dist-info";
        var entries = new List<(string Name, byte[] Data)>();
        var packageName = Path.GetFileName(packageFolder.TrimEnd('/'));
        foreach (var file in Directory.EnumerateFiles(packageFolder, "*.py", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            entries.Add((packageName + "/" + Path.GetRelativePath(packageFolder, file).Replace('\\', '/'), File.ReadAllBytes(file)));
        entries.Add(($"{distInfo}/METADATA", Encoding.UTF8.GetBytes($"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")));
        entries.Add(($"{distInfo}/WHEEL", Encoding.UTF8.GetBytes("Wheel-Version: 1.0\nGenerator: AiContainers.Tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")));
        var record = new StringBuilder();
        foreach (var (name, data) in entries)
            record.Append($"{name},sha256={Convert.ToBase64String(SHA256.HashData(data)).TrimEnd('=').Replace('+', '-').Replace('/', '_')},{data.Length}\n");
        record.Append($"{distInfo}/RECORD,,\n");
        entries.Add(($"{distInfo}/RECORD", Encoding.UTF8.GetBytes(record.ToString())));

        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, data) in entries)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
            entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var stream = entry.Open();
            stream.Write(data);
        }
        return path;
    }
}
