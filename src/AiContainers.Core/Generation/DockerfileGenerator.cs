using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Python;
using AiContainers.Core.Serving;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;

namespace AiContainers.Core.Generation;

/// <summary>The generated Dockerfile and what generation noticed on the way.</summary>
public sealed record GeneratedDockerfile(string Text, IReadOnlyList<AiDiagnostic> Diagnostics);

/// <summary>
/// Builds the Dockerfile from small steps, each an embedded template, assembled in an order chosen
/// for layer-cache reuse (see the header template). Pure: spec in, text out. The output builds on
/// the classic builder (no RUN --mount, no COPY --link) and stays valid for BuildKit.
/// </summary>
public static class DockerfileGenerator
{
    /// <summary>Where the app sits in the build context (see <see cref="BuildContextWriter"/>).</summary>
    public const string AppContextPath = Publishing.ContextLayout.AppFolder;

    private static readonly JsonSerializerOptions ExecFormJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static GeneratedDockerfile Generate(AiImageSpec spec, WeightsImagePlan? weights = null)
    {
        var diagnostics = new List<AiDiagnostic>();
        var blocks = new List<string>
        {
            Step("header", new
            {
                GeneratorVersion = spec.Metadata.GeneratorVersion,
                spec.ProjectName,
                BaseCanonical = spec.Base.CanonicalName,
                BasePull = spec.Base.PullReference,
                BaseMirrored = spec.Base.Mirrored,
                // The FROM lines pull by the lock's digest; the tag the project names stays readable here.
                BaseLocked = spec.Base.LockedDigest,
                LockFile = spec.Lock is { } lockSettings ? Path.GetFileName(lockSettings.Path) : Lock.LockSettings.DefaultFileName,
            }),
        };

        if (weights is not null)
            blocks.Add(Step("weights-stage", new { weights.Reference }));

        var dotnet = spec.Dotnet;
        if (dotnet is { SelfContained: false })
            blocks.Add(Step("dotnet-runtime-stage", new { RuntimePull = dotnet.RuntimePullImage }));

        var python = spec.Python;
        if (python is not null)
            blocks.Add(PythonBuilderStage(spec, python));

        blocks.Add(Step("final-from", new { BasePull = spec.Base.PullReference, spec.Base.ChosenByUser }));

        var systemPackages = FinalStagePackages(spec);
        if (systemPackages.Count > 0)
            blocks.Add(Step("system-packages", new { Packages = systemPackages }));

        if (spec.User.CreateUser)
        {
            blocks.Add(spec.User.Uid is { } uid
                ? Step("user-home", new
                {
                    Uid = uid,
                    Gid = spec.User.Gid ?? uid,
                    Source = Publishing.ContextLayout.HomeFolder + "/",
                    Home = Publishing.ContextLayout.HomeDirectory(ContainerUserSpec.DefaultName) + "/",
                    Python = spec.AppKind == AiAppKind.Python,
                    Roots = WritablePlaces.OtherRoots(spec).Select(r => new
                    {
                        Why = r.ImagePath == WritablePlaces.Workspace
                            ? "The working directory, owned by the user: links to the read-only code, so `python train.py` runs and writes here."
                            : "An AiVolume target, owned by the user: a named volume mounted here starts writable.",
                        Copy = CopyArguments(r.ContextFolder + "/", RequireSingleLine(r.ImagePath, "COPY") + "/"),
                    }).ToList(),
                })
                : Step("named-user", new { Name = spec.User.User.Split(':')[0] }));
        }

        if (spec.RunCommands.Count > 0)
            blocks.Add(Step("run-commands", new { Commands = spec.RunCommands.Select(c => RequireSingleLine(c, "RUN")).ToList() }));

        if (spec.HealthCheck is { UsesBuiltInProbe: true })
            blocks.Add(Step("health-probe", new { HealthProbe.ContextPath, HealthProbe.ImagePath }));

        if (dotnet is { SelfContained: false })
            blocks.Add(Step("dotnet-runtime-copy", new { }));

        // The runtime packs and the NuGet packages' files change far less often than the project: their own layers.
        if (dotnet is not null)
            blocks.Add(Step("dotnet-dependency-layers", new
            {
                spec.WorkingDirectory,
                Runtime = dotnet.SelfContained ? Publishing.ContextLayout.RuntimeFolder + "/" : null,
                Packages = Publishing.ContextLayout.PackagesFolder + "/",
            }));

        if (weights is not null)
            blocks.Add(Step("weights-copy", new { Paths = weights.CopyPaths }));

        if (python is not null)
            blocks.Add(Step("python-venv-copy", new { Venv = PythonAppSpec.VirtualEnv }));

        if (spec.Serving is { Runtime: ServingRuntime.TorchServe } torchServe)
            blocks.Add(Step("serving-torchserve", new
            {
                ServingSpec.ContextFolder,
                ModelStore = ServingSpec.TorchServeModelStore,
                ConfigPath = ServingSpec.TorchServeConfigPath,
                ConfigOrigin = torchServe.TorchServeConfig is null ? "generated" : "from AiTorchServeConfig",
            }));
        else if (spec.Serving is { Runtime: ServingRuntime.TensorFlowServing } tf)
            blocks.Add(Step("serving-tfserving", new
            {
                ServingSpec.ContextFolder,
                ModelsRoot = ServingSpec.TfModelsRoot,
                ConfigPath = tf.Models.Count > 1 ? ServingSpec.TfModelConfigPath : null,
            }));

        var environment = ImageEnvironment.For(spec, weights?.Environment);
        if (ImageEnvironment.NeedsInvariantGlobalization(spec))
            diagnostics.Add(AiErrors.GlobalizationInvariantAssumed.Create("InvariantGlobalization"));
        if (environment.Count > 0)
            blocks.Add(Step("environment", new { Variables = environment.Select(e => new { e.Name, Value = Quote(e.Value) }).ToList() }));

        blocks.Add(Step("workdir", new { WorkingDirectory = RequireSingleLine(WritablePlaces.RunDirectory(spec), "WORKDIR") }));

        // A Python command is the CMD, as in the classic training Dockerfile: the base's entrypoint
        // (nvidia_entrypoint.sh on CUDA bases) still wraps it, and `docker run image python other.py` replaces it.
        var commandOnly = python is not null && spec.Entrypoint.Count == 0;

        blocks.Add(Step("runtime", new
        {
            Ports = spec.Ports.Select(p => p.ToString()).ToList(),
            spec.User.User,
            HealthCheck = spec.HealthCheck is { } h
                ? new { h.Interval, h.Timeout, h.StartPeriod, h.Retries, Command = ExecForm(h.Command) }
                : null,
            Entrypoint = !commandOnly && EntrypointFor(spec) is { Count: > 0 } e ? ExecForm(e) : null,
            Command = spec.Command.Count > 0 && (spec.Entrypoint.Count > 0 || commandOnly) ? ExecForm(spec.Command) : null,
        }));

        var labels = ImageLabels.For(spec, weights?.Labels);
        if (labels.Count > 0)
            blocks.Add(Step("labels", new { Labels = labels.Select(l => new { l.Name, Value = Quote(l.Value) }).ToList() }));

        // Model servers have no app folder: the models above are their payload.
        if (spec.Serving is null)
            blocks.Add(Step("app", new { spec.WorkingDirectory, Source = AppContextPath + "/" }));

        var text = new StringBuilder();
        foreach (var block in blocks.Select(b => b.TrimEnd('\n')).Where(b => b.Length > 0))
        {
            if (text.Length > 0) text.Append('\n');
            text.Append(block).Append('\n');
        }
        return new GeneratedDockerfile(text.ToString(), diagnostics);
    }

    /// <summary>
    /// The exec-form entrypoint: AiCommand when given, else the app kind's default
    /// (the apphost for self-contained .NET, `dotnet app.dll` for framework-dependent).
    /// </summary>
    public static IReadOnlyList<string> EntrypointFor(AiImageSpec spec)
    {
        if (spec.Entrypoint.Count > 0) return spec.Entrypoint;
        if (spec.Command.Count > 0) return spec.Command;
        if (spec.Dotnet is { } dotnet)
        {
            return dotnet.SelfContained
                ? new[] { $"{spec.WorkingDirectory}/{dotnet.AssemblyName}" }
                : new[] { "/usr/share/dotnet/dotnet", $"{spec.WorkingDirectory}/{dotnet.AssemblyName}.dll" };
        }
        return Array.Empty<string>();
    }

    /// <summary>AiSystemPackages plus, on Python images without their own interpreter, python3 from the OS.</summary>
    public static IReadOnlyList<string> FinalStagePackages(AiImageSpec spec)
    {
        if (spec.Python is not { Interpreter: PythonInterpreterSource.OsPackages }) return spec.SystemPackages;
        return spec.SystemPackages.Append("python3").Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static string PythonBuilderStage(AiImageSpec spec, PythonAppSpec python)
    {
        var apt = new List<string>(python.BuildPackages);
        if (python.Interpreter == PythonInterpreterSource.OsPackages) apt.AddRange(new[] { "python3", "python3-venv" });
        apt = apt.Distinct().Order(StringComparer.Ordinal).ToList();

        string? versionCheck = null;
        if (python.Version is { } version)
        {
            // The message is the coded error; Python fills in the version it found. No single quotes: it sits in a shell '...'.
            var message = AiErrors.PythonVersionMismatch.Create("AiPythonVersion", "{v}", version).Message;
            versionCheck = $"import sys; v = \"%d.%d\" % sys.version_info[:2]; sys.exit(0 if v == \"{version}\" else f\"{message}\")";
        }

        object? install = null;
        var options = new List<string>();
        if (python.WheelDirectory is { } wheels) options.Add($"--find-links {PythonAppSpec.BuilderInputs}/{wheels}");
        if (python.Requirements is { } requirements) options.Add($"-r {PythonAppSpec.BuilderInputs}/{requirements}");
        options.AddRange(python.Packages.Select(p => "'" + p + "'"));
        if (python.Requirements is not null || python.Packages.Count > 0)
            install = new { Options = options, CopyInputs = python.Requirements is not null || python.WheelDirectory is not null };

        return Step("python-builder-stage", new
        {
            BasePull = spec.Base.PullReference,
            AptPackages = apt.Count > 0 ? apt : null,
            HasBuildTools = python.BuildPackages.Count > 0,
            VersionCheck = versionCheck,
            SystemSitePackages = python.SystemSitePackages,
            Venv = PythonAppSpec.VirtualEnv,
            PythonAppSpec.ContextFolder,
            BuilderInputs = PythonAppSpec.BuilderInputs,
            Install = install,
        });
    }

    /// <summary>
    /// COPY's source and destination: plain words when both are plain paths, else the JSON form with the builder's own
    /// escapes (<see cref="CopyWord"/>), since a volume target may hold spaces, '#', '$', quotes or '\'.
    /// </summary>
    public static string CopyArguments(string source, string destination)
        => new[] { source, destination }.All(p => p.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or '@'))
            ? source + " " + destination
            : ExecForm(new[] { CopyWord(source), CopyWord(destination) });

    /// <summary>
    /// A COPY source or destination taken literally: the builder expands variables and quotes in COPY words (JSON form
    /// too) with '\' as the escape, so '\', '$' and both quotes are escaped.
    /// </summary>
    public static string CopyWord(string path)
    {
        var sb = new StringBuilder();
        foreach (var c in path)
        {
            if (c is '\\' or '$' or '\'' or '"') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    public static string ExecForm(IEnumerable<string> words) => JsonSerializer.Serialize(words.ToArray(), ExecFormJson);

    /// <summary>
    /// Double-quotes a value for ENV/LABEL, escaping what the Dockerfile parser would expand or end on: inside
    /// double quotes it unescapes only \\, \" and \$, so those three are escaped and everything else is literal.
    /// A line break has no escape there (\n stays two characters in the image), so it cannot be carried at all:
    /// the mapper refuses it (AIC1600) and reaching here with one is a bug, reported as AIC2600.
    /// </summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in RequireSingleLine(value, "ENV or LABEL"))
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '$': sb.Append("\\$"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A value written bare into one Dockerfile line: returned as is, or AIC2600 when it would split the line.</summary>
    public static string RequireSingleLine(string value, string instruction)
        => ProjectInputs.FindControlCharacter(value) is { } c
            ? throw new AiException(AiErrors.ValueNotEncodable, null, "Dockerfile " + instruction, "U+" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture))
            : value;

    private static string Step(string name, object model) => TemplateRenderer.Render("dockerfile/" + name + ".sbn", model);
}
