"""What a training run is: :class:`TrainConfig`, its defaults, and :func:`validate_config`.

:func:`validate_config` is the only place where training settings are checked; the
data loader, the factories, :func:`~tinynet.train.fit` and the command line rely on it.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from tinynet import nn
from tinynet.train.errors import ConfigError

__all__ = [
    "DATASETS",
    "OPTIMIZERS",
    "ACTIVATIONS",
    "DEFAULT_LR",
    "DEFAULT_EPOCHS",
    "MAX_EPOCHS",
    "TrainConfig",
    "validate_config",
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


def is_int(value: Any) -> bool:
    """An integer, but not a bool (``True`` is not a layer width)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    """Raise :class:`ConfigError` for setting *name* unless *value* is one of *choices*."""
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
    check_choice("dataset", c.dataset, DATASETS)
    check_choice("optimizer", c.optimizer, OPTIMIZERS)
    check_choice("activation", c.activation, tuple(ACTIVATIONS))
    if c.lr is not None and not (_is_real(c.lr) and math.isfinite(c.lr) and c.lr > 0):
        raise ConfigError("lr", f"must be a finite number > 0, got {c.lr!r}")
    if not (_is_real(c.momentum) and math.isfinite(c.momentum) and c.momentum >= 0):
        raise ConfigError("momentum", f"must be a finite number >= 0, got {c.momentum!r}")
    if c.epochs is not None and not (is_int(c.epochs) and 1 <= c.epochs <= MAX_EPOCHS):
        raise ConfigError(
            "epochs", f"must be an integer from 1 to {MAX_EPOCHS:,}, got {c.epochs!r}"
        )
    if not (is_int(c.batch_size) and c.batch_size >= 1):
        raise ConfigError("batch_size", f"must be a positive integer, got {c.batch_size!r}")
    hidden = c.hidden
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise ConfigError("hidden", f"must be a sequence of layer widths, got {hidden!r}")
    if any(not is_int(h) or h < 1 for h in hidden):
        raise ConfigError(
            "hidden",
            f"widths must be positive integers, got {list(hidden)!r}",
        )
    if not (is_int(c.seed) and c.seed >= 0):
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
