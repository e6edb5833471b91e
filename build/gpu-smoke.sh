#!/usr/bin/env bash
# Builds samples/GpuSmoke's image with the packed SDK and lays out what a GPU machine without Docker needs to
# run it with plain runc (device nodes and the driver's libraries given to the container, as the NVIDIA
# container toolkit does):
#   <out>/rootfs.tar   the image's root filesystem (docker export)
#   <out>/runc/        Debian's runc binary and the libseccomp.so.2 it links
# <out> is artifacts/gpu-smoke (ignored by git), or $AIC_GPU_SMOKE_OUT. The whole folder stays under 64 MiB, the
# most a GPU test machine takes; the script fails when it does not. Run the app on that machine (README.md,
# "Proof on a real GPU"): unpack rootfs.tar and start /app/GpuSmoke in it with /dev/nvidia* and the driver's
# libraries (LD_LIBRARY_PATH) given to the container.
# Needs build/setup.sh's engine and registry (the glibc-min base is pushed there by build/standins.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${AIC_GPU_SMOKE_OUT:-$root/artifacts/gpu-smoke}
limit=$((64 * 1024 * 1024))
say() { printf '[aic-gpu-smoke] %s\n' "$*"; }
die() { printf '[aic-gpu-smoke] ERROR: %s\n' "$*" >&2; exit 1; }

state=${AIC_STATE:-/var/lib/aic-dev}
[ -f "$state/env.sh" ] || die "$state/env.sh is missing: run build/setup.sh first (engine, registry, stand-ins)"
# shellcheck disable=SC1091
. "$state/env.sh"
export NUGET_PACKAGES=${NUGET_PACKAGES:-$root/artifacts/nuget-packages}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDTERMINALLOGGER=off

# The base: glibc only (build/standins/templates/glibc-min.Dockerfile); up to date in a second when unchanged.
AIC_STANDINS='aicontainers/glibc-min:*' "$root/build/standins.sh"
# The sample names the package without a version: samples/global.json (written by build/pack.sh) pins it.
[ -f "$root/artifacts/packages/version.txt" ] && [ -f "$root/samples/global.json" ] || "$root/build/pack.sh"

work=$(mktemp -d /tmp/aic-gpu-smoke.XXXXXX)
container=""
cleanup() {
  [ -z "$container" ] || docker rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# A copy of the sample, so its folder gets no bin/ or obj/ and a concurrent build of it is not disturbed.
mkdir -p "$work/app"
tar -C "$root/samples/GpuSmoke" --exclude=./bin --exclude=./obj -cf - . | tar -C "$work/app" -xf -
cp "$root/samples/global.json" "$work/app/global.json"
cat >"$work/app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="aicontainers-local" value="$root/artifacts/packages" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
EOF

say "publishing samples/GpuSmoke (daemonless, to a docker-archive)"
dotnet publish "$work/app/GpuSmoke.csproj" -c Release -nologo -v:q -nodeReuse:false \
  -p:PublishAiImage=true -p:ContainerImageTag=gpu-smoke -p:ContainerArchiveOutputPath="$work/image.tar"
image=$(docker load -i "$work/image.tar" | sed -n 's/^Loaded image: //p' | tail -n1)
[ -n "$image" ] || die "docker load printed no image name"

rm -rf "$out"
mkdir -p "$out/runc"
container=$(docker create "$image")
docker export -o "$out/rootfs.tar" "$container"
say "root filesystem of $image: $out/rootfs.tar"

# runc and libseccomp from Debian: the GPU machine has neither Docker nor the NVIDIA container toolkit.
mkdir -p "$work/debs"
if ! (cd "$work/debs" && apt-get download runc libseccomp2 >/dev/null 2>&1); then
  apt-get update -qq >/dev/null
  (cd "$work/debs" && apt-get download runc libseccomp2 >/dev/null)
fi
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/debs/x"; done
cp "$work/debs/x/usr/sbin/runc" "$out/runc/runc"
cp -L "$(find "$work/debs/x" -name 'libseccomp.so.2' | head -n1)" "$out/runc/libseccomp.so.2"

size=$(du -sb "$out" | cut -f1)
say "$out: $(numfmt --to=iec "$size") ($(numfmt --to=iec "$(stat -c %s "$out/rootfs.tar")") root filesystem)"
[ "$size" -le "$limit" ] || die "$out is $(numfmt --to=iec "$size"), over the 64 MiB a GPU test machine takes"
cat <<EOF
[aic-gpu-smoke] On the GPU machine, with this folder at ./gpu-smoke and a script that runs a command in a root
[aic-gpu-smoke] filesystem with runc, /dev/nvidia* and the driver's libraries (LD_LIBRARY_PATH=/usr/local/nvidia/lib64):
  mkdir -p gpu-smoke/rootfs && tar -xf gpu-smoke/rootfs.tar -C gpu-smoke/rootfs
  <run-in-container> gpu-smoke/rootfs gpu-smoke/runc -- /app/GpuSmoke
[aic-gpu-smoke] Expected: 'GpuSmoke: device <GPU name>, compute capability X.Y, vector add of 1048576 floats OK', exit 0.
EOF
