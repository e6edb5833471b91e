# shellcheck shell=bash
# Shared by the benchmarks: the repository root, a freshly packed SDK (optionally with the local
# engine, registries and stand-ins started), and the nuget.config that makes a project consume it.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export NUGET_PACKAGES="$bench_root/artifacts/nuget-packages" MSBUILDTERMINALLOGGER=off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# bench_engine: start the engine, the registries and the stand-ins (build/setup.sh) and take their variables
# (DOCKER_HOST, AIC_REGISTRY, AIC_MIRROR, ...) from the env file it writes.
bench_engine() {
  "$bench_root/build/setup.sh" >/dev/null
  # shellcheck disable=SC1091
  . "${AIC_STATE:-/var/lib/aic-dev}/env.sh"
}

# bench_prepare [engine|no-engine]: start the infrastructure (default) and pack the SDK of this checkout.
bench_prepare() {
  if [ "${1:-engine}" = engine ]; then bench_engine; fi
  "$bench_root/build/pack.sh" >/dev/null
}

# write_nuget_config DIR: the packed AiContainers.Sdk first, nuget.org for everything else.
write_nuget_config() {
  cat > "$1/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><clear />
  <add key="aicontainers-local" value="$bench_root/artifacts/packages" />
  <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
</packageSources></configuration>
XML
}

# bench_pack_private: packs the SDK of this checkout under a version of its own (0.1.0-bench.<time>.<pid>) into a
# private feed, with private build folders, so a benchmark neither collides with nor is changed by another pack of the
# shared artifacts/packages while it runs. Sets bench_sdk_version and bench_feed; the extracted copy is removed by
# bench_unpack_private (call it from the script's EXIT trap).
bench_pack_private() {
  bench_sdk_version="0.1.0-bench.$(date +%s).$$"
  bench_feed=$(mktemp -d /tmp/aic-bench-feed.XXXXXX)
  dotnet pack "$bench_root/sdk/AiContainers.Sdk/AiContainers.Sdk.csproj" -c Release -nologo -v:q \
    --artifacts-path "$bench_feed/art" -p:Version="$bench_sdk_version" -p:PackageOutputPath="$bench_feed/packages/" >"$bench_feed/pack.log" 2>&1 \
    || { tail -30 "$bench_feed/pack.log"; return 1; }
}
bench_unpack_private() {
  [[ -n ${bench_sdk_version:-} ]] && rm -rf "$NUGET_PACKAGES/aicontainers.sdk/$bench_sdk_version"
  [[ -n ${bench_feed:-} ]] && rm -rf "$bench_feed"
  return 0
}

# write_private_nuget_config DIR: like write_nuget_config, with the private feed of bench_pack_private.
write_private_nuget_config() {
  cat > "$1/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><clear />
  <add key="aicontainers-bench" value="$bench_feed/packages" />
  <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
</packageSources></configuration>
XML
}

now() { date +%s.%N; }
# timed CMD...: runs CMD and prints its wall time in seconds.
timed() { local t0; t0=$(now); "$@"; python3 -c "print(f'{$(now) - $t0:.3f}')"; }
# load_line: the 1-minute load average and the core count, for the printed results (the machine is shared).
load_line() { echo "load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"; }
# manifest_json REGISTRY REPO REF: the image manifest (Docker v2 or OCI) as the registry stores it.
manifest_json() {
  curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' \
    "http://$1/v2/$2/manifests/$3"
}

# bench_weights: sets $weights to one 1 GiB file of random bytes (safetensors barely compress, random bytes not at
# all), generated once under $AIC_CACHE/bench and shared by every weights benchmark.
bench_weights() {
  local store="${AIC_CACHE:-/var/cache/aic-dev}/bench"
  weights="$store/weights-1g.bin"
  if [[ ! -f $weights ]] || [[ $(stat -c %s "$weights") != 1073741824 ]]; then
    echo "generating 1 GiB of random weights once: $weights"
    mkdir -p "$store"
    head -c 1073741824 /dev/urandom > "$weights.tmp" && mv "$weights.tmp" "$weights"
  fi
}

# write_console_project FILE ITEMS: a self-contained linux-x64 console app on the privately packed SDK
# (bench_pack_private), with ITEMS (e.g. an AiModel item) in its ItemGroup.
write_console_project() {
  cat > "$1" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <Sdk Name="AiContainers.Sdk" Version="$bench_sdk_version" />
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <InvariantGlobalization>true</InvariantGlobalization>
    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>true</SelfContained>
  </PropertyGroup>
  <ItemGroup>$2</ItemGroup>
</Project>
XML
}

# bench_fresh_registry: starts a throwaway registry (Debian's docker-registry) on a free loopback port with an empty
# storage folder, and sets $fresh_registry (host:port) and $fresh_registry_pid. A registry that holds nothing is what a
# first publish meets: no HEAD or cross-repository mount can skip an upload (skopeo's blob-info cache remembers where
# it put a blob before, per registry, and mounts it from there). bench_stop_registry ends it and removes its storage.
bench_fresh_registry() {
  local port dir
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  dir=$(mktemp -d /tmp/aic-bench-registry.XXXXXX)
  cat > "$dir/config.yml" <<YML
version: 0.1
log: { level: error }
storage:
  filesystem: { rootdirectory: $dir/storage }
http:
  addr: 127.0.0.1:$port
  secret: bench-$$-$port
YML
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  fresh_registry_pid=$!
  fresh_registry_dir=$dir
  fresh_registry=127.0.0.1:$port
  for _ in $(seq 1 100); do
    curl -fsS "http://$fresh_registry/v2/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the throwaway registry on $fresh_registry did not answer: $(tail -5 "$dir/registry.log")" >&2
  return 1
}
bench_stop_registry() {
  if [[ -n ${fresh_registry_pid:-} ]]; then kill "$fresh_registry_pid" 2>/dev/null; wait "$fresh_registry_pid" 2>/dev/null || true; fi
  [[ -n ${fresh_registry_dir:-} ]] && rm -rf "$fresh_registry_dir"
  fresh_registry_pid='' fresh_registry_dir=''
  return 0
}

# bench_compiler_mode: compile as a user's machine does, through the shared compiler server (VBCSCompiler, the .NET
# default), unless BENCH_SHARED_COMPILATION=false, which measures with UseSharedCompilation=false (what this
# development machine's environment sets: every compile then starts csc afresh, 2-3 s of each publish). Sets
# $bench_compiler to say which; bench_compiler_cleanup stops a server this benchmark started.
bench_compiler_mode() {
  if [ "${BENCH_SHARED_COMPILATION:-true}" = true ]; then
    unset UseSharedCompilation
    bench_compiler="shared compiler server (the .NET default)"
    if ! pgrep -f VBCSCompiler >/dev/null; then bench_stop_compiler_server=1; fi
  else
    export UseSharedCompilation=false
    bench_compiler="no compiler server (UseSharedCompilation=false)"
  fi
}
bench_compiler_cleanup() {
  if [ "${bench_stop_compiler_server:-}" = 1 ]; then dotnet build-server shutdown --vbcscompiler >/dev/null 2>&1 || true; fi
}
