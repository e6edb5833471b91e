#!/usr/bin/env bash
# Local infrastructure for AiContainers development and CI (Debian 12, root).
#
#   build/setup.sh            install what is missing, start what is not answering,
#                             build/push stand-in base images, write $AIC_STATE/env.sh
#   source /var/lib/aic-dev/env.sh
#   build/teardown.sh [--purge]
#
# Starts (only when not already answering):
#   dockerd          unix:///run/aic-docker/docker.sock  (--bridge=none, no iptables: never
#                    a Docker bridge network; build/run with network mode host)
#   open registry    http://127.0.0.1:5000   storage /var/lib/aic-registry/open, delete enabled
#   auth registry    http://127.0.0.1:5001   htpasswd, user aic, password in
#                    $AIC_STATE/auth-registry.password (generated once)
# Idempotent: a second run with everything up takes a few seconds.
#
# Environment: AIC_STATE (/var/lib/aic-dev), AIC_CACHE (/var/cache/aic-dev),
#   AIC_STANDINS=all|minimal|none|"ref-glob ..." (default all; see build/standins.sh),
#   AIC_STANDINS_FORCE=1 rebuilds stand-ins, AIC_SKIP_PACKAGES=1 skips the package check,
#   AIC_REGISTRY_PORT/AIC_AUTH_REGISTRY_PORT (5000/5001), AIC_DOCKER_ROOT, AIC_DOCKER_EXEC,
#   AIC_REGISTRY_ROOT, AIC_STANDIN_MIRROR (default 127.0.0.1:$AIC_REGISTRY_PORT/standin).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
require_root
take_lock
mkdir -p "$AIC_STATE" "$AIC_PIDS" "$AIC_CACHE"
chmod 755 "$AIC_STATE"

# ---------------------------------------------------------------- packages
# command-or-file -> Debian package. Checked with dpkg so a half-present tool is noticed.
ensure_packages() {
  local want=(docker.io docker-registry skopeo debootstrap docker-compose apache2-utils
              busybox-static python3-onnx python3-numpy curl ca-certificates jq openssl
              podman gcc-aarch64-linux-gnu libc6-dev-arm64-cross file chromium python3-yaml)
  command -v node >/dev/null 2>&1 || want+=(nodejs npm)
  local missing=() p
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # Tools can come from elsewhere (e.g. docker CLI in /usr/local/bin); only the packages matter.
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  local t=$SECONDS rc=0 policy=/usr/sbin/policy-rc.d
  # On a systemd machine the docker.io/docker-registry postinst would start the distro
  # dockerd (default bridge, 172.17.0.0/16) and a registry on :5000. policy-rc.d forbids
  # service starts during this install; it is removed again unless it was there before.
  local own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, build/setup.sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; own_policy=1
  fi
  { apt-get -qq -o Dpkg::Use-Pty=0 update &&
    apt-get -qq -o Dpkg::Use-Pty=0 install -y --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
  [ "$own_policy" = 0 ] || rm -f "$policy"
  [ "$rc" = 0 ] || die "apt-get failed (rc $rc) installing: ${missing[*]}"
  log "packages installed ($(elapsed "$t"))"
}
if [ "${AIC_SKIP_PACKAGES:-0}" != 1 ]; then ensure_packages; fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  for u in docker.service docker.socket docker-registry.service; do
    systemctl is-active --quiet "$u" 2>/dev/null &&
      warn "systemd unit $u is active (distro default: bridge network / registry on :5000); consider: systemctl disable --now $u"
  done
fi
for c in dockerd docker docker-registry skopeo debootstrap htpasswd curl jq setsid flock; do
  command -v "$c" >/dev/null 2>&1 || die "required command '$c' not found"
done

# ---------------------------------------------------------------- dockerd
start_dockerd() {
  if docker_ping; then
    log "dockerd already answering on $AIC_DOCKER_SOCK"
    return 0
  fi
  local pid
  if pid="$(pid_alive dockerd)"; then
    log "dockerd (pid $pid, ours) is running but not answering yet; waiting"
  else
    mkdir -p "$AIC_DOCKER_ROOT" "$AIC_DOCKER_EXEC"
    # A stale pid file from a crashed/killed dockerd makes the next one refuse to start.
    if [ -f "$AIC_DOCKER_EXEC/docker.pid" ]; then
      local old; old="$(cat "$AIC_DOCKER_EXEC/docker.pid" 2>/dev/null || true)"
      if [ -n "$old" ] && [ -d "/proc/$old" ]; then
        die "a dockerd (pid $old) owns $AIC_DOCKER_EXEC but does not answer; stop it first"
      fi
      rm -f "$AIC_DOCKER_EXEC/docker.pid"
    fi
    log "starting dockerd (log: $AIC_STATE/dockerd.log)"
    # --bridge=none/--iptables=false/--ip-forward=false are mandatory on these machines:
    # the default bridge would use 172.17.0.0/16.
    spawn dockerd "$AIC_STATE/dockerd.log" "--exec-root $AIC_DOCKER_EXEC" \
      dockerd --bridge=none --iptables=false --ip-forward=false \
        --data-root "$AIC_DOCKER_ROOT" --exec-root "$AIC_DOCKER_EXEC" \
        -H "unix://$AIC_DOCKER_SOCK" --pidfile "$AIC_DOCKER_EXEC/docker.pid"
  fi
  if ! wait_for 60 dockerd docker_ping; then
    tail -n 30 "$AIC_STATE/dockerd.log" >&2 || true
    die "dockerd did not answer /_ping within 60 s (log: $AIC_STATE/dockerd.log)"
  fi
  log "dockerd up"
}

# ---------------------------------------------------------------- registries
random_hex() {
  if command -v openssl >/dev/null 2>&1; then openssl rand -hex 16
  else head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; echo; fi
}

# Writes FILE from stdin only when the content differs. Returns 0 when it changed.
write_if_changed() { # file [mode]
  local f="$1" mode="${2:-644}" tmp
  tmp="$(mktemp "$f.XXXXXX")"
  cat >"$tmp"
  chmod "$mode" "$tmp"
  if [ -f "$f" ] && cmp -s "$tmp" "$f"; then rm -f "$tmp"; return 1; fi
  mv -f "$tmp" "$f"
  return 0
}

registry_config() { # name addr rootdir [auth-yaml]
  local secret_file="$AIC_STATE/registry-http.secret"
  [ -s "$secret_file" ] || (umask 077; random_hex >"$secret_file")
  cat <<EOF
# Written by build/setup.sh. Debian docker-registry (distribution 2.8).
version: 0.1
log:
  level: info
  formatter: text
  fields: { service: registry-$1 }
storage:
  filesystem: { rootdirectory: $3 }
  delete: { enabled: true }
  cache: { blobdescriptor: inmemory }
http:
  addr: $2
  secret: $(cat "$secret_file")
  headers: { X-Content-Type-Options: [nosniff] }
$4
EOF
}

# name addr rootdir probe-function config-changed(0/1)
start_registry() {
  local name="$1" addr="$2" changed="$5" probe="$4" cfg="$AIC_STATE/registry-$1.yml" pid
  if pid="$(pid_alive "registry-$name")" && [ "$changed" = 1 ]; then
    log "registry-$name config changed: restarting (pid $pid)"
    kill "$pid"
    wait_for 20 "registry-$name exit" eval "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
  elif "$probe"; then
    [ "$changed" = 1 ] && warn "registry-$name config changed but the running one was not started by setup.sh; not restarting it"
    log "registry-$name already answering on $addr"
    return 0
  fi
  if ! pid_alive "registry-$name" >/dev/null; then
    mkdir -p "$3"
    log "starting registry-$name on $addr (log: $AIC_STATE/registry-$name.log)"
    spawn "registry-$name" "$AIC_STATE/registry-$name.log" "$cfg" docker-registry serve "$cfg"
  fi
  if ! wait_for 20 "registry-$name" "$probe"; then
    tail -n 20 "$AIC_STATE/registry-$name.log" >&2 || true
    die "registry-$name did not answer on http://$addr/v2/ (log: $AIC_STATE/registry-$name.log)"
  fi
  log "registry-$name up"
}

start_registries() {
  local changed
  # open registry
  changed=0
  registry_config open "$AIC_REGISTRY" "$AIC_REGISTRY_ROOT/open" "" |
    write_if_changed "$AIC_STATE/registry-open.yml" && changed=1
  start_registry open "$AIC_REGISTRY" "$AIC_REGISTRY_ROOT/open" open_registry_up "$changed"

  # auth registry: password generated once, htpasswd regenerated when it no longer matches
  changed=0
  if [ ! -s "$AIC_AUTH_PASSWORD_FILE" ]; then
    log "generating password for user $AIC_AUTH_USER -> $AIC_AUTH_PASSWORD_FILE"
    (umask 077; random_hex >"$AIC_AUTH_PASSWORD_FILE")
  fi
  chmod 600 "$AIC_AUTH_PASSWORD_FILE"
  local htp="$AIC_STATE/auth-registry.htpasswd" pw
  pw="$(head -n1 "$AIC_AUTH_PASSWORD_FILE")"
  if ! [ -s "$htp" ] || ! printf '%s' "$pw" | htpasswd -vi "$htp" "$AIC_AUTH_USER" >/dev/null 2>&1; then
    # -i: password on stdin (same as -Bbn without putting it on a command line)
    printf '%s' "$pw" | htpasswd -iBn "$AIC_AUTH_USER" | sed '/^$/d' | write_if_changed "$htp" 600 || true
    changed=1
  fi
  registry_config auth "$AIC_AUTH_REGISTRY" "$AIC_REGISTRY_ROOT/auth" \
    "auth: { htpasswd: { realm: aic, path: $htp } }" |
    write_if_changed "$AIC_STATE/registry-auth.yml" && changed=1
  start_registry auth "$AIC_AUTH_REGISTRY" "$AIC_REGISTRY_ROOT/auth" auth_registry_up "$changed"
}

write_env() {
  write_if_changed "$AIC_STATE/env.sh" 644 <<EOF || true
# Written by build/setup.sh: local AiContainers infrastructure. Usage: source $AIC_STATE/env.sh
export AIC_STATE=$AIC_STATE
export DOCKER_HOST=unix://$AIC_DOCKER_SOCK
export AIC_REGISTRY=$AIC_REGISTRY
export AIC_AUTH_REGISTRY=$AIC_AUTH_REGISTRY
export AIC_AUTH_USER=$AIC_AUTH_USER
export AIC_AUTH_PASSWORD_FILE=$AIC_AUTH_PASSWORD_FILE
# Stand-in base images (Debian with the real images' ENV/label contract, NO CUDA inside):
# <original repo path>:<tag> lives at \$AIC_MIRROR/<original repo path>:<tag>
export AIC_MIRROR=$AIC_MIRROR
export DOTNET_CONTAINER_INSECURE_REGISTRIES='$AIC_REGISTRY;$AIC_AUTH_REGISTRY'
EOF
}

start_dockerd
start_registries
write_env

if [ "${AIC_STANDINS:-all}" != none ]; then
  AIC_LOCK_HELD=1 "$AIC_BUILD_DIR/standins.sh"
else
  log "AIC_STANDINS=none: stand-in images skipped"
fi

log "ready in $(elapsed "$T0"): dockerd unix://$AIC_DOCKER_SOCK, registries $AIC_REGISTRY (open) and $AIC_AUTH_REGISTRY (user $AIC_AUTH_USER)"
log "run: source $AIC_STATE/env.sh"
