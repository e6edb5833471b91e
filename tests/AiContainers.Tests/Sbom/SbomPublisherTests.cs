using System.Text.Json;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Publishing;
using AiContainers.Core.Sbom;
using AiContainers.Core.Weights;
using AiContainers.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace AiContainers.Tests.Sbom;

/// <summary>What the publish feeds the writer: the spec, the builder's inventory and the fetched models, as the task passes them.</summary>
[TestClass]
public sealed class SbomPublisherTests
{
    private sealed class Log : IAiLog
    {
        public List<AiDiagnostic> Reported { get; } = new();
        public void Message(AiLogLevel level, string text) { }
        public void Report(AiDiagnostic diagnostic) => Reported.Add(diagnostic);
    }

    private static FetchedModel Model(string name, string? license) => new(name, new ModelSource(ModelSourceKind.HuggingFace, "hf://org/" + name, "org/" + name, "main"),
        new string('a', 40), ModelLayoutKind.Files, "/models/" + name, "MODEL_PATH", "/models/" + name,
        new[] { new FetchedFile("model.onnx", 5, new string('b', 64), "/cache/blob") }, "sha256:" + new string('c', 64)) { License = license };

    [TestMethod]
    public void ModelsTakeTheFetchedLicenceAndThePipListAndDpkgStatusAreRead()
    {
        var spec = Inputs.Spec(Inputs.WebApp().Set("ContainerRegistry", "127.0.0.1:5000").Set("AiImageBuilder", "Docker"));
        var image = new PublishedImage(spec.Identity, "Docker", "AiImageBuilder=Docker", "sha256:" + new string('d', 64), "sha256:" + new string('e', 64),
            10, true, 10, TimeSpan.Zero, TimeSpan.Zero, Array.Empty<PublishedLayer>());
        var models = ModelFetchResult.Create(new[] { Model("bert", "apache-2.0"), Model("gpt", null) }, "/cache");
        var inventory = new ImageInventory("sha256:" + new string('f', 64), "Package: curl\nStatus: install ok installed\nVersion: 7.88\nArchitecture: amd64\n",
            "ID=debian\nVERSION_ID=\"12\"\n", """[{"name": "numpy", "version": "1.26.4"}]""", "/opt/venv/aicontainers-pip-list.json");
        var log = new Log();
        var inputs = SbomPublisher.Inputs(spec, image, inventory, models, null, log);

        Assert.AreEqual("apache-2.0", inputs.Models.Single(m => m.Name == "bert").License!.Name, "the Hub's licence from the fetch");
        Assert.IsNull(inputs.Models.Single(m => m.Name == "gpt").License, "no licence recorded: none claimed");
        Assert.AreEqual("pkg:huggingface/org/bert@" + new string('a', 40), inputs.Models.Single(m => m.Name == "bert").Purl);
        Assert.AreEqual("numpy", inputs.PythonPackages.Single().Name);
        Assert.AreEqual(new SbomOsPackage("curl", "7.88", "amd64", false), inputs.OsPackages.Single());
        Assert.AreEqual("sha256:" + new string('f', 64), inputs.Base.Digest);
        Assert.AreEqual("sha256:" + new string('e', 64), inputs.Image.Digest);
        Assert.AreEqual("AiContainers 0.1.0 Docker", inputs.Provenance.Single(p => p.Key == "ai.containers.builder").Value);
        Assert.AreEqual(0, log.Reported.Count);

        // A pip list that is missing from the image is a warning naming the file, and no Python package is claimed.
        var missing = SbomPublisher.Inputs(spec, image, inventory with { PipList = null }, null, null, log);
        Assert.AreEqual(0, missing.PythonPackages.Count);
        Assert.AreEqual("AIC7521", log.Reported.Single().Code);
        StringAssert.Contains(log.Reported.Single().Message, "/opt/venv/aicontainers-pip-list.json");
        JsonDocument.Parse(CycloneDxWriter.Write(inputs)).Dispose();
    }
}
