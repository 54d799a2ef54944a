"""Bad inputs, data-set layer: the IDX/MNIST reader and the loaders' arguments.

A malformed, truncated, hostile or absurdly sized file raises ``ValueError`` naming the
file (a missing one ``FileNotFoundError``), and nothing is allocated beyond the bytes
the file really holds -- measured with ``tracemalloc``, which also sees numpy's buffers.
"""

from __future__ import annotations

import gzip
import zlib

import numpy as np
import pytest

from bad_inputs._memory import peak_bytes
from tinynet.datasets import (
    digits_split_indices,
    load_digits,
    load_mnist,
    load_mnist1d,
    load_mnist_idx,
    mnist,
    read_idx,
)

MiB = 2**20


def idx_header(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)


def gzip_stream(*parts: bytes, zeros: int = 0) -> bytes:
    """gzip of ``parts`` followed by ``zeros`` zero bytes, compressed chunk by chunk."""
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)  # wbits 31: gzip container
    out = [comp.compress(p) for p in parts]
    block = bytes(MiB)
    for start in range(0, zeros, MiB):
        out.append(comp.compress(block[: min(MiB, zeros - start)]))
    out.append(comp.flush())
    return b"".join(out)


def refused(path, *fragments, **kwargs):
    with pytest.raises(ValueError) as info:
        read_idx(path, **kwargs)
    message = str(info.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --------------------------------------------------------------------------- absurd headers
def test_absurd_sizes_use_exact_arithmetic_and_allocate_nothing(tmp_path):
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(idx_header(0x0E, (2**32 - 1,) * 4) + bytes(64))
    declared = (2**32 - 1) ** 4 * 8  # wraps around as an int64 product
    assert peak_bytes(lambda: read_idx(path)) < MiB
    refused(path, "truncated IDX data", str(declared), "file has 64")


def test_more_dimensions_than_numpy_allows_is_refused(tmp_path):
    path = tmp_path / "dims-idx"
    path.write_bytes(idx_header(0x08, (1,) * 200) + b"\x07")
    refused(path, "declares 200 dimensions", "at most 32")


def test_declared_data_beyond_the_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(idx_header(0x08, (60000, 28, 28)) + bytes(1000))
    assert peak_bytes(lambda: read_idx(path)) < MiB  # not the declared 47 MB
    refused(path, "truncated IDX data", "needs 47040000 bytes", "file has 1000")


def test_max_bytes_bounds_what_a_header_may_declare(tmp_path):
    path = tmp_path / "x-idx"
    path.write_bytes(idx_header(0x0C, (4,)) + bytes(16))
    refused(path, "16 bytes of data, more than max_bytes=15", max_bytes=15)
    assert read_idx(path, max_bytes=np.int64(16)).shape == (4,)  # numpy integers work
    assert read_idx(path, max_bytes=None).dtype == np.int32
    for bad in (-1, 1.5, True, "16"):
        with pytest.raises(ValueError, match=r"read_idx: max_bytes must be an integer"):
            read_idx(path, max_bytes=bad)


# --------------------------------------------------------------------------- gzip
def test_gzip_bomb_declared_beyond_max_bytes_is_never_inflated(tmp_path):
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip_stream(idx_header(0x08, (1024, 1024, 64)), zeros=64 * MiB))
    assert path.stat().st_size < MiB
    assert peak_bytes(lambda: read_idx(path, max_bytes=MiB)) < 2 * MiB
    refused(path, "67108864 bytes of data, more than max_bytes=1048576", max_bytes=MiB)


def test_gzip_header_promising_more_than_the_stream_holds(tmp_path):
    path = tmp_path / "short-idx3-ubyte.gz"
    path.write_bytes(gzip_stream(idx_header(0x08, (1024, 1024, 256)), zeros=MiB))
    # 256 MiB declared and within max_bytes, but memory follows the 1 MiB really there.
    assert peak_bytes(lambda: read_idx(path, max_bytes=None)) < 8 * MiB
    refused(path, "truncated IDX data", "decompressed data has 1048576", max_bytes=None)


def test_gzip_bomb_hidden_after_the_data_is_not_inflated(tmp_path):
    path = tmp_path / "tail-idx1-ubyte.gz"
    path.write_bytes(gzip_stream(idx_header(0x08, (3,)) + b"\x01\x02\x03", zeros=64 * MiB))
    assert peak_bytes(lambda: read_idx(path)) < 8 * MiB
    refused(path, f"at least {MiB} unexpected trailing bytes")


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda g: g[:2], "end-of-stream"),
        (lambda g: g[:-8], "end-of-stream"),
        (lambda g: g[:-4] + bytes([g[-4] ^ 1]) + g[-3:], "Incorrect length"),
        (lambda g: g[:-8] + bytes([g[-8] ^ 1]) + g[-7:], "CRC check failed"),
        (lambda g: g[:12] + b"\xff" * 8 + g[20:], "gzip data"),
        (lambda g: g + b"junk!", "gzip data"),
    ],
    ids=["magic-only", "no-trailer", "bad-length", "bad-crc", "garbled", "trailing-junk"],
)
def test_corrupt_gzip_is_refused_with_the_file_name(tmp_path, mutate, fragment):
    good = gzip.compress(idx_header(0x08, (40,)) + bytes(range(40)))
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(mutate(good))
    refused(path, "corrupt or truncated gzip data", fragment)


# --------------------------------------------------------------------------- files and pairs
def test_missing_file_and_directory_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        read_idx(tmp_path / "absent-idx1-ubyte")
    assert info.value.filename == str(tmp_path / "absent-idx1-ubyte")
    assert "IDX file not found" in str(info.value)
    with pytest.raises(IsADirectoryError) as info:
        read_idx(tmp_path)
    assert info.value.filename == str(tmp_path)


def test_image_label_count_mismatch_names_both_files(tmp_path):
    images = tmp_path / "imgs-idx3-ubyte"
    images.write_bytes(idx_header(0x08, (3, 2, 2)) + bytes(12))
    labels = tmp_path / "labs-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_header(0x08, (4,)) + bytes(4)))
    with pytest.raises(ValueError) as info:
        load_mnist_idx(images, labels)
    message = str(info.value)
    assert "3 images" in message and "4 labels" in message
    assert str(images) in message and str(labels) in message


def test_load_mnist_passes_max_bytes_to_every_file(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_header(0x08, (2, 28, 28)) + bytes(1568))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_header(0x08, (2,)) + b"\x01\x02")
    assert load_mnist(tmp_path, "test")[0].shape == (2, 784)
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.*more than max_bytes=1000"):
        load_mnist(tmp_path, "test", max_bytes=1000)


# --------------------------------------------------------------------------- loader arguments
@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"seed": 1.5}, "load_digits: seed must be an integer, got 1.5"),
        ({"seed": True}, "load_digits: seed must be an integer, got True"),
        ({"seed": "3"}, "seed must be an integer, got '3'"),
        ({"seed": -1}, "seed must be an integer >= 0, got -1"),
        ({"test_fraction": "0.2"}, "test_fraction must be a number"),
        ({"test_fraction": float("nan")}, "test_fraction must be strictly between 0 and 1"),
        ({"test_fraction": True}, "test_fraction must be a number"),
    ],
)
def test_digits_arguments_are_checked_not_coerced(kwargs, fragment):
    for split in ("train", "all"):
        with pytest.raises(ValueError) as info:
            load_digits(split, **kwargs)
        assert fragment.split(": ", 1)[-1] in str(info.value)


def test_digits_accepts_numpy_numbers():
    X, y = load_digits("test", seed=np.int64(0), test_fraction=np.float32(0.25))
    X_ref, y_ref = load_digits("test", seed=0, test_fraction=float(np.float32(0.25)))
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    with pytest.raises(ValueError, match=r"seed must be a non-negative integer below 2\*\*64"):
        digits_split_indices(np.arange(10) % 2, seed=2**64)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"num_samples": 0}, "load_mnist1d: num_samples must be an integer >= 1, got 0"),
        ({"num_samples": 99.5}, "load_mnist1d: num_samples must be an integer, got 99.5"),
        ({"seed": False}, "load_mnist1d: seed must be an integer, got False"),
        ({"seed": -3}, "load_mnist1d: seed must be an integer >= 0, got -3"),
    ],
)
def test_mnist1d_arguments_are_checked_before_the_package_is_needed(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        load_mnist1d(**kwargs)
    assert fragment in str(info.value)


def test_default_max_bytes_is_documented_and_generous():
    assert mnist.DEFAULT_MAX_BYTES >= 60000 * 28 * 28  # the MNIST training images fit
