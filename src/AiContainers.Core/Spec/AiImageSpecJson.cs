using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiContainers.Core.Spec;

/// <summary>The spec's on-disk form, handed from one pipeline task to the next.</summary>
public static class AiImageSpecJson
{
    /// <summary>
    /// The source-generated contract: every pipeline task reads spec.json, and building the reflection-based
    /// contract of the whole spec graph at each task start was a visible part of a code-change publish.
    /// </summary>
    public static JsonSerializerOptions Options => AiImageSpecJsonContext.Default.Options;

    public static string Serialize(AiImageSpec spec) => JsonSerializer.Serialize(spec, AiImageSpecJsonContext.Default.AiImageSpec);

    public static AiImageSpec Deserialize(string json)
        => JsonSerializer.Deserialize(json, AiImageSpecJsonContext.Default.AiImageSpec) ?? throw new InvalidDataException("The AiContainers spec file is empty.");

    public static void Write(AiImageSpec spec, string path) => IO.AtomicFile.WriteIfChanged(path, Serialize(spec));

    public static AiImageSpec Read(string path) => Deserialize(File.ReadAllText(path));
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AiImageSpec))]
internal sealed partial class AiImageSpecJsonContext : JsonSerializerContext;
