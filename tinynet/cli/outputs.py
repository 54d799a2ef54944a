"""The files of ``tinynet train --out DIR``: checkpoint, JSON log and plot.

Every file goes through :mod:`tinynet._io` (a temporary file, then an atomic rename), so
each is either the complete new version or the untouched old one. A run is written only
when it succeeded: :func:`save_run` refuses a diverged run, and any checkpoint whose
weights are not all finite, so a good earlier run in the same directory is never replaced
by a broken one.
"""

from __future__ import annotations

import json
import math
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

import tinynet
from tinynet._io import atomic_write, atomic_write_text
from tinynet.backend import backend_name
from tinynet.train import TrainConfig, TrainError, TrainResult, first_nonfinite_parameter

__all__ = [
    "CHECKPOINT_NAME",
    "LOG_NAME",
    "PLOT_NAME",
    "save_run",
    "run_log",
    "plot_curves",
    "title",
    "versions",
]

CHECKPOINT_NAME = "checkpoint.safetensors"
LOG_NAME = "log.json"
PLOT_NAME = "curves.png"


def versions() -> dict[str, str]:
    """The versions of tinynet, numpy, tqdm (if installed), Python, the platform (and the GPU)."""
    info = {
        "tinynet": tinynet.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import tqdm as _tqdm

        info["tqdm"] = _tqdm.__version__
    except ImportError:
        pass
    if backend_name() == "cupy":
        import cupy  # type: ignore[import-not-found]

        info["cupy"] = cupy.__version__
        try:
            props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
            name = props["name"]
            info["gpu"] = name.decode() if isinstance(name, bytes) else str(name)
        except Exception:  # pragma: no cover - informational only
            pass
    return info


def _json_safe(obj: Any) -> Any:
    """Replace NaN/inf (not valid JSON) by None, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def run_log(result: TrainResult) -> dict[str, Any]:
    """The JSON-able record written to ``log.json``."""
    data = result.data
    return {
        "command": "tinynet train",
        "config": result.config.to_dict(),
        "data": {
            "description": data.description,
            "n_train": int(len(data.X_train)),
            "n_test": int(len(data.X_test)),
            "n_features": data.n_features,
            "n_classes": data.n_classes,
            "standardized_with": "training-set mean and std per feature",
        },
        "model": {
            "layers": [repr(m) for m in result.model],
            "n_parameters": int(result.model.num_parameters()),
        },
        "epochs": _json_safe(result.history),
        "final": _json_safe(result.final),
        "diverged": result.diverged,
        "backend": backend_name(),
        "versions": versions(),
    }


def title(config: TrainConfig, result: TrainResult) -> str:
    """One line describing the run (the plot's title)."""
    c = config
    return (
        f"{c.dataset}: MLP {result.architecture} ({c.activation}), {c.optimizer} lr={c.lr:g}, "
        f"batch {c.batch_size}, seed {c.seed}, backend {backend_name()}"
    )


def _figure(history: list[dict[str, Any]], title_text: str = "") -> Any:
    """The matplotlib figure of the loss (left) and accuracy (right) curves."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "matplotlib is needed for the plot of the training curves but is not installed; "
            "install it with: pip install 'tinynet[plot]'  (the checkpoint and log were still written)"
        ) from exc
    epochs = [r["epoch"] for r in history]
    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, [r["train_loss"] for r in history], label="train")
    ax_loss.plot(epochs, [r["test_loss"] for r in history], label="test")
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy (log scale)")
    ax_loss.set_title("loss")
    ax_acc.plot(epochs, [100 * r["train_acc"] for r in history], label="train")
    ax_acc.plot(epochs, [100 * r["test_acc"] for r in history], label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    final = history[-1]["test_acc"] if history else float("nan")
    ax_acc.set_title(f"accuracy (final test {100 * final:.1f}%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    if title_text:
        fig.suptitle(title_text, fontsize=10)
    fig.tight_layout()
    return fig


def plot_curves(
    history: list[dict[str, Any]], path: str | os.PathLike[str], title: str = ""
) -> None:
    """Save a PNG with the loss (left) and accuracy (right) curves of *history*, atomically.

    Uses matplotlib's Agg canvas directly (no ``pyplot``), so it neither needs a display
    nor changes the backend of a running notebook. Raises ImportError without matplotlib.
    """
    fig = _figure(history, title)
    atomic_write(path, lambda f: fig.savefig(f, format="png"))


def save_run(
    result: TrainResult, out_dir: str | os.PathLike[str], plot: bool = True
) -> dict[str, Any]:
    """Write the checkpoint, the JSON log and (if matplotlib is present) the plot to *out_dir*.

    Returns the paths written (``"checkpoint"``, ``"log"``, ``"plot"``). A missing
    matplotlib is not an error: the plot is skipped and ``paths["plot_error"]`` holds
    the reason. Raises :class:`~tinynet.train.TrainError`, writing nothing, for a
    diverged run or a model with a NaN/inf weight; ``OSError`` if a file cannot be written.
    """
    if result.diverged:
        raise TrainError(
            f"refusing to save a diverged run ({result.diverged_reason}); nothing was written"
        )
    bad = first_nonfinite_parameter(result.model)
    if bad is not None:
        raise TrainError(
            f"refusing to write a checkpoint: parameter {bad!r} is not finite; nothing was written"
        )
    out = Path(out_dir)
    paths: dict[str, Any] = {}
    figure = None
    if plot:
        try:
            figure = _figure(result.history, title(result.config, result))
        except ImportError as exc:
            paths["plot_error"] = str(exc)
    data = result.data
    checkpoint = {
        "model": result.model.state_dict(),
        "optimizer": result.optimizer.state_dict(),
        "config": result.config.to_dict(),
        "normalization": {"mean": data.mean, "std": data.std},
        "n_features": data.n_features,
        "n_classes": data.n_classes,
        "epoch": result.final.get("epochs_run", len(result.history)),
    }
    log = run_log(result)
    log["files"] = {"checkpoint": CHECKPOINT_NAME, "log": LOG_NAME}
    if figure is not None:
        log["files"]["plot"] = PLOT_NAME
    text = json.dumps(log, indent=2) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    # tinynet.save writes through tinynet._io.atomic_write.
    paths["checkpoint"] = out / CHECKPOINT_NAME
    tinynet.save(checkpoint, paths["checkpoint"])
    paths["log"] = out / LOG_NAME
    atomic_write_text(paths["log"], text)
    if figure is not None:
        atomic_write(out / PLOT_NAME, lambda f: figure.savefig(f, format="png"))
    # in the order the summary line has always listed them
    order = ("checkpoint", "plot", "log", "plot_error")
    written = {**paths, **({"plot": out / PLOT_NAME} if figure is not None else {})}
    return {k: written[k] for k in order if k in written}
