using System.Text;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.EndToEnd;

/// <summary>
/// Generation is deterministic where it counts: two separate `dotnet publish` runs (two processes, two copies
/// of one project in two folders, the packed SDK, AiImageBuilder=None) write byte-identical Dockerfiles,
/// deploy files (docker-run.sh, compose.yaml, k8s/*) and spec.json. Nothing may depend on the clock, the
/// folder a project sits in, hash-set order or the process.
/// </summary>
[TestClass]
public sealed class ReproducibleOutputTests
{
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock",
        // Unset: the default creation time must be a constant, not the clock.
        ["SOURCE_DATE_EPOCH"] = null,
    };

    /// <summary>The placeholder a project's own folder is replaced with, where it legitimately appears.</summary>
    private const string ProjectFolder = "<project>";

    private static SdkProject Copy()
    {
        var project = SdkProject.ConsoleApp("Reproducible", """
            <AiCudaVersion>12.4</AiCudaVersion>
            <AiCudnnVersion>9</AiCudnnVersion>
            <ContainerRepository>acme/reproducible</ContainerRepository>
            <ContainerImageTag>1.0.0</ContainerImageTag>
            <AiHealthCheckPath>/health</AiHealthCheckPath>
            <AiGpuCount>2</AiGpuCount>
            <AiShmSize>1g</AiShmSize>
            <AiMemoryLimit>8g</AiMemoryLimit>
            <Description>Two copies of this project must produce the same files.</Description>
            """, """
            <ContainerPort Include="8080" />
            <ContainerPort Include="9090" />
            <ContainerEnvironmentVariable Include="LOG_LEVEL" Value="info" />
            <ContainerEnvironmentVariable Include="ZETA" Value="last" />
            <ContainerEnvironmentVariable Include="ALPHA" Value="first" />
            <ContainerLabel Include="com.acme.team" Value="vision" />
            <AiSystemPackages Include="libgomp1;ca-certificates" />
            <AiRunCommand Include="mkdir -p /data" />
            """);
        return project;
    }

    /// <summary>Every file the publish wrote for the image, relative path to content: the output folder without the compiled app, and the intermediate aicontainer folder (spec.json).</summary>
    private static SortedDictionary<string, byte[]> Outputs(SdkProject project)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(project.OutputDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(project.OutputDirectory, file).Replace('\\', '/');
            // The app folder is the compiler's publish output; its determinism is the .NET SDK's, not ours.
            if (relative.StartsWith("app/", StringComparison.Ordinal)) continue;
            files["out/" + relative] = File.ReadAllBytes(file);
        }
        var intermediate = Directory.EnumerateDirectories(Path.Combine(project.Directory, "obj"), "aicontainer", SearchOption.AllDirectories).Single();
        foreach (var file in Directory.EnumerateFiles(intermediate, "*", SearchOption.AllDirectories))
            files["obj/" + Path.GetRelativePath(intermediate, file).Replace('\\', '/')] = File.ReadAllBytes(file);
        return files;
    }

    [TestMethod]
    public void Two_publishes_of_one_project_in_two_folders_write_identical_files()
    {
        var first = Copy();
        var second = Copy();
        Assert.AreNotEqual(first.Directory, second.Directory);
        foreach (var project in new[] { first, second })
        {
            var result = project.Publish(new[] { "AiImageBuilder=None" }, Environment);
            Assert.AreEqual(0, result.ExitCode, result.Output);
        }

        var a = Outputs(first);
        var b = Outputs(second);
        foreach (var expected in new[] { "out/Dockerfile", "out/docker-run.sh", "out/compose.yaml", "obj/spec.json" })
            Assert.IsTrue(a.ContainsKey(expected), $"{expected} was written; the publish wrote: {string.Join(", ", a.Keys)}");
        Assert.IsTrue(a.Keys.Any(k => k.StartsWith("out/k8s/", StringComparison.Ordinal)), "Kubernetes manifests were written: " + string.Join(", ", a.Keys));
        CollectionAssert.AreEqual(a.Keys.ToList(), b.Keys.ToList(), "both publishes write the same set of files");

        // The project folder may appear in spec.json only (it is the task-to-task hand-over and names
        // the publish folder on this machine); it must appear in no file that leaves the machine.
        var withProjectPath = a.Where(f => Encoding.UTF8.GetString(f.Value).Contains(first.Directory, StringComparison.Ordinal)).Select(f => f.Key).ToList();
        Assert.IsTrue(withProjectPath.All(f => f.StartsWith("obj/", StringComparison.Ordinal)),
            "files for the image or for deployment hold the absolute project folder: " + string.Join(", ", withProjectPath.Where(f => !f.StartsWith("obj/", StringComparison.Ordinal))));
        if (withProjectPath.Count > 0) Console.WriteLine("Files holding the absolute project folder (normalised before comparing): " + string.Join(", ", withProjectPath));

        var differences = new List<string>();
        foreach (var (name, bytesA) in a)
        {
            var bytesB = b[name];
            if (bytesA.AsSpan().SequenceEqual(bytesB)) continue;
            if (name.StartsWith("obj/", StringComparison.Ordinal) && IsText(bytesA))
            {
                var textA = Encoding.UTF8.GetString(bytesA).Replace(first.Directory, ProjectFolder, StringComparison.Ordinal);
                var textB = Encoding.UTF8.GetString(bytesB).Replace(second.Directory, ProjectFolder, StringComparison.Ordinal);
                if (textA == textB) continue;
                differences.Add($"{name}: {Golden.FirstDifference(textA, textB, "first", "second")}");
            }
            else differences.Add(IsText(bytesA) ? $"{name}: {Golden.FirstDifference(Encoding.UTF8.GetString(bytesA), Encoding.UTF8.GetString(bytesB), "first", "second")}" : $"{name}: binary content differs");
        }
        Assert.AreEqual(0, differences.Count, "two publishes of the same project differ:\n" + string.Join("\n", differences));
    }

    private static bool IsText(byte[] bytes) => !bytes.AsSpan().Contains((byte)0);
}
