# shellcheck shell=bash
# Shared by the benchmarks: the repository root, a freshly packed SDK (optionally with the local
# engine, registries and stand-ins started), and the nuget.config that makes a project consume it.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export NUGET_PACKAGES="$bench_root/artifacts/nuget-packages" MSBUILDTERMINALLOGGER=off DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# bench_prepare [engine|no-engine]: start the infrastructure (default) and pack the SDK of this checkout.
bench_prepare() {
  if [ "${1:-engine}" = engine ]; then
    "$bench_root/build/setup.sh" >/dev/null
    # shellcheck disable=SC1091
    . "${AIC_STATE:-/var/lib/aic-dev}/env.sh"
  fi
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
