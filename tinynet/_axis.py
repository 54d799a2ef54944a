"""PyTorch's ``dim=`` / ``keepdim=`` as aliases of numpy's ``axis=`` / ``keepdims=``.

tinynet names the axis of a reduction ``axis`` (numpy's word) and its "keep the reduced
axes" flag ``keepdims``. Learners coming from PyTorch type ``dim=`` and ``keepdim=``;
every function, method and module that takes ``axis`` also takes ``dim`` (keyword
only), with the same meaning. Giving both spellings is a ``TypeError`` that names
both, never a silent choice of one.

A default of ``-1`` (softmax) is :data:`LAST`, an ``int`` equal to -1 that the helper
recognises by identity, so that ``softmax(x, axis=-1, dim=0)`` is still refused.
"""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["LAST", "resolve_axis", "resolve_keepdims"]


class _DefaultAxis(int):
    """An ``int`` default that can tell "not given" from an explicit value (by identity)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return int.__repr__(self)


#: The default ``axis=-1`` of softmax and log_softmax (the last axis).
LAST = _DefaultAxis(-1)


def _both(op: str, name: str, first: Any, alias: str, second: Any) -> TypeError:
    return TypeError(
        f"{op}: got both {name}={first!r} and {alias}={second!r}; they are the same "
        f"argument ({name} is numpy's name, which tinynet uses; {alias} is PyTorch's): "
        "give only one"
    )


def resolve_axis(op: str, axis: Any, dim: Any) -> Any:
    """The axis given as numpy's ``axis=`` or PyTorch's ``dim=`` (``None``: not given).

    Raises ``TypeError`` naming *op* when both are given, and when the axis is a
    tensor (PyTorch's ``x.max(other)`` is tinynet's elementwise ``tn.maximum``).
    """
    if dim is not None:
        if axis is not None and axis is not LAST:
            raise _both(op, "axis", axis, "dim", dim)
        axis = dim
    elif axis is LAST:
        return -1
    if axis is not None and not isinstance(axis, (numbers.Integral, tuple, list)):
        hint = ""
        if hasattr(axis, "shape") and op in ("max", "min", "amax", "amin"):
            pair = "maximum" if op in ("max", "amax") else "minimum"
            hint = f"; for the elementwise {pair} of two tensors (PyTorch's x.{op}(other)) use tn.{pair}(a, b)"
        raise TypeError(
            f"{op}: axis must be an int, a tuple of ints or None, got {type(axis).__name__}{hint}"
        )
    return axis


def resolve_keepdims(op: str, keepdims: bool, keepdim: bool | None) -> bool:
    """``keepdims`` (numpy) or its PyTorch spelling ``keepdim``; both given is an error."""
    if keepdim is None:
        return keepdims
    if keepdims:
        raise _both(op, "keepdims", keepdims, "keepdim", keepdim)
    return bool(keepdim)
