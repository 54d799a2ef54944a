r"""The data of a training run: loading, checking and standardising it (:func:`load_data`).

Inputs are standardised with the **training** set's per-pixel mean :math:`\mu_j` and
standard deviation :math:`\sigma_j`, :math:`x'_{ij} = (x_{ij} - \mu_j) / \sigma_j`
(pixels that are constant in the training set, :math:`\sigma_j < 10^{-8}`, are only
centred). Preparation runs on the host with numpy, as the datasets do; the model and
its training run on the active backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tinynet
from tinynet.train.config import TrainConfig, is_int
from tinynet.train.errors import DataError

__all__ = ["Data", "load_data", "check_data"]


@dataclass
class Data:
    """Train/test arrays on the host, already standardised, plus what is needed to redo it."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    mean: np.ndarray
    std: np.ndarray
    description: str

    @property
    def n_features(self) -> int:
        """The number of input features (the size of the second axis of ``X_train``)."""
        return int(self.X_train.shape[1])


def _split(X: np.ndarray, y: np.ndarray, test_fraction: float = 0.2, seed: int = 0) -> tuple:
    perm = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    test, train = perm[:n_test], perm[n_test:]
    return X[train], y[train], X[test], y[test]


def _check_finite_rows(X: np.ndarray, what: str, after: str = "") -> None:
    """Raise :class:`DataError` naming the first row of *X* with a NaN or infinity."""
    finite = np.isfinite(X)
    if finite.all():
        return
    bad_rows = ~finite.reshape(len(X), -1).all(axis=1)
    row = int(np.argmax(bad_rows))
    flat = X.reshape(len(X), -1)[row]
    column = int(np.argmax(~np.isfinite(flat)))
    raise DataError(f"{what} row {row} contains {flat[column]} (column {column}){after}")


def _check_arrays(
    X: np.ndarray, y: np.ndarray, what: str, n_classes: int, n_features: int | None
) -> None:
    """Shape, emptiness, finiteness and label checks of one split (*what* names it)."""
    if X.ndim != 2:
        raise DataError(f"{what}: expected a 2-d array (samples, features), got shape {X.shape}")
    if len(X) == 0:
        raise DataError(f"{what}: the set is empty (0 samples)")
    if n_features is not None and X.shape[1] != n_features:
        raise DataError(
            f"{what} have {X.shape[1]} features per sample but the training set has "
            f"{n_features}; both sets must come from the same kind of data"
        )
    if y.shape != (len(X),):
        raise DataError(f"{what}: {len(X)} samples but labels of shape {y.shape}")
    _check_finite_rows(X, what)
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{what}: labels must be integers, got dtype {y.dtype}")
    outside = (y < 0) | (y >= n_classes)
    if outside.any():
        row = int(np.argmax(outside))
        raise DataError(
            f"{what}: label of row {row} is {y[row]}, outside the classes 0..{n_classes - 1}"
        )


def load_data(config: TrainConfig) -> Data:
    """Load (or generate) the data set of *config* and standardise it with training statistics.

    The generated sets (spiral, moons) are always drawn with seed 0 and split 80/20 with
    seed 0, so ``seed`` changes the model and the batch order but not the data.

    Raises :class:`DataError` when a file cannot be read, a set is empty, the training
    and test samples differ in size, a label is out of range, or a value is NaN/inf
    (naming the set and the first bad row, e.g. ``training images row 17 contains nan``).
    """
    config = config.resolved()
    ds = config.dataset
    what = "images"
    if ds == "digits":
        X_tr, y_tr = tinynet.datasets.load_digits("train")
        X_te, y_te = tinynet.datasets.load_digits("test")
        n_classes, description = 10, "UCI digits, 8x8 images (bundled)"
    elif ds == "mnist":
        try:
            X_tr, y_tr = tinynet.datasets.load_mnist(config.data_dir, "train")
            X_te, y_te = tinynet.datasets.load_mnist(config.data_dir, "test")
        except (OSError, ValueError, EOFError) as exc:
            # The reader's message names the file; say which setting pointed there.
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, OSError) and exc.strerror and exc.filename:
                reason = f"{exc.strerror}: {exc.filename}"
            raise DataError(f"cannot load MNIST from {config.data_dir}: {reason}") from exc
        n_classes, description = 10, f"MNIST images from {config.data_dir}"
    elif ds == "spiral":
        X, y = tinynet.datasets.make_spiral(n_per_class=300, n_classes=3, noise=0.2, seed=0)
        X_tr, y_tr, X_te, y_te = _split(X, y)
        n_classes, description, what = 3, "3-arm spiral, 900 points (generated, seed 0)", "points"
    else:  # moons
        X, y = tinynet.datasets.make_moons(n_samples=1000, noise=0.2, seed=0)
        X_tr, y_tr, X_te, y_te = _split(X, y)
        n_classes, description, what = 2, "two moons, 1000 points (generated, seed 0)", "points"
    X_tr = np.asarray(X_tr, dtype=np.float64)
    X_te = np.asarray(X_te, dtype=np.float64)
    y_tr, y_te = np.asarray(y_tr), np.asarray(y_te)
    if ds == "mnist" and X_tr.ndim == 2 and X_te.ndim == 2 and X_tr.shape[1] != X_te.shape[1]:
        raise DataError(
            f"MNIST training and test images differ in size: {X_tr.shape[1]} pixels per "
            f"training image, {X_te.shape[1]} per test image (in {config.data_dir})"
        )
    _check_arrays(X_tr, y_tr, f"training {what}", n_classes, None)
    _check_arrays(X_te, y_te, f"test {what}", n_classes, X_tr.shape[1])
    # Overflow to inf (finite values beyond float32's range, or a mean/std beyond float64's)
    # is reported just below, by row, instead of as a numpy warning.
    with np.errstate(over="ignore", invalid="ignore"):
        if config.standardize:
            mean = X_tr.mean(axis=0)
            std = X_tr.std(axis=0)
            std[std < 1e-8] = 1.0  # constant features (blank border pixels): centre only
        else:
            mean = np.zeros(X_tr.shape[1])
            std = np.ones(X_tr.shape[1])
        data = Data(
            X_train=((X_tr - mean) / std).astype(np.float32),
            y_train=np.asarray(y_tr, dtype=np.int64),
            X_test=((X_te - mean) / std).astype(np.float32),
            y_test=np.asarray(y_te, dtype=np.int64),
            n_classes=n_classes,
            mean=mean.astype(np.float32),
            std=std.astype(np.float32),
            description=description,
        )
    # Finite raw values can still overflow float32 (|x| > 3.4e38) or the mean/std.
    note = " after standardisation (values too large for float32?)"
    _check_finite_rows(data.X_train, f"training {what}", note)
    _check_finite_rows(data.X_test, f"test {what}", note)
    return data


def check_data(data: Data) -> None:
    """The checks of :func:`load_data`, for a :class:`Data` passed to :func:`fit` directly."""
    if not isinstance(data, Data):
        raise DataError(f"data must be a tinynet.train.Data, got {type(data).__name__}")
    if not (is_int(data.n_classes) and data.n_classes >= 1):
        raise DataError(f"data.n_classes must be a positive integer, got {data.n_classes!r}")
    X_tr, X_te = np.asarray(data.X_train), np.asarray(data.X_test)
    _check_arrays(X_tr, np.asarray(data.y_train), "data.X_train", data.n_classes, None)
    _check_arrays(X_te, np.asarray(data.y_test), "data.X_test", data.n_classes, X_tr.shape[1])
