using System.Formats.Tar;
using System.Text;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.Net;
using AiContainers.Core.Oci;
using AiContainers.Core.Oci.Registry;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Publishing;

/// <summary>
/// From the end of restore (or, without restore, from the compiler on), runs on a thread of its own the code paths the image
/// steps take for the first time in a fresh MSBuild process: first use (the runtime compiling what the ReadyToRun images
/// cannot hold, type loading, the JSON contracts, the templates, the HTTP stack) was most of what the image steps added to a
/// code-change publish, and the build leaves part of a second core idle. With the previous publish's inputs
/// (<see cref="InputsFileBeside"/>), a dry run maps them, writes the build context, and builds and pushes the image
/// daemonless, exactly as the tasks will, but into a scratch folder and to <see cref="WarmUpRegistry"/> (a base of its own
/// on a loopback port of its own).
/// It writes nothing else, logs nothing, reads no credential, and every failure is ignored: the tasks do the real work either way.
/// </summary>
public static class StartupWarmUp
{
    private const string ScratchPrefix = "aicontainers-warm-up-";
    private static int _started;

    /// <summary>Where ResolveAiImageSpec leaves the inputs it mapped, for the next publish's warm-up: beside spec.json.</summary>
    public static string InputsFileBeside(string specFile) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specFile))!, "inputs.json");

    /// <summary>Starts once per process; <paramref name="specFile"/> is where the spec is written (the previous publish's, if any).</summary>
    public static void Start(string? specFile)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) return;
        // A thread of its own, not the thread pool's: the dry run waits on its async steps, and a pool thread blocked
        // that way stalls the build's own async work (restore's, measured: on two cores the pool had no thread to spare, and it took
        // twice as long) until the pool adds one.
        new Thread(() =>
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var outcome = Run(specFile);
            _summary = $"{outcome.DryRun ?? "no dry run"} in {watch.ElapsedMilliseconds} ms" + (outcome.Failures.Count == 0 ? "" : $"; failed: {string.Join(" | ", outcome.Failures.Select(f => f.Message))}");
        }) { IsBackground = true, Name = "AiContainers warm-up" }.Start();
    }

    private static volatile string? _summary;

    /// <summary>For the build log (detailed verbosity): what this process's warm-up did, or that it has not finished (or started).</summary>
    public static string Summary => _summary ?? (Volatile.Read(ref _started) == 1 ? "still running" : "not started");

    /// <summary>What a warm-up did: its failures (ignored in a build, where the real steps report their own), and how far the dry run went.</summary>
    internal sealed record Outcome(IReadOnlyList<Exception> Failures, string? DryRun);

    /// <summary>Runs every step.</summary>
    internal static Outcome Run(string? specFile)
    {
        var failures = new List<Exception>();
        void Try(Action step)
        {
            try { step(); }
            catch (Exception e) { failures.Add(e); }
        }
        string? dryRun = null;
        var previous = specFile is null ? null : ProjectInputs.ReadSnapshot(InputsFileBeside(specFile));
        if (previous is not null)
        {
            Try(() => dryRun = DryRunAsync(previous).GetAwaiter().GetResult());
        }
        else
        {
            // A first publish: the spec's contract (when a spec is there), a layer write and the HTTP stack.
            Try(() =>
            {
                if (specFile is not null && File.Exists(specFile)) AiImageSpecJson.Serialize(AiImageSpecJson.Read(specFile));
            });
            Try(WriteSmallLayer);
            Try(() => PingLoopbackAsync().GetAwaiter().GetResult());
        }
        // The templates the dry run did not render (deploy files): not after a dry run that pushed, since on a code change
        // their target is skipped, and this CPU is taken from the build.
        if (dryRun?.StartsWith("pushed", StringComparison.Ordinal) != true) Try(TemplateRenderer.ParseAll);
        return new Outcome(failures, dryRun);
    }

    /// <summary>
    /// The image steps on the previous publish's inputs, redirected: the context, layer cache and outputs go to
    /// a scratch folder (deleted after), the publish folder is a stub with the app's deps.json, and the base and the target
    /// are <see cref="WarmUpRegistry"/>. A project the daemonless builder does not build gets the mapping and the Dockerfile.
    /// </summary>
    /// <returns>What it did: "pushed" and the digest, "Dockerfile" when the project is not built daemonless, or null when its inputs do not map.</returns>
    private static async Task<string?> DryRunAsync(ProjectInputs previous)
    {
        var scratch = NewScratchDirectory();
        try
        {
            previous.ReadReferencedFiles();
            var mapped = AiImageSpecMapper.Map(previous);
            if (mapped.Spec is null) return null;
            var (resolved, _) = AppFiles.Resolve(mapped.Spec);
            if (resolved is null) return null;
            var specFile = Path.Combine(scratch, "spec.json");
            AiImageSpecJson.Write(resolved, specFile);
            var spec = AiImageSpecJson.Read(specFile);
            if (spec.Dotnet is not { } dotnet || spec.Python is not null || spec.Serving is not null || spec.Build.Builder != AiImageBuilderKind.Daemonless)
            {
                _ = DockerfileGenerator.Generate(spec, WeightsImagePlan.For(null));
                return "Dockerfile";
            }

            using var registry = new WarmUpRegistry();
            var warmUpBase = new Images.ImageReference(registry.Registry, "warm-up/base", "1", null);
            var publish = Path.Combine(scratch, "publish");
            StubPublishFolder(dotnet, publish);
            var output = Path.Combine(scratch, "out");
            spec = spec with
            {
                Identity = new ImageIdentity(registry.Registry, "warm-up/app", new[] { "warm-up" }, Push: true),
                Base = spec.Base with { Pull = warmUpBase, LockedDigest = null },
                Dotnet = dotnet with { PublishDirectory = publish, RuntimePull = dotnet.RuntimePull is null ? null : warmUpBase },
                Build = spec.Build with { OutputDirectory = output, ArchivePath = null },
                Platforms = Array.Empty<PlatformTarget>(),
                Models = Array.Empty<Weights.ModelSpec>(),
                Lock = null,
            };
            // Not the deploy files: their target is skipped while spec.json is unchanged, as it is on a code change.
            var generated = BuildContextWriter.Write(spec);

            var credentials = new RegistryCredentialStore(_ => null);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var builder = new DaemonlessImageBuilder(credentials, NullAiLog.Instance, Path.Combine(scratch, "layers"), RetryPolicy.Fast(1),
                () => throw new InvalidOperationException("The warm-up uses no engine."));
            await builder.PreflightAsync(spec, timeout.Token).ConfigureAwait(false);
            var inputs = new ImageBuildInputs(spec, generated.OutputDirectory, null, Path.Combine(generated.OutputDirectory, BuildContextWriter.WeightsFolder), null);
            var image = await builder.BuildAndPushAsync(inputs, timeout.Token).ConfigureAwait(false);
            PublishOutputs.Write(image, output, null, ImageReport.Render(image, spec, null));
            _ = image.LayerLines().ToList();
            _ = image.SummaryLine();
            if (spec.Provenance.Sbom)
            {
                var inventory = await builder.InventoryAsync(inputs, image, timeout.Token).ConfigureAwait(false);
                var assets = previous.Get(Cuda.Inference.PackageReferenceInfo.AssetsFileProperty);
                var sbom = Sbom.SbomPublisher.Write(Sbom.SbomPublisher.Inputs(spec, image, inventory, null, assets, NullAiLog.Instance), output);
                await Sbom.SbomPublisher.PushAsync(spec, image, sbom, credentials, NullAiLog.Instance, timeout.Token, builder.PushClient(registry.Registry)).ConfigureAwait(false);
            }
            return "pushed " + image.Digest;
        }
        finally
        {
            IO.ProcessFolders.DeleteQuietly(scratch);
        }
    }

    /// <summary>The app's entry point as an empty file, beside its deps.json and runtimeconfig.json (read from the last publish).</summary>
    private static void StubPublishFolder(DotnetAppSpec dotnet, string publish)
    {
        Directory.CreateDirectory(publish);
        File.WriteAllBytes(Path.Combine(publish, dotnet.SelfContained ? dotnet.AssemblyName : dotnet.AssemblyName + ".dll"), Array.Empty<byte>());
        foreach (var suffix in new[] { ".deps.json", ".runtimeconfig.json" })
        {
            var source = Path.Combine(dotnet.PublishDirectory, dotnet.AssemblyName + suffix);
            if (File.Exists(source)) File.Copy(source, Path.Combine(publish, dotnet.AssemblyName + suffix));
        }
    }

    /// <summary>
    /// A scratch folder of this process under the temp folder. One a process left behind (killed mid-way: the warm-up runs on
    /// a background thread, which a finished build does not wait for) is deleted by the next warm-up.
    /// </summary>
    private static string NewScratchDirectory() => IO.ProcessFolders.CreateOwn(Path.GetTempPath(), ScratchPrefix);

    /// <summary>A one-file gzip layer into nowhere: the same tar, deflate and hash code a layer write runs.</summary>
    private static void WriteSmallLayer()
    {
        using var hash = new HashingWriteStream(Stream.Null, leaveOpen: true);
        using (var gzip = new DeterministicGzipStream(hash, System.IO.Compression.CompressionLevel.Optimal))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var entry = new UstarTarEntry(TarEntryType.RegularFile, "app/warm-up.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes("warm-up")),
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            tar.WriteEntry(entry);
        }
        _ = hash.Digest;
    }

    /// <summary>GET /v2/ against a registry stand-in on a loopback port of its own, through the registry client.</summary>
    private static async Task PingLoopbackAsync()
    {
        using var registry = new WarmUpRegistry();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var client = new RegistryClient(registry.Registry, new RegistryCredentialStore(_ => null), NullAiLog.Instance, RetryPolicy.Fast(1));
        await client.PingAsync(timeout.Token).ConfigureAwait(false);
    }
}
