#!/usr/bin/env bash
# Packs AiContainers.Sdk and AiContainers.Templates into artifacts/packages.
#
# Versions: a NuGet cache (~/.nuget/packages, $NUGET_PACKAGES) never looks at a package again once it has
# extracted its version, so every development pack gets a version of its own and a cache can never serve an
# older build under it:
#   <Version of Directory.Build.props>-dev.<commit height>.h<hash of the packed sources>, e.g. 0.1.0-dev.57.h3fa29c01e2
# The hash covers the working tree (uncommitted edits included), so packing unchanged sources again gives the
# same version and the same bits. A release keeps its own version: AIC_PACKAGE_VERSION=0.1.0 build/pack.sh.
#
# Written for the consumers in this repository:
#   artifacts/packages/version.txt   the version just packed (the tests read it)
#   samples/global.json              the root global.json with msbuild-sdks pinned to it (git-ignored), so the
#                                    samples' <Sdk Name="AiContainers.Sdk" /> restores this pack
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export NUGET_PACKAGES=${NUGET_PACKAGES:-$root/artifacts/nuget-packages}
out="$root/artifacts/packages"

# The files that go into the packages, as paths relative to the root (tracked and new, not ignored ones).
packed_sources() {
  local paths=(sdk src templates Directory.Build.props Directory.Packages.props global.json README.md)
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$root" ls-files -co --exclude-standard -- "${paths[@]}"
  else
    (cd "$root" && find "${paths[@]}" -type f -not -path '*/bin/*' -not -path '*/obj/*' 2>/dev/null)
  fi | LC_ALL=C sort
}

sources_hash() {
  local file
  packed_sources | while IFS= read -r file; do
    # A tracked file deleted in the working tree is listed but not there: it is not packed either.
    [ -f "$root/$file" ] && printf '%s %s\n' "$(sha256sum <"$root/$file" | cut -c1-64)" "$file"
  done | sha256sum | cut -c1-10
}

base_version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props" | head -1)
if [ -n "${AIC_PACKAGE_VERSION:-}" ]; then
  version=$AIC_PACKAGE_VERSION
else
  height=$(git -C "$root" rev-list --count HEAD 2>/dev/null || echo 0)
  version="$base_version-dev.$height.h$(sources_hash)"
fi

echo "[aic-pack] packing AiContainers.Sdk and AiContainers.Templates $version into artifacts/packages"
mkdir -p "$out"
dotnet pack "$root/sdk/AiContainers.Sdk/AiContainers.Sdk.csproj" -c Release -nologo -v:q \
  -p:Version="$version" -p:PackageOutputPath="$out/"
if [ -f "$root/templates/AiContainers.Templates/AiContainers.Templates.csproj" ]; then
  dotnet pack "$root/templates/AiContainers.Templates/AiContainers.Templates.csproj" -c Release -nologo -v:q \
    -p:Version="$version" -p:PackageOutputPath="$out/"
fi

# One version of each package in the folder, and no extracted copy of an older development pack in the cache.
for id in AiContainers.Sdk AiContainers.Templates; do
  find "$out" -maxdepth 1 -name "$id.*.nupkg" ! -name "$id.$version.nupkg" -delete
  lower=$(tr '[:upper:]' '[:lower:]' <<<"$id")
  for extracted in "$NUGET_PACKAGES/$lower"/*/; do
    [ -d "$extracted" ] || continue
    v=$(basename "$extracted")
    # Development packs: only the current one stays. A release version packed again here (a rehearsal of the
    # release) may hold new bits under the same version, so its extracted copy goes as well.
    if [[ $v == *-dev.* && $v != "$version" ]] || [[ $v == "$version" && $v != *-dev.* ]]; then rm -rf "$extracted"; fi
  done
done

# Written last, each by rename: a reader never sees a version whose package is not there yet.
printf '%s\n' "$version" >"$out/version.txt.$$" && mv "$out/version.txt.$$" "$out/version.txt"
sed -E 's/("AiContainers\.Sdk"[[:space:]]*:[[:space:]]*")[^"]*"/\1'"$version"'"/' "$root/global.json" >"$root/samples/global.json.$$"
mv "$root/samples/global.json.$$" "$root/samples/global.json"
echo "[aic-pack] $(cd "$out" && ls ./*.nupkg | sed 's:^\./::' | tr '\n' ' ')"
