"""The training loop: :func:`fit` takes a :class:`~tinynet.train.TrainConfig` and returns a
:class:`TrainResult` (the model, the optimizer, the per-epoch history and the final metrics).

Default recipe (digits): softmax cross-entropy on the logits
(:func:`tinynet.nn.functional.cross_entropy`); Adam, lr = 1e-3, betas (0.9, 0.999),
eps 1e-8; mini-batches of 32, reshuffled every epoch; 40 epochs (1,800 steps); float32;
seed 0. The batch order has a seed stream of its own, independent of the weights'.

A run whose loss or weights become NaN/inf is not an error: it stops and returns with
``result.diverged`` set (its history shows where it blew up).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import tinynet
from tinynet import nn
from tinynet.nn import functional as F
from tinynet.train.config import TrainConfig
from tinynet.train.data import Data, check_data, load_data
from tinynet.train.errors import ConfigError
from tinynet.train.factories import architecture, build_model, make_optimizer
from tinynet.train.memory import check_fits_in_memory
from tinynet.train.metrics import evaluate, first_nonfinite_parameter

__all__ = ["StepInfo", "TrainResult", "fit"]


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
        """This epoch's running ``(mean loss, accuracy)`` over the samples seen so far.

        Copies two scalars from the device: call it only when the numbers are shown.
        """
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
        return architecture(self.data.n_features, self.config.hidden, self.data.n_classes)


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
        check_data(data)
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
