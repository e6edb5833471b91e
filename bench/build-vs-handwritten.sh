#!/usr/bin/env bash
# Benchmark (issue 3): the sample's first build and its code-only rebuild through
# `dotnet publish -p:PublishAiImage=true`, against the hand-written equivalent
# (bench/handwritten/sentiment.Dockerfile) built with `dotnet publish` + `docker build`.
# Both sides run in this one script, on the same engine, alternating, N rounds (default 3);
# it prints medians and the ratios AiContainers / hand-written (target: <= 1.1 on both).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$bench_root
rounds=${1:-3}
bench_prepare engine

work=$(mktemp -d /tmp/aic-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$root/samples/SentimentService" "$work/aic"; cp -r "$root/samples/SentimentService" "$work/hand"
cp "$root/samples/Directory.Build.props" "$root/samples/Directory.Packages.props" "$work/"
write_nuget_config "$work"
rm -rf "$work"/aic/{bin,obj} "$work"/hand/{bin,obj}
# The image the sample gets: ONNX Runtime 1.31's GPU package is built for CUDA 13 and cuDNN 9.
base="$AIC_MIRROR/nvidia/cuda:13.2.0-cudnn-runtime-ubuntu24.04"
docker pull -q "$base" >/dev/null

now() { date +%s.%N; }
marker() { printf 'namespace SentimentService;\ninternal static class BenchMarker { public const string Value = "%s"; }\n' "$2" > "$1/BenchMarker.cs"; }
clear_images() { docker rmi -f "bench/aic:$1" "bench/hand:$1" >/dev/null 2>&1 || true; docker image prune -f >/dev/null; }

aic_build() {  # $1 tag
  (cd "$work/aic" && dotnet publish -c Release -nologo -v:q -p:PublishAiImage=true -p:ContainerRepository=bench/aic \
     -p:ContainerImageTag="$1" -p:AiBuildNetwork=host "-p:AiRegistryMirror=docker.io=$AIC_MIRROR" >/dev/null)
}
hand_build() { # $1 tag
  (cd "$work/hand" && dotnet publish -c Release -nologo -v:q -r linux-x64 --self-contained -o out >/dev/null \
     && docker build -q --network host --build-arg BASE="$base" -t "bench/hand:$1" -f "$root/bench/handwritten/sentiment.Dockerfile" out >/dev/null)
}
timed() { local t0; t0=$(now); "$@"; python3 -c "print(f'{$(now) - $t0:.3f}')"; }

declare -a aic_first hand_first aic_re hand_re
for r in $(seq 1 "$rounds"); do
  tag="r$r-$$"
  clear_images "$tag"
  marker "$work/aic" "first-$r"; marker "$work/hand" "first-$r"
  # Alternate which side goes first so neither always meets a warm disk cache.
  if (( r % 2 )); then
    aic_first+=("$(timed aic_build "$tag")"); hand_first+=("$(timed hand_build "$tag")")
  else
    hand_first+=("$(timed hand_build "$tag")"); aic_first+=("$(timed aic_build "$tag")")
  fi
  marker "$work/aic" "code-change-$r"; marker "$work/hand" "code-change-$r"
  aic_re+=("$(timed aic_build "$tag")"); hand_re+=("$(timed hand_build "$tag")")
  echo "round $r: first aic ${aic_first[-1]}s hand ${hand_first[-1]}s | code-only rebuild aic ${aic_re[-1]}s hand ${hand_re[-1]}s"
  clear_images "$tag"
done

python3 - "${aic_first[*]}" "${hand_first[*]}" "${aic_re[*]}" "${hand_re[*]}" <<'PY'
import statistics, sys
af, hf, ar, hr = ([float(x) for x in a.split()] for a in sys.argv[1:5])
m = statistics.median
print(f"first build        : AiContainers {m(af):.2f}s  hand-written {m(hf):.2f}s  ratio {m(af)/m(hf):.2f}x (target <= 1.10)")
print(f"code-only rebuild  : AiContainers {m(ar):.2f}s  hand-written {m(hr):.2f}s  ratio {m(ar)/m(hr):.2f}x (target <= 1.10)")
PY
