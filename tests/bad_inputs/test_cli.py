"""Bad inputs, command-line layer: ``tinynet train`` never shows a traceback.

Each case runs the command (in-process through :func:`tinynet.cli.main`, a few as
``python -m tinynet``) and checks the whole contract: exactly one line on stderr,
``tinynet train: error: <message>``, the documented exit status (2: the command line is
wrong; 1: a failure while running), no "Traceback", no training when the input is bad,
and the message saying what is wrong.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinynet as tn
from tinynet import train
from tinynet.cli import main

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["--epochs", "1", "--hidden", "8", "--quiet", "--no-plot"]


def train_main(
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    code: int,
    contains: str = "",
    trained: bool = False,
) -> str:
    """Run ``tinynet train ARGV`` in-process; check the one-line contract; return the message."""
    got = main(["train", *argv])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("tinynet train: error: "), lines[0]
    assert got == code, (got, lines[0])
    assert ("test accuracy" in captured.out) == trained  # bad input: stopped before training
    message = lines[0][len("tinynet train: error: ") :]
    assert contains in message, message
    return message


# --------------------------------------------------------------------------- usage (exit 2)
USAGE = {
    "unknown optimizer": (["--optimizer", "rmsprop"], "--optimizer must be one of sgd, adam"),
    "zero lr": (["--lr", "0"], "--lr must be a finite number > 0, got 0.0"),
    "negative lr": (["--lr", "-0.1"], "--lr must be a finite number > 0, got -0.1"),
    "nan lr": (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    "infinite lr": (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    "non-numeric lr": (["--lr", "fast"], "argument --lr: expected a number, got 'fast'"),
    "empty lr": (["--lr", ""], "argument --lr: expected a number, got ''"),
    "lr without value": (["--lr"], "argument --lr: expected one argument"),
    "negative momentum": (["--momentum", "-1"], "--momentum must be a finite number >= 0"),
    "hidden with letters": (["--hidden", "12a"], "argument --hidden: expected comma-separated"),
    "hidden with empty width": (["--hidden", "128,,64"], "argument --hidden: expected comma"),
    "empty hidden": (["--hidden", ""], "argument --hidden: expected comma-separated"),
    "hidden zero": (["--hidden", "0"], "use --hidden none for no hidden layer"),
    "hidden with zero width": (["--hidden", "128,0"], "got [128, 0]"),
    "negative hidden": (["--hidden", "-5"], "--hidden widths must be positive integers"),
    "zero epochs": (["--epochs", "0"], "--epochs must be an integer from 1 to 1,000,000, got 0"),
    "absurd epochs": (["--epochs", str(10**12)], "--epochs must be an integer from 1 to 1,000,000"),
    "fractional epochs": (["--epochs", "1e3"], "argument --epochs: expected an integer"),
    "negative epochs": (["--epochs", "-3"], "--epochs must be an integer from 1"),
    "zero batch size": (["--batch-size", "0"], "--batch-size must be a positive integer, got 0"),
    "negative batch size": (["--batch-size", "-32"], "--batch-size must be a positive integer"),
    "negative seed": (["--seed", "-1"], "--seed must be a non-negative integer, got -1"),
    "unknown activation": (["--activation", "swish"], "--activation must be one of relu"),
    "unknown dataset": (["--dataset", "cifar"], "--dataset must be one of digits"),
    "mnist without data dir": (["--dataset", "mnist"], "--data-dir is needed for the mnist"),
    "unknown option": (["--learning-rate", "0.1"], "unrecognized arguments: --learning-rate"),
}


@pytest.mark.parametrize("argv, contains", list(USAGE.values()), ids=list(USAGE))
def test_usage_errors(argv: list[str], contains: str, capsys: pytest.CaptureFixture[str]) -> None:
    train_main(capsys, *argv, code=2, contains=contains)


def test_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "plain-file"
    a_file.write_text("not a directory")
    train_main(capsys, "--out", str(a_file), *QUICK, code=2, contains="it is a file")
    message = train_main(capsys, "--out", str(a_file / "run"), *QUICK, code=2)
    assert message == f"cannot write to --out {a_file / 'run'}: {a_file} is a file, not a directory"
    assert a_file.read_text() == "not a directory"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unwritable_out_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        message = train_main(capsys, "--out", str(locked / "run"), *QUICK, code=2)
    finally:
        locked.chmod(0o700)
    assert message == f"cannot write to --out {locked / 'run'}: Permission denied"
    assert list(locked.iterdir()) == []


# --------------------------------------------------------------------------- sizes (exit 1)
@pytest.mark.parametrize("width", [10**8, 10**12, 10**30])
def test_a_network_too_large_for_memory(
    width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend 1 GiB is available, so 10**8 is too large on any machine running the tests.
    monkeypatch.setattr(train.memory, "available_memory_bytes", lambda: 2**30)
    message = train_main(capsys, "--hidden", str(width), "--quiet", code=1)
    params = 65 * width + (width + 1) * 10
    assert f"an MLP 64-{width}-10 has {params:,} parameters" in message
    assert "bytes" in message and "1,073,741,824 bytes (1.0 GiB) of memory are available" in message


def test_a_huge_batch_is_one_batch(capsys: pytest.CaptureFixture[str]) -> None:
    """Not an error: a batch larger than the data set is the whole set (one step per epoch)."""
    assert main(["train", "--batch-size", str(10**12), *QUICK]) == 0
    out = capsys.readouterr().out
    assert "1 steps" in out


def test_out_of_memory_anyway(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_memory(*args: object, **kw: object) -> None:
        raise MemoryError("Unable to allocate 23.8 GiB for an array")

    monkeypatch.setattr(train.loop, "build_model", no_memory)
    train_main(capsys, *QUICK, code=1, contains="out of memory: Unable to allocate 23.8 GiB")


# --------------------------------------------------------------------------- data (exit 1)
def test_nonfinite_training_data_names_the_row(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tn.datasets.load_digits

    def digits_with_nan(split: str = "train", **kw: object):
        X, y = real(split, **kw)
        X = X.astype(np.float64)
        if split == "train":
            X[17, 5] = np.nan
        return X, y

    monkeypatch.setattr(tn.datasets, "load_digits", digits_with_nan)
    message = train_main(capsys, *QUICK, code=1)
    assert message == "training images row 17 contains nan (column 5)"


def _idx(array: np.ndarray, *, compress: bool = True) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    raw = header + array.astype(np.uint8).tobytes()
    return gzip.compress(raw) if compress else raw


def _mnist_dir(root: Path, train_side: int = 28, test_side: int = 28, n_train: int = 32) -> Path:
    rng = np.random.default_rng(0)
    for prefix, n, side in (("train", n_train, train_side), ("t10k", 8, test_side)):
        (root / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            _idx(rng.integers(0, 255, (n, side, side)))
        )
        (root / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(_idx(rng.integers(0, 10, n)))
    return root


def _mnist(root: Path, capsys: pytest.CaptureFixture[str], **kw: object) -> str:
    return train_main(capsys, "--dataset", "mnist", "--data-dir", str(root), *QUICK, **kw)


def test_mnist_missing_directory(capsys: pytest.CaptureFixture[str]) -> None:
    message = _mnist(Path("/nonexistent/mnist"), capsys, code=1)
    assert message.startswith("cannot load MNIST from /nonexistent/mnist: ")


def test_mnist_train_and_test_sizes_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _mnist_dir(tmp_path, train_side=28, test_side=20)
    message = _mnist(tmp_path, capsys, code=1, contains="differ in size")
    assert "784 pixels per training image, 400 per test image" in message


@pytest.mark.parametrize("content", [b"", b"\x00\x00\x08", b"\x1f\x8b\x08\x00garbage"])
def test_mnist_empty_or_broken_file(
    content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _mnist_dir(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(content)
    message = _mnist(tmp_path, capsys, code=1, contains="cannot load MNIST from")
    assert "train-images-idx3-ubyte" in message  # the reader names the file


def test_mnist_truncated_image_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _mnist_dir(tmp_path)
    whole = _idx(np.zeros((8, 28, 28)), compress=False)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(whole[:-100])
    _mnist(tmp_path, capsys, code=1, contains="t10k-images-idx3-ubyte")


def test_mnist_with_no_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _mnist_dir(tmp_path, n_train=0)
    message = _mnist(tmp_path, capsys, code=1)
    # Refused by the reader (which may reject a 0-image file) or by the training library.
    assert "empty" in message or "cannot load MNIST" in message, message


# --------------------------------------------------------------------------- outputs (exit 1)
def test_an_output_path_taken_by_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "checkpoint.safetensors").mkdir()
    message = train_main(capsys, *QUICK, "--out", str(tmp_path), code=1, trained=True)
    assert message.startswith(f"cannot write to --out {tmp_path}: ")
    assert "checkpoint.safetensors" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.safetensors"]  # no temporary file


def test_interrupted_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("tinynet.cli.train.fit", interrupt)
    train_main(capsys, *QUICK, code=130, contains="interrupted")


# --------------------------------------------------------------------------- as a user runs it
@pytest.mark.parametrize(
    "argv, code",
    [
        (["--hidden", "0"], 2),
        (["--epochs", "1000000000000"], 2),
        (["--hidden", str(10**15)], 1),
        (["--dataset", "mnist", "--data-dir", "/nonexistent"], 1),
    ],
    ids=["hidden 0", "absurd epochs", "absurd width", "missing mnist"],
)
def test_python_m_tinynet(argv: list[str], code: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tinynet", "train", "--quiet", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinynet train: error: "), result.stderr
