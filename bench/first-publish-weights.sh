#!/usr/bin/env bash
# Benchmark (issue 9): the first publish of an app with 1 GiB of weights (a local model of random bytes, so nothing
# compresses) against `skopeo copy` pushing the same weights from an uncompressed docker-archive.
#   aic     dotnet publish -p:PublishAiImage=true -p:ContainerRegistry=... into a new repository, with an empty layer
#           cache and an empty model cache (the model is hashed and imported, its layer written, then uploaded);
#           the app is compiled beforehand, so the run's dotnet part is an up-to-date publish, measured alone as "noop"
#   skopeo  skopeo copy docker-archive:weights.tar docker://.../repo, the archive holding the very layer tar our
#           builder wrote (1 GiB + tar headers, uncompressed) and a minimal config; by default skopeo gzips a layer it
#           pushes to a registry, so it is measured both ways: default (compresses as it uploads) and --dest-decompress
#           (uploads the tar as is, as our builder does with weights)
# Every push of every round goes to a throwaway registry of its own (bench_fresh_registry), as a first publish meets
# it: a registry that already holds the blob lets skopeo skip the upload (its blob-info cache mounts it from the
# repository it pushed to before), which is what made an earlier version of this script time skopeo at 0.1 s.
# N rounds (default 2), interleaved. Prints medians and ours / skopeo (target <= 1.1) for what the weights cost our
# first publish (the same first publish of the same app without the model subtracted: the weights are what skopeo
# pushes), and for all our image steps (publish minus the up-to-date publish without image steps).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$bench_root
rounds=${1:-2}
bench_engine
registry=$AIC_REGISTRY
bench_weights
work=$(mktemp -d /tmp/aic-bench-first.XXXXXX)
trap 'bench_stop_registry; bench_unpack_private; rm -rf "$work"' EXIT
echo "packing the SDK of this checkout ($(load_line))"
bench_pack_private

app=$work/FirstPublishBench
mkdir -p "$app/models"
write_private_nuget_config "$app"
ln "$weights" "$app/models/weights-1g.bin" 2>/dev/null || cp "$weights" "$app/models/weights-1g.bin"
write_console_project "$app/FirstPublishBench.csproj" '<AiModel Include="bench" Source="models/weights-1g.bin" />'
echo 'Console.WriteLine("first publish bench: " + Environment.GetEnvironmentVariable("AI_MODEL_BENCH_PATH"));' > "$app/Program.cs"
# The same app without the model, published the same way: the difference is what the weights cost our publish.
bare=$work/FirstPublishBare
mkdir -p "$bare"
write_private_nuget_config "$bare"
write_console_project "$bare/FirstPublishBench.csproj" ''
cp "$app/Program.cs" "$bare/Program.cs"

aic_publish() { # $1 round, [$2 registry], [$3 docker.io mirror], [$4 project folder]
  local project=${4:-$app}
  # A first publish: no layer cache, no model cache, no lock file yet.
  rm -rf "$work/layer-cache" "$work/model-cache" "$project/aicontainers.lock.json"
  (cd "$project" && dotnet publish -c Release -nologo -v:n -clp:PerformanceSummary -p:PublishAiImage=true -p:ContainerRegistry="${2:-$registry}" \
     -p:ContainerRepository="bench/first-aic-$$-$1" -p:ContainerImageTag=1 "-p:AiRegistryMirror=docker.io=${3:-$AIC_MIRROR}" \
     -p:AiBaseImage=nvidia/cuda:12.4.1-runtime-ubuntu22.04 -p:AiLayerCacheDirectory="$work/layer-cache" \
     -p:AiModelCacheDirectory="$work/model-cache" >"$work/aic-$1.log" 2>&1) || { grep -E 'error|AIC' "$work/aic-$1.log" | tail -20; exit 1; }
}
noop_publish() { (cd "$app" && dotnet publish -c Release -nologo -v:n -clp:PerformanceSummary >"$work/noop.log" 2>&1) || { tail -20 "$work/noop.log"; exit 1; }; }
skopeo_push() { # $1 registry, $2 repository suffix, [skopeo options]
  local target=$1 name=$2; shift 2
  skopeo copy -q "$@" --dest-tls-verify=false "docker-archive:$work/weights.tar" "docker://$target/bench/first-skopeo-$$-$name:1" >/dev/null
}
# fresh SIDE...: runs SIDE against a throwaway registry started for it (not timed: started before, ended after).
# The throwaway registry gets the base first, untimed, and serves as the docker.io mirror, so our push mounts the base
# layers instead of uploading them and both sides upload the same bytes: the weights layer (ours also its app layers
# and config, a few MiB). skopeo's archive holds only the weights. Our repository is new, as on a first publish.
fresh_aic() {
  bench_fresh_registry
  skopeo copy -q --all --src-tls-verify=false --dest-tls-verify=false "docker://$AIC_MIRROR/nvidia/cuda:12.4.1-runtime-ubuntu22.04" \
    "docker://$fresh_registry/nvidia/cuda:12.4.1-runtime-ubuntu22.04" >/dev/null
  timed aic_publish "$1" "$fresh_registry" "$fresh_registry" "${2:-$app}"
  bench_stop_registry
}
fresh_skopeo() { bench_fresh_registry; timed skopeo_push "$fresh_registry" "$@"; bench_stop_registry; }

echo "warm-up (not measured): compile the apps, one publish to learn the weights layer"
(cd "$bare" && dotnet publish -c Release -nologo -v:q >/dev/null 2>&1) || { echo "the app without weights does not build"; exit 1; }
noop_publish
aic_publish 0
layer=$(python3 -c "import json,sys; print([l['digest'] for l in json.load(open(sys.argv[1]))['layers'] if l['description']=='model bench'][0])" \
  "$app/bin/Release/aicontainer/image.json")
# The docker-archive skopeo reads: the same uncompressed layer tar (as the warm-up pushed it: the layer cache keeps no
# copy of a weights layer), a minimal config naming its diff_id.
mkdir -p "$work/archive"
curl -fsS -o "$work/archive/layer.tar" "http://$registry/v2/bench/first-aic-$$-0/blobs/$layer"
blob="$work/archive/layer.tar"
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["%s"]}}' "$layer" > "$work/archive/config.json"
printf '[{"Config":"config.json","RepoTags":["bench/weights:1"],"Layers":["layer.tar"]}]' > "$work/archive/manifest.json"
tar -C "$work/archive" -cf "$work/weights.tar" manifest.json config.json layer.tar
layer_size=$(stat -c %s "$blob")
rm -rf "$work/archive"

declare -a aic_t bare_t noop_t sk_t skd_t
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then
    aic_t+=("$(fresh_aic "$r")"); bare_t+=("$(fresh_aic "bare-$r" "$bare")"); sk_t+=("$(fresh_skopeo "gz-$r")"); skd_t+=("$(fresh_skopeo "raw-$r" --dest-decompress)")
  else
    skd_t+=("$(fresh_skopeo "raw-$r" --dest-decompress)"); sk_t+=("$(fresh_skopeo "gz-$r")"); bare_t+=("$(fresh_aic "bare-$r" "$bare")"); aic_t+=("$(fresh_aic "$r")")
  fi
  noop_t+=("$(timed noop_publish)")
  echo "round $r: AiContainers first publish ${aic_t[-1]}s, the same app without weights ${bare_t[-1]}s, up-to-date publish alone ${noop_t[-1]}s | skopeo copy ${sk_t[-1]}s, with --dest-decompress ${skd_t[-1]}s | $(load_line)"
done
grep -hE '^ +[0-9]+ ms  (FetchAiModels|GenerateAiImage|BuildAiImage|ResolveAiImageSpec|CheckAiImageDestination) ' "$work/aic-$rounds.log" | sort -u > "$work/targets.txt" || true
grep -hoE 'AiContainers: (composed|[0-9]+ model).*' "$work/aic-$rounds.log" | sort -u >> "$work/targets.txt" || true
python3 - "$layer_size" "${aic_t[*]}" "${bare_t[*]}" "${noop_t[*]}" "${sk_t[*]}" "${skd_t[*]}" "$work/targets.txt" <<'PY'
import statistics, sys
size = int(sys.argv[1])
aic, bare, noop, sk, skd = ([float(x) for x in a.split()] for a in sys.argv[2:7])
m = statistics.median
steps = m(aic) - m(noop)
weights = m([a - b for a, b in zip(aic, bare)])
print()
print(f"first publish with 1 GiB of weights (weights layer {size} B, stored uncompressed), {len(aic)} rounds, medians:")
print(f"  AiContainers {m(aic):.1f}s in all; its image steps {steps:.1f}s (minus the up-to-date publish {m(noop):.1f}s);"
      f" the same first publish without the weights {m(bare):.1f}s, so the weights cost {weights:.1f}s (median of per-round differences)")
print(f"  skopeo copy from the uncompressed docker-archive: {m(sk):.1f}s (gzips as it uploads), {m(skd):.1f}s with --dest-decompress (uploads the tar as is)")
print(f"  what the weights cost us / skopeo pushing them: {weights / m(sk):.2f}x (target <= 1.10) -> {'PASS' if weights / m(sk) <= 1.1 else 'FAIL'};"
      f" against --dest-decompress {weights / m(skd):.2f}x")
print(f"  all our image steps (also the .NET runtime layer, the app, SBOM, lock and deploy files) / skopeo: {steps / m(sk):.2f}x; whole publish {m(aic) / m(sk):.2f}x")
for line in open(sys.argv[7]):
    print(f"    last round: {line.strip()}")
PY
