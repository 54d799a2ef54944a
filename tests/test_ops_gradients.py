"""Every primitive op's backward against central finite differences (float64, hypothesis).

Inputs come from the public strategies in :mod:`tinynet.testing`, so these tests are
also the worked example of how an instructor checks a new op.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinynet as tn
from tinynet.testing import (
    as_tensor,
    away_from,
    broadcastable_shapes,
    float64_arrays,
    float64_tensors,
    matmul_shapes,
    positive_arrays,
    shapes,
)

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "maximum": lambda a, b: tn.maximum(a, b),
    "minimum": lambda a, b: tn.minimum(a, b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_ops_with_broadcasting(backend, name, data):
    sa, sb = data.draw(broadcastable_shapes())
    a = data.draw(float64_arrays(sa))
    b = data.draw(float64_arrays(sb))
    if name in ("maximum", "minimum"):
        # ties are kinks: keep |a - b| >= 1e-3 after broadcasting
        assume(np.all(np.abs(np.subtract(a, b)) > 1e-3))
    assert tn.gradcheck(BINARY[name], as_tensor(a), as_tensor(b))


@given(data=st.data())
def test_div_with_broadcasting(backend, data):
    sa, sb = data.draw(broadcastable_shapes())
    a = as_tensor(data.draw(float64_arrays(sa)))
    sign = data.draw(st.sampled_from([-1.0, 1.0]))
    b = as_tensor(sign * data.draw(positive_arrays(sb, min_value=0.5)))
    assert tn.gradcheck(lambda a, b: a / b, a, b)


@given(x=float64_tensors(shapes()), c=st.sampled_from([2, 3, -1, 0.5, 1.5, -2.5]))
def test_power_constant(backend, x, c):
    if not float(c).is_integer():
        x = as_tensor(np.abs(x.numpy()) + 0.5)  # real powers need a positive base
    elif c < 0:
        x = as_tensor(np.where(np.abs(x.numpy()) < 0.5, 0.7, x.numpy()))
    assert tn.gradcheck(lambda t: t**c, x)


@given(data=st.data())
def test_power_tensor_exponent(backend, data):
    sa, sb = data.draw(broadcastable_shapes())
    a = as_tensor(data.draw(positive_arrays(sa, min_value=0.5, max_value=3.0)))
    b = as_tensor(data.draw(float64_arrays(sb, -2.0, 2.0)))
    assert tn.gradcheck(lambda a, b: a**b, a, b)
    assert tn.gradcheck(lambda b: 2.0**b, b)


@given(x=float64_tensors(shapes()))
def test_negation_and_reverse_operators(backend, x):
    assert tn.gradcheck(lambda t: -t + 1.5 - (2.0 * t) + (3.0 - t) * 0.5, x)


@given(data=st.data())
def test_matmul(backend, data):
    sa, sb = data.draw(matmul_shapes())
    a = as_tensor(data.draw(float64_arrays(sa)))
    b = as_tensor(data.draw(float64_arrays(sb)))
    assert tn.gradcheck(lambda a, b: a @ b, a, b)


@given(x=float64_tensors(shapes(), min_value=-5, max_value=5))
def test_exp(backend, x):
    assert tn.gradcheck(lambda t: t.exp(), x)


@given(x=positive_arrays(shapes()).map(as_tensor))
def test_log_and_sqrt(backend, x):
    assert tn.gradcheck(lambda t: t.log(), x)
    assert tn.gradcheck(lambda t: t.sqrt(), x)


@given(x=away_from(float64_arrays(shapes())).map(as_tensor))
def test_abs_and_relu_away_from_kink(backend, x):
    assert tn.gradcheck(lambda t: t.abs(), x)
    assert tn.gradcheck(lambda t: t.relu(), x)
    assert tn.gradcheck(lambda t: tn.leaky_relu(t, 0.1), x)


@given(x=away_from(float64_arrays(shapes()), kinks=(-1.0, 0.5)).map(as_tensor))
def test_clip_away_from_bounds(backend, x):
    assert tn.gradcheck(lambda t: t.clip(-1.0, 0.5), x)
    assert tn.gradcheck(lambda t: t.clip(lo=-1.0), x)


@given(x=float64_tensors(shapes(), min_value=-30, max_value=30))
def test_sigmoid_and_tanh(backend, x):
    assert tn.gradcheck(lambda t: t.sigmoid(), x)
    assert tn.gradcheck(lambda t: t.tanh(), x)


@given(data=st.data())
def test_softmax_and_log_softmax(backend, data):
    shape = data.draw(shapes(min_dims=1))
    x = as_tensor(data.draw(float64_arrays(shape, -20, 20)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    assert tn.gradcheck(lambda t: t.softmax(axis=axis), x)
    assert tn.gradcheck(lambda t: t.log_softmax(axis=axis), x)


@given(data=st.data())
def test_sum_and_mean(backend, data):
    shape = data.draw(shapes())
    x = as_tensor(data.draw(float64_arrays(shape)))
    nd = len(shape)
    axis = data.draw(
        st.one_of(
            st.none(),
            st.integers(-nd, nd - 1) if nd else st.none(),
            st.lists(st.integers(0, max(nd - 1, 0)), min_size=1, max_size=nd, unique=True).map(
                tuple
            )
            if nd
            else st.none(),
        )
    )
    keepdims = data.draw(st.booleans())
    assert tn.gradcheck(lambda t: t.sum(axis=axis, keepdims=keepdims), x)
    assert tn.gradcheck(lambda t: t.mean(axis=axis, keepdims=keepdims), x)


@given(data=st.data())
def test_reshape_and_transpose(backend, data):
    shape = data.draw(shapes(min_dims=1))
    x = as_tensor(data.draw(float64_arrays(shape)))
    perm = data.draw(st.permutations(range(len(shape))))
    assert tn.gradcheck(lambda t: t.transpose(*perm) * 1.0, x)
    assert tn.gradcheck(lambda t: t.T, x)
    assert tn.gradcheck(lambda t: t.reshape(-1), x)


@given(data=st.data())
def test_getitem_basic_and_advanced(backend, data):
    shape = data.draw(shapes(min_dims=1, min_side=2))
    x = as_tensor(data.draw(float64_arrays(shape)))
    n = shape[0]
    stop = data.draw(st.integers(1, n))
    assert tn.gradcheck(lambda t: t[:stop], x)
    assert tn.gradcheck(lambda t: t[..., ::-1], x)
    # repeated indices: each selection adds its gradient (add.at, not assignment)
    idx = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6))
    assert tn.gradcheck(lambda t: t[np.array(idx)], x)
    if len(shape) >= 2:
        cols = data.draw(
            st.lists(st.integers(0, shape[1] - 1), min_size=len(idx), max_size=len(idx))
        )
        assert tn.gradcheck(lambda t: t[np.array(idx), np.array(cols)], x)


@given(x=float64_tensors(shapes()))
def test_cast_passes_gradient_back_in_input_dtype(backend, x):
    # finite differences through float32 rounding are noise, so check the rule itself:
    # d/dx sum(cast32(x)^2) = 2 cast32(x), returned as float64
    (x.astype("float32") ** 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(tn.to_numpy(x.grad), 2 * x.numpy().astype(np.float32), rtol=1e-6)


def test_getitem_repeated_index_accumulates(backend):
    x = tn.tensor(np.arange(3.0), requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(tn.to_numpy(x.grad), [3.0, 0.0, 1.0])


@given(data=st.data())
def test_affine_matches_matmul_plus_bias(backend, data):
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    x = as_tensor(data.draw(float64_arrays((n, k))))
    w = as_tensor(data.draw(float64_arrays((k, m))))
    b = as_tensor(data.draw(float64_arrays((m,))))
    assert tn.gradcheck(lambda x, w, b: tn.ops.affine(x, w, b), x, w, b)
    np.testing.assert_allclose(
        tn.ops.affine(x, w, b).numpy(), (x @ w + b).numpy(), rtol=1e-12, atol=1e-12
    )
    # shapes the fused op does not handle fall back to matmul + add, same errors
    assert tn.gradcheck(lambda x, w: tn.ops.affine(x, w), x, w)
    with pytest.raises(ValueError, match="matmul: shapes"):
        tn.ops.affine(x, as_tensor(np.ones((k + 1, m))), b)
