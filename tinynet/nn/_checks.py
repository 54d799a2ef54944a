"""Argument checks shared by the layers, losses and initialisers (not public API).

numpy numbers are accepted wherever Python ones are (``Dense(np.int64(64), 10)``: sizes
often come out of numpy arithmetic), and are stored as Python ``int``/``float``;
``bool`` is refused although it is an ``int`` subclass, and so is anything that
would be truncated or parsed silently (``64.0``, ``"64"``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def as_int(owner: str, name: str, value: Any, *, minimum: int | None = None) -> int:
    """*value* as a Python ``int`` (``>= minimum``); ``TypeError``/``ValueError`` naming *owner*."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner}: {name} must be an integer (Python or numpy), got "
            f"{type(value).__name__} {value!r}"
        )
    out = int(value)
    if minimum is not None and out < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{owner}: {name} must be {what}, got {out}")
    return out


def as_float(owner: str, name: str, value: Any) -> float:
    """*value* as a finite Python ``float``; ``TypeError``/``ValueError`` naming *owner*."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}"
        )
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    return out


def as_bool(owner: str, name: str, value: Any) -> bool:
    """*value* as a Python ``bool`` (``np.bool_`` too); anything else is refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)
