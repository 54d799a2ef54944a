"""Tests for tinynet.datasets: bundled digits, generated sets, IDX/MNIST reader, MNIST-1D."""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet.datasets.digits as digits_module
from tinynet.datasets import (
    DIGITS_PATH,
    DIGITS_SHA256,
    DatasetChecksumError,
    digits_split_indices,
    load_digits,
    load_mnist,
    load_mnist1d,
    load_mnist_idx,
    make_linear_regression,
    make_moons,
    make_spiral,
    read_idx,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DIGIT_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


# --------------------------------------------------------------------------- digits


def test_bundled_file_small_checksummed_and_pickle_free():
    raw = DIGITS_PATH.read_bytes()
    assert len(raw) < 100_000
    assert hashlib.sha256(raw).hexdigest() == DIGITS_SHA256
    with np.load(DIGITS_PATH, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["images", "labels"]
        assert npz["images"].dtype == np.uint8 and npz["images"].shape == (1797, 64)
        assert npz["labels"].dtype == np.uint8 and npz["labels"].shape == (1797,)
        assert int(npz["images"].max()) == 16
    assert (DIGITS_PATH.parent / "DIGITS_LICENSE.md").is_file()


def test_digits_all_shape_range_labels():
    X, y = load_digits("all")
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X * 16, np.round(X * 16))  # counts / 16, exactly
    assert np.bincount(y, minlength=10).tolist() == DIGIT_CLASS_COUNTS
    # Each image contains some ink, and the classes differ on average.
    assert (X.sum(axis=1) > 0).all()
    means = np.stack([X[y == c].mean(axis=0) for c in range(10)])
    assert np.linalg.matrix_rank(means) == 10


def test_digits_unscaled_counts_and_dtype():
    X16, y16 = load_digits("all", scale=False, dtype="float64")
    X, y = load_digits("all")
    assert X16.dtype == np.float64
    assert X16.min() == 0 and X16.max() == 16
    np.testing.assert_array_equal(X16 / 16, X.astype(np.float64))
    np.testing.assert_array_equal(y16, y)


def test_digits_split_disjoint_complete_and_matches_indices():
    X_all, y_all = load_digits("all")
    X_tr, y_tr = load_digits("train")
    X_te, y_te = load_digits("test")
    assert X_tr.shape == (1438, 64) and X_te.shape == (359, 64)
    train_idx, test_idx = digits_split_indices(y_all)
    assert len(np.intersect1d(train_idx, test_idx)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train_idx, test_idx])), np.arange(1797))
    np.testing.assert_array_equal(X_tr, X_all[train_idx])
    np.testing.assert_array_equal(y_te, y_all[test_idx])
    # Rows of train and test are different samples (no image duplicated by the split).
    rows_tr = {r.tobytes() + bytes([c]) for r, c in zip(X_tr, y_tr, strict=True)}
    rows_te = {r.tobytes() + bytes([c]) for r, c in zip(X_te, y_te, strict=True)}
    assert len(rows_tr) + len(rows_te) == len(rows_tr | rows_te)


def test_digits_split_stratified():
    _, y_all = load_digits("all")
    _, y_te = load_digits("test")
    counts_all = np.bincount(y_all, minlength=10)
    counts_te = np.bincount(y_te, minlength=10)
    np.testing.assert_array_equal(counts_te, np.floor(0.2 * counts_all + 0.5).astype(int))
    assert np.all(np.abs(counts_te / counts_all - 0.2) < 0.01)


def test_digits_split_deterministic_and_pinned():
    a = load_digits("test")
    b = load_digits("test")
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    # The default split is fixed forever (it depends on integer hashing only).
    _, test_idx = digits_split_indices(load_digits("all")[1])
    assert test_idx[:12].tolist() == [1, 4, 18, 25, 27, 31, 33, 35, 38, 43, 47, 54]
    assert int(test_idx.sum()) == 317205


def test_digits_other_seed_gives_other_split():
    _, y_all = load_digits("all")
    _, t0 = digits_split_indices(y_all, seed=0)
    _, t1 = digits_split_indices(y_all, seed=1)
    assert len(t0) == len(t1)
    assert not np.array_equal(t0, t1)
    X0, _ = load_digits("test", seed=0)
    X1, _ = load_digits("test", seed=1)
    assert not np.array_equal(X0, X1)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**64 - 1),
    test_fraction=st.floats(min_value=0.01, max_value=0.99),
)
def test_split_properties_any_seed_fraction(seed, test_fraction):
    _, y_all = load_digits("all")
    train_idx, test_idx = digits_split_indices(y_all, seed=seed, test_fraction=test_fraction)
    assert len(np.intersect1d(train_idx, test_idx)) == 0
    assert len(train_idx) + len(test_idx) == 1797
    assert np.all(np.diff(test_idx) > 0) and np.all(np.diff(train_idx) > 0)
    counts_all = np.bincount(y_all, minlength=10)
    counts_te = np.bincount(y_all[test_idx], minlength=10)
    assert np.all(counts_te >= 1) and np.all(counts_te <= counts_all - 1)
    assert np.all(np.abs(counts_te - test_fraction * counts_all) <= 1.0)
    again = digits_split_indices(y_all, seed=seed, test_fraction=test_fraction)
    np.testing.assert_array_equal(again[1], test_idx)


def test_digits_one_hot():
    X, y = load_digits("train")
    _, Y = load_digits("train", one_hot=True, dtype="float64")
    assert Y.shape == (1438, 10) and Y.dtype == np.float64
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    np.testing.assert_array_equal(Y.argmax(axis=1), y)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"split": "validation"},
        {"dtype": "int64"},
        {"test_fraction": 0.0},
        {"test_fraction": 1.0},
        {"seed": -1},
    ],
)
def test_digits_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        load_digits(**kwargs)


def test_digits_corrupt_file_raises_checksum_error(tmp_path, monkeypatch):
    corrupt = tmp_path / "digits.npz"
    raw = bytearray(DIGITS_PATH.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(raw))
    monkeypatch.setattr(digits_module, "DIGITS_PATH", corrupt)
    with pytest.raises(DatasetChecksumError, match="corrupt") as info:
        load_digits()
    assert str(corrupt) in str(info.value) and DIGITS_SHA256 in str(info.value)
    assert isinstance(info.value, ValueError)


def test_digits_intact_copy_loads_and_missing_file_errors(tmp_path, monkeypatch):
    copy = tmp_path / "digits.npz"
    shutil.copyfile(DIGITS_PATH, copy)
    monkeypatch.setattr(digits_module, "DIGITS_PATH", copy)
    assert load_digits("all")[0].shape == (1797, 64)
    copy.unlink()
    with pytest.raises(FileNotFoundError, match="digits.npz"):
        load_digits()


def test_import_is_light():
    """Importing tinynet.datasets must not pull in scikit-learn or mnist1d."""
    code = (
        "import sys, tinynet.datasets; "
        "bad = [m for m in ('sklearn', 'mnist1d') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


# --------------------------------------------------------------------------- generated sets


def test_spiral_shapes_dtypes_and_geometry():
    X, y = make_spiral(n_per_class=50, n_classes=3, noise=0.2, seed=0)
    assert X.shape == (150, 2) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50]
    # The noise is angular only: the radii are exactly linspace(0, 1) in each arm.
    for k in range(3):
        np.testing.assert_allclose(np.linalg.norm(X[y == k], axis=1), np.linspace(0, 1, 50))


def test_spiral_noise_free_arms_are_rotations():
    X, y = make_spiral(n_per_class=20, n_classes=4, noise=0.0)
    angle = -2 * np.pi / 4  # x = (r sin t, r cos t) rotates clockwise as t grows
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    np.testing.assert_allclose(X[y == 1], X[y == 0] @ rot.T, atol=1e-12)


def test_spiral_determinism_and_seeds():
    a, ya = make_spiral(seed=3)
    b, yb = make_spiral(seed=3)
    c, _ = make_spiral(seed=4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.allclose(a, c)
    assert make_spiral()[0].shape == (300, 2)  # default: 3 arms of 100 points


@settings(max_examples=30, deadline=None)
@given(
    n_per_class=st.integers(1, 60),
    n_classes=st.integers(1, 6),
    noise=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32),
)
def test_spiral_property(n_per_class, n_classes, noise, seed):
    X, y = make_spiral(n_per_class, n_classes, noise, seed)
    assert X.shape == (n_per_class * n_classes, 2)
    assert np.all(np.linalg.norm(X, axis=1) <= 1.0 + 1e-12)
    assert np.bincount(y, minlength=n_classes).tolist() == [n_per_class] * n_classes


def test_moons_shapes_and_noise_free_geometry():
    X, y = make_moons(n_samples=101, noise=0.0)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(X[y == 1] - [1.0, 0.5], axis=1), 1.0)
    assert np.all(X[y == 0, 1] >= -1e-12) and np.all(X[y == 1, 1] <= 0.5 + 1e-12)


def test_moons_determinism_seeds_and_noise_level():
    a, ya = make_moons(seed=1)
    b, yb = make_moons(seed=1)
    c, _ = make_moons(seed=2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.allclose(a, c)
    clean, _ = make_moons(n_samples=4000, noise=0.0)
    noisy, _ = make_moons(n_samples=4000, noise=0.1, seed=0)
    assert abs(np.std(noisy - clean) - 0.1) < 0.01


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 500), noise=st.floats(0.0, 2.0), seed=st.integers(0, 2**32))
def test_moons_property(n, noise, seed):
    X, y = make_moons(n, noise, seed)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert set(np.unique(y)) <= {0, 1} and y.sum() == n - n // 2


def _least_squares(x, y):
    A = np.stack([x, np.ones_like(x)], axis=1)
    (slope, intercept), *_ = np.linalg.lstsq(A, y, rcond=None)
    return slope, intercept


def test_linear_regression_matches_document():
    x, y = make_linear_regression()
    assert x.shape == y.shape == (100,) and x.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(x, np.linspace(0, 10, 100))
    slope, intercept = _least_squares(x, y)
    assert abs(slope - 3.0) < 0.1
    assert abs(intercept - 2.0) < 0.5
    residual = y - (3.0 * x + 2.0)
    assert 0.75 < residual.std() < 1.25
    np.testing.assert_array_equal(make_linear_regression()[1], y)
    assert not np.array_equal(make_linear_regression(seed=1)[1], y)


def test_linear_regression_noise_free_is_exact():
    x, y = make_linear_regression(n=7, slope=-1.5, intercept=4.0, noise=0.0)
    np.testing.assert_allclose(y, -1.5 * x + 4.0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_linear_regression_fit_any_seed(seed):
    slope, intercept = _least_squares(*make_linear_regression(seed=seed))
    # Standard errors are about 0.035 (slope) and 0.2 (intercept); allow 6 of them.
    assert abs(slope - 3.0) < 0.21
    assert abs(intercept - 2.0) < 1.2


@pytest.mark.parametrize(
    "call",
    [
        lambda: make_spiral(n_per_class=0),
        lambda: make_spiral(n_classes=0),
        lambda: make_spiral(noise=-0.1),
        lambda: make_moons(n_samples=1),
        lambda: make_moons(noise=float("nan")),
        lambda: make_linear_regression(n=0),
        lambda: make_linear_regression(noise=-1.0),
    ],
)
def test_generators_reject_bad_arguments(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------- IDX / MNIST

_IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


def write_idx(path: Path, array: np.ndarray, *, compress: bool = False) -> Path:
    """Write ``array`` in the IDX format (independently of the reader under test)."""
    array = np.asarray(array)
    header = bytes([0, 0, _IDX_CODES[array.dtype], array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


def _fake_mnist(rng, n, rows=28, cols=28):
    images = rng.integers(0, 256, size=(n, rows, cols), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    return images, labels


@settings(max_examples=40, deadline=None)
@given(
    dtype=st.sampled_from(sorted(_IDX_CODES, key=str)),
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=4).map(tuple),
    compress=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_idx_round_trip(dtype, shape, compress, seed):
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        array = rng.standard_normal(shape).astype(dtype) * 1e3
    else:
        info = np.iinfo(dtype)
        array = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    with tempfile.TemporaryDirectory() as tmp:
        out = read_idx(write_idx(Path(tmp) / "a.idx", array, compress=compress))
    assert out.shape == array.shape
    assert out.dtype == dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_idx_big_endian_values(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE]))
    np.testing.assert_array_equal(read_idx(path), np.array([0x0102, -2], dtype=np.int16))


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_idx_round_trip(tmp_path, compress):
    images, labels = _fake_mnist(np.random.default_rng(0), 7, rows=5, cols=4)
    ip = write_idx(tmp_path / "imgs", images, compress=compress)
    lp = write_idx(tmp_path / "labs", labels, compress=compress)
    got_images, got_labels = load_mnist_idx(ip, lp)
    assert got_images.dtype == np.uint8 and got_labels.dtype == np.uint8
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    only_images, none = load_mnist_idx(str(ip))
    assert none is None
    np.testing.assert_array_equal(only_images, images)


def _write_mnist_dir(directory, *, compress=False, dotted=False, n_train=6, n_test=4):
    rng = np.random.default_rng(1)
    data = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images, labels = _fake_mnist(rng, n)
        sep = "." if dotted else "-"
        suffix = ".gz" if compress else ""
        write_idx(directory / f"{split}-images{sep}idx3-ubyte{suffix}", images, compress=compress)
        write_idx(directory / f"{split}-labels{sep}idx1-ubyte{suffix}", labels, compress=compress)
        data["train" if split == "train" else "test"] = (images, labels)
    return data


@pytest.mark.parametrize(("compress", "dotted"), [(False, False), (True, False), (False, True)])
def test_load_mnist_directory(tmp_path, compress, dotted):
    data = _write_mnist_dir(tmp_path, compress=compress, dotted=dotted)
    for split in ("train", "test"):
        images, labels = data[split]
        X, y = load_mnist(tmp_path, split)
        assert X.shape == (len(images), 784) and X.dtype == np.float32
        assert y.dtype == np.int64
        np.testing.assert_allclose(X, images.reshape(len(images), -1) / 255.0, rtol=1e-6)
        np.testing.assert_array_equal(y, labels)
    X, Y = load_mnist(
        str(tmp_path), "test", scale=False, flatten=False, one_hot=True, dtype="float64"
    )
    images, labels = data["test"]
    assert X.shape == (4, 28, 28) and X.dtype == np.float64
    np.testing.assert_array_equal(X, images)
    np.testing.assert_array_equal(Y.argmax(axis=1), labels)
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)


def test_load_mnist_bad_arguments(tmp_path):
    _write_mnist_dir(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, "all")
    with pytest.raises(ValueError, match="floating"):
        load_mnist(tmp_path, dtype="uint8")


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.idx"):
        read_idx(tmp_path / "nope.idx")
    with pytest.raises(FileNotFoundError, match="does-not-exist"):
        load_mnist(tmp_path / "does-not-exist")
    _write_mnist_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte") as info:
        load_mnist(tmp_path, "test")
    assert "t10k-labels-idx1-ubyte.gz" in str(info.value)  # says which names it tried
    load_mnist(tmp_path, "train")  # the other split is still fine


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", "truncated IDX header"),
        (b"\x00\x00\x08", "truncated IDX header"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00", "truncated IDX header"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "gzip"),
        (b"\x50\x4b\x03\x04" + b"\x00" * 20, "bad IDX magic number 0x504B0304"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown element type code 0x07"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02\x03", "truncated IDX data"),
        (b"\x00\x00\x0c\x01\x00\x00\x00\x01\x00\x00\x00", "truncated IDX data"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02\x03", "1 unexpected trailing bytes"),
    ],
)
def test_malformed_idx(tmp_path, content, pattern):
    path = tmp_path / "broken-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=pattern) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_idx(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.zeros((3, 4, 4), np.uint8), compress=True)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_mnist_image_file(tmp_path):
    _write_mnist_dir(tmp_path)
    images_path = tmp_path / "train-images-idx3-ubyte"
    images_path.write_bytes(images_path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="truncated IDX data") as info:
        load_mnist(tmp_path, "train")
    assert "train-images-idx3-ubyte" in str(info.value)


def test_image_label_count_mismatch(tmp_path):
    rng = np.random.default_rng(2)
    ip = write_idx(tmp_path / "imgs", _fake_mnist(rng, 5)[0])
    lp = write_idx(tmp_path / "labs", _fake_mnist(rng, 4)[1])
    with pytest.raises(ValueError, match="count mismatch") as info:
        load_mnist_idx(ip, lp)
    message = str(info.value)
    assert "5 images" in message and "4 labels" in message and "imgs" in message


def test_wrong_kind_of_idx_file(tmp_path):
    rng = np.random.default_rng(3)
    images, labels = _fake_mnist(rng, 3)
    ip = write_idx(tmp_path / "imgs", images)
    lp = write_idx(tmp_path / "labs", labels)
    with pytest.raises(ValueError, match="expected an MNIST image file"):
        load_mnist_idx(lp, ip)  # swapped
    with pytest.raises(ValueError, match="expected an MNIST label file"):
        load_mnist_idx(ip, ip)
    fp = write_idx(tmp_path / "floats", images.astype(np.float32))
    with pytest.raises(ValueError, match="float32"):
        load_mnist_idx(fp)


def test_load_mnist_rejects_out_of_range_label(tmp_path):
    _write_mnist_dir(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, 1, 2, 3, 4, 12], np.uint8))
    with pytest.raises(ValueError, match="label 12"):
        load_mnist(tmp_path, "train")


# --------------------------------------------------------------------------- MNIST-1D


def test_mnist1d_missing_package_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(ImportError, match="pip install mnist1d"):
        load_mnist1d()


@pytest.fixture
def fake_mnist1d(monkeypatch):
    """A stand-in for the ``mnist1d`` package that records how it was called."""
    calls = []

    def get_dataset_args(as_dict=False):
        args = {
            "num_samples": 5000,
            "train_split": 0.8,
            "final_seq_length": 40,
            "shuffle_seq": False,
            "seed": 42,
        }
        return args if as_dict else types.SimpleNamespace(**args)

    def make_dataset(args):
        calls.append(args)
        np.random.seed(args.seed)  # the real package reseeds the global generators
        random.seed(args.seed)
        n = args.num_samples
        xs = np.random.standard_normal((n, args.final_seq_length))
        ys = np.arange(n) % 10
        k = int(n * args.train_split)
        return {"x": xs[:k], "x_test": xs[k:], "y": ys[:k], "y_test": ys[k:]}

    package = types.ModuleType("mnist1d")
    data = types.ModuleType("mnist1d.data")
    data.get_dataset_args = get_dataset_args
    data.make_dataset = make_dataset
    package.data = data
    monkeypatch.setitem(sys.modules, "mnist1d", package)
    monkeypatch.setitem(sys.modules, "mnist1d.data", data)
    return calls


def test_mnist1d_uses_offline_generator(fake_mnist1d):
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    X, y = load_mnist1d("train", num_samples=50, seed=7, final_seq_length=12)
    assert np.random.random() == expected_np and random.random() == expected_py  # restored
    (args,) = fake_mnist1d
    assert (args.num_samples, args.seed, args.final_seq_length) == (50, 7, 12)
    assert X.shape == (40, 12) and X.dtype == np.float32
    assert y.shape == (40,) and y.dtype == np.int64
    X_te, y_te = load_mnist1d("test", num_samples=50, seed=7, dtype="float64")
    assert X_te.shape == (10, 40) and X_te.dtype == np.float64
    X_all, y_all = load_mnist1d("all", num_samples=50, seed=7, final_seq_length=12)
    np.testing.assert_array_equal(X_all[:40], X)
    np.testing.assert_array_equal(y_all, np.arange(50) % 10)
    with pytest.raises(ValueError, match="no_such_option"):
        load_mnist1d(no_such_option=1)
    with pytest.raises(ValueError, match="split"):
        load_mnist1d("validation")


def test_mnist1d_real_package_if_installed():
    pytest.importorskip("mnist1d.data")
    X, y = load_mnist1d("train", num_samples=100)
    assert X.shape == (80, 40) and X.dtype == np.float32
    assert y.dtype == np.int64 and set(np.unique(y)) <= set(range(10))
    X2, _ = load_mnist1d("train", num_samples=100)
    np.testing.assert_array_equal(X, X2)
