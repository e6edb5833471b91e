namespace AiContainers.Core.Serving;

public enum ServingRuntime { TorchServe, TensorFlowServing }

/// <summary>
/// One AiServedModel item. <see cref="Source"/> is the absolute host path: a .mar file for
/// TorchServe; for TensorFlow Serving a SavedModel folder (served as <see cref="Version"/>) or a
/// folder of numbered version folders (<see cref="Version"/> null).
/// </summary>
public sealed record ServedModelSpec(string Name, string Include, string Source, int? Version);

/// <summary>A model server image: which server, which models, and the user's TorchServe config if any.</summary>
public sealed record ServingSpec(ServingRuntime Runtime, IReadOnlyList<ServedModelSpec> Models, string? TorchServeConfig)
{
    public const string TorchServeHome = "/home/model-server";
    public const string TorchServeModelStore = TorchServeHome + "/model-store";
    public const string TorchServeConfigPath = TorchServeHome + "/config.properties";
    public const string TorchServeUser = "model-server";
    /// <summary>
    /// The uid and gid of <see cref="TorchServeUser"/>, who owns <see cref="TorchServeHome"/> in pytorch/torchserve:
    /// its Dockerfile runs <c>useradd -m model-server</c> on an Ubuntu base with no other user, which gives 1000. The
    /// daemonless builder writes the home's entries with it (ImageLayerPlan); a base built otherwise needs the Docker builder.
    /// </summary>
    public const int TorchServeUid = 1000;
    public const int TorchServeInferencePort = 8080;
    public const int TorchServeManagementPort = 8081;
    public const int TorchServeMetricsPort = 8082;

    public const string TfModelsRoot = "/models";
    public const string TfModelConfigPath = TfModelsRoot + "/models.config";
    public const int TfGrpcPort = 8500;
    public const int TfRestPort = 8501;

    /// <summary>The build-context folder the models are laid out in, as they sit in the image.</summary>
    public const string ContextFolder = "serving";

    /// <summary>The pinned bases: a tag that moves would make builds irreproducible.</summary>
    public const string TorchServeRepository = "pytorch/torchserve";
    public const string TorchServeVersion = "0.12.0";
    public const string TfServingRepository = "tensorflow/serving";
    public const string TfServingVersion = "2.18.0";

    public static string DefaultBase(ServingRuntime runtime, bool gpu) => runtime switch
    {
        ServingRuntime.TorchServe => $"{TorchServeRepository}:{TorchServeVersion}-{(gpu ? "gpu" : "cpu")}",
        _ => $"{TfServingRepository}:{TfServingVersion}{(gpu ? "-gpu" : "")}",
    };

    public static IReadOnlyList<int> DefaultPorts(ServingRuntime runtime) => runtime switch
    {
        ServingRuntime.TorchServe => new[] { TorchServeInferencePort, TorchServeManagementPort, TorchServeMetricsPort },
        _ => new[] { TfGrpcPort, TfRestPort },
    };

    /// <summary>The health endpoint and its port: TorchServe's /ping, TensorFlow Serving's model status.</summary>
    public (string Path, int Port) HealthEndpoint => Runtime switch
    {
        ServingRuntime.TorchServe => ("/ping", TorchServeInferencePort),
        _ => ($"/v1/models/{Models[0].Name}", TfRestPort),
    };

    /// <summary>The server's command in exec form, with its ports and model locations spelled out.</summary>
    public IReadOnlyList<string> DefaultCommand()
    {
        if (Runtime == ServingRuntime.TorchServe)
        {
            // --foreground keeps the server as the container's main process (plain --start returns at once).
            var command = new List<string> { "torchserve", "--start", "--foreground", "--model-store", TorchServeModelStore, "--ts-config", TorchServeConfigPath, "--models" };
            command.AddRange(Models.Select(m => $"{m.Name}={Path.GetFileName(m.Source)}"));
            return command;
        }
        var tf = new List<string> { "tensorflow_model_server", $"--port={TfGrpcPort}", $"--rest_api_port={TfRestPort}" };
        if (Models.Count == 1) tf.AddRange(new[] { $"--model_name={Models[0].Name}", $"--model_base_path={TfModelsRoot}/{Models[0].Name}" });
        else tf.Add($"--model_config_file={TfModelConfigPath}");
        return tf;
    }
}
