using System.Globalization;
using AiContainers.Core.Oci;
using AiContainers.Core.Serving;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Publishing;

/// <summary>One layer the image adds to its base: what it is, its entries, and how it is stored.</summary>
/// <param name="ContentKey">For models: a cache key from the verified hashes, the same on every machine and in every project.</param>
/// <param name="FixedTime">For models: entry times independent of SOURCE_DATE_EPOCH, so the layer digest depends on the files alone.</param>
/// <param name="Prebuilt">A model layer the target registry already holds (aicontainers.lock.json): referenced by digest, never written or uploaded.</param>
public sealed record PlannedLayer(string Description, IReadOnlyList<LayerEntry> Entries, LayerCompression Compression, string? ContentKey = null, DateTimeOffset? FixedTime = null, LayerBlob? Prebuilt = null);

/// <summary>
/// The layers of an image from the most stable to the least: the user's home, the health probe, one
/// layer per model, a self-contained app's .NET runtime, the NuGet packages' files, a model server's
/// models, and the project's own files last, so a code-only change makes exactly one new layer of the
/// project's own size. Read from the generated build context (<see cref="ContextLayout"/>), the same
/// folders the Dockerfile copies, so both builders put the same files in the same order.
/// </summary>
public sealed record ImageLayerPlan(IReadOnlyList<PlannedLayer> Layers, string? Home, DateTimeOffset Modified)
{
    private const int Executable = 0x1ED; // 0755
    private const int Regular = 0x1A4;    // 0644

    public static ImageLayerPlan For(AiImageSpec spec, string contextDirectory, ModelFetchResult? models)
    {
        var modified = ModifiedTime(spec);
        var layers = new List<PlannedLayer>();
        string? home = null;
        var workdir = spec.WorkingDirectory.Trim('/');

        if (spec.User is { CreateUser: true, Uid: { } uid })
        {
            // The numeric default user needs no RUN: a home owned by it, HOME in the config, no /etc/passwd edit.
            home = ContextLayout.HomeDirectory(ContainerUserSpec.DefaultName);
            layers.Add(new PlannedLayer("user home", UserOwnedEntries(spec, contextDirectory, home, uid, spec.User.Gid ?? uid), LayerCompression.Gzip));
        }

        if (spec.HealthCheck is { UsesBuiltInProbe: true })
        {
            var probe = Path.Combine(contextDirectory, ContextLayout.ProbePath);
            layers.Add(new PlannedLayer("health probe", new[] { LayerEntry.File(Generation.HealthProbe.ImagePath.TrimStart('/'), probe, Executable) }, LayerCompression.Gzip));
        }

        if (models is not null)
        {
            foreach (var model in models.Models.OrderBy(m => m.Name, StringComparer.Ordinal))
                layers.Add(ModelLayer(model, contextDirectory, models.CacheDirectory));
        }

        AddFolder(layers, ".NET runtime", Path.Combine(contextDirectory, ContextLayout.RuntimeFolder), workdir);
        AddFolder(layers, "NuGet packages", Path.Combine(contextDirectory, ContextLayout.PackagesFolder), workdir);

        if (spec.Serving is { } serving)
        {
            var servingRoot = Path.Combine(contextDirectory, ServingSpec.ContextFolder);
            if (serving.Runtime == ServingRuntime.TorchServe)
            {
                // TorchServe's folders belong to its user in the base. A layer without entries for them does not keep
                // that: the runtime's unpacker creates the missing parents root-owned in the layer, and overlayfs shows
                // the topmost copy, so TorchServe could no longer write logs/ in its home. The entries say the owner.
                var torchServeFolders = new[] { ServingSpec.TorchServeHome, ServingSpec.TorchServeModelStore }
                    .Select(f => LayerEntry.Directory(f.Trim('/'), Executable, ServingSpec.TorchServeUid, ServingSpec.TorchServeUid)).ToArray();
                AddFolder(layers, "model store", Path.Combine(servingRoot, "model-store"), ServingSpec.TorchServeModelStore.Trim('/'), parents: torchServeFolders);
                AddFile(layers, "TorchServe config", Path.Combine(servingRoot, "config.properties"), ServingSpec.TorchServeConfigPath.Trim('/'), parents: torchServeFolders[..1]);
            }
            else
            {
                AddFolder(layers, "SavedModels", Path.Combine(servingRoot, "models"), ServingSpec.TfModelsRoot.Trim('/'));
                AddFile(layers, "model config", Path.Combine(servingRoot, "models.config"), ServingSpec.TfModelConfigPath.Trim('/'));
            }
        }
        else
        {
            AddFolder(layers, "app", Path.Combine(contextDirectory, ContextLayout.AppFolder), workdir, always: true);
        }
        return new ImageLayerPlan(layers, home, modified);
    }

    /// <summary>
    /// The user's writable places (Generation.WritablePlaces), the entries the Dockerfile's COPY --chown lines make: the home and
    /// its cache folders, the workspace with its links to the code (from the context, as the Dockerfile copies it), the
    /// AiVolume targets. Their parents are the layer writer's root-owned 0755 folders.
    /// </summary>
    private static List<LayerEntry> UserOwnedEntries(AiImageSpec spec, string contextDirectory, string home, int uid, int gid)
    {
        var entries = new List<LayerEntry> { LayerEntry.Directory(home.TrimStart('/'), Executable, uid, gid) };
        entries.AddRange(Generation.WritablePlaces.HomeFolders(spec).Select(f => LayerEntry.Directory(home.TrimStart('/') + "/" + f, Executable, uid, gid)));
        foreach (var root in Generation.WritablePlaces.OtherRoots(spec))
        {
            var path = root.ImagePath.TrimStart('/');
            entries.Add(LayerEntry.Directory(path, Executable, uid, gid));
            var folder = Path.Combine(contextDirectory, root.ContextFolder);
            if (!Directory.Exists(folder)) continue;
            foreach (var link in Directory.EnumerateFileSystemEntries(folder).Select(e => new FileInfo(e)).Where(e => e.LinkTarget is not null).OrderBy(e => e.Name, StringComparer.Ordinal))
                entries.Add(LayerEntry.Symlink(path + "/" + link.Name, link.LinkTarget!, uid, gid));
        }
        return entries;
    }

    /// <summary>SOURCE_DATE_EPOCH or AiImageCreated when set (mapped into the spec), else a constant: never the clock.</summary>
    public static DateTimeOffset ModifiedTime(AiImageSpec spec)
        => spec.Metadata.Created is { } created
            ? DateTimeOffset.Parse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
            : DateTimeOffset.UnixEpoch;

    /// <summary>
    /// One model's layer. Its files carry the SHA-256 they were verified as, so the layer writer checks the cache
    /// blobs as it streams them (AIC5109 on a change); a layer already cached under the content key is not read at all.
    /// </summary>
    public static PlannedLayer ModelLayer(FetchedModel model, string contextDirectory, string cacheDirectory)
    {
        if (model.RegistryLayer is { } held)
            return new PlannedLayer("model " + model.Name, Array.Empty<LayerEntry>(), LayerCompression.None, null, DateTimeOffset.UnixEpoch,
                new LayerBlob(held.Digest, held.DiffId, held.Size, held.MediaType, "", "model " + model.Name));
        var entries = new List<LayerEntry>();
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in ModelLayout.Plan(model))
        {
            var path = entry.ImagePath.TrimStart('/');
            switch (entry.Kind)
            {
                case LayoutEntryKind.File:
                    if (entry.Sha256 is { } sha)
                    {
                        entries.Add(LayerEntry.VerifiedFile(path, entry.SourcePath!, sha, model.Source.Kind == ModelSourceKind.Local ? null : cacheDirectory, Regular));
                        hashes[entry.SourcePath!] = sha;
                    }
                    else entries.Add(LayerEntry.File(path, entry.SourcePath!, Regular));
                    break;
                case LayoutEntryKind.Symlink:
                    entries.Add(LayerEntry.Symlink(path, entry.LinkTarget!));
                    break;
                case LayoutEntryKind.Text:
                    // Small generated files (refs/<branch>): materialised once under the context, keyed by their text.
                    var file = Path.Combine(contextDirectory, "aic", "model-text", model.Name, path.Replace('/', '_'));
                    IO.AtomicFile.WriteIfChanged(file, entry.Text!);
                    entries.Add(LayerEntry.File(path, file, Regular));
                    hashes[file] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(entry.Text!))).ToLowerInvariant();
                    break;
            }
        }
        // Weights barely compress (safetensors, onnx, float16): measured here, gzip -6 saved 0-8% at ~20x the time
        // of a plain tar and gzip -1 made them larger, so a weights layer is an uncompressed tar.
        var key = LayerCache.KeyOf(entries, LayerCompression.None, DateTimeOffset.UnixEpoch, hashes);
        return new PlannedLayer("model " + model.Name, entries, LayerCompression.None, key, DateTimeOffset.UnixEpoch);
    }

    private static void AddFolder(List<PlannedLayer> layers, string description, string folder, string imageRoot, bool always = false, IReadOnlyList<LayerEntry>? parents = null)
    {
        if (!Directory.Exists(folder)) return;
        var entries = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => (Source: f, Relative: Path.GetRelativePath(folder, f).Replace('\\', '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => LayerEntry.File(Join(imageRoot, f.Relative), f.Source, ModeOf(f.Source)))
            .ToList();
        if (entries.Count == 0 && !always) return;
        if (entries.Count == 0) entries.Add(LayerEntry.Directory(imageRoot));
        layers.Add(new PlannedLayer(description, (parents ?? Array.Empty<LayerEntry>()).Concat(entries).ToList(), LayerCompression.Gzip));
    }

    private static void AddFile(List<PlannedLayer> layers, string description, string file, string imagePath, IReadOnlyList<LayerEntry>? parents = null)
    {
        if (File.Exists(file))
            layers.Add(new PlannedLayer(description, (parents ?? Array.Empty<LayerEntry>()).Append(LayerEntry.File(imagePath, file, Regular)).ToList(), LayerCompression.Gzip));
    }

    private static string Join(string root, string relative) => root.Length == 0 ? relative : root + "/" + relative;

    /// <summary>Only the executable bit comes from the host (the apphost, createdump, scripts); owners and other bits are fixed.</summary>
    private static int ModeOf(string path)
        => !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0 ? Executable : Regular;
}
