# The baseline: what a careful person writes by hand for samples/SentimentService, built with
# `docker build` from the output of `dotnet publish -r linux-x64 --self-contained`.
ARG BASE=nvidia/cuda:13.2.0-cudnn-runtime-ubuntu24.04
FROM ${BASE}
RUN (getent group 1654 >/dev/null || groupadd --system --gid 1654 app) \
 && (getent passwd 1654 >/dev/null || useradd --system --uid 1654 --gid 1654 --create-home --shell /usr/sbin/nologin app)
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility ASPNETCORE_HTTP_PORTS=8080
WORKDIR /app
COPY . /app/
EXPOSE 8080
USER 1654:1654
ENTRYPOINT ["/app/SentimentService"]
