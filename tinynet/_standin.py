"""A CPU **test double** of cupy's host/device boundary (``TINYNET_BACKEND=standin``).

This is *not* a GPU and not an accelerator: every array here is an ordinary numpy array
in host memory, and every computation is numpy's. It exists so that the test suite can
see, on any machine and in every CI run, the bugs that only show on a GPU: cupy refuses
to convert a device array to numpy implicitly and refuses numpy arrays as operands of a
device operation, and a numpy-only test run cannot notice code that relies on either.

What it imitates (and only this):

* :class:`DeviceArray` wraps a numpy array and is **not** a ``numpy.ndarray``. Implicit
  conversion to numpy (``numpy.asarray(d)``, ``numpy.array(d)``, any numpy function that
  converts its argument) raises ``TypeError``, as cupy does.
* Mixing a numpy array into a device operation (``d + numpy_array``, ``numpy_array * d``,
  ``numpy.add(d, numpy_array)``, ``standin.exp(numpy_array)``, ``standin.where(..)`` with a
  numpy operand) raises ``TypeError``, as cupy does. Python scalars and numpy scalars are
  allowed, as in cupy.
* The explicit copies work: ``standin.asarray(numpy_array)`` / ``standin.array(..)`` (host
  to device), ``d.get()`` / ``standin.asnumpy(d)`` (device to host, a copy).
* ``float(d)``, ``int(d)``, ``bool(d)``, ``d.item()``, ``d.tolist()`` work (cupy synchronises
  and copies for them), and reductions give 0-d device arrays, not numpy scalars.
* numpy functions called on device arrays (``numpy.exp(d)``, ``numpy.sum(d)``) run on the
  "device" and return device arrays, as cupy's ``__array_ufunc__``/``__array_function__``
  make them do.

Index arrays and values assigned by ``d[i] = v`` may be numpy arrays (cupy copies them to
the device there too). Performance, memory limits, kernels, streams and numerical
differences of a real GPU are not imitated at all.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy

__all__ = ["DeviceArray", "namespace", "asnumpy", "BoundaryError"]

_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed (tinynet's cupy stand-in, "
    "like cupy). Use .get() or asnumpy() to copy to the host explicitly."
)


class BoundaryError(TypeError):
    """A numpy array crossed into a device operation, or a device array into numpy."""


def _refuse_host(where: str, value: numpy.ndarray) -> BoundaryError:
    return BoundaryError(
        f"{where}: a numpy.ndarray (shape {value.shape}, dtype {value.dtype}) was mixed into "
        "a device operation; cupy refuses this (TypeError: Unsupported type "
        "<class 'numpy.ndarray'>). Copy it to the device explicitly with xp.asarray."
    )


def _unwrap(value: Any, where: str) -> Any:
    """Device arrays -> their numpy data; numpy arrays -> refused; containers recursively."""
    if type(value) is DeviceArray:
        return value._a
    if isinstance(value, numpy.ndarray):
        raise _refuse_host(where, value)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, where) for v in value)
    return value


def _unwrap_lenient(value: Any) -> Any:
    """Unwrap device arrays, letting numpy arrays through (indices, assigned values)."""
    if type(value) is DeviceArray:
        return value._a
    if isinstance(value, tuple):
        return tuple(_unwrap_lenient(v) for v in value)
    return value


def _wrap(value: Any) -> Any:
    """numpy results -> device arrays (numpy scalars become 0-d arrays, as in cupy)."""
    if isinstance(value, numpy.ndarray):
        return DeviceArray(value)
    if isinstance(value, numpy.generic):
        return DeviceArray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class DeviceArray:
    """An array "on the device": numpy data behind cupy's conversion rules (see module)."""

    __slots__ = ("_a", "__weakref__")
    __hash__ = None  # type: ignore[assignment]  # unhashable, like arrays

    def __init__(self, data: numpy.ndarray) -> None:
        if not isinstance(data, numpy.ndarray):
            raise TypeError(f"DeviceArray wraps a numpy.ndarray, got {type(data).__name__}")
        self._a = data

    # -- the boundary ---------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> numpy.ndarray:
        raise BoundaryError(_IMPLICIT)

    def get(self) -> numpy.ndarray:
        """Copy to the host explicitly (cupy's ``ndarray.get``)."""
        return self._a.copy()

    def __array_ufunc__(self, ufunc: numpy.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        where = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        others = inputs + tuple(kwargs.get("out", ()))
        if any(
            type(x) is not DeviceArray and not isinstance(x, numpy.ndarray)
            and hasattr(x, "__array_ufunc__") for x in others
        ):
            return NotImplemented  # e.g. a tinynet Tensor: its own __array_ufunc__ decides
        args = _unwrap(inputs, where)
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"], where)
        result = getattr(ufunc, method)(*args, **kwargs)
        return _wrap(result)

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        where = f"numpy.{func.__name__}"
        return _wrap(func(*_unwrap(args, where), **{k: _unwrap(v, where) for k, v in kwargs.items()}))

    # -- attributes and methods: numpy's, with device results ----------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # __array_interface__, __array_struct__, ...: not forwarded
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        attr = getattr(self._a, name)
        if callable(attr):
            def method(*args: Any, **kwargs: Any) -> Any:
                where = f"ndarray.{name}"
                args = _unwrap(args, where)
                kwargs = {k: _unwrap(v, where) for k, v in kwargs.items()}
                return _wrap(attr(*args, **kwargs))

            return method
        return _wrap(attr)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_a":
            object.__setattr__(self, name, value)
        else:
            setattr(self._a, name, _unwrap(value, f"ndarray.{name} ="))

    @property
    def shape(self) -> tuple[int, ...]:
        return self._a.shape

    @shape.setter
    def shape(self, value: tuple[int, ...]) -> None:
        self._a.shape = value

    @property
    def dtype(self) -> numpy.dtype:
        return self._a.dtype

    @property
    def ndim(self) -> int:
        return self._a.ndim

    @property
    def size(self) -> int:
        return self._a.size

    @property
    def T(self) -> DeviceArray:  # noqa: N802
        return DeviceArray(self._a.T)

    def item(self, *args: Any) -> Any:
        return self._a.item(*args)

    def tolist(self) -> Any:
        return self._a.tolist()

    def __repr__(self) -> str:
        return "standin." + repr(self._a)

    def __str__(self) -> str:
        return str(self._a)

    def __format__(self, spec: str) -> str:
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        return (_wrap(v) for v in self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __index__(self) -> int:
        return self._a.__index__()

    def __complex__(self) -> complex:
        return complex(self._a)

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._a[_unwrap_lenient(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[_unwrap_lenient(key)] = _unwrap_lenient(value)

    def __copy__(self) -> DeviceArray:
        return DeviceArray(self._a.copy())

    def __deepcopy__(self, memo: Any) -> DeviceArray:
        return DeviceArray(self._a.copy())

    def __reduce__(self) -> Any:
        raise BoundaryError(
            "pickling a device array of tinynet's cupy stand-in: copy it to the host first "
            "(.get())"
        )


_SCALARS = (bool, int, float, complex, numpy.generic)
#: cupy.ndarray's priority -- an operand with a higher one (a tinynet Tensor) gets the
#: reflected operator, as cupy's ``_should_use_rop`` does.
_PRIORITY = 100.0


def _binary(name: str) -> Callable[..., Any]:
    inplace = name.startswith("__i")

    def op(self: DeviceArray, other: Any) -> Any:
        where = f"ndarray.{name}"
        if type(other) is DeviceArray:
            operand = other._a
        elif isinstance(other, numpy.ndarray):
            raise _refuse_host(where, other)
        elif isinstance(other, _SCALARS):
            operand = other
        elif not inplace and getattr(other, "__array_priority__", 0.0) > _PRIORITY:
            return NotImplemented
        else:
            raise BoundaryError(
                f"{where}: Unsupported type {type(other)}; cupy takes only cupy arrays and "
                "scalars as operands here"
                + (" (an in-place operator does not defer to the other operand)" if inplace else "")
            )
        result = getattr(self._a, name)(operand)
        if result is NotImplemented:
            return result
        return self if inplace else _wrap(result)

    op.__name__ = name
    return op


for _name in (
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
    "and", "or", "xor", "lshift", "rshift", "divmod",
):
    for _fmt in ("__{}__", "__r{}__", "__i{}__"):
        _dunder = _fmt.format(_name)
        if hasattr(numpy.ndarray, _dunder):
            setattr(DeviceArray, _dunder, _binary(_dunder))
for _dunder in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
    setattr(DeviceArray, _dunder, _binary(_dunder))


def _unary(name: str) -> Callable[..., Any]:
    def op(self: DeviceArray) -> Any:
        return _wrap(getattr(self._a, name)())

    op.__name__ = name
    return op


for _dunder in ("__neg__", "__pos__", "__abs__", "__invert__"):
    setattr(DeviceArray, _dunder, _unary(_dunder))


def asnumpy(array: Any) -> numpy.ndarray:
    """Copy a device array to the host (cupy's ``asnumpy``); numpy input is copied too."""
    if type(array) is DeviceArray:
        return array._a.copy()
    return numpy.array(array)


def _to_device(data: Any, dtype: Any = None, copy: bool = False, **kwargs: Any) -> DeviceArray:
    if type(data) is DeviceArray:
        data = data._a
    elif isinstance(data, (list, tuple)):
        data = _unwrap_lenient_nested(data)
    out = numpy.array(data, dtype=dtype, copy=True, **kwargs) if copy else numpy.asarray(
        data, dtype=dtype, **kwargs
    )
    if isinstance(data, numpy.ndarray) and out is data and type(data) is not DeviceArray:
        out = out.copy()  # host -> device is always a copy
    return DeviceArray(out)


def _unwrap_lenient_nested(value: Any) -> Any:
    if type(value) is DeviceArray:
        return value._a
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap_lenient_nested(v) for v in value)
    return value


def _asarray(a: Any, dtype: Any = None, order: Any = None) -> DeviceArray:
    if type(a) is DeviceArray and (dtype is None or numpy.dtype(dtype) == a.dtype):
        return a
    return _to_device(a, dtype=dtype, order=order)


def _array(obj: Any, dtype: Any = None, copy: bool = True, order: Any = "K", ndmin: int = 0) -> DeviceArray:
    return _to_device(obj, dtype=dtype, copy=copy, order=order, ndmin=ndmin)


class _Ufunc:
    """A numpy ufunc that runs on device arrays only (its ``.at``, ``.reduce`` too)."""

    def __init__(self, ufunc: numpy.ufunc) -> None:
        self._u = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        where = f"standin.{self.__name__}"
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"], where)
        return _wrap(self._u(*_unwrap(args, where), **kwargs))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._u, name)
        if not callable(attr):
            return attr

        def method(*args: Any, **kwargs: Any) -> Any:
            where = f"standin.{self.__name__}.{name}"
            args = list(args)
            target = args[0] if args else None
            rest = [_unwrap_lenient(a) if i == 0 else a for i, a in enumerate(args[1:])]
            # ufunc.at(a, indices, b): indices may be host arrays (as in cupy), b may not
            if name == "at" and len(rest) > 1:
                rest[1] = _unwrap(rest[1], where)
            else:
                rest = [_unwrap(a, where) if i > 0 else a for i, a in enumerate(rest)]
            first = _unwrap(target, where) if target is not None else target
            return _wrap(attr(*([first] if args else []), *rest, **kwargs))

        return method


def _function(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    where = f"standin.{name}"

    def call(*args: Any, **kwargs: Any) -> Any:
        return _wrap(
            func(*_unwrap(args, where), **{k: _unwrap(v, where) for k, v in kwargs.items()})
        )

    call.__name__ = name
    call.__doc__ = f"numpy.{name} on device arrays (numpy arrays refused, as in cupy)."
    return call


class _Namespace(types.ModuleType):
    """The ``xp`` of the stand-in: numpy's names, with device arrays in and out."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"module 'standin' has no attribute {name!r}")
        try:
            attr = getattr(numpy, name)
        except AttributeError:
            raise AttributeError(
                f"the cupy stand-in has no attribute {name!r} (numpy has none either)"
            ) from None
        if isinstance(attr, numpy.ufunc):
            value: Any = _Ufunc(attr)
        elif isinstance(attr, type) or not callable(attr) or isinstance(attr, types.ModuleType):
            value = attr  # dtypes, scalar types, constants (inf, pi, newaxis)
        else:
            value = _function(name, attr)
        setattr(self, name, value)
        return value


namespace = _Namespace(
    "standin",
    "tinynet's CPU test double of cupy's host/device boundary (not a GPU; see "
    "tinynet._standin).",
)
namespace.ndarray = DeviceArray  # type: ignore[attr-defined]
namespace.asarray = _asarray  # type: ignore[attr-defined]
namespace.array = _array  # type: ignore[attr-defined]
namespace.asnumpy = asnumpy  # type: ignore[attr-defined]
namespace.ascontiguousarray = lambda a, dtype=None: _asarray(  # type: ignore[attr-defined]
    numpy.ascontiguousarray(_unwrap(a, "standin.ascontiguousarray"), dtype=dtype)
    if type(a) is DeviceArray else a, dtype=dtype
)
namespace.dtype = numpy.dtype  # type: ignore[attr-defined]
