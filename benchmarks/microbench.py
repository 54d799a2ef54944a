"""Per-operation overhead: ``(a * b + c).sum()``, forward and backward, on 10x10 float32.

The arrays are so small that the arithmetic costs next to nothing; what is measured
is the price of the framework's machinery: creating tensors and graph nodes,
dispatch, the topological sort and the gradient bookkeeping of backward.

Each case does one complete iteration: clear the gradients of the three leaves,
build the expression, backpropagate. "numpy" is the same arithmetic written out by
hand (forward, then the three gradients), i.e. the cost of the array calls alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy

SHAPE = (10, 10)
#: iterations per timed call (one iteration takes only microseconds)
INNER = 200


def _host_arrays() -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    rng = numpy.random.default_rng(0)
    return tuple(rng.standard_normal(SHAPE).astype("float32") for _ in range(3))  # type: ignore[return-value]


Case = tuple[Callable[[], None], Callable[[], list[numpy.ndarray]]]


def numpy_case() -> Case:
    a, b, c = _host_arrays()
    last: list[numpy.ndarray] = []

    def run() -> None:
        y = a * b
        z = y + c
        z.sum()
        gz = numpy.ones_like(z)  # d(sum)/dz, broadcast back to z's shape
        ga = gz * b
        gb = gz * a
        gc = gz
        last[:] = [ga, gb, gc]

    return run, lambda: list(last)


def tinynet_case() -> Case:
    import tinynet as tn

    a, b, c = (tn.Tensor(x, requires_grad=True) for x in _host_arrays())

    def run() -> None:
        a.grad = b.grad = c.grad = None
        (a * b + c).sum().backward()

    return run, lambda: [tn.to_numpy(t.grad) for t in (a, b, c)]


def torch_case() -> Case:
    import torch

    a, b, c = (torch.tensor(x, requires_grad=True) for x in _host_arrays())

    def run() -> None:
        a.grad = b.grad = c.grad = None
        (a * b + c).sum().backward()

    return run, lambda: [t.grad.numpy() for t in (a, b, c)]


def dezero_case() -> Case:
    from benchmarks.impl_dezero import import_dezero

    dezero = import_dezero()
    a, b, c = (dezero.Variable(x) for x in _host_arrays())

    def run() -> None:
        a.cleargrad()
        b.cleargrad()
        c.cleargrad()
        (a * b + c).sum().backward()

    return run, lambda: [numpy.asarray(t.grad.data) for t in (a, b, c)]


CASES: dict[str, Callable[[], Case]] = {
    "numpy": numpy_case,
    "tinynet": tinynet_case,
    "torch": torch_case,
    "dezero": dezero_case,
}


def gradient_error(grads: list[numpy.ndarray]) -> float:
    """Max |difference| from the analytic gradients (b, a, 1) of ``sum(a*b + c)``."""
    a, b, c = _host_arrays()
    expected = [b, a, numpy.ones_like(c)]
    return max(float(numpy.abs(g - e).max()) for g, e in zip(grads, expected))
