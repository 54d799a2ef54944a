r"""Training a multi-layer perceptron: the library behind ``tinynet train``.

:func:`fit` takes a :class:`TrainConfig` and returns a :class:`TrainResult` (the model,
the optimizer, the per-epoch history and the final metrics). It writes no file, prints
nothing and parses no command line: the ``tinynet train`` command (:mod:`tinynet.cli.train`)
is one client of this module, the notebooks another::

    from tinynet.train import TrainConfig, fit
    result = fit(TrainConfig(optimizer="sgd", epochs=10))
    result.final["test_acc"]

Default recipe (digits)
    * inputs standardised with the **training** set's per-pixel mean :math:`\mu_j` and
      standard deviation :math:`\sigma_j`, :math:`x'_{ij} = (x_{ij} - \mu_j) / \sigma_j`
      (pixels that are constant in the training set, :math:`\sigma_j < 10^{-8}`, are
      only centred);
    * MLP 64-256-128-10: ``Dense(64, 256)``, ReLU, ``Dense(256, 128)``, ReLU,
      ``Dense(128, 10)`` (logits), Glorot-uniform weights, zero biases;
    * softmax cross-entropy on the logits (:func:`tinynet.nn.functional.cross_entropy`);
    * Adam, lr = 1e-3, betas (0.9, 0.999), eps 1e-8; mini-batches of 32, reshuffled
      every epoch; 40 epochs (1,800 steps); float32; seed 0.

Everything random (the initial weights and the order of the mini-batches) derives from
``seed``, and is drawn on the host with numpy, so two runs with the same configuration on
the same backend produce identical numbers.

Errors are :class:`TrainError` subclasses worded for a library caller
(``TrainConfig.lr must be ...``): :class:`ConfigError` for a bad setting,
:class:`DataError` for unusable data, :class:`TooLargeError` when the model would not fit
in memory. A run whose loss or weights become NaN/inf is not an error: it stops and
returns with ``result.diverged`` set (its history shows where it blew up).
"""

from __future__ import annotations

import math
import numbers
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

# Host-side data preparation (loading, splitting, standardising) uses numpy directly,
# as the datasets do; the model and its training run on the active backend.
import numpy as np

import tinynet
from tinynet import nn
from tinynet.backend import asarray, backend_name, to_numpy
from tinynet.nn import functional as F
from tinynet.tensor import Tensor, no_grad

__all__ = [
    "DATASETS",
    "OPTIMIZERS",
    "ACTIVATIONS",
    "DEFAULT_LR",
    "DEFAULT_EPOCHS",
    "MAX_EPOCHS",
    "TrainError",
    "ConfigError",
    "DataError",
    "TooLargeError",
    "TrainConfig",
    "validate_config",
    "Data",
    "StepInfo",
    "TrainResult",
    "load_data",
    "build_model",
    "make_optimizer",
    "evaluate",
    "training_memory_bytes",
    "available_memory_bytes",
    "check_fits_in_memory",
    "first_nonfinite_parameter",
    "fit",
    "load_checkpoint",
]

DATASETS = ("digits", "spiral", "moons", "mnist")
OPTIMIZERS = ("sgd", "adam", "adadelta")
ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
}

#: learning rate used when ``lr`` is not given
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.02, "adadelta": 1.0}
#: number of epochs used when ``epochs`` is not given (the data sets differ in size)
DEFAULT_EPOCHS = {"digits": 40, "spiral": 200, "moons": 100, "mnist": 10}
#: a guard against typos such as ``epochs=10**12`` (a run that would never end)
MAX_EPOCHS = 1_000_000
#: per optimizer, the float arrays it keeps per parameter (momentum buffer, Adam's m and v, ...)
_OPTIMIZER_SLOTS = {"sgd": 1, "adam": 2, "adadelta": 2}
#: batch size of :func:`evaluate`
EVAL_BATCH_SIZE = 2048


# --------------------------------------------------------------------------- errors
class TrainError(Exception):
    """Base class of the errors of :mod:`tinynet.train`: problems the caller can fix."""


class ConfigError(TrainError, ValueError):
    """A bad :class:`TrainConfig` setting.

    ``field`` is the name of the setting (``"lr"``), ``problem`` what is wrong with it,
    including the value (``"must be a finite number > 0, got -0.1"``); a front end can
    reword the field (``tinynet train`` says ``--lr``).
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"TrainConfig.{field} {problem}")
        self.field = field
        self.problem = problem


class DataError(TrainError, ValueError):
    """The data cannot be trained on: unreadable, empty, inconsistent or not finite."""


class TooLargeError(TrainError, MemoryError):
    """The model (or a batch of it) would need more memory than is available."""


# --------------------------------------------------------------------------- config
def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ConfigError(name, f"must be one of {', '.join(choices)}, got {value!r}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (``None`` fields take the defaults above).

    ``hidden`` lists the hidden layer widths (``()``: softmax regression). Use
    :meth:`resolved` (``fit`` does) to validate and fill in the defaults.
    """

    dataset: str = "digits"
    data_dir: str | None = None
    hidden: tuple[int, ...] = (256, 128)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float | None = None
    momentum: float = 0.9
    epochs: int | None = None
    batch_size: int = 32
    seed: int = 0
    standardize: bool = True

    def resolved(self) -> TrainConfig:
        """A validated copy with the dataset/optimizer-dependent defaults filled in."""
        validate_config(self)
        return replace(
            self,
            hidden=tuple(int(h) for h in self.hidden),
            lr=DEFAULT_LR[self.optimizer] if self.lr is None else float(self.lr),
            epochs=DEFAULT_EPOCHS[self.dataset] if self.epochs is None else int(self.epochs),
            batch_size=int(self.batch_size),
            seed=int(self.seed),
            momentum=float(self.momentum),
        )

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-able dict (``hidden`` as a list)."""
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


def validate_config(c: TrainConfig) -> None:
    """Raise :class:`ConfigError` naming the first bad setting of *c*.

    This is the only place where training settings are checked; :func:`build_model`,
    :func:`make_optimizer` and the command line rely on it.
    """
    _check_choice("dataset", c.dataset, DATASETS)
    _check_choice("optimizer", c.optimizer, OPTIMIZERS)
    _check_choice("activation", c.activation, tuple(ACTIVATIONS))
    if c.lr is not None and not (_is_real(c.lr) and math.isfinite(c.lr) and c.lr > 0):
        raise ConfigError("lr", f"must be a finite number > 0, got {c.lr!r}")
    if not (_is_real(c.momentum) and math.isfinite(c.momentum) and c.momentum >= 0):
        raise ConfigError("momentum", f"must be a finite number >= 0, got {c.momentum!r}")
    if c.epochs is not None and not (_is_int(c.epochs) and 1 <= c.epochs <= MAX_EPOCHS):
        raise ConfigError(
            "epochs", f"must be an integer from 1 to {MAX_EPOCHS:,}, got {c.epochs!r}"
        )
    if not (_is_int(c.batch_size) and c.batch_size >= 1):
        raise ConfigError("batch_size", f"must be a positive integer, got {c.batch_size!r}")
    hidden = c.hidden
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise ConfigError("hidden", f"must be a sequence of layer widths, got {hidden!r}")
    if any(not _is_int(h) or h < 1 for h in hidden):
        raise ConfigError(
            "hidden",
            f"widths must be positive integers, got {list(hidden)!r}",
        )
    if not (_is_int(c.seed) and c.seed >= 0):
        raise ConfigError("seed", f"must be a non-negative integer, got {c.seed!r}")
    if not isinstance(c.standardize, bool):
        raise ConfigError("standardize", f"must be True or False, got {c.standardize!r}")
    if c.dataset == "mnist" and not c.data_dir:
        raise ConfigError(
            "data_dir",
            "is needed for the mnist dataset: a folder with the four MNIST IDX files "
            "(train-images-idx3-ubyte[.gz], ...); tinynet does not download anything",
        )
    if c.data_dir is not None and not isinstance(c.data_dir, (str, os.PathLike)):
        raise ConfigError("data_dir", f"must be a path, got {c.data_dir!r}")


# --------------------------------------------------------------------------- data
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


def _check_data(data: Data) -> None:
    """The checks of :func:`load_data`, for a :class:`Data` passed to :func:`fit` directly."""
    if not isinstance(data, Data):
        raise DataError(f"data must be a tinynet.train.Data, got {type(data).__name__}")
    if not (_is_int(data.n_classes) and data.n_classes >= 1):
        raise DataError(f"data.n_classes must be a positive integer, got {data.n_classes!r}")
    X_tr, X_te = np.asarray(data.X_train), np.asarray(data.X_test)
    _check_arrays(X_tr, np.asarray(data.y_train), "data.X_train", data.n_classes, None)
    _check_arrays(X_te, np.asarray(data.y_test), "data.X_test", data.n_classes, X_tr.shape[1])


# --------------------------------------------------------------------------- model
def build_model(
    n_features: int,
    hidden: tuple[int, ...] | list[int],
    n_classes: int,
    activation: str = "relu",
    seed: int = 0,
) -> nn.Sequential:
    """``Dense -> activation -> ... -> Dense`` (logits), each layer seeded from *seed*.

    Settings are checked by :func:`validate_config`; an unknown *activation* raises
    :class:`ConfigError` here too, because this function is public.
    """
    _check_choice("activation", activation, tuple(ACTIVATIONS))
    sizes = [n_features, *hidden, n_classes]
    layer_seeds = np.random.SeedSequence(seed).generate_state(len(sizes) - 1)
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Dense(sizes[i], sizes[i + 1], seed=int(layer_seeds[i])))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def make_optimizer(
    name: str, params: Any, lr: float, momentum: float = 0.9
) -> tinynet.optim.Optimizer:
    """The optimizer *name* (``sgd`` uses *momentum*; ``adam``/``adadelta`` their defaults)."""
    _check_choice("optimizer", name, OPTIMIZERS)
    optim = tinynet.optim
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    return optim.Adadelta(params, lr=lr)


def evaluate(
    model: nn.Module, X: np.ndarray, y: np.ndarray, batch_size: int = EVAL_BATCH_SIZE
) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and the predicted classes (host array) of *model* on (X, y)."""
    total, predictions = 0.0, []
    with no_grad():
        for start in range(0, len(X), batch_size):
            xb = Tensor(asarray(X[start : start + batch_size]))
            yb = asarray(y[start : start + batch_size])
            logits = model(xb)
            total += float(F.cross_entropy(logits, yb, reduction="sum").item())
            predictions.append(to_numpy(logits.data.argmax(axis=1)))
    pred = np.concatenate(predictions) if predictions else np.zeros(0, dtype=np.int64)
    n = max(len(X), 1)
    return total / n, float((pred == y).mean()) if len(y) else float("nan"), pred


# --------------------------------------------------------------------------- memory
def _architecture(n_features: int, hidden: Sequence[int], n_classes: int) -> str:
    return "-".join(str(s) for s in (n_features, *hidden, n_classes))


def training_memory_bytes(
    n_features: int,
    hidden: Sequence[int],
    n_classes: int,
    optimizer: str,
    batch_size: int,
    n_train: int,
    n_test: int = EVAL_BATCH_SIZE,
) -> tuple[int, int]:
    r"""``(parameters, bytes)``: the parameter count and a lower estimate of the memory a run needs.

    With layer sizes :math:`s_0, \dots, s_L` the MLP has
    :math:`P = \sum_{l=1}^{L} (s_{l-1} + 1)\, s_l` parameters; training keeps, in float32,
    the weights, their gradients and the optimizer's per-parameter state (:math:`k`
    arrays: 1 for SGD's momentum, 2 for Adam and Adadelta), and per layer about three
    activation-sized arrays (output, activation, gradient) of the largest batch, of
    training or of evaluation,
    :math:`b = \max(\min(\text{batch\_size}, n_\text{train}), \min(2048, n_\text{test}))`:

    .. math:: \text{bytes} \approx 4 \big((2 + k) P + 3 b \textstyle\sum_{l} s_l\big)

    Computed with Python integers, so absurd sizes give a (huge) number, never an overflow.
    """
    sizes = [int(n_features), *(int(h) for h in hidden), int(n_classes)]
    params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    rows = max(min(int(batch_size), int(n_train)), min(EVAL_BATCH_SIZE, int(n_test)))
    activations = 3 * rows * sum(sizes[1:])
    return params, 4 * ((2 + _OPTIMIZER_SLOTS[optimizer]) * params + activations)


def available_memory_bytes() -> int | None:
    """Memory available to this run: free GPU memory on the cupy backend, else the host's.

    Host memory is ``MemAvailable`` of ``/proc/meminfo`` (Linux), else the free pages
    reported by ``sysconf``; ``None`` when the platform reports neither.
    """
    if backend_name() == "cupy":
        try:
            import cupy  # type: ignore[import-not-found]

            free, _total = cupy.cuda.runtime.memGetInfo()
            return int(free) + int(cupy.get_default_memory_pool().free_bytes())
        except Exception:  # no device information: fall back to the host's memory
            pass
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def check_fits_in_memory(config: TrainConfig, data: Data) -> int:
    """Raise :class:`TooLargeError` if the run of *config* on *data* cannot fit in memory.

    Called by :func:`fit` before any weight is allocated. Returns the parameter count.
    """
    config = config.resolved()
    params, needed = training_memory_bytes(
        data.n_features, config.hidden, data.n_classes, config.optimizer,
        config.batch_size, len(data.X_train), len(data.X_test),
    )  # fmt: skip
    available = available_memory_bytes()
    if available is not None and needed > available:
        arch = _architecture(data.n_features, config.hidden, data.n_classes)
        raise TooLargeError(
            f"an MLP {arch} has {params:,} parameters; training it with {config.optimizer} "
            f"needs about {needed:,} bytes ({_gib(needed)}; weights, gradients, optimizer "
            f"state and activations in float32), but only {available:,} bytes "
            f"({_gib(available)}) of memory are available"
        )
    return params


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"


def first_nonfinite_parameter(model: nn.Module) -> str | None:
    """The name of the first parameter of *model* holding a NaN or infinity, else ``None``."""
    for name, p in model.named_parameters():
        if not bool(to_numpy(tinynet.backend.xp.isfinite(p.data).all())):
            return name
    return None


# --------------------------------------------------------------------------- training
@dataclass
class StepInfo:
    """What an ``on_step`` callback of :func:`fit` receives after every optimizer step.

    ``running()`` returns this epoch's running mean loss and accuracy; it copies two
    scalars from the device, so call it only when you will show them.
    """

    epoch: int
    epochs: int
    step: int
    total_steps: int
    _loss_sum: Any
    _correct: Any
    _seen: int

    def running(self) -> tuple[float, float]:
        return float(self._loss_sum) / self._seen, float(self._correct) / self._seen


@dataclass
class TrainResult:
    """What :func:`fit` returns.

    ``history`` holds one dict per epoch (``epoch``, ``train_loss``, ``train_acc``,
    ``test_loss``, ``test_acc``, ``lr``, ``elapsed_s``); ``final`` the last epoch's
    metrics plus ``epochs_run``, ``steps``, ``train_time_s``, ``steps_per_s`` and
    ``wall_time_s``. ``diverged`` is true when the run stopped because the loss or a
    weight became NaN/inf; ``diverged_reason`` then says which.
    """

    config: TrainConfig
    model: nn.Sequential
    optimizer: Any
    data: Data
    history: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, Any] = field(default_factory=dict)
    diverged: bool = False
    diverged_reason: str = ""

    @property
    def architecture(self) -> str:
        """``"64-256-128-10"``: the layer sizes."""
        return _architecture(self.data.n_features, self.config.hidden, self.data.n_classes)


def fit(
    config: TrainConfig | None = None,
    *,
    data: Data | None = None,
    callback: Callable[[dict[str, Any]], Any] | None = None,
    on_step: Callable[[StepInfo], Any] | None = None,
    progress: bool = False,
) -> TrainResult:
    """Train an MLP as configured; returns the model, the per-epoch history and final metrics.

    *data* may be passed to reuse an already loaded :class:`Data` (it is checked like
    loaded data). *callback*, if given, is called as ``callback(epoch_record)`` after
    every epoch, *on_step* as ``on_step(StepInfo)`` after every optimizer step.
    *progress* shows the progress bar of ``tinynet train`` (needs tqdm).

    Raises :class:`ConfigError`, :class:`DataError` or :class:`TooLargeError` before any
    training; a diverging run returns early with ``diverged`` set.
    """
    start = time.perf_counter()
    if config is None:
        config = TrainConfig()
    if not isinstance(config, TrainConfig):
        raise ConfigError("config", f"must be a TrainConfig, got {type(config).__name__}")
    config = config.resolved()
    if data is None:
        data = load_data(config)
    else:
        _check_data(data)
    check_fits_in_memory(config, data)
    assert config.epochs is not None and config.lr is not None
    if progress:
        # The bar is the command line's; imported here so the library needs no tqdm.
        from tinynet.cli.progress import ProgressBar

        bar = ProgressBar(config)
        on_step, callback = bar.chain(on_step, callback, config.epochs)
    model = build_model(
        data.n_features, config.hidden, data.n_classes, config.activation, config.seed
    )
    opt = make_optimizer(config.optimizer, model.parameters(), config.lr, config.momentum)
    # The batch order has its own seed stream, independent of the weights'.
    shuffle_seed = int(np.random.SeedSequence([config.seed, 1]).generate_state(1)[0])
    loader = tinynet.data.DataLoader(
        data.X_train, data.y_train, batch_size=config.batch_size, shuffle=True, seed=shuffle_seed
    )
    result = TrainResult(config=config, model=model, optimizer=opt, data=data)
    total_steps = config.epochs * len(loader)
    steps = 0
    train_start = time.perf_counter()
    try:
        for epoch in range(1, config.epochs + 1):
            model.train()
            loss_sum = None  # a backend scalar: no device-to-host copy per step
            correct = None
            seen = 0
            for xb, yb in loader:
                logits = model(xb)
                loss = F.cross_entropy(logits, yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                n = len(yb)
                batch_loss = loss.data * n
                batch_correct = (logits.data.argmax(axis=1) == yb.data).sum()
                loss_sum = batch_loss if loss_sum is None else loss_sum + batch_loss
                correct = batch_correct if correct is None else correct + batch_correct
                seen += n
                steps += 1
                if on_step is not None:
                    on_step(
                        StepInfo(epoch, config.epochs, steps, total_steps, loss_sum, correct, seen)
                    )
            train_loss = float(loss_sum) / seen
            train_acc = float(correct) / seen
            model.eval()
            test_loss, test_acc, _ = evaluate(model, data.X_test, data.y_test)
            record = {
                "epoch": epoch,
                "train_loss": train_loss,
                "train_acc": train_acc,
                "test_loss": test_loss,
                "test_acc": test_acc,
                "lr": float(opt.param_groups[0]["lr"]),
                "elapsed_s": time.perf_counter() - train_start,
            }
            result.history.append(record)
            if callback is not None:
                callback(record)
            # A NaN/inf loss, or a weight that overflowed while the loss was still finite,
            # makes every later step meaningless: stop and report it.
            if not math.isfinite(train_loss):
                result.diverged = True
                result.diverged_reason = f"the training loss is {train_loss} at epoch {epoch}"
                break
            bad = first_nonfinite_parameter(model)
            if bad is not None:
                result.diverged = True
                result.diverged_reason = f"parameter {bad!r} is not finite at epoch {epoch}"
                break
    finally:
        if progress:
            bar.close()
    train_time = time.perf_counter() - train_start
    last = result.history[-1]
    result.final = {
        "test_acc": last["test_acc"],
        "test_loss": last["test_loss"],
        "train_acc": last["train_acc"],
        "train_loss": last["train_loss"],
        "epochs_run": last["epoch"],
        "steps": steps,
        "train_time_s": train_time,
        "steps_per_s": steps / train_time if train_time > 0 else float("inf"),
        "wall_time_s": time.perf_counter() - start,
    }
    return result


# --------------------------------------------------------------------------- checkpoints
def load_checkpoint(path: str | os.PathLike[str]) -> tuple[nn.Sequential, dict[str, Any]]:
    """Rebuild the model saved by ``tinynet train --out`` (or :func:`save_run`) and load its weights.

    Returns ``(model, checkpoint)``; ``checkpoint["normalization"]`` holds the mean and
    std to apply to new inputs, ``checkpoint["config"]`` the training configuration.
    Raises :class:`DataError` when the file is not such a checkpoint.
    """
    ckpt = tinynet.load(path)
    try:
        cfg = ckpt["config"]
        model = build_model(
            int(ckpt["n_features"]),
            tuple(int(h) for h in cfg["hidden"]),
            int(ckpt["n_classes"]),
            cfg["activation"],
            0,
        )
        model.load_state_dict(ckpt["model"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise DataError(
            f"{os.fspath(path)} is not a checkpoint of tinynet train: {type(exc).__name__}: {exc}"
        ) from exc
    return model, ckpt


def __getattr__(name: str) -> Any:
    # Writing files is the command line's job (tinynet.cli.outputs); these two names stay
    # importable from here because notebooks and user code use them. Imported lazily so
    # that ``import tinynet.train`` loads neither the command line nor matplotlib.
    if name in ("save_run", "plot_curves"):
        from tinynet.cli import outputs

        return getattr(outputs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
