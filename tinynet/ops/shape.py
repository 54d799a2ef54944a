r"""Operations that move elements without changing them: reshape, transpose, indexing.

Their backward passes move the gradient back the same way, so no derivative is
needed beyond "each output element is one input element". They never look at the
values, so $\pm\infty$ and NaN pass through unchanged, forward and backward, and
integer tensors keep their dtype.

All of them are linear, so their second derivatives are 0. Their ``backward_graph``
moves the gradient back with the same kind of operation (reshape, the inverse
transpose, and for indexing the scatter :class:`IndexAdd`, whose own backward is the
indexing again), so a gradient that flows through them stays differentiable.
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.ops.arithmetic import ieee
from tinynet.tensor import Function, Tensor


class Reshape(Function):
    r"""$y = \mathrm{reshape}(x)$; $\bar x = \mathrm{reshape}(\bar y, \text{shape of } x)$."""

    __slots__ = ("new_shape", "in_shape")
    local_derivatives = ("∂y/∂x = 1 (reshaped back)",)
    reads_inputs = False
    keeps_integers = True

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.new_shape = shape

    def forward(self, x: Any) -> Any:
        self.in_shape = x.shape
        try:
            return x.reshape(self.new_shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(self.new_shape)}"
            ) from None

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad.reshape(self.in_shape),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (Reshape.apply(grad, shape=self.in_shape),)


class Transpose(Function):
    r"""Permute axes: $y = x^\top$ (all axes reversed by default).

    $\bar x$ is $\bar y$ permuted by the inverse permutation.
    """

    __slots__ = ("axes",)
    local_derivatives = ("∂y/∂x = 1 (axes permuted back)",)
    reads_inputs = False
    keeps_integers = True

    def __init__(self, axes: tuple[int, ...] | None = None) -> None:
        self.axes = axes

    def forward(self, x: Any) -> Any:
        if self.axes is not None and sorted(a % max(x.ndim, 1) for a in self.axes) != list(
            range(x.ndim)
        ):
            raise ValueError(
                f"transpose: axes {self.axes} are not a permutation of the {x.ndim} axes "
                f"of a tensor of shape {x.shape}"
            )
        return xp.transpose(x, self.axes)

    def _inverse(self) -> list[int]:
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis % len(self.axes)] = position
        return inverse

    def backward(self, grad: Any) -> tuple[Any]:
        if self.axes is None:
            return (xp.transpose(grad),)
        return (xp.transpose(grad, self._inverse()),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        axes = None if self.axes is None else tuple(self._inverse())
        return (Transpose.apply(grad, axes=axes),)


def swap_last_axes(x: Tensor) -> Tensor:
    """``x`` with its last two axes exchanged (the transpose of a matrix or a batch of them)."""
    if x.ndim == 2:
        return Transpose.apply(x)
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return Transpose.apply(x, axes=axes)


def _is_basic_index(index: Any) -> bool:
    """Slices, integers, None and Ellipsis never select one element twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items
    ) and not any(isinstance(i, bool) for i in items)


def _scatter(grad: Any, index: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """Zeros of *shape* with *grad* added at *index* (each selection adds once)."""
    out = xp.zeros(shape, dtype=dtype)
    if _is_basic_index(index):
        out[index] = grad
    else:
        with ieee():
            xp.add.at(out, index, grad)
    return out


class GetItem(Function):
    r"""$y = x[\text{index}]$ (numpy indexing, basic or advanced).

    $\bar x$ is zero except at the selected positions, which receive $\bar y$. With
    advanced (integer-array) indexing an element selected $k$ times receives the sum
    of its $k$ gradients, hence ``add.at`` rather than plain assignment (so
    $\infty$ and $-\infty$ gradients meeting at one element give NaN, as IEEE addition).

    That scatter is itself the operation :class:`IndexAdd`, whose derivative is this
    selection again: both are linear, so the gradient can be differentiated to any
    order (with second derivative 0).
    """

    __slots__ = ("index", "in_shape", "dtype")
    local_derivatives = ("∂y/∂x = 1 at index, 0 elsewhere",)
    reads_inputs = False
    keeps_integers = True

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, x: Any) -> Any:
        self.in_shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, grad: Any) -> tuple[Any]:
        return (_scatter(grad, self.index, self.in_shape, self.dtype),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (IndexAdd.apply(grad, index=self.index, shape=self.in_shape),)


class IndexAdd(Function):
    r"""$y = 0_{\text{shape}}$ with $x$ added at ``index``: the adjoint of :class:`GetItem`.

    ``y = zeros(shape); y[index] += x`` where an element selected $k$ times by an
    integer-array index receives the sum of its $k$ values (numpy's ``add.at``; JAX
    writes it ``zeros(shape).at[index].add(x)``). It is the backward of ``x[index]``,
    and its own backward is that selection:

    .. math:: \bar x = \bar y[\text{index}].

    Edges: the values are only moved and added (IEEE: $\infty + (-\infty)$ at one
    element is NaN), never multiplied, so zeros stay exact.
    """

    __slots__ = ("index", "shape")
    local_derivatives = ("∂L/∂x = ∂L/∂y[index]",)
    reads_inputs = False
    keeps_integers = True

    def __init__(self, index: Any, shape: tuple[int, ...]) -> None:
        self.index, self.shape = index, tuple(shape)

    def forward(self, x: Any) -> Any:
        return _scatter(x, self.index, self.shape, x.dtype)

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad[self.index],)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (GetItem.apply(grad, index=self.index),)


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]``; tensors used as indices are unwrapped to their integer arrays."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = xp.asarray(index)
    return GetItem.apply(x, index=index)


def index_add(x: Any, index: Any, shape: Any) -> Tensor:
    """Zeros of *shape* with *x* added at *index* (see :class:`IndexAdd`)."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = xp.asarray(index)
    return IndexAdd.apply(x, index=index, shape=tuple(shape))
