# The baseline for bench/weights-rebuild.sh: what a careful person writes by hand for a .NET app that
# ships model weights, built with `docker build` from a folder holding the app (the output of
# `dotnet publish -r linux-x64 --self-contained false`) under app/ and the weights under models/.
# Careful: the weights are copied before the app, so a code-only change keeps their layer cached and
# the push skips it; but the classic builder still reads and sends the whole context, weights
# included, on every build.
ARG BASE=mcr.microsoft.com/dotnet/runtime:10.0
FROM ${BASE}
COPY models/ /models/
ENV AI_MODEL_BENCH_PATH=/models/bench/weights-1g.bin
WORKDIR /app
COPY app/ /app/
USER 1654:1654
ENTRYPOINT ["/usr/share/dotnet/dotnet", "/app/WeightsBench.dll"]
