using System.Text.RegularExpressions;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Weights;

[TestClass]
public sealed class ModelSpecMapperTests
{
    private const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Commit = "86b5e0934494bd15c9632b12f734a8a67f723594";

    private static InputItem Model(string name, params (string Name, string Value)[] metadata)
        => new(name, metadata.ToDictionary(m => m.Name, m => m.Value, StringComparer.OrdinalIgnoreCase));

    private static (IReadOnlyList<ModelSpec> Models, DiagnosticBag Bag) Map(params InputItem[] items)
    {
        var bag = new DiagnosticBag();
        return (ModelSpecMapper.Map(items, "/src/Demo", bag), bag);
    }

    /// <summary>One case per mapping error code: the items that trigger it.</summary>
    public static IEnumerable<object[]> ErrorCases()
    {
        yield return Case("AIC5001", Model("Bert", ("Source", "hf://org/bert@" + Commit)));
        yield return Case("AIC5001", Model("-bert", ("Source", "hf://org/bert@" + Commit)));
        yield return Case("AIC5002", Model("bert"));
        yield return Case("AIC5003", Model("bert", ("Source", "http://models.example.com/bert.onnx"), ("Sha256", Sha)));
        yield return Case("AIC5003", Model("bert", ("Source", "s3://bucket/bert.onnx")));
        yield return Case("AIC5004", Model("bert", ("Source", "hf://org/bert@")));
        yield return Case("AIC5004", Model("bert", ("Source", "hf://org/bert@main branch")));
        yield return Case("AIC5004", Model("bert", ("Source", "hf://org/bert@../../etc")));
        yield return Case("AIC5004", Model("bert", ("Source", "hf://org/sub/bert")));
        yield return Case("AIC5004", Model("bert", ("Source", "hf://datasets/org/data")));
        yield return Case("AIC5004", Model("bert", ("Source", "hf://org/bert@" + Commit.ToUpperInvariant())));
        yield return Case("AIC5005", Model("resnet", ("Source", "https://models.example.com/resnet50.onnx")));
        yield return Case("AIC5006", Model("resnet", ("Source", "https://models.example.com/resnet50.onnx"), ("Sha256", "abc")));
        yield return Case("AIC5007", Model("bert", ("Source", "hf://org/bert@" + Commit), ("ContainerPath", "models/bert")));
        yield return Case("AIC5007", Model("bert", ("Source", "hf://org/bert@" + Commit), ("ContainerPath", "/models/../etc")));
        yield return Case("AIC5007", Model("bert", ("Source", "hf://org/bert@" + Commit), ("ContainerPath", "/")));
        yield return Case("AIC5007", Model("resnet", ("Source", "https://models.example.com/"), ("Sha256", Sha)));
        yield return Case("AIC5008", Model("bert-base", ("Source", "hf://org/a@" + Commit)), Model("bert_base", ("Source", "hf://org/b@" + Commit)));
        yield return Case("AIC5009", Model("a", ("Source", "hf://org/a@" + Commit), ("ContainerPath", "/models/x")), Model("b", ("Source", "hf://org/b@" + Commit), ("ContainerPath", "/models/x/b")));
        yield return Case("AIC5009", Model("a", ("Source", "hf://org/a@" + Commit), ("ContainerPath", "/models/x")), Model("b", ("Source", "hf://org/b@" + Commit), ("ContainerPath", "/models/x/")));
        yield return Case("AIC5010", Model("bert", ("Source", "hf://org/bert@" + Commit), ("Files", "../secrets/*")));
        yield return Case("AIC5010", Model("bert", ("Source", "hf://org/bert@" + Commit), ("Files", "model-[.bin")));
        yield return Case("AIC5010", Model("bert", ("Source", "hf://org/bert@" + Commit), ("ExcludeFiles", "/abs/*.bin")));
        yield return Case("AIC5010", Model("bert", ("Source", "hf://org/bert@" + Commit), ("Files", "onnx/x\\")));
        yield return Case("AIC5011", Model("bert", ("Source", "hf://org/bert@" + Commit), ("Layout", "flat")));
        yield return Case("AIC5011", Model("local", ("Source", "models/clf"), ("Layout", "hf-cache")));
        yield return Case("AIC5012", Model("resnet", ("Source", "https://models.example.com/r.onnx"), ("AllowUnverified", "yes")));
        yield return Case("AIC5013", Model("bert", ("Source", "hf://org/bert@" + Commit), ("Sha256", Sha)));
        yield return Case("AIC5013", Model("resnet", ("Source", "https://models.example.com/r.onnx"), ("Sha256", Sha), ("Files", "*.onnx")));
        yield return Case("AIC5014", Model("resnet", ("Source", "https://user:secret@models.example.com/r.onnx"), ("Sha256", Sha)));
        yield return Case("AIC5015", Model("a", ("Source", "hf://org/a@" + Commit), ("Layout", "hf-cache")), Model("b", ("Source", "hf://org/b@" + Commit), ("Layout", "hf-cache"), ("ContainerPath", "/hf")));
        yield return Case("AIC5016", Model("a", ("Source", "hf://org/a@" + Commit), ("Layout", "hf-cache")), Model("b", ("Source", "hf://org/a@main"), ("Layout", "hf-cache")));
    }

    public static IEnumerable<object[]> WarningCases()
    {
        yield return Case("AIC5501", Model("resnet", ("Source", "https://models.example.com/r.onnx"), ("AllowUnverified", "true")));
        yield return Case("AIC5502", Model("bert", ("Source", "hf://org/bert")));
        yield return Case("AIC5502", Model("bert", ("Source", "hf://org/bert@v1.0")));
    }

    private static object[] Case(string code, params InputItem[] items) => new object[] { code, items };

    [TestMethod]
    [DynamicData(nameof(ErrorCases))]
    public void Bad_model_items_fail_with_their_code(string code, InputItem[] items)
    {
        var (_, bag) = Map(items);
        var diagnostic = bag.Items.FirstOrDefault(d => d.Code == code);
        Assert.IsNotNull(diagnostic, $"expected {code}, got: {string.Join(" | ", bag.Items)}");
        Assert.IsTrue(diagnostic.IsError);
        Assert.AreEqual("AiModel", diagnostic.Property);
        StringAssert.StartsWith(diagnostic.Message, code + ": ");
        StringAssert.Contains(diagnostic.Message, "AiModel");
        StringAssert.Matches(diagnostic.Message, new Regex(@"\. (Set|Use|Add|Remove|Fix|Check|Run|Give|Pin)"), "the message says what to do instead");
        Assert.IsTrue(bag.HasErrors);
    }

    [TestMethod]
    [DynamicData(nameof(WarningCases))]
    public void Risky_model_items_warn_and_still_map(string code, InputItem[] items)
    {
        var (models, bag) = Map(items);
        Assert.IsFalse(bag.HasErrors, string.Join(" | ", bag.Items));
        Assert.AreEqual(items.Length, models.Count);
        Assert.AreEqual(AiSeverity.Warning, bag.Items.Single(d => d.Code == code).Severity);
    }

    [TestMethod]
    public void The_issue_example_maps_with_defaults()
    {
        var (models, bag) = Map(
            Model("bert", ("Source", "hf://google-bert/bert-base-uncased@" + Commit), ("Files", "config.json;tokenizer.json;*.safetensors")),
            Model("resnet", ("Source", "https://models.example.com/resnet50.onnx"), ("Sha256", "SHA256:" + Sha.ToUpperInvariant()), ("ContainerPath", "/models/resnet/model.onnx")),
            Model("local", ("Source", "models/classifier/")));
        Assert.AreEqual(0, bag.Items.Count, string.Join(" | ", bag.Items));

        var bert = models[0];
        Assert.AreEqual(ModelSourceKind.HuggingFace, bert.Source.Kind);
        Assert.AreEqual("google-bert/bert-base-uncased", bert.Source.Repository);
        Assert.IsTrue(bert.Source.IsPinnedCommit);
        Assert.AreEqual("/models/bert", bert.Target);
        CollectionAssert.AreEqual(new[] { "config.json", "tokenizer.json", "*.safetensors" }, bert.Files.ToArray());
        Assert.AreEqual("AI_MODEL_BERT_PATH", bert.EnvironmentVariable);

        var resnet = models[1];
        Assert.AreEqual(Sha, resnet.Sha256, "Sha256 is normalised to lowercase hex without prefix");
        Assert.AreEqual("/models/resnet/model.onnx", resnet.Target);
        Assert.AreEqual("model.onnx", resnet.FileName);

        var local = models[2];
        Assert.AreEqual(ModelSourceKind.Local, local.Source.Kind);
        Assert.AreEqual("/src/Demo/models/classifier", local.Source.LocalPath!.TrimEnd('/'));
        Assert.AreEqual(ModelLayoutKind.Files, local.Layout);
    }

    [TestMethod]
    public void Https_without_target_keeps_the_url_file_name_and_hf_cache_defaults_to_one_hf_home()
    {
        var (models, bag) = Map(
            Model("resnet", ("Source", "https://models.example.com/v2/resnet%2050.onnx?sig=secret"), ("Sha256", Sha)),
            Model("a", ("Source", "hf://org/a@" + Commit), ("Layout", "hf-cache")),
            Model("b", ("Source", "hf://b@" + Commit), ("Layout", "HF-Cache")));
        Assert.IsFalse(bag.HasErrors, string.Join(" | ", bag.Items));
        Assert.AreEqual("/models/resnet/resnet 50.onnx", models[0].Target);
        Assert.AreEqual(ModelNaming.DefaultHfHome, models[1].Target);
        Assert.AreEqual(ModelNaming.DefaultHfHome, models[2].Target, "hf-cache models share HF_HOME without an overlap error");
        Assert.AreEqual("https://models.example.com/v2/resnet%2050.onnx", ModelSpecMapper.RedactedUrl(models[0].Source.Url!), "messages and labels drop the query");
    }

    [TestMethod]
    public void Model_specs_survive_the_spec_json_round_trip()
    {
        var (models, _) = Map(
            Model("bert", ("Source", "hf://org/bert@v1"), ("Files", "*.json"), ("ExcludeFiles", "x/**"), ("Layout", "hf-cache")),
            Model("resnet", ("Source", "https://models.example.com/r.onnx"), ("Sha256", Sha)));
        // Through spec.json as the pipeline writes and reads it.
        var json = AiImageSpecJson.Serialize(Inputs.Spec(Inputs.WebApp()) with { Models = models });
        var back = AiImageSpecJson.Deserialize(json).Models;
        Assert.AreEqual(json, AiImageSpecJson.Serialize(Inputs.Spec(Inputs.WebApp()) with { Models = back }));
        Assert.AreEqual(models[0].Source, back[0].Source);
        StringAssert.Contains(json, "\"layout\": \"HfCache\"");
    }

    [TestMethod]
    [DataRow("bert", "AI_MODEL_BERT_PATH")]
    [DataRow("bert-base.v2", "AI_MODEL_BERT_BASE_V2_PATH")]
    [DataRow("9b_model", "AI_MODEL_9B_MODEL_PATH")]
    public void Environment_variable_names_follow_the_documented_rule(string name, string expected)
        => Assert.AreEqual(expected, ModelNaming.EnvironmentVariable(name));

    [TestMethod]
    public void Every_problem_of_an_item_is_reported_at_once()
    {
        var (models, bag) = Map(Model("Bad Name", ("Source", "hf://org/bert@"), ("Files", "../x"), ("ContainerPath", "rel"), ("Layout", "zip")));
        Assert.AreEqual(0, models.Count);
        CollectionAssert.IsSubsetOf(new[] { "AIC5001", "AIC5004", "AIC5010", "AIC5007", "AIC5011" }, bag.Items.Select(d => d.Code).ToList());
    }

    [TestMethod]
    public void Weights_codes_stay_in_their_range()
    {
        var weights = typeof(AiErrors).GetFields().Where(f => f.FieldType == typeof(AiDiagnosticDescriptor))
            .Select(f => (AiDiagnosticDescriptor)f.GetValue(null)!).Where(d => d.Code.StartsWith("AIC5", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(weights.Count >= 30);
        foreach (var d in weights)
        {
            var number = int.Parse(d.Code[3..]);
            // 5001-5099 the original weights errors, 5100-5149 the hardening ones; warnings 5501 and up.
            Assert.IsTrue(d.Severity == AiSeverity.Error ? number is >= 5001 and <= 5149 : number >= 5501, d.Code);
            Assert.IsFalse(d.Format.Contains('"'), $"{d.Code}: the README generator reads formats without escaped quotes");
        }
    }
}
