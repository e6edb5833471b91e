#!/usr/bin/env bash
# Benchmark (issue 9): a fresh CI runner publishing a code change when the registry already has the previous release
# with 1 GiB of weights. Two clones of one self-contained console app with a local 1 GiB model (random bytes, so
# nothing compresses; `models/weights-1g.bin` in the project, a hard link to a file generated once under
# $AIC_CACHE/bench), each in its own folder with its own empty layer cache and model cache ("runner A", "runner B"):
#   1. runner A publishes release 1 (tag rel-1) to the local registry, daemonless;
#   2. runner B, a fresh clone in another folder with empty caches, changes one line of code and publishes rel-2.
# The daemonless builder never uses the Docker engine, so "empty engine state" holds by construction (the script
# checks that no image of these repositories is in the engine).
# Prints what runner B uploaded (layers and config its manifest has that rel-1's had not; target: 0 weights bytes,
# total <= the project's own files + 1 MiB), its time and where that time went (the 1 GiB is still read once to learn
# its digest: no lock file yet), against a second publish on runner B with warm caches.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$bench_root
bench_engine
registry=$AIC_REGISTRY
repo="bench/fresh-runner-$$"
bench_weights
work=$(mktemp -d /tmp/aic-bench-fresh.XXXXXX)
trap 'bench_unpack_private; rm -rf "$work"' EXIT
echo "packing the SDK of this checkout ($(load_line))"
bench_pack_private

make_clone() { # $1 runner folder
  local dir=$1/FreshRunnerBench
  mkdir -p "$dir/models" "$1/layer-cache" "$1/model-cache"
  write_private_nuget_config "$dir"
  ln "$weights" "$dir/models/weights-1g.bin" 2>/dev/null || cp "$weights" "$dir/models/weights-1g.bin"
  write_console_project "$dir/FreshRunnerBench.csproj" '<AiModel Include="bench" Source="models/weights-1g.bin" />'
}
code() { printf 'Console.WriteLine("fresh runner bench %s: " + Environment.GetEnvironmentVariable("AI_MODEL_BENCH_PATH"));\n' "$2" > "$1/FreshRunnerBench/Program.cs"; }
publish() { # $1 runner folder, $2 tag, $3 log
  (cd "$1/FreshRunnerBench" && dotnet publish -c Release -nologo -v:d -clp:PerformanceSummary -p:PublishAiImage=true \
     -p:ContainerRegistry="$registry" -p:ContainerRepository="$repo" -p:ContainerImageTag="$2" \
     "-p:AiRegistryMirror=docker.io=$AIC_MIRROR" -p:AiBaseImage=nvidia/cuda:12.4.1-runtime-ubuntu22.04 \
     -p:AiLayerCacheDirectory="$1/layer-cache" -p:AiModelCacheDirectory="$1/model-cache" >"$3" 2>&1) || { grep -E 'error|AIC' "$3" | tail -20; exit 1; }
}
cache_bytes() { du -sb "$1" | cut -f1; }

make_clone "$work/runner-a"; make_clone "$work/runner-b"
echo "runner A: release 1 with 1 GiB of weights (first publish, not the measurement)"
code "$work/runner-a" release-1
echo "  $(timed publish "$work/runner-a" rel-1 "$work/a.log")s"
manifest_json "$registry" "$repo" rel-1 > "$work/rel-1.json"

echo "runner B: a fresh clone, empty layer and model caches, a one-line code change ($(load_line))"
[[ -z $(docker images -q "$registry/$repo") ]] || { echo "the engine holds an image of $repo: not a fresh runner"; exit 1; }
code "$work/runner-b" release-2
cold=$(timed publish "$work/runner-b" rel-2 "$work/b.log")
cold_load=$(load_line)
manifest_json "$registry" "$repo" rel-2 > "$work/rel-2.json"
layer_cache=$(cache_bytes "$work/runner-b/layer-cache"); model_cache=$(cache_bytes "$work/runner-b/model-cache")
cp "$work/runner-b/FreshRunnerBench/bin/Release/aicontainer/image.json" "$work/b-image.json"
echo "runner B again, warm caches, another code change"
code "$work/runner-b" release-3
warm=$(timed publish "$work/runner-b" rel-3 "$work/b-warm.log")

own=$(find "$work/runner-b/FreshRunnerBench/bin/Release/aicontainer/app" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
grep -hE '^ +[0-9]+ ms  (FetchAiModels|GenerateAiImage|BuildAiImage|ResolveAiImageSpec|CheckAiImageDestination|CoreCompile) ' "$work/b.log" | sort -u > "$work/b-targets.txt" || true
grep -hE '^ +[0-9]+ ms  (FetchAiModels|GenerateAiImage|BuildAiImage) ' "$work/b-warm.log" | sort -u > "$work/b-warm-targets.txt" || true
grep -hoE 'AiContainers: (composed|[0-9]+ model|model ).*' "$work/b.log" | sort -u > "$work/b-lines.txt" || true
python3 - "$work" "$own" "$cold" "$warm" "$layer_cache" "$model_cache" "$cold_load" <<'PY'
import json, sys
work, own, cold, warm, layer_cache, model_cache, load = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
MiB, GiB = 1 << 20, 1 << 30
r1, r2 = json.load(open(f"{work}/rel-1.json")), json.load(open(f"{work}/rel-2.json"))
image = json.load(open(f"{work}/b-image.json"))
known = {l["digest"] for l in r1["layers"]}
new = [l for l in r2["layers"] if l["digest"] not in known]
described = {l["digest"]: l["description"] for l in image["layers"]}
weights = [l for l in image["layers"] if l["description"].startswith("model ")]
weights_uploaded = sum(l["size"] for l in weights if l["new"] or l["digest"] not in known)
total = sum(l["size"] for l in new) + r2["config"]["size"]
same = [described.get(l["digest"], "base") for l in r2["layers"] if l["digest"] in known]
print()
print(f"fresh runner (empty layer cache, empty model cache, no engine images), self-contained linux-x64 console app, 1 GiB local model; {load}")
print(f"  layers of rel-2 already in the registry from runner A (same digests from another folder and empty caches): {same}")
print(f"  weights bytes uploaded: {weights_uploaded} B (target 0) -> {'PASS' if weights_uploaded == 0 else 'FAIL'}"
      f"; weights layer {weights[0]['digest'][:19]}... {weights[0]['size']} B, new={weights[0]['new']}" if weights else "  no weights layer in image.json: FAIL")
print(f"  total bytes pushed: {total} B ({total / MiB:.2f} MiB: {len(new)} new layer(s) {[described.get(l['digest'], '?') for l in new]} + config);"
      f" own files {own} B; target <= {own + MiB} B -> {'PASS' if total <= own + MiB else 'FAIL'}")
print(f"  time: fresh runner {cold:.1f}s, the same runner with warm caches {warm:.1f}s ({cold - warm:+.1f}s for the empty caches)")
print(f"  what the fresh runner re-read and wrote: the 1 GiB model hashed and imported into the model cache ({model_cache / GiB:.2f} GiB there now),"
      f" the weights layer tar written once into the layer cache ({layer_cache / GiB:.2f} GiB there now) to learn its digest; uploaded none of it")
for name in ["b-targets.txt", "b-warm-targets.txt", "b-lines.txt"]:
    label = {"b-targets.txt": "targets, fresh", "b-warm-targets.txt": "targets, warm", "b-lines.txt": "log"}[name]
    for line in open(f"{work}/{name}"):
        print(f"    {label}: {line.strip()}")
PY
