#!/usr/bin/env bash
# Benchmark (issue 4): what a code-only change costs when the image carries 1 GiB of model weights.
#   (i)   code-only rebuild of an app with a 1 GiB AiModel vs the same app without weights, both through
#         `dotnet publish -p:PublishAiImage=true` (target: <= 1.2x);
#   (ii)  the baseline to beat: bench/handwritten/weights.Dockerfile, which COPYs the weights with the
#         app, built with `dotnet publish` + `docker build` after the same code change;
#   (iii) bytes sent to the engine and bytes pushed to the local registry after a code-only change,
#         against the size of the app (target: <= app size + 1 MiB).
# All sides run in this one script on the same engine, alternating, N rounds (default 3); it prints
# every measurement, the medians and the ratios. The weights are 1 GiB of random bytes generated once
# into $AIC_CACHE/bench (a local file, so no Hub is involved) and kept, so later runs reuse them.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$bench_root
rounds=${1:-3}
bench_prepare engine
registry=$AIC_REGISTRY
runtime="$AIC_MIRROR/mcr.microsoft.com/dotnet/runtime:10.0"
mirror="docker.io=$AIC_MIRROR%3Bmcr.microsoft.com=$AIC_MIRROR/mcr.microsoft.com"

bench_weights

work=$(mktemp -d /tmp/aic-bench-weights.XXXXXX)
run_id=$$
cleanup() {
  for repo in bench/weights-with bench/weights-without bench/weights-hand "$registry/bench/weights-with" "$registry/bench/weights-hand"; do
    docker images --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -- "-$run_id\$" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  done
  # The weights image of this run's model (content-keyed; nothing else has these random bytes).
  if [[ -s $work/weights-image ]]; then docker rmi -f "$(cat "$work/weights-image")" >/dev/null 2>&1 || true; fi
  docker image prune -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# One console app, three ways: with the AiModel, without it, and plain (for the hand-written Dockerfile).
make_project() { # $1 dir, $2 sdk line, $3 items
  mkdir -p "$1"
  write_nuget_config "$1"
  cat > "$1/WeightsBench.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  $2
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <InvariantGlobalization>true</InvariantGlobalization>
    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>false</SelfContained>
    <AiGpu>false</AiGpu>
    <AiModelCacheDirectory>$work/model-cache</AiModelCacheDirectory>
  </PropertyGroup>
  <ItemGroup>$3</ItemGroup>
</Project>
XML
}
# build/pack.sh gives each development pack its own version (artifacts/packages/version.txt).
sdk="<Sdk Name=\"AiContainers.Sdk\" Version=\"$(cat "$bench_root/artifacts/packages/version.txt")\" />"
make_project "$work/with" "$sdk" "<AiModel Include=\"bench\" Source=\"$weights\" />"
make_project "$work/without" "$sdk" ""
make_project "$work/hand" "" ""
# The hand-written context: the app under app/, the weights (a hard link: docker build still reads them) under models/.
mkdir -p "$work/hand-context/models/bench"
ln "$weights" "$work/hand-context/models/bench/weights-1g.bin" 2>/dev/null || cp "$weights" "$work/hand-context/models/bench/weights-1g.bin"
docker pull -q "$runtime" >/dev/null

code() { printf 'Console.WriteLine("weights bench %s: " + string.Join(" ", args));\n' "$2" > "$1/Program.cs"; }
now() { date +%s.%N; }

aic_build() { # $1 side (with|without), $2 tag, $3 log, [more -p: args]
  local side=$1 tag=$2 log=$3; shift 3
  (cd "$work/$side" && dotnet publish -c Release -nologo -v:n -p:PublishAiImage=true -p:ContainerRepository="bench/weights-$side" \
     -p:ContainerImageTag="$tag" -p:AiBuildNetwork=host "-p:AiRegistryMirror=$mirror" "$@" >"$log" 2>&1) || { tail -40 "$log"; exit 1; }
}
hand_build() { # $1 tag, $2 log
  (cd "$work/hand" && dotnet publish -c Release -nologo -v:q -o "$work/hand-context/app" >"$2" 2>&1 \
     && docker build --network host --build-arg BASE="$runtime" -t "bench/weights-hand:$1" \
          -f "$root/bench/handwritten/weights.Dockerfile" "$work/hand-context" >>"$2" 2>&1) || { tail -40 "$2"; exit 1; }
}
timed() { local t0; t0=$(now); "$@"; python3 -c "print(f'{$(now) - $t0:.3f}')"; }

# "context 108.5 KiB in 7 files" (ours) / "Sending build context to Docker daemon  1.074GB" (docker CLI) -> bytes
context_bytes() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
m = re.findall(r"AiContainers: built sha256:\w+ \(context ([\d.,]+) (B|KiB|MiB|GiB) in \d+ files\)", text)
if m:
    value, unit = m[-1]
    print(int(float(value.replace(",", ".")) * {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit]))
else:
    m = re.findall(r"Sending build context to Docker daemon\s+([\d.]+)([kMG]?B)", text)
    value, unit = m[-1]
    print(int(float(value) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]))
PY
}
dir_bytes() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }

echo "first builds (not measured): weights import into the model cache, weights image, hand-written image"
code "$work/with" first; code "$work/without" first; code "$work/hand" first
echo "  with weights   $(timed aic_build with "warm-$run_id" "$work/first-with.log")s"
grep -o 'FROM aicontainers/weights:[0-9a-f]*' "$work/with/bin/Release/aicontainer/Dockerfile" | cut -d' ' -f2 > "$work/weights-image"
echo "  without        $(timed aic_build without "warm-$run_id" "$work/first-without.log")s"
echo "  hand-written   $(timed hand_build "warm-$run_id" "$work/first-hand.log")s"

declare -a with_t without_t hand_t with_ctx hand_ctx
for r in $(seq 1 "$rounds"); do
  tag="r$r-$run_id"
  code "$work/with" "change-$r"; code "$work/without" "change-$r"; code "$work/hand" "change-$r"
  # Rotate the order so no side always meets a warm or a cold disk cache.
  for side in $(case $((r % 3)) in 1) echo with without hand;; 2) echo without hand with;; 0) echo hand with without;; esac); do
    case $side in
      with) with_t+=("$(timed aic_build with "$tag" "$work/with-$r.log")"); with_ctx+=("$(context_bytes "$work/with-$r.log")")
            grep -q "already built for sha256:.*; reusing it" "$work/with-$r.log" || { echo "the weights image was not reused"; exit 1; } ;;
      without) without_t+=("$(timed aic_build without "$tag" "$work/without-$r.log")") ;;
      hand) hand_t+=("$(timed hand_build "$tag" "$work/hand-$r.log")"); hand_ctx+=("$(context_bytes "$work/hand-$r.log")") ;;
    esac
  done
  echo "round $r: code-only rebuild with 1 GiB weights ${with_t[-1]}s (sent ${with_ctx[-1]} B) | without weights ${without_t[-1]}s | hand-written ${hand_t[-1]}s (sent ${hand_ctx[-1]} B)"
done
app_bytes=$(dir_bytes "$work/with/bin/Release/aicontainer/app")

# (iii) pushes: a first push of each image (the weights may go up here), then a code change and a second push;
# what the second push uploaded is what its manifest has that the first one's has not.
echo "push phase: a code change between two pushes to $registry"
code "$work/with" push-1; aic_build with "p1-$run_id" "$work/push-with-1.log" -p:ContainerRegistry="$registry"
code "$work/with" push-2; aic_build with "p2-$run_id" "$work/push-with-2.log" -p:ContainerRegistry="$registry"
code "$work/hand" push-1; hand_build "p1-$run_id" "$work/push-hand-1.log"
docker tag "bench/weights-hand:p1-$run_id" "$registry/bench/weights-hand:p1-$run_id"
docker push "$registry/bench/weights-hand:p1-$run_id" >"$work/docker-push-hand-1.log" 2>&1
code "$work/hand" push-2; hand_build "p2-$run_id" "$work/push-hand-2.log"
docker tag "bench/weights-hand:p2-$run_id" "$registry/bench/weights-hand:p2-$run_id"
docker push "$registry/bench/weights-hand:p2-$run_id" >"$work/docker-push-hand-2.log" 2>&1
manifest() { curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$registry/v2/$1/manifests/$2"; }
manifest bench/weights-with "p1-$run_id" >"$work/m-with-1.json"; manifest bench/weights-with "p2-$run_id" >"$work/m-with-2.json"
manifest bench/weights-hand "p1-$run_id" >"$work/m-hand-1.json"; manifest bench/weights-hand "p2-$run_id" >"$work/m-hand-2.json"
count() { grep -cE "$2" "$1" || true; }

python3 - "$rounds" "$app_bytes" "${with_t[*]}" "${without_t[*]}" "${hand_t[*]}" "${with_ctx[*]}" "${hand_ctx[*]}" \
  "$work" "$(count "$work/push-with-2.log" ': Pushed$')" "$(count "$work/push-with-2.log" ': (Layer already exists|Mounted from .*)$')" \
  "$(count "$work/docker-push-hand-2.log" ': Pushed$')" "$(count "$work/docker-push-hand-2.log" ': (Layer already exists|Mounted from .*)$')" <<'PY'
import json, statistics, sys
rounds, app = int(sys.argv[1]), int(sys.argv[2])
wt, wo, ha, wctx, hctx = ([float(x) for x in a.split()] for a in sys.argv[3:8])
work = sys.argv[8]
with_pushed, with_existing, hand_pushed, hand_existing = (int(x) for x in sys.argv[9:13])
m = statistics.median
MiB = 1 << 20

def uploaded(side):
    first = json.load(open(f"{work}/m-{side}-1.json"))
    second = json.load(open(f"{work}/m-{side}-2.json"))
    known = {l["digest"] for l in first["layers"]}
    new = [l for l in second["layers"] if l["digest"] not in known]
    total = sum(l["size"] for l in second["layers"])
    return sum(l["size"] for l in new) + second["config"]["size"], len(new), total

wp, wn, wtotal = uploaded("with")
hp, hn, htotal = uploaded("hand")
print()
print(f"app (publish output in the image)      : {app} B ({app / MiB:.2f} MiB); weights 1073741824 B (1.00 GiB)")
print(f"(i)   code-only rebuild, {rounds} rounds (median): with 1 GiB weights {m(wt):.2f}s, without weights {m(wo):.2f}s"
      f" -> ratio {m(wt) / m(wo):.2f}x (target <= 1.20)")
print(f"(ii)  hand-written Dockerfile (weights COPYd with the app): {m(ha):.2f}s"
      f" -> AiContainers / hand-written {m(wt) / m(ha):.2f}x (hand-written is {m(ha) / m(wt):.1f}x slower)")
print(f"(iii) bytes sent to the engine after a code-only change: AiContainers {int(m(wctx))} B ({m(wctx) / MiB:.2f} MiB),"
      f" hand-written {int(m(hctx))} B ({m(hctx) / MiB:.1f} MiB); app + 1 MiB = {app + MiB} B"
      f" -> {'PASS' if m(wctx) <= app + MiB else 'FAIL'} (AiContainers)")
print(f"      bytes pushed after a code-only change: AiContainers {wp} B ({wp / MiB:.2f} MiB; {wn} new layer(s) of"
      f" {wtotal / MiB:.0f} MiB in the image; push log: {with_pushed} Pushed, {with_existing} already there),"
      f" hand-written {hp} B ({hp / MiB:.2f} MiB; {hn} new layer(s); {hand_pushed} Pushed, {hand_existing} already there)"
      f" -> {'PASS' if wp <= app + MiB else 'FAIL'} (AiContainers, target <= {app + MiB} B)")
PY
