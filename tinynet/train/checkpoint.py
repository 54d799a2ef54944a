"""Reading back a run: :func:`load_checkpoint` rebuilds the model that ``tinynet train --out``
(or :func:`~tinynet.train.save_run`) saved, and loads its weights.

Writing runs is the command line's job (:mod:`tinynet.cli.outputs`); reading one back is
the library's, so that user code can use a trained model without the command line.
"""

from __future__ import annotations

import os
from typing import Any

import tinynet
from tinynet import nn
from tinynet.train.errors import DataError
from tinynet.train.factories import build_model

__all__ = ["load_checkpoint"]


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[nn.Sequential, dict[str, Any]]:
    """Rebuild the model saved by ``tinynet train --out`` (or :func:`!save_run`) and load its weights.

    Returns ``(model, checkpoint)``; ``checkpoint["normalization"]`` holds the mean and
    std to apply to new inputs, ``checkpoint["config"]`` the training configuration.
    Raises :class:`DataError` when the file is not such a checkpoint.
    """
    ckpt = tinynet.load(path)
    try:
        cfg = ckpt["config"]
        model = build_model(
            int(ckpt["n_features"]),
            tuple(int(h) for h in cfg["hidden"]),
            int(ckpt["n_classes"]),
            cfg["activation"],
            0,
        )
        model.load_state_dict(ckpt["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise DataError(
            f"{os.fspath(path)} is not a checkpoint of tinynet train: {type(exc).__name__}: {exc}"
        ) from exc
    return model, ckpt
