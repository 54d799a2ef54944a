r"""Arithmetic: :math:`+,\ -,\ \times,\ /`, negation, powers and matrix products.

Broadcasting is allowed exactly as in numpy; each backward returns the gradient at
the *output's* shape and the engine sums it down to the input's shape.
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.tensor import Function, Tensor, unbroadcast


class Add(Function):
    r"""$y = a + b$, so $\bar a = \bar y$ and $\bar b = \bar y$."""

    __slots__ = ()

    def forward(self, a: Any, b: Any) -> Any:
        return a + b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, grad


class Sub(Function):
    r"""$y = a - b$, so $\bar a = \bar y$ and $\bar b = -\bar y$."""

    __slots__ = ()

    def forward(self, a: Any, b: Any) -> Any:
        return a - b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, -grad


class Mul(Function):
    r"""$y = a\,b$ (elementwise), so $\bar a = \bar y\, b$ and $\bar b = \bar y\, a$."""

    __slots__ = ("a", "b")

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return a * b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad * self.b, grad * self.a


class Div(Function):
    r"""$y = a / b$, so $\bar a = \bar y / b$ and $\bar b = -\bar y\, a / b^2 = -\bar y\, y / b$."""

    __slots__ = ("b", "y")

    def forward(self, a: Any, b: Any) -> Any:
        self.b = b
        self.y = a / b
        return self.y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        ga = grad / self.b
        return ga, -ga * self.y


class Neg(Function):
    r"""$y = -x$, so $\bar x = -\bar y$."""

    __slots__ = ()

    def forward(self, x: Any) -> Any:
        return -x

    def backward(self, grad: Any) -> tuple[Any]:
        return (-grad,)


class PowConst(Function):
    r"""$y = x^c$ for a constant number $c$: $\bar x = \bar y\, c\, x^{c-1}$."""

    __slots__ = ("c", "x")

    def __init__(self, exponent: float) -> None:
        self.c = exponent

    def forward(self, x: Any) -> Any:
        self.x = x
        return x**self.c

    def backward(self, grad: Any) -> tuple[Any]:
        c = self.c
        if c == 2:  # the common case, without a second power
            return (grad * 2 * self.x,)
        return (grad * c * self.x ** (c - 1),)


class Pow(Function):
    r"""$y = a^b$ with both operands tensors.

    $\bar a = \bar y\, b\, a^{b-1}$ and $\bar b = \bar y\, a^b \ln a$ (defined for $a>0$).
    """

    __slots__ = ("y", "a", "b")

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        ga = grad * self.b * self.a ** (self.b - 1)
        gb = None
        if self.inputs[1].requires_grad:
            gb = grad * self.y * xp.log(self.a)
        return ga, gb


def power(base: Any, exponent: Any) -> Tensor:
    """``base ** exponent``; a Python-number exponent uses the cheaper :class:`PowConst`."""
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        return PowConst.apply(base, exponent=exponent)
    return Pow.apply(base, exponent)


class MatMul(Function):
    r"""Matrix product $Y = A B$ (batched and 1-D operands as in ``numpy.matmul``).

    With $Y_{ik} = \sum_j A_{ij} B_{jk}$:

    .. math:: \bar A = \bar Y B^\top, \qquad \bar B = A^\top \bar Y .

    A 1-D left operand is treated as a row vector and a 1-D right operand as a column
    vector; the extra axis is removed from the result, as numpy does.

    A gradient is only computed for an operand that requires one: for the first layer
    of a network, :math:`\bar X` (the gradient of the data) would cost as much as
    :math:`\bar W` and be thrown away.
    """

    __slots__ = ("a", "b")

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.a, self.b
        need_a, need_b = self.inputs[0].requires_grad, self.inputs[1].requires_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, kept short
            return (grad @ b.T if need_a else None), (a.T @ grad if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = xp.expand_dims(g, -2 if b.ndim > 1 else -1)
        if b.ndim == 1:
            g = xp.expand_dims(g, -1)
        ga = gb = None
        if need_a:
            ga = unbroadcast(g @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            gb = unbroadcast(xp.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
        return ga, gb


def matmul(a: Any, b: Any) -> Tensor:
    """``a @ b`` with a clear error when the inner dimensions do not agree."""
    sa = getattr(a, "shape", ())
    sb = getattr(b, "shape", ())
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {sa} and {sb}"
        )
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} are not aligned: the last axis of the left "
            f"operand ({sa[-1]}) must equal the "
            f"{'first' if len(sb) == 1 else 'second-to-last'} axis of the right operand "
            f"({inner_b})"
        )
    return MatMul.apply(a, b)


class Affine(Function):
    r"""Affine map $Y = XW + b$ as one operation: a dense layer before its activation.

    The same numbers as ``matmul(X, W) + b``, but one graph node instead of two and
    one array instead of two: the bias is added in place to the freshly computed
    product, and no separate product array stays alive in the graph until backward.
    With $Y_{ik} = \sum_j X_{ij} W_{jk} + b_k$:

    .. math:: \bar X = \bar Y W^\top, \qquad \bar W = X^\top \bar Y, \qquad
              \bar b_k = \textstyle\sum_i \bar Y_{ik}

    (the sum over the rows is the engine's un-broadcasting of $\bar Y$ to the shape of $b$).
    """

    __slots__ = ("x", "w")

    def forward(self, x: Any, w: Any, b: Any) -> Any:
        self.x, self.w = x, w
        y = x @ w
        y += b
        return y

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        need_x, need_w = self.inputs[0].requires_grad, self.inputs[1].requires_grad
        gx = grad @ self.w.T if need_x else None
        gw = self.x.T @ grad if need_w else None
        return gx, gw, grad


def affine(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """``x @ weight + bias``, fused into one :class:`Affine` operation when ``x`` and
    ``weight`` are 2-D and ``bias`` has shape ``(out,)``; otherwise (and without a
    bias) exactly ``matmul(x, weight) + bias``, with the same errors."""
    sx, sw = getattr(x, "shape", ()), getattr(weight, "shape", ())
    fused = len(sx) == 2 and len(sw) == 2 and sx[1] == sw[0]
    if bias is None or not fused or getattr(bias, "shape", None) != (sw[1],):
        y = matmul(x, weight)
        return y if bias is None else y + bias
    return Affine.apply(x, weight, bias)
