# STAND-IN for {{REF}} -- Debian bookworm + python3; NO PyTorch, NO Java, NO real TorchServe.
# `torchserve` is a small python script: it prints its arguments, writes them to
# /tmp/torchserve.args and answers GET /ping (inference port, 8080) and GET /models
# (management port, 8081). Same user/paths/entrypoint contract as the real image.
# build/standins.sh adds the ai.containers.standin* labels.
FROM {{BASE}}
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
RUN useradd -m -u 1000 -d /home/model-server -s /bin/bash model-server \
 && mkdir -p /home/model-server/tmp /home/model-server/model-store /home/venv/bin \
 && ln -s /usr/bin/python3 /home/venv/bin/python \
 && ln -s /usr/bin/python3 /home/venv/bin/python3
COPY torchserve torch-model-archiver dockerd-entrypoint.sh /usr/local/bin/
COPY config.properties /home/model-server/config.properties
RUN chmod 755 /usr/local/bin/torchserve /usr/local/bin/torch-model-archiver /usr/local/bin/dockerd-entrypoint.sh \
 && chown -R model-server:model-server /home/model-server
ENV PATH=/home/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=TRUE \
    TEMP=/home/model-server/tmp \
    TS_STANDIN_VERSION={{TS_VERSION}}
EXPOSE 8080 8081 8082 7070 7071
USER model-server
WORKDIR /home/model-server
ENTRYPOINT ["/usr/local/bin/dockerd-entrypoint.sh"]
CMD ["serve"]
