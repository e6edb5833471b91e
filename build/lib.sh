# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for build/setup.sh, build/standins.sh and build/teardown.sh.
# Sourced, never run. Every path and port can be overridden from the environment.

AIC_STATE="${AIC_STATE:-/var/lib/aic-dev}"            # configs, logs, pid files, env.sh
AIC_CACHE="${AIC_CACHE:-/var/cache/aic-dev}"          # debootstrap tarball (survives --purge)
AIC_DOCKER_ROOT="${AIC_DOCKER_ROOT:-/var/lib/aic-docker}"
AIC_DOCKER_EXEC="${AIC_DOCKER_EXEC:-/run/aic-docker}"
AIC_DOCKER_SOCK="${AIC_DOCKER_SOCK:-$AIC_DOCKER_EXEC/docker.sock}"
AIC_REGISTRY_ROOT="${AIC_REGISTRY_ROOT:-/var/lib/aic-registry}"
AIC_REGISTRY_PORT="${AIC_REGISTRY_PORT:-5000}"
AIC_AUTH_REGISTRY_PORT="${AIC_AUTH_REGISTRY_PORT:-5001}"
AIC_AUTH_USER="${AIC_AUTH_USER:-aic}"

AIC_REGISTRY="127.0.0.1:$AIC_REGISTRY_PORT"
AIC_AUTH_REGISTRY="127.0.0.1:$AIC_AUTH_REGISTRY_PORT"
AIC_AUTH_PASSWORD_FILE="$AIC_STATE/auth-registry.password"
# Where stand-ins are pushed. Deliberately not read from AIC_MIRROR (tests may export that).
AIC_MIRROR="${AIC_STANDIN_MIRROR:-$AIC_REGISTRY/standin}"
AIC_PIDS="$AIC_STATE/pids"

export DOCKER_HOST="unix://$AIC_DOCKER_SOCK"
export DOCKER_BUILDKIT=0              # the engine (20.10, no buildx) only has the classic builder
export DEBIAN_FRONTEND=noninteractive

_aic_build_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AIC_BUILD_DIR="$_aic_build_dir"

log()  { printf '[aic-setup] %s\n' "$*"; }
warn() { printf '[aic-setup] WARNING: %s\n' "$*" >&2; }
die()  { printf '[aic-setup] ERROR: %s\n' "$*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (starts dockerd, writes /var/lib, /run)"
}

# Serialise setup/teardown runs: one lock file, held on fd 9 until the script exits.
take_lock() {
  mkdir -p "$AIC_STATE"
  exec 9>"$AIC_STATE/.lock"
  if ! flock -n 9; then
    log "another setup/teardown run holds $AIC_STATE/.lock; waiting"
    flock 9
  fi
}

# ---------- processes started by us ----------
# A pid file holds two lines: the pid and a string its /proc/PID/cmdline must contain.
# That guards against acting on a recycled pid that belongs to somebody else.
pid_write() { # name pid marker
  mkdir -p "$AIC_PIDS"
  printf '%s\n%s\n' "$2" "$3" >"$AIC_PIDS/$1.pid"
}

# Prints the pid recorded for NAME when that process is still ours and alive.
pid_alive() { # name
  local f="$AIC_PIDS/$1.pid" pid marker
  [ -f "$f" ] || return 1
  { read -r pid; read -r marker; } <"$f" || true
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker" || return 1
  printf '%s\n' "$pid"
}

# Start a long-running service in its own session so it outlives this script and the
# caller's process group. Records the pid. Usage: spawn NAME LOGFILE MARKER cmd args...
spawn() {
  local name="$1" logf="$2" marker="$3"; shift 3
  mkdir -p "$(dirname "$logf")"
  # A backgrounded child of a non-interactive shell is never a process-group leader,
  # so setsid execs in place and $! is the daemon's own pid.
  # 9>&-: do not hand the setup lock (fd 9, see take_lock) to a daemon that outlives us.
  setsid "$@" </dev/null >>"$logf" 2>&1 9>&- &
  local pid=$!
  pid_write "$name" "$pid" "$marker"
  sleep 0.2
  pid_alive "$name" >/dev/null || {
    tail -n 20 "$logf" >&2 || true
    die "$name exited right after start (log: $logf)"
  }
}

# ---------- probes ----------
docker_ping() {
  [ -S "$AIC_DOCKER_SOCK" ] &&
    [ "$(curl -fsS --max-time 3 --unix-socket "$AIC_DOCKER_SOCK" http://localhost/_ping 2>/dev/null)" = OK ]
}

http_code() { # url -> prints status code (000 when nothing answers)
  curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$1" 2>/dev/null || true
}

open_registry_up() { [ "$(http_code "http://$AIC_REGISTRY/v2/")" = 200 ]; }
auth_registry_up() { [ "$(http_code "http://$AIC_AUTH_REGISTRY/v2/")" = 401 ]; }

wait_for() { # seconds description command...   (description: for readers of the call site)
  local secs="$1"; shift 2
  local end=$((SECONDS + secs))
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.25
  done
}

elapsed() { printf '%ds' "$((SECONDS - ${1:-0}))"; }
