"""tinynet's primitive operations, one :class:`~tinynet.tensor.Function` each.

=================  ==============================================================
module             operations
=================  ==============================================================
``arithmetic``     add, sub, mul, div, neg, power, matmul, affine
``elementwise``    exp, log, sqrt, abs, maximum, minimum, clip, cast, where
``reductions``     sum, mean
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
tensors also expose most of them as methods (``x.exp()``).

Every operation is differentiable to any order. Each defines its vector-Jacobian
product twice: ``backward`` on arrays, the fast path of ordinary training, and
``backward_graph`` with tinynet operations on tensors, used by
``tn.grad(..., create_graph=True)`` and ``backward(create_graph=True)``; the two give
the same numbers (property-tested in ``tests/test_ops_second_order.py``). Masks inside
a gradient (ReLU's $y > 0$, the winner of a maximum, the inside of a clip) are
constants: their derivative is 0 wherever it exists, i.e. everywhere but at the kink.

Second derivatives of linear functions. The gradient of a linear operation (add, sum,
reshape, indexing, matmul in one operand, ...) does not depend on its input: the
gradient of $3x$ is the constant 3, which carries no graph. Differentiating it again
is therefore an error in tinynet, with a message that offers both answers:
``tn.grad(g, x, materialize_grads=True)`` returns **zeros** (the true second
derivative, what ``tn.hessian`` and ``tn.gradgradcheck`` use), and
``allow_unused=True`` returns ``None`` (as ``torch.autograd.grad``). Nothing crashes
on a missing graph (DeZero's ``None.backward``) and nothing returns ``None`` where the
caller expected a tensor unless asked to.
"""

from __future__ import annotations

from typing import Any

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
from tinynet.ops.reductions import Mean, Sum
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
    "Sum", "Mean", "Reshape", "Transpose", "GetItem", "IndexAdd", "BroadcastTo", "Concatenate",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax", "Sin", "Cos",
    "CrossEntropy", "BCEWithLogits",
    "add", "sub", "mul", "div", "neg", "power", "matmul", "affine",
    "exp", "log", "sqrt", "abs", "maximum", "minimum", "clip", "cast", "where",
    "sum", "mean", "reshape", "transpose", "getitem", "index_add",
    "broadcast_to", "expand", "concatenate", "cat", "stack", "squeeze", "unsqueeze", "flatten",
    "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax", "sin", "cos",
]  # fmt: skip


def add(a: Any, b: Any) -> Tensor:
    return Add.apply(a, b)


def sub(a: Any, b: Any) -> Tensor:
    return Sub.apply(a, b)


def mul(a: Any, b: Any) -> Tensor:
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Tensor:
    return Div.apply(a, b)


def neg(x: Any) -> Tensor:
    return Neg.apply(x)


def exp(x: Any) -> Tensor:
    return Exp.apply(x)


def log(x: Any) -> Tensor:
    return Log.apply(x)


def sqrt(x: Any) -> Tensor:
    return Sqrt.apply(x)


def abs(x: Any) -> Tensor:  # noqa: A001 - mirrors numpy/torch naming
    return Abs.apply(x)


def maximum(a: Any, b: Any) -> Tensor:
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    return Minimum.apply(a, b)


def clip(x: Any, lo: float | None = None, hi: float | None = None) -> Tensor:
    return Clip.apply(x, lo=lo, hi=hi)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def reshape(x: Any, shape: Any) -> Tensor:
    return Reshape.apply(x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def transpose(x: Any, axes: Any = None) -> Tensor:
    return Transpose.apply(x, axes=tuple(axes) if axes is not None else None)


def sigmoid(x: Any) -> Tensor:
    return Sigmoid.apply(x)


def tanh(x: Any) -> Tensor:
    return Tanh.apply(x)


def relu(x: Any) -> Tensor:
    return ReLU.apply(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def softmax(x: Any, axis: int = -1) -> Tensor:
    return Softmax.apply(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return LogSoftmax.apply(x, axis=axis)


def sin(x: Any) -> Tensor:
    return Sin.apply(x)


def cos(x: Any) -> Tensor:
    return Cos.apply(x)
