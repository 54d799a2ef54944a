"""Small helpers shared by the checks: tinynet's side (autograd, finite differences)
and the documents' side (plain numpy float64 arithmetic).

Naming rule used in every check module: functions and variables prefixed ``doc_``
evaluate a formula **as the document writes it**, in plain numpy; everything computed
through :mod:`tinynet` (tensors, ``backward``, ``numerical_grad``, optimizers) is the
reference it is compared with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import tinynet as tn
from tinynet.audit.core import FD_TOL, Evidence, Tally
from tinynet.tensor import Tensor

__all__ = [
    "t64",
    "param64",
    "host",
    "autograd",
    "finite_diff",
    "flat",
    "CheckedAutograd",
    "doc_sigmoid",
    "doc_dsigmoid",
]


def t64(a: Any, requires_grad: bool = False) -> Tensor:
    """A float64 tinynet tensor holding a copy of *a*."""
    return tn.tensor(np.array(a, dtype=np.float64), dtype="float64", requires_grad=requires_grad)


def param64(a: Any) -> tn.Parameter:
    """A float64 :class:`tinynet.Parameter` holding a copy of *a*."""
    return tn.Parameter(np.array(a, dtype=np.float64))


def host(a: Any) -> np.ndarray:
    """A host numpy float64 copy of a tensor, a backend array or a number."""
    if isinstance(a, Tensor):
        a = a.data
    return np.array(tn.to_numpy(a), dtype=np.float64)


def autograd(fn: Callable[..., Tensor], *arrays: Any) -> tuple[float, list[np.ndarray]]:
    """``fn(*tensors)`` and its gradients by tinynet's reverse mode (``Tensor.backward``).

    Every array becomes a float64 tensor with ``requires_grad=True``; *fn* must return a
    one-element tensor. Returns ``(value, [d fn / d array, ...])`` as host arrays.
    """
    ts = [t64(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward()
    grads = [np.zeros(t.shape) if t.grad is None else host(t.grad) for t in ts]
    return float(out.item()), grads


def finite_diff(fn: Callable[..., Tensor], *arrays: Any) -> list[np.ndarray]:
    """Central differences of ``fn`` at *arrays* by :func:`tinynet.numerical_grad` (float64)."""
    ts = [t64(a, requires_grad=True) for a in arrays]
    grads = tn.numerical_grad(fn, *ts)
    return [np.asarray(g, dtype=np.float64) for g in grads]


class CheckedAutograd:
    """tinynet's reverse-mode gradients for a check, with tinynet's backward checked on the side.

    A check compares the document's gradient formulas with autograd; autograd is only
    a fair referee if it agrees with central finite differences, so every check that
    differentiates keeps one of these:

    * :meth:`grads` returns what :func:`autograd` returns and, with ``fd=True``, compares
      the gradients with :func:`finite_diff` of the same function (the costly part:
      checks do it on every few draws);
    * :meth:`add` compares gradients obtained otherwise (e.g. through ``retain_grad``);
    * :meth:`require` demands agreement (:meth:`~tinynet.audit.core.Evidence.require`):
      a broken backward makes the check fail (``error``) instead of blaming the document.
    """

    def __init__(self, what: str = "tinynet autograd vs finite differences") -> None:
        self.tally = Tally(what, FD_TOL)

    def grads(
        self, fn: Callable[..., Tensor], *arrays: Any, fd: bool = True
    ) -> tuple[float, list[np.ndarray]]:
        value, grads = autograd(fn, *arrays)
        if fd:
            self.add(grads, fn, *arrays)
        return value, grads

    def add(self, grads: Sequence[np.ndarray], fn: Callable[..., Tensor], *arrays: Any) -> None:
        """Compare *grads* (of *fn* at *arrays*, one per array) with central differences."""
        self.tally.add(flat(grads), flat(finite_diff(fn, *arrays)))

    def require(self, ev: Evidence, why: str = "tinynet's backward is wrong") -> None:
        ev.require(self.tally, why)


def doc_sigmoid(x: Any) -> np.ndarray:
    """The documents' sigmoid, as printed: ``1 / (1 + e^{-x})`` (``001`` line 579, ``003`` line 618)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def doc_dsigmoid(x: Any) -> np.ndarray:
    r"""The textbook derivative :math:`\sigma'(x) = \sigma(x)(1-\sigma(x))` in plain numpy."""
    s = doc_sigmoid(x)
    return s * (1.0 - s)


def flat(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate arrays into one vector (to compare several gradients at once)."""
    return np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays])
