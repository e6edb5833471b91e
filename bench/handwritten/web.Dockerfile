# The baseline for bench/code-change-publish.sh: what a careful person writes by hand for a self-contained ASP.NET Core
# app on the CUDA base, built with `docker build` from the output of `dotnet publish -r linux-x64 --self-contained`.
# No RUN: the numeric user 1654 needs no /etc/passwd entry. One COPY, as people write it: every code change rebuilds and
# pushes the layer holding the .NET runtime too.
ARG BASE=docker.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04
FROM ${BASE}
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility ASPNETCORE_HTTP_PORTS=8080
WORKDIR /app
COPY . /app/
EXPOSE 8080
USER 1654:1654
ENTRYPOINT ["/app/CodeChangeBench"]
