"""tinynet's primitive operations, one :class:`~tinynet.tensor.Function` each.

=================  ==============================================================
module             operations
=================  ==============================================================
``arithmetic``     add, sub, mul, div, neg, power, matmul, affine
``elementwise``    exp, log, sqrt, abs, maximum, minimum, clip, cast, where
``reductions``     sum, mean, max, min, prod, var, std, logsumexp (and the
                   gradient-free argmax, argmin)
``shape``          reshape, transpose, getitem, index_add, broadcast_to (and
                   ``expand``), concatenate (alias ``cat``), stack, squeeze,
                   unsqueeze, flatten
``activations``    sigmoid, tanh, relu, leaky_relu, softmax, log_softmax
``trigonometric``  sin, cos
``losses``         the fused ``CrossEntropy`` and ``BCEWithLogits`` (called by
                   :func:`tinynet.nn.functional.cross_entropy` and
                   :func:`~tinynet.nn.functional.binary_cross_entropy_with_logits`)
=================  ==============================================================

The lower-case functions below are the functional forms (``tinynet.ops.exp(x)``);
tensors also expose most of them as methods (``x.exp()``). Wherever an operation takes
numpy's ``axis=`` (and ``keepdims=``), PyTorch's ``dim=`` (and ``keepdim=``) is accepted
too, as a keyword; giving both spellings is a ``TypeError``.

Every operation is differentiable to any order. Each defines its vector-Jacobian
product twice: ``backward`` on arrays, the fast path of ordinary training, and
``backward_graph`` with tinynet operations on tensors, used by
``tn.grad(..., create_graph=True)`` and ``backward(create_graph=True)``; the two give
the same numbers (property-tested in ``tests/test_ops_second_order.py``). Masks inside
a gradient (ReLU's :math:`y > 0`, the winner of a maximum, the inside of a clip) are
constants: their derivative is 0 wherever it exists, i.e. everywhere but at the kink.

Second derivatives of linear functions. The gradient of a linear operation (add, sum,
reshape, indexing, matmul in one operand, ...) does not depend on its input: the
gradient of :math:`3x` is the constant 3, which carries no graph. Differentiating it again
is therefore an error in tinynet, with a message that offers both answers:
``tn.grad(g, x, materialize_grads=True)`` returns **zeros** (the true second
derivative, what ``tn.hessian`` and ``tn.gradgradcheck`` use), and
``allow_unused=True`` returns ``None`` (as ``torch.autograd.grad``). Nothing crashes
on a missing graph (DeZero's ``None.backward``) and nothing returns ``None`` where the
caller expected a tensor unless asked to.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

from tinynet._axis import LAST, resolve_axis, resolve_keepdims
from tinynet.backend import asarray, xp
from tinynet.ops.activations import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from tinynet.ops.arithmetic import (
    Add,
    Affine,
    Div,
    MatMul,
    Mul,
    Neg,
    Pow,
    PowConst,
    Sub,
    affine,
    matmul,
    power,
)
from tinynet.ops.elementwise import (
    Abs,
    Cast,
    Clip,
    Exp,
    Log,
    Maximum,
    Minimum,
    Sqrt,
    Where,
    cast,
    where,
)
from tinynet.ops.losses import BCEWithLogits, CrossEntropy
from tinynet.ops.reductions import LogSumExp, Max, Mean, Min, Prod, Std, Sum, Var
from tinynet.ops.shape import (
    BroadcastTo,
    Concatenate,
    GetItem,
    IndexAdd,
    Reshape,
    Transpose,
    broadcast_to,
    cat,
    concatenate,
    expand,
    flatten,
    getitem,
    index_add,
    squeeze,
    stack,
    unsqueeze,
)
from tinynet.ops.trigonometric import Cos, Sin
from tinynet.tensor import Tensor

__all__ = [
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "PowConst", "MatMul", "Affine",
    "Exp", "Log", "Sqrt", "Abs", "Maximum", "Minimum", "Clip", "Cast", "Where",
    "Sum", "Mean", "Max", "Min", "Prod", "Var", "Std", "LogSumExp",
    "Reshape", "Transpose", "GetItem", "IndexAdd", "BroadcastTo", "Concatenate",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax", "Sin", "Cos",
    "CrossEntropy", "BCEWithLogits",
    "add", "sub", "mul", "div", "neg", "power", "matmul", "affine",
    "exp", "log", "sqrt", "abs", "maximum", "minimum", "clip", "cast", "where",
    "sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std", "logsumexp",
    "argmax", "argmin", "reshape", "transpose", "getitem", "index_add",
    "broadcast_to", "expand", "concatenate", "cat", "stack", "squeeze", "unsqueeze", "flatten",
    "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax", "sin", "cos",
]  # fmt: skip


def add(a: Any, b: Any) -> Tensor:
    """Elementwise sum :math:`a + b`, broadcasting the shapes (the ``+`` operator).

    See :class:`~tinynet.ops.Add` for the derivative and the edge values.
    """
    return Add.apply(a, b)


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise difference :math:`a - b`, broadcasting the shapes (the ``-`` operator).

    See :class:`~tinynet.ops.Sub` for the derivative and the edge values.
    """
    return Sub.apply(a, b)


def mul(a: Any, b: Any) -> Tensor:
    r"""Elementwise product :math:`a\,b`, broadcasting the shapes (the ``*`` operator).

    Not the matrix product: that is :func:`matmul` (``@``). See :class:`~tinynet.ops.Mul`
    for the derivative and the edge values.
    """
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Tensor:
    """Elementwise true division :math:`a / b`, broadcasting the shapes (the ``/`` operator).

    See :class:`~tinynet.ops.Div` for the derivative and the edge values.
    """
    return Div.apply(a, b)


def neg(x: Any) -> Tensor:
    """Elementwise negation :math:`-x` (the unary ``-`` operator).

    See :class:`~tinynet.ops.Neg` for the derivative and the edge values.
    """
    return Neg.apply(x)


def exp(x: Any) -> Tensor:
    """Elementwise exponential :math:`e^x`.

    See :class:`~tinynet.ops.Exp` for the derivative and the edge values.
    """
    return Exp.apply(x)


def log(x: Any) -> Tensor:
    r"""Elementwise natural logarithm :math:`\ln x` (NaN for :math:`x < 0`).

    See :class:`~tinynet.ops.Log` for the derivative and the edge values.
    """
    return Log.apply(x)


def sqrt(x: Any) -> Tensor:
    r"""Elementwise square root :math:`\sqrt{x}` (NaN for :math:`x < 0`).

    See :class:`~tinynet.ops.Sqrt` for the derivative and the edge values.
    """
    return Sqrt.apply(x)


def abs(x: Any) -> Tensor:  # noqa: A001 - mirrors numpy/torch naming
    """Elementwise absolute value :math:`|x|`.

    See :class:`~tinynet.ops.Abs` for the derivative and the edge values.
    """
    return Abs.apply(x)


def maximum(a: Any, b: Any) -> Tensor:
    r"""Elementwise maximum :math:`\max(a, b)` of two tensors, broadcasting the shapes.

    The largest element of one tensor is :func:`max`. A tie splits the gradient in half.
    See :class:`~tinynet.ops.Maximum` for the derivative and the edge values.
    """
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    r"""Elementwise minimum :math:`\min(a, b)` of two tensors, broadcasting the shapes.

    The smallest element of one tensor is :func:`min`. A tie splits the gradient in half.
    See :class:`~tinynet.ops.Minimum` for the derivative and the edge values.
    """
    return Minimum.apply(a, b)


def clip(x: Any, lo: float | None = None, hi: float | None = None) -> Tensor:
    r"""Clamp each element into :math:`[lo, hi]`: :math:`\min(\max(x, lo), hi)`.

    A bound left as ``None`` is not applied (at least one is needed). PyTorch calls this
    ``torch.clamp(x, min, max)``. See :class:`~tinynet.ops.Clip` for the derivative and the
    edge values.
    """
    return Clip.apply(x, lo=lo, hi=hi)


def sum(  # noqa: A001
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Sum over *axis* (None: all); ``dim``/``keepdim`` are PyTorch's spellings."""
    if dim is not None or keepdim is not None:
        axis, keepdims = resolve_axis("sum", axis, dim), resolve_keepdims("sum", keepdims, keepdim)
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Mean over *axis* (None: all); ``dim``/``keepdim`` are PyTorch's spellings."""
    if dim is not None or keepdim is not None:
        axis = resolve_axis("mean", axis, dim)
        keepdims = resolve_keepdims("mean", keepdims, keepdim)
    return Mean.apply(x, axis=axis, keepdims=keepdims)


class ValuesIndices(NamedTuple):
    """What ``max``/``min`` return when the axis is given as PyTorch's ``dim=``: the
    values (with gradient) and the integer indices of the first extremum (as
    ``torch.max(x, dim)``)."""

    values: Tensor
    indices: Tensor


def _extremum(
    op: str, cls: type, arg: Any, x: Any, axis: Any, keepdims: bool, dim: Any, keepdim: Any
) -> Any:
    pair = dim is not None and op in ("max", "min")
    if pair and not isinstance(dim, int):
        raise TypeError(
            f"{op}: dim={dim!r}: with PyTorch's dim= keyword {op} returns (values, indices), "
            f"as torch.{op}, and takes one int; for several axes write axis={dim!r} "
            "(values only, as numpy)"
        )
    axis, keepdims = resolve_axis(op, axis, dim), resolve_keepdims(op, keepdims, keepdim)
    values = cls.apply(x, axis=axis, keepdims=keepdims)
    if pair:
        return ValuesIndices(values, arg(x, axis=axis, keepdims=keepdims))
    return values


def max(  # noqa: A001
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Any:
    """The largest element over *axis* (None: all), differentiable (ties share the gradient).

    With numpy's ``axis=`` (or positionally, ``x.max(1)``) the result is the values, as
    numpy's ``max``. With PyTorch's ``dim=`` it is ``(values, indices)``, a
    :class:`ValuesIndices`, as ``torch.max(x, dim=...)``. For the elementwise maximum
    of two tensors use :func:`maximum`. See :class:`~tinynet.ops.reductions.Max`.
    """
    return _extremum("max", Max, argmax, x, axis, keepdims, dim, keepdim)


def min(  # noqa: A001
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Any:
    """The smallest element over *axis*; as :func:`max` (``dim=`` gives ``(values, indices)``)."""
    return _extremum("min", Min, argmin, x, axis, keepdims, dim, keepdim)


def amax(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """The largest element over *axis*, values only, whichever keyword (as ``torch.amax``)."""
    return _extremum("amax", Max, argmax, x, axis, keepdims, dim, keepdim)


def amin(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """The smallest element over *axis*, values only (as ``torch.amin``)."""
    return _extremum("amin", Min, argmin, x, axis, keepdims, dim, keepdim)


def prod(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Product over *axis* (None: all); exact gradients at zeros (see :class:`Prod`)."""
    axis, keepdims = resolve_axis("prod", axis, dim), resolve_keepdims("prod", keepdims, keepdim)
    return Prod.apply(x, axis=axis, keepdims=keepdims)


def _correction(op: str, correction: Any, ddof: Any) -> Any:
    if ddof is not None:
        if correction is not None:
            raise TypeError(
                f"{op}: got both correction={correction!r} and ddof={ddof!r}; they are the "
                "same argument (PyTorch's and numpy's names): give only one"
            )
        correction = ddof
    if correction is None:
        return 1
    if isinstance(correction, bool) or not isinstance(correction, (int, float)):
        raise TypeError(f"{op}: correction must be a number, got {type(correction).__name__}")
    return correction


def var(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    correction: float | None = None,
    ddof: float | None = None,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Variance over *axis*, divided by ``n - correction``.

    **The default is correction=1** (the unbiased estimate), as PyTorch; numpy's
    ``np.var`` divides by ``n`` (``ddof=0``). ``ddof=`` is accepted as numpy's name
    for ``correction``. See :class:`~tinynet.ops.reductions.Var`.
    """
    axis, keepdims = resolve_axis("var", axis, dim), resolve_keepdims("var", keepdims, keepdim)
    return Var.apply(
        x, axis=axis, keepdims=keepdims, correction=_correction("var", correction, ddof)
    )


def std(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    correction: float | None = None,
    ddof: float | None = None,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Standard deviation over *axis*; **default correction=1**, as PyTorch (numpy: 0).

    See :func:`var` and :class:`~tinynet.ops.reductions.Std` (NaN gradient where all
    elements of a slice are equal).
    """
    axis, keepdims = resolve_axis("std", axis, dim), resolve_keepdims("std", keepdims, keepdim)
    return Std.apply(
        x, axis=axis, keepdims=keepdims, correction=_correction("std", correction, ddof)
    )


def logsumexp(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    r""":math:`\log\sum e^{x}` over *axis*, without overflow; its gradient is the softmax."""
    axis = resolve_axis("logsumexp", axis, dim)
    keepdims = resolve_keepdims("logsumexp", keepdims, keepdim)
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)


def _arg(op: str, x: Any, axis: Any, keepdims: bool, dim: Any, keepdim: Any) -> Tensor:
    axis, keepdims = resolve_axis(op, axis, dim), resolve_keepdims(op, keepdims, keepdim)
    if axis is not None and not isinstance(axis, numbers.Integral):
        raise TypeError(f"{op}: axis must be one int or None, got {axis!r}")
    data = x.data if isinstance(x, Tensor) else asarray(x)
    if data.size == 0 or (axis is not None and data.ndim and data.shape[axis] == 0):
        raise ValueError(
            f"{op}: no index of an empty slice (input shape {data.shape}, axis {axis})"
        )
    method = getattr(data, op)
    return Tensor._wrap(xp.asarray(method(axis=axis, keepdims=keepdims)), False)


def argmax(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Index of the first largest element along *axis* (None: of the flattened tensor).

    An integer tensor without gradient. A NaN counts as the largest (as numpy and
    PyTorch): the index of the first NaN is returned.
    """
    return _arg("argmax", x, axis, keepdims, dim, keepdim)


def argmin(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Index of the first smallest element along *axis*; a NaN counts as the smallest."""
    return _arg("argmin", x, axis, keepdims, dim, keepdim)


def reshape(x: Any, shape: Any) -> Tensor:
    """The elements of *x* in a new *shape* (an int or a tuple; one entry may be ``-1``).

    As numpy's and PyTorch's ``reshape``; the result is a copy, never a view. See
    :class:`~tinynet.ops.Reshape` for the derivative.
    """
    return Reshape.apply(x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def transpose(x: Any, axes: Any = None) -> Tensor:
    r"""Permute the axes of *x* by *axes*; with ``None``, reverse them all (:math:`x^\top`).

    This is numpy's ``transpose``: PyTorch's ``torch.transpose(x, d0, d1)`` swaps two
    axes, and its ``x.permute(*axes)`` is this function. See
    :class:`~tinynet.ops.Transpose` for the derivative.
    """
    return Transpose.apply(x, axes=tuple(axes) if axes is not None else None)


def sigmoid(x: Any) -> Tensor:
    r"""Elementwise logistic sigmoid :math:`\sigma(x) = 1/(1 + e^{-x})`, computed without overflow.

    See :class:`~tinynet.ops.Sigmoid` for the derivative and the edge values.
    """
    return Sigmoid.apply(x)


def tanh(x: Any) -> Tensor:
    r"""Elementwise hyperbolic tangent :math:`\tanh x`.

    See :class:`~tinynet.ops.Tanh` for the derivative and the edge values.
    """
    return Tanh.apply(x)


def relu(x: Any) -> Tensor:
    r"""Elementwise rectified linear unit :math:`\max(0, x)`.

    See :class:`~tinynet.ops.ReLU` for the derivative and the edge values.
    """
    return ReLU.apply(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    r"""Leaky ReLU, elementwise: :math:`x` if :math:`x > 0`, else :math:`\alpha x`.

    :math:`\alpha` is *negative_slope*. As ``torch.nn.functional.leaky_relu`` (same default
    slope, 0.01). See :class:`~tinynet.ops.LeakyReLU` for the derivative and the edge values.
    """
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def softmax(x: Any, axis: int = LAST, *, dim: int | None = None) -> Tensor:
    """Softmax along *axis* (default: the last); ``dim`` is PyTorch's spelling."""
    return Softmax.apply(x, axis=resolve_axis("softmax", axis, dim))


def log_softmax(x: Any, axis: int = LAST, *, dim: int | None = None) -> Tensor:
    """Log-softmax along *axis* (default: the last); ``dim`` is PyTorch's spelling."""
    return LogSoftmax.apply(x, axis=resolve_axis("log_softmax", axis, dim))


def sin(x: Any) -> Tensor:
    r"""Elementwise sine :math:`\sin x` (:math:`x` in radians).

    See :class:`~tinynet.ops.Sin` for the derivative and the edge values.
    """
    return Sin.apply(x)


def cos(x: Any) -> Tensor:
    r"""Elementwise cosine :math:`\cos x` (:math:`x` in radians).

    See :class:`~tinynet.ops.Cos` for the derivative and the edge values.
    """
    return Cos.apply(x)
