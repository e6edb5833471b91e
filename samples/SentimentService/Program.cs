using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using SentimentService;

// Content root = the app's folder, so appsettings.json is found whatever the working directory is.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

// Listen where ASP.NET Core is told to (ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, --urls, Kestrel config);
// only when nothing is configured, default to port 8080 on all interfaces (the container convention).
var cfg = builder.Configuration;
if (string.IsNullOrEmpty(cfg["urls"]) && string.IsNullOrEmpty(cfg["http_ports"]) &&
    string.IsNullOrEmpty(cfg["https_ports"]) && !cfg.GetSection("Kestrel:Endpoints").Exists())
{
    builder.WebHost.UseSetting(WebHostDefaults.HttpPortsKey, "8080");
}

builder.Services.AddSingleton(sp =>
{
    var modelPath = cfg["MODEL_PATH"];
    if (string.IsNullOrWhiteSpace(modelPath))
    {
        modelPath = Path.Combine(AppContext.BaseDirectory, "model", "sentiment.onnx");
    }

    // CUDA is tried unless AI_USE_CUDA says no (0/false): without a GPU the model falls back to the CPU.
    var useCuda = cfg["AI_USE_CUDA"]?.Trim() is not { } v ||
                  !(v == "0" || v.Equals("false", StringComparison.OrdinalIgnoreCase));
    return new SentimentModel(modelPath, useCuda, sp.GetRequiredService<ILoggerFactory>().CreateLogger("SentimentService.Model"));
});

var app = builder.Build();

// Load the model at startup (not on the first request) so a bad model/provider fails fast and /health is truthful.
var model = app.Services.GetRequiredService<SentimentModel>();

app.MapGet("/health", () => Results.Ok(new HealthResponse("healthy", model.Provider)));

app.MapPost("/predict", async (HttpRequest request, IOptions<JsonOptions> jsonOptions, CancellationToken ct) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body, ct);
    if (body.Length == 0 || IsWhitespace(body))
    {
        return BadRequest("request body is empty; expected {\"features\":[[f1,f2,f3,f4], ...]}");
    }

    PredictRequest? req;
    try
    {
        body.Position = 0;
        req = await JsonSerializer.DeserializeAsync<PredictRequest>(body, jsonOptions.Value.SerializerOptions, ct);
    }
    catch (JsonException ex)
    {
        return BadRequest($"invalid JSON body: {ex.Message}");
    }

    if (req?.Features is not { Length: > 0 } rows)
    {
        return BadRequest("'features' must be a non-empty array of rows, e.g. {\"features\":[[f1,f2,f3,f4]]}");
    }

    for (var i = 0; i < rows.Length; i++)
    {
        var row = rows[i];
        if (row is null)
        {
            return BadRequest($"features[{i}] is null; each row must be an array of exactly {SentimentModel.FeatureCount} floats");
        }

        if (row.Length != SentimentModel.FeatureCount)
        {
            return BadRequest($"features[{i}] has {row.Length} values; each row must have exactly {SentimentModel.FeatureCount} floats");
        }

        if (Array.Exists(row, f => !float.IsFinite(f)))
        {
            return BadRequest($"features[{i}] contains a value that is not a finite float");
        }
    }

    return Results.Ok(new PredictResponse(model.Predict(rows)));
});

app.Run();

static IResult BadRequest(string message) => Results.BadRequest(new ErrorResponse(message));

static bool IsWhitespace(MemoryStream s)
{
    foreach (var b in s.GetBuffer().AsSpan(0, (int)s.Length))
    {
        if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
        {
            return false;
        }
    }

    return true;
}

internal sealed record PredictRequest(float[][]? Features);

internal sealed record PredictResponse(float[] Scores);

internal sealed record HealthResponse(string Status, string Provider);

internal sealed record ErrorResponse(string Error);
