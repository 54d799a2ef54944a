"""What every implementation shares: sizes, initial weights, data, Adam settings, statistics.

Every implementation module (``impl_*.py``) exposes ``available() -> (bool, reason)``
and ``Trainer(problem, dtype)``, an object with

* ``step()``: one full training step on the fixed batch -- forward, softmax
  cross-entropy, backward, Adam update. It must not copy anything back to the host.
* ``loss() -> float``: the loss computed by the last ``step()``.
* ``params_numpy() -> list[numpy.ndarray]``: ``[W1, b1, W2, b2, ...]`` as host copies in
  tinynet's layout (``W`` of shape ``(in, out)``), for the agreement check.
* ``sync()``: wait for queued device work (GPU); a no-op on the CPU.

A trainer's constructor loads the shared initial weights and the batch, and builds
the optimizer, but allocates no optimizer state or gradients: those appear during
the first ``step()``, so the memory benchmark counts them for every implementation.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.threads import THREAD_VARS

REPO_ROOT = Path(__file__).resolve().parent.parent

#: (layer widths, batch size) of each benchmarked MLP; ReLU between the layers.
SIZES: dict[str, tuple[tuple[int, ...], int]] = {
    "small": ((64, 128, 10), 64),
    "medium": ((784, 256, 256, 10), 128),
    "large": ((784, 1024, 1024, 10), 512),
}
DTYPES = ("float32", "float64")

#: Adam hyperparameters, the same for everyone (PyTorch's formula: bias-corrected
#: moments, eps added outside the square root).
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8

SEED = 1234


@dataclass
class Problem:
    """One benchmark problem: layer widths, the initial weights and one batch (float64)."""

    size: str
    widths: tuple[int, ...]
    batch: int
    weights: list[tuple[np.ndarray, np.ndarray]]  # (W of shape (in, out), b of shape (out,))
    X: np.ndarray
    y: np.ndarray  # int64 class labels
    lr: float = LR
    betas: tuple[float, float] = BETAS
    eps: float = EPS

    def weights_as(self, dtype: str) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(W.astype(dtype), b.astype(dtype)) for W, b in self.weights]

    def X_as(self, dtype: str) -> np.ndarray:
        return self.X.astype(dtype)


def make_problem(size: str, seed: int = SEED) -> Problem:
    """The initial weights (He-normal) and a random batch, drawn once with numpy in float64.

    Every implementation receives these same arrays (rounded to its dtype), so all of
    them start from the same point and see the same data.
    """
    widths, batch = SIZES[size]
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        W = rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_in)
        b = rng.standard_normal(fan_out) * 0.01
        weights.append((W, b))
    X = rng.standard_normal((batch, widths[0]))
    y = rng.integers(0, widths[-1], size=batch).astype(np.int64)
    return Problem(size, widths, batch, weights, X, y)


# --------------------------------------------------------------------------- statistics
@dataclass
class Stats:
    """Summary of repeated measurements (seconds, or a plain ratio)."""

    median: float
    q1: float
    q3: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        a = np.asarray(samples, dtype=float)
        q1, med, q3 = np.percentile(a, [25, 50, 75])
        return cls(float(med), float(q1), float(q3), float(a.min()), float(a.max()), len(a))

    def as_dict(self) -> dict[str, float]:
        return {
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
            "min": self.min,
            "max": self.max,
            "n": self.n,
        }


@dataclass
class Timing:
    """Per-step times of several implementations measured round-robin in one run."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    steps_per_block: dict[str, int] = field(default_factory=dict)
    rounds: int = 0
    faults: dict[str, list[float]] = field(default_factory=dict)  # minor page faults per step

    def stats(self, name: str) -> Stats:
        return Stats.of(self.samples[name])

    def ratio(self, name: str, reference: str) -> Stats:
        """Paired ratio: per round, time(name) / time(reference) of the same round.

        Pairing by round cancels slow drifts of the machine (another process starting
        or stopping) that would bias a ratio of two medians taken at different times.
        """
        a, b = self.samples[name], self.samples[reference]
        return Stats.of([x / y for x, y in zip(a, b)])


# --------------------------------------------------------------------------- machine
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def blas_name() -> str:
    try:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.25
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy, or an unexpected layout
        return "unknown"


def machine_info(threads: int) -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "threads": threads,
        "thread_env": {v: os.environ.get(v) for v in THREAD_VARS},
        "load_average_at_start": list(load) if load else None,
        "versions": {
            "tinynet": _version("tinynet"),
            "tinynet_commit": _git_commit(),
            "numpy": np.__version__,
            "numpy_blas": blas_name(),
            "torch": _version("torch"),
            "dezero": _version("dezero"),
            "cupy": _version("cupy-cuda12x") or _version("cupy-cuda11x") or _version("cupy"),
        },
    }


def fmt_time(seconds: float) -> str:
    """A duration with a unit that keeps 3 significant digits."""
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def median(xs: list[float]) -> float:
    return statistics.median(xs)
