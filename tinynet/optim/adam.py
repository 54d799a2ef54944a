r"""Adam: adaptive moment estimation (Kingma & Ba, 2015)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from tinynet.backend import to_numpy, xp
from tinynet.optim.optimizer import (
    Optimizer,
    ParamGroup,
    check_interval,
    check_lr,
    check_nonnegative,
)

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam (as ``torch.optim.Adam``; D. P. Kingma, J. Ba, "Adam: A Method for Stochastic
    Optimization", ICLR 2015, arXiv:1412.6980, Algorithm 1).

    For every parameter, with gradient :math:`g_t` at step :math:`t = 1, 2, \dots` and
    :math:`m_0 = v_0 = 0`:

    .. math::

        \begin{aligned}
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t
            &&\text{(running mean of the gradient)}\\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2
            &&\text{(running mean of its elementwise square)}\\
        \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}
            &&\text{(bias correction)}\\
        \theta_t &= \theta_{t-1} - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.
        \end{aligned}

    This is formula F16 exactly as the source documents write it (seed 001 §2.5.2,
    lines 471-488; seed 003 §4.2.2, lines 594-607), and also Kingma & Ba's Algorithm 1
    and PyTorch: :math:`\epsilon` is added *outside* the square root and *after* the
    bias correction. Why the bias correction: :math:`m_0 = v_0 = 0` pulls the early
    averages towards zero; :math:`m_t` is a weighted sum of gradients whose weights
    add up to :math:`1-\beta_1^t`, so dividing by it makes them an average again. With
    it the very first step is :math:`-\alpha\, g_1/(|g_1| + \epsilon)`, about
    :math:`\alpha` per coordinate, and the step is invariant (up to :math:`\epsilon`)
    to multiplying the loss by a positive constant.

    ``weight_decay`` :math:`\lambda` adds :math:`\lambda\theta_{t-1}` to :math:`g_t` before
    everything else (an L2 penalty, as PyTorch's ``Adam``; not the decoupled AdamW).

    **The "Adam" of seed 004 §4.1 (lines 210-220, docs/sources.md F17) is not Adam.** It
    writes :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2)(g_t - m_t)` and
    :math:`\theta_t = \theta_t - \alpha\, m_t/(\sqrt{v_t}+\epsilon)`: the second
    accumulator averages the *signed, unsquared* deviation :math:`g-m`, and there is no
    bias correction. Evaluated numerically in float64 with
    :math:`\beta_1=0.9,\ \beta_2=0.999,\ \alpha=10^{-3},\ \epsilon=10^{-8}`:

    * any negative first gradient makes :math:`v` negative and the step NaN. With the
      gradient of seed 003's worked example, :math:`g_1=-0.02`:
      :math:`m_1=-0.002`, :math:`v_1 = 0.001\cdot(-0.018) = -1.8\times10^{-5}`,
      :math:`\sqrt{v_1}` = NaN. (:math:`g_1=-1` gives :math:`v_1=-9\times10^{-4}`, NaN too.)
    * :math:`v` has the units of :math:`g`, not :math:`g^2`, so the step is not scale
      invariant: for :math:`g_1=0.5` the step is :math:`2.357\times10^{-3}`, for
      :math:`g_1=50` it is :math:`2.357\times10^{-2}` (real Adam: :math:`10^{-3}` in both cases).
    * under a constant gradient :math:`m_t\to g`, so :math:`g-m_t=\beta_1^t g\to0` and
      :math:`v_t` decays to 0: for :math:`g=0.5` the step is :math:`2.4\times10^{-3}` at
      :math:`t=1`, :math:`1.10` at :math:`t=10^4` and :math:`164` at :math:`t=2\times10^4`
      (bounded only by :math:`\alpha g/\epsilon = 5\times10^4`) -- it diverges exactly
      where a steady gradient should give steady steps.

    tinynet therefore implements F16, not F17.

    Parameters
    ----------
    params:
        Parameters or parameter groups (see :class:`Optimizer`).
    lr:
        :math:`\alpha \ge 0` (``0`` allowed: no movement).
    betas:
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`: at 1 the bias correction
        :math:`1-\beta^t` would be 0 and the averages would never move.
    eps:
        :math:`\epsilon > 0`. ``0`` is refused: a coordinate whose gradients have all
        been exactly 0 (a dead ReLU unit, an unused embedding row) has
        :math:`\hat m = \sqrt{\hat v} = 0`, and its update would be :math:`0/0` = NaN,
        which then spreads through the whole model.
    weight_decay:
        :math:`\lambda \ge 0`.
    trace:
        Record ``g, m, v, m_hat, v_hat, update, param`` per updated parameter in
        :attr:`~tinynet.optim.Optimizer.last_trace`, where ``update`` is the amount subtracted,
        :math:`\alpha\hat m_t/(\sqrt{\hat v_t}+\epsilon)`, and ``param`` is :math:`\theta_t`.

    Notes
    -----
    State per parameter: ``step`` (:math:`t`), ``exp_avg`` (:math:`m_t`),
    ``exp_avg_sq`` (:math:`v_t`), the names PyTorch uses.
    """

    _hyperparameters = ("lr", "betas", "eps", "weight_decay")
    _state_required = ("step", "exp_avg", "exp_avg_sq")
    _state_nonnegative = ("exp_avg_sq",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        trace: bool = False,
    ) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults, trace=trace)

    def _validate(self, group: dict[str, Any]) -> dict[str, Any]:
        out = dict(group)
        out["lr"] = check_lr("Adam", group["lr"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        why = "at 1 the bias correction 1 - beta**t is 0"
        out["betas"] = (
            check_interval("Adam", "betas[0]", betas[0], 0.0, 1.0, True, why),
            check_interval("Adam", "betas[1]", betas[1], 0.0, 1.0, True, why),
        )
        out["eps"] = check_nonnegative("Adam", "eps", group["eps"])
        if out["eps"] == 0:
            raise ValueError(
                f"Adam: invalid eps={group['eps']!r}; it must be > 0, because a coordinate "
                "whose gradients have all been 0 (a dead unit) would get the update "
                "0/0 = NaN"
            )
        out["weight_decay"] = check_nonnegative("Adam", "weight_decay", group["weight_decay"])
        return out

    def _update(self, group: ParamGroup, trace: list[dict[str, Any]] | None) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        eps = group["eps"]
        for p, g in self._gradients(group):
            state = self._zero_state(p, "exp_avg", "exp_avg_sq")
            state["step"] += 1
            t = state["step"]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            # In place, so the buffers in self.state change without reallocation.
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * (g * g)
            # Python floats: exact powers, the same on every backend.
            bc1, bc2 = 1.0 - beta1**t, 1.0 - beta2**t
            # update = lr * m_hat / (sqrt(v_hat) + eps) with m_hat = m/bc1, v_hat = v/bc2,
            # evaluated as lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps): the bias corrections
            # are scalars, so only two full-size temporaries are made (a step of a big
            # model would otherwise allocate and page-fault six arrays per parameter).
            denom = xp.sqrt(v)
            denom /= math.sqrt(bc2)
            denom += eps
            update = m / denom
            update *= lr / bc1
            p.data -= update
            p._bump_version()  # a pending backward that saved p.data must notice
            if trace is not None:
                trace.append(
                    {
                        "g": to_numpy(g).copy(),
                        "m": to_numpy(m).copy(),
                        "v": to_numpy(v).copy(),
                        "m_hat": to_numpy(m / bc1).copy(),
                        "v_hat": to_numpy(v / bc2).copy(),
                        "update": to_numpy(update).copy(),
                        "param": to_numpy(p.data).copy(),
                    }
                )
