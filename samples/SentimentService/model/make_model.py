#!/usr/bin/env python3
"""Write model/sentiment.onnx: a tiny, deterministic logistic-regression "sentiment" scorer.

    score = sigmoid(features @ W + b)

    features: float32[N, 4]   ->   score: float32[N, 1]

The bytes are fully deterministic (fixed producer name/version, IR version,
opset, no timestamps or doc strings that vary), so running this script twice
gives byte-identical output. Requires the `onnx` and `numpy` Python packages
(e.g. Debian's python3-onnx / python3-numpy):

    /usr/bin/python3 model/make_model.py
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Fixed weights, shared with expected.py. Feature order:
#   [positive_words, negative_words, exclamations, emoji_smiles]
WEIGHTS = [[1.5], [-2.0], [0.25], [0.75]]  # shape [4, 1]
BIAS = [-0.5]                               # shape [1]

PRODUCER_NAME = "AiContainers.samples.SentimentService"
PRODUCER_VERSION = "1.0.0"
IR_VERSION = 8
OPSET = 13


def build_model() -> onnx.ModelProto:
    w = numpy_helper.from_array(np.array(WEIGHTS, dtype=np.float32), name="W")
    b = numpy_helper.from_array(np.array(BIAS, dtype=np.float32), name="B")

    features = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 4])
    score = helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N", 1])

    nodes = [
        helper.make_node("MatMul", ["features", "W"], ["logits_nobias"], name="matmul"),
        helper.make_node("Add", ["logits_nobias", "B"], ["logits"], name="add_bias"),
        helper.make_node("Sigmoid", ["logits"], ["score"], name="sigmoid"),
    ]
    graph = helper.make_graph(nodes, "sentiment_logreg", [features], [score], initializer=[w, b])
    model = helper.make_model(
        graph,
        producer_name=PRODUCER_NAME,
        producer_version=PRODUCER_VERSION,
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = IR_VERSION
    model.model_version = 1
    onnx.checker.check_model(model)
    return model


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "sentiment.onnx")
    data = build_model().SerializeToString(deterministic=True)
    with open(out, "wb") as f:
        f.write(data)
    print(f"wrote {out} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
