"""The progress bar of ``tinynet train``: a tqdm bar fed by :func:`tinynet.train.fit`'s callbacks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from tinynet.train import StepInfo, TrainConfig

__all__ = ["ProgressBar"]

#: seconds between two updates of the running loss/accuracy (each costs a device-to-host copy)
POSTFIX_INTERVAL_S = 0.5


def _postfix(epoch: int, epochs: int, loss: float, acc: float, test_acc: float) -> str:
    test = "" if math.isnan(test_acc) else f" test_acc {test_acc:.3f}"
    return f"epoch {epoch}/{epochs} loss {loss:.4f} acc {acc:.3f}{test}"


class ProgressBar:
    """One bar over all the steps of a run, with the epoch's running loss and accuracy."""

    def __init__(self, config: TrainConfig) -> None:
        self.desc = f"{config.dataset} {config.optimizer}"
        self.bar: Any = None
        self.test_acc = float("nan")
        self.last_postfix = time.perf_counter()

    def on_step(self, info: StepInfo) -> None:
        """Advance the bar (made at the first step) and, now and then, its running numbers."""
        if self.bar is None:  # the number of steps is known at the first step
            self.bar = tqdm(
                total=info.total_steps,
                desc=self.desc,
                unit="step",
                leave=True,
                mininterval=0.2,
                dynamic_ncols=True,
            )
        self.bar.update(1)
        if time.perf_counter() - self.last_postfix > POSTFIX_INTERVAL_S:
            loss, acc = info.running()
            self.bar.set_postfix_str(
                _postfix(info.epoch, info.epochs, loss, acc, self.test_acc), refresh=False
            )
            self.last_postfix = time.perf_counter()

    def on_epoch(self, record: dict[str, Any], epochs: int) -> None:
        """Show the finished epoch's train loss, train and test accuracy on the bar."""
        self.test_acc = record["test_acc"]
        if self.bar is not None:
            self.bar.set_postfix_str(
                _postfix(
                    record["epoch"], epochs, record["train_loss"], record["train_acc"],
                    record["test_acc"],
                ),
                refresh=False,
            )  # fmt: skip
        self.last_postfix = time.perf_counter()

    def chain(
        self,
        on_step: Callable[[StepInfo], Any] | None,
        callback: Callable[[dict[str, Any]], Any] | None,
        epochs: int,
    ) -> tuple[Callable[[StepInfo], Any], Callable[[dict[str, Any]], Any]]:
        """``(on_step, callback)`` for :func:`~tinynet.train.fit` that feed the bar, then the given ones."""

        def step(info: StepInfo) -> None:
            self.on_step(info)
            if on_step is not None:
                on_step(info)

        def epoch(record: dict[str, Any]) -> None:
            self.on_epoch(record, epochs)
            if callback is not None:
                callback(record)

        return step, epoch

    def close(self) -> None:
        """Close the bar, if one was started."""
        if self.bar is not None:
            self.bar.close()
