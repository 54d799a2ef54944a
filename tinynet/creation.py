"""Factories: new tensors filled with zeros, ones, a value, a range or random numbers.

Each takes the shape as integers or one tuple (``tn.zeros(2, 3)`` and
``tn.zeros((2, 3))`` are the same), an optional ``dtype`` and ``requires_grad``, as in
PyTorch:

* the default ``dtype`` is the default float dtype (float32, see
  :func:`tinynet.set_default_dtype`), except ``full`` with an integer or bool value and
  ``arange`` with integer arguments, which give ``int64`` and ``bool`` like PyTorch;
* ``requires_grad=True`` needs a float dtype (only real numbers have gradients);
* a negative size, a non-integer size or a bad dtype is an error naming the factory.

``randn`` and ``rand`` draw from tinynet's global generator (:mod:`tinynet.random`),
so ``tn.manual_seed(s)`` makes them reproducible. They draw on the host with numpy,
in the requested float dtype, and then move the numbers to the active backend: the
same seed gives the same numbers under numpy and cupy. ``rand`` is uniform on
:math:`[0, 1)`: 1 is never returned, in any dtype.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

# numpy is used only for host-side random numbers (see the module docstring).
import numpy as np

from tinynet import random as _random
from tinynet.backend import asarray, xp
from tinynet.tensor import Tensor, get_default_dtype

__all__ = [
    "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "randn", "rand",
]  # fmt: skip


def _shape(op: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    """``(2, 3)`` from ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``; sizes checked."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
            raise TypeError(
                f"{op}: the shape must be integers, got {type(n).__name__} {n!r} in "
                f"{tuple(size)} (give it as {op}(2, 3) or {op}((2, 3)))"
            )
        if n < 0:
            raise ValueError(f"{op}: sizes must be non-negative, got shape {tuple(size)}")
    return tuple(int(n) for n in size)


def _dtype(op: str, dtype: Any, default: Any = None) -> Any:
    if dtype is None:
        return get_default_dtype() if default is None else xp.dtype(default)
    try:
        dt = xp.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype (say 'float32', 'int64', ...)") from None
    if dt.kind not in "fiub":
        raise TypeError(f"{op}: unsupported dtype {dt}; expected a float, integer or bool dtype")
    return dt


def _wrap(op: str, array: Any, requires_grad: bool) -> Tensor:
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(
            f"{op}: only floating-point tensors can require gradients, got dtype {array.dtype}"
        )
    return Tensor._wrap(array, bool(requires_grad))


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of shape *size* (``tn.zeros(2, 3)`` or ``tn.zeros((2, 3))``)."""
    shape, dt = _shape("zeros", size), _dtype("zeros", dtype)
    return _wrap("zeros", xp.zeros(shape, dtype=dt), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of shape *size*."""
    shape, dt = _shape("ones", size), _dtype("ones", dtype)
    return _wrap("ones", xp.ones(shape, dtype=dt), requires_grad)


def _fill_dtype(op: str, fill_value: Any, dtype: Any) -> Any:
    """``full``'s dtype: bool for a bool value, int64 for an integer, else the float default."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if isinstance(fill_value, (bool, np.bool_)):
        default = "bool"
    elif isinstance(fill_value, numbers.Integral):
        default = "int64"
    elif isinstance(fill_value, numbers.Real):
        default = None
    else:
        raise TypeError(
            f"{op}: fill_value must be a real number or a bool, got "
            f"{type(fill_value).__name__} {fill_value!r}"
        )
    dt = _dtype(op, dtype, default)
    if dt.kind in "iub" and isinstance(fill_value, numbers.Real) and not math.isfinite(fill_value):
        raise ValueError(f"{op}: an integer or bool dtype {dt} has no {fill_value!r}")
    return fill_value, dt


def full(size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape *size* (a tuple, or one int) filled with *fill_value*.

    The dtype follows the value (as ``torch.full``): a float gives the default float
    dtype, an integer ``int64``, a bool ``bool``; ``dtype=`` overrides it.
    """
    shape = _shape("full", (size,) if isinstance(size, numbers.Integral) else (tuple(size),))
    value, dt = _fill_dtype("full", fill_value, dtype)
    return _wrap("full", xp.full(shape, value, dtype=dt), requires_grad)


def _like(op: str, x: Any, dtype: Any) -> tuple[tuple[int, ...], Any]:
    if isinstance(x, Tensor) or (hasattr(x, "shape") and hasattr(x, "dtype")):
        shape, own = tuple(x.shape), x.dtype
    else:
        raise TypeError(f"{op}: expected a Tensor or an array, got {type(x).__name__}")
    return shape, _dtype(op, dtype, own)


def zeros_like(x: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape and dtype of *x* (a tensor or an array); *dtype* overrides."""
    shape, dt = _like("zeros_like", x, dtype)
    return _wrap("zeros_like", xp.zeros(shape, dtype=dt), requires_grad)


def ones_like(x: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape and dtype of *x*; *dtype* overrides."""
    shape, dt = _like("ones_like", x, dtype)
    return _wrap("ones_like", xp.ones(shape, dtype=dt), requires_grad)


def full_like(x: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """*fill_value* everywhere, with the shape and dtype of *x*; *dtype* overrides."""
    shape, dt = _like("full_like", x, dtype)
    value, dt = _fill_dtype("full_like", fill_value, dt)
    return _wrap("full_like", xp.full(shape, value, dtype=dt), requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The numbers ``start, start + step, ...`` below *end* (``arange(n)`` is ``0 .. n-1``).

    All-integer arguments give ``int64`` (as PyTorch), any float the default float
    dtype. The length is :math:`\\lceil (end - start) / step \\rceil`. Refused: a step
    of 0, a non-finite bound, and an *end* on the wrong side of *start* for the sign
    of *step* (PyTorch refuses it too; numpy returns an empty array).
    """
    if end is None:
        start, end = 0, start
    args = {"start": start, "end": end, "step": step}
    for name, v in args.items():
        if isinstance(v, Tensor):
            v = args[name] = v.item()
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"arange: {name} must be a real number, got {type(v).__name__} {v!r}")
        if not math.isfinite(v):
            raise ValueError(f"arange: {name} must be finite, got {v}")
    start, end, step = args["start"], args["end"], args["step"]
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if (end - start) * step < 0:
        raise ValueError(
            f"arange: end {end} cannot be reached from start {start} with step {step} "
            "(the step's sign points away from it)"
        )
    integers = all(isinstance(v, numbers.Integral) for v in args.values())
    dt = _dtype("arange", dtype, "int64" if integers else None)
    # computed in int64 or float64, then converted: the values do not depend on dtype
    array = xp.arange(start, end, step, dtype="int64" if integers else "float64")
    return _wrap("arange", array.astype(dt, copy=False), requires_grad)


def _random_dtype(op: str, dtype: Any) -> Any:
    dt = _dtype(op, dtype)
    if dt.kind != "f":
        raise TypeError(f"{op}: random numbers need a floating dtype, got {dt}")
    return dt


def _draw(dt: Any, draw: Any) -> Any:
    """Host numbers in *dt*: drawn directly in float32/float64, else in float64 and cast."""
    native = dt if dt in (np.dtype("float32"), np.dtype("float64")) else np.dtype("float64")
    return draw(native).astype(dt, copy=False)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal distribution :math:`N(0, 1)`, shape *size*.

    Drawn from the global generator (``tn.manual_seed`` makes them reproducible).
    """
    shape, dt = _shape("randn", size), _random_dtype("randn", dtype)
    rng = _random.get_rng()
    values = _draw(dt, lambda d: rng.standard_normal(shape, dtype=d))
    return _wrap("randn", asarray(values), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on :math:`[0, 1)`, shape *size*.

    Drawn from the global generator (``tn.manual_seed`` makes them reproducible), in
    the requested dtype, so rounding can never produce 1.
    """
    shape, dt = _shape("rand", size), _random_dtype("rand", dtype)
    rng = _random.get_rng()
    values = _draw(dt, lambda d: rng.random(shape, dtype=d))
    if values.dtype not in (np.dtype("float32"), np.dtype("float64")):
        # float16: a float64 number just below 1 may round up to 1
        values = np.minimum(values, np.nextafter(values.dtype.type(1), values.dtype.type(0)))
    return _wrap("rand", asarray(values), requires_grad)
