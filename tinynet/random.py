"""tinynet's one global random generator, and :func:`manual_seed` (as ``torch.manual_seed``).

Everything random that is not given a seed or a generator of its own draws from this
one generator: the weight initialisers of :mod:`tinynet.nn.init` (so layers built
without ``seed=``), the factories :func:`tinynet.randn` and :func:`tinynet.rand`, and
the shuffling seed of a :class:`tinynet.data.DataLoader` built without ``seed=``. So

.. code-block:: python

    tn.manual_seed(0)
    model = build_model()                 # the same weights every run
    noise = tn.randn(3, 4)                # the same numbers
    loader = tn.data.DataLoader(X, y, shuffle=True)   # the same batch order

reproduces a whole script. The numbers come from numpy's ``default_rng`` (PCG64) on
the host, whatever the backend, so a seed gives the same values under numpy and cupy.
The generator starts unseeded (fresh OS entropy): without ``manual_seed`` every run
differs.

Anything seeded explicitly (``Dense(seed=...)``, ``DataLoader(seed=...)``, the
``tinynet train`` command with its ``--seed``) uses its own generator and neither
reads nor advances this one.
"""

from __future__ import annotations

import numbers
from typing import Any

# numpy is used only as a host-side random number generator.
import numpy as np

__all__ = ["manual_seed", "get_rng", "new_rng", "draw_seed"]

_rng: np.random.Generator = np.random.default_rng()


def _check_seed(owner: str, seed: Any) -> int:
    """A seed is a non-negative integer (Python or numpy), never a float or a bool."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{owner}: seed must be an integer (Python or numpy), got "
            f"{type(seed).__name__} {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"{owner}: seed must be an integer >= 0, got {int(seed)}")
    return int(seed)


def manual_seed(seed: int) -> None:
    """Reset the global generator: the random numbers that follow are reproducible.

    *seed* is a non-negative integer. Affects the weights of layers built without
    ``seed=``, :func:`tinynet.randn` / :func:`tinynet.rand`, and the order of
    ``DataLoader(shuffle=True)`` built without ``seed=`` (see the module docstring).
    """
    global _rng
    _rng = np.random.default_rng(_check_seed("manual_seed", seed))


def get_rng() -> np.random.Generator:
    """The global generator (the one :func:`manual_seed` resets)."""
    return _rng


def new_rng(seed: int | None = None, *, owner: str = "new_rng") -> np.random.Generator:
    """A generator of its own: ``numpy.random.default_rng(seed)``, e.g. for ``Dense(seed=...)``.

    *seed* is ``None`` (fresh OS entropy) or a non-negative integer; *owner* names the
    caller in the error message.
    """
    return np.random.default_rng(None if seed is None else _check_seed(owner, seed))


def draw_seed() -> int:
    """A seed drawn from the global generator (for a component that keeps its own)."""
    return int(_rng.integers(0, 2**63))
