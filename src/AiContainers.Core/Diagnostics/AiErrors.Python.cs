namespace AiContainers.Core.Diagnostics;

/// <summary>
/// Python projects and model servers: spec errors AIC1300-AIC1399, generation errors (the project's
/// files, read when the context is written) AIC2100-AIC2199, warnings AIC1560-AIC1579.
/// </summary>
public static partial class AiErrors
{
    // ---- spec ----
    public static readonly AiDiagnosticDescriptor InvalidPythonVersion = E("AIC1301", "AiPythonVersion '{0}' is not a Python version. Set AiPythonVersion to major.minor (e.g. 3.10)");
    public static readonly AiDiagnosticDescriptor PythonCommandMissing = E("AIC1302", "The Python project has no AiCommand, so the image would not know what to run. Set AiCommand to the command line (e.g. python train.py)");
    public static readonly AiDiagnosticDescriptor PathOutsideProject = E("AIC1303", "{0} '{1}' is not a relative path inside the project folder. Set {0} to a path relative to the project (e.g. {2})");
    public static readonly AiDiagnosticDescriptor InvalidPythonPackage = E("AIC1304", "AiPythonPackages '{0}' is not a pip requirement. Use name[extras] with an optional version specifier (e.g. numpy==1.26.4)");
    public static readonly AiDiagnosticDescriptor ServingImageBringsCuda = E("AIC1305", "{0} is set, but AiServingRuntime {1} runs on the {2} image, which brings its own CUDA. Remove {0}, or set AiBaseImage to another tag of {2}");
    public static readonly AiDiagnosticDescriptor NoServedModels = E("AIC1306", "AiServingRuntime is {0} but no AiServedModel item is declared, so the server would start with nothing to serve. Add an item such as <AiServedModel Include='{1}' />");
    public static readonly AiDiagnosticDescriptor InvalidServedModelVersion = E("AIC1307", "AiServedModel '{0}' has Version '{1}', which is not a positive whole number. Set Version to 1 or more (TensorFlow Serving loads /models/<name>/<version>)");
    public static readonly AiDiagnosticDescriptor InvalidServedModelName = E("AIC1308", "AiServedModel '{0}' has the name '{1}', which is not a model name. Set Name to letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. resnet18)");
    public static readonly AiDiagnosticDescriptor DuplicateServedModel = E("AIC1309", "The AiServedModel name '{0}' is declared twice. Give each item its own Name");
    public static readonly AiDiagnosticDescriptor ServedModelNotMar = E("AIC1310", "AiServedModel '{0}' is not a .mar file, which TorchServe loads. Package the model with torch-model-archiver and set Include to the .mar");
    public static readonly AiDiagnosticDescriptor TorchServeConfigWithoutTorchServe = E("AIC1311", "AiTorchServeConfig is set but AiServingRuntime is '{0}'. Remove AiTorchServeConfig, or set AiServingRuntime to TorchServe");
    public static readonly AiDiagnosticDescriptor InvalidPythonBuildPackage = E("AIC1313", "AiPythonBuildPackages '{0}' is not a Debian/Ubuntu package name. Use names of [a-z0-9.+-], optionally with =version (e.g. build-essential)");
    public static readonly AiDiagnosticDescriptor ServingNeedsStandaloneProject = E("AIC1312", "AiServingRuntime {0} is set in a project that compiles .NET code, whose publish output the model server would never run. Use a project of its own with <Project Sdk='AiContainers.Sdk/0.1.0'> and no C#");

    // ---- generation: the files the properties point at ----
    /// <summary>Rendered into the Dockerfile's interpreter check; {0} is filled in by Python at build time.</summary>
    public static readonly AiDiagnosticDescriptor PythonVersionMismatch = E("AIC2101", "python3 in the base image is {0}, but AiPythonVersion is {1}. Set AiPythonVersion to {0}, or set AiBaseImage to an image whose python3 is {1}");
    public static readonly AiDiagnosticDescriptor PythonInputMissing = E("AIC2102", "{0} '{1}' does not exist. Set {0} to a {2} inside the project folder '{3}'");
    public static readonly AiDiagnosticDescriptor MarNotZip = E("AIC2103", "AiServedModel '{0}' is not a TorchServe model archive: {1}. Build it with torch-model-archiver (a .mar is a zip holding MAR-INF/MANIFEST.json)");
    public static readonly AiDiagnosticDescriptor SavedModelWithoutPb = E("AIC2104", "AiServedModel '{0}' has no saved_model.pb{1}. Set Include to a SavedModel folder (as tf.saved_model.save writes it) or to a folder of numbered version folders that each hold one");
    public static readonly AiDiagnosticDescriptor SavedModelVersionFolderInvalid = E("AIC2105", "AiServedModel '{0}' holds the folder '{1}', which is not a positive whole number, so TensorFlow Serving would never load it. Rename it to a version number (e.g. 1), or set Include to the SavedModel folder itself and Version on the item");
    public static readonly AiDiagnosticDescriptor ServedModelMissing = E("AIC2106", "AiServedModel '{0}' does not exist at '{1}'. Set Include to a path relative to the project folder");
    public static readonly AiDiagnosticDescriptor TorchServeConfigMissing = E("AIC2107", "AiTorchServeConfig '{0}' does not exist. Set AiTorchServeConfig to a config.properties file in the project, or remove it to use the generated one");
    public static readonly AiDiagnosticDescriptor PythonAppEmpty = E("AIC2108", "No file of the project folder '{0}' is left for the image after .dockerignore, AiAppInclude and AiAppExclude. Check those patterns (bin/ and obj/ never go in)");

    // ---- warnings ----
    public static readonly AiDiagnosticDescriptor PythonVersionDiffersFromOs = W("AIC1560", "AiPythonVersion '{0}' differs from the python3 of {1} ({2}), so the image build stops at its interpreter check. Set AiPythonVersion to {2}, or AiBaseImage to an image with Python {0}");
    public static readonly AiDiagnosticDescriptor PythonSettingIgnored = W("AIC1561", "{0} applies only to Python projects (<Project Sdk='AiContainers.Sdk/0.1.0'> without AiServingRuntime) and is ignored here. Remove {0}");
    public static readonly AiDiagnosticDescriptor ServedModelVersionIgnored = W("AIC1562", "AiServedModel '{0}' sets Version, which TorchServe ignores (the version is inside the .mar). Remove Version, or set it with torch-model-archiver --version");
}
