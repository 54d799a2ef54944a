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

import errno
import gzip
import math
import os
import zlib
from pathlib import Path
from typing import IO, Literal

import numpy as np
from numpy.typing import DTypeLike

from tinynet.datasets._checks import as_int

__all__ = [
    "DEFAULT_MAX_BYTES",
    "IDX_DTYPES",
    "MNIST_FILES",
    "load_mnist",
    "load_mnist_idx",
    "read_idx",
]

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

#: Standard MNIST file names for each split -- ``(images, labels)``.
MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

_GZIP_MAGIC = b"\x1f\x8b"

#: Default ``max_bytes`` of :func:`read_idx` -- the most element data it will read
#: (2 GiB; the MNIST training images are 47 MB). It bounds what a gzip file can make
#: tinynet allocate, whatever its header declares ("gzip bomb").
DEFAULT_MAX_BYTES = 2**31

_MAX_NDIM = 32  # numpy's limit (numpy 2 allows 64, numpy 1 only 32)
_CHUNK = 1 << 20  # data is read in 1 MiB pieces, so memory follows the bytes really present


def _open(path: Path) -> IO[bytes]:
    """Open *path* for reading; a missing file is a ``FileNotFoundError`` naming it."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "IDX file not found", str(path)) from None


def _read_upto(stream: IO[bytes], n: int, *, preallocate: bool = False) -> bytearray:
    """Up to *n* bytes (fewer only at the end of the data).

    With *preallocate* (a plain file whose size was checked to hold *n* bytes) the
    buffer is allocated once; otherwise (gzip) it grows chunk by chunk, so memory
    follows the data actually decompressed, never a size the header merely declares.
    """
    if preallocate:
        buf = bytearray(n)
        view, done = memoryview(buf), 0
        while done < n:
            got = stream.readinto(view[done:])  # type: ignore[attr-defined]
            if not got:
                break
            done += got
        del view  # release the export, so the bytearray can be resized
        del buf[done:]
        return buf
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(min(_CHUNK, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def read_idx(path: PathLike, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> np.ndarray:
    r"""Read one IDX file (optionally gzip-compressed) into a numpy array.

    The header is read and checked first; the sizes it declares are multiplied with
    exact integer arithmetic and compared with what the file holds (its size, for a
    plain file) and with ``max_bytes`` *before* anything is allocated, and gzip data
    is decompressed in bounded chunks, so a hostile file (absurd dimensions, a
    decompression bomb) is refused with a ``ValueError`` instead of exhausting memory.

    Args:
        path (str or os.PathLike): the file to read.
        max_bytes (int or None): the most bytes of element data to read; a larger
            declared size is refused. ``None`` removes the limit (a plain file is
            still checked against its own size). Default:
            :data:`~tinynet.datasets.mnist.DEFAULT_MAX_BYTES` (2 GiB).

    Returns:
        np.ndarray: an array with the shape stored in the file and the
        element type of its type code (see :data:`IDX_DTYPES`), converted to
        native byte order.

    Raises:
        FileNotFoundError: if ``path`` does not exist (other ``OSError``\ s, e.g. for
            a directory or missing permission, name the path too).
        ValueError: if the magic number is bad, the type code unknown, the
            header or data is truncated, there are extra bytes after the data,
            the declared size exceeds the file or ``max_bytes``, or the gzip stream
            is corrupt.  The message names the file.
    """
    path = Path(os.fspath(path))
    if max_bytes is not None:
        max_bytes = as_int("read_idx", "max_bytes", max_bytes, minimum=0)
    try:
        with _open(path) as f:
            if f.read(2) == _GZIP_MAGIC:  # detected from the content, not the name
                f.seek(0)
                with gzip.GzipFile(fileobj=f, mode="rb") as stream:
                    return _read_idx_stream(path, stream, None, max_bytes)
            f.seek(0)
            return _read_idx_stream(path, f, os.fstat(f.fileno()).st_size, max_bytes)
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile) and exc.errno:
            raise  # a file system error (permissions, I/O), already naming the file
        raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None


def _read_idx_stream(
    path: Path, stream: IO[bytes], file_size: int | None, max_bytes: int | None
) -> np.ndarray:
    what = "file" if file_size is not None else "decompressed data"
    magic_bytes = _read_upto(stream, 4)
    if len(magic_bytes) < 4:
        raise ValueError(
            f"{path}: truncated IDX header: {what} has {len(magic_bytes)} bytes, "
            "the magic number needs 4"
        )
    zero0, zero1, code, ndim = magic_bytes
    magic = int.from_bytes(magic_bytes, "big")
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
    if ndim > _MAX_NDIM:
        raise ValueError(
            f"{path}: the IDX header declares {ndim} dimensions; numpy arrays have at most "
            f"{_MAX_NDIM} (MNIST files have 1 or 3)"
        )
    header_len = 4 + 4 * ndim
    sizes = _read_upto(stream, 4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(
            f"{path}: truncated IDX header: {ndim} dimensions need {header_len} bytes, "
            f"{what} has {4 + len(sizes)}"
        )
    shape = tuple(int.from_bytes(sizes[4 * i : 4 * i + 4], "big") for i in range(ndim))
    dtype = IDX_DTYPES[code]
    # Python integers: (2**32 - 1)**4 * 8 cannot wrap around as an int64 product would.
    expected = math.prod(shape) * dtype.itemsize
    if file_size is not None and file_size - header_len < expected:
        raise ValueError(
            f"{path}: truncated IDX data: shape {shape} of {dtype.name} needs {expected} bytes "
            f"after the header, file has {file_size - header_len}"
        )
    if max_bytes is not None and expected > max_bytes:
        raise ValueError(
            f"{path}: the IDX header declares shape {shape} of {dtype.name}, {expected} bytes "
            f"of data, more than max_bytes={max_bytes}; pass a larger max_bytes (or None) "
            "to read_idx if the file is genuine"
        )
    # Read in chunks: for gzip, memory grows only with the data actually decompressed.
    raw = _read_upto(stream, expected, preallocate=file_size is not None)
    if len(raw) < expected:
        raise ValueError(
            f"{path}: truncated IDX data: shape {shape} of {dtype.name} needs {expected} bytes "
            f"after the header, {what} has {len(raw)}"
        )
    extra = _read_upto(stream, _CHUNK)  # bounded: a trailing bomb is not inflated
    if extra:
        count = f"{len(extra)}" if len(extra) < _CHUNK else f"at least {_CHUNK}"
        raise ValueError(
            f"{path}: {count} unexpected trailing bytes after the IDX data "
            f"(shape {shape} of {dtype.name} needs {expected} bytes)"
        )
    data = np.frombuffer(raw, dtype=dtype)
    # Native byte order; a uint8 file needs no conversion and is not copied again.
    return data.astype(dtype.newbyteorder("="), copy=not dtype.isnative).reshape(shape)


def load_mnist_idx(
    images_path: PathLike,
    labels_path: PathLike | None = None,
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> tuple[np.ndarray, np.ndarray | None]:
    r"""Read an MNIST-style image file and, optionally, its label file.

    Args:
        images_path (str or os.PathLike): an IDX file of unsigned bytes with 3
            dimensions ``(N, rows, cols)``, such as ``train-images-idx3-ubyte``
            (gzip-compressed or not).
        labels_path (str or os.PathLike or None): an IDX file of unsigned
            bytes with 1 dimension ``(N,)``, such as ``train-labels-idx1-ubyte``.
        max_bytes (int or None): passed to :func:`read_idx` for each file.

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
    images = read_idx(images_path, max_bytes=max_bytes)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"{Path(os.fspath(images_path))}: expected an MNIST image file (unsigned bytes, "
            f"3 dimensions, magic 0x00000803), got {images.dtype.name} with shape {images.shape}"
        )
    if labels_path is None:
        return images, None
    labels = read_idx(labels_path, max_bytes=max_bytes)
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
    max_bytes: int | None = DEFAULT_MAX_BYTES,
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
        max_bytes (int or None): passed to :func:`read_idx` for each file.

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
    images, labels = load_mnist_idx(images_path, labels_path, max_bytes=max_bytes)
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
