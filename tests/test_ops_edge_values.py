"""Every op at the IEEE edge values: +-inf, NaN, 0 and -0.0 (issue 9, item 4).

For each op the forward is compared with a reference written independently from the
IEEE 754 rules (Python's ``math`` and float arithmetic, with the special cases spelled
out), NaN exactly where the reference is NaN, the same infinities, and the finite
values close. The gradients at the edge values are compared with the documented
limits of the derivative (the table in each op's docstring); where the function is
finite and flat around an edge point (``x**0`` at 0, ``0**b`` in ``b``, ``exp`` at
-inf) central finite differences confirm the limit independently. Each op is also run
with every numpy floating-point warning turned into an error: an inf or NaN that is
the correct answer must not come with a ``RuntimeWarning``.

The inputs come from :func:`tinynet.testing.edge_arrays`, which mixes the edge values
with ordinary numbers, so the same draws also cover the ordinary points.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet import ops
from tinynet.testing import (
    EDGE_VALUES,
    broadcastable_shapes,
    edge_arrays,
    edge_floats,
    edge_tensors,
    float64_arrays,
    shapes,
)

INF, NAN = math.inf, math.nan
FLOATS = [np.float32, np.float64]
EXAMPLES = settings(max_examples=25)


# --------------------------------------------------------------------------- helpers
def assert_ieee_close(actual, expected, rtol: float, what: str = "") -> None:
    """NaN exactly where *expected* is NaN, the same signed infinities, finite values close.

    *expected* (float64) is first rounded to the dtype of *actual*, as IEEE rounds the
    exact result: a float32 op overflows to inf where the float64 reference is 1e50.
    """
    actual = tn.to_numpy(actual)
    with np.errstate(over="ignore"):
        expected = np.asarray(expected, dtype=np.float64).astype(actual.dtype).astype(np.float64)
    actual = actual.astype(np.float64)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    assert np.array_equal(nan_a, nan_e), (
        f"{what}: NaN at {np.argwhere(nan_a != nan_e)}\n{actual}\n{expected}"
    )
    inf_e = np.isinf(expected)
    assert np.array_equal(np.isinf(actual), inf_e), f"{what}: inf mismatch\n{actual}\n{expected}"
    assert np.array_equal(actual[inf_e], expected[inf_e]), f"{what}: inf sign\n{actual}\n{expected}"
    finite = ~(nan_e | inf_e)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=rtol, atol=rtol, err_msg=what)


def run(fn: Callable, *inputs: tn.Tensor, seed=None) -> tuple[tn.Tensor, list]:
    """``fn(*inputs)`` and its backward with *seed* (ones by default).

    Every warning is an error except numpy's floating-point ``RuntimeWarning``: the
    hot-path operations (``+ - * /``, ``@``, sums) leave numpy's warnings about inf and
    NaN operands on, for speed (see ``tinynet.ops.arithmetic``); the values are what
    these tests check."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", RuntimeWarning)
        y = fn(*inputs)
        g = np.ones(y.shape) if seed is None else seed
        y.backward(tn.tensor(np.asarray(g, dtype=y.dtype), dtype=y.dtype))
    return y, [t.grad for t in inputs]


def tol(dtype) -> float:
    return 2e-6 if dtype == np.float32 else 1e-12


def elementwise(f: Callable[[float], float], *arrays: np.ndarray) -> np.ndarray:
    """Apply a scalar reference to arrays (broadcast), in float64."""
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in arrays])
    out = np.empty(arrays[0].shape)
    for idx in np.ndindex(out.shape):
        out[idx] = f(*(float(a[idx]) for a in arrays))
    return out


def sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Reference un-broadcasting: sum a gradient of the broadcast shape down to *shape*."""
    with np.errstate(invalid="ignore", over="ignore"):
        while g.ndim > len(shape):
            g = g.sum(axis=0)
        for i, n in enumerate(shape):
            if n == 1 and g.shape[i] != 1:
                g = g.sum(axis=i, keepdims=True)
    return g


# --------------------------------------------------------------------------- references
# Each returns (value, derivative) of a scalar function at a float, from the IEEE rules
# and the documented limits. Python's float arithmetic is IEEE (inf - inf is nan,
# 0 * inf is nan) except that it raises on division by zero, hence the explicit cases.


def ref_exp(v):
    if math.isnan(v):
        return NAN, NAN
    y = 0.0 if v == -INF else math.exp(v) if v != INF else INF
    return y, y


def ref_log(v):
    if math.isnan(v) or v < 0:
        return NAN, NAN
    if v == 0:  # both zeros: log -> -inf, slope +inf (the limit from inside the domain)
        return -INF, INF
    if v == INF:
        return INF, 0.0
    return math.log(v), 1 / v


def ref_sqrt(v):
    if math.isnan(v) or v < 0:
        return NAN, NAN
    if v == 0:
        return v, INF
    if v == INF:
        return INF, 0.0
    return math.sqrt(v), 0.5 / math.sqrt(v)


def ref_abs(v):
    if math.isnan(v):
        return NAN, NAN
    return abs(v), (0.0 if v == 0 else math.copysign(1.0, v))


def ref_sigmoid(v):
    if math.isnan(v):
        return NAN, NAN
    if math.isinf(v):
        return (1.0 if v > 0 else 0.0), 0.0
    s = 1 / (1 + math.exp(-v))
    return s, s * (1 - s)


def ref_tanh(v):
    if math.isnan(v):
        return NAN, NAN
    t = math.tanh(v)  # +-1 at +-inf
    return t, 1 - t * t


def ref_relu(v):
    if math.isnan(v):
        return NAN, NAN
    return (v if v > 0 else 0.0), (1.0 if v > 0 else 0.0)


def ref_leaky(v, slope=0.1):
    if math.isnan(v):
        return NAN, NAN
    return (v, 1.0) if v > 0 else (slope * v, slope)


def ref_clip(v, lo=-1.0, hi=0.5):
    if math.isnan(v):
        return NAN, NAN
    return min(max(v, lo), hi), (1.0 if lo <= v <= hi else 0.0)


def ref_pow_value(a, b):
    """IEEE pow (C99 Annex F) from math.pow, which raises where IEEE returns inf/NaN."""
    if b == 0:
        return 1.0  # for every a, NaN included
    if math.isnan(a) or math.isnan(b):
        return 1.0 if a == 1 else NAN
    if a == 0 and b < 0:
        odd = math.isfinite(b) and b == int(b) and int(b) % 2 == 1
        return math.copysign(INF, a) if odd else INF
    if a < 0 and math.isfinite(b) and b != int(b):
        return NAN  # no real power of a negative number, -inf included (C's pow: +inf)
    try:
        return math.pow(a, b)
    except ValueError:  # negative base, non-integer exponent
        return NAN
    except OverflowError:
        odd = b == int(b) and int(b) % 2 == 1
        return -INF if (a < 0 and odd) else INF


def ref_pow_da(a, b, dtype=np.float64):
    if b == 0:
        return 0.0  # a**0 is the constant 1
    if a < 0 and math.isfinite(b) and b != int(b):
        return NAN  # a**b is NaN here (b - 1 may round to an integer: 1e-38 - 1 == -1)
    # b·a^(b−1) is computed in the tensor's dtype, where b − 1 rounds: in float32,
    # 2.2e-16 − 1 is exactly −1, an odd integer, so 0^(b−1) at a = −0.0 is −inf.
    bm1 = float(np.asarray(b, dtype=dtype) - np.asarray(1, dtype=dtype))
    p = ref_pow_value(a, bm1)
    if p == 0:
        return 0.0  # also for b = +-inf: b * a**(b-1) -> 0
    return b * p


def ref_pow_db(a, b):
    y = ref_pow_value(a, b)
    if y == 0 and a >= 0:
        return 0.0  # a**b is 0 for every b nearby
    if math.isnan(a) or a < 0:
        return NAN
    ln = -INF if a == 0 else INF if a == INF else math.log(a)
    return y * ln


UNARY = {
    # name: (tinynet function, reference)
    "exp": (lambda t: t.exp(), ref_exp),
    "log": (lambda t: t.log(), ref_log),
    "sqrt": (lambda t: t.sqrt(), ref_sqrt),
    "abs": (lambda t: t.abs(), ref_abs),
    "sigmoid": (lambda t: t.sigmoid(), ref_sigmoid),
    "tanh": (lambda t: t.tanh(), ref_tanh),
    "relu": (lambda t: t.relu(), ref_relu),
    "leaky_relu": (lambda t: tn.leaky_relu(t, 0.1), ref_leaky),
    "clip": (lambda t: t.clip(-1.0, 0.5), ref_clip),
    # the derivative of -x is -1 everywhere, also at NaN (it does not depend on x)
    "neg": (lambda t: -t, lambda v: (-v, -1.0)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@EXAMPLES
@given(data=st.data())
def test_unary_value_and_gradient_at_edges(backend, name, dtype, data):
    fn, ref = UNARY[name]
    x = data.draw(edge_tensors(shapes(), dtype=dtype, extra=(-1.0, 0.5, 1.0)))
    y, (gx,) = run(fn, x)
    xs = x.numpy()
    assert y.dtype == dtype and gx.dtype == dtype
    assert_ieee_close(y.numpy(), elementwise(lambda v: ref(v)[0], xs), tol(dtype), f"{name} value")
    assert_ieee_close(gx, elementwise(lambda v: ref(v)[1], xs), tol(dtype), f"{name} gradient")


@pytest.mark.parametrize("c", [0, 1, 2, 3, -1, -2, 0.5, 1.5, -2.5])
@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@EXAMPLES
@given(data=st.data())
def test_power_constant_at_edges(backend, c, dtype, data):
    x = data.draw(edge_tensors(shapes(), dtype=dtype, extra=(-1.0, 1.0)))
    y, (gx,) = run(lambda t: t**c, x)
    xs = x.numpy()
    assert y.dtype == dtype and gx.dtype == dtype
    assert_ieee_close(y.numpy(), elementwise(lambda v: ref_pow_value(v, c), xs), 4 * tol(dtype))
    assert_ieee_close(gx, elementwise(lambda v: ref_pow_da(v, c), xs), 4 * tol(dtype))


@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@settings(max_examples=60)
@given(data=st.data())
def test_power_tensor_exponent_at_edges(backend, dtype, data):
    sa, sb = data.draw(broadcastable_shapes())
    special = (1.0, 2.0, 0.5, -1.0, 3.0)
    a = data.draw(edge_tensors(sa, dtype=dtype, extra=special))
    b = data.draw(edge_tensors(sb, dtype=dtype, extra=special))
    y, (ga, gb) = run(lambda a, b: a**b, a, b)
    an, bn = a.numpy(), b.numpy()
    assert ga.dtype == dtype and gb.dtype == dtype
    assert_ieee_close(y.numpy(), elementwise(ref_pow_value, an, bn), 4 * tol(dtype), "a**b")
    shape = y.shape
    ref_da = elementwise(lambda u, v: ref_pow_da(u, v, dtype), an, bn)
    assert_ieee_close(ga, sum_to(ref_da.reshape(shape), sa), 4 * tol(dtype), "da")
    assert_ieee_close(
        gb, sum_to(elementwise(ref_pow_db, an, bn).reshape(shape), sb), 4 * tol(dtype), "db"
    )


def _max_ref(a, b):
    if math.isnan(a) or math.isnan(b):
        return NAN, NAN, NAN
    if a == b:
        return a, 0.5, 0.5
    return (a, 1.0, 0.0) if a > b else (b, 0.0, 1.0)


def _min_ref(a, b):
    if math.isnan(a) or math.isnan(b):
        return NAN, NAN, NAN
    if a == b:
        return a, 0.5, 0.5
    return (a, 1.0, 0.0) if a < b else (b, 0.0, 1.0)


def _div_ref(a, b):
    # IEEE division, spelled out where Python raises
    if b == 0:
        q = NAN if (a == 0 or math.isnan(a)) else math.copysign(INF, a) * math.copysign(1.0, b)
        inv = math.copysign(INF, b)
    else:
        q, inv = a / b, 1 / b
    return q, inv, -inv * q


BINARY = {
    # name: (tinynet function, reference (value, d/da, d/db))
    "add": (lambda a, b: a + b, lambda a, b: (a + b, 1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda a, b: (a - b, 1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda a, b: (a * b, b, a)),
    "div": (lambda a, b: a / b, _div_ref),
    "maximum": (tn.maximum, _max_ref),
    "minimum": (tn.minimum, _min_ref),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@EXAMPLES
@given(data=st.data())
def test_binary_value_and_gradient_at_edges(backend, name, dtype, data):
    fn, ref = BINARY[name]
    sa, sb = data.draw(broadcastable_shapes())
    a = data.draw(edge_tensors(sa, dtype=dtype, extra=(1.0, 2.0)))
    b = data.draw(edge_tensors(sb, dtype=dtype, extra=(1.0, 2.0)))
    y, (ga, gb) = run(fn, a, b)
    assert y.dtype == dtype and ga.dtype == dtype and gb.dtype == dtype
    an, bn = a.numpy(), b.numpy()
    assert_ieee_close(y.numpy(), elementwise(lambda u, v: ref(u, v)[0], an, bn), tol(dtype), name)
    for k, (g, s) in enumerate(((ga, sa), (gb, sb)), start=1):
        local = elementwise(lambda u, v, k=k: ref(u, v)[k], an, bn).reshape(y.shape)
        assert_ieee_close(g, sum_to(local, s), tol(dtype), f"{name} gradient {k}")


def _ieee_sum(values: list[float]) -> float:
    """IEEE sum class from the rules, finite part with math.fsum."""
    if any(math.isnan(v) for v in values) or (INF in values and -INF in values):
        return NAN
    if INF in values or -INF in values:
        return INF if INF in values else -INF
    return math.fsum(values)


@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@EXAMPLES
@given(data=st.data())
def test_sum_and_mean_at_edges(backend, dtype, data):
    shape = data.draw(shapes(min_dims=1))
    axis = data.draw(st.one_of(st.none(), st.integers(0, len(shape) - 1)))
    x = data.draw(edge_tensors(shape, dtype=dtype))
    xs = x.numpy().astype(np.float64)
    moved = xs.reshape(1, -1) if axis is None else np.moveaxis(xs, axis, -1)
    expected = np.array([_ieee_sum(list(row)) for row in moved.reshape(-1, moved.shape[-1])])
    expected = expected.reshape(moved.shape[:-1]) if axis is not None else expected.reshape(())
    n = xs.size if axis is None else shape[axis]
    for fn, scale in ((lambda t: t.sum(axis=axis), 1.0), (lambda t: t.mean(axis=axis), 1.0 / n)):
        x.grad = None
        y, (gx,) = run(fn, x)
        assert gx.dtype == dtype
        assert_ieee_close(y.numpy(), expected * scale, 4 * tol(dtype))
        # the gradient of a sum never looks at the values: finite even next to inf/NaN
        np.testing.assert_allclose(tn.to_numpy(gx), np.full(shape, scale), rtol=tol(dtype))


def _softmax_row(row: list[float]) -> list[float]:
    """The documented softmax of one row, from the limits."""
    n = len(row)
    if any(math.isnan(v) for v in row) or row.count(INF) >= 2 or row.count(-INF) == n:
        return [NAN] * n
    if row.count(INF) == 1:
        return [1.0 if v == INF else 0.0 for v in row]
    m = max(row)
    e = [0.0 if v == -INF else math.exp(v - m) for v in row]
    total = math.fsum(e)
    return [v / total for v in e]


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@settings(max_examples=40)
@given(data=st.data())
def test_softmax_rows_with_infinities(backend, log, dtype, data):
    rows, cols = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    # more infinities than usual: rows with one or several +inf, all -inf, ...
    x = data.draw(edge_tensors((rows, cols), dtype=dtype, edges=(INF, -INF, -INF, NAN, 0.0)))
    seed = data.draw(float64_arrays((rows, cols), edge_values=False))
    fn = (lambda t: t.log_softmax(axis=1)) if log else (lambda t: t.softmax(axis=1))
    y, (gx,) = run(fn, x, seed=seed)
    assert gx.dtype == dtype
    s = np.array([_softmax_row([float(v) for v in r]) for r in x.numpy()])
    with np.errstate(divide="ignore", invalid="ignore"):
        if log:
            # d log s_i / d x_k = delta_ik - s_k  =>  x_bar = g - s * sum(g)
            expected_y = np.log(s)
            expected_g = seed - s * seed.sum(axis=1, keepdims=True)
        else:
            expected_y = s
            expected_g = s * (seed - (seed * s).sum(axis=1, keepdims=True))
    assert_ieee_close(y.numpy(), expected_y, 4 * tol(dtype), "value")
    assert_ieee_close(gx, expected_g, 8 * tol(dtype), "gradient")


def test_softmax_documented_rows(backend):
    x = tn.tensor(
        [[1.0, -INF, 2.0], [INF, 0.0, -INF], [INF, INF, 0.0], [-INF, -INF, -INF], [NAN, 1, 2]],
        dtype="float64",
    )
    s = x.softmax().numpy()
    np.testing.assert_allclose(s[0], [1 / (1 + math.e), 0.0, math.e / (1 + math.e)])
    np.testing.assert_array_equal(s[1], [1.0, 0.0, 0.0])  # the limit of a single +inf
    assert np.isnan(s[2:]).all()  # several +inf, all -inf, NaN: undefined
    ls = x.log_softmax().numpy()
    np.testing.assert_array_equal(ls[1], [0.0, -INF, -INF])
    assert ls[0, 1] == -INF and np.isnan(ls[2:]).all()


def _matmul_ref(a: np.ndarray, b: np.ndarray, g: np.ndarray):
    """Y = A B, A_bar = G B^T, B_bar = A^T G with Python float loops (IEEE, no BLAS)."""

    def mm(x, y):
        out = np.empty((x.shape[0], y.shape[1]))
        for i in range(x.shape[0]):
            for j in range(y.shape[1]):
                terms = [float(x[i, k]) * float(y[k, j]) for k in range(x.shape[1])]
                total = 0.0
                for t in terms:
                    total += t  # Python float: inf + -inf = nan, never raises
                out[i, j] = total
        return out

    return mm(a, b), mm(g, b.T), mm(a.T, g)


@pytest.mark.parametrize("fused", [False, True], ids=["matmul", "affine"])
@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@EXAMPLES
@given(data=st.data())
def test_matmul_and_affine_with_infinities(backend, fused, dtype, data):
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    a = data.draw(edge_tensors((n, k), dtype=dtype))
    w = data.draw(edge_tensors((k, m), dtype=dtype))
    bias = tn.tensor(np.zeros(m), dtype=dtype, requires_grad=True)
    seed = data.draw(float64_arrays((n, m), edge_values=False))
    if fused:
        y, (ga, gw, gb) = run(lambda a, w, b: ops.affine(a, w, b), a, w, bias, seed=seed)
        assert gb.dtype == dtype
        np.testing.assert_allclose(
            tn.to_numpy(gb), seed.sum(axis=0), rtol=tol(dtype), atol=tol(dtype)
        )
    else:
        y, (ga, gw) = run(lambda a, w: a @ w, a, w, seed=seed)
    ref_y, ref_ga, ref_gw = _matmul_ref(
        a.numpy().astype(np.float64), w.numpy().astype(np.float64), seed.astype(dtype)
    )
    assert ga.dtype == dtype and gw.dtype == dtype
    assert_ieee_close(y.numpy(), ref_y, 8 * tol(dtype), "Y")
    assert_ieee_close(ga, ref_ga, 8 * tol(dtype), "A_bar")
    assert_ieee_close(gw, ref_gw, 8 * tol(dtype), "B_bar")


@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@EXAMPLES
@given(data=st.data())
def test_moving_ops_pass_edge_values_through(backend, dtype, data):
    shape = data.draw(shapes(min_dims=2, min_side=2))
    x = data.draw(edge_tensors(shape, dtype=dtype))
    xs = x.numpy()
    seed = data.draw(edge_arrays(shape, dtype=dtype))  # inf/NaN gradients move unchanged too
    cases = [
        (lambda t: t.reshape(-1), lambda a: a.reshape(-1), lambda g: g.reshape(shape)),
        (lambda t: t.T, lambda a: a.T, lambda g: g.T),
        (lambda t: t[::-1], lambda a: a[::-1], lambda g: g[::-1]),
        (lambda t: t.astype(dtype), lambda a: a, lambda g: g),
        (lambda t: t.clone(), lambda a: a, lambda g: g),
        (lambda t: t.flatten(), lambda a: a.reshape(-1), lambda g: g.reshape(shape)),
        (lambda t: t.unsqueeze(0), lambda a: a[None], lambda g: g[0]),
        (lambda t: tn.cat([t], -1), lambda a: a, lambda g: g),
        # a broadcast adds the gradients of the copies (IEEE: inf + -inf = NaN)
        (
            lambda t: t.broadcast_to((1,) + shape),
            lambda a: a[None],
            lambda g: g.astype(np.float64).sum(axis=0),
        ),
    ]
    for fn, forward, backward in cases:
        x.grad = None
        y, (gx,) = run(fn, x, seed=forward(seed))
        assert gx.dtype == dtype
        np.testing.assert_array_equal(y.numpy(), forward(xs))  # NaN == NaN here
        np.testing.assert_array_equal(tn.to_numpy(gx), backward(forward(seed)))
    x.grad = None
    idx = np.array([0, 0, 1])  # repeated index: gradients add (inf + -inf = NaN)
    y, (gx,) = run(lambda t: t[idx], x, seed=seed[idx])
    expected = np.zeros(shape)
    with np.errstate(invalid="ignore"):
        np.add.at(expected, idx, seed[idx].astype(np.float64))
    assert_ieee_close(gx, expected, tol(dtype), "getitem")


# --------------------------------------------------------------------------- the issue's examples
def test_issue_examples(backend):
    np.testing.assert_array_equal(tn.tensor([-INF, 2.0]).relu().numpy(), [0.0, 2.0])
    x = tn.tensor([0.0, -0.0, 3.0, INF, NAN], requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(tn.to_numpy(x.grad), np.zeros(5))
    a = tn.tensor([0.0, 0.0, -0.0], requires_grad=True)
    b = tn.tensor([2.0, 0.5, 3.0], requires_grad=True)
    (a**b).sum().backward()
    np.testing.assert_array_equal(tn.to_numpy(b.grad), [0.0, 0.0, 0.0])  # lim a^b ln a = 0
    np.testing.assert_array_equal(tn.to_numpy(a.grad), [0.0, INF, 0.0])  # b a^(b-1)
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    tn.maximum(w, 1.5).sum().backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(tn.to_numpy(w.grad), [0.0, 1.0])


def test_removable_singularities_match_finite_differences(backend):
    """Where the function is finite and flat around an edge point, central differences
    (which know nothing of the docstrings) confirm the limit the backward returns."""
    zeros = tn.tensor(np.zeros(3), dtype="float64", requires_grad=True)
    assert tn.gradcheck(lambda t: t**0, zeros)
    assert tn.gradcheck(lambda a: a ** tn.tensor(np.zeros(3), dtype="float64"), zeros)
    b = tn.tensor([0.5, 1.0, 2.5], dtype="float64", requires_grad=True)
    assert tn.gradcheck(lambda b: tn.tensor(np.zeros(3), dtype="float64") ** b, b)
    flat = tn.tensor([-INF, -INF, 0.3], dtype="float64", requires_grad=True)
    assert tn.gradcheck(lambda t: t.exp(), flat)
    assert tn.gradcheck(lambda t: t.relu(), flat)
    assert tn.gradcheck(lambda t: t.sigmoid(), flat)
    assert tn.gradcheck(
        lambda t: t.tanh(), tn.tensor([INF, -INF, 0.3], dtype="float64", requires_grad=True)
    )
    row = tn.tensor([[0.2, -INF, 1.0]], dtype="float64", requires_grad=True)
    assert tn.gradcheck(lambda t: t.softmax(), row)
    # ties of maximum: the central difference straddles the kink and averages the
    # one-sided slopes 1 and 0, which is the 1/2 that each side receives
    a = tn.tensor([0.7, -1.0], dtype="float64", requires_grad=True)
    assert tn.gradcheck(lambda a: tn.maximum(a, tn.tensor([0.7, -1.0], dtype="float64")), a)
    assert tn.gradcheck(lambda t: t.abs(), tn.tensor([0.0], dtype="float64", requires_grad=True))


def test_nan_propagates_and_never_raises(backend):
    for name, (fn, _) in sorted(UNARY.items()):
        x = tn.tensor([NAN, 1.0], requires_grad=True)
        y, _ = run(fn, x)
        assert np.isnan(y.numpy()[0]), name
    x = tn.tensor([[NAN, 1.0], [2.0, 3.0]], requires_grad=True)
    for fn in (lambda t: t @ t, lambda t: t.sum(), lambda t: t.mean(axis=0), lambda t: t.softmax()):
        y, _ = run(fn, x)
        assert np.isnan(y.numpy()).any()


def test_cast_of_non_finite_to_integer_is_refused(backend):
    with pytest.raises(ValueError, match="int32") as info:
        tn.tensor([1.0, NAN, INF]).astype("int32")
    assert "nan" in str(info.value) and "inf" in str(info.value)
    np.testing.assert_array_equal(tn.tensor([1.5, -2.0]).astype("int32").numpy(), [1, -2])
    big = tn.tensor([1e300, -1e300, NAN], dtype="float64").astype("float32").numpy()
    assert big[0] == INF and big[1] == -INF and np.isnan(big[2])  # IEEE rounding, no warning


def test_clip_refuses_nan_bound(backend):
    with pytest.raises(ValueError, match="clip: lo is NaN"):
        tn.tensor([1.0]).clip(lo=NAN)


def test_edge_strategies_draw_every_edge_value():
    seen: set[str] = set()

    @settings(max_examples=200, derandomize=True)
    @given(edge_floats())
    def collect(v):
        if math.isnan(v) or math.isinf(v):
            seen.add(str(v))
        elif v == 0:
            seen.add(str(v))  # "0.0" or "-0.0"
        else:
            seen.add("finite")

    collect()
    assert seen == {"nan", "-0.0", "0.0", "inf", "-inf", "finite"}
    assert len(EDGE_VALUES) == 5


# --------------------------------------------------------------------------- dtypes
def _all_ops(dtype):
    """(name, function, inputs) for every op, with float inputs of *dtype*."""
    t = lambda v: tn.tensor(np.asarray(v, dtype=dtype), requires_grad=True)  # noqa: E731
    m = lambda: t([[0.5, -1.0, 2.0], [1.0, 0.0, -2.0]])  # noqa: E731
    p = lambda: t([[0.5, 1.0, 2.0], [1.5, 0.7, 3.0]])  # noqa: E731
    return [
        ("add", lambda a, b: a + b, [m(), t([1.0, 2.0, 3.0])]),
        ("add number", lambda a: a + 1.5, [m()]),
        ("sub", lambda a, b: a - b, [m(), t([[1.0], [2.0]])]),
        ("rsub number", lambda a: 2.5 - a, [m()]),
        ("mul", lambda a, b: a * b, [m(), m()]),
        ("mul number", lambda a: a * 0.5, [m()]),
        ("div", lambda a, b: a / b, [m(), p()]),
        ("rdiv number", lambda a: 3 / a, [p()]),
        ("neg", lambda a: -a, [m()]),
        ("pow const", lambda a: a**2, [m()]),
        ("pow float", lambda a: a**2.5, [p()]),
        ("pow numpy float", lambda a: a ** np.float64(1.5), [p()]),
        ("pow zero", lambda a: a**0, [m()]),
        ("pow tensor", lambda a, b: a**b, [p(), m()]),
        ("rpow number", lambda b: 2.0**b, [m()]),
        ("matmul", lambda a, b: a @ b, [m(), t([[1.0], [2.0], [3.0]])]),
        ("matmul 1-d", lambda a, b: a @ b, [t([1.0, 2.0]), m()]),
        ("affine", lambda x, w, b: ops.affine(x, w, b), [m(), t(np.ones((3, 2))), t([1.0, 2.0])]),
        ("exp", lambda a: a.exp(), [m()]),
        ("log", lambda a: a.log(), [p()]),
        ("sqrt", lambda a: a.sqrt(), [p()]),
        ("abs", lambda a: a.abs(), [m()]),
        ("maximum", lambda a, b: tn.maximum(a, b), [m(), m()]),
        ("maximum number", lambda a: tn.maximum(a, 1.5), [m()]),
        ("minimum number", lambda a: tn.minimum(0.5, a), [m()]),
        ("clip", lambda a: a.clip(-1.0, 1.0), [m()]),
        ("clip lo", lambda a: a.clip(lo=0), [m()]),
        ("cast", lambda a: a.astype("float64").astype(dtype) * 2, [m()]),
        ("sum", lambda a: a.sum(axis=0), [m()]),
        ("mean", lambda a: a.mean(axis=1, keepdims=True), [m()]),
        ("reshape", lambda a: a.reshape(3, 2), [m()]),
        ("transpose", lambda a: a.T, [m()]),
        ("getitem", lambda a: a[np.array([1, 1, 0])], [m()]),
        ("getitem basic", lambda a: a[:, 1:], [m()]),
        ("broadcast_to", lambda a: a.broadcast_to((2, 2, 3)), [m()]),
        ("expand", lambda a: a[:, :1].expand(2, 4), [m()]),
        ("concatenate", lambda a, b: tn.cat([a, b], axis=1), [m(), p()]),
        ("stack", lambda a, b: tn.stack([a, b], axis=-1), [m(), p()]),
        ("where", lambda a, b: tn.where(np.array([True, False, True]), a, b), [m(), p()]),
        ("clone", lambda a: a.clone(), [m()]),
        ("flatten unsqueeze squeeze", lambda a: a.unsqueeze(1).flatten(1).squeeze(), [m()]),
        ("sigmoid", lambda a: a.sigmoid(), [m()]),
        ("tanh", lambda a: a.tanh(), [m()]),
        ("relu", lambda a: a.relu(), [m()]),
        ("leaky_relu", lambda a: tn.leaky_relu(a, 0.2), [m()]),
        ("leaky_relu 0", lambda a: tn.leaky_relu(a, 0.0), [m()]),
        ("softmax", lambda a: a.softmax(axis=0), [m()]),
        ("log_softmax", lambda a: a.log_softmax(), [m()]),
        ("max", lambda a: a.max(axis=1), [m()]),
        ("min", lambda a: a.min(), [m()]),
        ("prod", lambda a: a.prod(axis=0), [m()]),
        ("var", lambda a: a.var(axis=1), [m()]),
        ("std", lambda a: a.std(axis=1, correction=0), [m()]),
        ("logsumexp", lambda a: a.logsumexp(axis=1, keepdims=True), [m()]),
    ]


@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
def test_every_gradient_has_its_inputs_dtype(backend, dtype):
    for name, fn, inputs in _all_ops(dtype):
        y, grads = run(fn, *inputs)
        assert y.dtype == dtype, name
        for k, g in enumerate(grads):
            assert g is not None and g.dtype == dtype, (name, k, None if g is None else g.dtype)
            assert g.shape == inputs[k].shape, (name, k)


@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@EXAMPLES
@given(data=st.data())
def test_every_gradient_dtype_at_edge_values(backend, dtype, data):
    # the same, with edge values in every input (some gradients are inf or NaN)
    for name, fn, inputs in _all_ops(dtype):
        drawn = [
            tn.tensor(data.draw(edge_arrays(t.shape, dtype=dtype)), requires_grad=True, dtype=dtype)
            for t in inputs
        ]
        y, grads = run(fn, *drawn)
        assert y.dtype == dtype, name
        assert all(g.dtype == dtype for g in grads), (name, [g.dtype for g in grads])


# --------------------------------------------------------------------------- op attributes
READS_INPUTS_FALSE = {
    "Add", "Sub", "Neg", "Sum", "Mean", "Reshape", "Transpose", "GetItem", "Cast",
    "Exp", "Sqrt", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax",
    "Where", "IndexAdd", "BroadcastTo", "Concatenate", "Var", "Std",
}  # fmt: skip
READS_OUTPUT_TRUE = {
    "Div", "Pow", "Exp", "Sqrt", "Tanh", "ReLU", "Softmax", "LogSoftmax",
    "Max", "Min", "Std", "LogSumExp",
}  # fmt: skip
KEEPS_INTEGERS = {
    "Add", "Sub", "Mul", "Neg", "Abs", "Sum", "Reshape", "Transpose", "GetItem",
    "Maximum", "Minimum", "Clip", "PowConst", "Cast", "Where", "IndexAdd",
    "BroadcastTo", "Concatenate", "Max", "Min", "Prod",
}  # fmt: skip


def test_op_attributes_table():
    for name in ops.__all__:
        cls = getattr(ops, name)
        if not isinstance(cls, type):
            continue
        assert cls.reads_inputs == (name not in READS_INPUTS_FALSE), name
        assert cls.reads_output == (name in READS_OUTPUT_TRUE), name
        assert cls.keeps_integers == (name in KEEPS_INTEGERS), name
        assert "reads_inputs" not in cls.__slots__ and "keeps_integers" not in cls.__slots__


def _graph_cases():
    """(op name, function, inputs) with one op each, float64."""
    x = lambda: tn.tensor([[0.5, -1.0, 2.0], [1.0, 0.3, -2.0]], dtype="float64", requires_grad=True)  # noqa: E731
    pos = lambda: tn.tensor([[0.5, 1.0, 2.0], [1.5, 0.7, 3.0]], dtype="float64", requires_grad=True)  # noqa: E731
    return {
        "Add": (lambda a, b: a + b, [x(), x()]),
        "Sub": (lambda a, b: a - b, [x(), x()]),
        "Mul": (lambda a, b: a * b, [x(), x()]),
        "Div": (lambda a, b: a / b, [x(), pos()]),
        "Neg": (lambda a: -a, [x()]),
        "PowConst": (lambda a: a**3, [x()]),
        "Pow": (lambda a, b: a**b, [pos(), x()]),
        "MatMul": (lambda a, b: a @ b.T, [x(), x()]),
        "Exp": (lambda a: a.exp(), [x()]),
        "Log": (lambda a: a.log(), [pos()]),
        "Sqrt": (lambda a: a.sqrt(), [pos()]),
        "Abs": (lambda a: a.abs(), [x()]),
        "Maximum": (lambda a, b: tn.maximum(a, b), [x(), pos()]),
        "Minimum": (lambda a, b: tn.minimum(a, b), [x(), pos()]),
        "Clip": (lambda a: a.clip(-1.0, 1.0), [x()]),
        "Cast": (lambda a: a.astype("float32"), [x()]),
        "Sum": (lambda a: a.sum(axis=0), [x()]),
        "Mean": (lambda a: a.mean(axis=1), [x()]),
        "Reshape": (lambda a: a.reshape(3, 2), [x()]),
        "Transpose": (lambda a: a.transpose(1, 0), [x()]),
        "GetItem": (lambda a: a[np.array([1, 0, 1])], [x()]),
        "BroadcastTo": (lambda a: a.broadcast_to((2, 2, 3)), [x()]),
        "Concatenate": (lambda a, b: tn.cat([a, b], axis=-1), [x(), pos()]),
        "Sigmoid": (lambda a: a.sigmoid(), [x()]),
        "Tanh": (lambda a: a.tanh(), [x()]),
        "ReLU": (lambda a: a.relu(), [x()]),
        "LeakyReLU": (lambda a: tn.leaky_relu(a, 0.1), [x()]),
        "Softmax": (lambda a: a.softmax(), [x()]),
        "LogSoftmax": (lambda a: a.log_softmax(), [x()]),
        "Max": (lambda a: a.max(axis=1), [x()]),
        "Min": (lambda a: a.min(axis=0, keepdims=True), [x()]),
        "Prod": (lambda a: a.prod(axis=1), [x()]),
        "Var": (lambda a: a.var(axis=1), [x()]),
        "Std": (lambda a: a.std(axis=0), [x()]),
        "LogSumExp": (lambda a: a.logsumexp(axis=1), [x()]),
    }


@pytest.mark.parametrize("name", sorted(_graph_cases()))
def test_backward_reads_no_more_than_declared(backend, name):
    """An op that declares it does not read its inputs (or its output) must give the
    same gradient after those arrays were overwritten behind the engine's back."""
    fn, inputs = _graph_cases()[name]
    cls = getattr(ops, name)
    y = fn(*inputs)
    assert type(y._ctx).__name__ == name
    seed = np.linspace(-1.0, 1.0, y.size).reshape(y.shape).astype(y.dtype)
    y.backward(tn.tensor(seed, dtype=y.dtype), retain_graph=True)
    clean = [tn.to_numpy(t.grad).copy() for t in inputs]
    for t in inputs:
        t.grad = None
    if not cls.reads_inputs:
        for t in inputs:
            t.data[...] = 7.25  # no _bump_version: the engine cannot know
    if not cls.reads_output:
        y.data[...] = -3.5
    y.backward(tn.tensor(seed, dtype=y.dtype))
    for t, g in zip(inputs, clean):
        np.testing.assert_array_equal(tn.to_numpy(t.grad), g, err_msg=name)


def test_integer_inputs_keep_or_leave_integers(backend):
    i = tn.tensor(np.array([[1, -2], [3, 4]]))
    j = tn.tensor(np.array([[2, 5], [1, -1]]))
    kept = {
        "add": i + j, "sub": i - j, "mul": i * j, "neg": -i, "abs": i.abs(),
        "sum": i.sum(), "reshape": i.reshape(4), "transpose": i.T, "getitem": i[0],
        "maximum": tn.maximum(i, j), "minimum": tn.minimum(i, j), "clip": i.clip(0, 2),
        "square": i**2, "broadcast_to": i.broadcast_to((3, 2, 2)), "cat": tn.cat([i, j]),
        "stack": tn.stack([i, j]), "where": tn.where(i > 0, i, j), "clone": i.clone(),
        "flatten": i.flatten(), "unsqueeze": i.unsqueeze(0),
    }  # fmt: skip
    for name, r in kept.items():
        assert r.dtype.kind == "i", (name, r.dtype)
    np.testing.assert_array_equal((i**2).numpy(), [[1, 4], [9, 16]])
    floated = {
        "div": i / j, "exp": i.exp(), "mean": i.mean(), "sqrt": i.abs().sqrt(),
        "clip float bound": i.clip(0.5, 2), "pow float": i**0.5, "pow negative": i**-1,
        "sigmoid": i.sigmoid(), "softmax": i.softmax(),
    }  # fmt: skip
    for name, r in floated.items():
        assert r.dtype == tn.get_default_dtype(), (name, r.dtype)
    np.testing.assert_allclose((i**-1).numpy(), [[1, -0.5], [1 / 3, 0.25]], rtol=1e-6)
    np.testing.assert_allclose(i.clip(0.5, 2).numpy(), [[1, 0.5], [2, 2]])


# --------------------------------------------------------------------------- new reductions
def _ref_extremum(row: list[float], pick) -> tuple[float, list[float]]:
    """max/min of a row and its documented gradient: ties share, a NaN row is NaN."""
    if any(math.isnan(v) for v in row):
        return NAN, [NAN] * len(row)
    m = pick(row)
    k = row.count(m)
    return m, [1.0 / k if v == m else 0.0 for v in row]


def _ref_prod(row: list[float], dtype: Any = np.float64) -> tuple[float, list[float]]:
    """IEEE product and the products of the others, rounded in *dtype* as documented.

    The gradient is ``left_i * right_i`` (the running products before and after
    element i, see ``ops.reductions._others``): in float32, ``inf * tiny * tiny`` is
    ``inf * 0 = nan`` when the two tiny factors meet first (their product underflows),
    so the reference rounds every partial product in the tensor's own dtype.
    """
    kind = np.dtype(dtype).type

    def product(values):
        out = kind(1.0)
        for v in values:
            out = kind(out * kind(v))
        return out

    with np.errstate(all="ignore"):
        others = [
            float(kind(product(row[:i]) * product(row[:i:-1]))) for i in range(len(row))
        ]
        return float(product(row)), others


def _ref_var(row: list[float], c: int = 1) -> tuple[float, list[float]]:
    n = len(row)
    if not all(math.isfinite(v) for v in row):
        return NAN, [NAN] * n
    mean = math.fsum(row) / n
    return (
        math.fsum((v - mean) ** 2 for v in row) / (n - c),
        [2 * (v - mean) / (n - c) for v in row],
    )


def _ref_logsumexp(row: list[float]) -> tuple[float, list[float]]:
    s = _softmax_row(row)  # the documented limits of the softmax are the gradient
    if any(math.isnan(v) for v in row):
        return NAN, s
    if INF in row:
        return INF, s
    if all(v == -INF for v in row):
        return -INF, s
    m = max(row)
    return m + math.log(math.fsum(0.0 if v == -INF else math.exp(v - m) for v in row)), s


ROW_REDUCTIONS = {
    "max": (lambda t: t.max(axis=1), lambda r: _ref_extremum(r, max)),
    "min": (lambda t: t.min(axis=1), lambda r: _ref_extremum(r, min)),
    "prod": (lambda t: t.prod(axis=1), _ref_prod),
    "var": (lambda t: t.var(axis=1), _ref_var),
    "logsumexp": (lambda t: t.logsumexp(axis=1), _ref_logsumexp),
}


@pytest.mark.parametrize("name", sorted(ROW_REDUCTIONS))
@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@settings(max_examples=40)
@given(data=st.data())
def test_new_reductions_at_edges(backend, name, dtype, data):
    fn, ref = ROW_REDUCTIONS[name]
    rows, cols = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    # small ordinary values, so that a float32 product does not overflow unexpectedly
    x = data.draw(edge_tensors((rows, cols), dtype=dtype, min_value=-2.0, max_value=2.0,
                               extra=(1.0, 2.0)))  # fmt: skip
    y, (gx,) = run(fn, x)
    assert y.dtype == gx.dtype == dtype
    rows64 = x.numpy().astype(np.float64)
    if name == "prod":  # the reference rounds its partial products in the dtype
        expected = [_ref_prod([float(v) for v in row], dtype) for row in rows64]
    else:
        expected = [ref([float(v) for v in row]) for row in rows64]
    assert_ieee_close(y.numpy(), [e[0] for e in expected], 8 * tol(dtype), f"{name} value")
    assert_ieee_close(gx, [e[1] for e in expected], 8 * tol(dtype), f"{name} gradient")
