using AiContainers.Core.Diagnostics;
using AiContainers.Core.Generation;
using AiContainers.Core.IO;
using AiContainers.Core.Oci.Registry;
using AiContainers.Core.Publishing;
using AiContainers.Core.Registry;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Sbom;

/// <summary>
/// After a publish (AiSbom, default true): gathers what the image holds (restore's NuGet packages, the builder's
/// inventory, the fetched models, the base by digest), writes sbom.cdx.json beside image.json and, when the image
/// was pushed, pushes the same bytes as an OCI artifact referring to it.
/// </summary>
public static class SbomPublisher
{
    /// <summary>
    /// The SBOM's inputs. Pure apart from reading restore's assets file and the nuspecs it points at. A model's licence is
    /// the one its fetch recorded (<see cref="FetchedModel.License"/>: the Hub's, kept in the lock at first fetch); a model
    /// without one is listed without a licence.
    /// </summary>
    public static SbomInputs Inputs(AiImageSpec spec, PublishedImage image, ImageInventory inventory, ModelFetchResult? models, string? projectAssetsFile, IAiLog log)
    {
        var nuget = spec.Dotnet is not null && projectAssetsFile is { Length: > 0 } && File.Exists(projectAssetsFile)
            ? NuGetAssetsReader.Read(projectAssetsFile) : Array.Empty<SbomPackage>();
        IReadOnlyList<SbomPackage> python = Array.Empty<SbomPackage>();
        if (inventory.PipListPath is { } pipPath)
        {
            try { python = PipListReader.Parse(inventory.PipList ?? throw new System.Text.Json.JsonException("the image has no such file")); }
            catch (System.Text.Json.JsonException e) { log.Report(AiErrors.SbomPipListUnreadable.Create("AiSbom", pipPath, image.Reference, e.Message)); }
        }
        var os = inventory.DpkgStatus is { } status ? DpkgStatusReader.Parse(status, spec.SystemPackages.ToHashSet(StringComparer.Ordinal)) : Array.Empty<SbomOsPackage>();
        var pull = spec.Base.Image;
        var labels = ImageLabels.For(spec);
        return new SbomInputs(
            Image: new SbomImage(spec.Identity.Name, spec.Identity.Tags.FirstOrDefault(), image.Digest),
            Base: new SbomImage(pull.EffectiveRegistry + "/" + pull.EffectiveRepository, pull.Tag, pull.Digest ?? inventory.BaseDigest),
            GeneratorVersion: spec.Metadata.GeneratorVersion,
            Created: spec.Metadata.Created,
            Provenance: ProvenanceLabels.FactNames.SelectMany(n => labels.Where(l => l.Name == n)).Select(l => new KeyValuePair<string, string>(l.Name, l.Value)).ToList(),
            NuGetPackages: nuget,
            PythonPackages: python,
            OsPackages: os,
            OsRelease: inventory.OsRelease is { } release ? DpkgStatusReader.ParseOsRelease(release) : null,
            OsPackagesSource: inventory.DpkgStatus is null ? null : "the image's " + DpkgStatusReader.StatusPath,
            Models: (models?.Models ?? Array.Empty<FetchedModel>()).Select(Model).ToList());
    }

    private static SbomModel Model(FetchedModel model)
    {
        var source = model.Source;
        var (text, purl) = source.Kind switch
        {
            ModelSourceKind.HuggingFace => ("hf://" + source.Repository, model.Commit is { } c ? Purl.HuggingFace(source.Repository!, c) : null),
            ModelSourceKind.Https => (ModelSpecMapper.RedactedUrl(source.Url!), (string?)null),
            _ => (source.Text, (string?)null),
        };
        var license = string.IsNullOrWhiteSpace(model.License) ? null : new SbomLicense(Name: model.License);
        return new SbomModel(model.Name, text, model.Commit, purl, model.ContentDigest, license,
            model.Files.Select(f => new SbomModelFile(f.Path, f.Sha256, f.Size)).ToList());
    }

    /// <summary>Writes sbom.cdx.json beside image.json and returns its bytes.</summary>
    public static byte[] Write(SbomInputs inputs, string outputDirectory)
    {
        var path = Path.Combine(outputDirectory, CycloneDxWriter.FileName);
        var text = CycloneDxWriter.Write(inputs);
        try { AtomicFile.Write(path, text); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AiException(AiErrors.SbomWriteFailed, "AiSbom", path, e.Message);
        }
        return System.Text.Encoding.UTF8.GetBytes(text);
    }

    /// <summary>
    /// The SBOM as a referrer of the pushed image. A refusal is a warning (AIC7520), not a failure: the image and its tags
    /// have landed, and the file beside image.json holds the same document.
    /// </summary>
    /// <param name="pushClient">The client the image was pushed with (<see cref="IImageBuilder.PushClient"/>), reused: its connection and token are warm. Null: one is opened here.</param>
    public static async Task<SbomReferrer.Result?> PushAsync(AiImageSpec spec, PublishedImage image, byte[] sbom, RegistryCredentialStore credentials, IAiLog log, CancellationToken cancellationToken,
        RegistryClient? pushClient = null)
    {
        if (!image.Pushed || image.Digest is null || spec.Identity.Registry is not { } registry) return null;
        using var opened = pushClient is null ? new RegistryClient(registry, credentials, log) : null;
        var client = pushClient ?? opened!;
        try
        {
            var subject = image.PushedManifest is { } pushed && pushed.Digest == image.Digest ? pushed : null;
            var result = await SbomReferrer.PushAsync(client, spec.Identity.Repository, image.Digest, sbom, spec.Metadata.Created, cancellationToken, subject).ConfigureAwait(false);
            log.Message(AiLogLevel.Progress, $"AiContainers: SBOM {result.ArtifactDigest} refers to {image.Digest} " +
                (result.ReferrersApi ? "(the registry's referrers API lists it)" : $"(tag {result.FallbackTag}: the registry has no referrers API)"));
            return result;
        }
        catch (AiException e)
        {
            log.Report(AiErrors.SbomReferrerRefused.Create("AiSbom", registry, $"{spec.Identity.Name}@{image.Digest}", e.Message, Path.Combine(spec.Build.OutputDirectory, CycloneDxWriter.FileName)));
            return null;
        }
    }
}
