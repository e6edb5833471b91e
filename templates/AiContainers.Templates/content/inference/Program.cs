using Microsoft.ML.OnnxRuntime;
// ASP.NET Core has a SessionOptions too (HTTP sessions).
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton(services => new OnnxModel(
    Path.Combine(AppContext.BaseDirectory, "model", "model.onnx"),
    services.GetRequiredService<ILogger<OnnxModel>>()));

var app = builder.Build();

// Load the model now, not on the first request: a missing or broken model stops the service at start
// instead of passing /health.
var model = app.Services.GetRequiredService<OnnxModel>();

// The image's HEALTHCHECK calls this (AiHealthCheckPath in the project file).
app.MapGet("/health", () => new HealthResponse("healthy", model.Provider));

// {"features":[[f1,f2,f3,f4], ...]} -> {"scores":[s1, ...]}
app.MapPost("/predict", (PredictRequest request) =>
    OnnxModel.Check(request.Features) is { } problem
        ? Results.BadRequest(new ErrorResponse(problem))
        : Results.Ok(new PredictResponse(model.Predict(request.Features!))));

app.Run();

internal sealed record PredictRequest(float[][]? Features);

internal sealed record PredictResponse(float[] Scores);

internal sealed record HealthResponse(string Status, string Provider);

internal sealed record ErrorResponse(string Error);

/// <summary>
/// model/model.onnx: input "features" float[N,4], output "score" float[N,1] (a tiny logistic regression;
/// replace it with yours and change the names and <see cref="FeatureCount"/>). One session serves every
/// request: InferenceSession.Run is thread-safe.
/// </summary>
internal sealed class OnnxModel : IDisposable
{
    private const string InputName = "features";
    private const string OutputName = "score";
    public const int FeatureCount = 4;

    private readonly InferenceSession _session;

    public OnnxModel(string path, ILogger<OnnxModel> logger)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"No ONNX model at {path}. Put the model at model/model.onnx in the project.", path);
        (_session, Provider) = Open(path, logger);
        logger.LogInformation("Loaded {Path} on the {Provider} execution provider", path, Provider);
    }

    /// <summary>"CUDA" on a GPU, "CPU" where CUDA is not available.</summary>
    public string Provider { get; }

    private static (InferenceSession, string) Open(string path, ILogger logger)
    {
        try
        {
            using var cuda = new SessionOptions();
            cuda.AppendExecutionProvider_CUDA(0);
            return (new InferenceSession(path, cuda), "CUDA");
        }
        catch (OnnxRuntimeException e)
        {
            // No GPU, driver or CUDA libraries (docker run without --gpus, a laptop): serve on the CPU rather than not at all.
            logger.LogWarning("The CUDA execution provider is not available ({Reason}); running on the CPU", e.Message);
            return (new InferenceSession(path), "CPU");
        }
    }

    /// <summary>Why <paramref name="rows"/> cannot be scored, or null when it can.</summary>
    public static string? Check(float[][]? rows)
    {
        if (rows is not { Length: > 0 }) return "'features' must be a non-empty array of rows, e.g. {\"features\":[[1,0,0,0]]}";
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i] is not { Length: FeatureCount } row) return $"features[{i}] must have exactly {FeatureCount} values";
            if (Array.Exists(row, value => !float.IsFinite(value))) return $"features[{i}] has a value that is not a finite number";
        }
        return null;
    }

    public float[] Predict(float[][] rows)
    {
        var flat = new float[rows.Length * FeatureCount];
        for (var i = 0; i < rows.Length; i++) rows[i].CopyTo(flat, i * FeatureCount);
        using var input = OrtValue.CreateTensorValueFromMemory(flat, new long[] { rows.Length, FeatureCount });
        using var options = new RunOptions();
        using var outputs = _session.Run(options, new[] { InputName }, new[] { input }, new[] { OutputName });
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => _session.Dispose();
}
