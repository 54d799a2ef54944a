r"""Activation functions, each written to be numerically stable at $\pm1000$.

Each is a single fused :class:`~tinynet.tensor.Function` (rather than a composite of
exp/div ops) for two reasons: the stable formulas avoid overflow, and the backward
reuses the forward's output, which is both faster and easy to read.
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.tensor import Function


class Sigmoid(Function):
    r"""Logistic sigmoid $\sigma(x) = \dfrac{1}{1 + e^{-x}}$, with $\sigma'(x) = \sigma(x)\,(1-\sigma(x))$.

    Stable form: with $e = e^{-|x|} \le 1$ (never overflows),
    $\sigma(x) = 1/(1+e)$ for $x \ge 0$ and $e/(1+e)$ for $x < 0$.
    The naive formula overflows ``exp(1000)`` for $x=-1000$.

    The derivative is computed as $\sigma'(x) = e/(1+e)^2$, which equals
    $\sigma(1-\sigma)$ for both signs of $x$ but keeps full relative precision for
    large positive $x$, where $1-\sigma(x)$ rounds to 0 (at $x=40$: $4.2\times10^{-18}$, not 0).
    """

    __slots__ = ("e", "d")

    def forward(self, x: Any) -> Any:
        self.e = xp.exp(-xp.abs(x))
        self.d = 1 + self.e
        return xp.where(x >= 0, 1, self.e) / self.d

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad * self.e / (self.d * self.d),)


class Tanh(Function):
    r"""$\tanh(x) = \dfrac{e^x - e^{-x}}{e^x + e^{-x}}$, with $\tanh'(x) = 1 - \tanh^2(x)$.

    ``xp.tanh`` is already stable for large $|x|$ (the formula above is not: it
    computes $\infty/\infty$ at $x = 1000$).
    """

    __slots__ = ("y",)

    def forward(self, x: Any) -> Any:
        self.y = xp.tanh(x)
        return self.y

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad * (1 - self.y * self.y),)


class ReLU(Function):
    r"""$\mathrm{ReLU}(x) = \max(0, x)$, with derivative $[x > 0]$ (taken as 0 at the kink, as PyTorch)."""

    __slots__ = ("mask",)

    def forward(self, x: Any) -> Any:
        self.mask = x > 0
        return x * self.mask

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad * self.mask,)


class LeakyReLU(Function):
    r"""$f(x) = x$ for $x > 0$ and $\alpha x$ otherwise; $f'(x) = 1$ or $\alpha$."""

    __slots__ = ("slope", "scale")

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.slope = negative_slope

    def forward(self, x: Any) -> Any:
        self.scale = xp.where(x > 0, 1, self.slope).astype(x.dtype)
        return x * self.scale

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad * self.scale,)


class Softmax(Function):
    r"""$s_i = e^{x_i} / \sum_j e^{x_j}$ along ``axis``.

    Stable: $x$ is shifted by $\max_j x_j$ first, which leaves $s$ unchanged.
    The Jacobian is $\partial s_i/\partial x_k = s_i(\delta_{ik} - s_k)$, so

    .. math:: \bar x = s \odot \bigl(\bar s - \textstyle\sum_k \bar s_k s_k\bigr).
    """

    __slots__ = ("axis", "s")

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.s = e / e.sum(axis=self.axis, keepdims=True)
        return self.s

    def backward(self, grad: Any) -> tuple[Any]:
        s = self.s
        return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    r"""$\log s_i = x_i - \log\sum_j e^{x_j}$ along ``axis``, via log-sum-exp.

    With $m = \max_j x_j$: $\log\sum_j e^{x_j} = m + \log\sum_j e^{x_j - m}$, which
    cannot overflow. Backward: $\bar x = \bar y - s \sum_k \bar y_k$ with $s = \mathrm{softmax}(x)$.
    """

    __slots__ = ("axis", "y")

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        shifted = x - x.max(axis=self.axis, keepdims=True)
        self.y = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad - xp.exp(self.y) * grad.sum(axis=self.axis, keepdims=True),)
