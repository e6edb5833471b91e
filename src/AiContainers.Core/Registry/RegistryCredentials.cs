using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AiContainers.Core.Diagnostics;

namespace AiContainers.Core.Registry;

/// <summary>A registry login. <see cref="ToString"/> never shows the secret.</summary>
public sealed record RegistryCredential(string Username, string Secret, string Source, bool IsIdentityToken = false)
{
    public override string ToString() => $"{Username} (from {Source})";
}

public enum CredentialPurpose { Push, Pull }

/// <summary>What a credential lookup found, and every source it looked at, in order (for AIC4100).</summary>
public sealed record CredentialLookup(RegistryCredential? Credential, IReadOnlyList<string> SourcesLookedAt);

/// <summary>
/// Finds registry credentials. Order: our own AICONTAINERS_{PUSH|PULL}_REGISTRY_USER/PASSWORD (then the
/// unprefixed AICONTAINERS_REGISTRY_USER/PASSWORD), then the .NET SDK's DOTNET_CONTAINER_{PUSH|PULL}_REGISTRY_UNAME/PWORD
/// (then DOTNET_CONTAINER_REGISTRY_UNAME/PWORD), then <c>$DOCKER_CONFIG/config.json</c>: <c>credHelpers</c> for
/// the host, <c>auths</c>, then <c>credsStore</c>, asking <c>docker-credential-&lt;helper&gt; get</c>.
/// Why our variables come first and exist at all: MSBuild's binary logger (and -v:diag) records every
/// environment variable named DOTNET_*, MSBUILD* or COMPLUS_* verbatim, so a DOTNET_CONTAINER_*_PWORD is in
/// every binlog; AICONTAINERS_* variables, config.json and helpers are read here, in task code, and never
/// reach a log. Secrets are only returned, never logged or written; messages name the source, never the secret.
/// </summary>
public sealed class RegistryCredentialStore
{
    /// <summary>The .NET SDK's password variables, which MSBuild records in binlogs because of their DOTNET_ prefix.</summary>
    public static readonly IReadOnlyList<string> SdkPasswordVariables = new[]
    {
        "DOTNET_CONTAINER_PUSH_REGISTRY_PWORD", "DOTNET_CONTAINER_PULL_REGISTRY_PWORD", "DOTNET_CONTAINER_REGISTRY_PWORD",
    };

    private readonly Func<string, string?> _environment;
    private readonly string _configPath;
    private JsonDocument? _config;
    private bool _configLoaded;

    public RegistryCredentialStore(Func<string, string?>? environment = null)
    {
        _environment = environment ?? Environment.GetEnvironmentVariable;
        var dir = _environment("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(dir))
            dir = Path.Combine(_environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        _configPath = Path.Combine(dir, "config.json");
    }

    public string ConfigPath => _configPath;

    /// <summary>Docker Hub's credentials live under its legacy index URL in config.json.</summary>
    public static IEnumerable<string> ConfigKeys(string registry)
    {
        if (registry is "docker.io" or "index.docker.io" or "registry-1.docker.io")
        {
            yield return "https://index.docker.io/v1/";
            yield return "index.docker.io";
            yield return "docker.io";
            yield break;
        }
        yield return registry;
        yield return "https://" + registry;
        yield return "http://" + registry;
        yield return "https://" + registry + "/v1/";
        yield return "https://" + registry + "/v2/";
    }

    /// <summary>The environment variable pairs looked at, in order, for a purpose: ours first, then the SDK's.</summary>
    public static IReadOnlyList<(string User, string Password)> VariablePairs(CredentialPurpose purpose)
    {
        var which = purpose == CredentialPurpose.Push ? "PUSH" : "PULL";
        return new[]
        {
            ($"AICONTAINERS_{which}_REGISTRY_USER", $"AICONTAINERS_{which}_REGISTRY_PASSWORD"),
            ("AICONTAINERS_REGISTRY_USER", "AICONTAINERS_REGISTRY_PASSWORD"),
            ($"DOTNET_CONTAINER_{which}_REGISTRY_UNAME", $"DOTNET_CONTAINER_{which}_REGISTRY_PWORD"),
            ("DOTNET_CONTAINER_REGISTRY_UNAME", "DOTNET_CONTAINER_REGISTRY_PWORD"),
        };
    }

    /// <summary>
    /// The SDK password variables that are set, whose values MSBuild has therefore already written into any
    /// binary log of this build. Names only. The build task warns once (AIC4550) when this is not empty.
    /// </summary>
    public IReadOnlyList<string> LoggedSecretVariables()
        => SdkPasswordVariables.Where(name => !string.IsNullOrEmpty(_environment(name))).ToList();

    /// <summary>The AIC4550 warning naming every set DOTNET_CONTAINER_*_PWORD variable, or null when none is set.</summary>
    public AiDiagnostic? LoggedSecretsWarning()
    {
        var names = LoggedSecretVariables();
        return names.Count == 0 ? null : AiErrors.LoggedRegistrySecret.Create(null, string.Join(", ", names));
    }

    public RegistryCredential? Find(string registry, CredentialPurpose purpose) => Lookup(registry, purpose).Credential;

    /// <summary>Like <see cref="Find"/>, and also says which sources were looked at (for a "none found" message).</summary>
    public CredentialLookup Lookup(string registry, CredentialPurpose purpose)
    {
        var looked = new List<string>();
        foreach (var (userVariable, passwordVariable) in VariablePairs(purpose))
        {
            var user = _environment(userVariable);
            var password = _environment(passwordVariable);
            var pair = $"{userVariable}/{Suffix(passwordVariable)}";
            if (!string.IsNullOrEmpty(user) && !string.IsNullOrEmpty(password))
                return new CredentialLookup(new RegistryCredential(user, password, pair), looked);
            looked.Add(pair + (string.IsNullOrEmpty(user) && string.IsNullOrEmpty(password) ? " (not set)"
                : string.IsNullOrEmpty(user) ? $" ({passwordVariable} set, {userVariable} not)" : $" ({userVariable} set, {passwordVariable} not)"));
        }

        var config = LoadConfig();
        if (config is null)
        {
            looked.Add($"{_configPath} (no such file)");
            return new CredentialLookup(null, looked);
        }
        var root = config.RootElement;

        if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
        {
            foreach (var key in ConfigKeys(registry))
            {
                if (helpers.TryGetProperty(key, out var helper) && helper.GetString() is { Length: > 0 } name)
                {
                    if (FromHelper(name, key, "credHelpers") is { } fromHelper) return new CredentialLookup(fromHelper, looked);
                    looked.Add($"credHelpers in {_configPath}: docker-credential-{name} (no credentials for {key})");
                    return new CredentialLookup(null, looked);
                }
            }
        }
        looked.Add($"credHelpers in {_configPath} (no entry for {registry})");

        if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
        {
            foreach (var key in ConfigKeys(registry))
            {
                if (!auths.TryGetProperty(key, out var entry) || entry.ValueKind != JsonValueKind.Object) continue;
                if (entry.TryGetProperty("identitytoken", out var token) && token.GetString() is { Length: > 0 } t)
                    return new CredentialLookup(new RegistryCredential("<token>", t, $"auths.{key} in {_configPath}", IsIdentityToken: true), looked);
                if (entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
                {
                    string decoded;
                    try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
                    catch (FormatException) { throw new AiException(AiErrors.DockerConfigInvalid, null, _configPath, $"auths.{key}.auth is not base64"); }
                    var colon = decoded.IndexOf(':');
                    if (colon <= 0) throw new AiException(AiErrors.DockerConfigInvalid, null, _configPath, $"auths.{key}.auth is not user:password");
                    return new CredentialLookup(new RegistryCredential(decoded[..colon], decoded[(colon + 1)..], $"auths.{key} in {_configPath}"), looked);
                }
                if (entry.TryGetProperty("username", out var u) && entry.TryGetProperty("password", out var pw) && u.GetString() is { Length: > 0 } un)
                    return new CredentialLookup(new RegistryCredential(un, pw.GetString() ?? "", $"auths.{key} in {_configPath}"), looked);
            }
        }
        looked.Add($"auths in {_configPath} (no entry for {registry})");

        if (root.TryGetProperty("credsStore", out var store) && store.GetString() is { Length: > 0 } storeName)
        {
            var key = ConfigKeys(registry).First();
            if (FromHelper(storeName, key, "credsStore", optional: true) is { } fromStore) return new CredentialLookup(fromStore, looked);
            looked.Add($"credsStore in {_configPath}: docker-credential-{storeName} (no credentials for {key})");
        }
        else looked.Add($"credsStore in {_configPath} (not set)");
        return new CredentialLookup(null, looked);
    }

    /// <summary>
    /// The error for a registry's "unauthorized": AIC4100 when nothing was sent (naming every source looked at,
    /// in order), AIC4001 when the registry refused what was sent (naming where it came from, never the secret).
    /// </summary>
    public AiException Unauthorized(string registry, string reference, CredentialPurpose purpose, RegistryCredential? sent)
    {
        var which = purpose == CredentialPurpose.Push ? "PUSH" : "PULL";
        if (sent is null)
        {
            var looked = Lookup(registry, purpose).SourcesLookedAt;
            return new AiException(AiErrors.NoRegistryCredentials, "ContainerRegistry", registry, reference, string.Join("; ", looked), which);
        }
        return new AiException(AiErrors.RegistryUnauthorized, "ContainerRegistry", registry, reference, $"{sent.Source} (user {sent.Username})", which);
    }

    private static string Suffix(string variable) => variable[(variable.LastIndexOf('_') + 1)..];

    private JsonDocument? LoadConfig()
    {
        if (_configLoaded) return _config;
        _configLoaded = true;
        if (!File.Exists(_configPath)) return null;
        try { _config = JsonDocument.Parse(File.ReadAllText(_configPath)); }
        catch (JsonException e) { throw new AiException(AiErrors.DockerConfigInvalid, null, _configPath, e.Message); }
        return _config;
    }

    /// <summary>Runs docker-credential-&lt;name&gt; get with the server URL on stdin (the helper protocol).</summary>
    private RegistryCredential? FromHelper(string name, string serverUrl, string configEntry, bool optional = false)
    {
        var program = "docker-credential-" + name;
        var start = new ProcessStartInfo(program)
        {
            ArgumentList = { "get" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try { process = Process.Start(start) ?? throw new InvalidOperationException("not started"); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            if (optional) return null;
            throw new AiException(AiErrors.CredentialHelperFailed, null, name, serverUrl, "it is not on PATH", _configPath);
        }
        using (process)
        {
            process.StandardInput.Write(serverUrl);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEnd();
            var stderr = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(30_000)) { process.Kill(); throw new AiException(AiErrors.CredentialHelperFailed, null, name, serverUrl, "it did not answer within 30 s", _configPath); }
            if (process.ExitCode != 0)
            {
                // The helper protocol says "credentials not found in native keychain" for unknown servers.
                if (stdout.Contains("credentials not found", StringComparison.OrdinalIgnoreCase) || stderr.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
                throw new AiException(AiErrors.CredentialHelperFailed, null, name, serverUrl, $"exit code {process.ExitCode}", _configPath);
            }
            try
            {
                using var json = JsonDocument.Parse(stdout);
                var user = json.RootElement.GetProperty("Username").GetString() ?? "";
                var secret = json.RootElement.GetProperty("Secret").GetString() ?? "";
                // "<token>" as the user name marks an identity token in the helper protocol.
                return new RegistryCredential(user, secret, $"{program} ({configEntry} in {_configPath})", IsIdentityToken: user == "<token>");
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new AiException(AiErrors.CredentialHelperFailed, null, name, serverUrl, "its answer is not {\"Username\",\"Secret\"} JSON", _configPath);
            }
        }
    }
}
