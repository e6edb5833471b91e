#!/bin/bash
# STAND-IN for the nvidia/cuda entrypoint: runs /opt/nvidia/entrypoint.d/*.sh, then the command.
# Unlike the real one it prints no banner (keeps test output clean). This image has NO CUDA.
set -e
for f in /opt/nvidia/entrypoint.d/*.sh; do
  [ -r "$f" ] && . "$f"
done
if [ $# -eq 0 ]; then exec /bin/bash; else exec "$@"; fi
