"""Optional MNIST-1D support through the third-party ``mnist1d`` package.

MNIST-1D (S. Greydanus, D. Kobak, "Scaling down deep learning with MNIST-1D",
ICML 2024; code Apache-2.0) is generated procedurally, so no file is needed:
:func:`load_mnist1d` calls the package's offline ``make_dataset`` and never its
downloading ``get_dataset``.  Install it with ``pip install mnist1d``.
"""

from __future__ import annotations

import importlib
import random
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
from numpy.typing import DTypeLike

from tinynet.datasets._checks import as_int

__all__ = ["load_mnist1d"]


def _import_mnist1d_data() -> Any:
    try:
        return importlib.import_module("mnist1d.data")
    except ImportError as exc:
        raise ImportError(
            "load_mnist1d needs the optional 'mnist1d' package, which could not be "
            f"imported ({exc}). Install it with: pip install mnist1d"
        ) from exc


def load_mnist1d(
    split: Literal["train", "test", "all"] = "train",
    *,
    num_samples: int = 5000,
    seed: int = 42,
    dtype: DTypeLike = "float32",
    **overrides: Any,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Generate the MNIST-1D data set offline with the ``mnist1d`` package.

    The defaults (``num_samples=5000``, ``seed=42``) are the settings of the
    published MNIST-1D set: 4,000 training and 1,000 test sequences of length
    40, ten classes.  Generation takes a few seconds.  ``mnist1d`` reseeds numpy's and
    Python's global random generators; this function restores both afterwards.

    Args:
        split (str): ``"train"``, ``"test"`` or ``"all"`` (train followed by test).
        num_samples (int): total number of sequences before the 80/20 split.
        seed (int): seed passed to the generator.
        dtype: floating dtype of ``X``. Default: float32.
        **overrides: other entries of ``mnist1d.data.get_dataset_args()`` to
            change, e.g. ``shuffle_seq=True`` or ``iid_noise_scale=0.05``.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``X`` of shape ``(N, final_seq_length)``
        and ``y`` int64 of shape ``(N,)`` with labels 0..9.

    Raises:
        ImportError: if ``mnist1d`` is not installed (the message says
            ``pip install mnist1d``).
        ValueError: on an unknown ``split``, override name or non-floating ``dtype``,
            or when ``num_samples`` (>= 1) or ``seed`` (>= 0) is not an integer.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    np_dtype = np.dtype(dtype)
    if np_dtype.kind != "f":
        raise ValueError(f"dtype must be a floating dtype, got {np_dtype}")
    # Checked before the (slow, optional) package is needed: 2.5 samples or seed=True
    # would otherwise be truncated silently.
    num_samples = as_int("load_mnist1d", "num_samples", num_samples, minimum=1)
    seed = as_int("load_mnist1d", "seed", seed, minimum=0)
    data = _import_mnist1d_data()
    args = dict(data.get_dataset_args(as_dict=True))
    unknown = sorted(set(overrides) - set(args))
    if unknown:
        raise ValueError(f"unknown MNIST-1D argument(s) {unknown}; known: {sorted(args)}")
    args.update(overrides, num_samples=num_samples, seed=seed)

    np_state = np.random.get_state()
    py_state = random.getstate()
    try:
        dataset = data.make_dataset(SimpleNamespace(**args))
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)

    if split == "train":
        X, y = dataset["x"], dataset["y"]
    elif split == "test":
        X, y = dataset["x_test"], dataset["y_test"]
    else:
        X = np.concatenate([dataset["x"], dataset["x_test"]])
        y = np.concatenate([dataset["y"], dataset["y_test"]])
    return np.asarray(X, dtype=np_dtype), np.asarray(y, dtype=np.int64)
