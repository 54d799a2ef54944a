r"""Reductions over some or all axes: sum, mean, max, min, prod, var, std, logsumexp.

Each takes ``axis`` (an int, a tuple of ints, or None for all axes) and ``keepdims``,
as numpy; the functional forms and the tensor methods also accept PyTorch's ``dim`` and
``keepdim`` (see :mod:`tinynet._axis`). Each docstring gives the derivative and the
edge values. ``argmax``/``argmin`` (in :mod:`tinynet.ops`) give integer indices and have
no gradient.

Edge values of sum and mean follow IEEE addition, as numpy and PyTorch: a sum containing both
:math:`\infty` and :math:`-\infty`, or a NaN, is NaN; a sum that overflows is :math:`\pm\infty`. The
gradients do not depend on the values (1 and :math:`1/n`), so they stay finite even there.

Sum and mean are linear, so their second derivatives are 0: ``backward_graph`` copies the
gradient back with tensor operations (a reshape, then adding zeros of the input's
shape, which broadcasts), so that a gradient flowing *through* them (from a nonlinear
op after them) can still be differentiated.
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.ops.arithmetic import ieee
from tinynet.tensor import Function, Tensor


def _normalize_axes(axis: Any, ndim: int, op: str = "sum") -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a {ndim}-d tensor")
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
    r""":math:`y = \sum_{i \in \text{axes}} x_i`.

    Every summed element contributes with weight 1, so :math:`\bar x_i = \bar y`: the
    output gradient is copied back along the reduced axes.

    Edges (IEEE, as numpy and PyTorch): :math:`\infty + (-\infty)` or a NaN term gives NaN;
    the gradient is still :math:`\bar y` for every element.
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
    r""":math:`y = \frac1n \sum_{i \in \text{axes}} x_i`, so :math:`\bar x_i = \bar y / n`.

    Edges as :class:`Sum`; the gradient :math:`\bar y / n` never depends on the values.
    """

    __slots__ = ("shape", "axes", "n", "axis", "keepdims")
    local_derivatives = ("∂y/∂x = 1/n",)
    reads_inputs = False

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.shape = x.shape
        self.axes = _normalize_axes(self.axis, x.ndim, "mean")
        n = 1
        for a in self.axes:
            n *= x.shape[a]
        self.n = n
        return x.mean(axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad: Any) -> tuple[Any]:
        return (_expand_back(grad / self.n, self.shape, self.axes, self.keepdims),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (_expand_back_graph(grad / self.n, self.shape, self.axes, self.keepdims),)


# --------------------------------------------------------------------------- helpers
def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """*shape* with the reduced *axes* set to 1 (the ``keepdims=True`` shape)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _refuse_empty(op: str, x: Any, axes: tuple[int, ...]) -> None:
    """max, min, argmax, ... of no elements have no value (sum and prod do: 0 and 1)."""
    if any(x.shape[a] == 0 for a in axes):
        raise ValueError(
            f"{op}: cannot reduce over an empty axis (input shape {x.shape}, axes {axes}): "
            "the maximum or minimum of no elements does not exist"
        )


def _reduced_count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


# --------------------------------------------------------------------------- max and min
class _Extremum(Function):
    r"""Shared code of :class:`Max` and :class:`Min` (``_pick`` is ``max`` or ``min``)."""

    __slots__ = ("axis", "keepdims", "axes", "x", "m")
    _pick = "max"

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.axes = _normalize_axes(self.axis, x.ndim, self._pick)
        _refuse_empty(self._pick, x, self.axes)
        self.x = x
        # the keepdims form is kept for backward; the output is a view of it
        self.m = getattr(x, self._pick)(axis=self.axis, keepdims=True)
        if self.keepdims:
            return self.m
        return self.m.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def _parts(self) -> tuple[Any, Any, Any]:
        """The winners' mask, their count (in the float dtype) and the NaN slices."""
        x, m = self.x, self.m
        mask = x == m  # every tied extremum; nowhere in a slice whose value is NaN
        count = mask.sum(axis=self.axes, keepdims=True)
        return mask, count.astype(x.dtype), count == 0

    def backward(self, grad: Any) -> tuple[Any]:
        mask, count, nan_slices = self._parts()
        g = grad.reshape(self.m.shape)
        with ieee():
            share = g / xp.where(nan_slices, count.dtype.type(1), count)
        gx = xp.where(mask, share, grad.dtype.type(0))
        if nan_slices.any():  # rare: a NaN in the slice, no element is the winner
            gx = xp.where(nan_slices, grad.dtype.type("nan"), gx)
        return (gx,)

    def _graph(self, grad: Tensor) -> tuple[Tensor]:
        """:meth:`backward` with tensor operations (for ``backward_graph``)."""
        from tinynet.ops.elementwise import Where
        from tinynet.ops.shape import Reshape

        # the mask and the count are constants: their derivative is 0 except at a tie
        mask, count, nan_slices = self._parts()
        g = Reshape.apply(grad, shape=self.m.shape)
        with ieee():
            divisor = xp.where(nan_slices, count.dtype.type(1), count)
            share = g / Tensor._wrap(divisor, False)
        gx = Where.apply(share, 0.0, cond=mask)
        if nan_slices.any():
            gx = Where.apply(float("nan"), gx, cond=xp.broadcast_to(nan_slices, mask.shape))
        return (gx,)


class Max(_Extremum):
    r""":math:`y = \max_{i \in \text{axes}} x_i` (the reduction; :class:`~tinynet.ops.Maximum`
    is the elementwise maximum of two tensors).

    With :math:`k` elements tied for the maximum, each of them receives an equal share and
    every other element nothing:

    .. math:: \bar x_i = \frac{\bar y\,[x_i = y]}{k}, \qquad k = \#\{j : x_j = y\}.

    This is the derivative wherever the maximum is unique (:math:`k = 1`); at a tie, where
    :math:`\max` has a kink, it is the average of the one-sided derivatives, the same rule
    as the elementwise ``tn.maximum`` (which gives each side half) and PyTorch's
    ``amax``. (PyTorch's ``max(dim=...)`` sends everything to the one index it
    returns.)

    Edges: :math:`\pm\infty` are ordinary values (:math:`\max(\infty, \infty) = \infty` is a tie of
    two; a slice of all :math:`-\infty` gives :math:`-\infty`, each element sharing the gradient).
    A NaN anywhere in a slice makes its maximum NaN (as numpy and PyTorch), and the
    whole slice's gradient NaN: which element wins is undefined (as for
    ``tn.maximum``; PyTorch gives the NaN's position the gradient). An empty slice is
    refused. Integer tensors keep their dtype.

    Second derivative: 0 away from ties (the winners' mask is a constant).
    """

    local_derivatives = ("∂y/∂x = [x = max] / #ties",)

    __slots__ = ()
    reads_output = True
    keeps_integers = True
    _pick = "max"

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return self._graph(grad)


class Min(_Extremum):
    r""":math:`y = \min_{i \in \text{axes}} x_i`; the gradient is shared equally among the tied minima,

    .. math:: \bar x_i = \frac{\bar y\,[x_i = y]}{k}, \qquad k = \#\{j : x_j = y\}.

    Edges as :class:`Max`: a NaN in a slice gives a NaN value and a NaN gradient for
    the slice; an empty slice is refused. Second derivative 0 away from ties.
    """

    local_derivatives = ("∂y/∂x = [x = min] / #ties",)

    __slots__ = ()
    reads_output = True
    keeps_integers = True
    _pick = "min"

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return self._graph(grad)


# --------------------------------------------------------------------------- product
def _others(x: Any) -> Any:
    r""":math:`o_i = \prod_{j \ne i} x_j` along the last axis, **without division**.

    :math:`o_i = \underbrace{x_0 \cdots x_{i-1}}_{\text{left}}\;\underbrace{x_{i+1} \cdots x_{n-1}}_{\text{right}}`,
    both running products (``cumprod``) shifted by one. Dividing :math:`\prod_j x_j` by
    :math:`x_i` would give :math:`0/0` at a zero; this is exact there: with one zero :math:`x_k`, :math:`o_k`
    is the product of the others and every other :math:`o_i` is 0; with two zeros all are 0.
    """
    n = x.shape[-1]
    if n == 0:
        return x.copy()
    ones = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    with ieee():
        left = xp.cumprod(xp.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
        right = xp.cumprod(xp.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        return left * right


class _ProdOthers(Function):
    r""":math:`o_i = \prod_{j \ne i} x_j` along the last axis: the gradient of :class:`Prod`.

    A node of the graph that ``Prod.backward_graph`` builds, so that the gradient of a
    product can be differentiated again. Its own Jacobian is
    :math:`\partial o_i / \partial x_k = \prod_{j \ne i, k} x_j` for :math:`k \ne i` and 0 for
    :math:`k = i`: the products "of all but two", computed as :func:`_others` of the rows of
    the matrix :math:`X_{ij} = x_j` with :math:`X_{ii} = 1` (so :math:`n^2` numbers per slice, only when
    differentiating twice).
    """

    __slots__ = ("x",)

    def forward(self, x: Any) -> Any:
        self.x = x
        return _others(x)

    def backward(self, grad: Any) -> tuple[Any]:
        x = self.x
        eye = xp.eye(x.shape[-1], dtype=bool)
        rows = xp.where(eye, x.dtype.type(1), x[..., None, :])  # X[..., i, j]
        pairs = xp.where(eye, x.dtype.type(0), _others(rows))  # prod over j != i, k
        with ieee():
            return ((grad[..., :, None] * pairs).sum(axis=-2),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.elementwise import Where
        from tinynet.ops.shape import Reshape

        (x,) = self.inputs
        n = x.shape[-1]
        eye = xp.eye(n, dtype=bool)
        rows = Where.apply(1.0, Reshape.apply(x, shape=x.shape[:-1] + (1, n)), cond=eye)
        pairs = Where.apply(0.0, _ProdOthers.apply(rows), cond=eye)
        g = Reshape.apply(grad, shape=grad.shape + (1,))
        with ieee():
            return (Sum.apply(g * pairs, axis=-2),)


class Prod(Function):
    r""":math:`y = \prod_{i \in \text{axes}} x_i`, so :math:`\bar x_i = \bar y \prod_{j \ne i} x_j`.

    The product of the *other* elements is computed with running products from both
    ends (see :func:`_others`), never as :math:`y / x_i`: that is :math:`0/0` where :math:`x_i = 0`. So
    with one zero in a slice its element gets the product of the others and every
    other element 0; with two zeros every gradient is 0 (the product stays 0 when any
    single element moves).

    Edges: IEEE products (:math:`0 \cdot \infty = \mathrm{NaN}`, overflow to :math:`\pm\infty`);
    the gradient of an element is NaN exactly when the product of the others is
    (a NaN elsewhere in the slice, or :math:`0` and :math:`\infty` among the others). The product
    over an empty axis is 1 (as numpy and PyTorch). Integer tensors keep their dtype.

    Second derivative: :math:`\partial^2 y / \partial x_i \partial x_k = \prod_{j \ne i,k} x_j`
    (:math:`i \ne k`), 0 on the diagonal; ``backward_graph`` records the products of the
    others as a :class:`!_ProdOthers` node, which is differentiable again.
    """

    local_derivatives = ("∂y/∂x_i = prod of the others",)

    __slots__ = ("axis", "keepdims", "axes", "perm", "x")
    keeps_integers = True

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.axes = _normalize_axes(self.axis, x.ndim, "prod")
        kept = [i for i in range(x.ndim) if i not in self.axes]
        self.perm = tuple(kept) + self.axes
        self.x = x
        with ieee():
            return x.prod(axis=self.axis, keepdims=self.keepdims)

    def _layout(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """Shapes: the kept axes + (n,), the transposed input, the kept axes + (1,)."""
        shape = self.x.shape
        kept = tuple(shape[i] for i in self.perm[: len(self.perm) - len(self.axes)])
        n = _reduced_count(shape, self.axes)
        return kept + (n,), tuple(shape[i] for i in self.perm), kept + (1,)

    def _inverse(self) -> tuple[int, ...]:
        inverse = [0] * len(self.perm)
        for i, p in enumerate(self.perm):
            inverse[p] = i
        return tuple(inverse)

    def backward(self, grad: Any) -> tuple[Any]:
        rows, moved, column = self._layout()
        # the reduced axes moved to the end and flattened: one row per output element
        x = xp.transpose(self.x, self.perm).reshape(rows)
        with ieee():
            g = grad.reshape(column) * _others(x)
        return (xp.transpose(g.reshape(moved), self._inverse()),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.shape import Reshape, Transpose

        rows, moved, column = self._layout()
        x = Reshape.apply(Transpose.apply(self.inputs[0], axes=self.perm), shape=rows)
        with ieee():
            g = Reshape.apply(grad, shape=column) * _ProdOthers.apply(x)
        return (Transpose.apply(Reshape.apply(g, shape=moved), axes=self._inverse()),)


# --------------------------------------------------------------------------- var and std
def _degrees_of_freedom(op: str, shape: tuple[int, ...], axes: tuple[int, ...], c: Any) -> int:
    n = _reduced_count(shape, axes)
    if n - c <= 0:
        raise ValueError(
            f"{op}: {n} element(s) per slice (input shape {shape}, axes {axes}) with "
            f"correction={c} leave n - correction = {n - c} degrees of freedom; the "
            f"{'variance' if op == 'var' else 'standard deviation'} is undefined "
            "(numpy and PyTorch return inf or NaN with a warning). Pass correction=0 for "
            "the population (biased) estimate"
        )
    return n - c


class _Spread(Function):
    """Shared code of :class:`Var` and :class:`Std`: the deviations from the mean."""

    __slots__ = ("axis", "keepdims", "correction", "axes", "dof", "d", "kept", "undefined")

    def __init__(self, axis: Any = None, keepdims: bool = False, correction: Any = 1) -> None:
        self.axis, self.keepdims, self.correction = axis, keepdims, correction

    def _variance(self, x: Any, op: str) -> Any:
        self.axes = _normalize_axes(self.axis, x.ndim, op)
        self.dof = _degrees_of_freedom(op, x.shape, self.axes, self.correction)
        self.kept = _kept_shape(x.shape, self.axes)
        with ieee():
            self.d = x - x.mean(axis=self.axis, keepdims=True)
            v = (self.d * self.d).sum(axis=self.axis, keepdims=self.keepdims) / self.dof
        # slices with an inf or NaN: the value is NaN, and so is every gradient there
        # (x - mean would give -inf next to NaN: a number where there is none)
        undefined = xp.isnan(v)
        self.undefined = undefined.reshape(self.kept) if undefined.any() else None
        return v

    def _mark(self, g: Any) -> Any:
        """NaN gradients for the undefined slices (arrays)."""
        if self.undefined is None:
            return g
        return xp.where(self.undefined, g.dtype.type("nan"), g)

    def _mark_graph(self, g: Tensor) -> Tensor:
        """:meth:`_mark` with tensor operations."""
        from tinynet.ops.elementwise import Where

        if self.undefined is None:
            return g
        return Where.apply(float("nan"), g, cond=xp.broadcast_to(self.undefined, g.shape))

    def _deviation_graph(self) -> Tensor:
        r""":math:`x - \bar x` with tensor operations (the same numbers as ``self.d``)."""
        (x,) = self.inputs
        return x - Mean.apply(x, axis=self.axis, keepdims=True)


class Var(_Spread):
    r""":math:`y = \frac{1}{n - c}\sum_{i \in \text{axes}} (x_i - \bar x)^2`, with
    :math:`\bar x` the mean over the same axes and :math:`c` = ``correction``.

    **The default is** ``correction=1``, :math:`c = 1` (the unbiased estimate, PyTorch's default); numpy's
    ``np.var`` defaults to ``ddof=0``. Pass ``correction=0`` (or ``ddof=0``) for the
    population variance. Since :math:`\sum_i (x_i - \bar x) = 0`, the mean's own dependence
    on :math:`x` drops out of the derivative:

    .. math:: \bar x_i = \bar y\,\frac{2\,(x_i - \bar x)}{n - c}.

    Edges: an infinite or NaN element makes its slice's variance NaN (as numpy and
    PyTorch; :math:`\infty - \infty`), and its gradient NaN. :math:`n - c \le 0` (one element with
    :math:`c = 1`) is refused instead of returning inf or NaN.

    Second derivative: :math:`\partial^2 y / \partial x_i \partial x_k = \frac{2}{n-c}(\delta_{ik} - \frac1n)`.
    """

    local_derivatives = ("∂y/∂x = 2(x − mean)/(n − c)",)

    __slots__ = ()
    reads_inputs = False

    def forward(self, x: Any) -> Any:
        return self._variance(x, "var")

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (self._mark(grad.reshape(self.kept) * self.d * (2.0 / self.dof)),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.shape import Reshape

        with ieee():
            g = Reshape.apply(grad, shape=self.kept) * self._deviation_graph()
            return (self._mark_graph(g * (2.0 / self.dof)),)


class Std(_Spread):
    r""":math:`y = \sqrt{\mathrm{var}(x)}` (see :class:`Var`; **default** ``correction=1``, as
    PyTorch; numpy's ``np.std`` uses ``ddof=0``).

    .. math:: \bar x_i = \bar y\,\frac{x_i - \bar x}{(n - c)\,y}.

    Edges: as :class:`Var` for inf and NaN. A slice of equal elements has :math:`y = 0`,
    where :math:`\sqrt{\cdot}` has no derivative (the slope is :math:`0/0`): its gradient is NaN,
    as in PyTorch. Add a small constant under the root yourself
    (``(x.var() + eps).sqrt()``) where a finite gradient is needed there.

    Second derivative: :math:`\frac{\partial^2 y}{\partial x_i \partial x_k} =
    \frac{1}{(n-c)\,y}\bigl(\delta_{ik} - \tfrac1n - \frac{(x_i - \bar x)(x_k - \bar x)}{(n-c)\,y^2}\bigr)`,
    from the graph, in which :math:`y` is the output node.
    """

    local_derivatives = ("∂y/∂x = (x − mean)/((n − c)·y)",)

    __slots__ = ("y",)
    reads_inputs = False
    reads_output = True

    def forward(self, x: Any) -> Any:
        with ieee():
            self.y = xp.sqrt(self._variance(x, "std"))
        return self.y

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            g = (grad.reshape(self.kept) * self.d) / (self.y.reshape(self.kept) * self.dof)
            return (self._mark(g),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.shape import Reshape

        with ieee():
            g = Reshape.apply(grad, shape=self.kept) * self._deviation_graph()
            return (self._mark_graph(g / (Reshape.apply(out, shape=self.kept) * self.dof)),)


# --------------------------------------------------------------------------- logsumexp
class LogSumExp(Function):
    r""":math:`y = \log \sum_{i \in \text{axes}} e^{x_i}`, computed stably as
    :math:`m + \log\sum_i e^{x_i - m}` with :math:`m = \max_i x_i` (no overflow at :math:`x = 1000`, no
    :math:`\log 0` at :math:`x = -1000`). The derivative is the softmax:

    .. math:: \bar x_i = \bar y\, \frac{e^{x_i}}{\sum_j e^{x_j}} = \bar y\, e^{x_i - y}.

    Edges, for one slice (the limits, as :class:`~tinynet.ops.Softmax`):

    * :math:`-\infty` entries (not all) add nothing: value as without them, gradient 0;
    * all :math:`-\infty`: :math:`y = -\infty` (:math:`\log 0`), with a NaN gradient (softmax of the slice
      is undefined);
    * one :math:`+\infty` entry: :math:`y = \infty`, gradient :math:`\bar y` there and 0 elsewhere (the
      limit); two or more :math:`+\infty`: :math:`y = \infty` and a NaN gradient;
    * a NaN entry: NaN value and NaN gradient.

    Second derivative: the softmax Jacobian, :math:`\mathrm{diag}(s) - s s^\top`; the graph
    is :math:`\bar y\, e^{x - y}` with the output :math:`y` as a node.
    """

    local_derivatives = ("∂y/∂x = softmax(x)",)

    __slots__ = ("axis", "keepdims", "axes", "x", "y")
    reads_output = True

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.axes = _normalize_axes(self.axis, x.ndim, "logsumexp")
        self.x = x
        with ieee():
            m = x.max(axis=self.axis, keepdims=True) if x.size else xp.zeros_like(x, shape=())
            m = xp.where(xp.isfinite(m), m, x.dtype.type(0))  # an infinite max: no shift
            y = xp.log(xp.exp(x - m).sum(axis=self.axis, keepdims=True)) + m
        self.y = y
        if self.keepdims:
            return y
        return y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def _limit(self) -> tuple[Any, Any] | None:
        r"""Slices whose value is :math:`+\infty`: their softmax is the limit (or NaN)."""
        x, y = self.x, self.y
        rows = y == xp.inf
        if not rows.any():
            return None
        top = x == xp.inf
        count = top.sum(axis=self.axes, keepdims=True)
        probs = xp.where(count == 1, top.astype(x.dtype), x.dtype.type("nan"))
        return rows, probs

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            s = xp.exp(self.x - self.y)
            limit = self._limit()
            if limit is not None:
                s = xp.where(limit[0], limit[1], s)
            return (grad.reshape(self.y.shape) * s,)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.elementwise import Exp, Where
        from tinynet.ops.shape import Reshape

        (x,) = self.inputs
        with ieee():
            s = Exp.apply(x - Reshape.apply(out, shape=self.y.shape))
            limit = self._limit()
            if limit is not None:  # the limit is a constant: its Jacobian is 0
                s = Where.apply(
                    Tensor._wrap(limit[1], False), s, cond=xp.broadcast_to(limit[0], x.shape)
                )
            return (Reshape.apply(grad, shape=self.y.shape) * s,)
