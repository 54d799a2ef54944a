"""How well a model does: :func:`evaluate` (loss, accuracy, predictions) and :func:`first_nonfinite_parameter`."""

from __future__ import annotations

import numpy as np

import tinynet
from tinynet import nn
from tinynet.backend import asarray, to_numpy
from tinynet.nn import functional as F
from tinynet.tensor import Tensor, no_grad

__all__ = ["EVAL_BATCH_SIZE", "evaluate", "first_nonfinite_parameter"]

#: batch size of :func:`evaluate`
EVAL_BATCH_SIZE = 2048


def evaluate(
    model: nn.Module, X: np.ndarray, y: np.ndarray, batch_size: int = EVAL_BATCH_SIZE
) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and the predicted classes (host array) of *model* on (X, y)."""
    total, predictions = 0.0, []
    with no_grad():
        for start in range(0, len(X), batch_size):
            xb = Tensor(asarray(X[start : start + batch_size]))
            yb = asarray(y[start : start + batch_size])
            logits = model(xb)
            total += float(F.cross_entropy(logits, yb, reduction="sum").item())
            predictions.append(to_numpy(logits.data.argmax(axis=1)))
    pred = np.concatenate(predictions) if predictions else np.zeros(0, dtype=np.int64)
    n = max(len(X), 1)
    return total / n, float((pred == y).mean()) if len(y) else float("nan"), pred


def first_nonfinite_parameter(model: nn.Module) -> str | None:
    """The name of the first parameter of *model* holding a NaN or infinity, else ``None``."""
    for name, p in model.named_parameters():
        if not bool(to_numpy(tinynet.backend.xp.isfinite(p.data).all())):
            return name
    return None
