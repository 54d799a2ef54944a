r"""Learning-rate schedules: change ``group["lr"]`` of an optimizer as training goes on.

Call ``scheduler.step()`` once per epoch, *after* ``optimizer.step()``, as in PyTorch::

    opt = SGD(model.parameters(), lr=0.1)
    sched = ExponentialLR(opt, gamma=0.9)
    for epoch in range(n):
        train_one_epoch(model, opt)
        sched.step()

The learning rate lives in the optimizer's parameter groups, so it is saved by
``optimizer.state_dict()``; the scheduler's own state (its epoch counter) by
``scheduler.state_dict()``. Saving both lets a run resume bit-for-bit.

Difference from PyTorch: schedulers here only have the *recursive* ("chainable") form
:math:`\alpha \leftarrow \alpha\gamma`, never PyTorch's alternative closed form
:math:`\alpha_0\gamma^t` (the two can differ in the last bits).
"""

from __future__ import annotations

import numbers
from typing import Any

from tinynet.optim.optimizer import Optimizer, _as_float, check_lr

__all__ = ["LRScheduler", "ExponentialLR", "StepLR"]


class LRScheduler:
    """Base class: remembers the optimizer, the initial rates and the epoch counter.

    Subclasses implement ``_new_lr(lr)`` -> the rate of a group after this epoch.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected a tinynet Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lrs: list[float] = [group["lr"] for group in optimizer.param_groups]
        #: Number of times :meth:`step` has been called (PyTorch's name).
        self.last_epoch = 0
        self._last_lr: list[float] = list(self.base_lrs)

    def _new_lr(self, lr: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and update the learning rate of every parameter group."""
        self.last_epoch += 1
        for group in self.optimizer.param_groups:
            group["lr"] = self._new_lr(group["lr"])
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group after the latest :meth:`step`."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain data (numbers and lists; the optimizer is not included)."""
        state = {k: v for k, v in vars(self).items() if k != "optimizer"}
        state["base_lrs"] = list(self.base_lrs)
        state["_last_lr"] = list(self._last_lr)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict`.

        Every value is checked (an integer epoch counter ``>= 0``, one finite rate
        ``>= 0`` per parameter group of the optimizer, valid ``gamma``/``step_size``)
        before anything changes; a problem raises ``ValueError`` saying what was
        expected (``TypeError`` if *state_dict* is not a dict).
        """
        name = type(self).__name__
        where = f"{name}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{where}: expected the dict returned by {name}.state_dict(), got a "
                f"{type(state_dict).__name__}"
            )
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            hint = " (a state saved by another kind of scheduler?)"
            if "scheduler" in state_dict or "optimizer" in state_dict:
                hint = " (a whole checkpoint? pass the scheduler's own entry)"
            raise ValueError(
                f"{where}: expected the keys {sorted(expected)}, "
                f"got {sorted(map(str, state_dict))}{hint}"
            )
        n_groups = len(self.optimizer.param_groups)
        values: dict[str, Any] = {}
        for key, value in state_dict.items():
            if key == "last_epoch":
                if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                    raise ValueError(f"{where}: last_epoch must be an integer >= 0, got {value!r}")
                values[key] = int(value)
            elif key in ("base_lrs", "_last_lr"):
                if not isinstance(value, (list, tuple)) or len(value) != n_groups:
                    raise ValueError(
                        f"{where}: {key} must be a list of {n_groups} learning rates (one per "
                        f"parameter group of the optimizer), got {value!r}"
                    )
                values[key] = [check_lr(where, lr) for lr in value]
            elif key == "gamma":
                values[key] = _check_gamma(where, value)
            elif key == "step_size":
                values[key] = _check_step_size(value, where)
            else:  # an attribute of a subclass: restored as it was saved
                values[key] = list(value) if isinstance(value, (list, tuple)) else value
        for key, value in values.items():
            setattr(self, key, value)


def _check_step_size(step_size: Any, name: str = "StepLR") -> int:
    """An integer ``>= 1`` (numpy integers too; not a bool or a float such as ``2.0``)."""
    if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral) or step_size < 1:
        raise ValueError(f"{name}: invalid step_size={step_size!r}; it must be an integer >= 1")
    return int(step_size)


def _check_gamma(name: str, gamma: Any) -> float:
    g = _as_float(name, "gamma", gamma)  # finite Python float, or ValueError
    if g <= 0:
        raise ValueError(
            f"{name}: invalid gamma={gamma!r}; it must be a finite number > 0 "
            f"(0 < gamma < 1 decays the learning rate)"
        )
    return g


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by :math:`\gamma` at every :meth:`step` (as ``torch.optim.lr_scheduler.ExponentialLR``).

    This is the exponential decay of seed 003 §4.3 (line 193, docs/sources.md F15):

    .. math:: \alpha_{new} = \alpha_{old}\cdot\gamma,

    so after :math:`t` steps :math:`\alpha_t = \alpha_0\gamma^t` (up to rounding: the
    product is formed one factor at a time, exactly as the formula says).
    ``gamma`` must be ``> 0``; values above 1 are allowed and make the rate grow.
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _check_gamma("ExponentialLR", gamma)
        super().__init__(optimizer)

    def _new_lr(self, lr: float) -> float:
        return lr * self.gamma


class StepLR(LRScheduler):
    r"""Multiply the learning rate by :math:`\gamma` every ``step_size`` steps (as ``torch.optim.lr_scheduler.StepLR``).

    .. math::

        \alpha_{t} = \begin{cases} \alpha_{t-1}\,\gamma & \text{if } t \bmod s = 0\\
                                   \alpha_{t-1} & \text{otherwise}\end{cases}
        \qquad\Rightarrow\qquad \alpha_t = \alpha_0\, \gamma^{\lfloor t/s\rfloor},

    the staircase version of F15 (seed 003 §4.3, line 193), with :math:`s` = ``step_size``.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _check_step_size(step_size)
        self.gamma = _check_gamma("StepLR", gamma)
        super().__init__(optimizer)

    def _new_lr(self, lr: float) -> float:
        # last_epoch has already been advanced by step().
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr
