r"""Hypothesis strategies for property-testing operations (public API for instructors).

Requires the ``hypothesis`` package (``pip install "tinynet[dev]"``). A learner's new
operation can be checked against finite differences in a few lines::

    from hypothesis import given
    import tinynet as tn
    from tinynet.testing import float64_tensors, shapes

    @given(float64_tensors(shapes()))
    def test_my_softplus(x):
        assert tn.gradcheck(lambda t: (1 + t.exp()).log(), x)

The value strategies keep numbers in a moderate range (default ``[-3, 3]``) and away
from where finite differences are unreliable: kinks (``away_from``), poles and
logarithms of small numbers (``positive_arrays``), and overflow.

A second family draws the **edge values** :math:`\infty`, :math:`-\infty`, NaN,
:math:`0` and :math:`-0.0` alongside ordinary numbers (:func:`edge_arrays`,
:func:`edge_tensors`), to check that an operation gives the IEEE value there (for
example ``relu(-inf) == 0``, ``exp(-inf) == 0`` with gradient 0, NaN in gives NaN out)
rather than a NaN produced by ``-inf * 0`` inside its formula::

    import numpy as np
    from tinynet.testing import edge_tensors

    @given(edge_tensors(shapes()))
    def test_my_relu_at_edges(x):
        y = my_relu(x).numpy()
        ref = np.where(np.isnan(x.numpy()), np.nan, np.maximum(x.numpy(), 0))
        np.testing.assert_array_equal(y, ref)  # NaN where ref is NaN, exact elsewhere

Finite differences cannot check gradients at :math:`\pm\infty` or NaN; compare them
with the limits of the derivative instead, and keep :func:`float64_arrays` for the
finite-difference checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as exc:  # pragma: no cover - exercised only without the dev extra
    raise ImportError(
        "tinynet.testing needs the 'hypothesis' package: pip install 'tinynet[dev]' "
        "(or pip install hypothesis)"
    ) from exc

from tinynet.tensor import Tensor

__all__ = [
    "shapes",
    "broadcastable_shapes",
    "matmul_shapes",
    "float64_arrays",
    "positive_arrays",
    "away_from",
    "float64_tensors",
    "as_tensor",
    "EDGE_VALUES",
    "edge_floats",
    "edge_arrays",
    "edge_tensors",
    "run_check",
]

#: The IEEE special values every operation should be tested at -- :math:`\pm\infty`, NaN
#: and both zeros (:math:`-0.0` has its own sign bit: ``1 / -0.0 == -inf``).
EDGE_VALUES: tuple[float, ...] = (float("inf"), float("-inf"), float("nan"), 0.0, -0.0)


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy:
    """Array shapes such as ``()``, ``(3,)`` or ``(2, 1, 4)``."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(
    num_shapes: int = 2, max_dims: int = 3, max_side: int = 4
) -> st.SearchStrategy:
    """Tuples of *num_shapes* shapes that broadcast together (some with size-1 or missing axes)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda b: b.input_shapes)


@st.composite
def matmul_shapes(
    draw: Any, batch: bool = True, max_side: int = 4
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shape pairs valid for ``a @ b``: ``(n,k),(k,m)``, 1-D operands, and broadcast batches."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    kind = draw(st.sampled_from(["2d", "vec-left", "vec-right", "batched"] if batch else ["2d"]))
    if kind == "vec-left":
        return (k,), (k, m)
    if kind == "vec-right":
        return (n, k), (k,)
    if kind == "batched":
        b = draw(st.integers(1, 3))
        left_batch = draw(st.sampled_from([(b,), (1,), ()]))
        right_batch = draw(st.sampled_from([(b,), (1,), ()]))
        return left_batch + (n, k), right_batch + (k, m)
    return (n, k), (k, m)


def float64_arrays(
    shape: Any,
    min_value: float = -3.0,
    max_value: float = 3.0,
    edge_values: bool = True,
) -> st.SearchStrategy:
    """float64 arrays of *shape* (a shape or a strategy of shapes) with finite values.

    With ``edge_values`` the bounds themselves and 0 are drawn more often, so tests
    also visit the ends of the range. Subnormal numbers are excluded: they carry too
    few digits for finite differences.
    """
    elements = st.floats(
        min_value=min_value,
        max_value=max_value,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
        width=64,
    )
    if edge_values:
        edges = [v for v in (min_value, max_value, 0.0) if min_value <= v <= max_value]
        elements = st.one_of(elements, st.sampled_from(edges))
    return hnp.arrays(np.float64, shape, elements=elements)


def positive_arrays(
    shape: Any, min_value: float = 0.2, max_value: float = 4.0
) -> st.SearchStrategy:
    """float64 arrays bounded away from 0, for ``log``, ``sqrt`` and denominators."""
    return float64_arrays(shape, min_value=min_value, max_value=max_value)


def away_from(
    strategy: st.SearchStrategy, kinks: tuple[float, ...] = (0.0,), margin: float = 1e-3
) -> st.SearchStrategy:
    """Push every element of the arrays drawn from *strategy* at least *margin* from each kink.

    Finite differences straddling a kink (ReLU, ``abs`` at 0, ``clip`` at its bounds)
    average two slopes and cannot be compared with the one-sided analytic derivative.
    """

    def push(a: np.ndarray) -> np.ndarray:
        a = np.array(a, dtype=np.float64, copy=True)
        for kink in kinks:
            near = np.abs(a - kink) < margin
            a[near] = kink + np.where(a[near] >= kink, margin, -margin) * 2
        return a

    return strategy.map(push)


def as_tensor(array: np.ndarray, requires_grad: bool = True) -> Tensor:
    """Wrap a drawn numpy array as a float64 tensor that requires a gradient."""
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def float64_tensors(shape: Any, **kwargs: Any) -> st.SearchStrategy:
    """float64 tensors with ``requires_grad=True``; keyword arguments go to :func:`float64_arrays`."""
    return float64_arrays(shape, **kwargs).map(as_tensor)


def edge_floats(
    min_value: float = -3.0,
    max_value: float = 3.0,
    extra: tuple[float, ...] = (),
    edges: tuple[float, ...] = EDGE_VALUES,
    width: int = 64,
) -> st.SearchStrategy:
    """Single floats: ordinary finite numbers in ``[min_value, max_value]``, mixed with
    the IEEE *edges* (about half the draws) and the op-specific values in *extra*
    (kinks, bounds, 1 for powers, ...), which are drawn as often as each edge.

    Subnormal numbers are excluded, as in :func:`float64_arrays`. With ``width=32`` the
    ordinary numbers are float32 values that are normal in float32 (the bounds are
    rounded inwards to float32).
    """
    if width == 32:
        lo, hi = np.float32(min_value), np.float32(max_value)
        min_value = float(lo if lo >= min_value else np.nextafter(lo, np.float32(np.inf)))
        max_value = float(hi if hi <= max_value else np.nextafter(hi, np.float32(-np.inf)))
    ordinary = st.floats(
        min_value=min_value,
        max_value=max_value,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
        width=width,
    )
    special = tuple(edges) + tuple(extra)
    if not special:
        return ordinary
    return st.one_of(ordinary, st.sampled_from(special))


def edge_arrays(
    shape: Any,
    min_value: float = -3.0,
    max_value: float = 3.0,
    extra: tuple[float, ...] = (),
    edges: tuple[float, ...] = EDGE_VALUES,
    dtype: Any = np.float64,
) -> st.SearchStrategy:
    """Arrays of *shape* (a shape or a strategy of shapes) whose elements come from
    :func:`edge_floats`: ordinary numbers mixed with inf, -inf, NaN, 0, -0.0 and *extra*.

    *dtype* may be ``np.float32``: the ordinary numbers are then normal float32 values
    (a float64 draw such as ``1e-45`` would become a float32 subnormal, where
    ``1 / x`` overflows) and *extra* values are rounded to float32.
    """
    width = 32 if np.dtype(dtype) == np.float32 else 64
    elements = edge_floats(min_value, max_value, extra=extra, edges=edges, width=width)
    # drawn as float64 and rounded once (exact for the ordinary numbers and the edges),
    # since hypothesis refuses float32 elements such as an *extra* 0.1
    return hnp.arrays(np.float64, shape, elements=elements).map(
        lambda a: np.asarray(a, dtype=dtype)
    )


def edge_tensors(shape: Any, requires_grad: bool = True, **kwargs: Any) -> st.SearchStrategy:
    """Tensors from :func:`edge_arrays` (float64 unless ``dtype=`` says otherwise),
    requiring a gradient by default; keyword arguments go to :func:`edge_arrays`."""
    return edge_arrays(shape, **kwargs).map(
        lambda a: Tensor(a, requires_grad=requires_grad, dtype=a.dtype)
    )


def run_check(exercise: str, test: Callable[[], Any]) -> bool:
    """Run an exercise's *test* and print one line: ``correct`` or ``not done yet``.

    The teaching notebooks' exercises use this pattern: the learner's answer cell starts
    as a stub that raises :class:`NotImplementedError`, and a check cell calls
    ``run_check("Exercise 1", test)`` where ``test`` compares the answer with finite
    differences (:func:`tinynet.gradcheck`) on inputs drawn by these strategies. A stub
    reports "not done yet"; a wrong answer raises the check's own error, with its report.
    Returns whether the test passed.
    """
    try:
        test()
    except NotImplementedError:
        print(f"{exercise}: not done yet - fill in the answer cell above")
        return False
    print(f"{exercise}: correct")
    return True
