"""Trains a logistic regression on a synthetic two-class problem with numpy and writes a checkpoint.

Deterministic (fixed seed). Prints the loss every 50 epochs, the test accuracy, then the checkpoint's
paths: model.npz (weights) and metrics.json in $CHECKPOINT_DIR (default ./checkpoints)."""
import argparse
import json
import os

import numpy as np


def make_data(rng, n=400):
    # Two Gaussian blobs in 2-D, labels 0 and 1.
    x0 = rng.normal(loc=(-1.5, -1.0), scale=0.8, size=(n // 2, 2))
    x1 = rng.normal(loc=(1.5, 1.0), scale=0.8, size=(n // 2, 2))
    x = np.vstack([x0, x1])
    y = np.concatenate([np.zeros(n // 2), np.ones(n // 2)])
    order = rng.permutation(n)
    return x[order], y[order]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--checkpoint-dir", default=os.environ.get("CHECKPOINT_DIR", "checkpoints"))
    args = parser.parse_args()

    rng = np.random.default_rng(7)
    x, y = make_data(rng)
    split = int(len(y) * 0.8)
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]

    w = np.zeros(2)
    b = 0.0
    loss = float("nan")
    for epoch in range(1, args.epochs + 1):
        p = 1.0 / (1.0 + np.exp(-(x_train @ w + b)))
        loss = -np.mean(y_train * np.log(p + 1e-12) + (1 - y_train) * np.log(1 - p + 1e-12))
        w -= args.lr * (x_train.T @ (p - y_train)) / len(y_train)
        b -= args.lr * float(np.mean(p - y_train))
        if epoch % 50 == 0 or epoch == args.epochs:
            print(f"epoch {epoch} loss {loss:.4f}", flush=True)

    predicted = (1.0 / (1.0 + np.exp(-(x_test @ w + b))) >= 0.5).astype(int)
    test_accuracy = float(np.mean(predicted == y_test.astype(int)))
    print(f"test accuracy {test_accuracy:.3f}", flush=True)

    os.makedirs(args.checkpoint_dir, exist_ok=True)
    model_path = os.path.join(args.checkpoint_dir, "model.npz")
    metrics_path = os.path.join(args.checkpoint_dir, "metrics.json")
    np.savez(model_path, weights=w, bias=np.array([b]))
    with open(metrics_path, "w", encoding="utf-8") as f:
        json.dump({"epochs": args.epochs, "loss": round(float(loss), 6), "test_accuracy": test_accuracy}, f, indent=2)
        f.write("\n")
    print(f"checkpoint {model_path}", flush=True)
    print(f"metrics {metrics_path}", flush=True)


if __name__ == "__main__":
    main()
