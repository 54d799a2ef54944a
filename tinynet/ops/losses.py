r"""Fused losses: softmax cross-entropy and binary cross-entropy, both from logits.

Each is one operation instead of a chain (``log_softmax`` then a product, ``sigmoid``
then two logarithms) for the usual reasons: the forward is stable for logits of any
size (log-sum-exp, the stable sigmoid of :mod:`tinynet.ops.activations`), and the
backward is the short closed form :math:`\mathrm{softmax}(z) - y` or
:math:`\sigma(z) - y`, which never divides by a probability. The public functions are
:func:`tinynet.nn.functional.cross_entropy` and
:func:`~tinynet.nn.functional.binary_cross_entropy_with_logits`, which check their
arguments and call these operations.

Second derivatives. ``backward_graph`` builds the same gradients from
:class:`~tinynet.ops.activations.Softmax`, :class:`~tinynet.ops.activations.Sigmoid`
and friends, so the Hessian of a loss is available (``tn.hessian``, ``tn.hvp``):

.. math:: \nabla_z^2\,\ell = \mathrm{diag}(s) - s s^\top \ \text{(per sample, labels)},
          \qquad \frac{\partial^2\ell}{\partial z^2} = \sigma(z)\,(1-\sigma(z)) \ \text{(BCE)}.

Edge values (the limits of the loss, as for :class:`~tinynet.ops.activations.LogSoftmax`):

* a :math:`-\infty` logit where the target is 0 contributes 0 (the limit of
  :math:`y\log s` as :math:`y \to 0`), not :math:`0\cdot(-\infty) = \mathrm{NaN}`;
* exactly one :math:`+\infty` logit in a row: its softmax is 1 there and 0 elsewhere,
  so the loss is :math:`-\sum_k y_k \log s_k`, 0 when all the target is on that
  class and :math:`+\infty` otherwise; the gradient is the limit
  :math:`s\sum_k y_k - y`. Two or more :math:`+\infty`, every logit :math:`-\infty`, or
  a NaN logit: the limit does not exist, NaN (as the softmax);
* BCE: :math:`z = +\infty` with :math:`y = 1` and :math:`z = -\infty` with :math:`y = 0`
  give loss 0 (a perfect prediction), the other infinite cases :math:`+\infty`.
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.ops.activations import (
    LogSoftmax,
    Sigmoid,
    Softmax,
    _limit_rows,
    softplus_parts,
    stable_sigmoid,
)
from tinynet.ops.arithmetic import ieee
from tinynet.tensor import Function, Tensor

__all__ = ["CrossEntropy", "BCEWithLogits"]


class CrossEntropy(Function):
    r"""Fused softmax + cross-entropy on logits :math:`z` of shape ``(N, C)``.

    Per sample, with :math:`\mathrm{lse}(z) = m + \log\sum_k e^{z_k - m}` and
    :math:`m = \max_k z_k` (log-sum-exp: the exponentials are at most 1, so nothing
    overflows, and at least one is 1, so the log is finite):

    .. math:: \ell = -\sum_k y_k \log\mathrm{softmax}(z)_k = \sum_k y_k\,(\mathrm{lse}(z) - z_k)

    which for a class label :math:`c` (one-hot :math:`y`, given as ``labels``) is
    :math:`\mathrm{lse}(z) - z_c`. The gradient is the famous

    .. math:: \frac{\partial \ell}{\partial z} = \mathrm{softmax}(z)\,\textstyle\sum_k y_k - y
              \;=\; \mathrm{softmax}(z) - y \quad\text{when } \textstyle\sum_k y_k = 1,

    divided by :math:`N` for ``reduction='mean'``. With respect to a probability
    target (if it requires a gradient): :math:`\partial\ell/\partial y = -\log\mathrm{softmax}(z)`.
    Differentiated again (``backward_graph``): the Hessian-vector product of one sample
    is :math:`H v = (\textstyle\sum_k y_k)\,s \odot (v - s^\top v)`, the softmax's Jacobian,
    and the mixed derivative :math:`\partial^2\ell/\partial z\,\partial y_k = s - e_k`.

    Edges: see the module docstring (a target of 0 at a :math:`-\infty` logit
    contributes 0; one :math:`+\infty` logit gives the limit).
    """

    __slots__ = ("reduction", "labels", "softmax", "y", "logp")
    local_derivatives = ("∂L/∂z = softmax(z)·Σy − y", "∂L/∂y = −log softmax(z)")

    def __init__(self, reduction: str = "mean", labels: Any = None) -> None:
        self.reduction = reduction
        self.labels = labels

    def forward(self, z: Any, y: Any = None) -> Any:
        m = z.max(axis=1, keepdims=True)
        # Is some row's max +inf? One reduction answers it (cheaper than testing every
        # row), unless a NaN row hides the answer from max(): then test the rows.
        top = m.max()
        limit = bool(top == xp.inf) or (bool(top != top) and bool((m == xp.inf).any()))
        if limit or y is not None:
            # a +inf logit makes inf - inf below (replaced by the limit), a -inf one
            # 0 * -inf with a probability target: IEEE answers that must not warn. The
            # common case, labels and finite logits, does not pay for the errstate.
            with ieee():
                return self._forward(z, y, m, limit)
        return self._forward(z, y, m, limit)

    def _forward(self, z: Any, y: Any, m: Any, limit: bool) -> Any:
        n = z.shape[0]
        shifted = z - m
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        self.softmax = e / total  # saved for the backward pass
        labels = self.labels
        if labels is not None:
            # lse(z) - z_c, with both terms shifted by the same max
            per_sample = xp.log(total[:, 0]) - shifted[xp.arange(n), labels]
        else:
            self.y = y
            self.logp = shifted - xp.log(total)
        if limit:  # rare: a +inf logit, whose row is NaN above
            rows, probs = _limit_rows(z, m, 1)
            self.softmax = xp.where(rows, probs, self.softmax)
            limit_logp = xp.log(probs)  # 0 at the +inf logit, -inf elsewhere
            if labels is not None:
                per_sample = xp.where(rows[:, 0], -limit_logp[xp.arange(n), labels], per_sample)
            else:
                self.logp = xp.where(rows, limit_logp, self.logp)
        if labels is None:
            # a target of 0 contributes 0, also where log s = -inf (0 * -inf is NaN)
            terms = xp.where(y == 0, z.dtype.type(0), y * self.logp)
            per_sample = -terms.sum(axis=1)
        if self.reduction == "mean":
            return per_sample.sum() / n
        if self.reduction == "sum":
            return per_sample.sum()
        return per_sample

    def backward(self, grad: Any) -> tuple[Any, ...]:
        n = self.softmax.shape[0]
        if self.reduction == "mean":
            scale = grad / n
        elif self.reduction == "sum":
            scale = grad
        else:
            scale = grad[:, None]
        if self.labels is not None:
            # (softmax - onehot) * scale, built in one new array (the saved softmax is
            # left intact, so a retained graph can run backward again)
            dz = self.softmax * scale
            rows = xp.arange(n)
            dz[rows, self.labels] -= scale if self.reduction != "none" else scale[:, 0]
            return (dz,)
        dz = (self.softmax * self.y.sum(axis=1, keepdims=True) - self.y) * scale
        dy = -self.logp * scale if self.inputs[1].requires_grad else None
        return dz, dy

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor | None, ...]:
        from tinynet.ops.elementwise import Where
        from tinynet.ops.reductions import Sum
        from tinynet.ops.shape import Reshape

        z = self.inputs[0]
        n = z.shape[0]
        if self.reduction == "mean":
            scale = grad / n
        elif self.reduction == "sum":
            scale = grad
        else:
            scale = Reshape.apply(grad, shape=(n, 1))
        # the Softmax op computes the same numbers as the forward above (e / total,
        # with the same +inf limit), now as a node whose derivative is known
        s = Softmax.apply(z, axis=1)
        with ieee():
            if self.labels is not None:
                onehot = xp.zeros(z.shape, dtype=bool)
                onehot[xp.arange(n), self.labels] = True
                # s * scale, minus scale at the label: where(), since 0 * inf is NaN
                return (s * scale - Where.apply(scale, 0.0, cond=onehot),)
            y = self.inputs[1]
            dz = (s * Sum.apply(y, axis=1, keepdims=True) - y) * scale
            dy = -LogSoftmax.apply(z, axis=1) * scale if y.requires_grad else None
        return dz, dy


class BCEWithLogits(Function):
    r"""Elementwise binary cross-entropy of :math:`\sigma(z)` against :math:`y`, from logits.

    .. math:: \ell = -y\log\sigma(z) - (1-y)\log(1-\sigma(z))
                   = \max(z, 0) - zy + \log\!\left(1 + e^{-|z|}\right)

    The right-hand form (the softplus of :mod:`~tinynet.ops.activations`) never
    exponentiates a positive number. Derivatives:

    .. math:: \frac{\partial\ell}{\partial z} = \sigma(z) - y, \qquad
              \frac{\partial\ell}{\partial y} = -z, \qquad
              \frac{\partial^2\ell}{\partial z^2} = \sigma(z)\,(1 - \sigma(z)), \qquad
              \frac{\partial^2\ell}{\partial z\,\partial y} = -1,

    and :math:`\partial^2\ell/\partial y^2 = 0`: the loss is linear in the target.

    Edges: at :math:`z = \pm\infty` the loss is its limit,
    :math:`(1-y)\cdot\infty` for :math:`+\infty` and :math:`y\cdot\infty` for
    :math:`-\infty`, which is **0** when that weight is 0 (:math:`z=+\infty, y=1` and
    :math:`z=-\infty, y=0`: a perfect prediction) instead of :math:`\infty - \infty = \mathrm{NaN}`.
    The gradient there is :math:`\sigma(\pm\infty) - y`; NaN gives NaN.
    """

    __slots__ = ("z", "y", "sig")
    local_derivatives = ("∂L/∂z = σ(z) − y", "∂L/∂y = −z")

    def forward(self, z: Any, y: Any) -> Any:
        self.z, self.y = z, y
        self.sig, e, _ = stable_sigmoid(z)
        with ieee():
            loss = softplus_parts(z, e) - z * y
            infinite = xp.isinf(z)
            if infinite.any():  # rare: the limit (1 - y) * inf or y * inf, 0 at weight 0
                weight = xp.where(z > 0, 1 - y, y)
                limit = xp.where(weight == 0, z.dtype.type(0), weight * xp.inf)
                loss = xp.where(infinite, limit, loss)
        return loss

    def backward(self, grad: Any) -> tuple[Any, Any]:
        with ieee():
            return grad * (self.sig - self.y), -grad * self.z

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor | None]:
        z, y = self.inputs
        with ieee():
            dz = grad * (Sigmoid.apply(z) - y)
            return dz, (-grad * z if y.requires_grad else None)
