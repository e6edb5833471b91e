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

/// <summary>
/// Finds registry credentials the way the docker CLI and the .NET SDK's container support do:
/// first DOTNET_CONTAINER_{PUSH|PULL}_REGISTRY_UNAME/PWORD (then the unprefixed pair), then
/// <c>$DOCKER_CONFIG/config.json</c>: <c>credHelpers</c> for the host, <c>auths</c>, then
/// <c>credsStore</c>, asking <c>docker-credential-&lt;helper&gt; get</c>. Secrets are only returned,
/// never logged or written.
/// </summary>
public sealed class RegistryCredentialStore
{
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

    public RegistryCredential? Find(string registry, CredentialPurpose purpose)
    {
        var prefix = purpose == CredentialPurpose.Push ? "DOTNET_CONTAINER_PUSH_REGISTRY_" : "DOTNET_CONTAINER_PULL_REGISTRY_";
        foreach (var p in new[] { prefix, "DOTNET_CONTAINER_REGISTRY_" })
        {
            var user = _environment(p + "UNAME");
            var password = _environment(p + "PWORD");
            if (!string.IsNullOrEmpty(user) && !string.IsNullOrEmpty(password))
                return new RegistryCredential(user, password, p + "UNAME/PWORD");
        }

        var config = LoadConfig();
        if (config is null) return null;
        var root = config.RootElement;

        if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
        {
            foreach (var key in ConfigKeys(registry))
            {
                if (helpers.TryGetProperty(key, out var helper) && helper.GetString() is { Length: > 0 } name)
                    return FromHelper(name, key);
            }
        }

        if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
        {
            foreach (var key in ConfigKeys(registry))
            {
                if (!auths.TryGetProperty(key, out var entry) || entry.ValueKind != JsonValueKind.Object) continue;
                if (entry.TryGetProperty("identitytoken", out var token) && token.GetString() is { Length: > 0 } t)
                    return new RegistryCredential("<token>", t, _configPath, IsIdentityToken: true);
                if (entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
                {
                    string decoded;
                    try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
                    catch (FormatException) { throw new AiException(AiErrors.DockerConfigInvalid, null, _configPath, $"auths.{key}.auth is not base64"); }
                    var colon = decoded.IndexOf(':');
                    if (colon <= 0) throw new AiException(AiErrors.DockerConfigInvalid, null, _configPath, $"auths.{key}.auth is not user:password");
                    return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..], _configPath);
                }
                if (entry.TryGetProperty("username", out var u) && entry.TryGetProperty("password", out var pw) && u.GetString() is { Length: > 0 } un)
                    return new RegistryCredential(un, pw.GetString() ?? "", _configPath);
            }
        }

        if (root.TryGetProperty("credsStore", out var store) && store.GetString() is { Length: > 0 } storeName)
            return FromHelper(storeName, ConfigKeys(registry).First(), optional: true);
        return null;
    }

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
    private RegistryCredential? FromHelper(string name, string serverUrl, bool optional = false)
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
                return new RegistryCredential(user, secret, program, IsIdentityToken: user == "<token>");
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new AiException(AiErrors.CredentialHelperFailed, null, name, serverUrl, "its answer is not {\"Username\",\"Secret\"} JSON", _configPath);
            }
        }
    }
}
