r"""Operations that move elements without changing them: reshape, transpose, indexing.

Their backward passes move the gradient back the same way, so no derivative is
needed beyond "each output element is one input element". They never look at the
values, so $\pm\infty$ and NaN pass through unchanged, forward and backward, and
integer tensors keep their dtype.
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.ops.arithmetic import ieee
from tinynet.tensor import Function, Tensor


class Reshape(Function):
    r"""$y = \mathrm{reshape}(x)$; $\bar x = \mathrm{reshape}(\bar y, \text{shape of } x)$."""

    __slots__ = ("new_shape", "in_shape")
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


class Transpose(Function):
    r"""Permute axes: $y = x^\top$ (all axes reversed by default).

    $\bar x$ is $\bar y$ permuted by the inverse permutation.
    """

    __slots__ = ("axes",)
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

    def backward(self, grad: Any) -> tuple[Any]:
        if self.axes is None:
            return (xp.transpose(grad),)
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis % len(self.axes)] = position
        return (xp.transpose(grad, inverse),)


def _is_basic_index(index: Any) -> bool:
    """Slices, integers, None and Ellipsis never select one element twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items
    ) and not any(isinstance(i, bool) for i in items)


class GetItem(Function):
    r"""$y = x[\text{index}]$ (numpy indexing, basic or advanced).

    $\bar x$ is zero except at the selected positions, which receive $\bar y$. With
    advanced (integer-array) indexing an element selected $k$ times receives the sum
    of its $k$ gradients, hence ``add.at`` rather than plain assignment (so
    $\infty$ and $-\infty$ gradients meeting at one element give NaN, as IEEE addition).
    """

    __slots__ = ("index", "in_shape", "dtype")
    reads_inputs = False
    keeps_integers = True

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, x: Any) -> Any:
        self.in_shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, grad: Any) -> tuple[Any]:
        out = xp.zeros(self.in_shape, dtype=self.dtype)
        if _is_basic_index(self.index):
            out[self.index] = grad
        else:
            with ieee():
                xp.add.at(out, self.index, grad)
        return (out,)


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]``; tensors used as indices are unwrapped to their integer arrays."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = xp.asarray(index)
    return GetItem.apply(x, index=index)
