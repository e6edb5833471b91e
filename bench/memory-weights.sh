#!/usr/bin/env bash
# Benchmark (issue 9): memory does not grow with layer size. The peak resident set ("Maximum resident set size" of
# /usr/bin/time -v) of `dotnet publish -p:PublishAiImage=true` run as one MSBuild process (-nodeReuse:false -m:1,
# -p:UseSharedCompilation=false), with a 1 GiB local model vs the same app without it, both pushing daemonless to a new
# repository of the local registry with an empty layer cache and model cache, so the 1 GiB is really hashed, imported,
# written into a layer tar and uploaded. The app is compiled beforehand (no code change between runs), so no compiler
# process is in the tree and the peak is MSBuild's. N rounds (default 2), alternating; target: within 100 MiB.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$bench_root
rounds=${1:-2}
bench_engine
registry=$AIC_REGISTRY
bench_weights
work=$(mktemp -d /tmp/aic-bench-mem.XXXXXX)
trap 'bench_unpack_private; rm -rf "$work"' EXIT
echo "packing the SDK of this checkout ($(load_line))"
bench_pack_private

make_project() { # $1 side (with|without)
  local dir=$work/$1
  mkdir -p "$dir/models"
  write_private_nuget_config "$dir"
  local items=""
  if [[ $1 == with ]]; then
    ln "$weights" "$dir/models/weights-1g.bin" 2>/dev/null || cp "$weights" "$dir/models/weights-1g.bin"
    items='<AiModel Include="bench" Source="models/weights-1g.bin" />'
  fi
  write_console_project "$dir/MemoryBench.csproj" "$items"
  echo 'Console.WriteLine("memory bench");' > "$dir/Program.cs"
}
publish() { # $1 side, $2 round
  rm -rf "$work/$1-layer-cache" "$work/$1-model-cache"
  (cd "$work/$1" && /usr/bin/time -v dotnet publish -c Release -nologo -v:n -nodeReuse:false -m:1 -p:UseSharedCompilation=false \
     -p:PublishAiImage=true -p:ContainerRegistry="$registry" -p:ContainerRepository="bench/memory-$1-$$-$2" -p:ContainerImageTag=1 \
     "-p:AiRegistryMirror=docker.io=$AIC_MIRROR" -p:AiBaseImage=nvidia/cuda:12.4.1-runtime-ubuntu22.04 \
     -p:AiLayerCacheDirectory="$work/$1-layer-cache" -p:AiModelCacheDirectory="$work/$1-model-cache" >"$work/$1-$2.log" 2>&1) \
    || { grep -E 'error|AIC' "$work/$1-$2.log" | tail -20; exit 1; }
  grep -oP 'Maximum resident set size \(kbytes\): \K[0-9]+' "$work/$1-$2.log"
}

make_project with; make_project without
echo "warm-up (not measured): restore, compile, first publish of each"
for side in with without; do publish "$side" 0 >/dev/null; done

declare -a with_kb without_kb
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then with_kb+=("$(publish with "$r")"); without_kb+=("$(publish without "$r")")
  else without_kb+=("$(publish without "$r")"); with_kb+=("$(publish with "$r")"); fi
  echo "round $r: peak RSS with 1 GiB weights ${with_kb[-1]} KiB, without ${without_kb[-1]} KiB | $(load_line)"
done
python3 - "${with_kb[*]}" "${without_kb[*]}" <<'PY'
import statistics, sys
w, wo = ([int(x) for x in a.split()] for a in sys.argv[1:3])
m = statistics.median
diff = (max(w) - max(wo)) / 1024
print()
print(f"peak working set of the MSBuild process (one process, -m:1 -nodeReuse:false), {len(w)} rounds:"
      f" with 1 GiB of weights max {max(w) / 1024:.0f} MiB (median {m(w) / 1024:.0f}), without max {max(wo) / 1024:.0f} MiB (median {m(wo) / 1024:.0f})")
print(f"  difference of the peaks {diff:+.0f} MiB, of the medians {(m(w) - m(wo)) / 1024:+.0f} MiB (target within 100 MiB) ->"
      f" {'PASS' if abs(diff) <= 100 and abs(m(w) - m(wo)) / 1024 <= 100 else 'FAIL'}")
PY
