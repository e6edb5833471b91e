using AiContainers.Core.IO;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Deploy;

/// <summary>
/// Writes docker-run.sh, compose.yaml and k8s/ beside the Dockerfile: its own pipeline step, not a
/// side effect of the build context. The context's .dockerignore is derived from the same file list.
/// </summary>
public static class DeployFilesWriter
{
    public static IReadOnlyList<string> Write(AiImageSpec spec, string outputDirectory)
    {
        var written = new List<string>();
        foreach (var file in DeployFilesGenerator.Generate(spec, spec.Deploy))
        {
            var path = Path.Combine(outputDirectory, file.RelativePath);
            AtomicFile.WriteIfChanged(path, file.Content);
            if (file.Executable && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
            written.Add(path);
        }
        return written;
    }
}
