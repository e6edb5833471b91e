using System.IO.Compression;
using System.Text;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Files;

namespace AiContainers.Core.Serving;

/// <summary>One file of the serving context: where it comes from on the host, where it sits under the context's serving/ folder.</summary>
public sealed record ServingFile(string Source, string ContextPath);

/// <summary>
/// Reads the AiServedModel inputs on the host: checks them (a .mar must be a zip with a manifest, a
/// SavedModel folder must hold saved_model.pb, version folders must be numbers) and lists the files
/// as they are laid out in the image. The only I/O of serving; the mapper stays pure.
/// </summary>
public static class ServingFiles
{
    public static IReadOnlyList<AiDiagnostic> Validate(ServingSpec serving, ProjectFileRule? rule = null) => Plan(serving, rule).Diagnostics;

    /// <param name="rule">
    /// Which files may be copied (the project folder, AiAllowFilesOutsideProject); null checks only for
    /// dangling links. Checked before anything is opened, so a link out of the project is never read.
    /// </param>
    public static (IReadOnlyList<ServingFile> Files, IReadOnlyList<AiDiagnostic> Diagnostics) Plan(ServingSpec serving, ProjectFileRule? rule = null)
    {
        var bag = new DiagnosticBag();
        var files = new List<ServingFile>();
        if (serving.TorchServeConfig is { } config)
        {
            if (Refused(rule, "AiTorchServeConfig", "AiTorchServeConfig", config, bag)) { }
            else if (!File.Exists(config)) bag.Report(AiErrors.TorchServeConfigMissing, "AiTorchServeConfig", config);
        }

        foreach (var model in serving.Models)
        {
            if (Refused(rule, "AiServedModel", $"AiServedModel '{model.Include}'", model.Source, bag)) continue;
            var planned = files.Count;
            if (serving.Runtime == ServingRuntime.TorchServe) PlanMar(model, bag, files);
            else PlanSavedModel(model, bag, files);
            // A folder's own files may be links out of the project too.
            for (var i = planned; i < files.Count; i++)
                Refused(rule, "AiServedModel", $"AiServedModel '{model.Include}' file", files[i].Source, bag);
        }
        return (bag.HasErrors ? Array.Empty<ServingFile>() : files, bag.Items);
    }

    private static bool Refused(ProjectFileRule? rule, string property, string what, string path, DiagnosticBag bag)
    {
        var effective = rule ?? new ProjectFileRule(Path.GetPathRoot(Path.GetFullPath(path))!, AllowOutside: true);
        if (ProjectFiles.Check(effective, property, what, path, path) is not { } problem) return false;
        bag.Add(problem);
        return true;
    }

    private static void PlanMar(ServedModelSpec model, DiagnosticBag bag, List<ServingFile> files)
    {
        if (!File.Exists(model.Source)) { bag.Report(AiErrors.ServedModelMissing, "AiServedModel", model.Include, model.Source); return; }
        var why = MarProblem(model.Source);
        if (why is not null) { bag.Report(AiErrors.MarNotZip, "AiServedModel", model.Include, why); return; }
        files.Add(new ServingFile(model.Source, "model-store/" + Path.GetFileName(model.Source)));
    }

    /// <summary>Null when the file is a zip with MAR-INF/MANIFEST.json, else why not.</summary>
    public static string? MarProblem(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return zip.GetEntry("MAR-INF/MANIFEST.json") is null ? "the zip has no MAR-INF/MANIFEST.json" : null;
        }
        catch (InvalidDataException) { return "it is not a zip file"; }
        catch (IOException e) { return e.Message; }
    }

    private static void PlanSavedModel(ServedModelSpec model, DiagnosticBag bag, List<ServingFile> files)
    {
        if (!Directory.Exists(model.Source)) { bag.Report(AiErrors.ServedModelMissing, "AiServedModel", model.Include, model.Source); return; }
        if (File.Exists(Path.Combine(model.Source, "saved_model.pb")))
        {
            // The folder is one SavedModel: it becomes version Version (1 unless the item says).
            AddTree(model.Source, $"models/{model.Name}/{model.Version ?? 1}", files);
            return;
        }
        var subfolders = Directory.EnumerateDirectories(model.Source).Select(Path.GetFileName).OfType<string>().OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (subfolders.Count == 0)
        {
            bag.Report(AiErrors.SavedModelWithoutPb, "AiServedModel", model.Include, $" in '{model.Source}' and no version folders");
            return;
        }
        foreach (var name in subfolders)
        {
            if (!(int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) && version >= 1))
            {
                bag.Report(AiErrors.SavedModelVersionFolderInvalid, "AiServedModel", model.Include, name);
                continue;
            }
            var folder = Path.Combine(model.Source, name);
            if (!File.Exists(Path.Combine(folder, "saved_model.pb")))
            {
                bag.Report(AiErrors.SavedModelWithoutPb, "AiServedModel", model.Include, $" in its version folder '{name}'");
                continue;
            }
            AddTree(folder, $"models/{model.Name}/{version}", files);
        }
    }

    private static void AddTree(string folder, string contextPrefix, List<ServingFile> files)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
            files.Add(new ServingFile(file, contextPrefix + "/" + Path.GetRelativePath(folder, file).Replace('\\', '/')));
    }

    /// <summary>TorchServe's config.properties when the project gives none: the three APIs on all interfaces, the model store.</summary>
    public static string TorchServeConfig() => new StringBuilder()
        .Append("# Generated by AiContainers: TorchServe's addresses and model store (set AiTorchServeConfig to use your own).\n")
        .Append($"inference_address=http://0.0.0.0:{ServingSpec.TorchServeInferencePort}\n")
        .Append($"management_address=http://0.0.0.0:{ServingSpec.TorchServeManagementPort}\n")
        .Append($"metrics_address=http://0.0.0.0:{ServingSpec.TorchServeMetricsPort}\n")
        .Append($"model_store={ServingSpec.TorchServeModelStore}\n")
        // The models are baked in and loaded at start; registering more at run time stays off (the 0.12 default).
        .Append("enable_model_api=false\n")
        // As the official image's entrypoint does (--disable-token-auth): 0.12 otherwise demands a key file per request.
        .Append("disable_token_authorization=true\n")
        .ToString();

    /// <summary>TensorFlow Serving's model config when it serves more than one model (text protobuf).</summary>
    public static string TfModelConfig(ServingSpec serving)
    {
        var sb = new StringBuilder("# Generated by AiContainers: one entry per AiServedModel item.\nmodel_config_list {\n");
        foreach (var model in serving.Models)
        {
            sb.Append("  config {\n")
              .Append($"    name: \"{model.Name}\"\n")
              .Append($"    base_path: \"{ServingSpec.TfModelsRoot}/{model.Name}\"\n")
              .Append("    model_platform: \"tensorflow\"\n")
              .Append("  }\n");
        }
        return sb.Append("}\n").ToString();
    }
}
