#!/bin/bash
# Same contract as the real tensorflow/serving entrypoint (this is a STAND-IN image).
tensorflow_model_server --port=8500 --rest_api_port=8501 --model_name=${MODEL_NAME} --model_base_path=${MODEL_BASE_PATH}/${MODEL_NAME} "$@"
