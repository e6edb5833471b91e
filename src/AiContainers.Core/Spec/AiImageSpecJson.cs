using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiContainers.Core.Spec;

/// <summary>The spec's on-disk form, handed from one pipeline task to the next.</summary>
public static class AiImageSpecJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(AiImageSpec spec) => JsonSerializer.Serialize(spec, Options);

    public static AiImageSpec Deserialize(string json)
        => JsonSerializer.Deserialize<AiImageSpec>(json, Options) ?? throw new InvalidDataException("The AiContainers spec file is empty.");

    public static void Write(AiImageSpec spec, string path) => IO.AtomicFile.WriteIfChanged(path, Serialize(spec));

    public static AiImageSpec Read(string path) => Deserialize(File.ReadAllText(path));
}
