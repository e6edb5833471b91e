using System.Text;
using System.Text.Json;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Oci.Registry;

namespace AiContainers.Core.Sbom;

/// <summary>
/// Pushes the SBOM as an OCI 1.1 artifact referring to the image: an image manifest with artifactType
/// application/vnd.cyclonedx+json, the empty config, the SBOM as its one layer and the image as its <c>subject</c>.
/// A registry with the referrers API indexes it itself (it answers OCI-Subject); for one without (distribution 2.8)
/// the referrers tag schema applies: the index tagged sha256-&lt;hex of the image digest&gt; gets the artifact added,
/// as oras, cosign and notation do, so `GET /v2/&lt;repo&gt;/referrers/&lt;digest&gt;` or that tag finds it.
/// </summary>
public static class SbomReferrer
{
    public const string EmptyConfigMediaType = "application/vnd.oci.empty.v1+json";
    public static readonly byte[] EmptyConfig = "{}"u8.ToArray();

    /// <summary>How the artifact was recorded: by the registry's referrers API, or in the fallback tag.</summary>
    public sealed record Result(string ArtifactDigest, bool ReferrersApi, string? FallbackTag);

    public static string FallbackTag(string subjectDigest) => subjectDigest.Replace(':', '-');

    /// <summary>The artifact manifest (compact, fixed key order, so the same SBOM and subject give the same digest).</summary>
    public static byte[] Manifest(string sbomDigest, long sbomSize, RegistryManifest subject, string? created)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", RegistryMediaTypes.OciManifest);
            w.WriteString("artifactType", CycloneDxWriter.MediaType);
            Descriptor(w, "config", EmptyConfigMediaType, RegistryDigest.Of(EmptyConfig), EmptyConfig.Length);
            w.WriteStartArray("layers");
            Descriptor(w, null, CycloneDxWriter.MediaType, sbomDigest, sbomSize, ("org.opencontainers.image.title", CycloneDxWriter.FileName));
            w.WriteEndArray();
            Descriptor(w, "subject", subject.MediaType, subject.Digest, subject.Bytes.Length);
            if (created is not null)
            {
                w.WriteStartObject("annotations");
                w.WriteString("org.opencontainers.image.created", created);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <param name="knownSubject">The subject's manifest as its builder pushed it; null: read from the registry.</param>
    public static async Task<Result> PushAsync(RegistryClient client, string repository, string subjectDigest, byte[] sbom, string? created, CancellationToken cancellationToken,
        RegistryManifest? knownSubject = null)
    {
        var subject = knownSubject ?? await client.GetManifestAsync(repository, subjectDigest, cancellationToken).ConfigureAwait(false);
        var sbomDigest = RegistryDigest.Of(sbom);
        // The two blobs at once: each its own HEAD-then-upload chain.
        async Task EnsureAsync(string digest, byte[] bytes)
        {
            if (await client.BlobExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false)) return;
            await client.UploadBlobAsync(repository, digest, bytes.Length, () => new MemoryStream(bytes, writable: false), null, cancellationToken, checkedAbsent: true).ConfigureAwait(false);
        }
        // The referrers tag's index as it is now, read while the blobs go up (a read either way): a registry without the
        // referrers API then needs one PUT after the artifact's, not a GET and a PUT.
        var tag = FallbackTag(subject.Digest);
        async Task<RegistryManifest?> ExistingIndexAsync()
        {
            try { return await client.GetManifestAsync(repository, tag, cancellationToken).ConfigureAwait(false); }
            catch (AiException e) when (e.Code == AiErrors.RegistryImageNotFound.Code) { return null; }
        }
        var existingIndex = ExistingIndexAsync();
        var manifest = Manifest(sbomDigest, sbom.Length, subject, created);
        var artifactDigest = RegistryDigest.Of(manifest);
        bool referrersApi;
        try
        {
            await Task.WhenAll(EnsureAsync(RegistryDigest.Of(EmptyConfig), EmptyConfig), EnsureAsync(sbomDigest, sbom)).ConfigureAwait(false);
            referrersApi = await client.PutReferrerManifestAsync(repository, manifest, RegistryMediaTypes.OciManifest, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Observed on every path; its own failure matters only where its answer is used, below.
            try { await existingIndex.ConfigureAwait(false); } catch (Exception) { }
        }
        if (referrersApi) return new Result(artifactDigest, true, null);

        var existing = await existingIndex.ConfigureAwait(false);
        var index = FallbackIndex(existing?.Bytes, artifactDigest, manifest.Length, created);
        await client.PutManifestAsync(repository, tag, index, RegistryMediaTypes.OciIndex, cancellationToken).ConfigureAwait(false);
        return new Result(artifactDigest, false, tag);
    }

    /// <summary>The referrers index with this artifact added (once), keeping what other tools put there (signatures, other SBOMs).</summary>
    public static byte[] FallbackIndex(byte[]? existing, string artifactDigest, long artifactSize, string? created)
    {
        var kept = new List<JsonElement>();
        if (existing is not null)
        {
            using var document = JsonDocument.Parse(existing);
            if (document.RootElement.TryGetProperty("manifests", out var manifests) && manifests.ValueKind == JsonValueKind.Array)
                kept.AddRange(manifests.EnumerateArray().Where(m => !(m.TryGetProperty("digest", out var d) && d.GetString() == artifactDigest)).Select(m => m.Clone()));
        }
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", RegistryMediaTypes.OciIndex);
            w.WriteStartArray("manifests");
            foreach (var m in kept) m.WriteTo(w);
            w.WriteStartObject();
            w.WriteString("mediaType", RegistryMediaTypes.OciManifest);
            w.WriteString("digest", artifactDigest);
            w.WriteNumber("size", artifactSize);
            w.WriteString("artifactType", CycloneDxWriter.MediaType);
            if (created is not null)
            {
                w.WriteStartObject("annotations");
                w.WriteString("org.opencontainers.image.created", created);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void Descriptor(Utf8JsonWriter w, string? name, string mediaType, string digest, long size, params (string Key, string Value)[] annotations)
    {
        if (name is null) w.WriteStartObject(); else w.WriteStartObject(name);
        w.WriteString("mediaType", mediaType);
        w.WriteString("digest", digest);
        w.WriteNumber("size", size);
        if (annotations.Length > 0)
        {
            w.WriteStartObject("annotations");
            foreach (var (key, value) in annotations) w.WriteString(key, value);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
