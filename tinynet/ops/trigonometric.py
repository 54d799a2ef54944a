r"""Trigonometric functions: sin and cos.

They are here for the classic exercises on higher-order derivatives: the derivatives
of :math:`\sin` cycle with period four,

.. math:: \sin' = \cos,\quad \sin'' = -\sin,\quad \sin''' = -\cos,\quad \sin'''' = \sin,

so repeated differentiation (``tn.grad(..., create_graph=True)``) can be checked
against a closed form at every order. Each backward is written twice: ``backward``
on arrays (the fast first-order path) and ``backward_graph`` with tinynet operations,
which makes the gradient itself differentiable to any order.

Edge values: :math:`\sin(\pm\infty)` and :math:`\cos(\pm\infty)` are NaN (no limit exists), and so
are their derivatives; a NaN input gives NaN; :math:`\sin(-0.0) = -0.0`.
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.ops.arithmetic import ieee
from tinynet.tensor import Function, Tensor


class Sin(Function):
    r""":math:`y = \sin x`, so :math:`\bar x = \bar y\,\cos x`.

    The gradient is built from :math:`\cos` in graph mode, whose own derivative is
    :math:`-\sin`: :math:`\frac{d^2}{dx^2}\sin x = -\sin x`. Edges: :math:`\sin(\pm\infty) = \mathrm{NaN}`
    with a NaN derivative; NaN gives NaN.
    """

    __slots__ = ("x",)
    local_derivatives = ("∂y/∂x = cos x",)

    def forward(self, x: Any) -> Any:
        self.x = x
        with ieee():  # sin(inf) is NaN, the IEEE answer: no warning
            return xp.sin(x)

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (grad * xp.cos(self.x),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        (x,) = self.inputs
        return (grad * Cos.apply(x),)


class Cos(Function):
    r""":math:`y = \cos x`, so :math:`\bar x = -\bar y\,\sin x`.

    In graph mode the gradient is built from :math:`\sin`:
    :math:`\frac{d^2}{dx^2}\cos x = -\cos x`. Edges: :math:`\cos(\pm\infty) = \mathrm{NaN}` with a NaN
    derivative; NaN gives NaN.
    """

    __slots__ = ("x",)
    local_derivatives = ("∂y/∂x = −sin x",)

    def forward(self, x: Any) -> Any:
        self.x = x
        with ieee():
            return xp.cos(x)

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (-(grad * xp.sin(self.x)),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        (x,) = self.inputs
        return (-(grad * Sin.apply(x)),)
