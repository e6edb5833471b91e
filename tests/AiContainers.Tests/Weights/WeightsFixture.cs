using System.Collections.Concurrent;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;
using AiContainers.Core.Weights;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Weights;

/// <summary>An IAiLog that keeps every line, to assert on progress and on what must never be logged.</summary>
internal sealed class RecordingLog : IAiLog
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public void Message(AiLogLevel level, string text) => Lines.Enqueue(text);
    public void Report(AiDiagnostic diagnostic) => Lines.Enqueue(diagnostic.Message);
    public override string ToString() => string.Join("\n", Lines);
}

/// <summary>A fake hub, a fresh cache and project folder, and fast retry settings for one test.</summary>
internal sealed class WeightsFixture : IDisposable
{
    public static readonly FetchOptions Fast = new()
    {
        Retry = AiContainers.Core.Net.RetryPolicy.Fast(6),
        LockPollInterval = TimeSpan.FromMilliseconds(20),
        StallTimeout = TimeSpan.FromSeconds(20),
    };

    public WeightsFixture()
    {
        Root = TestPaths.NewTempDirectory("weights");
        CacheDirectory = Path.Combine(Root, "cache");
        ProjectDirectory = Path.Combine(Root, "project");
        Directory.CreateDirectory(ProjectDirectory);
    }

    public FakeHuggingFaceServer Server { get; } = new();
    public string Root { get; }
    public string CacheDirectory { get; }
    public string ProjectDirectory { get; }
    public RecordingLog Log { get; } = new();

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>org/bert: config.json and tokenizer.json as regular files, model.safetensors (2 MiB) in LFS, tag v1.0.</summary>
    public FakeRepo AddBert(string id = "org/bert", string? requiredToken = null)
        => Server.AddRepo(id, requiredToken)
            .AddText("config.json", "{\"model_type\": \"bert\", \"hidden_size\": 8}")
            .AddText("tokenizer.json", "{\"version\": \"1.0\"}")
            .AddFile("model.safetensors", RandomBytes(2 << 20, 1), lfs: true)
            .AddText("onnx/model.onnx.json", "{}")
            .Tag("v1.0");

    public IReadOnlyList<ModelSpec> Specs(params InputItem[] items)
    {
        var bag = new DiagnosticBag();
        var specs = ModelSpecMapper.Map(items, ProjectDirectory, bag);
        Assert.IsFalse(bag.HasErrors, string.Join(" | ", bag.Items));
        return specs;
    }

    public static InputItem Model(string name, string source, params (string Name, string Value)[] metadata)
        => new(name, metadata.Append((Name: "Source", Value: source)).ToDictionary(m => m.Name, m => m.Value, StringComparer.OrdinalIgnoreCase));

    public ModelFetcher Fetcher(string? token = null, bool offline = false, IAiLog? log = null, FetchOptions? options = null)
        => new(new ModelCache(CacheDirectory), new HubSettings(Server.Endpoint, token, offline), log ?? Log, options ?? Fast);

    public async Task<ModelFetchResult> Fetch(IReadOnlyList<ModelSpec> specs, string? token = null, bool offline = false, FetchOptions? options = null)
    {
        using var fetcher = Fetcher(token, offline, options: options);
        return await fetcher.FetchAsync(specs, CancellationToken.None);
    }

    public Task<ModelFetchResult> Fetch(params InputItem[] items) => Fetch(Specs(items));

    /// <summary>Runs a fetch that must fail and returns its coded exception.</summary>
    public async Task<AiException> FetchFails(IReadOnlyList<ModelSpec> specs, string? token = null, bool offline = false)
    {
        try
        {
            await Fetch(specs, token, offline);
        }
        catch (AiException e)
        {
            return e;
        }
        Assert.Fail("the fetch was expected to fail with a coded error");
        throw new InvalidOperationException();
    }

    public IEnumerable<string> CacheFiles(string sub) => Directory.Exists(Path.Combine(CacheDirectory, sub))
        ? Directory.EnumerateFiles(Path.Combine(CacheDirectory, sub), "*", SearchOption.AllDirectories) : [];

    public void Dispose()
    {
        Server.Dispose();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
