#!/usr/bin/env python3
"""Print the scores model/sentiment.onnx must produce for the fixed example input.

Computed with plain numpy (float32) from the same weights make_model.py uses,
independent of any ONNX runtime, so tests can compare the service's /predict
output against it. Output is one JSON object on stdout:

    {"features": [[...], ...], "scores": [...]}
"""
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ next to the model
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model import BIAS, WEIGHTS  # noqa: E402

EXAMPLE_INPUT = [[1, 0, 0, 0], [0, 0, 1, 1]]


def expected_scores(features):
    x = np.array(features, dtype=np.float32)
    w = np.array(WEIGHTS, dtype=np.float32)
    b = np.array(BIAS, dtype=np.float32)
    logits = x @ w + b
    return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)[:, 0]


if __name__ == "__main__":
    scores = expected_scores(EXAMPLE_INPUT)
    print(json.dumps({"features": EXAMPLE_INPUT, "scores": [float(s) for s in scores]}))
