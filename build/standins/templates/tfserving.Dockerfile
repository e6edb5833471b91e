# STAND-IN for {{REF}} -- Debian bookworm + python3; NO TensorFlow (and no CUDA in -gpu).
# `tensorflow_model_server` is a small python script that parses --port/--rest_api_port/
# --model_name/--model_base_path/--model_config_file, writes its args to
# /tmp/tensorflow_model_server.args, and answers GET /v1/models/<name> with an AVAILABLE
# status on the REST port. Same ENV/entrypoint/ports contract as the real image.
# build/standins.sh adds the ai.containers.standin* labels.
FROM {{BASE}}
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
COPY tensorflow_model_server tf_serving_entrypoint.sh /usr/bin/
RUN chmod 755 /usr/bin/tensorflow_model_server /usr/bin/tf_serving_entrypoint.sh && mkdir -p /models
ENV MODEL_NAME=model \
    MODEL_BASE_PATH=/models \
    TF_SERVING_STANDIN_VERSION={{TF_VERSION}}
{{EXTRA_ENV}}
EXPOSE 8500 8501
ENTRYPOINT ["/usr/bin/tf_serving_entrypoint.sh"]
