r"""Elementwise functions: exp, log, sqrt, abs, maximum/minimum, clip and casts."""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.tensor import Function, Tensor


class Exp(Function):
    r"""$y = e^x$, so $\bar x = \bar y\, e^x = \bar y\, y$."""

    __slots__ = ("y",)

    def forward(self, x: Any) -> Any:
        self.y = xp.exp(x)
        return self.y

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad * self.y,)


class Log(Function):
    r"""$y = \ln x$, so $\bar x = \bar y / x$ (defined for $x > 0$)."""

    __slots__ = ("x",)

    def forward(self, x: Any) -> Any:
        self.x = x
        return xp.log(x)

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad / self.x,)


class Sqrt(Function):
    r"""$y = \sqrt{x}$, so $\bar x = \bar y / (2\sqrt{x}) = \bar y / (2y)$."""

    __slots__ = ("y",)

    def forward(self, x: Any) -> Any:
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad / (2 * self.y),)


class Abs(Function):
    r"""$y = |x|$, so $\bar x = \bar y\,\mathrm{sign}(x)$ (0 at the kink $x=0$, as PyTorch)."""

    __slots__ = ("x",)

    def forward(self, x: Any) -> Any:
        self.x = x
        return xp.abs(x)

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad * xp.sign(self.x),)


class Maximum(Function):
    r"""$y = \max(a, b)$ elementwise.

    $\bar a = \bar y\,[a > b]$ and $\bar b = \bar y\,[b > a]$; where $a = b$ the
    function has a kink and each side receives half, $\tfrac12\bar y$ (PyTorch
    splits ties the same way).
    """

    __slots__ = ("a", "b")

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        wa = (self.a > self.b) + 0.5 * (self.a == self.b)
        return grad * wa, grad * (1 - wa)


class Minimum(Function):
    r"""$y = \min(a, b)$ elementwise; $\bar a = \bar y\,[a < b]$, ties split in half."""

    __slots__ = ("a", "b")

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        wa = (self.a < self.b) + 0.5 * (self.a == self.b)
        return grad * wa, grad * (1 - wa)


class Clip(Function):
    r"""$y = \min(\max(x, lo), hi)$; $\bar x = \bar y\,[lo \le x \le hi]$.

    The bounds are constants. At the bounds themselves the gradient is passed through
    (as ``torch.clamp`` does).
    """

    __slots__ = ("x", "lo", "hi")

    def __init__(self, lo: float | None, hi: float | None) -> None:
        if lo is None and hi is None:
            raise ValueError("clip: give at least one of lo and hi")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: lo={lo} is greater than hi={hi}")
        self.lo, self.hi = lo, hi

    def forward(self, x: Any) -> Any:
        self.x = x
        return xp.clip(x, self.lo, self.hi)

    def backward(self, grad: Any) -> tuple[Any]:
        inside = xp.ones(self.x.shape, dtype=bool)
        if self.lo is not None:
            inside &= self.x >= self.lo
        if self.hi is not None:
            inside &= self.x <= self.hi
        return (grad * inside,)


class Cast(Function):
    r"""Change the dtype; $\bar x = \bar y$ cast back to the input's dtype."""

    __slots__ = ("dtype", "in_dtype")

    def __init__(self, dtype: Any) -> None:
        self.dtype = xp.dtype(dtype)

    def forward(self, x: Any) -> Any:
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad.astype(self.in_dtype),)


def cast(x: Tensor, dtype: Any) -> Tensor:
    """Differentiable dtype conversion (bypasses the no-mixing rule on purpose)."""
    fn = Cast(dtype)
    out = Tensor._wrap(fn.forward(x.data), False)
    if x.requires_grad and fn.dtype.kind == "f":
        from tinynet.tensor import is_grad_enabled

        if is_grad_enabled():
            fn.inputs = (x,)
            out.requires_grad = True
            out._ctx = fn
    return out
