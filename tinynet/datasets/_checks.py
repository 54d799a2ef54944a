"""Argument checks shared by the data-set loaders (not part of the public API).

numpy integers and floats are accepted wherever Python ones are (a seed drawn with
``rng.integers`` is an ``np.int64``); ``bool`` is refused although it is an ``int``
subclass, and so is anything that would be silently truncated or parsed (``1.5``,
``"3"``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def as_int(func: str, name: str, value: Any, *, minimum: int | None = None) -> int:
    """*value* as a Python ``int`` (>= *minimum*), else ``ValueError`` naming *func* and *name*."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{func}: {name} must be an integer, got {value!r}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"{func}: {name} must be an integer >= {minimum}, got {out}")
    return out


def as_fraction(func: str, name: str, value: Any) -> float:
    """*value* as a Python ``float`` strictly between 0 and 1, else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{func}: {name} must be a number strictly between 0 and 1, got {value!r}")
    out = float(value)
    if not (math.isfinite(out) and 0.0 < out < 1.0):
        raise ValueError(f"{func}: {name} must be strictly between 0 and 1, got {value!r}")
    return out
