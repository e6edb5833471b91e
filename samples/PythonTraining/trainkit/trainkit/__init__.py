"""Training helpers for the AiContainers Python sample: metrics and checkpoint files.

Pure Python; numpy arrays are passed in by the caller, so the wheel has no dependencies."""
import json
import os

__version__ = "0.1.0"


def accuracy(predicted, expected):
    """Share of equal labels in two equally long sequences."""
    if len(predicted) != len(expected) or not len(expected):
        raise ValueError("accuracy needs two non-empty sequences of the same length")
    return sum(1 for p, e in zip(predicted, expected) if p == e) / len(expected)


def save_checkpoint(directory, arrays, metrics, save_arrays):
    """Writes model.npz (through save_arrays, e.g. numpy.savez) and metrics.json into directory."""
    os.makedirs(directory, exist_ok=True)
    model_path = os.path.join(directory, "model.npz")
    save_arrays(model_path, **arrays)
    metrics_path = os.path.join(directory, "metrics.json")
    with open(metrics_path, "w") as f:
        json.dump(dict(metrics, trainkit=__version__), f, indent=2, sort_keys=True)
        f.write("\n")
    return model_path, metrics_path
