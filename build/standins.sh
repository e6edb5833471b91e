#!/usr/bin/env bash
# Builds and pushes the stand-in base images listed in build/standins/standins.txt to
# $AIC_MIRROR (default 127.0.0.1:5000/standin). Called by build/setup.sh; can run alone
# once dockerd and the open registry are up.
#
# Stand-ins replace unreachable public images (nvidia/cuda, ubuntu, busybox, dotnet,
# torchserve, tensorflow/serving) for offline tests. They contain NO CUDA and no real
# framework; each carries ai.containers.standin=true and ai.containers.standin.of=<ref>.
#
# A stand-in is skipped when the registry already holds its tag with the same recipe hash
# (label ai.containers.standin.recipe = hash of rendered Dockerfile + context files), so
# editing a template or the table rebuilds exactly the affected images.
#
# Environment:
#   AIC_STANDINS=all (default) | minimal | none | "glob ..." (refs, space or comma separated,
#                e.g. "nvidia/cuda:12.4.1-* library/busybox:*")
#   AIC_STANDINS_FORCE=1   rebuild and push even when up to date
#   AIC_CACHE              where bookworm-minbase.tar (and -arm64.tar) are cached (/var/cache/aic-dev)
#
# A line with PLATFORMS=linux/amd64,linux/arm64 also gets an arm64 variant, made without
# emulation: `debootstrap --foreign --arch=arm64` gives arm64 files without running them, the
# files the template's steps added on amd64 (text, folders, links: no binaries) are laid on
# top, and the tag becomes one index over <tag>-linux-amd64 and <tag>-linux-arm64.
#   AIC_DEBIAN_MIRROR      (http://deb.debian.org/debian)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
require_root
[ "${AIC_LOCK_HELD:-0}" = 1 ] || take_lock

STANDIN_DIR="$AIC_BUILD_DIR/standins"
TABLE="$STANDIN_DIR/standins.txt"
RECIPE_SCHEMA=1                                   # bump to force-rebuild every stand-in
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR="${AIC_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BASE_IMAGE="aic-standin/debian:$DEBIAN_SUITE-minbase"
BASE_TAR="$AIC_CACHE/$DEBIAN_SUITE-minbase.tar"
ARM64_TAR="$AIC_CACHE/$DEBIAN_SUITE-minbase-arm64.tar"
BUSYBOX_BIN="${AIC_BUSYBOX_BIN:-/bin/busybox}"
BUSYBOX_VERSION="$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)"
BUSYBOX_VERSION="${BUSYBOX_VERSION#*:}"          # drop the epoch
BUSYBOX_IMAGE="aic-standin/busybox-root:$(printf '%s' "$BUSYBOX_VERSION" | tr -c 'A-Za-z0-9_.-' '_')"
DOTNET_HOST_ROOT="${AIC_DOTNET_ROOT:-/usr/share/dotnet}"
MIRROR_HOST="${AIC_MIRROR%%/*}"
MIRROR_PATH="${AIC_MIRROR#*/}"
[ "$MIRROR_PATH" != "$AIC_MIRROR" ] || MIRROR_PATH=""

LOGS="$AIC_STATE/logs"
TMP_ROOT="$AIC_STATE/tmp"
mkdir -p "$LOGS" "$TMP_ROOT" "$AIC_CACHE"

CLEANUP=()
cleanup() {
  local d
  for d in "${CLEANUP[@]}"; do
    [ -n "$d" ] && [ -d "$d" ] || continue
    # never rm -rf through a mount (debootstrap mounts proc/sys inside its target)
    awk -v d="$d" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l || true
    rm -rf "$d"
  done
}
trap cleanup EXIT

docker_ping || die "dockerd does not answer on $AIC_DOCKER_SOCK (run build/setup.sh)"
[ "$(http_code "http://$MIRROR_HOST/v2/")" = 200 ] || die "registry $MIRROR_HOST does not answer (run build/setup.sh)"

# ------------------------------------------------------------------ base images
ensure_base_tarball() {
  [ -s "$BASE_TAR" ] && return 0
  local t=$SECONDS rootfs
  rootfs="$(mktemp -d "$AIC_CACHE/rootfs.XXXXXX")"
  CLEANUP+=("$rootfs")
  log "debootstrap --variant=minbase $DEBIAN_SUITE (once; cached at $BASE_TAR; log $LOGS/debootstrap.log)"
  if ! debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$LOGS/debootstrap.log" 2>&1; then
    tail -n 20 "$LOGS/debootstrap.log" >&2
    die "debootstrap failed (log: $LOGS/debootstrap.log)"
  fi
  # What the official debian images do for containers: no daemons started by package
  # scripts, no .deb or index caches left in layers, no translations.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  printf 'APT::Install-Recommends "false";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR $DEBIAN_SUITE main
deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main
deb ${DEBIAN_MIRROR%/debian}/debian-security $DEBIAN_SUITE-security main
EOF
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log \
         "$rootfs"/var/cache/apt/*.bin
  : >"$rootfs/etc/resolv.conf"; printf 'localhost\n' >"$rootfs/etc/hostname"   # engine bind-mounts both
  tar --numeric-owner --xattrs -C "$rootfs" \
      --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$BASE_TAR.tmp" .
  mv -f "$BASE_TAR.tmp" "$BASE_TAR"
  log "rootfs cached: $BASE_TAR ($(du -h "$BASE_TAR" | cut -f1), $(elapsed "$t"))"
}

ensure_base_image() {
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
  ensure_base_tarball
  log "docker import $BASE_TAR -> $BASE_IMAGE"
  docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["bash"]' \
    -c "LABEL ai.containers.standin.base=debian:$DEBIAN_SUITE-minbase" \
    "$BASE_TAR" "$BASE_IMAGE" >/dev/null
}

ensure_busybox_image() {
  docker image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1 && return 0
  [ -x "$BUSYBOX_BIN" ] || die "$BUSYBOX_BIN missing (package busybox-static)"
  local root
  root="$(mktemp -d "$TMP_ROOT/busybox.XXXXXX")"
  CLEANUP+=("$root")
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,var/tmp,tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"
  cp "$(readlink -f "$BUSYBOX_BIN")" "$root/bin/busybox"
  chmod 755 "$root/bin/busybox"
  chroot "$root" /bin/busybox --install -s          # absolute argv[0]: works without /proc
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  log "docker import busybox-static $BUSYBOX_VERSION -> $BUSYBOX_IMAGE"
  tar --numeric-owner -C "$root" -cf - . |
    docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["sh"]' - "$BUSYBOX_IMAGE" >/dev/null
}

# arm64 files for a stand-in, never run here: debootstrap's first stage only unpacks.
ensure_arm64_tarball() {
  [ -s "$ARM64_TAR" ] && return 0
  local t=$SECONDS rootfs
  rootfs="$(mktemp -d "$AIC_CACHE/rootfs-arm64.XXXXXX")"
  CLEANUP+=("$rootfs")
  log "debootstrap --foreign --arch=arm64 --variant=minbase $DEBIAN_SUITE (once; cached at $ARM64_TAR)"
  if ! debootstrap --foreign --arch=arm64 --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$LOGS/debootstrap-arm64.log" 2>&1; then
    tail -n 20 "$LOGS/debootstrap-arm64.log" >&2
    die "debootstrap --foreign --arch=arm64 failed (log: $LOGS/debootstrap-arm64.log)"
  fi
  rm -rf "$rootfs/debootstrap" "$rootfs"/var/cache/apt/archives/*.deb
  : >"$rootfs/etc/resolv.conf"; printf 'localhost\n' >"$rootfs/etc/hostname"
  tar --numeric-owner -C "$rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$ARM64_TAR.tmp" .
  mv -f "$ARM64_TAR.tmp" "$ARM64_TAR"
  log "arm64 rootfs cached: $ARM64_TAR ($(du -h "$ARM64_TAR" | cut -f1), $(elapsed "$t"))"
}

# Recipe label of a tag that must be an index (PLATFORMS lines): the arm64 variant's label
# when the tag is an index, else empty (so a plain amd64 tag from an older run is rebuilt).
remote_index_recipe() { # repo tag
  local media
  media="$(curl -fsS --max-time 10 -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
      -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$MIRROR_HOST/v2/$1/manifests/$2" 2>/dev/null |
      jq -r '.mediaType // empty' 2>/dev/null)" || return 0
  case "$media" in *manifest.list*|*image.index*) remote_recipe "$1" "$2-linux-arm64" ;; esac
}

# The amd64 stand-in (built from the template) as arm64, pushed to TARGET: the arm64 rootfs, then
# the layers the template added above $BASE_IMAGE (the stand-in templates' steps write only text
# files, folders and links), as one layer, with the same config but arm64/v8 and NVARCH=sbsa as in
# NVIDIA's arm64 images. Written as an OCI layout and pushed by skopeo: the engine here (20.10, not
# experimental) ignores `docker import --platform`, which would leave the config saying amd64.
make_arm64_variant() { # amd64-image arm64-target logfile
  local amd64="$1" target="$2" logf="$3" work base_layers i layer
  ensure_arm64_tarball
  work="$(mktemp -d "$TMP_ROOT/arm64.XXXXXX")"
  CLEANUP+=("$work")
  mkdir -p "$work/root" "$work/save" "$work/oci/blobs/sha256"
  tar --numeric-owner -C "$work/root" -xf "$ARM64_TAR"
  docker save "$amd64" | tar -C "$work/save" -xf -
  base_layers="$(docker image inspect -f '{{len .RootFS.Layers}}' "$BASE_IMAGE")"
  i=0
  while read -r layer; do
    i=$((i + 1))
    [ "$i" -gt "$base_layers" ] || continue
    tar --numeric-owner -C "$work/root" -xf "$work/save/$layer"
  done < <(jq -r '.[0].Layers[]' "$work/save/manifest.json")

  local blobs="$work/oci/blobs/sha256" diff_id layer_digest layer_size config_digest config_size manifest_digest manifest_size
  tar --numeric-owner --sort=name -C "$work/root" -cf "$work/layer.tar" .
  diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
  gzip -n -1 -c "$work/layer.tar" >"$work/layer.tar.gz"
  layer_digest="$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)"; layer_size="$(stat -c %s "$work/layer.tar.gz")"
  mv "$work/layer.tar.gz" "$blobs/$layer_digest"
  docker image inspect -f '{{json .Config}}' "$amd64" |
    jq -c --arg diff "$diff_id" '{architecture: "arm64", variant: "v8", os: "linux",
        config: (.Env |= ((. // []) | map(if startswith("NVARCH=") then "NVARCH=sbsa" else . end))),
        rootfs: {type: "layers", diff_ids: [$diff]}}' >"$work/config.json"
  config_digest="$(sha256sum "$work/config.json" | cut -d' ' -f1)"; config_size="$(stat -c %s "$work/config.json")"
  mv "$work/config.json" "$blobs/$config_digest"
  jq -nc --arg c "sha256:$config_digest" --argjson cs "$config_size" --arg l "sha256:$layer_digest" --argjson ls "$layer_size" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]}' >"$work/manifest.json"
  manifest_digest="$(sha256sum "$work/manifest.json" | cut -d' ' -f1)"; manifest_size="$(stat -c %s "$work/manifest.json")"
  mv "$work/manifest.json" "$blobs/$manifest_digest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
  jq -nc --arg m "sha256:$manifest_digest" --argjson ms "$manifest_size" \
    '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
      annotations: {"org.opencontainers.image.ref.name": "arm64"}, platform: {architecture: "arm64", os: "linux", variant: "v8"}}]}' >"$work/oci/index.json"
  skopeo copy --quiet --dest-tls-verify=false --format v2s2 "oci:$work/oci:arm64" "docker://$target" >>"$logf" 2>&1
}

# ------------------------------------------------------------------ helpers
# Highest installed version of framework FW in channel CH (e.g. 10.0 -> 10.0.12).
dotnet_version() { # fw channel
  local d="$DOTNET_HOST_ROOT/shared/$1"
  [ -d "$d" ] || return 0
  find "$d" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
    grep -E "^${2//./\\.}\.[0-9]+$" | sort -V | tail -n1
}

# Label ai.containers.standin.recipe of REPO:TAG in the registry; empty when absent.
remote_recipe() { # repo tag
  local manifest digest
  manifest="$(curl -fsS --max-time 10 \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      "http://$MIRROR_HOST/v2/$1/manifests/$2" 2>/dev/null)" || return 0
  digest="$(jq -r '.config.digest // empty' <<<"$manifest" 2>/dev/null)" || return 0
  [ -n "$digest" ] || return 0
  curl -fsS --max-time 10 "http://$MIRROR_HOST/v2/$1/blobs/$digest" 2>/dev/null |
    jq -r '.config.Labels["ai.containers.standin.recipe"] // empty' 2>/dev/null || true
}

human() { numfmt --to=iec --suffix=B "$1" 2>/dev/null || echo "${1}B"; }

# ------------------------------------------------------------------ one stand-in
BUILT=0 FRESH=0 SKIPPED=0 FAILED=()

process() { # ref template vars...
  local ref="$1" tpl="$2"; shift 2
  local tfile="$STANDIN_DIR/templates/$tpl.Dockerfile" files="$STANDIN_DIR/files/$tpl"
  [ -f "$tfile" ] || die "$ref: template $tfile not found"
  local repo="${ref%:*}" tag="${ref##*:}"
  [ "$repo" != "$ref" ] || die "$ref: needs an explicit :tag"
  local target_repo="${MIRROR_PATH:+$MIRROR_PATH/}$repo"
  local target="$MIRROR_HOST/$target_repo:$tag"

  declare -A V=([REF]="$ref" [BASE]="$BASE_IMAGE" [BUSYBOX_BASE]="$BUSYBOX_IMAGE"
                [BUSYBOX_VERSION]="$BUSYBOX_VERSION")
  local extra=() tok k
  for tok in "$@"; do
    case "$tok" in
      ENV:*=*) tok="${tok#ENV:}"; extra+=("${tok%%=*}=\"${tok#*=}\"") ;;
      *=*)     V[${tok%%=*}]="${tok#*=}" ;;
      *)       die "$ref: bad variable '$tok' in $TABLE" ;;
    esac
  done
  if [ -n "${V[CUDA_VERSION]:-}" ]; then
    V[CUDA_MAJOR_MINOR]="$(cut -d. -f1,2 <<<"${V[CUDA_VERSION]}")"
  fi
  if [ -n "${V[DOTNET_CHANNEL]:-}" ]; then
    V[DOTNET_VERSION]="$(dotnet_version Microsoft.NETCore.App "${V[DOTNET_CHANNEL]}")"
    if [ -z "${V[DOTNET_VERSION]}" ]; then
      warn "$ref: no .NET ${V[DOTNET_CHANNEL]} runtime under $DOTNET_HOST_ROOT/shared; skipped"
      SKIPPED=$((SKIPPED + 1)); return 0
    fi
  fi
  if [ "${#extra[@]}" -gt 0 ]; then
    V[EXTRA_ENV]="ENV $(printf '%s\n' "${extra[@]}" | sed '2,$s/^/    /' | sed '$!s/$/ \\/')"
  else
    V[EXTRA_ENV]=""
  fi

  # Render: substitute until stable (values may reference other variables).
  local df prev
  df="$(<"$tfile")"
  for _ in 1 2 3; do
    prev="$df"
    for k in "${!V[@]}"; do df="${df//"{{$k}}"/"${V[$k]}"}"; done
    [ "$df" != "$prev" ] || break
  done
  if grep -qE '\{\{[A-Za-z0-9_]+\}\}' <<<"$df"; then
    die "$ref: unresolved $(grep -oE '\{\{[A-Za-z0-9_]+\}\}' <<<"$df" | sort -u | tr '\n' ' ')in $tfile"
  fi

  local recipe
  recipe="$({
    printf 'schema %s\n%s\n' "$RECIPE_SCHEMA" "$df"
    if [ -d "$files" ]; then (cd "$files" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); fi
    # The arm64 recipe is make_arm64_variant: its text is part of the hash.
    if [ -n "${V[PLATFORMS]:-}" ]; then printf 'platforms %s\n' "${V[PLATFORMS]}"; declare -f make_arm64_variant ensure_arm64_tarball; fi
  } | sha256sum | cut -c1-16)"

  local current
  if [ -n "${V[PLATFORMS]:-}" ]; then current="$(remote_index_recipe "$target_repo" "$tag")"; else current="$(remote_recipe "$target_repo" "$tag")"; fi
  if [ "${AIC_STANDINS_FORCE:-0}" != 1 ] && [ "$current" = "$recipe" ]; then
    FRESH=$((FRESH + 1)); return 0
  fi

  local t=$SECONDS ctx logf
  logf="$LOGS/standin-$(tr -c 'A-Za-z0-9_.-' '_' <<<"$ref" | sed 's/_$//').log"
  case "$df" in *"$BASE_IMAGE"*) ensure_base_image ;; esac
  case "$df" in *"$BUSYBOX_IMAGE"*) ensure_busybox_image ;; esac
  ctx="$(mktemp -d "$TMP_ROOT/ctx.XXXXXX")"
  CLEANUP+=("$ctx")
  [ -d "$files" ] && cp -a "$files/." "$ctx/"
  printf '%s\n' "$df" >"$ctx/Dockerfile"
  if [ -n "${V[DOTNET_FRAMEWORKS]:-}" ]; then            # host .NET runtime, no sdk/ or packs/
    mkdir -p "$ctx/dotnet/shared"
    local f fw v
    for f in dotnet host LICENSE.txt ThirdPartyNotices.txt; do
      [ -e "$DOTNET_HOST_ROOT/$f" ] || continue
      cp -al "$DOTNET_HOST_ROOT/$f" "$ctx/dotnet/" 2>/dev/null || cp -a "$DOTNET_HOST_ROOT/$f" "$ctx/dotnet/"
    done
    for fw in ${V[DOTNET_FRAMEWORKS]//,/ }; do
      v="$(dotnet_version "$fw" "${V[DOTNET_CHANNEL]}")"
      [ -n "$v" ] || die "$ref: framework $fw ${V[DOTNET_CHANNEL]} not installed under $DOTNET_HOST_ROOT"
      mkdir -p "$ctx/dotnet/shared/$fw"
      cp -al "$DOTNET_HOST_ROOT/shared/$fw/$v" "$ctx/dotnet/shared/$fw/" 2>/dev/null ||
        cp -a "$DOTNET_HOST_ROOT/shared/$fw/$v" "$ctx/dotnet/shared/$fw/"
    done
  fi

  log "stand-in $ref: building -> $target"
  if ! docker build --network host -t "$target" \
        --label ai.containers.standin=true \
        --label "ai.containers.standin.of=$ref" \
        --label "ai.containers.standin.recipe=$recipe" \
        --label "ai.containers.standin.note=Stand-in built by AiContainers build/standins.sh for offline tests; not the real image (no CUDA, no real framework)" \
        "$ctx" >"$logf" 2>&1; then
    tail -n 25 "$logf" >&2
    warn "stand-in $ref: build failed (log: $logf)"
    FAILED+=("$ref"); return 0
  fi
  if [ -n "${V[PLATFORMS]:-}" ]; then
    [ "${V[PLATFORMS]}" = "linux/amd64,linux/arm64" ] || die "$ref: PLATFORMS supports linux/amd64,linux/arm64 only"
    # Per-platform tags, then the tag itself as one index over both (Docker manifest list).
    docker manifest rm "$target" >/dev/null 2>&1 || true     # a local list left by a failed run
    if ! { docker tag "$target" "$target-linux-amd64" && docker push "$target-linux-amd64" &&
           make_arm64_variant "$target" "$target-linux-arm64" "$logf" &&
           docker manifest create --insecure "$target" "$target-linux-amd64" "$target-linux-arm64" &&
           docker manifest push --insecure --purge "$target"; } >>"$logf" 2>&1; then
      tail -n 10 "$logf" >&2
      warn "stand-in $ref: multi-platform push failed (log: $logf)"
      FAILED+=("$ref"); return 0
    fi
  elif ! docker push "$target" >>"$logf" 2>&1; then
    tail -n 10 "$logf" >&2
    warn "stand-in $ref: push failed (log: $logf)"
    FAILED+=("$ref"); return 0
  fi
  rm -rf "$ctx"
  BUILT=$((BUILT + 1))
  log "stand-in $ref: pushed ($(human "$(docker image inspect -f '{{.Size}}' "$target")"), $(elapsed "$t"))"
}

# ------------------------------------------------------------------ table
SELECT="${AIC_STANDINS:-all}"
[ "$SELECT" != none ] || { log "AIC_STANDINS=none: nothing to do"; exit 0; }
selected() { # ref group
  case "$SELECT" in
    all) return 0 ;;
    minimal) [ "$2" = minimal ]; return ;;
  esac
  local pat
  for pat in ${SELECT//,/ }; do
    # shellcheck disable=SC2053
    [[ "$1" == $pat ]] && return 0
  done
  return 1
}

log "stand-in images ($SELECT) -> $AIC_MIRROR"
n=0
while read -r ref tpl group rest || [ -n "${ref:-}" ]; do
  case "${ref:-#}" in \#*) continue ;; esac
  [ -n "${tpl:-}" ] && [ -n "${group:-}" ] || die "bad line in $TABLE: $ref $tpl $group"
  selected "$ref" "$group" || continue
  n=$((n + 1))
  read -ra vars <<<"${rest:-}"
  process "$ref" "$tpl" ${vars[@]+"${vars[@]}"} </dev/null
done <"$TABLE"
[ "$n" -gt 0 ] || warn "AIC_STANDINS='$SELECT' matched no line of $TABLE"

log "stand-ins: $BUILT built, $FRESH up to date, $SKIPPED skipped, ${#FAILED[@]} failed ($(elapsed "$T0"))"
[ "${#FAILED[@]}" -eq 0 ] || die "stand-ins failed: ${FAILED[*]}"
