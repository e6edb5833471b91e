using System.Text.RegularExpressions;

namespace AiContainers.Tests.Infrastructure;

/// <summary>
/// A throwaway project that consumes the packed AiContainers.Sdk from artifacts/packages through its
/// own nuget.config, published with the real `dotnet publish` (out of process, like a user).
/// </summary>
internal sealed class SdkProject
{
    private SdkProject(string name, string directory)
    {
        Name = name;
        Directory = directory;
    }

    /// <summary>
    /// A copy of samples/<paramref name="sample"/> in a temp folder, without its bin/ and obj/, beside this class's
    /// nuget.config and global.json: a test can change and publish it while the sample stays clean.
    /// </summary>
    public static SdkProject CopyOfSample(string sample)
    {
        var source = Path.Combine(TestPaths.RepoRoot, "samples", sample);
        var project = new SdkProject(sample);
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("bin" + Path.DirectorySeparatorChar) || relative.StartsWith("obj" + Path.DirectorySeparatorChar)) continue;
            var target = Path.Combine(project.Directory, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
        return project;
    }

    /// <summary>A project that already exists (the samples), with its own nuget.config.</summary>
    public static SdkProject Existing(string directory, string name) => new(name, directory);

    public SdkProject(string name)
    {
        Name = name;
        Directory = TestPaths.NewTempDirectory(name);
        File.WriteAllText(Path.Combine(Directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="aicontainers-local" value="{TestPaths.Packages}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        // Versionless references (<Sdk Name="AiContainers.Sdk" />, the samples' form) take the version from global.json,
        // as in the samples folder, where build/pack.sh writes it. No "sdk" section: the newest installed .NET SDK runs.
        File.WriteAllText(Path.Combine(Directory, "global.json"), $$"""
            { "msbuild-sdks": { "AiContainers.Sdk": "{{SdkVersion}}" } }
            """);
    }

    /// <summary>The release version the README, the tests' project files and the goldens name.</summary>
    public const string ReleaseVersion = "0.1.0";

    /// <summary>
    /// The version build/pack.sh packed into artifacts/packages (artifacts/packages/version.txt): a development
    /// pack is e.g. 0.1.0-dev.57.h3fa29c01e2, so no NuGet cache can serve an older build under the same version.
    /// </summary>
    public static string SdkVersion
    {
        get
        {
            EnsurePackage();
            return File.ReadAllText(VersionFile).Trim();
        }
    }

    private static string VersionFile => Path.Combine(TestPaths.Packages, "version.txt");

    // The release version in the three ways a project names the package: <Project Sdk="AiContainers.Sdk/V">,
    // <Sdk Name="AiContainers.Sdk" Version="V" />, <PackageReference Include="AiContainers.Sdk" Version="V" />.
    private static readonly Regex ReleaseReference = new(
        @"(?<head>AiContainers\.Sdk/|""AiContainers\.Sdk""\s+Version="")" + Regex.Escape(ReleaseVersion) + @"(?=[""/])");

    /// <summary>
    /// Project text as a test or the README writes it (the release version) made to restore the package this
    /// checkout packed: the version is normalised here, once, so examples and tests keep naming the release.
    /// </summary>
    public static string WithPackedVersion(string projectXml)
        => ReleaseReference.Replace(projectXml, m => m.Groups["head"].Value + SdkVersion);

    public string Name { get; }
    public string Directory { get; }
    public string ProjectFile => Path.Combine(Directory, Name + ".csproj");
    public string OutputDirectory => Path.Combine(Directory, "bin", "Release", "aicontainer");

    public SdkProject Write(string relativePath, string content)
    {
        var path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, relativePath.EndsWith("proj", StringComparison.Ordinal) ? WithPackedVersion(content) : content);
        return this;
    }

    /// <summary>A console app using the Sdk element form, with the given extra project XML.</summary>
    public static SdkProject ConsoleApp(string name, string propertiesXml, string itemsXml = "", string sdkLine = "<Sdk Name=\"AiContainers.Sdk\" Version=\"0.1.0\" />")
    {
        var project = new SdkProject(name);
        project.Write(name + ".csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              {sdkLine}
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <InvariantGlobalization>true</InvariantGlobalization>
                <ImplicitUsings>enable</ImplicitUsings>
                {propertiesXml}
              </PropertyGroup>
              <ItemGroup>
                {itemsXml}
              </ItemGroup>
            </Project>
            """);
        project.Write("Program.cs", "Console.WriteLine(\"hello from \" + string.Join(' ', args));\n");
        return project;
    }

    public ProcessResult Publish(IEnumerable<string>? properties = null, IReadOnlyDictionary<string, string?>? environment = null, string target = "", IEnumerable<string>? extraArguments = null)
    {
        EnsurePackage();
        var args = new List<string> { "publish", ProjectFile, "-c", "Release", "-nologo", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-v:n" };
        if (target.Length > 0) args.Add("-t:" + target);
        else args.Add("-p:PublishAiImage=true");
        if (properties is not null) args.AddRange(properties.Select(p => "-p:" + p));
        if (extraArguments is not null) args.AddRange(extraArguments);
        return Dotnet(args, environment);
    }

    /// <summary>Any dotnet command (msbuild -getItem, build -t:...) in the project folder, with the packed SDK and Publish's environment.</summary>
    public ProcessResult Dotnet(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        EnsurePackage();
        var env = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = Path.Combine(TestPaths.RepoRoot, "artifacts", "nuget-packages"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["MSBUILDTERMINALLOGGER"] = "off",
            ["DOCKER_HOST"] = EngineEnvironment.DockerHost,
        };
        if (environment is not null) foreach (var (k, v) in environment) env[k] = v;
        return ProcessRunner.Run("dotnet", args, Directory, env, TimeSpan.FromMinutes(10));
    }

    private static readonly object PackLock = new();

    /// <summary>build/test.sh packs first; a test run from an IDE packs here when the package is missing.</summary>
    private static void EnsurePackage()
    {
        lock (PackLock)
        {
            if (File.Exists(VersionFile) && File.Exists(Path.Combine(TestPaths.Packages, $"AiContainers.Sdk.{File.ReadAllText(VersionFile).Trim()}.nupkg"))) return;
            var result = ProcessRunner.Run("bash", new[] { Path.Combine(TestPaths.RepoRoot, "build", "pack.sh") }, TestPaths.RepoRoot);
            Assert.AreEqual(0, result.ExitCode, result.Output);
        }
    }
}
