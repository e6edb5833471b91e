using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Net;
using AiContainers.Core.Oci.Registry;
using AiContainers.Core.Registry;
using AiContainers.Tests.Infrastructure;

namespace AiContainers.Tests.Oci;

/// <summary>
/// The OCI distribution client against real registries: the open one (127.0.0.1:5000, read back with
/// skopeo and docker), the htpasswd one (127.0.0.1:5001, Basic auth), a token-auth docker-registry
/// started here (Bearer tokens from a test token service), and the fault proxy in front of the open
/// one for retries and coded failures.
/// </summary>
[TestClass]
public sealed class RegistryClientTests
{
    private static TokenAuthRegistry? _tokenRegistry;
    private const string TokenUser = "alice";
    private const string TokenPassword = "alice-secret-7f3a";
    private const string ReadOnlyUser = "reader";
    private const string ReadOnlyPassword = "reader-secret-91c2";

    [ClassCleanup]
    public static void Cleanup() => _tokenRegistry?.Dispose();

    private static TokenAuthRegistry TokenRegistry()
    {
        if (_tokenRegistry is not null) return _tokenRegistry;
        _tokenRegistry = new TokenAuthRegistry();
        _tokenRegistry.AddUser(TokenUser, TokenPassword, ("*", "pull,push"));
        _tokenRegistry.AddUser(ReadOnlyUser, ReadOnlyPassword, ("*", "pull"));
        _tokenRegistry.AddRefreshToken("refresh-token-for-alice", TokenUser);
        return _tokenRegistry;
    }

    // ------------------------------------------------------------------ pure

    [TestMethod]
    public void Platform_parses_normalises_and_maps_runtime_identifiers()
    {
        Assert.AreEqual(new Platform("linux", "arm64", "v8"), Platform.Parse("linux/arm64"));
        Assert.AreEqual(new Platform("linux", "arm64", "v8"), Platform.Parse("Linux/AArch64/v8"));
        Assert.AreEqual(new Platform("linux", "amd64"), Platform.Parse("linux/x86_64"));
        Assert.AreEqual("linux/amd64", Platform.FromRuntimeIdentifier("linux-x64").ToString());
        Assert.AreEqual("linux/arm64/v8", Platform.FromRuntimeIdentifier("linux-musl-arm64").ToString());
        Assert.IsTrue(Platform.Parse("linux/arm64/v8").Accepts(new Platform("linux", "arm64")), "arm64's implicit variant is v8");
        Assert.IsFalse(Platform.Parse("linux/arm/v7").Accepts(new Platform("linux", "arm", "v6")));
        Assert.IsTrue(Platform.Parse("linux/arm").Accepts(new Platform("linux", "arm", "v6")), "no wanted variant accepts any");
        Assert.AreEqual("AIC4212", Assert.ThrowsExactly<AiException>(() => Platform.Parse("linux", "ContainerPlatform")).Code);
        Assert.AreEqual("AIC2006", Assert.ThrowsExactly<AiException>(() => Platform.FromRuntimeIdentifier("win-x64")).Code);
    }

    [TestMethod]
    public void Endpoint_uses_plain_http_only_for_loopback_and_listed_insecure_registries()
    {
        var env = new Dictionary<string, string?> { [RegistryEndpoint.InsecureRegistriesVariable] = "registry.lan:5000, http://other.lan;" };
        string? Env(string name) => env.GetValueOrDefault(name);
        Assert.AreEqual("http://127.0.0.1:5000/", RegistryEndpoint.For("127.0.0.1:5000", Env).BaseUri.ToString());
        Assert.AreEqual("http://localhost:5000/", RegistryEndpoint.For("localhost:5000", Env).BaseUri.ToString());
        Assert.IsTrue(RegistryEndpoint.IsLoopback("[::1]:5000"));
        Assert.IsTrue(RegistryEndpoint.IsLoopback("127.8.9.10"));
        var listed = RegistryEndpoint.For("registry.lan:5000", Env);
        Assert.IsTrue(listed.PlainHttp && listed.Insecure);
        Assert.IsTrue(RegistryEndpoint.For("other.lan", Env).PlainHttp);
        Assert.AreEqual("https://ghcr.io/", RegistryEndpoint.For("ghcr.io", Env).BaseUri.ToString());
        Assert.AreEqual("https://registry.lan:5001/", RegistryEndpoint.For("registry.lan:5001", Env).BaseUri.ToString());
        Assert.AreEqual("https://registry-1.docker.io/", RegistryEndpoint.For("docker.io", Env).BaseUri.ToString());
        Assert.AreEqual("library/ubuntu", RegistryEndpoint.ApiRepository("docker.io", "ubuntu"));
        Assert.AreEqual("acme/app", RegistryEndpoint.ApiRepository("docker.io", "acme/app"));
        Assert.AreEqual("ubuntu", RegistryEndpoint.ApiRepository("ghcr.io", "ubuntu"));

        var log = new RecordingLog();
        using (new RegistryClient(listed, Store(), log)) { }
        Assert.AreEqual("AIC4560", log.Diagnostics.Single().Code, "a non-loopback plain-HTTP registry is warned about");
    }

    [TestMethod]
    public void Challenge_parameters_keep_commas_inside_quotes()
    {
        var p = RegistryChallenge.ParseParameters("realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:a/b:pull,push\",error=\"insufficient_scope\"");
        Assert.AreEqual("https://auth.docker.io/token", p["realm"]);
        Assert.AreEqual("repository:a/b:pull,push", p["scope"]);
        Assert.AreEqual("insufficient_scope", p["error"]);
    }

    // ------------------------------------------------------------------ open registry: interop with skopeo and docker

    [TestMethod]
    public async Task Pushed_image_reads_back_with_skopeo_docker_and_the_client()
    {
        EngineEnvironment.Require();
        var image = TestImage.Create("interop-" + Guid.NewGuid().ToString("N")[..8]);
        var repository = "aic-tests/registry-client";
        var tag = UniqueTag();
        var log = new RecordingLog();
        using var client = new RegistryClient(EngineEnvironment.Registry, Store(), log, RetryPolicy.Fast());
        await client.PingAsync(Ct);

        var progress = new List<long>();
        await client.UploadBlobAsync(repository, image.LayerDigest, image.Layer.Length, () => new MemoryStream(image.Layer), new SyncProgress(progress.Add), Ct);
        Assert.AreEqual(image.Layer.Length, progress.Last(), "progress ends at the blob size");
        await image.PushAsync(client, repository, tag, skipLayer: true);
        // Uploading again finds the blob (HEAD) and moves no bytes.
        await client.UploadBlobAsync(repository, image.LayerDigest, image.Layer.Length, () => throw new AssertFailedException("no stream may be opened for a present blob"), null, Ct);
        StringAssert.Contains(log.Text, "skipped");

        var reference = $"{EngineEnvironment.Registry}/{repository}:{tag}";
        var raw = EngineEnvironment.Skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + reference);
        Assert.AreEqual(0, raw.ExitCode, raw.Output);
        Assert.AreEqual(Encoding.UTF8.GetString(image.Manifest), raw.StandardOutput, "skopeo reads the manifest bytes we pushed");
        var config = EngineEnvironment.Skopeo("inspect", "--config", "--raw", "--tls-verify=false", "docker://" + reference);
        Assert.AreEqual(Encoding.UTF8.GetString(image.Config), config.StandardOutput);

        var pull = EngineEnvironment.Docker("pull", reference);
        Assert.AreEqual(0, pull.ExitCode, pull.Output);
        try
        {
            var label = EngineEnvironment.Docker("image", "inspect", "--format", "{{index .Config.Labels \"org.aic.test\"}}", reference);
            Assert.AreEqual(image.Label, label.StandardOutput.Trim(), label.Output);
        }
        finally { EngineEnvironment.Docker("rmi", reference); }

        var resolved = await client.ResolveAsync(repository, tag, Platform.LinuxAmd64, Ct);
        Assert.AreEqual(image.ManifestDigest, resolved.ManifestDigest);
        CollectionAssert.AreEqual(image.Config, resolved.ConfigBytes);
        Assert.AreEqual(image.LayerDigest, resolved.Layers.Single().Digest);
        Assert.AreEqual(image.Layer.Length, resolved.Layers.Single().Size);
        CollectionAssert.AreEqual(image.Layer, await BlobBytesAsync(client, repository, image.LayerDigest));
    }

    [TestMethod]
    public async Task Resolves_the_stand_in_cuda_base_and_verifies_its_config()
    {
        EngineEnvironment.Require();
        using var client = new RegistryClient(EngineEnvironment.Registry, Store(), new RecordingLog(), RetryPolicy.Fast());
        var image = await client.ResolveAsync("standin/nvidia/cuda", "12.4.1-runtime-ubuntu22.04", Platform.FromRuntimeIdentifier("linux-x64"), Ct);
        Assert.AreEqual(RegistryDigest.Of(image.ConfigBytes), image.ConfigDigest);
        Assert.AreEqual(RegistryDigest.Of(image.Manifest.Bytes), image.ManifestDigest);
        Assert.IsTrue(image.Layers.Count > 0);
        using var config = JsonDocument.Parse(image.ConfigBytes);
        StringAssert.Contains(config.RootElement.GetProperty("config").GetProperty("Env").ToString(), "CUDA_VERSION");

        var byDigest = await client.GetManifestAsync("standin/nvidia/cuda", image.ManifestDigest, Ct);
        CollectionAssert.AreEqual(image.Manifest.Bytes, byDigest.Bytes);
    }

    [TestMethod]
    public async Task Mounts_a_blob_across_repositories_instead_of_uploading()
    {
        EngineEnvironment.Require();
        var image = TestImage.Create("mount");
        var log = new RecordingLog();
        using var client = new RegistryClient(EngineEnvironment.Registry, Store(), log, RetryPolicy.Fast());
        await client.UploadBlobAsync("aic-tests/mount-source", image.LayerDigest, image.Layer.Length, () => new MemoryStream(image.Layer), null, Ct);
        var target = "aic-tests/mount-target-" + Guid.NewGuid().ToString("N")[..8];
        Assert.IsFalse(await client.BlobExistsAsync(target, image.LayerDigest, Ct));
        Assert.IsTrue(await client.TryMountBlobAsync(target, image.LayerDigest, "aic-tests/mount-source", Ct));
        Assert.IsTrue(await client.BlobExistsAsync(target, image.LayerDigest, Ct));
        StringAssert.Contains(log.Text, "mounted " + image.LayerDigest);
        // A source that does not have it: the registry opens an upload instead, which the client closes.
        var missing = RegistryDigest.Of(Encoding.UTF8.GetBytes(Guid.NewGuid().ToString()));
        Assert.IsFalse(await client.TryMountBlobAsync(target, missing, "aic-tests/mount-source", Ct));
    }

    [TestMethod]
    public async Task Chunked_upload_sends_ranged_patches_and_lands()
    {
        EngineEnvironment.Require();
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        using var client = new RegistryClient(proxy.HostPort, Store(), new RecordingLog(), RetryPolicy.Fast()) { UploadChunkSize = 100_000 };
        var image = TestImage.Create("chunked", payloadBytes: 300_000);
        await client.UploadBlobAsync("aic-tests/chunked", image.LayerDigest, image.Layer.Length, () => new MemoryStream(image.Layer), null, Ct);
        Assert.AreEqual((image.Layer.Length + 99_999) / 100_000, proxy.Requests.Count(r => r.StartsWith("PATCH ")));
        CollectionAssert.AreEqual(image.Layer, await BlobBytesAsync(client, "aic-tests/chunked", image.LayerDigest));
    }

    /// <summary>What the registry serves for a blob, read whole through the client (which checks its digest).</summary>
    private static async Task<byte[]> BlobBytesAsync(RegistryClient client, string repository, string digest)
    {
        await using var blob = await client.OpenBlobAsync(repository, digest, Ct);
        var copy = new MemoryStream();
        await blob.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    [TestMethod]
    public async Task A_small_blob_goes_up_in_the_put_that_commits_it_and_a_large_one_in_a_patch()
    {
        EngineEnvironment.Require();
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        using var client = new RegistryClient(proxy.HostPort, Store(), new RecordingLog(), RetryPolicy.Fast());
        var repository = "aic-tests/monolithic-" + Guid.NewGuid().ToString("N")[..8];
        var small = Encoding.UTF8.GetBytes(new string('s', (int)RegistryClient.MonolithicUploadLimit));
        var large = Encoding.UTF8.GetBytes(new string('l', (int)RegistryClient.MonolithicUploadLimit + 1));
        foreach (var (bytes, expected) in new[] { (small, new[] { "HEAD", "POST", "PUT" }), (large, new[] { "HEAD", "POST", "PATCH", "PUT" }) })
        {
            lock (proxy.Requests) proxy.Requests.Clear();
            var digest = RegistryDigest.Of(bytes);
            await client.UploadBlobAsync(repository, digest, bytes.Length, () => new MemoryStream(bytes), null, Ct);
            CollectionAssert.AreEqual(expected, proxy.Requests.Select(r => r.Split(' ')[0]).ToArray(), $"{bytes.Length} bytes:\n{string.Join("\n", proxy.Requests)}");
            CollectionAssert.AreEqual(bytes, await BlobBytesAsync(client, repository, digest), "the registry holds the bytes under their digest");
        }
    }

    [TestMethod]
    public async Task Index_resolves_to_the_wanted_platform_and_lists_platforms_when_missing()
    {
        EngineEnvironment.Require();
        using var client = new RegistryClient(EngineEnvironment.Registry, Store(), new RecordingLog(), RetryPolicy.Fast());
        var repository = "aic-tests/multi-platform";
        var amd = TestImage.Create("amd", "amd64");
        var arm = TestImage.Create("arm", "arm64", "v8");
        await amd.PushAsync(client, repository, amd.ManifestDigest);
        await arm.PushAsync(client, repository, arm.ManifestDigest);
        var index = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = RegistryMediaTypes.OciIndex,
            manifests = new object[]
            {
                new { mediaType = RegistryMediaTypes.DockerManifest, digest = amd.ManifestDigest, size = amd.Manifest.Length, platform = new { os = "linux", architecture = "amd64" } },
                new { mediaType = RegistryMediaTypes.DockerManifest, digest = arm.ManifestDigest, size = arm.Manifest.Length, platform = new { os = "linux", architecture = "arm64", variant = "v8" } },
            },
        });
        var tag = UniqueTag();
        var indexDigest = await client.PutManifestAsync(repository, tag, index, RegistryMediaTypes.OciIndex, Ct);

        var resolved = await client.ResolveAsync(repository, tag, Platform.Parse("linux/arm64/v8"), Ct);
        Assert.AreEqual(arm.ManifestDigest, resolved.ManifestDigest);
        Assert.AreEqual(indexDigest, resolved.IndexDigest);
        CollectionAssert.AreEqual(arm.Config, resolved.ConfigBytes);
        Assert.AreEqual(amd.ManifestDigest, (await client.ResolveAsync(repository, tag, Platform.FromRuntimeIdentifier("linux-x64"), Ct)).ManifestDigest);
        CollectionAssert.AreEqual(new[] { "linux/amd64", "linux/arm64/v8" }, (await client.PlatformsAsync(repository, tag, Ct)).Select(p => p.ToString()).ToArray());

        var missing = await Assert.ThrowsExactlyAsync<AiException>(() => client.ResolveAsync(repository, tag, Platform.Parse("linux/s390x"), Ct));
        Assert.AreEqual("AIC4205", missing.Code);
        StringAssert.Contains(missing.Message, "linux/amd64, linux/arm64/v8");
        // A single-platform image whose config names another architecture is refused too.
        var wrong = await Assert.ThrowsExactlyAsync<AiException>(() => client.ResolveAsync(repository, arm.ManifestDigest, Platform.LinuxAmd64, Ct));
        Assert.AreEqual("AIC4205", wrong.Code);
    }

    [TestMethod]
    public async Task Missing_tag_and_unreachable_registry_are_coded_and_not_retried()
    {
        EngineEnvironment.Require();
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        using var client = new RegistryClient(proxy.HostPort, Store(), new RecordingLog(), RetryPolicy.Fast());
        var notFound = await Assert.ThrowsExactlyAsync<AiException>(() => client.GetManifestAsync("standin/nvidia/cuda", "no-such-tag", Ct));
        Assert.AreEqual("AIC4204", notFound.Code);
        StringAssert.Contains(notFound.Message, "MANIFEST_UNKNOWN");
        Assert.AreEqual(1, proxy.Requests.Count(r => r.Contains("/manifests/no-such-tag")), "a 404 is never retried");

        var unknownRepo = await Assert.ThrowsExactlyAsync<AiException>(() => client.GetManifestAsync("aic-tests/never-pushed", "1.0", Ct));
        Assert.AreEqual("AIC4204", unknownRepo.Code);

        var watch = Stopwatch.StartNew();
        using var closed = new RegistryClient("127.0.0.1:" + ClosedPort(), Store(), new RecordingLog(), RetryPolicy.Fast());
        var unreachable = await Assert.ThrowsExactlyAsync<AiException>(() => closed.PingAsync(Ct));
        Assert.AreEqual("AIC4200", unreachable.Code);
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(5), "a refused connection is not retried");
    }

    // ------------------------------------------------------------------ htpasswd registry: Basic auth

    [TestMethod]
    public async Task Basic_auth_registry_accepts_the_right_password_and_codes_a_wrong_one()
    {
        EngineEnvironment.Require();
        var image = TestImage.Create("basic");
        var log = new RecordingLog();
        var env = new Dictionary<string, string?> { ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = EngineEnvironment.AuthUser, ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = EngineEnvironment.AuthPassword, ["DOTNET_CONTAINER_PULL_REGISTRY_UNAME"] = EngineEnvironment.AuthUser, ["DOTNET_CONTAINER_PULL_REGISTRY_PWORD"] = EngineEnvironment.AuthPassword };
        using (var client = new RegistryClient(EngineEnvironment.AuthRegistry, Store(env), log, RetryPolicy.Fast()))
        {
            var tag = UniqueTag();
            await image.PushAsync(client, "aic-tests/basic", tag);
            Assert.AreEqual(image.ManifestDigest, (await client.ResolveAsync("aic-tests/basic", tag, Platform.LinuxAmd64, Ct)).ManifestDigest);
        }
        Assert.IsFalse(log.Text.Contains(EngineEnvironment.AuthPassword), "the password is never logged");

        const string wrongPassword = "not-the-password-5b1e";
        var wrong = new Dictionary<string, string?> { ["DOTNET_CONTAINER_PULL_REGISTRY_UNAME"] = EngineEnvironment.AuthUser, ["DOTNET_CONTAINER_PULL_REGISTRY_PWORD"] = wrongPassword };
        using var refused = new RegistryClient(EngineEnvironment.AuthRegistry, Store(wrong), log, RetryPolicy.Fast());
        var error = await Assert.ThrowsExactlyAsync<AiException>(() => refused.GetManifestAsync("aic-tests/basic", "1.0", Ct));
        Assert.AreEqual("AIC4001", error.Code);
        StringAssert.Contains(error.Message, "DOTNET_CONTAINER_PULL_REGISTRY_UNAME/PWORD");
        Assert.IsFalse(error.Message.Contains(wrongPassword));

        using var anonymous = new RegistryClient(EngineEnvironment.AuthRegistry, Store(), log, RetryPolicy.Fast());
        Assert.AreEqual("AIC4100", (await Assert.ThrowsExactlyAsync<AiException>(() => anonymous.GetManifestAsync("aic-tests/basic", "1.0", Ct))).Code);
    }

    // ------------------------------------------------------------------ token-auth registry: Bearer tokens

    [TestMethod]
    public async Task Token_registry_pushes_with_credentials_and_refuses_anonymous_pulls()
    {
        EngineEnvironment.Require();
        var registry = TokenRegistry();
        var image = TestImage.Create("token");
        var tag = UniqueTag();
        var log = new RecordingLog();
        using (var client = new RegistryClient(registry.HostPort, Store(Login(TokenUser, TokenPassword)), log, RetryPolicy.Fast()))
        {
            await client.PingAsync(Ct);
            await image.PushAsync(client, "team/app", tag);
            Assert.AreEqual(1, client.TokensFetched, "one token for repository:team/app:pull,push, cached for every request of the push");
            Assert.AreEqual(image.ManifestDigest, (await client.ResolveAsync("team/app", tag, Platform.LinuxAmd64, Ct)).ManifestDigest);
        }
        var pushToken = registry.Requests.First(r => r.Scopes.Contains("repository:team/app:pull,push"));
        Assert.AreEqual(TokenUser, pushToken.User);
        Assert.IsFalse(log.Text.Contains(TokenPassword));

        // Anonymous: the registry challenges, the client fetches an anonymous token, the registry still refuses.
        using var anonymous = new RegistryClient(registry.HostPort, Store(), log, RetryPolicy.Fast());
        var error = await Assert.ThrowsExactlyAsync<AiException>(() => anonymous.GetManifestAsync("team/app", tag, Ct));
        Assert.AreEqual("AIC4100", error.Code, error.Message);
        Assert.IsTrue(registry.Requests.Any(r => r.User is null && r.Scopes.Contains("repository:team/app:pull")), "the anonymous token flow ran");

        // An identity token (docker login's identitytoken) is exchanged with the OAuth2 refresh-token POST.
        var configDir = Directory.CreateTempSubdirectory("aic-docker-config-").FullName;
        var auths = new Dictionary<string, object> { [registry.HostPort] = new { identitytoken = "refresh-token-for-alice" } };
        File.WriteAllText(Path.Combine(configDir, "config.json"), JsonSerializer.Serialize(new { auths }));
        using var withIdentityToken = new RegistryClient(registry.HostPort, Store(new() { ["DOCKER_CONFIG"] = configDir }), log, RetryPolicy.Fast());
        Assert.AreEqual(image.ManifestDigest, (await withIdentityToken.GetManifestAsync("team/app", tag, Ct)).Digest);
        Assert.IsTrue(registry.Requests.Any(r => r.Method == "POST" && r.User == TokenUser));
        Directory.Delete(configDir, true);

        var wrong = new RegistryClient(registry.HostPort, Store(Login(TokenUser, "wrong-password-0c9d")), log, RetryPolicy.Fast());
        var rejected = await Assert.ThrowsExactlyAsync<AiException>(() => wrong.GetManifestAsync("team/app", tag, Ct));
        Assert.AreEqual("AIC4001", rejected.Code, rejected.Message);
        wrong.Dispose();
    }

    [TestMethod]
    public async Task Token_without_push_rights_is_a_coded_denial()
    {
        EngineEnvironment.Require();
        var registry = TokenRegistry();
        var image = TestImage.Create("reader");
        using var client = new RegistryClient(registry.HostPort, Store(Login(ReadOnlyUser, ReadOnlyPassword)), new RecordingLog(), RetryPolicy.Fast());
        var error = await Assert.ThrowsExactlyAsync<AiException>(() => image.PushAsync(client, "team/readonly", UniqueTag()));
        Assert.AreEqual("AIC4203", error.Code, error.Message);
        StringAssert.Contains(error.Message, ReadOnlyUser);
        Assert.IsFalse(error.Message.Contains(ReadOnlyPassword));
    }

    [TestMethod]
    public async Task Token_registry_mounts_across_repositories_with_a_scope_for_both()
    {
        EngineEnvironment.Require();
        var registry = TokenRegistry();
        var image = TestImage.Create("token-mount");
        using var client = new RegistryClient(registry.HostPort, Store(Login(TokenUser, TokenPassword)), new RecordingLog(), RetryPolicy.Fast());
        await client.UploadBlobAsync("team/base", image.LayerDigest, image.Layer.Length, () => new MemoryStream(image.Layer), null, Ct);
        var target = "team/derived-" + Guid.NewGuid().ToString("N")[..6];
        Assert.IsTrue(await client.TryMountBlobAsync(target, image.LayerDigest, "team/base", Ct));
        var mountToken = registry.Requests.Last(r => r.Scopes.Contains($"repository:{target}:pull,push"));
        CollectionAssert.Contains(mountToken.Granted.ToList(), "repository:team/base:pull", "the mount token carries pull on the source");
        StringAssert.Contains(registry.Log, $"/v2/{target}/blobs/uploads/?mount={image.LayerDigest}");
        Assert.IsTrue(await client.BlobExistsAsync(target, image.LayerDigest, Ct));
    }

    // ------------------------------------------------------------------ fault injection

    [TestMethod]
    public async Task A_blob_of_unknown_digest_is_hashed_as_it_uploads_and_only_a_clear_no_says_a_repository_has_no_tags()
    {
        EngineEnvironment.Require();
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        using var client = new RegistryClient(proxy.HostPort, Store(), new RecordingLog(), RetryPolicy.Fast());
        var repository = "aic-tests/hashing-" + Guid.NewGuid().ToString("N")[..8];
        Assert.IsFalse(await client.RepositoryHasTagsAsync(repository, Ct), "nothing was ever pushed there");

        var image = TestImage.Create("hashing", payloadBytes: 300_000);
        proxy.FailNext(1, HttpStatusCode.InternalServerError, r => r.HttpMethod == "PATCH");
        var opened = 0;
        var (digest, size) = await client.UploadBlobHashingAsync(repository, () => { opened++; return new MemoryStream(image.Layer); }, null, Ct);
        Assert.AreEqual(image.LayerDigest, digest, "committed under the digest of the bytes read");
        Assert.AreEqual(image.Layer.Length, size);
        Assert.AreEqual(2, opened, "the retry reads (and hashes) a fresh stream");
        Assert.IsFalse(proxy.Requests.Any(r => r.StartsWith("HEAD ")), "no HEAD: the digest was not known before the upload");
        Assert.IsTrue(await client.BlobExistsAsync(repository, digest, Ct));
        Assert.IsFalse(await client.RepositoryHasTagsAsync(repository, Ct), "a blob is not a tag");

        await image.PushAsync(client, repository, UniqueTag());
        Assert.IsTrue(await client.RepositoryHasTagsAsync(repository, Ct));
        // A refusal is not a "no": without credentials the auth registry answers 401, which must not pass for empty.
        using var anonymous = new RegistryClient(EngineEnvironment.AuthRegistry, Store(), new RecordingLog(), RetryPolicy.Fast());
        Assert.IsTrue(await anonymous.RepositoryHasTagsAsync("aic-tests/never-pushed-" + Guid.NewGuid().ToString("N")[..8], Ct));
    }

    [TestMethod]
    public async Task Server_errors_mid_push_are_retried_and_the_image_lands()
    {
        EngineEnvironment.Require();
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        using var client = new RegistryClient(proxy.HostPort, Store(), new RecordingLog(), RetryPolicy.Fast());
        var image = TestImage.Create("faults-500");
        // A small layer: its bytes go in the PUT that ends the upload.
        proxy.FailNext(2, HttpStatusCode.InternalServerError, r => r.HttpMethod == "PUT" && r.RawUrl!.Contains("/blobs/uploads/"));
        var opened = 0;
        await client.UploadBlobAsync("aic-tests/faults", image.LayerDigest, image.Layer.Length, () => { opened++; return new MemoryStream(image.Layer); }, null, Ct);
        Assert.AreEqual(2, proxy.FaultsInjected);
        Assert.AreEqual(3, opened, "every attempt opens a fresh stream");
        Assert.IsTrue(await client.BlobExistsAsync("aic-tests/faults", image.LayerDigest, Ct));

        proxy.FailNext(1, HttpStatusCode.BadGateway, r => r.HttpMethod == "PUT" && r.RawUrl!.Contains("/manifests/"));
        var tag = UniqueTag();
        await image.PushAsync(client, "aic-tests/faults", tag);
        Assert.AreEqual(3, proxy.FaultsInjected);
        var raw = EngineEnvironment.Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{EngineEnvironment.Registry}/aic-tests/faults:{tag}");
        Assert.AreEqual(Encoding.UTF8.GetString(image.Manifest), raw.StandardOutput);
    }

    [TestMethod]
    public async Task Too_many_requests_waits_for_retry_after()
    {
        EngineEnvironment.Require();
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        using var client = new RegistryClient(proxy.HostPort, Store(), new RecordingLog(), RetryPolicy.Fast());
        proxy.RespondNext(1, r => r.RawUrl!.Contains("/manifests/"), context =>
        {
            context.Response.StatusCode = 429;
            context.Response.AddHeader("Retry-After", "1");
            context.Response.Close();
            return Task.CompletedTask;
        });
        var watch = Stopwatch.StartNew();
        await client.GetManifestAsync("standin/nvidia/cuda", "12.4.1-runtime-ubuntu22.04", Ct);
        Assert.AreEqual(1, proxy.FaultsInjected);
        Assert.IsTrue(watch.Elapsed >= TimeSpan.FromMilliseconds(950), $"Retry-After: 1 was honoured (waited {watch.Elapsed})");
    }

    [TestMethod]
    public async Task Upload_cut_mid_way_restarts_from_a_fresh_stream()
    {
        EngineEnvironment.Require();
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        using var client = new RegistryClient(proxy.HostPort, Store(), new RecordingLog(), RetryPolicy.Fast());
        var image = TestImage.Create("cut", payloadBytes: 512 * 1024);
        proxy.RespondNext(1, r => r.HttpMethod == "PATCH", context => CutConnectionAsync(context, 64 * 1024));
        var opened = 0;
        var progress = new List<long>();
        await client.UploadBlobAsync("aic-tests/faults", image.LayerDigest, image.Layer.Length, () => { opened++; return new MemoryStream(image.Layer); }, new SyncProgress(progress.Add), Ct);
        Assert.AreEqual(1, proxy.FaultsInjected);
        Assert.AreEqual(2, opened, "the retry opened the stream again");
        Assert.AreEqual(image.Layer.Length, progress.Last());
        Assert.IsTrue(await client.BlobExistsAsync("aic-tests/faults", image.LayerDigest, Ct));

        // Cut every time: the budget runs out and the upload failure is coded.
        var other = TestImage.Create("cut-always", payloadBytes: 256 * 1024);
        proxy.RespondNext(100, r => r.HttpMethod == "PATCH", context => CutConnectionAsync(context, 16 * 1024));
        using var impatient = new RegistryClient(proxy.HostPort, Store(), new RecordingLog(), RetryPolicy.Fast(maxConsecutiveFailures: 3));
        var error = await Assert.ThrowsExactlyAsync<AiException>(() => impatient.UploadBlobAsync("aic-tests/faults", other.LayerDigest, other.Layer.Length, () => new MemoryStream(other.Layer), null, Ct));
        Assert.AreEqual("AIC4207", error.Code, error.Message);
        StringAssert.Contains(error.Message, "3 attempt(s)");
    }

    [TestMethod]
    public async Task Html_answers_garbage_digests_and_spent_retries_are_coded()
    {
        EngineEnvironment.Require();
        using var proxy = new RegistryFaultProxy(EngineEnvironment.Registry);
        using var client = new RegistryClient(proxy.HostPort, Store(), new RecordingLog(), RetryPolicy.Fast(maxConsecutiveFailures: 3));
        static Func<HttpListenerContext, Task> Html(int status) => async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/html";
            var page = Encoding.UTF8.GetBytes("<html><body>Please sign in to the corporate proxy</body></html>");
            await context.Response.OutputStream.WriteAsync(page);
            context.Response.Close();
        };
        proxy.RespondNext(1, r => r.RawUrl!.Contains("/manifests/"), Html(200));
        var html = await Assert.ThrowsExactlyAsync<AiException>(() => client.GetManifestAsync("standin/nvidia/cuda", "12.4.1-runtime-ubuntu22.04", Ct));
        Assert.AreEqual("AIC4206", html.Code, html.Message);
        StringAssert.Contains(html.Message, "text/html");
        proxy.RespondNext(1, r => r.RawUrl == "/v2/", Html(200));
        Assert.AreEqual("AIC4206", (await Assert.ThrowsExactlyAsync<AiException>(() => client.PingAsync(Ct))).Code);

        // A blob whose bytes are not its digest's: the stream throws at its end.
        var image = await client.ResolveAsync("standin/nvidia/cuda", "12.4.1-runtime-ubuntu22.04", Platform.LinuxAmd64, Ct);
        proxy.RespondNext(1, r => r.RawUrl!.Contains("/blobs/"), async context =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/octet-stream";
            await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes("tampered"));
            context.Response.Close();
        });
        await using (var blob = await client.OpenBlobAsync("standin/nvidia/cuda", image.ConfigDigest, Ct))
        {
            var mismatch = await Assert.ThrowsExactlyAsync<AiException>(() => blob.CopyToAsync(Stream.Null, Ct));
            Assert.AreEqual("AIC4208", mismatch.Code);
            StringAssert.Contains(mismatch.Message, image.ConfigDigest);
        }

        var faultsBefore = proxy.FaultsInjected;
        proxy.FailNext(100, HttpStatusCode.ServiceUnavailable, r => r.RawUrl!.Contains("/manifests/"));
        var spent = await Assert.ThrowsExactlyAsync<AiException>(() => client.GetManifestAsync("standin/nvidia/cuda", "12.4.1-runtime-ubuntu22.04", Ct));
        Assert.AreEqual("AIC4209", spent.Code, spent.Message);
        Assert.AreEqual(3, proxy.FaultsInjected - faultsBefore, "three failures in a row spend RetryPolicy.Fast(3)");

        proxy.FailNext(1, HttpStatusCode.Forbidden, r => r.RawUrl!.Contains("/manifests/"));
        Assert.AreEqual("AIC4203", (await Assert.ThrowsExactlyAsync<AiException>(() => client.GetManifestAsync("standin/nvidia/cuda", "12.4.1-runtime-ubuntu22.04", Ct))).Code);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>
    /// Takes part of the request body, then drops the connection in the middle of the answer. (The managed
    /// HttpListener's Abort alone sends an empty 200 first, so the answer promises more bytes than it sends.)
    /// </summary>
    private static async Task CutConnectionAsync(HttpListenerContext context, int bytesToTake)
    {
        var buffer = new byte[bytesToTake];
        await context.Request.InputStream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false);
        context.Response.StatusCode = 202;
        context.Response.ContentLength64 = 1 << 20;
        await context.Response.OutputStream.WriteAsync(new byte[16]);
        await context.Response.OutputStream.FlushAsync();
        context.Response.Abort();
    }

    private static CancellationToken Ct => CancellationToken.None;

    private static string UniqueTag() => "t" + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "-" + Guid.NewGuid().ToString("N")[..6];

    private static Dictionary<string, string?> Login(string user, string password) => new()
    {
        ["DOTNET_CONTAINER_PUSH_REGISTRY_UNAME"] = user,
        ["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] = password,
        ["DOTNET_CONTAINER_PULL_REGISTRY_UNAME"] = user,
        ["DOTNET_CONTAINER_PULL_REGISTRY_PWORD"] = password,
    };

    /// <summary>A credential store that sees only <paramref name="environment"/> (and no ~/.docker/config.json of this machine).</summary>
    private static RegistryCredentialStore Store(Dictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?>(environment ?? new());
        env.TryAdd("DOCKER_CONFIG", Path.Combine(Path.GetTempPath(), "aic-no-docker-config"));
        return new RegistryCredentialStore(name => env.GetValueOrDefault(name));
    }

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class RecordingLog : IAiLog
    {
        private readonly StringBuilder _text = new();
        public List<AiDiagnostic> Diagnostics { get; } = new();
        public string Text { get { lock (_text) return _text.ToString(); } }
        public void Message(AiLogLevel level, string text) { lock (_text) _text.AppendLine(text); }
        public void Report(AiDiagnostic diagnostic) { lock (_text) { Diagnostics.Add(diagnostic); _text.AppendLine(diagnostic.Message); } }
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the reports in order, at once.</summary>
    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    /// <summary>A tiny single-layer image composed here: a gzipped tar with one file, a config and a Docker v2 manifest.</summary>
    private sealed record TestImage(byte[] Layer, string LayerDigest, byte[] Config, string ConfigDigest, byte[] Manifest, string ManifestDigest, string Label)
    {
        public static TestImage Create(string label, string architecture = "amd64", string? variant = null, int payloadBytes = 64)
        {
            var tar = new MemoryStream();
            using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            {
                var payload = new byte[payloadBytes];
                new Random(label.GetHashCode()).NextBytes(payload);
                Encoding.ASCII.GetBytes(label + "\n").CopyTo(payload, 0);
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "aic/label.txt")
                {
                    DataStream = new MemoryStream(payload),
                    ModificationTime = DateTimeOffset.UnixEpoch,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                });
            }
            var diffId = RegistryDigest.Of(tar.ToArray());
            var gz = new MemoryStream();
            using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar.ToArray());
            var layer = gz.ToArray();
            var layerDigest = RegistryDigest.Of(layer);
            var config = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
            {
                ["architecture"] = architecture,
                ["os"] = "linux",
                ["variant"] = variant,
                ["config"] = new { Labels = new Dictionary<string, string> { ["org.aic.test"] = label }, Cmd = new[] { "/aic/label.txt" } },
                ["rootfs"] = new { type = "layers", diff_ids = new[] { diffId } },
                ["created"] = "1970-01-01T00:00:00Z",
            }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value));
            var configDigest = RegistryDigest.Of(config);
            var manifest = JsonSerializer.SerializeToUtf8Bytes(new
            {
                schemaVersion = 2,
                mediaType = RegistryMediaTypes.DockerManifest,
                config = new { mediaType = RegistryMediaTypes.DockerConfig, size = config.Length, digest = configDigest },
                layers = new[] { new { mediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip", size = layer.Length, digest = layerDigest } },
            });
            return new TestImage(layer, layerDigest, config, configDigest, manifest, RegistryDigest.Of(manifest), label);
        }

        public async Task PushAsync(RegistryClient client, string repository, string reference, bool skipLayer = false)
        {
            if (!skipLayer) await client.UploadBlobAsync(repository, LayerDigest, Layer.Length, () => new MemoryStream(Layer), null, Ct);
            await client.UploadBlobAsync(repository, ConfigDigest, Config.Length, () => new MemoryStream(Config), null, Ct);
            var digest = await client.PutManifestAsync(repository, reference, Manifest, RegistryMediaTypes.DockerManifest, Ct);
            Assert.AreEqual(ManifestDigest, digest);
        }
    }
}
