r"""Reductions: sum and mean over some or all axes.

Edge values follow IEEE addition, as numpy and PyTorch: a sum containing both
$\infty$ and $-\infty$, or a NaN, is NaN; a sum that overflows is $\pm\infty$. The
gradients do not depend on the values (1 and $1/n$), so they stay finite even there.

Both are linear, so their second derivatives are 0: ``backward_graph`` copies the
gradient back with tensor operations (a reshape, then adding zeros of the input's
shape, which broadcasts), so that a gradient flowing *through* them (from a nonlinear
op after them) can still be differentiated.
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.tensor import Function, Tensor


def _normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"sum: axis {a} is out of range for a {ndim}-d tensor")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(out))


def _expand_back(grad: Any, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    """Re-insert reduced axes into *grad*, then broadcast it to *shape* (a real copy)."""
    if not keepdims and shape:
        grad = grad.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    out = xp.empty(shape, dtype=grad.dtype)
    out[...] = grad
    return out


def _expand_back_graph(
    grad: Tensor, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool
) -> Tensor:
    """:func:`_expand_back` with tensor operations: reshape, then broadcast by adding zeros."""
    from tinynet.ops.arithmetic import Add
    from tinynet.ops.shape import Reshape

    if not keepdims and shape:
        grad = Reshape.apply(grad, shape=tuple(1 if i in axes else n for i, n in enumerate(shape)))
    if grad.shape == shape:
        return grad
    # adding a constant 0 is the identity on every value (inf and NaN included), and
    # its backward sums the broadcast axes again: the adjoint of this copy
    return Add.apply(grad, Tensor._wrap(xp.zeros(shape, dtype=grad.dtype), False))


def sum_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum the tensor *g* down to *shape*, undoing broadcasting, with :class:`Sum`.

    The graph-mode twin of :func:`~tinynet.tensor.unbroadcast`: the same sums in the
    same order (so the same numbers), recorded so that they can be differentiated.
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"sum_to: a tensor of shape {g.shape} cannot be summed to {shape}")
    if extra:
        g = Sum.apply(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = Sum.apply(g, axis=axes, keepdims=True)
    if g.shape != shape:
        raise ValueError(f"sum_to: a tensor of shape {g.shape} cannot be summed to {shape}")
    return g


class Sum(Function):
    r"""$y = \sum_{i \in \text{axes}} x_i$.

    Every summed element contributes with weight 1, so $\bar x_i = \bar y$: the
    output gradient is copied back along the reduced axes.

    Edges (IEEE, as numpy and PyTorch): $\infty + (-\infty)$ or a NaN term gives NaN;
    the gradient is still $\bar y$ for every element.
    """

    __slots__ = ("shape", "axes", "axis", "keepdims")
    local_derivatives = ("∂y/∂x = 1 (broadcast back)",)
    reads_inputs = False
    keeps_integers = True

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.shape = x.shape
        self.axes = _normalize_axes(self.axis, x.ndim)
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad: Any) -> tuple[Any]:
        return (_expand_back(grad, self.shape, self.axes, self.keepdims),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (_expand_back_graph(grad, self.shape, self.axes, self.keepdims),)


class Mean(Function):
    r"""$y = \frac1n \sum_{i \in \text{axes}} x_i$, so $\bar x_i = \bar y / n$.

    Edges as :class:`Sum`; the gradient $\bar y / n$ never depends on the values.
    """

    __slots__ = ("shape", "axes", "n", "axis", "keepdims")
    local_derivatives = ("∂y/∂x = 1/n",)
    reads_inputs = False

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.shape = x.shape
        self.axes = _normalize_axes(self.axis, x.ndim)
        n = 1
        for a in self.axes:
            n *= x.shape[a]
        self.n = n
        return x.mean(axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad: Any) -> tuple[Any]:
        return (_expand_back(grad / self.n, self.shape, self.axes, self.keepdims),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (_expand_back_graph(grad / self.n, self.shape, self.axes, self.keepdims),)
