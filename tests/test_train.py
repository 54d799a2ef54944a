"""Tests of training: the library (tinynet/train/) and ``tinynet train`` (tinynet/cli/train.py).

The recipe, reproducibility and outputs are checked through the real command in a
subprocess (``python -m tinynet train``), which is what a user types; the library's
contract (validation, data checks, memory check, divergence) through
:func:`tinynet.train.fit` directly. Bad command-line inputs: tests/bad_inputs/test_cli.py.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

import tinynet as tn
from tinynet import train
from tinynet.cli.train import parse_hidden
from tinynet.train import (
    ConfigError,
    Data,
    DataError,
    TooLargeError,
    TrainConfig,
    TrainError,
    fit,
    load_checkpoint,
    load_data,
)

ROOT = Path(__file__).resolve().parents[1]

#: Small matrices gain nothing from BLAS threads, and with pytest-xdist running tests in
#: parallel, several multi-threaded OpenBLAS processes on two cores spin-wait on each
#: other (a 1-second run can take a minute). One BLAS thread per process avoids that.
SINGLE_THREADED_BLAS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def train_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``python -m tinynet train ARGS`` with this interpreter; never raises on failure."""
    return subprocess.run(
        [sys.executable, "-m", "tinynet", "train", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **SINGLE_THREADED_BLAS, **(env or {})},
        cwd=ROOT,
    )


def epoch_numbers(log: dict) -> list[tuple]:
    """The per-epoch metrics of a log, without the wall-clock times."""
    return [
        (e["epoch"], e["train_loss"], e["train_acc"], e["test_loss"], e["test_acc"], e["lr"])
        for e in log["epochs"]
    ]


# --------------------------------------------------------------------------- the main job
@pytest.mark.slow
def test_default_run_reaches_97_percent_and_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "digits"
    result = train_cli("--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    log = json.loads((out / "log.json").read_text())
    # the documented default recipe
    cfg = log["config"]
    assert (
        cfg["dataset"] == "digits" and cfg["hidden"] == [256, 128] and cfg["activation"] == "relu"
    )
    assert cfg["optimizer"] == "adam" and cfg["lr"] == 1e-3 and cfg["batch_size"] == 32
    assert cfg["epochs"] == 40 and cfg["seed"] == 0 and cfg["standardize"] is True
    final = log["final"]
    assert final["test_acc"] >= 0.97, final
    assert final["wall_time_s"] < 30, final
    assert final["steps"] == 40 * 45 and final["steps_per_s"] > 0
    assert len(log["epochs"]) == 40
    assert log["backend"] in ("numpy", "cupy", "standin")
    assert {"tinynet", "numpy", "python"} <= set(log["versions"])
    # the summary on stdout
    assert (
        "test accuracy" in result.stdout
        and "steps/s" in result.stdout
        and "wall time" in result.stdout
    )
    # checkpoint, log and plot
    assert (out / "checkpoint.safetensors").is_file()
    png = (out / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    # the checkpoint reproduces the reported test accuracy
    model, ckpt = load_checkpoint(out / "checkpoint.safetensors")
    X, y = _digits_test_normalised(ckpt)
    import tinynet as tn

    with tn.no_grad():
        acc = float((model(tn.tensor(X)).numpy().argmax(axis=1) == y).mean())
    assert acc == pytest.approx(final["test_acc"], abs=1e-12)


def _digits_test_normalised(ckpt: dict) -> tuple[np.ndarray, np.ndarray]:
    import tinynet as tn

    X, y = tn.datasets.load_digits("test")
    norm = ckpt["normalization"]
    X = ((X.astype(np.float64) - norm["mean"]) / norm["std"]).astype(np.float32)
    return X, y


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_default_recipe_over_seeds(seed: int, tmp_path: Path) -> None:
    """The recipe is reliable, not lucky (20 seeds measured: 97.8-99.2%, see docs/train.md)."""
    result = train_cli("--seed", str(seed), "--quiet", "--no-plot", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    final = json.loads((tmp_path / "log.json").read_text())["final"]
    assert final["test_acc"] >= 0.97, final


def test_same_seed_same_numbers(tmp_path: Path) -> None:
    args = ("--epochs", "3", "--quiet", "--no-plot", "--seed", "7")
    a = train_cli(*args, "--out", str(tmp_path / "a"))
    b = train_cli(*args, "--out", str(tmp_path / "b"))
    c = train_cli(
        "--epochs", "3", "--quiet", "--no-plot", "--seed", "8", "--out", str(tmp_path / "c")
    )
    assert a.returncode == b.returncode == c.returncode == 0, a.stderr + b.stderr + c.stderr
    log_a, log_b, log_c = (json.loads((tmp_path / d / "log.json").read_text()) for d in "abc")
    assert epoch_numbers(log_a) == epoch_numbers(log_b)  # exactly equal, not approximately
    assert log_a["final"]["test_acc"] == log_b["final"]["test_acc"]
    assert epoch_numbers(log_a) != epoch_numbers(log_c)  # and the seed does matter
    # the same weights and optimizer state, byte for byte (the files themselves differ
    # only in the configuration's output directory)
    state_a = safetensors.numpy.load_file(str(tmp_path / "a" / "checkpoint.safetensors"))
    state_b = safetensors.numpy.load_file(str(tmp_path / "b" / "checkpoint.safetensors"))
    assert state_a.keys() == state_b.keys() and any(k.startswith("model.") for k in state_a)
    assert all(np.array_equal(state_a[k], state_b[k]) for k in state_a)


def test_fit_is_deterministic_in_process() -> None:
    config = TrainConfig(dataset="moons", epochs=3, hidden=(16,), optimizer="sgd")
    r1 = fit(config, progress=False)
    r2 = fit(config, progress=False)
    strip = [{k: v for k, v in e.items() if k != "elapsed_s"} for e in r1.history]
    assert strip == [{k: v for k, v in e.items() if k != "elapsed_s"} for e in r2.history]


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adadelta"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_every_optimizer_and_activation_learns(optimizer: str, activation: str) -> None:
    r = fit(
        TrainConfig(optimizer=optimizer, activation=activation, epochs=2, hidden=(32,)),
        progress=False,
    )
    assert len(r.history) == 2 and not r.diverged
    assert r.final["test_acc"] > 0.6, r.final  # chance is 0.1
    assert r.history[-1]["train_loss"] < r.history[0]["train_loss"]


@pytest.mark.parametrize("dataset, minimum", [("spiral", 0.9), ("moons", 0.9)])
def test_generated_datasets(dataset: str, minimum: float) -> None:
    r = fit(TrainConfig(dataset=dataset, epochs=40, hidden=(64, 64)), progress=False)
    assert r.final["test_acc"] >= minimum, r.final


def test_standardisation_uses_training_statistics() -> None:
    data = load_data(TrainConfig())
    assert np.allclose(data.X_train.mean(axis=0), 0, atol=1e-5)
    varying = data.std != 1
    assert np.allclose(data.X_train[:, varying].std(axis=0), 1, atol=1e-4)
    assert not np.allclose(data.X_test.mean(axis=0), 0, atol=1e-3)  # test set is not re-centred


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write *array* as a gzipped IDX file of unsigned bytes (type code 0x08)."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_mnist_from_data_dir(tmp_path: Path) -> None:
    """``--dataset mnist --data-dir`` with tiny fake IDX files in the real format."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 64), ("t10k", 16)):
        labels = rng.integers(0, 10, n)
        images = rng.integers(0, 40, (n, 28, 28)) + (labels[:, None, None] * 20)
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels)
    result = train_cli(
        "--dataset",
        "mnist",
        "--data-dir",
        str(tmp_path),
        "--epochs",
        "1",
        "--quiet",
        "--hidden",
        "16",
    )
    assert result.returncode == 0, result.stderr
    assert "784-16-10" in result.stdout and "test accuracy" in result.stdout


# --------------------------------------------------------------------------- library errors
BAD_CONFIGS = {
    "lr": (dict(lr=0.0), "lr", "must be a finite number > 0, got 0.0"),
    "lr nan": (dict(lr=float("nan")), "lr", "must be a finite number > 0, got nan"),
    "lr text": (dict(lr="fast"), "lr", "must be a finite number > 0, got 'fast'"),
    "momentum": (dict(momentum=-0.5), "momentum", "must be a finite number >= 0, got -0.5"),
    "epochs zero": (dict(epochs=0), "epochs", "must be an integer from 1 to 1,000,000, got 0"),
    "epochs absurd": (dict(epochs=10**12), "epochs", "must be an integer from 1 to 1,000,000"),
    "epochs float": (dict(epochs=2.5), "epochs", "got 2.5"),
    "batch_size": (dict(batch_size=0), "batch_size", "must be a positive integer, got 0"),
    "batch_size bool": (
        dict(batch_size=True),
        "batch_size",
        "must be a positive integer, got True",
    ),
    "hidden zero": (
        dict(hidden=(128, 0)),
        "hidden",
        "widths must be positive integers, got [128, 0]",
    ),
    "hidden string": (
        dict(hidden="256"),
        "hidden",
        "must be a sequence of layer widths, got '256'",
    ),
    "seed": (dict(seed=-1), "seed", "must be a non-negative integer, got -1"),
    "optimizer": (
        dict(optimizer="rmsprop"),
        "optimizer",
        "must be one of sgd, adam, adadelta, got 'rmsprop'",
    ),
    "activation": (
        dict(activation="swish"),
        "activation",
        "must be one of relu, tanh, sigmoid, leaky_relu",
    ),
    "dataset": (dict(dataset="cifar"), "dataset", "must be one of digits, spiral, moons, mnist"),
    "data_dir": (dict(dataset="mnist"), "data_dir", "is needed for the mnist dataset"),
}


@pytest.mark.parametrize(
    "kwargs, field, problem", list(BAD_CONFIGS.values()), ids=list(BAD_CONFIGS)
)
def test_fit_refuses_bad_settings_in_library_words(kwargs: dict, field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        fit(TrainConfig(**kwargs))
    exc = info.value
    assert isinstance(exc, ValueError) and isinstance(exc, TrainError)
    assert exc.field == field
    assert str(exc).startswith(f"TrainConfig.{field} "), str(exc)
    assert problem in str(exc)
    assert "--" not in str(exc)  # library words, not command-line words


def test_factories_share_the_one_validation() -> None:
    with pytest.raises(ConfigError, match=r"TrainConfig\.activation must be one of"):
        train.build_model(4, (3,), 2, activation="swish")
    with pytest.raises(ConfigError, match=r"TrainConfig\.optimizer must be one of"):
        train.make_optimizer("rmsprop", [], 0.1)


def _tiny_data(n_train: int = 40, n_test: int = 10, n_features: int = 3) -> Data:
    rng = np.random.default_rng(0)
    return Data(
        X_train=rng.normal(size=(n_train, n_features)).astype(np.float32),
        y_train=rng.integers(0, 2, n_train),
        X_test=rng.normal(size=(n_test, n_features)).astype(np.float32),
        y_test=rng.integers(0, 2, n_test),
        n_classes=2,
        mean=np.zeros(n_features, np.float32),
        std=np.ones(n_features, np.float32),
        description="tiny",
    )


@pytest.mark.parametrize("value, word", [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_fit_refuses_nonfinite_data_naming_the_row(value: float, word: str) -> None:
    data = _tiny_data()
    data.X_train[17, 2] = value
    with pytest.raises(DataError) as info:
        fit(TrainConfig(hidden=(4,), epochs=1), data=data)
    assert str(info.value) == f"data.X_train row 17 contains {word} (column 2)"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: setattr(d, "y_train", d.y_train + 5), "data.X_train: label of row"),
        (lambda d: setattr(d, "X_train", d.X_train[:0]), "data.X_train: the set is empty"),
        (lambda d: setattr(d, "X_test", d.X_test[:, :2]), "data.X_test have 2 features per"),
        (lambda d: setattr(d, "y_test", d.y_test[:3]), "data.X_test: 10 samples but labels"),
    ],
    ids=["label out of range", "empty training set", "feature mismatch", "label count"],
)
def test_fit_refuses_inconsistent_data(change, message: str) -> None:
    data = _tiny_data()
    change(data)
    with pytest.raises(DataError, match=message):
        fit(TrainConfig(hidden=(4,), epochs=1), data=data)


def test_load_data_names_the_data_set_and_first_bad_row(monkeypatch: pytest.MonkeyPatch) -> None:
    real = tn.datasets.load_digits

    def digits_with_nan(split: str = "train", **kw):
        X, y = real(split, **kw)
        X = X.astype(np.float64)
        if split == "train":
            X[17, 3] = np.nan
            X[20, 0] = np.inf  # a later bad row is not the one named
        return X, y

    monkeypatch.setattr(tn.datasets, "load_digits", digits_with_nan)
    with pytest.raises(DataError) as info:
        load_data(TrainConfig())
    assert str(info.value) == "training images row 17 contains nan (column 3)"


def test_values_too_large_for_float32_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = tn.datasets.load_digits

    def huge_test_pixel(split: str = "train", **kw):
        X, y = real(split, **kw)
        X = X.astype(np.float64)
        if split == "test":
            X[4, 9] = 1e39  # finite in float64, inf in float32
        return X, y

    monkeypatch.setattr(tn.datasets, "load_digits", huge_test_pixel)
    with pytest.raises(DataError, match=r"test images row 4 contains inf \(column 9\) after"):
        load_data(TrainConfig(standardize=False))


def test_mnist_train_and_test_of_different_sizes(tmp_path: Path) -> None:
    for prefix, n, side in (("train", 8, 28), ("t10k", 4, 20)):
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", np.zeros((n, side, side)))
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.zeros(n))
    with pytest.raises(DataError) as info:
        load_data(TrainConfig(dataset="mnist", data_dir=str(tmp_path)))
    message = str(info.value)
    assert "differ in size" in message and "784 pixels per training image" in message
    assert "400 per test image" in message


def test_a_model_too_large_is_refused_before_allocating() -> None:
    # 10**12 hidden units: 4 TB of float32 weights alone. The check runs on the parameter
    # count, so no allocation is attempted (numpy would raise its own MemoryError).
    with pytest.raises(TooLargeError) as info:
        fit(TrainConfig(hidden=(10**12,), epochs=1))
    params = (64 + 1) * 10**12 + (10**12 + 1) * 10
    assert f"has {params:,} parameters" in str(info.value)
    assert "bytes" in str(info.value) and "available" in str(info.value)


def test_memory_estimate_follows_the_documented_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    # MLP 64-8-10 with Adam (2 state arrays), batch 32 of 1438, test set 359:
    # P = 65*8 + 9*10 = 610; bytes = 4 * ((2 + 2) * 610 + 3 * max(32, 359) * (8 + 10))
    expected = 4 * (4 * 610 + 3 * 359 * 18)
    monkeypatch.setattr(train.memory, "available_memory_bytes", lambda: expected - 1)
    with pytest.raises(TooLargeError, match=f"has 610 parameters.*needs about {expected:,} bytes"):
        fit(TrainConfig(hidden=(8,), epochs=1))
    monkeypatch.setattr(train.memory, "available_memory_bytes", lambda: expected)
    assert fit(TrainConfig(hidden=(8,), epochs=1)).final["epochs_run"] == 1


def test_diverged_fit_stops_and_says_why() -> None:
    with np.errstate(all="ignore"):
        r = fit(TrainConfig(optimizer="sgd", lr=1e4, epochs=5, hidden=(32,)))
    assert r.diverged and len(r.history) < 5
    assert f"at epoch {len(r.history)}" in r.diverged_reason


def test_save_run_refuses_a_diverged_run_and_nonfinite_weights(tmp_path: Path) -> None:
    from tinynet.cli.outputs import save_run

    with np.errstate(all="ignore"):
        diverged = fit(TrainConfig(optimizer="sgd", lr=1e4, epochs=3, hidden=(32,)))
    with pytest.raises(TrainError, match="refusing to save a diverged run"):
        save_run(diverged, tmp_path / "a")
    assert not (tmp_path / "a").exists()

    good = fit(TrainConfig(epochs=1, hidden=(8,)))
    save_run(good, tmp_path / "b", plot=False)
    before = (tmp_path / "b" / "checkpoint.safetensors").read_bytes()
    state = good.model.state_dict()
    state["0.weight"][0, 0] = np.nan
    good.model.load_state_dict(state)
    with pytest.raises(TrainError, match=r"parameter '0\.weight' is not finite"):
        save_run(good, tmp_path / "b", plot=False)
    assert (tmp_path / "b" / "checkpoint.safetensors").read_bytes() == before


def test_a_plot_that_fails_midway_leaves_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.figure import Figure

    from tinynet.cli.outputs import save_run

    result = fit(TrainConfig(epochs=1, hidden=(8,)))
    save_run(result, tmp_path)
    old_png = (tmp_path / "curves.png").read_bytes()

    def half_then_fail(self, f, **kw):
        f.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", half_then_fail)
    with pytest.raises(OSError):
        save_run(result, tmp_path)
    assert (tmp_path / "curves.png").read_bytes() == old_png
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint.safetensors",
        "curves.png",
        "log.json",
    ]


def test_writers_stay_importable_from_tinynet_train() -> None:
    from tinynet.cli import outputs

    assert train.save_run is outputs.save_run and train.plot_curves is outputs.plot_curves
    with pytest.raises(AttributeError):
        train.no_such_name  # noqa: B018


def test_diverging_run_keeps_the_earlier_good_run(tmp_path: Path) -> None:
    """A diverged run writes nothing: the good checkpoint, log and plot in --out stay as they were."""
    good = train_cli("--epochs", "2", "--quiet", "--out", str(tmp_path))
    assert good.returncode == 0, good.stderr
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(before) == {"checkpoint.safetensors", "log.json", "curves.png"}
    bad = train_cli(
        "--optimizer", "sgd", "--lr", "1e4", "--epochs", "3", "--quiet", "--out", str(tmp_path)
    )
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr and "RuntimeWarning" not in bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1, bad.stderr
    assert lines[0].startswith("tinynet train: error: training diverged:"), lines[0]
    assert "try a smaller --lr" in lines[0]
    assert f"nothing was written to --out {tmp_path}" in lines[0]
    assert "earlier checkpoint.safetensors there is unchanged" in lines[0]
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # byte for byte, and no temporary or extra file
    model, _ = load_checkpoint(tmp_path / "checkpoint.safetensors")
    assert all(np.isfinite(p.numpy()).all() for p in model.parameters())


def test_diverging_run_creates_no_out_directory(tmp_path: Path) -> None:
    out = tmp_path / "new" / "run"
    bad = train_cli(
        "--optimizer", "sgd", "--lr", "1e4", "--epochs", "2", "--quiet", "--out", str(out)
    )
    assert bad.returncode == 1 and "training diverged" in bad.stderr
    assert not (tmp_path / "new").exists()


def test_parse_hidden() -> None:
    assert parse_hidden("256,128") == (256, 128)
    assert parse_hidden(" 64 ") == (64,)
    assert parse_hidden("none") == ()
    assert parse_hidden("0") == (0,)  # syntax only: the value is refused by validate_config


def test_help_and_python_m() -> None:
    result = train_cli("--help")
    assert result.returncode == 0
    for option in (
        "--optimizer",
        "--lr",
        "--epochs",
        "--batch-size",
        "--hidden",
        "--activation",
        "--seed",
        "--dataset",
        "--data-dir",
        "--out",
    ):
        assert option in result.stdout


# --------------------------------------------------------------------------- light imports
def test_import_tinynet_and_train_do_not_import_matplotlib() -> None:
    code = (
        "import sys, tinynet, tinynet.train\n"
        "from tinynet.train import TrainConfig, fit\n"
        "fit(TrainConfig(epochs=1, hidden=(8,)), progress=False)\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
        "# the library is not a client of the command line, and needs no progress bar\n"
        "assert 'tinynet.cli' not in sys.modules, 'tinynet.cli was imported'\n"
        "assert 'tqdm' not in sys.modules, 'tqdm was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **SINGLE_THREADED_BLAS},
    )
    assert result.returncode == 0, result.stderr


def test_missing_matplotlib_is_a_clear_note(tmp_path: Path) -> None:
    """Without matplotlib the run still succeeds, writes checkpoint + log, and says why no plot."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    # Hide matplotlib from the child process with a meta path finder that refuses it.
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'matplotlib' or name.startswith('matplotlib.'):\n"
        "            raise ImportError('No module named ' + repr(name) + ' (blocked for a test)')\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    env = {
        "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    }
    out = tmp_path / "run"
    result = train_cli("--epochs", "1", "--quiet", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert (out / "checkpoint.safetensors").is_file() and (out / "log.json").is_file()
    assert not (out / "curves.png").exists()
    assert "matplotlib" in result.stderr and "pip install" in result.stderr
    assert "Traceback" not in result.stderr
