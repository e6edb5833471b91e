#!/usr/bin/env bash
# Benchmark (issue 9): a one-line code change of a self-contained ASP.NET Core app (linux-x64, .NET runtime in the
# image) on the CUDA stand-in base (127.0.0.1:5000/standin/nvidia/cuda:12.4.1-runtime-ubuntu22.04: Debian with the
# CUDA image's contract, no CUDA inside), published and pushed to the local registry, four ways, each in its own copy
# of the project:
#   aic   dotnet publish -p:PublishAiImage=true -p:ContainerRegistry=...   (AiImageBuilder=Auto -> Daemonless)
#   sdk   dotnet publish -t:PublishContainer -p:ContainerBaseImage=...     (the .NET SDK's own daemonless containers)
#   hand  dotnet publish + docker build --network host (bench/handwritten/web.Dockerfile) + docker push
#   plain dotnet publish alone: what the image steps of the three others add to
# Compiled through the shared compiler server, as on a user's machine (BENCH_SHARED_COMPILATION=false: without it).
# N rounds (default 5), interleaved with the order rotated; each round changes one line of code in every copy.
# Prints every round, the medians, what the image steps add (side - plain), ours / SDK (target <= 0.7), and the
# bytes each side pushed per round (layers and config its new manifest has that the previous round's had not;
# target for ours: <= the project's own files + 1 MiB).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$bench_root
rounds=${1:-5}
bench_engine
bench_compiler_mode
registry=$AIC_REGISTRY
base="$AIC_MIRROR/nvidia/cuda:12.4.1-runtime-ubuntu22.04"
echo "packing the SDK of this checkout ($(load_line))"
work=$(mktemp -d /tmp/aic-bench-code.XXXXXX)
# Every round's hand-written image is removed at the end, not only the last one the tag names (each is ~100 MiB).
cleanup() {
  bench_compiler_cleanup; bench_unpack_private
  { docker rmi -f "$registry/bench/code-hand:bench"; [[ -f $work/hand-images ]] && xargs -r docker rmi -f < "$work/hand-images"; } >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bench_pack_private
tag=bench

make_project() { # $1 dir, $2 extra csproj line
  mkdir -p "$1"
  write_private_nuget_config "$1"
  cat > "$1/CodeChangeBench.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk.Web">
  $2
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <InvariantGlobalization>true</InvariantGlobalization>
    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>true</SelfContained>
  </PropertyGroup>
</Project>
XML
  cat > "$1/Program.cs" <<'CS'
var app = WebApplication.Create(args);
app.MapGet("/", () => Marker.Value);
app.Run();
CS
}
for side in aic sdk hand plain; do
  make_project "$work/$side" "$([[ $side == aic ]] && echo "<Sdk Name=\"AiContainers.Sdk\" Version=\"$bench_sdk_version\" />")"
done
# The one-line code change of a round.
code() { printf 'internal static class Marker { public const string Value = "%s"; }\n' "$2" > "$1/Marker.cs"; }

publish() { # $1 side, $2 log
  local side=$1 log=$2
  (
    cd "$work/$side"
    case $side in
      aic) dotnet publish -c Release -nologo -v:n -p:PublishAiImage=true -p:ContainerRegistry="$registry" \
             -p:ContainerRepository=bench/code-aic -p:ContainerImageTag=$tag "-p:AiRegistryMirror=docker.io=$AIC_MIRROR" \
             -p:AiBaseImage=nvidia/cuda:12.4.1-runtime-ubuntu22.04 ;;
      sdk) dotnet publish -c Release -nologo -v:n -t:PublishContainer -p:ContainerRegistry="$registry" -p:ContainerBaseImage="$base" \
             -p:ContainerRepository=bench/code-sdk -p:ContainerImageTag=$tag -p:RuntimeIdentifier=linux-x64 -p:SelfContained=true ;;
      hand) dotnet publish -c Release -nologo -v:q -o "$work/hand-out" \
              && docker build --network host --build-arg BASE="$base" -t "$registry/bench/code-hand:$tag" \
                   -f "$root/bench/handwritten/web.Dockerfile" "$work/hand-out" \
              && docker push "$registry/bench/code-hand:$tag" \
              && docker image inspect -f '{{.Id}}' "$registry/bench/code-hand:$tag" >> "$work/hand-images" ;;
      plain) dotnet publish -c Release -nologo -v:q ;;
    esac
  ) >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
}
save_manifest() { # $1 side, $2 file
  [[ $1 == plain ]] || manifest_json "$registry" "bench/code-$1" $tag > "$2"
}

echo "first publish of each (not measured): restore, first compile, base layers into each repository"
for side in aic sdk hand plain; do
  code "$work/$side" warm-up
  echo "  $side $(timed publish $side "$work/$side-0.log")s"
  save_manifest $side "$work/$side-0.json"
done

declare -A times
loads=()
for r in $(seq 1 "$rounds"); do
  sides=(aic sdk hand plain)
  shift_by=$(( (r - 1) % 4 ))
  order=("${sides[@]:$shift_by}" "${sides[@]:0:$shift_by}")  # rotated, so no side always meets a warm or cold disk cache
  line="round $r:"
  for side in "${order[@]}"; do
    code "$work/$side" "round-$r"
    t=$(timed publish "$side" "$work/$side-$r.log")
    times[$side]+="$t "
    save_manifest "$side" "$work/$side-$r.json"
    line+=" $side ${t}s"
  done
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
  echo "$line | $(load_line)"
done

# The project's own files: the app layer's folder in our build context (what a code change can alter).
own=$(find "$work/aic/bin/Release/aicontainer/app" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
runtime_files=$(find "$work/aic/bin/Release/aicontainer/dotnet-runtime" -type f | wc -l)
echo "compiler: $bench_compiler"
python3 - "$rounds" "$work" "$own" "$runtime_files" "${times[aic]}" "${times[sdk]}" "${times[hand]}" "${times[plain]}" "${loads[*]}" <<'PY'
import json, statistics, sys
rounds, work, own, runtime_files = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t = {side: [float(x) for x in sys.argv[5 + i].split()] for i, side in enumerate(["aic", "sdk", "hand", "plain"])}
loads = [float(x) for x in sys.argv[9].split()]
m = statistics.median
MiB = 1 << 20

def pushed(side, r):
    """Bytes of round r's manifest that round r-1's lacked: new layers + config (what a HEAD-first push uploads)."""
    before = json.load(open(f"{work}/{side}-{r - 1}.json"))
    after = json.load(open(f"{work}/{side}-{r}.json"))
    known = {l["digest"] for l in before["layers"]}
    new = [l for l in after["layers"] if l["digest"] not in known]
    return sum(l["size"] for l in new) + after["config"]["size"], len(new), len(after["layers"])

image = json.load(open(f"{work}/aic/bin/Release/aicontainer/image.json"))
print()
print(f"self-contained linux-x64 web app: yes ({runtime_files} .NET runtime files in our '.NET runtime' layer; the base has no .NET);"
      f" project's own files {own} B ({own / MiB:.2f} MiB); {rounds} rounds; load average during the rounds"
      f" {min(loads):.1f}-{max(loads):.1f} (median {m(loads):.1f})")
names = {"aic": "AiContainers daemonless", "sdk": ".NET SDK PublishContainer", "hand": "Dockerfile + docker build + push", "plain": "plain dotnet publish"}
for side in ["aic", "sdk", "hand", "plain"]:
    per_round = " ".join(f"{x:.2f}" for x in t[side])
    added = "" if side == "plain" else f"; image steps add {m(t[side]) - m(t['plain']):+.2f}s (median of per-round differences {m([a - b for a, b in zip(t[side], t['plain'])]):+.2f}s)"
    print(f"  {names[side]:34s} median {m(t[side]):6.2f}s{added}   [{per_round}]")
added = m(t["aic"]) - m(t["plain"])
print(f"ours / SDK total: {m(t['aic']) / m(t['sdk']):.2f}x (target <= 0.70) -> {'PASS' if m(t['aic']) / m(t['sdk']) <= 0.7 else 'FAIL'};"
      f" our image steps add {added:.2f}s to the plain publish (target <= 0.50) -> {'PASS' if added <= 0.5 else 'FAIL'};"
      f" ours / hand-written {m(t['aic']) / m(t['hand']):.2f}x")
for side in ["aic", "sdk", "hand"]:
    bytes_per_round = [pushed(side, r) for r in range(1, rounds + 1)]
    b = m([x[0] for x in bytes_per_round])
    verdict = f" (target <= own files + 1 MiB = {own + MiB} B) -> {'PASS' if b <= own + MiB else 'FAIL'}" if side == "aic" else ""
    print(f"  bytes pushed per round, {names[side]:34s} median {int(b)} B ({b / MiB:.2f} MiB),"
          f" {m([x[1] for x in bytes_per_round]):.0f} new of {bytes_per_round[-1][2]} layers{verdict}")
mine = [l for l in image["layers"] if l["new"]]
print(f"  our image.json after the last round: new layers {[(l['description'], l['size']) for l in mine]}")
PY
