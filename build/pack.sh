#!/usr/bin/env bash
# Packs AiContainers.Sdk into artifacts/packages and forgets any cached copy of the same version,
# so samples and tests (which restore it from that folder) always get the code of this checkout.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export NUGET_PACKAGES=${NUGET_PACKAGES:-$root/artifacts/nuget-packages}
echo "[aic-pack] packing AiContainers.Sdk into artifacts/packages"
dotnet pack "$root/sdk/AiContainers.Sdk/AiContainers.Sdk.csproj" -c Release -nologo -v:q -p:PackageOutputPath="$root/artifacts/packages/"
# Same version, new bits: a stale extracted copy would win over the new nupkg.
rm -rf "$NUGET_PACKAGES/aicontainers.sdk"
echo "[aic-pack] $(ls "$root"/artifacts/packages/*.nupkg)"
