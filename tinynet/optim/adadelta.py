r"""Adadelta (Zeiler, 2012): per-coordinate step sizes from two running averages."""

from __future__ import annotations

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

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta as published by M. D. Zeiler, "ADADELTA: An Adaptive Learning Rate
    Method", arXiv:1212.5701, 2012, Algorithm 1 (as ``torch.optim.Adadelta``, whose
    defaults differ: PyTorch uses ``rho=0.9``, tinynet Zeiler's and the document's 0.95).

    With :math:`E[g^2]_0 = E[\Delta x^2]_0 = 0` and
    :math:`\mathrm{RMS}[y]_t = \sqrt{E[y^2]_t + \epsilon}`, at every step :math:`t`:

    .. math::

        E[g^2]_t &= \rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2\\
        \Delta x_t &= -\frac{\sqrt{E[\Delta x^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}\; g_t
                    = -\frac{\mathrm{RMS}[\Delta x]_{t-1}}{\mathrm{RMS}[g]_t}\, g_t\\
        E[\Delta x^2]_t &= \rho\, E[\Delta x^2]_{t-1} + (1-\rho)\, \Delta x_t^2\\
        x_{t+1} &= x_t + \mathrm{lr}\cdot\Delta x_t

    Zeiler's algorithm has no ``lr`` (it is ``lr = 1``, the default); PyTorch adds the
    factor, and so does tinynet. Note that :math:`E[\Delta x^2]` accumulates the
    unscaled :math:`\Delta x_t`. The step is :math:`-g_t` times a positive
    per-coordinate factor, so for small enough ``lr`` it is a descent direction. The
    ratio of RMS values has the units of :math:`x/g`, which is Zeiler's argument that
    no learning rate is needed (his §3.2). :math:`\epsilon` is essential, not merely a
    guard against division by zero: since :math:`E[\Delta x^2]_0 = 0`, the first step
    is :math:`-\sqrt{\epsilon}\,g_1/\sqrt{(1-\rho)g_1^2+\epsilon}`, about
    :math:`\sqrt{\epsilon/(1-\rho)} = 4.5\times10^{-3}` in size for the defaults, and with
    :math:`\epsilon = 0` every step would be exactly 0 forever. ``weight_decay``
    :math:`\lambda` adds :math:`\lambda x_t` to :math:`g_t` first (L2 penalty).

    **Relation to the source document** (seed 001 §2.5.3, lines 503-527, docs/sources.md F18).
    What matches Zeiler: the decay rate :math:`\rho` with typical value 0.95, the
    accumulator :math:`\Delta\theta^2_t = \rho\Delta\theta^2_{t-1} + (1-\rho)g^2` (it is
    :math:`E[g^2]_t`, despite its name), and the claim that no learning rate has to be
    chosen by hand (true of Zeiler's algorithm, i.e. ``lr = 1``). What does not:

    * its other accumulator :math:`\Delta\theta_t = \rho\Delta\theta_{t-1}+(1-\rho)g` is a
      running mean of the gradient that the update never uses; Zeiler's second
      accumulator is of the squared *updates*, :math:`E[\Delta x^2]`, which the text lacks;
    * its update :math:`\theta_t = \theta_t - \alpha\sqrt{\frac{1}{1+\Delta\theta^2_t} -
      \frac{1}{\Delta\theta^2_{t-1}}}\big/(1+\rho\Delta\theta^2_t)` is not a working
      algorithm. Evaluated in float64 with :math:`\rho = 0.95`, :math:`\alpha = 1`:

      - at :math:`t=1`, :math:`\Delta\theta^2_0 = 0`, so :math:`1/\Delta\theta^2_0` divides
        by zero; the radicand is :math:`-\infty` and the step NaN, for any gradient;
      - afterwards the radicand is still negative: for a constant :math:`g = 0.1` it is
        :math:`-1999.0` at :math:`t=2` and :math:`-1024.6` at :math:`t=3` (NaN steps);
        for :math:`g = \pm1` alternating, :math:`-19.09` and :math:`-9.38`. It is positive
        only if :math:`\Delta\theta^2_{t-1} > 1 + \Delta\theta^2_t \ge 1+\rho\,\Delta\theta^2_{t-1}`,
        i.e. only once the mean squared gradient exceeds :math:`1/(1-\rho) = 20`;
      - even then the step contains no gradient, only its square, so it always
        *decreases* :math:`\theta` whatever the sign of the slope: with
        :math:`\Delta\theta^2_{t-1} = 25`, :math:`g = +1` and :math:`g = -1` both give the
        step :math:`-7.607\times10^{-4}` -- half of the time an ascent step;
      - it multiplies by a learning rate :math:`\alpha`, contradicting the text's own
        "no learning rate needed".

    tinynet therefore implements Zeiler's Algorithm 1 and not the document's update.

    Parameters
    ----------
    params:
        Parameters or parameter groups (see :class:`Optimizer`).
    lr:
        Factor applied to :math:`\Delta x_t`, ``>= 0`` (default 1.0 = Zeiler).
    rho:
        Decay rate :math:`\rho \in [0, 1)`. ``1`` is refused: both averages would stay 0
        forever, every step would be :math:`-\sqrt\epsilon/\sqrt\epsilon\,g_t = -g_t`,
        and Adadelta would silently be plain SGD that never adapts.
    eps:
        :math:`\epsilon > 0` (strictly: see above).
    weight_decay:
        :math:`\lambda \ge 0`.
    trace:
        Record ``g, Eg2, delta, Edx2, param`` per updated parameter in :attr:`~tinynet.optim.Optimizer.last_trace`:
        :math:`g_t`, :math:`E[g^2]_t`, :math:`\Delta x_t` (Zeiler's signed update, before
        ``lr``), :math:`E[\Delta x^2]_t` and :math:`x_{t+1}`.

    Notes
    -----
    State per parameter: ``step``, ``square_avg`` (:math:`E[g^2]`), ``acc_delta``
    (:math:`E[\Delta x^2]`), the names PyTorch uses.
    """

    _hyperparameters = ("lr", "rho", "eps", "weight_decay")
    _state_required = ("step", "square_avg", "acc_delta")
    _state_nonnegative = ("square_avg", "acc_delta")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.95,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        trace: bool = False,
    ) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults, trace=trace)

    def _validate(self, group: dict[str, Any]) -> dict[str, Any]:
        out = dict(group)
        out["lr"] = check_lr("Adadelta", group["lr"])
        out["rho"] = check_interval(
            "Adadelta",
            "rho",
            group["rho"],
            0.0,
            1.0,
            True,
            "the decay rate of the running averages; at 1 they stay 0 forever and the "
            "step never adapts",
        )
        out["eps"] = check_nonnegative("Adadelta", "eps", group["eps"])
        if out["eps"] == 0:
            raise ValueError(
                "Adadelta: invalid eps=0; it must be > 0, because E[dx^2] starts at 0 and "
                "with eps=0 every step would be exactly zero"
            )
        out["weight_decay"] = check_nonnegative("Adadelta", "weight_decay", group["weight_decay"])
        return out

    def _update(self, group: ParamGroup, trace: list[dict[str, Any]] | None) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p, g in self._gradients(group):
            state = self._zero_state(p, "square_avg", "acc_delta")
            state["step"] += 1
            eg2, edx2 = state["square_avg"], state["acc_delta"]
            eg2 *= rho  # in place: the buffers in self.state are updated
            eg2 += (1.0 - rho) * (g * g)
            # E[dx^2] is still the previous step's value here, as the algorithm requires.
            delta = -(xp.sqrt(edx2 + eps) / xp.sqrt(eg2 + eps)) * g
            edx2 *= rho
            edx2 += (1.0 - rho) * (delta * delta)
            p.data += lr * delta
            p._bump_version()  # a pending backward that saved p.data must notice
            if trace is not None:
                trace.append(
                    {
                        "g": to_numpy(g).copy(),
                        "Eg2": to_numpy(eg2).copy(),
                        "delta": to_numpy(delta).copy(),
                        "Edx2": to_numpy(edx2).copy(),
                        "param": to_numpy(p.data).copy(),
                    }
                )
