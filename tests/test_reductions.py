"""The reductions learners bring from PyTorch (issue 12): max, min, prod, var, std,
logsumexp, argmax, argmin.

Values are compared with numpy's own functions (an independent implementation);
gradients with central finite differences (``tn.gradcheck``) and second derivatives
with ``tn.gradgradcheck``, on hypothesis draws in float64, plus the documented
conventions (ties, zeros of a product, NaN and infinities) from hand-derived values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet import ops
from tinynet.testing import float64_arrays, shapes

INF, NAN = math.inf, math.nan
SHAPES = shapes(min_dims=0, max_dims=3, max_side=3)


def t64(values, requires_grad=True):
    return tn.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def distinct(a: np.ndarray) -> np.ndarray:
    """*a* made free of ties: ranks 0.1 apart plus a small part of the drawn values."""
    flat = np.asarray(a, dtype=np.float64).ravel()
    ranks = np.argsort(np.argsort(flat, kind="stable"), kind="stable")
    return (ranks * 0.1 + flat * 0.01 - 0.1).reshape(np.shape(a))


@st.composite
def array_and_axis(draw, min_count: int = 1, distinct_values: bool = False):
    """(array, axis, keepdims) with at least *min_count* elements in each reduced slice."""
    shape = draw(SHAPES)
    choices = [None]
    if shape:
        choices += list(range(-len(shape), len(shape))) + [tuple(range(len(shape)))]
        if len(shape) >= 2:
            choices.append((0, len(shape) - 1))
    axis = draw(st.sampled_from(choices))
    axes = range(len(shape)) if axis is None else [axis] if isinstance(axis, int) else axis
    count = int(np.prod([shape[a] for a in axes])) if shape else 1
    if count < min_count and not shape:
        shape = (min_count,)  # axis is None
    elif count < min_count:
        reduced = [a % len(shape) for a in axes]
        shape = tuple(s + min_count if i in reduced else s for i, s in enumerate(shape))
    a = draw(float64_arrays(shape, -2.0, 2.0))
    if distinct_values:
        a = distinct(a)
    return a, axis, draw(st.booleans())


def _np_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# --------------------------------------------------------------------------- values
NUMPY = {
    "max": np.max, "min": np.min, "amax": np.max, "amin": np.min, "prod": np.prod,
    "var": lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1),
    "std": lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1),
    "logsumexp": lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims)),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(NUMPY))
@given(case=array_and_axis(min_count=2))
def test_values_match_numpy(backend, name, case):
    a, axis, keepdims = case
    expected = NUMPY[name](a, axis=_np_axis(axis), keepdims=keepdims)
    for result in (
        getattr(tn, name)(t64(a), axis, keepdims),  # functional, positional
        getattr(t64(a), name)(axis=axis, keepdims=keepdims),  # method
        getattr(ops, name)(t64(a), axis=axis, keepdims=keepdims),
    ):
        assert result.shape == np.shape(expected)
        assert result.dtype == np.float64
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_are_kept(backend, dtype):
    x = tn.tensor(np.array([[1.0, 2.0], [3.0, 5.0]], dtype=dtype), requires_grad=True, dtype=dtype)
    for name in ("max", "min", "prod", "var", "std", "logsumexp"):
        y = getattr(x, name)(axis=1)
        assert y.dtype == dtype, name
        x.grad = None
        y.sum().backward()
        assert x.grad.dtype == dtype and x.grad.shape == x.shape, name


def test_integer_tensors(backend):
    i = tn.tensor(np.array([[1, -2, 7], [3, 4, 0]]))
    assert i.max().dtype.kind == "i" and int(i.max()) == 7
    assert i.min(axis=1).numpy().tolist() == [-2, 0]
    assert i.prod(axis=1).dtype.kind == "i" and i.prod(axis=1).numpy().tolist() == [-14, 0]
    # var, std and logsumexp are real numbers: the default float dtype, as mean
    for name in ("var", "std", "logsumexp"):
        assert getattr(i, name)().dtype == tn.get_default_dtype(), name
    assert i.argmax().dtype.kind == "i"


# --------------------------------------------------------------------------- gradients
GRAD_OPS = {
    "max": (lambda t, ax, k: t.max(axis=ax, keepdims=k), True),
    "min": (lambda t, ax, k: tn.min(t, ax, k), True),
    "prod": (lambda t, ax, k: t.prod(axis=ax, keepdims=k), False),
    "var": (lambda t, ax, k: t.var(axis=ax, keepdims=k), False),
    "var0": (lambda t, ax, k: t.var(axis=ax, keepdims=k, correction=0), False),
    "std": (lambda t, ax, k: t.std(axis=ax, keepdims=k), True),
    "logsumexp": (lambda t, ax, k: t.logsumexp(axis=ax, keepdims=k), False),
}


@pytest.mark.parametrize("name", sorted(GRAD_OPS))
@settings(max_examples=30)
@given(data=st.data())
def test_first_and_second_derivatives_match_finite_differences(backend, name, data):
    fn, needs_distinct = GRAD_OPS[name]
    a, axis, keepdims = data.draw(array_and_axis(min_count=2, distinct_values=needs_distinct))
    x = t64(a)
    assert tn.gradcheck(lambda t: fn(t, axis, keepdims), x)
    assert tn.gradgradcheck(lambda t: fn(t, axis, keepdims), x)


def test_max_ties_share_the_gradient_equally(backend):
    # [1, 3, 3]: two maxima, half each; a row of four equal values: a quarter each
    x = t64([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-INF, -INF, -INF, -INF]])
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5, 0], [0.25] * 4, [0.25] * 4])
    y = t64([[5.0, -1.0, -1.0, -1.0]])
    y.min().backward()
    np.testing.assert_allclose(y.grad.numpy(), [[0, 1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)
    # the same rule as the elementwise maximum, which gives each side of a tie half
    a, b = t64([2.0]), t64([2.0])
    tn.maximum(a, b).sum().backward()
    z = t64([2.0, 2.0])
    z.max().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [a.grad.item(), b.grad.item()])
    # away from ties the share is exactly the derivative: all to the winner
    w = t64([[0.5, INF, 3.0]])
    w.max(axis=1, keepdims=True).backward(t64([[2.0]], False))
    np.testing.assert_array_equal(w.grad.numpy(), [[0.0, 2.0, 0.0]])


def test_max_with_nan_gives_nan_for_the_slice(backend):
    x = t64([[1.0, NAN, 3.0], [1.0, 2.0, 0.0]])
    y = x.max(axis=1)
    assert np.isnan(y.numpy()[0]) and y.numpy()[1] == 2.0
    y.sum().backward()
    g = x.grad.numpy()
    assert np.isnan(g[0]).all()  # which element wins is undefined
    np.testing.assert_array_equal(g[1], [0.0, 1.0, 0.0])


def test_max_and_argmax_refuse_empty_slices(backend):
    e = t64(np.zeros((2, 0)))
    for fn in (lambda t: t.max(), lambda t: t.min(axis=1), lambda t: t.argmax(axis=1)):
        with pytest.raises(ValueError, match="empty"):
            fn(e)
    assert e.max(axis=0).shape == (0,)  # reducing a non-empty axis of an empty tensor


def test_max_with_dim_returns_values_and_indices(backend):
    x = t64([[1.0, 5.0, 5.0], [7.0, 0.0, -1.0]])
    result = x.max(dim=1)
    assert isinstance(result, ops.ValuesIndices)
    values, indices = result
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    assert indices.numpy().tolist() == [1, 0] and indices.dtype.kind == "i"
    assert not indices.requires_grad and values.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [1, 0, 0]])
    v, i = tn.min(x, dim=0, keepdim=True)
    assert v.shape == i.shape == (1, 3) and i.numpy().tolist() == [[0, 1, 1]]
    # numpy's spelling (or a position) gives the values only, as numpy
    assert isinstance(x.max(axis=1), tn.Tensor) and isinstance(x.max(1), tn.Tensor)
    assert isinstance(x.amax(dim=1), tn.Tensor)
    with pytest.raises(TypeError, match=r"takes one int.*axis=\(0, 1\)"):
        x.max(dim=(0, 1))
    with pytest.raises(TypeError, match=r"tn\.maximum\(a, b\)"):
        x.max(t64([1.0, 2.0, 3.0]))


# --------------------------------------------------------------------------- prod
def test_prod_gradient_at_zeros_without_division(backend):
    # d/dx_i prod x = prod_{j != i} x_j
    x = t64([[2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 1.0], [2.0, -1.0, 0.5, 3.0]])
    y = x.prod(axis=1)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, -3.0])
    y.sum().backward()
    g = x.grad.numpy()
    np.testing.assert_array_equal(g[0], [0.0, 24.0, 0.0, 0.0])  # one zero
    np.testing.assert_array_equal(g[1], [0.0, 0.0, 0.0, 0.0])  # two zeros
    np.testing.assert_allclose(g[2], [-1.5, 3.0, -6.0, -1.0], rtol=1e-15)
    assert tn.gradcheck(lambda t: t.prod(axis=1), x)
    assert tn.gradgradcheck(lambda t: t.prod(axis=1), x)


def test_prod_second_derivative_closed_form(backend):
    # H_ik = prod_{j != i,k} x_j for i != k, 0 on the diagonal
    a = np.array([2.0, 0.0, 3.0, -1.5])
    H = tn.hessian(lambda t: t.prod(), t64(a)).numpy()
    expected = np.zeros((4, 4))
    for i in range(4):
        for k in range(4):
            if i != k:
                expected[i, k] = np.prod([a[j] for j in range(4) if j not in (i, k)])
    np.testing.assert_allclose(H, expected, rtol=1e-15)


def test_prod_edges_and_empty(backend):
    x = t64([[INF, 0.0, 2.0], [NAN, 1.0, 2.0], [INF, 2.0, 3.0]])
    y = x.prod(axis=1)
    assert np.isnan(y.numpy()[:2]).all() and y.numpy()[2] == INF
    y.sum().backward()
    g = x.grad.numpy()
    # the products of the others: [0*2, inf*2, inf*0] = [0, inf, nan]
    assert g[0, 0] == 0.0 and g[0, 1] == INF and np.isnan(g[0, 2])
    assert g[1, 0] == 2.0 and np.isnan(g[1, 1:]).all()
    np.testing.assert_array_equal(g[2], [6.0, INF, INF])
    assert t64(np.zeros((0, 2))).prod().item() == 1.0  # the empty product


# --------------------------------------------------------------------------- var and std
def test_var_and_std_correction(backend):
    a = np.array([[1.0, 2.0, 4.0, 7.0], [0.0, 0.0, 1.0, 1.0]])
    x = t64(a)
    np.testing.assert_allclose(x.var(axis=1).numpy(), np.var(a, axis=1, ddof=1), rtol=1e-15)
    np.testing.assert_allclose(x.var(axis=1, correction=0).numpy(), np.var(a, axis=1), rtol=1e-15)
    np.testing.assert_allclose(x.std(ddof=0).numpy(), np.std(a), rtol=1e-15)
    np.testing.assert_allclose(tn.std(x, dim=1, correction=2).numpy(), np.std(a, 1, ddof=2))
    with pytest.raises(TypeError, match="both correction=1 and ddof=0"):
        x.var(correction=1, ddof=0)
    with pytest.raises(ValueError, match=r"var: 1 element.*correction=1.*correction=0"):
        t64([[1.0], [2.0]]).var(axis=1)
    with pytest.raises(ValueError, match="std: 2 element"):
        x.std(axis=0, correction=2)
    # the hand-derived gradient: 2 (x - mean) / (n - c)
    x.var(axis=1).sum().backward()
    expected = 2 * (a - a.mean(axis=1, keepdims=True)) / 3
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-15)


def test_std_of_a_constant_slice_has_a_nan_gradient(backend):
    x = t64([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
    y = x.std(axis=1)
    np.testing.assert_array_equal(y.numpy(), [0.0, 1.0])
    y.sum().backward()
    assert np.isnan(x.grad.numpy()[0]).all()
    np.testing.assert_allclose(x.grad.numpy()[1], [-0.5, 0.0, 0.5], rtol=1e-15)


def test_var_with_infinities_and_nan(backend):
    x = t64([[1.0, INF, 2.0], [NAN, 1.0, 2.0], [1.0, 2.0, 3.0]])
    y = x.var(axis=1)
    assert np.isnan(y.numpy()[:2]).all() and y.numpy()[2] == 1.0
    y.sum().backward()
    assert np.isnan(x.grad.numpy()[:2]).all()
    np.testing.assert_allclose(x.grad.numpy()[2], [-1.0, 0.0, 1.0], rtol=1e-15)


# --------------------------------------------------------------------------- logsumexp
def test_logsumexp_is_stable_and_its_gradient_is_the_softmax(backend):
    a = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1000.5]])
    x = t64(a)
    y = x.logsumexp(axis=1)
    m = a.max(axis=1, keepdims=True)
    expected = (m + np.log(np.exp(a - m).sum(axis=1, keepdims=True))).ravel()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x.softmax(axis=1).numpy(), rtol=1e-12)


def test_logsumexp_edges(backend):
    x = t64(
        [[0.0, -INF, 1.0], [-INF, -INF, -INF], [INF, 0.0, 1.0], [INF, INF, 0.0], [NAN, 0.0, 1.0]]
    )
    y = x.logsumexp(axis=1)
    v = y.numpy()
    assert v[0] == pytest.approx(math.log(1 + math.e), rel=1e-15)
    assert v[1] == -INF and v[2] == INF and v[3] == INF and np.isnan(v[4])
    y.backward(t64(np.ones(5), False))
    g = x.grad.numpy()
    np.testing.assert_allclose(g[0], [1 / (1 + math.e), 0.0, math.e / (1 + math.e)], rtol=1e-15)
    assert np.isnan(g[1]).all()  # softmax of an all -inf slice is undefined
    np.testing.assert_array_equal(g[2], [1.0, 0.0, 0.0])  # the limit of one +inf
    assert np.isnan(g[3]).all() and np.isnan(g[4]).all()
    assert t64(np.zeros((0,))).logsumexp().item() == -INF  # log of an empty sum


# --------------------------------------------------------------------------- argmax, argmin
def test_argmax_and_argmin(backend):
    a = np.array([[1.0, 5.0, 5.0], [7.0, NAN, -1.0], [0.0, -2.0, -2.0]])
    x = t64(a)
    assert x.argmax().item() == 4  # the first NaN counts as the largest (numpy, PyTorch)
    assert tn.argmax(x, axis=1).numpy().tolist() == [1, 1, 0]
    assert x.argmin(dim=1).numpy().tolist() == [0, 1, 1]
    assert ops.argmin(x, axis=0, keepdims=True).shape == (1, 3)
    assert x.argmax(dim=1, keepdim=True).shape == (3, 1)
    r = x.argmax(axis=1)
    assert r.dtype.kind == "i" and not r.requires_grad and r._ctx is None
    with pytest.raises(TypeError, match="one int or None"):
        x.argmax(axis=(0, 1))
    with pytest.raises(ValueError, match="empty"):
        tn.argmin(t64(np.zeros(0)))


def test_docstrings_state_the_derivatives():
    assert r"\frac{\bar y\,[x_i = y]}{k}" in ops.Max.__doc__
    assert r"\prod_{j \ne i} x_j" in ops.Prod.__doc__
    assert r"\frac{2\,(x_i - \bar x)}{n - c}" in ops.Var.__doc__
    assert r"{(n - c)\,y}" in ops.Std.__doc__
    assert r"e^{x_i - y}" in ops.LogSumExp.__doc__
    for cls in (ops.Var, ops.Std):
        assert "correction=1" in cls.__doc__ and "numpy" in cls.__doc__
