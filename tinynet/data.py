"""Mini-batches: :func:`batches` (one pass) and :class:`DataLoader` (one pass per epoch).

Inputs may be numpy arrays, backend (cupy) arrays, Tensors or nested lists; the
first axis indexes samples. Batches are yielded as :class:`~tinynet.tensor.Tensor`\\ s
on the active backend (``requires_grad=False``):

* ``X``'s dtype is kept (a float64 array gives float64 batches) unless ``dtype=``
  is given; a nested list becomes the default float dtype (float32), as ``tensor()``.
* ``y``'s dtype is kept as well, so integer class labels stay integers.

When the data lives on the host (numpy) and the backend is cupy, only each batch is
copied to the GPU, not the whole data set.

Shuffling is reproducible: the order of epoch ``e`` is a permutation drawn from
``numpy.random.default_rng([seed, e])`` on the host (numpy, so the order is the
same under numpy and cupy). Each epoch gets a different order, and epoch ``e`` of
a resumed run sees the same order as in the original run. A shuffling loader built
without ``seed=`` draws its seed from tinynet's global generator
(:mod:`tinynet.random`), so ``tn.manual_seed(s)`` makes its order reproducible too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Host-side random permutations (see the module docstring), not array storage.
import numpy as np

from tinynet import random as _random
from tinynet.backend import HOST_ARRAY_TYPES, asarray, xp
from tinynet.tensor import Tensor

__all__ = ["batches", "DataLoader"]


def _as_source(a: Any, name: str, dtype: Any) -> Any:
    """An indexable array (host numpy or backend) for *a*."""
    if isinstance(a, Tensor):
        a = a.data
    elif not isinstance(a, (xp.ndarray, *HOST_ARRAY_TYPES)):
        a = Tensor(a).data  # lists: same dtype rules as tinynet.tensor()
    if a.ndim == 0:
        raise ValueError(f"DataLoader: {name} must have a sample axis, got a scalar")
    if dtype is not None:
        a = a.astype(dtype, copy=False)
    return a


class DataLoader:
    r"""Iterate over ``(X_batch, y_batch)`` mini-batches, one pass per ``for`` loop.

    Parameters
    ----------
    X, y:
        Inputs and (optional) targets with the same number of samples
        ``len(X) == len(y)``. Without ``y`` the loader yields ``X_batch`` alone.
    batch_size:
        Samples per batch. The last batch of an epoch has
        :math:`n - \lfloor n / b\rfloor b` samples when :math:`b` does not divide :math:`n`.
    shuffle:
        Visit the samples in a new random order each epoch (else in order).
    seed:
        Seed of the shuffling. ``None``: a seed is drawn once, from the global
        generator that ``tn.manual_seed`` resets (at construction when ``shuffle`` is
        true, else when shuffling is first needed), so the loader still gives a
        different order per epoch. A loader that does not shuffle draws nothing.
    drop_last:
        Drop the last, smaller batch (default ``False``: every sample is used each epoch).
    dtype:
        Convert ``X`` to this dtype (e.g. ``"float32"`` for numpy data that is float64).

    Notes
    -----
    The ``epoch`` attribute counts completed-or-started passes; set it to resume
    a run with the same sequence of orders (as ``DistributedSampler.set_epoch`` in PyTorch).
    """

    def __init__(
        self,
        X: Any,
        y: Any = None,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
        dtype: Any = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        self.X = _as_source(X, "X", dtype)
        self.y = None if y is None else _as_source(y, "y", None)
        if self.y is not None and len(self.y) != len(self.X):
            raise ValueError(
                f"DataLoader: X and y must have the same number of samples, got len(X)="
                f"{len(self.X)} (shape {tuple(self.X.shape)}) and len(y)={len(self.y)} "
                f"(shape {tuple(self.y.shape)})"
            )
        self.batch_size = batch_size
        self.shuffle = shuffle
        # Fixing a seed now, even when none is given, makes each epoch's order a pure
        # function of (seed, epoch); it comes from the global generator (tn.manual_seed).
        if seed is None and shuffle:
            seed = _random.draw_seed()
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0

    def __len__(self) -> int:
        """The number of batches per epoch."""
        n = len(self.X)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices of *epoch*, in the order they will be visited (host array)."""
        n = len(self.X)
        if not self.shuffle:
            return np.arange(n)
        if self.seed is None:  # shuffling switched on after construction
            self.seed = _random.draw_seed()
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def _take(self, a: Any, idx: np.ndarray) -> Tensor:
        if isinstance(a, HOST_ARRAY_TYPES):
            batch = a[idx]  # index on the host, then move only the batch
        else:
            batch = a[asarray(idx)]
        return Tensor(asarray(batch))

    def __iter__(self) -> Iterator[Any]:
        order = self.order(self.epoch)
        self.epoch += 1
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, len(order)), self.batch_size):
            idx = order[start : start + self.batch_size]
            xb = self._take(self.X, idx)
            if self.y is None:
                yield xb
            else:
                yield xb, self._take(self.y, idx)


def batches(
    X: Any,
    y: Any = None,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = None,
    drop_last: bool = False,
    epoch: int = 0,
    dtype: Any = None,
) -> Iterator[Any]:
    """One pass over *X* (and *y*) in mini-batches; yields Tensors.

    Same arguments as :class:`DataLoader`; *epoch* selects which of its orders to
    use, so ``batches(X, y, shuffle=True, seed=s, epoch=e)`` for ``e = 0, 1, ...``
    gives a different, reproducible order each epoch. The last partial batch is kept
    unless ``drop_last=True``.

    Example::

        for epoch in range(10):
            for xb, yb in batches(X, y, batch_size=64, shuffle=True, seed=0, epoch=epoch):
                ...
    """
    loader = DataLoader(X, y, batch_size, shuffle, seed, drop_last, dtype)
    loader.epoch = epoch
    return iter(loader)
