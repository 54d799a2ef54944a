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

from typing import Any

from tinynet.optim.optimizer import Optimizer, _as_float

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
        """Restore a state saved by :meth:`state_dict`."""
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: expected the keys {sorted(expected)}, "
                f"got {sorted(state_dict)} (a state saved by another kind of scheduler?)"
            )
        for key, value in state_dict.items():
            setattr(self, key, list(value) if isinstance(value, (list, tuple)) else value)
        self.last_epoch = int(self.last_epoch)


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

    This is the exponential decay of seed 003 §4.3 (line 193, FORMULAS.md F15):

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
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: invalid step_size={step_size!r}; it must be an integer >= 1")
        self.step_size = step_size
        self.gamma = _check_gamma("StepLR", gamma)
        super().__init__(optimizer)

    def _new_lr(self, lr: float) -> float:
        # last_epoch has already been advanced by step().
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr
