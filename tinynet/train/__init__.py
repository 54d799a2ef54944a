r"""Training a multi-layer perceptron: the library behind ``tinynet train``.

:func:`fit` takes a :class:`TrainConfig` and returns a :class:`TrainResult` (the model,
the optimizer, the per-epoch history and the final metrics). It writes no file, prints
nothing and parses no command line: the ``tinynet train`` command (:mod:`tinynet.cli.train`)
is one client of this package, the notebooks another::

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

One concept per module; every public name below is importable from ``tinynet.train``:

=================  ===================================================================
``errors.py``      :class:`TrainError`, :class:`ConfigError`, :class:`DataError`, :class:`TooLargeError`
``config.py``      :class:`TrainConfig`, its defaults, :func:`validate_config`
``data.py``        :class:`Data`, :func:`load_data` (load, check, standardise)
``factories.py``   :func:`build_model`, :func:`make_optimizer`
``memory.py``      :func:`check_fits_in_memory` and its estimate
``metrics.py``     :func:`evaluate`, :func:`first_nonfinite_parameter`
``loop.py``        :func:`fit`, :class:`TrainResult`, :class:`StepInfo`
``checkpoint.py``  :func:`load_checkpoint`
=================  ===================================================================

The names here are re-exports: to replace a function in a test (``monkeypatch``),
replace it in the module that calls it, e.g. ``tinynet.train.memory.available_memory_bytes``.
"""

from __future__ import annotations

from typing import Any

from tinynet.train.checkpoint import load_checkpoint
from tinynet.train.config import (
    ACTIVATIONS,
    DATASETS,
    DEFAULT_EPOCHS,
    DEFAULT_LR,
    MAX_EPOCHS,
    OPTIMIZERS,
    TrainConfig,
    validate_config,
)
from tinynet.train.data import Data, load_data
from tinynet.train.errors import ConfigError, DataError, TooLargeError, TrainError
from tinynet.train.factories import build_model, make_optimizer
from tinynet.train.loop import StepInfo, TrainResult, fit
from tinynet.train.memory import (
    available_memory_bytes,
    check_fits_in_memory,
    training_memory_bytes,
)
from tinynet.train.metrics import EVAL_BATCH_SIZE as EVAL_BATCH_SIZE
from tinynet.train.metrics import evaluate, first_nonfinite_parameter

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


def __getattr__(name: str) -> Any:
    # Writing files is the command line's job (tinynet.cli.outputs); these two names stay
    # importable from here because notebooks and user code use them. Imported lazily so
    # that ``import tinynet.train`` loads neither the command line nor matplotlib.
    if name in ("save_run", "plot_curves"):
        from tinynet.cli import outputs

        return getattr(outputs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
