"""The UCI optical handwritten digits data set, bundled with tinynet.

The data file ``data/digits.npz`` holds the 1,797 8x8 grey-scale images of
handwritten digits from E. Alpaydin and C. Kaynak, "Optical Recognition of
Handwritten Digits", UCI Machine Learning Repository, 1998,
DOI 10.24432/C50P49, licensed CC BY 4.0 (see ``data/DIGITS_LICENSE.md``).
Each pixel is a count 0..16 of "on" pixels in a 4x4 block of the original
32x32 bitmap.  Nothing is downloaded: the file ships inside the package.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import DTypeLike

from tinynet.datasets._checks import as_fraction, as_int

__all__ = [
    "DIGITS_PATH",
    "DIGITS_SHA256",
    "DatasetChecksumError",
    "digits_split_indices",
    "load_digits",
]

#: Location of the bundled data file.
DIGITS_PATH: Path = Path(__file__).resolve().parent / "data" / "digits.npz"

#: SHA-256 of the bundled ``digits.npz``; checked on every load.
DIGITS_SHA256: str = "9208093358789918581479b67a4eca5911d0f55ce3a16bd8349dd0784c32c1a8"

_N_SAMPLES = 1797
_N_FEATURES = 64
_N_CLASSES = 10
_MAX_VALUE = 16

Split = Literal["train", "test", "all"]


class DatasetChecksumError(ValueError):
    """A bundled data file does not match the checksum recorded in tinynet."""


def _read_digits_file() -> tuple[np.ndarray, np.ndarray]:
    """Read, verify and validate the bundled file; return ``(images, labels)`` as uint8."""
    path = Path(os.fspath(DIGITS_PATH))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the bundled digits data file is missing: {path} "
            "(the tinynet installation is incomplete; reinstall tinynet)"
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DIGITS_SHA256:
        raise DatasetChecksumError(
            f"the bundled digits data file {path} is corrupt: its sha256 is {digest}, "
            f"expected {DIGITS_SHA256} (reinstall tinynet to restore it)"
        )
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        images = npz["images"]
        labels = npz["labels"]
    if images.shape != (_N_SAMPLES, _N_FEATURES) or labels.shape != (_N_SAMPLES,):
        raise ValueError(
            f"{path}: unexpected array shapes images={images.shape} labels={labels.shape}"
        )
    return images, labels


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser, applied element-wise to a uint64 array (wraps on overflow)."""
    x = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x += np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return x


def digits_split_indices(
    labels: np.ndarray, *, seed: int = 0, test_fraction: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    r"""Stratified, seeded train/test split of sample indices.

    Within each class ``c`` (with ``n_c`` samples) the samples are ranked by a
    SplitMix64 hash of ``(seed, index)``; the ``round(test_fraction * n_c)``
    lowest-ranked samples (at least one, at most ``n_c - 1``) go to the test
    set, the rest to the training set.  The hash depends only on integer
    arithmetic, so the split is identical on every platform and numpy version.

    Args:
        labels (np.ndarray): 1-D integer class labels.
        seed (int): non-negative integer below ``2**64`` choosing the split.
        test_fraction (float): fraction of each class put in the test set,
            strictly between 0 and 1.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(train_idx, test_idx)``, int64 arrays
        in ascending order; disjoint, and together they cover ``range(len(labels))``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"digits_split_indices: labels must be 1-D, got shape {labels.shape}")
    test_fraction = as_fraction("digits_split_indices", "test_fraction", test_fraction)
    seed = as_int("digits_split_indices", "seed", seed, minimum=0)
    if seed >= 2**64:
        raise ValueError(
            f"digits_split_indices: seed must be a non-negative integer below 2**64, got {seed}"
        )
    index = np.arange(labels.shape[0], dtype=np.int64)
    base = _splitmix64(np.array([seed], dtype=np.uint64))
    keys = _splitmix64(base ^ index.astype(np.uint64))
    test_parts = []
    for c in np.unique(labels):
        members = index[labels == c]
        n_c = members.shape[0]
        if n_c < 2:
            raise ValueError(f"class {c!r} has {n_c} sample(s); a stratified split needs 2")
        n_test = int(np.floor(float(test_fraction) * n_c + 0.5))
        n_test = min(max(n_test, 1), n_c - 1)
        order = np.argsort(keys[members], kind="stable")
        test_parts.append(members[order[:n_test]])
    test_idx = np.sort(np.concatenate(test_parts))
    is_test = np.zeros(labels.shape[0], dtype=bool)
    is_test[test_idx] = True
    return index[~is_test], test_idx


def load_digits(
    split: Split = "train",
    *,
    scale: bool = True,
    seed: int = 0,
    test_fraction: float = 0.2,
    one_hot: bool = False,
    dtype: DTypeLike = "float32",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Load the bundled UCI optical handwritten digits (1,797 images of 8x8 pixels).

    The train/test split is stratified by class and fixed for a given ``seed``
    and ``test_fraction``: with the defaults it puts 359 images in the test set
    and 1,438 in the training set, about 20% of every digit in the test set
    (see :func:`digits_split_indices` for the exact rule).  Samples keep the
    order of the original file.

    Source: E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits",
    UCI Machine Learning Repository, 1998, DOI 10.24432/C50P49, CC BY 4.0.

    Args:
        split (str): ``"train"``, ``"test"`` or ``"all"`` (all 1,797 images).
        scale (bool): if True, divide the pixel counts (0..16) by 16 so that
            ``X`` lies in ``[0, 1]``; if False, return the counts as they are.
        seed (int): chooses the train/test split. Default: ``0``.
        test_fraction (float): fraction of each class in the test set. Default: ``0.2``.
        one_hot (bool): if True, return ``y`` as a one-hot ``(N, 10)`` array of
            ``dtype`` instead of int64 class indices.
        dtype: floating dtype of ``X`` (and of ``y`` when ``one_hot``). Default: float32.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``X`` of shape ``(N, 64)`` (row-major 8x8
        images) and ``y`` of shape ``(N,)`` int64 in ``0..9``, or ``(N, 10)`` if
        ``one_hot``.

    Raises:
        DatasetChecksumError: if the bundled file does not match :data:`DIGITS_SHA256`.
        FileNotFoundError: if the bundled file is missing.
        ValueError: on an unknown ``split``, a non-floating ``dtype`` or a bad
            ``test_fraction``/``seed`` (numpy integers and floats are accepted; bools,
            strings and non-integral seeds are not).

    Example:
        >>> X, y = load_digits("train")
        >>> X.shape, X.dtype, y.dtype
        ((1438, 64), dtype('float32'), dtype('int64'))
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    np_dtype = np.dtype(dtype)
    if np_dtype.kind != "f":
        raise ValueError(f"dtype must be a floating dtype, got {np_dtype}")
    images, labels = _read_digits_file()
    if split == "all":
        as_fraction("load_digits", "test_fraction", test_fraction)
        as_int("load_digits", "seed", seed, minimum=0)
        idx = np.arange(_N_SAMPLES)
    else:
        train_idx, test_idx = digits_split_indices(labels, seed=seed, test_fraction=test_fraction)
        idx = train_idx if split == "train" else test_idx
    X = images[idx].astype(np_dtype)
    if scale:
        X /= np_dtype.type(_MAX_VALUE)
    y = labels[idx].astype(np.int64)
    if one_hot:
        y = np.eye(_N_CLASSES, dtype=np_dtype)[y]
    return X, y
