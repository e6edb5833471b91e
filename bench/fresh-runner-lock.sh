#!/usr/bin/env bash
# Benchmark (issue 13): a fresh CI runner publishing a project whose 1 GiB of hf:// weights did not change, with and
# without aicontainers.lock.json. bench/hub-server.py serves hf://bench/weights (one 1 GiB LFS file of random bytes,
# generated once under $AIC_CACHE/bench) on loopback; every runner has its own folder, an empty model cache and an
# empty layer cache, and uses the daemonless builder (so the engine holds nothing by construction):
#   1. runner A publishes rel-1 (downloads the model, pushes its layer) and writes the lock (not the measurement);
#   2. runner B, a fresh clone WITH the committed lock, a one-line code change, publishes rel-2;
#   3. runner C, a fresh clone WITHOUT the lock (AiLockMode=Ignore), the same change, publishes rel-3.
# Prints, for B and C: bytes downloaded from the Hub (what the empty model cache holds afterwards: every downloaded byte
# lands there), bytes uploaded (the new layers and config of image.json), bytes written to the layer cache, wall time,
# and the ratios C/B. One round; about 3-5 minutes on 2 shared cores. Needs about 4x the weights in free disk (runner A's
# caches are removed before C runs); BENCH_WEIGHTS_MIB=256 serves the first 256 MiB of the file where the disk is short.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$bench_root
bench_engine
registry=$AIC_REGISTRY
repo="bench/fresh-runner-lock-$$"
bench_weights
work=$(mktemp -d /tmp/aic-bench-lock.XXXXXX)
server_pid=
trap '[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; bench_unpack_private; rm -rf "$work"' EXIT

mib=${BENCH_WEIGHTS_MIB:-1024}
if [[ $mib != 1024 ]]; then head -c $((mib << 20)) "$weights" > "$work/weights.bin"; weights=$work/weights.bin; fi
sha=$(sha256sum "$weights" | cut -d' ' -f1)
commit=$(printf 'aicontainers lock bench' | sha1sum | cut -d' ' -f1)
python3 "$root/bench/hub-server.py" "$work/port" bench/weights "$commit" model.safetensors "$weights" "$sha" &
server_pid=$!
for _ in $(seq 1 50); do [[ -s $work/port ]] && break; sleep 0.1; done
endpoint="http://127.0.0.1:$(cat "$work/port")"

echo "packing the SDK of this checkout ($(load_line))"
bench_pack_private

make_clone() { # $1 runner folder
  local dir=$1/LockBench
  mkdir -p "$dir" "$1/layer-cache" "$1/model-cache"
  write_private_nuget_config "$dir"
  write_console_project "$dir/LockBench.csproj" '<AiModel Include="bench" Source="hf://bench/weights" />'
}
code() { printf 'Console.WriteLine("lock bench %s: " + Environment.GetEnvironmentVariable("AI_MODEL_BENCH_PATH"));\n' "$2" > "$1/LockBench/Program.cs"; }
publish() { # $1 runner folder, $2 tag, $3 log, $4... more properties
  local dir=$1 tag=$2 log=$3; shift 3
  (cd "$dir/LockBench" && HF_ENDPOINT=$endpoint HF_TOKEN='' dotnet publish -c Release -nologo -v:n -p:PublishAiImage=true -p:AiImageBuilder=Daemonless \
     -p:ContainerRegistry="$registry" -p:ContainerRepository="$repo" -p:ContainerImageTag="$tag" \
     "-p:AiRegistryMirror=docker.io=$AIC_MIRROR" -p:AiBaseImage=nvidia/cuda:12.4.1-runtime-ubuntu22.04 \
     -p:AiLayerCacheDirectory="$dir/layer-cache" -p:AiModelCacheDirectory="$dir/model-cache" "$@" >"$log" 2>&1) || { tail -40 "$log"; exit 1; }
}
cache_bytes() { du -sb "$1" | cut -f1; }

make_clone "$work/a"; make_clone "$work/b"; make_clone "$work/c"
echo "runner A: release 1, $mib MiB of hf:// weights, writes the lock (not the measurement)"
code "$work/a" release-1
echo "  $(timed publish "$work/a" rel-1 "$work/a.log")s"
[[ -f $work/a/LockBench/aicontainers.lock.json ]] || { echo "runner A wrote no lock"; exit 1; }
cp "$work/a/LockBench/aicontainers.lock.json" "$work/b/LockBench/"
rm -rf "$work/a/model-cache" "$work/a/layer-cache"   # runner A is done: its copies of the weights only cost disk

echo "runner B: fresh clone with the lock, empty caches, a code change ($(load_line))"
code "$work/b" release-2
with=$(timed publish "$work/b" rel-2 "$work/b.log")
cp "$work/b/LockBench/bin/Release/aicontainer/image.json" "$work/b-image.json"
echo "runner C: fresh clone without the lock (AiLockMode=Ignore), empty caches, the same change ($(load_line))"
code "$work/c" release-2
without=$(timed publish "$work/c" rel-3 "$work/c.log" -p:AiLockMode=Ignore)
cp "$work/c/LockBench/bin/Release/aicontainer/image.json" "$work/c-image.json"

python3 - "$work" "$with" "$without" "$(cache_bytes "$work/b/model-cache")" "$(cache_bytes "$work/c/model-cache")" \
  "$(cache_bytes "$work/b/layer-cache")" "$(cache_bytes "$work/c/layer-cache")" "$(load_line)" "$mib" <<'PY'
import json, sys
work, with_s, without_s = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
down_b, down_c, layers_b, layers_c = map(int, sys.argv[4:8])
load = sys.argv[8]
MiB = 1 << 20
def uploaded(name):
    image = json.load(open(f"{work}/{name}"))
    return sum(l["size"] for l in image["layers"] if l["new"]), [l["description"] for l in image["layers"] if l["new"]], \
        [l for l in image["layers"] if l["description"].startswith("model ")]
up_b, new_b, model_b = uploaded("b-image.json")
up_c, new_c, model_c = uploaded("c-image.json")
ratio = lambda a, b: f"{a / b:.0f}x" if b else ("inf" if a else "1x")
print()
print(f"fresh runner, {int(sys.argv[9])} MiB of unchanged hf:// weights, daemonless, one round; {load}")
print(f"  with the lock:    downloaded {down_b / MiB:8.1f} MiB, uploaded {up_b / MiB:6.2f} MiB {new_b}, layer cache {layers_b / MiB:8.1f} MiB, {with_s:6.1f} s")
print(f"  without the lock: downloaded {down_c / MiB:8.1f} MiB, uploaded {up_c / MiB:6.2f} MiB {new_c}, layer cache {layers_c / MiB:8.1f} MiB, {without_s:6.1f} s")
print(f"  ratios without/with: download {ratio(down_c, down_b)}, upload {ratio(up_c, up_b)}, time {without_s / with_s:.1f}x")
print(f"  model layer: with the lock {model_b[0]['digest'][:19]} new={model_b[0]['new']}; without {model_c[0]['digest'][:19]} new={model_c[0]['new']} (same digest: {model_b[0]['digest'] == model_c[0]['digest']})")
ok = down_b < MiB and not model_b[0]["new"]
print(f"  zero transfer with the lock (< 1 MiB downloaded, model layer not uploaded): {'PASS' if ok else 'FAIL'}")
PY
grep -hoE 'AiContainers: (model |lock ).*' "$work/b.log" | sort -u | sed 's/^/    with the lock: /'
