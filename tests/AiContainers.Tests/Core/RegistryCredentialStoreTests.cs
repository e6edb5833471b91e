using System.Text;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Registry;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Core;

/// <summary>
/// The lookup order (our never-logged AICONTAINERS_* variables first), the AIC4550 binlog warning for the
/// SDK's DOTNET_CONTAINER_*_PWORD variables, and AIC4100 vs AIC4001: "none found, looked at ..." versus
/// "refused the ones from ...", with the secret in neither.
/// </summary>
[TestClass]
public sealed class RegistryCredentialStoreTests
{
    private const string Registry = "registry.example.com";

    private static RegistryCredentialStore Store(Dictionary<string, string> variables, string? config = null)
    {
        var dockerConfig = TestPaths.NewTempDirectory("docker-config");
        if (config is not null) File.WriteAllText(Path.Combine(dockerConfig, "config.json"), config);
        variables["DOCKER_CONFIG"] = dockerConfig;
        return new RegistryCredentialStore(name => variables.TryGetValue(name, out var value) ? value : null);
    }

    private static string Auth(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    [TestMethod]
    public void Our_push_variables_come_first_then_ours_unprefixed_then_the_sdks_then_config_json()
    {
        var all = new Dictionary<string, string>
        {
            ["AICONTAINERS_PUSH_REGISTRY_USER"] = "ours-push", ["AICONTAINERS_PUSH_REGISTRY_PASSWORD"] = "p1",
            ["AICONTAINERS_REGISTRY_USER"] = "ours", ["AICONTAINERS_REGISTRY_PASSWORD"] = "p2",
            ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = "sdk-push", ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = "p3",
        };
        var config = $$"""{ "auths": { "{{Registry}}": { "auth": "{{Auth("config", "p4")}}" } } }""";
        var expected = new[]
        {
            ("ours-push", "AICONTAINERS_PUSH_REGISTRY_USER", "AICONTAINERS_PUSH_REGISTRY_PASSWORD"),
            ("ours", "AICONTAINERS_REGISTRY_USER", "AICONTAINERS_REGISTRY_PASSWORD"),
            ("sdk-push", "DOTNET_CONTAINER_PUSH_REGISTRY_UNAME", "DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"),
        };
        foreach (var (user, userVariable, passwordVariable) in expected)
        {
            var found = Store(new Dictionary<string, string>(all), config).Find(Registry, CredentialPurpose.Push)!;
            Assert.AreEqual(user, found.Username);
            Assert.AreEqual(userVariable + "/" + passwordVariable.Split('_')[^1], found.Source);
            // Drop the pair just found: the next one in the order must be used.
            all.Remove(userVariable);
            all.Remove(passwordVariable);
        }
        var fromConfig = Store(all, config).Find(Registry, CredentialPurpose.Push)!;
        Assert.AreEqual("config", fromConfig.Username);
        Assert.AreEqual("p4", fromConfig.Secret);
        StringAssert.StartsWith(fromConfig.Source, $"auths.{Registry} in ");
    }

    [TestMethod]
    public void Pull_uses_the_pull_variables_not_the_push_ones()
    {
        var store = Store(new() { ["AICONTAINERS_PUSH_REGISTRY_USER"] = "push", ["AICONTAINERS_PUSH_REGISTRY_PASSWORD"] = "x", ["AICONTAINERS_PULL_REGISTRY_USER"] = "pull", ["AICONTAINERS_PULL_REGISTRY_PASSWORD"] = "y" });
        Assert.AreEqual("pull", store.Find(Registry, CredentialPurpose.Pull)!.Username);
        Assert.AreEqual("push", store.Find(Registry, CredentialPurpose.Push)!.Username);
    }

    [TestMethod]
    public void Sdk_password_variables_are_named_in_one_binlog_warning_and_ours_are_not()
    {
        Assert.IsNull(Store(new() { ["AICONTAINERS_PUSH_REGISTRY_PASSWORD"] = "secret-1" }).LoggedSecretsWarning());
        var store = Store(new() { ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = "secret-2", ["DOTNET_CONTAINER_REGISTRY_PWORD"] = "secret-3" });
        CollectionAssert.AreEqual(new[] { "DOTNET_CONTAINER_PUSH_REGISTRY_PWORD", "DOTNET_CONTAINER_REGISTRY_PWORD" }, store.LoggedSecretVariables().ToList());
        var warning = store.LoggedSecretsWarning()!;
        Assert.AreEqual("AIC4550", warning.Code);
        Assert.AreEqual(AiSeverity.Warning, warning.Severity);
        StringAssert.StartsWith(warning.Message, "AIC4550: DOTNET_CONTAINER_PUSH_REGISTRY_PWORD, DOTNET_CONTAINER_REGISTRY_PWORD is set");
        StringAssert.Contains(warning.Message, "binary logs");
        StringAssert.Contains(warning.Message, "AICONTAINERS_PUSH_REGISTRY_USER/PASSWORD");
        Assert.IsFalse(warning.Message.Contains("secret-"), "names only, never values");
    }

    [TestMethod]
    public void Nothing_found_says_which_sources_were_looked_at_in_order()
    {
        var store = Store(new() { ["AICONTAINERS_PUSH_REGISTRY_USER"] = "half" }, """{ "auths": { "other.example.com": { "auth": "eDp5" } } }""");
        var error = store.Unauthorized(Registry, $"{Registry}/acme/app:1", CredentialPurpose.Push, sent: null);
        Assert.AreEqual("AIC4100", error.Code);
        var message = error.Message;
        StringAssert.Contains(message, $"Registry {Registry} requires a login for {Registry}/acme/app:1, and no credentials for it were found");
        var order = new[]
        {
            "AICONTAINERS_PUSH_REGISTRY_USER/PASSWORD (AICONTAINERS_PUSH_REGISTRY_USER set, AICONTAINERS_PUSH_REGISTRY_PASSWORD not)",
            "AICONTAINERS_REGISTRY_USER/PASSWORD (not set)",
            "DOTNET_CONTAINER_PUSH_REGISTRY_UNAME/PWORD (not set)",
            "DOTNET_CONTAINER_REGISTRY_UNAME/PWORD (not set)",
            $"credHelpers in {store.ConfigPath} (no entry for {Registry})",
            $"auths in {store.ConfigPath} (no entry for {Registry})",
            $"credsStore in {store.ConfigPath} (not set)",
        };
        var positions = order.Select(s => message.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.IsTrue(positions.All(p => p >= 0), message);
        CollectionAssert.AreEqual(positions.OrderBy(p => p).ToList(), positions, "in lookup order: " + message);
        StringAssert.Contains(message, "Set AICONTAINERS_PUSH_REGISTRY_USER and AICONTAINERS_PUSH_REGISTRY_PASSWORD");
    }

    [TestMethod]
    public void Refused_credentials_name_their_source_and_never_the_secret()
    {
        var store = Store(new() { ["AICONTAINERS_PUSH_REGISTRY_USER"] = "ci-bot", ["AICONTAINERS_PUSH_REGISTRY_PASSWORD"] = "s3cret-value" });
        var sent = store.Find(Registry, CredentialPurpose.Push);
        var error = store.Unauthorized(Registry, $"{Registry}/acme/app:1", CredentialPurpose.Push, sent);
        Assert.AreEqual("AIC4001", error.Code);
        StringAssert.Contains(error.Message, $"Registry {Registry} refused the credentials for {Registry}/acme/app:1 (unauthorized); they came from AICONTAINERS_PUSH_REGISTRY_USER/PASSWORD (user ci-bot)");
        Assert.IsFalse(error.Message.Contains("s3cret-value"));
    }

    [TestMethod]
    public void A_missing_config_file_is_named_as_looked_at()
    {
        var store = Store(new());
        var lookup = store.Lookup(Registry, CredentialPurpose.Pull);
        Assert.IsNull(lookup.Credential);
        Assert.AreEqual($"{store.ConfigPath} (no such file)", lookup.SourcesLookedAt[^1]);
        Assert.AreEqual("AICONTAINERS_PULL_REGISTRY_USER/PASSWORD (not set)", lookup.SourcesLookedAt[0]);
    }
}
