#!/usr/bin/env bash
# Stops what build/setup.sh started (only processes recorded in $AIC_STATE/pids and still
# matching their command line), waits for them to exit and removes their pid files.
# Data, configs, the registry password and caches stay, so setup.sh brings back the same state.
#
#   build/teardown.sh            stop registries and dockerd
#   build/teardown.sh --purge    also delete /var/lib/aic-registry and /var/lib/aic-docker
#                                (images, containers, registry contents). $AIC_STATE and
#                                $AIC_CACHE (the debootstrap tarball) are kept.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PURGE=0
for a in "$@"; do
  case "$a" in
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument '$a' (use --purge or --help)" ;;
  esac
done

T0=$SECONDS
require_root
take_lock

stop() { # name seconds
  local name="$1" secs="$2" pid
  if ! pid="$(pid_alive "$name")"; then
    [ -f "$AIC_PIDS/$name.pid" ] && log "$name: not running (stale pid file removed)"
    rm -f "$AIC_PIDS/$name.pid"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for "$secs" "$name exit" eval "! kill -0 $pid 2>/dev/null"; then
    warn "$name (pid $pid) still running after ${secs}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 "$name exit" eval "! kill -0 $pid 2>/dev/null" || die "$name (pid $pid) does not exit"
  fi
  rm -f "$AIC_PIDS/$name.pid"
}

stop registry-auth 20
stop registry-open 20
# dockerd stops running containers (up to 15 s each by default) and its own containerd.
stop dockerd 90

# If dockerd had to be killed, its managed containerd may be left behind: it is ours too.
cpid_file="$AIC_DOCKER_EXEC/containerd/containerd.pid"
if [ -f "$cpid_file" ]; then
  cpid="$(cat "$cpid_file" 2>/dev/null || true)"
  if [[ "$cpid" =~ ^[0-9]+$ ]] && [ -r "/proc/$cpid/cmdline" ] &&
     tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -qF "$AIC_DOCKER_EXEC"; then
    log "stopping leftover containerd (pid $cpid)"
    kill -TERM "$cpid" 2>/dev/null || true
    wait_for 20 "containerd exit" eval "! kill -0 $cpid 2>/dev/null" || kill -KILL "$cpid" 2>/dev/null || true
  fi
fi

if [ "$PURGE" = 1 ]; then
  if docker_ping; then
    die "--purge: a dockerd not started by setup.sh still answers on $AIC_DOCKER_SOCK; not deleting $AIC_DOCKER_ROOT"
  fi
  for port in "$AIC_REGISTRY_PORT" "$AIC_AUTH_REGISTRY_PORT"; do
    [ "$(http_code "http://127.0.0.1:$port/v2/")" = 000 ] ||
      die "--purge: something still answers on 127.0.0.1:$port; not deleting $AIC_REGISTRY_ROOT"
  done
  # Leftover overlay/shm mounts would make rm -rf fail or reach into other trees.
  for root in "$AIC_DOCKER_ROOT" "$AIC_DOCKER_EXEC"; do
    awk -v d="$root/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l || true
  done
  log "purging $AIC_REGISTRY_ROOT and $AIC_DOCKER_ROOT"
  rm -rf "$AIC_REGISTRY_ROOT" "$AIC_DOCKER_ROOT" "$AIC_DOCKER_EXEC"
fi

kept="$AIC_STATE, $AIC_CACHE"
[ "$PURGE" = 1 ] || kept="$kept, $AIC_REGISTRY_ROOT, $AIC_DOCKER_ROOT"
log "teardown done ($(elapsed "$T0")); kept: $kept"
