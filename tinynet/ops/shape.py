r"""Operations that move elements without changing them: reshape, transpose, indexing,
broadcasting, concatenation.

Their backward passes move the gradient back the same way, so no derivative is
needed beyond "each output element is one input element" (and, for a broadcast, "an
element used :math:`k` times receives the sum of its :math:`k` gradients"). They never look at
the values, so :math:`\pm\infty` and NaN pass through unchanged, forward and backward, and
integer tensors keep their dtype.

**No aliasing.** Every result has an array of its own, never a view of its input's
memory (numpy's ``reshape``, ``transpose``, basic slicing and ``broadcast_to`` would
return views; the forwards copy them). PyTorch's ``view``, ``expand``, slicing and
``transpose`` share memory and a version counter with their base, so an in-place
write to one shows in the other and a backward that needs the old values raises.
tinynet's version counter is per tensor, so a shared array would let ``x += 1``
silently change a ``y = x.reshape(...)`` that an operation saved for its backward: a
wrong gradient with no error. Copying costs one pass over the result and makes the
rule simple: an in-place change of a tensor never changes another tensor.

All of them are linear, so their second derivatives are 0. Their ``backward_graph``
moves the gradient back with the same kind of operation (reshape, the inverse
transpose, and for indexing the scatter :class:`IndexAdd`, whose own backward is the
indexing again), so a gradient that flows through them stays differentiable.
"""

from __future__ import annotations

from typing import Any

from tinynet._axis import resolve_axis
from tinynet.backend import xp
from tinynet.ops.arithmetic import ieee
from tinynet.tensor import Function, Tensor, unbroadcast


class Reshape(Function):
    r""":math:`y = \mathrm{reshape}(x)`; :math:`\bar x = \mathrm{reshape}(\bar y, \text{shape of } x)`."""

    __slots__ = ("new_shape", "in_shape")
    local_derivatives = ("∂y/∂x = 1 (reshaped back)",)
    reads_inputs = False
    keeps_integers = True

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.new_shape = shape

    def forward(self, x: Any) -> Any:
        self.in_shape = x.shape
        try:
            return x.reshape(self.new_shape).copy()  # a result of its own (no aliasing)
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
    r"""Permute axes: :math:`y = x^\top` (all axes reversed by default).

    :math:`\bar x` is :math:`\bar y` permuted by the inverse permutation.
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
        # order="K": the same memory layout as the view (so matmul rounds the same)
        return xp.transpose(x, self.axes).copy(order="K")  # a result of its own

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
    r""":math:`y = x[\text{index}]` (numpy indexing, basic or advanced).

    :math:`\bar x` is zero except at the selected positions, which receive :math:`\bar y`. With
    advanced (integer-array) indexing an element selected :math:`k` times receives the sum
    of its :math:`k` gradients, hence ``add.at`` rather than plain assignment (so
    :math:`\infty` and :math:`-\infty` gradients meeting at one element give NaN, as IEEE addition).

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
        out = x[self.index]
        # basic indexing gives a view of x (advanced indexing copies already)
        return out.copy(order="K") if _is_basic_index(self.index) else out

    def backward(self, grad: Any) -> tuple[Any]:
        return (_scatter(grad, self.index, self.in_shape, self.dtype),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (IndexAdd.apply(grad, index=self.index, shape=self.in_shape),)


class IndexAdd(Function):
    r""":math:`y = 0_{\text{shape}}` with :math:`x` added at ``index``: the adjoint of :class:`GetItem`.

    ``y = zeros(shape); y[index] += x`` where an element selected :math:`k` times by an
    integer-array index receives the sum of its :math:`k` values (numpy's ``add.at``; JAX
    writes it ``zeros(shape).at[index].add(x)``). It is the backward of ``x[index]``,
    and its own backward is that selection:

    .. math:: \bar x = \bar y[\text{index}].

    Edges: the values are only moved and added (IEEE: :math:`\infty + (-\infty)` at one
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


# --------------------------------------------------------------------------- broadcasting
class BroadcastTo(Function):
    r""":math:`y = x` repeated along the axes where it has size 1 (and new leading axes), as numpy.

    Each element of :math:`x` is used in several positions of :math:`y`, so by the chain rule its
    gradient is the **sum** of the gradients at those positions:

    .. math:: \bar x = \sum_{\text{broadcast axes}} \bar y .

    That sum is itself linear (its graph is :class:`~tinynet.ops.reductions.Sum`), so
    the second derivative is 0. Unlike PyTorch's ``expand`` (a view with stride 0), the
    result is a full array of its own: memory grows with the output.

    Edges: the values are only copied and their gradients only added (IEEE:
    :math:`\infty + (-\infty)` is NaN), never multiplied.
    """

    __slots__ = ("shape", "in_shape")
    local_derivatives = ("∂L/∂x = ∂L/∂y summed to x's shape",)
    reads_inputs = False
    keeps_integers = True

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)

    def forward(self, x: Any) -> Any:
        self.in_shape = x.shape
        try:
            out = xp.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to shape "
                f"{self.shape} (aligned from the right, each axis must be equal or 1; new "
                "axes go in front)"
            ) from None
        return out.copy()  # a writable array of its own (no aliasing)

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (unbroadcast(grad, self.in_shape),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.reductions import sum_to

        return (sum_to(grad, self.in_shape),)


class Concatenate(Function):
    r""":math:`y = [x_1, x_2, \dots]` joined along ``axis`` (``numpy.concatenate``, ``torch.cat``).

    Each input's elements are one block of :math:`y`, so its gradient is that block of
    :math:`\bar y` (the split of :math:`\bar y` at the same sizes):

    .. math:: \bar x_k = \bar y[\dots, o_k : o_k + n_k, \dots], \qquad o_k = \sum_{j<k} n_j .

    The map is linear, so the second derivative is 0; ``backward_graph`` takes the
    blocks with :class:`GetItem`. Values and gradients are only moved, so :math:`\pm\infty`,
    NaN and integer dtypes pass through.
    """

    __slots__ = ("axis", "sizes")
    local_derivatives = ("∂L/∂x_i = block i of ∂L/∂y",)
    reads_inputs = False
    keeps_integers = True

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, *xs: Any) -> Any:
        first = xs[0]
        if first.ndim == 0:
            raise ValueError(
                "concatenate: zero-dimensional tensors have no axis to join along; "
                "use tn.stack to make a new axis"
            )
        axis = normalize_axis("concatenate", self.axis, first.ndim)
        rest = first.shape[:axis] + first.shape[axis + 1 :]
        for k, x in enumerate(xs):
            if x.ndim != first.ndim or x.shape[:axis] + x.shape[axis + 1 :] != rest:
                raise ValueError(
                    f"concatenate: tensor {k} has shape {x.shape} but tensor 0 has shape "
                    f"{first.shape}; the shapes may differ only along axis {self.axis}"
                )
        self.axis = axis
        self.sizes = [x.shape[axis] for x in xs]
        return xp.concatenate(xs, axis=axis)

    def _blocks(self) -> list[tuple[Any, ...]]:
        blocks, start = [], 0
        for n in self.sizes:
            blocks.append((slice(None),) * self.axis + (slice(start, start + n),))
            start += n
        return blocks

    def backward(self, grad: Any) -> tuple[Any, ...]:
        return tuple(grad[block] for block in self._blocks())

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor, ...]:
        return tuple(GetItem.apply(grad, index=block) for block in self._blocks())


# --------------------------------------------------------------------------- helpers
def normalize_axis(op: str, axis: Any, ndim: int) -> int:
    """*axis* as an index in ``range(ndim)`` (negative counts from the end), or an error."""
    if isinstance(axis, bool) or not isinstance(axis, (int, xp.integer)):
        raise TypeError(f"{op}: axis must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise IndexError(
            f"{op}: axis {axis} is out of range for a tensor with {ndim} dimension"
            f"{'' if ndim == 1 else 's'} (expected {-ndim} to {ndim - 1})"
        )
    return int(axis) % ndim


def _tensor_arg(op: str, x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _shape_arg(op: str, shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` as the tuple ``(2, 3)``, integers checked."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, xp.integer)):
            raise TypeError(f"{op}: sizes must be integers, got {n!r} in {tuple(shape)}")
    return tuple(int(n) for n in shape)


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """*x* repeated to *shape* by numpy's broadcasting rules (see :class:`BroadcastTo`)."""
    shape = _shape_arg("broadcast_to", (shape,) if isinstance(shape, int) else tuple(shape))
    return BroadcastTo.apply(x, shape=shape)


def expand(x: Any, *sizes: Any) -> Tensor:
    """PyTorch's ``expand``: :func:`broadcast_to` where a size of ``-1`` keeps that axis.

    ``x.expand(3, -1)`` turns shape ``(1, 4)`` into ``(3, 4)``. The result is a copy
    (PyTorch's is a view): see :class:`BroadcastTo`.
    """
    x = _tensor_arg("expand", x)
    sizes = _shape_arg("expand", sizes)
    new = len(sizes) - x.ndim
    if new < 0:
        raise ValueError(
            f"expand: {len(sizes)} sizes {sizes} given for a tensor with {x.ndim} "
            f"dimensions (shape {x.shape}); give at least one size per dimension"
        )
    shape = []
    for i, n in enumerate(sizes):
        if n == -1:
            if i < new:
                raise ValueError(
                    f"expand: size -1 (keep) at position {i} of {sizes} is a new leading "
                    f"axis of the tensor of shape {x.shape}, which has no size to keep"
                )
            n = x.shape[i - new]
        elif n < 0:
            raise ValueError(f"expand: sizes must be non-negative or -1, got {sizes}")
        shape.append(n)
    return BroadcastTo.apply(x, shape=tuple(shape))


def _tensor_list(op: str, tensors: Any, axis: Any) -> list[Any]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__} "
            f"(write tn.{op}([a, b], axis=0))"
        )
    if isinstance(axis, Tensor):
        raise TypeError(
            f"{op}: the second argument is the axis, got a Tensor; pass the tensors as "
            f"one list: tn.{op}([a, b, ...])"
        )
    if not tensors:
        raise ValueError(f"{op}: expected at least one tensor, got an empty sequence")
    return list(tensors)


def concatenate(tensors: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join a sequence of tensors along an existing *axis* (alias ``tn.cat``).

    The shapes must agree except along *axis*; the gradient of each input is its block
    of the output's gradient (see :class:`Concatenate`).
    """
    tensors = _tensor_list("concatenate", tensors, axis)
    axis = resolve_axis("concatenate", axis, dim)
    axis = 0 if axis is None else axis  # the default, as numpy and PyTorch
    return Concatenate.apply(*tensors, axis=axis)


cat = concatenate


def stack(tensors: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join tensors of one shape along a **new** *axis* (``numpy.stack``, ``torch.stack``).

    ``stack([a, b], axis)`` is ``concatenate([a.unsqueeze(axis), b.unsqueeze(axis)], axis)``,
    and differentiable through those two operations.
    """
    listed = _tensor_list("stack", tensors, axis)
    axis = resolve_axis("stack", axis, dim)
    axis = 0 if axis is None else axis
    tensors = [_tensor_arg("stack", t) for t in listed]
    first = tensors[0]
    for k, t in enumerate(tensors):
        if t.shape != first.shape:
            raise ValueError(
                f"stack: tensor {k} has shape {t.shape} but tensor 0 has shape "
                f"{first.shape}; stack needs tensors of one shape (concatenate joins "
                "along an existing axis)"
            )
    axis = normalize_axis("stack", axis, first.ndim + 1)
    return Concatenate.apply(*[unsqueeze(t, axis) for t in tensors], axis=axis)


def squeeze(x: Any, axis: Any = None, *, dim: Any = None) -> Tensor:
    """Remove axes of size 1: all of them, or those in *axis* (an int or a tuple).

    As in PyTorch, a named axis whose size is not 1 is left as it is (numpy raises).
    """
    x = _tensor_arg("squeeze", x)
    axis = resolve_axis("squeeze", axis, dim)
    if axis is None:
        drop = {i for i, n in enumerate(x.shape) if n == 1}
    else:
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        drop = {normalize_axis("squeeze", a, max(x.ndim, 1)) for a in axes}
        drop = {i for i in drop if i < x.ndim and x.shape[i] == 1}
    shape = tuple(n for i, n in enumerate(x.shape) if i not in drop)
    return Reshape.apply(x, shape=shape)


def unsqueeze(x: Any, axis: Any = None, *, dim: Any = None) -> Tensor:
    """Insert an axis of size 1 at position *axis* (``-1`` appends one; ``numpy.expand_dims``)."""
    x = _tensor_arg("unsqueeze", x)
    axis = resolve_axis("unsqueeze", axis, dim)
    if axis is None:
        raise TypeError("unsqueeze: missing the axis where the new axis of size 1 goes")
    axis = normalize_axis("unsqueeze", axis, x.ndim + 1)
    return Reshape.apply(x, shape=x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes ``start_dim..end_dim`` (inclusive) into one, as ``torch.flatten``.

    ``x.flatten()`` is 1-D (a 0-d tensor becomes shape ``(1,)``); ``x.flatten(1)``
    keeps the batch axis: shape ``(N, C, H, W)`` becomes ``(N, C*H*W)``.
    """
    x = _tensor_arg("flatten", x)
    if x.ndim == 0:
        normalize_axis("flatten", start_dim, 1)
        normalize_axis("flatten", end_dim, 1)
        return Reshape.apply(x, shape=(1,))
    start = normalize_axis("flatten", start_dim, x.ndim)
    end = normalize_axis("flatten", end_dim, x.ndim)
    if start > end:
        raise ValueError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor "
            f"of shape {x.shape}"
        )
    merged = 1
    for n in x.shape[start : end + 1]:
        merged *= n
    return Reshape.apply(x, shape=x.shape[:start] + (merged,) + x.shape[end + 1 :])
