#!/usr/bin/env bash
# Benchmark (issue 4): model fetch throughput from a loopback Hub against curl, and the cost of the
# SHA-256 verification against sha256sum, on the same 512 MiB file, N rounds (default 3), one run.
#   bench/hub-server.py serves the file as an LFS file of hf://bench/model at a fixed commit (real HTTP
#   on 127.0.0.1, sendfile). The fetch is the real FetchAiModels step of the packed SDK
#   (`dotnet msbuild -t:FetchAiModels`, HF_ENDPOINT pointing at the server) into an empty model cache: it
#   downloads, hashes while downloading, verifies against the tree's LFS sha256 and renames into the cache.
#   Its time is that run minus the same run against a warm cache (MSBuild start, spec and cache look-up).
#   curl -o downloads the same URL; sha256sum hashes the downloaded file.
# Targets: AiContainers throughput >= 0.8x curl's; the time AiContainers spends beyond curl's (hashing
# and verifying included) no more than sha256sum's on the same file.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$bench_root
rounds=${1:-3}
bench_prepare no-engine

store="${AIC_CACHE:-/var/cache/aic-dev}/bench"
file="$store/weights-512m.bin"
if [[ ! -f $file ]] || [[ $(stat -c %s "$file") != 536870912 ]]; then
  echo "generating 512 MiB of random weights once: $file"
  mkdir -p "$store"
  head -c 536870912 /dev/urandom > "$file.tmp" && mv "$file.tmp" "$file"
fi

work=$(mktemp -d /tmp/aic-bench-fetch.XXXXXX)
server_pid=
cleanup() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

now() { date +%s.%N; }
timed() { local t0; t0=$(now); "$@"; python3 -c "print(f'{$(now) - $t0:.3f}')"; }

sha=$(sha256sum "$file" | cut -d' ' -f1)
commit=$(printf 'aicontainers fetch bench' | sha1sum | cut -d' ' -f1)
python3 "$root/bench/hub-server.py" "$work/port" bench/model "$commit" model.safetensors "$file" "$sha" &
server_pid=$!
for _ in $(seq 1 50); do [[ -s $work/port ]] && break; sleep 0.1; done
endpoint="http://127.0.0.1:$(cat "$work/port")"
url="$endpoint/bench/model/resolve/$commit/model.safetensors"

mkdir -p "$work/app"
write_nuget_config "$work/app"
cat > "$work/app/FetchBench.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <Sdk Name="AiContainers.Sdk" Version="$(cat "$bench_root/artifacts/packages/version.txt")" />
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <AiGpu>false</AiGpu>
  </PropertyGroup>
  <ItemGroup><AiModel Include="big" Source="hf://bench/model@$commit" /></ItemGroup>
</Project>
XML
echo 'Console.WriteLine("fetch bench");' > "$work/app/Program.cs"
(cd "$work/app" && dotnet restore -nologo -v:q >/dev/null)

aic_fetch() { # $1 cache folder, $2 log
  (cd "$work/app" && HF_ENDPOINT=$endpoint HF_TOKEN='' dotnet msbuild -nologo -nodeReuse:false -v:n -t:FetchAiModels \
     -p:AiModelCacheDirectory="$1" >"$2" 2>&1) || { tail -30 "$2"; exit 1; }
}
curl_fetch() { rm -f "$work/curl.bin"; curl -fsS -o "$work/curl.bin" "$url"; }
hash_file() { sha256sum "$work/curl.bin" >/dev/null; }

# Warm-up: the file into the page cache, the task assembly through one cold and one warm run.
curl_fetch; aic_fetch "$work/warm" "$work/warm-0.log"

declare -a cold warm curl_t sum_t task_t
for r in $(seq 1 "$rounds"); do
  rm -rf "$work/cold"
  if (( r % 2 )); then
    cold+=("$(timed aic_fetch "$work/cold" "$work/cold-$r.log")"); curl_t+=("$(timed curl_fetch)")
  else
    curl_t+=("$(timed curl_fetch)"); cold+=("$(timed aic_fetch "$work/cold" "$work/cold-$r.log")")
  fi
  warm+=("$(timed aic_fetch "$work/warm" "$work/warm-$r.log")")
  sum_t+=("$(timed hash_file)")
  cached=$(find "$work/cold" -type f -size 536870912c | head -1)
  [[ -n $cached && $(sha256sum "$cached" | cut -d' ' -f1) == "$sha" ]] || { echo "the fetched blob is not the file"; exit 1; }
  echo "round $r: AiContainers fetch into an empty cache ${cold[-1]}s, warm-cache run ${warm[-1]}s | curl -o ${curl_t[-1]}s | sha256sum ${sum_t[-1]}s"
  task_t+=("$(grep -o 'verified in [0-9.]* s' "$work/cold-$r.log" | grep -o '[0-9.]*')")
  echo "  the FetchAiModels task's own line: $(grep -o 'AiContainers: 1 model(s).*verified in [0-9.]* s' "$work/cold-$r.log")"
done

python3 - "${cold[*]}" "${warm[*]}" "${curl_t[*]}" "${sum_t[*]}" "${task_t[*]}" <<'PY'
import statistics, sys
cold, warm, curl, summ, task = ([float(x) for x in a.split()] for a in sys.argv[1:6])
m = statistics.median
mib = 512
fetch = m(cold) - m(warm)
print()
print(f"fetch of 512 MiB over loopback HTTP (median): AiContainers {fetch:.2f}s ({mib / fetch:.0f} MiB/s; run {m(cold):.2f}s minus"
      f" {m(warm):.2f}s with a warm cache), curl -o {m(curl):.2f}s ({mib / m(curl):.0f} MiB/s)")
print(f"throughput AiContainers / curl: {m(curl) / fetch:.2f}x (target >= 0.80);"
      f" by the task's own timer ({m(task):.1f}s, 0.1 s resolution): {m(curl) / m(task):.2f}x")
extra = fetch - m(curl)
print(f"verification: AiContainers spends {extra:+.2f}s beyond curl (sha256 while downloading, verify, rename);"
      f" sha256sum alone takes {m(summ):.2f}s ({mib / m(summ):.0f} MiB/s)"
      f" -> {max(extra, 0) / m(summ):.2f}x of sha256sum (target <= 1.00)")
PY
