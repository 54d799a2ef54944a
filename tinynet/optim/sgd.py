r"""Stochastic gradient descent, optionally with momentum (heavy ball) or Nesterov momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinynet.backend import to_numpy, xp
from tinynet.optim.optimizer import (
    Optimizer,
    ParamGroup,
    check_bool,
    check_interval,
    check_lr,
    check_nonnegative,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (as ``torch.optim.SGD``).

    **Plain SGD** (``momentum=0``) is the update of the source documents (docs/sources.md
    F14: seed 001 §2.5.1 line 450, seed 003 §4.2 line 183 and §4.2.1 line 585,
    seed 004 §4.1 line 204):

    .. math:: \theta \leftarrow \theta - \alpha\, \nabla_\theta J(\theta),

    with :math:`\alpha` = ``lr``. The documents describe nothing beyond this; the
    options below follow PyTorch's definition so that results can be compared.

    **Weight decay** :math:`\lambda` is an L2 penalty :math:`\tfrac{\lambda}{2}\|\theta\|^2`
    added to the loss, i.e. the gradient becomes :math:`g_t = \nabla_\theta J + \lambda\theta_{t-1}`.

    **Momentum** :math:`\mu > 0` keeps a *velocity buffer* :math:`b_t`, a running sum of
    past gradients in which older terms fade geometrically, and steps along it:

    .. math::

        b_1 = g_1, \qquad b_t = \mu\, b_{t-1} + (1-\tau)\, g_t \ (t>1), \qquad
        \theta_t = \theta_{t-1} - \alpha\, b_t,

    where :math:`\tau` = ``dampening`` (0 by default; note that the first step is never
    dampened: the buffer starts as the first gradient itself).

    *Relation to the classical form* :math:`v \leftarrow \mu v - \alpha g,\ \theta \leftarrow
    \theta + v` (Polyak's heavy ball; Sutskever et al. 2013): with :math:`\tau = 0` and a
    constant :math:`\alpha`, induction gives :math:`v_t = -\alpha\, b_t`, so both produce
    **the same iterates**. They differ only when :math:`\alpha` changes during training
    (e.g. under a scheduler): here a new :math:`\alpha` immediately rescales the whole
    accumulated velocity, whereas the classical :math:`v` keeps the old rates baked in.
    ``tests/test_optim_reference.py`` checks the equivalence numerically.

    **Nesterov momentum** (``nesterov=True``, needs :math:`\mu>0` and :math:`\tau=0`)
    steps along :math:`g_t + \mu\, b_t` instead of :math:`b_t`: a "look-ahead" that adds
    one more momentum term. It is the rewriting of Sutskever et al.'s Nesterov update
    in which the stored variable is the look-ahead point, so no second gradient
    evaluation is needed.

    Parameters
    ----------
    params:
        Parameters or parameter groups (see :class:`Optimizer`).
    lr:
        Learning rate :math:`\alpha \ge 0` (required, as in PyTorch). ``0`` is allowed
        and leaves the parameters unchanged.
    momentum:
        :math:`\mu` above, ``0 <= momentum < 1``.
    dampening:
        :math:`\tau` above, ``0 <= dampening <= 1``, and ``< 1`` when ``momentum > 0``.
    nesterov:
        Step along :math:`g_t + \mu b_t` (needs ``momentum > 0`` and ``dampening = 0``).
    weight_decay:
        :math:`\lambda \ge 0`, the L2 penalty added to the gradient.
    trace:
        Record, for each updated parameter, ``g`` (the gradient actually used, weight
        decay included), ``velocity`` (:math:`b_t`, or ``None`` without momentum),
        ``update`` (the amount subtracted, :math:`\alpha d_t`) and ``param`` (after the
        step) in :attr:`~tinynet.optim.Optimizer.last_trace`.

    Notes
    -----
    Bad hyperparameters raise ``ValueError`` at construction, including two that
    PyTorch accepts but that silently ruin training: ``momentum >= 1`` (the velocity
    never forgets a gradient, :math:`b_t = \sum_s g_s` at :math:`\mu = 1`, and grows
    without bound beyond) and ``dampening = 1`` with momentum (after the first step no gradient
    enters the velocity any more, :math:`b_t = \mu^{t-1} g_1`).
    """

    _hyperparameters = ("lr", "momentum", "dampening", "nesterov", "weight_decay")
    _state_optional = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        trace: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults, trace=trace)

    def _validate(self, group: dict[str, Any]) -> dict[str, Any]:
        out = dict(group)
        out["lr"] = check_lr("SGD", group["lr"])
        out["momentum"] = check_interval(
            "SGD", "momentum", group["momentum"], 0.0, 1.0, True,
            "the fraction of the velocity kept per step; at 1 or more it never forgets "
            "old gradients and the steps grow without bound",
        )  # fmt: skip
        out["dampening"] = check_interval(
            "SGD", "dampening", group["dampening"], 0.0, 1.0, False,
            "the fraction of each gradient held back from the velocity",
        )  # fmt: skip
        if out["momentum"] > 0 and out["dampening"] == 1:
            raise ValueError(
                f"SGD: invalid dampening={group['dampening']!r} with "
                f"momentum={group['momentum']!r}; with momentum it must be < 1, because at 1 "
                "no gradient after the first would ever reach the velocity"
            )
        out["weight_decay"] = check_nonnegative("SGD", "weight_decay", group["weight_decay"])
        out["nesterov"] = check_bool("SGD", "nesterov", group["nesterov"])
        if out["nesterov"] and (out["momentum"] <= 0 or out["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )
        return out

    def _update(self, group: ParamGroup, trace: list[dict[str, Any]] | None) -> None:
        lr, mu = group["lr"], group["momentum"]
        tau, nesterov = group["dampening"], group["nesterov"]
        for p, g in self._gradients(group):
            buf = None
            if mu != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    # b_1 = g_1; xp.array makes an ndarray copy even for 0-d parameters.
                    buf = state["momentum_buffer"] = xp.array(g, dtype=p.data.dtype, copy=True)
                else:
                    buf *= mu  # in place: the buffer in self.state is updated too
                    buf += (1.0 - tau) * g
                direction = g + mu * buf if nesterov else buf
            else:
                direction = g
            update = lr * direction
            p.data -= update
            p._bump_version()  # a pending backward that saved p.data must notice
            if trace is not None:
                trace.append(
                    {
                        "g": to_numpy(g).copy(),
                        "velocity": None if buf is None else to_numpy(buf).copy(),
                        "update": to_numpy(update).copy(),
                        "param": to_numpy(p.data).copy(),
                    }
                )
