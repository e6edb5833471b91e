using AiContainers.Core.Deploy;
using AiContainers.Core.Generation;
using AiContainers.Core.Spec;
using AiContainers.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace AiContainers.Tests.Hardening;

/// <summary>
/// Issue #10's rule, checked for every string the SDK hands over: each hostile value (line breaks of every
/// kind, NUL, quotes, backslashes, $(...), ${...}, &amp;&amp;, YAML indicators) planted into every property, every
/// item Include and every item metadata either is refused with a coded error naming that property or item
/// type, or leaves the Dockerfile with exactly the instructions it had, and compose.yaml, the Kubernetes
/// manifests and docker-run.sh parse and carry the very value the image carries. Pure Core, so it stays fast.
/// </summary>
[TestClass]
public sealed class HostileInputPropertyTests
{
    private static (string Type, string Include, (string Name, string Value)[] Metadata)[] BaselineItems => HostileValues.BaselineItems;

    private sealed record Target(string Name, string? ItemType, string? Field)
    {
        public override string ToString() => ItemType is null ? Name : $"{ItemType} {Field}";
    }

    private static ProjectInputs Build(Target target, string value)
    {
        if (target.ItemType is null) return HostileValues.Baseline().Set(target.Name, value);
        var input = HostileValues.BaselineProperties();
        var planted = false;
        foreach (var (type, include, metadata) in BaselineItems)
        {
            if (type != target.ItemType) { input.Add(type, include, metadata); continue; }
            planted = true;
            input.Add(type, target.Field == "Include" ? value : include,
                metadata.Select(m => m.Name == target.Field ? (m.Name, value) : m).ToArray());
        }
        // An item type the baseline does not use gets one item of its own.
        if (!planted) input.Add(target.ItemType, value);
        return input;
    }

    private static IEnumerable<Target> Targets()
    {
        foreach (var property in HostileValues.SdkProperties()) yield return new Target(property, null, null);
        foreach (var type in HostileValues.SdkItemTypes())
        {
            var baseline = BaselineItems.FirstOrDefault(i => i.Type == type);
            yield return new Target(type, type, "Include");
            if (baseline.Metadata is not null)
                foreach (var (name, _) in baseline.Metadata) yield return new Target(type, type, name);
        }
    }

    private static string BaselineValue(Target target)
    {
        if (target.ItemType is null) return HostileValues.Baseline().Get(target.Name) ?? "x";
        var item = BaselineItems.FirstOrDefault(i => i.Type == target.ItemType);
        if (item.Metadata is null) return "x";
        return target.Field == "Include" ? item.Include : item.Metadata.First(m => m.Name == target.Field).Value;
    }

    [TestMethod]
    public void Every_hostile_value_in_every_input_is_refused_by_name_or_reaches_every_file_intact()
    {
        var baselineSpec = Inputs.Spec(HostileValues.Baseline());
        var baselineKeywords = Keywords(baselineSpec);
        var baselineRunScript = HostileValues.DeployFiles(baselineSpec)[DockerRunGenerator.FileName];

        var targets = Targets().ToList();
        Assert.IsTrue(targets.Count > 90, $"the SDK's inputs were not found: {targets.Count} targets");
        var failures = new List<string>();
        int refused = 0, accepted = 0;
        foreach (var target in targets)
        {
        // A different but harmless value may change the Dockerfile's shape by design (an AiBaseImage of the
        // user's adds USER root, an AiHealthCheckCommand drops the built-in probe): compare with that shape.
        var reference = AiImageSpecMapper.Map(Build(target, BaselineValue(target) + "z")).Spec is { } referenceSpec ? Keywords(referenceSpec) : baselineKeywords;
        foreach (var payload in HostileValues.All)
        // Inside the value always; as its very end too where trimming or a trailing '\' makes that differ.
        foreach (var suffix in ProjectInputs.FindControlCharacter(payload) is not null || payload.EndsWith('\\') ? new[] { "", "z" } : new[] { "z" })
        {
            var value = BaselineValue(target) + payload + suffix;
            var what = $"{target} = {ProjectInputs.Visible(value)}";
            try
            {
                var result = AiImageSpecMapper.Map(Build(target, value));
                foreach (var d in result.Diagnostics.Where(d => ProjectInputs.FindControlCharacter(d.Message) is not null))
                    failures.Add($"{what}: a message spans lines: {ProjectInputs.Visible(d.Message)}");
                // Description folds its whitespace (line breaks, tabs) into spaces by design; the rest must be refused.
                var read = target.Name == "Description" ? string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : value.Trim();
                var keepsControl = ProjectInputs.FindControlCharacter(read) is not null;
                if (result.Spec is not { } spec)
                {
                    refused++;
                    var errors = result.Diagnostics.Where(d => d.IsError).ToList();
                    var named = errors.FirstOrDefault(d => string.Equals(d.Property, target.Name, StringComparison.OrdinalIgnoreCase));
                    if (named is null) failures.Add($"{what}: refused without naming {target.Name}: {string.Join(" | ", errors)}");
                    else if (keepsControl && named.Code is not ("AIC1600" or "AIC1601")) failures.Add($"{what}: a control character refused as {named.Code}, not AIC1600/AIC1601");
                    continue;
                }
                accepted++;
                if (keepsControl) { failures.Add($"{what}: a control character was accepted"); continue; }
                CheckFiles(what, spec, reference, baselineRunScript, failures);
            }
            catch (Exception e) when (e is not AssertFailedException)
            {
                failures.Add($"{what}: {e.GetType().Name}: {ProjectInputs.Visible(e.Message)}");
            }
        }
        }
        Assert.AreEqual(0, failures.Count, $"{failures.Count} failures ({refused} refused, {accepted} accepted):\n" + string.Join("\n", failures.Take(40)));
        Assert.IsTrue(refused > 0 && accepted > 0, $"{refused} refused, {accepted} accepted: both outcomes must occur");
    }

    private static List<string> Keywords(AiImageSpec spec)
        => HostileValues.Instructions(HostileValues.Dockerfile(spec).Text).Select(i => i.Keyword).ToList();

    private static void CheckFiles(string what, AiImageSpec spec, List<string> baselineKeywords, string baselineRunScript, List<string> failures)
    {
        var dockerfile = HostileValues.Dockerfile(spec).Text;
        var keywords = HostileValues.Instructions(dockerfile).Select(i => i.Keyword).ToList();
        if (!keywords.SequenceEqual(baselineKeywords))
        {
            failures.Add($"{what}: the Dockerfile's instructions changed: {string.Join(" ", keywords)}");
            return;
        }

        // The image: ENV and LABEL read back as the parser unquotes them are the spec's values.
        var env = HostileValues.ImageEnvironmentOf(dockerfile);
        foreach (var e in ImageEnvironment.For(spec))
            if (!env.TryGetValue(e.Name, out var v) || v != e.Value) failures.Add($"{what}: ENV {e.Name} reads '{v}' in the image, not '{e.Value}'");
        var labels = HostileValues.ImageLabelsOf(dockerfile);
        foreach (var l in ImageLabels.For(spec))
            if (!labels.TryGetValue(l.Name, out var v) || v != l.Value) failures.Add($"{what}: LABEL {l.Name} reads '{v}' in the image, not '{l.Value}'");

        var files = HostileValues.DeployFiles(spec);
        var name = DeployValues.AppName(spec);
        var image = DeployValues.ImageReference(spec);

        // compose.yaml parses, and gives the container the same image and environment.
        var compose = HostileValues.Yaml(files[ComposeGenerator.FileName]);
        var service = HostileValues.At(compose, "services", name);
        if (HostileValues.ComposeValue(HostileValues.At(service, "image")) != image) failures.Add($"{what}: compose image differs");
        foreach (var e in spec.Environment)
            if (HostileValues.ComposeValue(HostileValues.At(service, "environment", e.Name)) != e.Value) failures.Add($"{what}: compose {e.Name} differs");

        // The Kubernetes manifests parse strictly into Kubernetes' own types, with the same values.
        var deployment = KubernetesYaml.Deserialize<V1Deployment>(files["k8s/deployment.yaml"], strict: true);
        var container = deployment.Spec.Template.Spec.Containers.Single();
        if (container.Image != image) failures.Add($"{what}: k8s image differs");
        foreach (var e in spec.Environment)
        {
            // The kubelet reads $$ as one '$' in env values, as compose does.
            var k = container.Env?.SingleOrDefault(x => x.Name == e.Name)?.Value?.Replace("$$", "$");
            if (k != e.Value) failures.Add($"{what}: k8s env {e.Name} is '{k}', not '{e.Value}'");
        }
        if (files.TryGetValue("k8s/service.yaml", out var serviceYaml)) KubernetesYaml.Deserialize<V1Service>(serviceYaml, strict: true);

        // docker-run.sh, run by bash against a docker that reports its arguments (only when it changed: bash is the slow part).
        var script = files[DockerRunGenerator.FileName];
        if (script == baselineRunScript) return;
        var args = HostileValues.DockerRunArguments(script);
        if (args.Count < 2 || args[0] != "run" || args[^1] != image) failures.Add($"{what}: docker-run.sh passes {string.Join(" ", args)}");
        foreach (var e in spec.Environment)
            if (!args.Contains(e.Name + "=" + e.Value)) failures.Add($"{what}: docker-run.sh has no -e '{e.Name}={e.Value}'");
    }
}
