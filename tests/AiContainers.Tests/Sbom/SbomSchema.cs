using System.Text.Json;
using AiContainers.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace AiContainers.Tests.Sbom;

/// <summary>The official CycloneDX schema, through the CycloneDX JavaScript library's strict validator (npm, offline).</summary>
internal static class SbomSchema
{
    /// <summary>Fails with the schema's errors unless every file is a valid CycloneDX document of <paramref name="specVersion"/>.</summary>
    public static void AssertValid(string specVersion, params string[] files)
    {
        var modulesParent = Path.Combine(TestPaths.RepoRoot, "artifacts", "node");
        EngineEnvironment.RequireTool(Path.Combine(modulesParent, "node_modules", "@cyclonedx", "cyclonedx-library", "package.json"),
            "build/test.sh installs @cyclonedx/cyclonedx-library and ajv into artifacts/node");
        var script = Path.Combine(TestPaths.SourceDirectory, "Sbom", "sbom-schema-check.mjs");
        var run = ProcessRunner.Run("node", new[] { script, modulesParent, specVersion }.Concat(files), timeout: TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, run.ExitCode, run.Output);
        foreach (var result in JsonDocument.Parse(run.StandardOutput).RootElement.GetProperty("results").EnumerateArray())
            Assert.AreEqual(JsonValueKind.Null, result.GetProperty("errors").ValueKind, $"{result.GetProperty("file")}: {result.GetProperty("errors")}");
    }

    /// <summary>The schema errors of each file (null for a valid one), so a test can prove the check rejects bad documents.</summary>
    public static IReadOnlyList<string?> Errors(string specVersion, params string[] files)
    {
        var modulesParent = Path.Combine(TestPaths.RepoRoot, "artifacts", "node");
        var script = Path.Combine(TestPaths.SourceDirectory, "Sbom", "sbom-schema-check.mjs");
        var run = ProcessRunner.Run("node", new[] { script, modulesParent, specVersion }.Concat(files), timeout: TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, run.ExitCode, run.Output);
        return JsonDocument.Parse(run.StandardOutput).RootElement.GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("errors").ValueKind == JsonValueKind.Null ? null : r.GetProperty("errors").GetRawText()).ToList();
    }
}
