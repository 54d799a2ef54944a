"""tinynet: a small, readable deep-learning framework with reverse-mode autograd.

Quick start::

    import tinynet as tn
    x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4., 6.], dtype=float32)

Submodules: :mod:`tinynet.tensor` (Tensor, autograd engine), :mod:`tinynet.ops`
(primitive operations), :mod:`tinynet.backend` (numpy/cupy), :mod:`tinynet.gradcheck`,
:mod:`tinynet.testing` (hypothesis strategies),
:mod:`tinynet.graph` (``draw_graph``, ``trace_backward``), :mod:`tinynet.nn`, :mod:`tinynet.optim`,
:mod:`tinynet.datasets`, :mod:`tinynet.creation` (``zeros``, ``randn``, ...),
:mod:`tinynet.random` (``manual_seed``). The heavier submodules are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from tinynet.autograd import AnomalyError, detect_anomaly, grad
from tinynet.backend import BackendUnavailableError, backend_name, to_numpy, xp
from tinynet.creation import (
    arange,
    full,
    full_like,
    ones,
    ones_like,
    rand,
    randn,
    zeros,
    zeros_like,
)
from tinynet.gradcheck import (
    GradcheckError,
    central_difference,
    gradcheck,
    gradgradcheck,
    hessian,
    hvp,
    numerical_grad,
)
from tinynet.graph import BackwardTrace, GraphDrawing, draw_graph, trace_backward
from tinynet.ops import (
    abs,
    amax,
    amin,
    argmax,
    argmin,
    broadcast_to,
    cat,
    clip,
    concatenate,
    cos,
    exp,
    flatten,
    leaky_relu,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    prod,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    sqrt,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from tinynet.random import manual_seed
from tinynet.tensor import (
    Function,
    Parameter,
    Tensor,
    enable_grad,
    get_default_dtype,
    is_grad_enabled,
    no_grad,
    set_default_dtype,
    tensor,
)

__version__ = "0.2.0"

float32 = xp.dtype("float32")
float64 = xp.dtype("float64")

__all__ = [
    "Tensor", "Parameter", "Function", "tensor", "no_grad", "enable_grad", "is_grad_enabled",
    "get_default_dtype", "set_default_dtype", "float32", "float64",
    "detect_anomaly", "AnomalyError", "grad",
    "draw_graph", "GraphDrawing", "trace_backward", "BackwardTrace",
    "backend_name", "to_numpy", "BackendUnavailableError", "xp",
    "gradcheck", "numerical_grad", "central_difference", "GradcheckError",
    "gradgradcheck", "hvp", "hessian",
    "exp", "log", "sin", "cos", "sqrt", "abs", "maximum", "minimum", "clip", "matmul", "sum", "mean",
    "max", "min", "amax", "amin", "prod", "var", "std", "logsumexp", "argmax", "argmin",
    "reshape", "transpose", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax",
    "where", "concatenate", "cat", "stack", "broadcast_to", "squeeze", "unsqueeze", "flatten",
    "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "randn", "rand",
    "manual_seed",
    "nn", "optim", "datasets", "data", "save", "load", "__version__",
]  # fmt: skip

_LAZY_MODULES = {"nn", "optim", "datasets", "data", "testing", "audit"}
_LAZY_ATTRS = {"save": "tinynet.serialization", "load": "tinynet.serialization"}


def __getattr__(name: str) -> Any:
    # Submodules that need more than numpy (or are rarely used) load on first access,
    # so that ``import tinynet`` stays fast and light.
    if name in _LAZY_MODULES:
        return importlib.import_module(f"tinynet.{name}")
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(_LAZY_ATTRS[name]), name)
    raise AttributeError(f"module 'tinynet' has no attribute {name!r}")
