using System.Globalization;
using System.Text.RegularExpressions;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Serving;

/// <summary>Maps AiServingRuntime, AiServedModel items and AiTorchServeConfig. Pure: the files are read when the context is written.</summary>
public static partial class ServingSpecMapper
{
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*$")] private static partial Regex ModelNameRegex();

    /// <summary>The runtime named by AiServingRuntime, or null when it is unset (or not a runtime, which is reported).</summary>
    public static ServingRuntime? Runtime(ProjectInputs input, DiagnosticBag bag)
    {
        var text = input.Get("AiServingRuntime");
        if (text is null) return null;
        if (Enum.TryParse<ServingRuntime>(text, ignoreCase: true, out var runtime) && Enum.IsDefined(runtime) && !int.TryParse(text, out _)) return runtime;
        bag.Report(AiErrors.UnknownEnumValue, "AiServingRuntime", "AiServingRuntime", text, string.Join(", ", Enum.GetNames<ServingRuntime>()));
        return null;
    }

    /// <summary>The CUDA base properties do not apply: the serving image is the base. Returns false when one is set.</summary>
    public static bool CheckNoCudaProperties(ProjectInputs input, DiagnosticBag bag, ServingRuntime runtime)
    {
        var ok = true;
        var repository = runtime == ServingRuntime.TorchServe ? ServingSpec.TorchServeRepository : ServingSpec.TfServingRepository;
        foreach (var p in new[] { "AiCudaVersion", "AiCudnnVersion", "AiCudaFlavor", "AiBaseOs" }.Where(p => input.Get(p) is not null))
        {
            bag.Report(AiErrors.ServingImageBringsCuda, p, p, runtime, repository);
            ok = false;
        }
        return ok;
    }

    public static ServingSpec? Map(ProjectInputs input, DiagnosticBag bag, ServingRuntime runtime)
    {
        var projectDirectory = input.Get("MSBuildProjectDirectory") ?? ".";
        var models = new List<ServedModelSpec>();
        var ok = true;
        foreach (var item in input.Items("AiServedModel"))
        {
            var include = item.Include.Trim();
            if (include.Length == 0) continue;
            var defaultName = Path.GetFileNameWithoutExtension(include.Replace('\\', '/').TrimEnd('/'));
            var name = item.Get("Name") ?? defaultName;
            if (!ModelNameRegex().IsMatch(name)) { bag.Report(AiErrors.InvalidServedModelName, "AiServedModel", include, name); ok = false; continue; }
            if (models.Any(m => m.Name == name)) { bag.Report(AiErrors.DuplicateServedModel, "AiServedModel", name); ok = false; continue; }

            int? version = null;
            if (item.Get("Version") is { } versionText)
            {
                if (runtime == ServingRuntime.TorchServe) bag.Report(AiErrors.ServedModelVersionIgnored, "AiServedModel", include);
                else if (int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= 1) version = v;
                else { bag.Report(AiErrors.InvalidServedModelVersion, "AiServedModel", include, versionText); ok = false; continue; }
            }
            if (runtime == ServingRuntime.TorchServe && !include.EndsWith(".mar", StringComparison.OrdinalIgnoreCase))
            { bag.Report(AiErrors.ServedModelNotMar, "AiServedModel", include); ok = false; continue; }

            var source = Path.GetFullPath(Path.Combine(projectDirectory, include));
            models.Add(new ServedModelSpec(name, include, source.TrimEnd('/', '\\'), version));
        }
        if (models.Count == 0 && ok)
        {
            bag.Report(AiErrors.NoServedModels, "AiServedModel", runtime, runtime == ServingRuntime.TorchServe ? "models/resnet18.mar" : "export/my_model");
            return null;
        }

        string? config = null;
        if (input.Get("AiTorchServeConfig") is { } configText)
        {
            if (runtime != ServingRuntime.TorchServe) { bag.Report(AiErrors.TorchServeConfigWithoutTorchServe, "AiTorchServeConfig", runtime); ok = false; }
            else config = Path.GetFullPath(Path.Combine(projectDirectory, configText));
        }
        return ok ? new ServingSpec(runtime, models, config) : null;
    }
}
