using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace SentimentService;

/// <summary>
/// Owns the single <see cref="InferenceSession"/> for model/sentiment.onnx
/// (input "features" float[N,4] -> output "score" float[N,1]).
/// InferenceSession.Run is thread-safe, so one instance serves all requests.
/// </summary>
public sealed class SentimentModel : IDisposable
{
    public const string InputName = "features";
    public const string OutputName = "score";
    public const int FeatureCount = 4;

    private readonly InferenceSession _session;

    /// <summary>"CPU" or "CUDA": the execution provider the session was created with.</summary>
    public string Provider { get; }

    public string ModelPath { get; }

    public SentimentModel(string modelPath, bool useCuda, ILogger logger)
    {
        ModelPath = Path.GetFullPath(modelPath);
        if (!File.Exists(ModelPath))
        {
            throw new FileNotFoundException(
                $"ONNX model not found at '{ModelPath}'. Set MODEL_PATH or publish model/sentiment.onnx next to the app.",
                ModelPath);
        }

        (_session, Provider) = useCuda ? CreateWithCudaOrCpu(ModelPath, logger) : (CreateCpu(ModelPath), "CPU");

        if (!_session.InputMetadata.ContainsKey(InputName) || !_session.OutputMetadata.ContainsKey(OutputName))
        {
            var inputs = string.Join(", ", _session.InputMetadata.Keys);
            var outputs = string.Join(", ", _session.OutputMetadata.Keys);
            _session.Dispose();
            throw new InvalidOperationException(
                $"Model '{ModelPath}' must have input '{InputName}' and output '{OutputName}' (has inputs [{inputs}], outputs [{outputs}]).");
        }

        logger.LogInformation("Loaded model {ModelPath} with execution provider {Provider}", ModelPath, Provider);
    }

    private static InferenceSession CreateCpu(string modelPath)
    {
        using var options = new SessionOptions();
        return new InferenceSession(modelPath, options);
    }

    private static (InferenceSession, string) CreateWithCudaOrCpu(string modelPath, ILogger logger)
    {
        // The GPU package (Microsoft.ML.OnnxRuntime.Gpu.Linux, the default) needs a GPU, the driver and CUDA/cuDNN at
        // run time, and the CPU package (-p:UseOnnxRuntimeGpu=false) has no CUDA provider. Either way a failure here must
        // not take the service down: fall back to the CPU.
        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(0);
            return (new InferenceSession(modelPath, options), "CUDA");
        }
        catch (Exception ex)
        {
            logger.LogWarning(
                "The CUDA execution provider is unavailable ({Error}); running on the CPU",
                ex.Message);
            return (CreateCpu(modelPath), "CPU");
        }
    }

    /// <summary>Scores <paramref name="rows"/> (each exactly <see cref="FeatureCount"/> values); one score per row.</summary>
    public float[] Predict(IReadOnlyList<float[]> rows)
    {
        var flat = new float[rows.Count * FeatureCount];
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(flat, i * FeatureCount);
        }

        using var input = OrtValue.CreateTensorValueFromMemory(flat, new long[] { rows.Count, FeatureCount });
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, new[] { InputName }, new[] { input }, new[] { OutputName });
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => _session.Dispose();
}
