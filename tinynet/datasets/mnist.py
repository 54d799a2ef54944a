"""Read MNIST (and any other IDX file) from files the user already has.

tinynet never downloads anything: get the four MNIST files yourself (for
example from a course mirror) and point :func:`load_mnist` at their folder.

The IDX format (Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of
handwritten digits") is: a 4-byte magic number ``0x00 0x00 T D`` where ``T``
is the element type code and ``D`` the number of dimensions, then ``D``
big-endian uint32 sizes, then the elements in row-major order, big-endian.
Files may be gzip-compressed (detected from their content, not their name).
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["IDX_DTYPES", "MNIST_FILES", "load_mnist", "load_mnist_idx", "read_idx"]

PathLike = str | os.PathLike[str]

#: IDX element type codes and the (big-endian) numpy dtypes they map to.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: Standard MNIST file names for each split: ``(images, labels)``.
MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    """Return the (decompressed) contents of ``path``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file not found: {path}") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    return raw


def read_idx(path: PathLike) -> np.ndarray:
    r"""Read one IDX file (optionally gzip-compressed) into a numpy array.

    Args:
        path (str or os.PathLike): the file to read.

    Returns:
        np.ndarray: an array with the shape stored in the file and the
        element type of its type code (see :data:`IDX_DTYPES`), converted to
        native byte order.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if the magic number is bad, the type code unknown, the
            header or data is truncated, there are extra bytes after the data,
            or the gzip stream is corrupt.  The message names the file.
    """
    path = Path(os.fspath(path))
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(
            f"{path}: truncated IDX header: file has {len(raw)} bytes, the magic number needs 4"
        )
    zero0, zero1, code, ndim = raw[0], raw[1], raw[2], raw[3]
    magic = int.from_bytes(raw[:4], "big")
    if zero0 != 0 or zero1 != 0:
        raise ValueError(
            f"{path}: bad IDX magic number 0x{magic:08X}: the first two bytes must be zero "
            "(is this an IDX file?)"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(
            f"{path}: bad IDX magic number 0x{magic:08X}: unknown element type code "
            f"0x{code:02X} (known: {known})"
        )
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise ValueError(
            f"{path}: truncated IDX header: {ndim} dimensions need {header_len} bytes, "
            f"file has {len(raw)}"
        )
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    count = int(np.prod(shape, dtype=np.int64))
    expected = count * dtype.itemsize
    actual = len(raw) - header_len
    if actual < expected:
        raise ValueError(
            f"{path}: truncated IDX data: shape {shape} of {dtype.name} needs {expected} bytes "
            f"after the header, file has {actual}"
        )
    if actual > expected:
        raise ValueError(
            f"{path}: {actual - expected} unexpected trailing bytes after the IDX data "
            f"(shape {shape} of {dtype.name} needs {expected} bytes)"
        )
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header_len)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def load_mnist_idx(
    images_path: PathLike, labels_path: PathLike | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    r"""Read an MNIST-style image file and, optionally, its label file.

    Args:
        images_path (str or os.PathLike): an IDX file of unsigned bytes with 3
            dimensions ``(N, rows, cols)``, such as ``train-images-idx3-ubyte``
            (gzip-compressed or not).
        labels_path (str or os.PathLike, optional): an IDX file of unsigned
            bytes with 1 dimension ``(N,)``, such as ``train-labels-idx1-ubyte``.

    Returns:
        tuple[np.ndarray, np.ndarray | None]: ``images`` uint8 of shape
        ``(N, rows, cols)`` and ``labels`` uint8 of shape ``(N,)``, or ``None``
        when ``labels_path`` is not given.  Values are exactly as stored.

    Raises:
        FileNotFoundError: if a file does not exist.
        ValueError: if a file is malformed (see :func:`read_idx`), is not of
            the expected type/rank, or the image and label counts differ.

    Example:
        >>> images, labels = load_mnist_idx("mnist/t10k-images-idx3-ubyte.gz",
        ...                                 "mnist/t10k-labels-idx1-ubyte.gz")  # doctest: +SKIP
        >>> images.shape, labels.shape  # doctest: +SKIP
        ((10000, 28, 28), (10000,))
    """
    images = read_idx(images_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"{Path(os.fspath(images_path))}: expected an MNIST image file (unsigned bytes, "
            f"3 dimensions, magic 0x00000803), got {images.dtype.name} with shape {images.shape}"
        )
    if labels_path is None:
        return images, None
    labels = read_idx(labels_path)
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{Path(os.fspath(labels_path))}: expected an MNIST label file (unsigned bytes, "
            f"1 dimension, magic 0x00000801), got {labels.dtype.name} with shape {labels.shape}"
        )
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"image/label count mismatch: {Path(os.fspath(images_path))} has "
            f"{images.shape[0]} images but {Path(os.fspath(labels_path))} has "
            f"{labels.shape[0]} labels"
        )
    return images, labels


def _find_file(directory: Path, name: str) -> Path:
    """Find ``name`` in ``directory``, allowing ``.gz`` and the ``name.idxN-ubyte`` variant."""
    dotted = name.replace("-idx", ".idx")  # e.g. train-images.idx3-ubyte
    candidates = [directory / n for base in (name, dotted) for n in (base, base + ".gz")]
    for candidate in dict.fromkeys(candidates):
        if candidate.is_file():
            return candidate
    tried = ", ".join(c.name for c in dict.fromkeys(candidates))
    raise FileNotFoundError(f"no MNIST file {name!r} in {directory} (looked for: {tried})")


def load_mnist(
    directory: PathLike,
    split: Literal["train", "test"] = "train",
    *,
    scale: bool = True,
    flatten: bool = True,
    one_hot: bool = False,
    dtype: DTypeLike = "float32",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Load the MNIST training or test set from the standard files in ``directory``.

    Looks for ``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (split
    ``"train"``, 60,000 images) or ``t10k-images-idx3-ubyte`` /
    ``t10k-labels-idx1-ubyte`` (split ``"test"``, 10,000 images), each either
    plain or with a ``.gz`` suffix (the ``train-images.idx3-ubyte`` spelling
    is accepted too).  Nothing is downloaded.

    MNIST: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of
    handwritten digits"; distributed under CC BY-SA 3.0.

    Args:
        directory (str or os.PathLike): folder holding the files.
        split (str): ``"train"`` or ``"test"``.
        scale (bool): if True, divide pixel values (0..255) by 255 so ``X`` is in ``[0, 1]``.
        flatten (bool): if True, ``X`` has shape ``(N, rows * cols)``, else ``(N, rows, cols)``.
        one_hot (bool): if True, ``y`` is a one-hot ``(N, 10)`` array of ``dtype``.
        dtype: floating dtype of ``X`` (and of ``y`` when ``one_hot``). Default: float32.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``X`` and ``y`` (int64 labels 0..9, or one-hot).

    Raises:
        FileNotFoundError: if ``directory`` or one of the two files is missing.
        ValueError: if a file is malformed, the counts differ, or a label is not in 0..9.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    np_dtype = np.dtype(dtype)
    if np_dtype.kind != "f":
        raise ValueError(f"dtype must be a floating dtype, got {np_dtype}")
    directory = Path(os.fspath(directory))
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST directory not found: {directory}")
    image_name, label_name = MNIST_FILES[split]
    images_path = _find_file(directory, image_name)
    labels_path = _find_file(directory, label_name)
    images, labels = load_mnist_idx(images_path, labels_path)
    assert labels is not None
    if labels.size and int(labels.max()) > 9:
        raise ValueError(f"{labels_path}: label {int(labels.max())} is outside 0..9")
    X = images.astype(np_dtype)
    if scale:
        X /= np_dtype.type(255)
    if flatten:
        X = X.reshape(X.shape[0], -1)
    y = labels.astype(np.int64)
    if one_hot:
        y = np.eye(10, dtype=np_dtype)[y]
    return X, y
