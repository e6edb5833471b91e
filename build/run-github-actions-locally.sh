#!/usr/bin/env bash
# Runs docs/ci/github-actions.yml's run: blocks in order on this machine, against the local registries that
# build/setup.sh starts, in a temporary repository laid out as the workflow expects a user's to be:
#   src/SentimentService/   a copy of samples/SentimentService (the workflow's PROJECT)
#   nuget.config            docs/ci/nuget.config as it is (the feed is %AICONTAINERS_FEED%)
#   global.json             AiContainers.Sdk pinned to the version build/pack.sh packed (artifacts/packages)
#   Repository.slnx         so `dotnet restore` / `dotnet test` at the root find the project
# committed with git, so the workflow's `git log -1 --format=%ct` (SOURCE_DATE_EPOCH) works as after a checkout.
#
#   build/run-github-actions-locally.sh [WORKFLOW]      (default docs/ci/github-actions.yml)
#
# The stand-ins for GitHub's contexts (build/run-github-actions-locally.py substitutes them):
#   env.REGISTRY          $AIC_AUTH_REGISTRY (127.0.0.1:5001, htpasswd), so the push really authenticates
#   github.actor          $AIC_AUTH_USER and secrets.GITHUB_TOKEN its password: the workflow's credentials
#   vars.AICONTAINERS_FEED  artifacts/packages (the folder build/pack.sh writes)
#   github.repository     aic-ci/sentiment-<random>, so each run pushes a repository of its own
#   secrets.HF_TOKEN      empty (the sample fetches no gated model)
# and, outside the workflow, what only this machine needs: AiRegistryMirror (the stand-in base images; MSBuild
# reads environment variables as properties, so the workflow itself carries no trace of it), AiBuildNetwork=host
# (no bridge network), DOCKER_HOST, NUGET_PACKAGES=artifacts/nuget-packages, and XDG_CACHE_HOME in
# artifacts/ci-local/cache (kept between runs: what actions/cache restores on GitHub).
#
# Prints each block, its output (secrets masked), and at the end the job's outputs (image=..., digest=...).
# Exits non-zero when a block fails, an expression has no local value, or an output comes out empty.
# Environment: AIC_CI_REGISTRY (default $AIC_AUTH_REGISTRY), AIC_CI_KEEP=1 keeps the temporary repository.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
workflow=$(realpath "${1:-$root/docs/ci/github-actions.yml}")

# shellcheck disable=SC1091
[ -f "${AIC_STATE:-/var/lib/aic-dev}/env.sh" ] && . "${AIC_STATE:-/var/lib/aic-dev}/env.sh"
: "${AIC_REGISTRY:=127.0.0.1:5000}" "${AIC_AUTH_REGISTRY:=127.0.0.1:5001}" "${AIC_AUTH_USER:=aic}"
: "${AIC_AUTH_PASSWORD_FILE:=/var/lib/aic-dev/auth-registry.password}" "${AIC_MIRROR:=$AIC_REGISTRY/standin}"
registry=${AIC_CI_REGISTRY:-$AIC_AUTH_REGISTRY}
[ -r "$AIC_AUTH_PASSWORD_FILE" ] || { echo "[ci-local] $AIC_AUTH_PASSWORD_FILE is missing: run build/setup.sh first" >&2; exit 2; }
curl -fsS -o /dev/null "http://$AIC_REGISTRY/v2/" || { echo "[ci-local] no registry at $AIC_REGISTRY: run build/setup.sh first" >&2; exit 2; }

export NUGET_PACKAGES="$root/artifacts/nuget-packages"
packages="$root/artifacts/packages"
if [ ! -f "$packages/version.txt" ] || [ ! -f "$packages/AiContainers.Sdk.$(cat "$packages/version.txt").nupkg" ]; then
  "$root/build/pack.sh"
fi
version=$(cat "$packages/version.txt")

work=$(mktemp -d /tmp/aic-ci-local.XXXXXX)
cleanup() { if [ "${AIC_CI_KEEP:-0}" = 1 ]; then echo "[ci-local] kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
repo="$work/repo"
mkdir -p "$repo/src/SentimentService"
# The sample without build output; bin/ and obj/ would carry another checkout's absolute paths.
(cd "$root/samples/SentimentService" && find . -type f -not -path './bin/*' -not -path './obj/*' -print0 |
  xargs -0 cp --parents -t "$repo/src/SentimentService")
cp "$root/docs/ci/nuget.config" "$repo/nuget.config"
printf '{\n  "msbuild-sdks": { "AiContainers.Sdk": "%s" }\n}\n' "$version" >"$repo/global.json"
printf '<Solution>\n  <Project Path="src/SentimentService/SentimentService.csproj" />\n</Solution>\n' >"$repo/Repository.slnx"
printf 'bin/\nobj/\n' >"$repo/.gitignore"
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name=ci-local -c user.email=ci-local@localhost commit -q -m "local CI run"
sha=$(git -C "$repo" rev-parse HEAD)
run_id=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')

# The local map of contexts, handed over in a file only this user can read (it holds the registry password).
context="$work/context.json"
(umask 077
 AIC_CI_PASSWORD=$(head -n1 "$AIC_AUTH_PASSWORD_FILE") REPOSITORY="aic-ci/sentiment-$run_id" SHA="$sha" REPO_DIR="$repo" \
 REGISTRY="$registry" FEED="$packages" python3 - >"$context" <<'PY'
import json, os
print(json.dumps({
    "secrets": {"GITHUB_TOKEN": os.environ["AIC_CI_PASSWORD"], "HF_TOKEN": ""},
    "vars": {"AICONTAINERS_FEED": os.environ["FEED"]},
    "github": {"actor": os.environ["AIC_AUTH_USER"], "repository": os.environ["REPOSITORY"], "sha": os.environ["SHA"],
               "ref": "refs/heads/main", "ref_name": "main", "workspace": os.environ["REPO_DIR"], "event_name": "push"},
    "runner": {"os": "Linux", "temp": os.path.join(os.path.dirname(os.environ["REPO_DIR"]), "runner-temp")},
    "env": {"REGISTRY": os.environ["REGISTRY"]},
}))
PY
)
mkdir -p "$work/runner-temp" "$root/artifacts/ci-local/cache"

# The runner's default environment variables (GitHub sets these for every step).
export CI=true GITHUB_ACTIONS=true GITHUB_WORKSPACE="$repo" GITHUB_SHA="$sha" GITHUB_REPOSITORY="aic-ci/sentiment-$run_id"
export GITHUB_REF=refs/heads/main GITHUB_REF_NAME=main GITHUB_ACTOR="$AIC_AUTH_USER" GITHUB_EVENT_NAME=push
export GITHUB_STEP_SUMMARY="$work/step-summary.md" RUNNER_OS=Linux RUNNER_TEMP="$work/runner-temp"
# This machine only: stand-in base images, host network for RUN steps, the engine, a kept cache.
export AiRegistryMirror="docker.io=$AIC_MIRROR;mcr.microsoft.com=$AIC_MIRROR/mcr.microsoft.com"
export AiBuildNetwork=host DOCKER_HOST="${DOCKER_HOST:-unix:///run/aic-docker/docker.sock}"
export XDG_CACHE_HOME="$root/artifacts/ci-local/cache" DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDTERMINALLOGGER=off
export AIC_CI_CONTEXT="$context"
touch "$GITHUB_STEP_SUMMARY"

echo "[ci-local] $workflow in $repo (AiContainers.Sdk $version, registry $registry)"
rc=0
python3 "$root/build/run-github-actions-locally.py" "$workflow" "$repo" "$root/artifacts/ci-local/artifacts" || rc=$?
if [ -s "$GITHUB_STEP_SUMMARY" ]; then
  echo "[ci-local] step summary:"
  sed 's/^/    /' "$GITHUB_STEP_SUMMARY"
fi
exit "$rc"
