"""tinynet's primitive operations, one :class:`~tinynet.tensor.Function` each.

=================  ==============================================================
module             operations
=================  ==============================================================
``arithmetic``     add, sub, mul, div, neg, power, matmul, affine
``elementwise``    exp, log, sqrt, abs, maximum, minimum, clip, cast
``reductions``     sum, mean
``shape``          reshape, transpose, getitem
``activations``    sigmoid, tanh, relu, leaky_relu, softmax, log_softmax
``trigonometric``  sin, cos
=================  ==============================================================

The lower-case functions below are the functional forms (``tinynet.ops.exp(x)``);
tensors also expose most of them as methods (``x.exp()``).
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
from tinynet.ops.elementwise import Abs, Cast, Clip, Exp, Log, Maximum, Minimum, Sqrt, cast
from tinynet.ops.reductions import Mean, Sum
from tinynet.ops.shape import GetItem, Reshape, Transpose, getitem
from tinynet.ops.trigonometric import Cos, Sin
from tinynet.tensor import Tensor

__all__ = [
    "Add", "Sub", "Mul", "Div", "Neg", "Pow", "PowConst", "MatMul", "Affine",
    "Exp", "Log", "Sqrt", "Abs", "Maximum", "Minimum", "Clip", "Cast",
    "Sum", "Mean", "Reshape", "Transpose", "GetItem",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax", "Sin", "Cos",
    "add", "sub", "mul", "div", "neg", "power", "matmul", "affine",
    "exp", "log", "sqrt", "abs", "maximum", "minimum", "clip", "cast",
    "sum", "mean", "reshape", "transpose", "getitem",
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
