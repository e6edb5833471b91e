#!/usr/bin/env bash
# The main job: publish the sample ONNX inference service end to end. Sets up the engine and the
# local registry, packs the SDK, runs `dotnet publish -p:PublishAiImage=true` on
# samples/SentimentService (build, tag, push to 127.0.0.1:5000), then runs the pushed image, waits
# for its health check, and calls /health and /predict.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/build/setup.sh"
# shellcheck disable=SC1091
. "${AIC_STATE:-/var/lib/aic-dev}/env.sh"
export NUGET_PACKAGES="$root/artifacts/nuget-packages"
"$root/build/pack.sh"

mirror_args=()
if [ -n "${AIC_USE_DOCKER_HUB:-}" ]; then
  echo "[aic-demo] AIC_USE_DOCKER_HUB set: building on the real nvidia/cuda image from Docker Hub"
else
  echo "[aic-demo] Docker Hub is not reachable here: the nvidia/cuda base that ONNX Runtime's GPU package needs"
  echo "[aic-demo] comes from the STAND-IN $AIC_MIRROR/nvidia/cuda:... (Debian, same ENV contract, NO CUDA),"
  echo "[aic-demo] so /health reports the CPU provider (the model falls back to the CPU without a GPU)"
  echo "[aic-demo] through AiRegistryMirror; set AIC_USE_DOCKER_HUB=1 on a machine that reaches Docker Hub."
  mirror_args=("-p:AiRegistryMirror=docker.io=$AIC_MIRROR")
fi

image="$AIC_REGISTRY/samples/sentiment:0.1.0"
cd "$root/samples/SentimentService"
dotnet publish -c Release -nologo -p:PublishAiImage=true -p:ContainerRegistry="$AIC_REGISTRY" \
  -p:AiBuildNetwork=host "${mirror_args[@]}"
echo "[aic-demo] image.json:"; cat bin/Release/aicontainer/image.json

port=${AIC_DEMO_PORT:-18080}
name="aic-demo-$$"
docker rm -f "$name" >/dev/null 2>&1 || true
docker pull -q "$image" >/dev/null
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
# The port moves at run time (ASPNETCORE_HTTP_PORTS) and the image's own HEALTHCHECK follows it: its probe reads
# the same variable when it runs. Only the interval is shortened, so the demo does not wait 30 s for the first probe.
docker run -d --name "$name" --network host -e ASPNETCORE_HTTP_PORTS="$port" --health-interval 2s \
  "$image" >/dev/null
echo "[aic-demo] the image's health check: $(docker inspect --format '{{json .Config.Healthcheck.Test}}' "$name")"
echo "[aic-demo] waiting for the container's health check"
for _ in $(seq 1 60); do
  status=$(docker inspect --format '{{.State.Health.Status}}' "$name")
  [ "$status" = healthy ] && break
  sleep 1
done
echo "[aic-demo] health status: $status"
[ "$status" = healthy ] || { docker logs "$name"; exit 1; }
echo "[aic-demo] GET /health -> $(curl -fsS "http://127.0.0.1:$port/health")"
body='{"features":[[1,0,0,0],[0,0,1,1]]}'
echo "[aic-demo] POST /predict $body"
echo "[aic-demo] prediction: $(curl -fsS -X POST -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$port/predict")"
