using System.Text.Json;
using System.Text.Json.Serialization;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.IO;

namespace AiContainers.Core.Weights;

/// <summary>The fetch result on disk, handed from FetchAiModels to the tasks that build the image. Holds no credential.</summary>
public static class ModelManifest
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(ModelFetchResult result) => JsonSerializer.Serialize(result, Options);

    public static void Write(ModelFetchResult result, string path) => AtomicFile.WriteIfChanged(path, Serialize(result));

    /// <summary>The manifest FetchAiModels wrote, or null when the project declares no models (no file).</summary>
    public static ModelFetchResult? ReadIfPresent(string? path)
        => !string.IsNullOrEmpty(path) && File.Exists(path) ? Read(path) : null;

    public static ModelFetchResult Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelFetchResult>(File.ReadAllText(path), Options)
                ?? throw new AiException(AiErrors.ModelManifestUnreadable, null, path, "it is empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new AiException(AiErrors.ModelManifestUnreadable, null, path, e.Message);
        }
    }
}
