#!/usr/bin/env python3
"""A small trainer for `vireo serve`'s training sessions: logistic regression on synthetic
data with numpy, a few seconds a run. It reads the session's config (VIREO_SESSION_CONFIG,
the JSON the server parsed from the YAML), reports each epoch's metrics as a line of standard
output starting with VIREO_METRICS, and uploads its best checkpoint when the server says where
it is (VIREO_SERVER_URL, VIREO_API_KEY, VIREO_SESSION_ID).

Run by the server (command: in the config), or by hand: `python3 trainer.py config.json`."""
import io
import json
import os
import sys
import time
import urllib.request
import uuid

import numpy as np

MARKER = os.environ.get("VIREO_METRICS_MARKER", "VIREO_METRICS ")


def load_config():
    path = os.environ.get("VIREO_SESSION_CONFIG") or (sys.argv[1] if len(sys.argv) > 1 else None)
    if not path:
        return {}
    with open(path) as file:
        return json.load(file)


def make_data(rng, samples, features):
    weights = rng.normal(size=features)
    x = rng.normal(size=(samples, features))
    y = (x @ weights + 0.5 * rng.normal(size=samples) > 0).astype(np.float64)
    split = int(samples * 0.8)
    return (x[:split], y[:split]), (x[split:], y[split:])


def loss_and_accuracy(w, b, x, y):
    p = 1 / (1 + np.exp(-(x @ w + b)))
    eps = 1e-9
    loss = float(-np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))
    return loss, float(np.mean((p > 0.5) == y))


def upload_checkpoint(epoch, metrics, w, b):
    """POST the weights as a multipart upload to /api/v1/checkpoints."""
    url, key, session = os.environ.get("VIREO_SERVER_URL"), os.environ.get("VIREO_API_KEY"), os.environ.get("VIREO_SESSION_ID")
    if not (url and session):
        return
    buffer = io.BytesIO()
    np.savez(buffer, w=w, b=np.array([b]))
    boundary = uuid.uuid4().hex
    fields = {"session_id": session, "epoch": str(epoch), "metrics": json.dumps(metrics)}
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                    for name, value in fields.items())
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="epoch_{epoch}.npz"\r\n'
             f"Content-Type: application/octet-stream\r\n\r\n").encode() + buffer.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url + "/api/v1/checkpoints", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-API-Key": key or ""})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print(f"checkpoint uploaded: {response.read().decode()}", flush=True)
    except Exception as error:  # the run itself succeeded; say why the upload did not
        print(f"checkpoint upload failed: {error}", file=sys.stderr, flush=True)


def main():
    config = load_config()
    epochs = int(config.get("epochs", config.get("total_epochs", 10)))
    learning_rate = float(config.get("learning_rate", 0.5))
    decay = float(config.get("lr_decay", 0.95))
    batch_size = int(config.get("batch_size", 64))
    seconds_per_epoch = float(config.get("seconds_per_epoch", 0.05))
    fail_at_epoch = config.get("fail_at_epoch")
    rng = np.random.default_rng(int(config.get("seed", 0)))
    (x, y), (x_val, y_val) = make_data(rng, int(config.get("samples", 2000)), int(config.get("features", 8)))
    w, b = np.zeros(x.shape[1]), 0.0
    best = None
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            p = 1 / (1 + np.exp(-(x[batch] @ w + b)))
            w -= learning_rate * x[batch].T @ (p - y[batch]) / len(batch)
            b -= learning_rate * float(np.mean(p - y[batch]))
        train_loss, train_accuracy = loss_and_accuracy(w, b, x, y)
        val_loss, val_accuracy = loss_and_accuracy(w, b, x_val, y_val)
        metrics = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "train_accuracy": train_accuracy,
                   "val_accuracy": val_accuracy, "learning_rate": learning_rate}
        print(MARKER + json.dumps(metrics), flush=True)
        if best is None or val_loss < best[1]["val_loss"]:
            best = (epoch, metrics, w.copy(), b)
        if fail_at_epoch is not None and epoch >= int(fail_at_epoch):
            print(f"failing on purpose at epoch {epoch}", file=sys.stderr, flush=True)
            sys.exit(3)
        learning_rate *= decay
        time.sleep(seconds_per_epoch)
    if best is not None and config.get("upload_checkpoint", True):
        epoch, metrics, w, b = best
        upload_checkpoint(epoch, {k: v for k, v in metrics.items() if k != "epoch"}, w, b)


if __name__ == "__main__":
    main()
