#!/usr/bin/env bash
# The test command: sets up the real infrastructure (Docker engine, registries, stand-in base
# images), packs the SDK, installs the offline Dockerfile linter, and runs every test.
#   build/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~EndToEnd]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/build/setup.sh"
# shellcheck disable=SC1091
. "${AIC_STATE:-/var/lib/aic-dev}/env.sh"
export NUGET_PACKAGES="$root/artifacts/nuget-packages"
"$root/build/pack.sh"

# dockerfile-utils (npm) lints the generated Dockerfiles offline; @huggingface/hub (npm), a real Hugging Face
# client, reads the hf-cache weights layout (Weights/hf-cache-check.mjs); @actions/workflow-parser, GitHub's own
# workflow parser and schema, checks docs/ci/github-actions.yml (Docs/github-workflow-check.mjs); @cyclonedx/cyclonedx-library
# ships the CycloneDX JSON schemas and validates SBOMs against them with ajv (Sbom/sbom-schema-check.mjs). Installed once into artifacts/node.
if [ ! -x "$root/artifacts/node/node_modules/.bin/dockerfile-utils" ] || [ ! -f "$root/artifacts/node/node_modules/@huggingface/hub/package.json" ] ||
   [ ! -f "$root/artifacts/node/node_modules/@actions/workflow-parser/package.json" ] ||
   [ ! -f "$root/artifacts/node/node_modules/@cyclonedx/cyclonedx-library/package.json" ] || [ ! -f "$root/artifacts/node/node_modules/ajv-formats-draft2019/package.json" ]; then
  echo "[aic-test] installing dockerfile-utils, @huggingface/hub, @actions/workflow-parser and @cyclonedx/cyclonedx-library (with ajv) into artifacts/node"
  npm install --silent --no-audit --no-fund --prefix "$root/artifacts/node" dockerfile-utils@0.16.3 @huggingface/hub@2.17.5 @actions/workflow-parser@0.3.61 \
    @cyclonedx/cyclonedx-library@10.3.0 ajv@8.20.0 ajv-formats@3.0.1 ajv-formats-draft2019@1.6.1 >/dev/null
fi
export AIC_DOCKERFILE_LINTER="$root/artifacts/node/node_modules/.bin/dockerfile-utils"

# The engine here has no bridge network: RUN steps use the host network. Base images come from the
# stand-ins through the mirror (Docker Hub and mcr.microsoft.com are unreachable here).
export AiBuildNetwork=host
export AIC_TEST_MIRROR="docker.io=$AIC_MIRROR;mcr.microsoft.com=$AIC_MIRROR/mcr.microsoft.com"
# Engine-backed tests fail instead of skipping when the engine is missing.
export AIC_REQUIRE_ENGINE=1

# Progress: VSTest's console logger at normal verbosity prints each test as it finishes ("Passed name
# [time]"); at the default (minimal) a whole run prints nothing between "A total of 1 test files matched"
# and the summary. Normal verbosity ends with "Total tests: N / Passed: N / Failed: N" (.ci/run reads it).
# A --logger of the caller's own replaces this one.
logger=(--logger "console;verbosity=normal")
for arg in "$@"; do case "$arg" in --logger|--logger:*|-l) logger=() ;; esac; done
dotnet test "$root/tests/AiContainers.Tests/AiContainers.Tests.csproj" -c Release -nologo "${logger[@]}" "$@"
