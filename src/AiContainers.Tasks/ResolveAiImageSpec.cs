using AiContainers.Core.Spec;
using Microsoft.Build.Framework;

namespace AiContainers.Tasks;

/// <summary>
/// Maps the project's properties and items onto the spec, validates it, and writes spec.json. Reads only
/// what the project points at: the requirements file (its pins decide the CUDA version) and, for
/// Python and model-server projects, the files that go into the image, so bad inputs fail here,
/// before any model is fetched or any engine is called.
/// </summary>
public sealed class ResolveAiImageSpec : AiTask
{
    /// <summary>Items named after a property, with the value in metadata <c>Value</c>.</summary>
    [Required] public ITaskItem[] Properties { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Items of any input type, with the type in metadata <c>AiItemType</c>.</summary>
    public ITaskItem[] Items { get; set; } = Array.Empty<ITaskItem>();

    [Required] public string SpecFile { get; set; } = "";

    [Output] public string OutputDirectory { get; set; } = "";
    [Output] public string Builder { get; set; } = "";

    protected override void ExecuteCore()
    {
        var input = new ProjectInputs();
        foreach (var p in Properties) input.Set(p.ItemSpec, p.GetMetadata("Value"));
        foreach (var item in Items)
        {
            var metadata = MetadataOf(item);
            var type = metadata.TryGetValue("AiItemType", out var t) ? t : "";
            input.Add(type, new InputItem(item.ItemSpec, metadata));
        }
        input.SetEnvironment("SOURCE_DATE_EPOCH", Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"));
        input.ReadReferencedFiles();

        // The lock file's digest as this publish found it: a provenance label and a fact in the SBOM (not with
        // AiLockMode=Ignore, where the build takes nothing from it). The publish that first writes the lock records none.
        var lockFile = ProvenanceSpec.LockFilePath(input);
        if (File.Exists(lockFile) && !string.Equals(input.Get("AiLockMode"), "Ignore", StringComparison.OrdinalIgnoreCase))
        {
            try { input.Set(ProvenanceSpec.LockFileDigestProperty, Core.Oci.Registry.RegistryDigest.Of(File.ReadAllBytes(lockFile))); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Report(Core.Diagnostics.AiErrors.LockFileUnreadable.Create("AiLockFile", lockFile, e.Message)); return; }
        }

        // MSBuild records every DOTNET_* variable in binlogs: say so once, wherever the publish goes.
        if (new Core.Registry.RegistryCredentialStore().LoggedSecretsWarning() is { } secretsWarning) Report(secretsWarning);
        var result = AiImageSpecMapper.Map(input);
        foreach (var diagnostic in result.Diagnostics) Report(diagnostic);
        if (result.CudaReason is { Length: > 0 } reason) Message(Core.Diagnostics.AiLogLevel.Summary, "AiContainers: " + reason);
        // How fresh the nvidia/cuda facts are, so a stale catalog is seen before it refuses a tag that exists.
        if (result.Spec?.Base.Cuda is not null) Message(Core.Diagnostics.AiLogLevel.Summary, "AiContainers: " + Core.Cuda.CudaImageCatalog.Default.ReviewNote(DateOnly.FromDateTime(DateTime.UtcNow)));
        if (result.Spec is null) return;

        // A Python project's or model server's files are listed and checked once, here, and carried in spec.json.
        var (spec, fileProblems) = AppFiles.Resolve(result.Spec);
        foreach (var diagnostic in fileProblems) Report(diagnostic);
        if (spec is null) return;
        // aicontainers.lock.json's base digest (read, not resolved: ResolveAiLock checks it), so spec.json names it from the start.
        spec = Core.Lock.LockResolver.ApplyLockedBase(spec);

        // From here on the outputs beside the Dockerfile are being rebuilt: the last result must not pass for this run's.
        Core.Publishing.PublishOutputs.Invalidate(spec.Build.OutputDirectory);
        AiImageSpecJson.Write(spec, SpecFile);
        // What the next publish's warm-up maps once restore is done (StartupWarmUp), so its first-use work is done by then.
        input.WriteSnapshot(Core.Publishing.StartupWarmUp.InputsFileBeside(SpecFile));
        OutputDirectory = spec.Build.OutputDirectory;
        Builder = spec.Build.Builder.ToString();
        Message(Core.Diagnostics.AiLogLevel.Progress, $"AiContainers: {spec.Identity.Name} on {spec.Base.Reference}" + (spec.Base.Mirrored ? $" (via mirror {spec.Base.PullReference})" : ""));
    }
}
