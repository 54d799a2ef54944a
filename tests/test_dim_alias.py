"""PyTorch's spellings where tinynet keeps numpy's (issue 12, item 3).

Every function, method and module that takes ``axis=`` also takes ``dim=`` (and
``keepdims=`` also ``keepdim=``) with the same result; giving both spellings is a
``TypeError`` naming both. ``Tensor.size`` stays numpy's element count, and calling it
as PyTorch's ``size()`` says so.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import nn, ops
from tinynet.nn import functional as F
from tinynet.testing import float64_arrays

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def t64(values=A, requires_grad=True):
    return tn.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def _first(r):
    return r.values if isinstance(r, ops.ValuesIndices) else r


# name -> call with **kwargs. Each is tried with axis= and with dim=.
CALLS = {
    "tn.sum": lambda x, **k: tn.sum(x, **k), "x.sum": lambda x, **k: x.sum(**k),
    "tn.mean": lambda x, **k: tn.mean(x, **k), "x.mean": lambda x, **k: x.mean(**k),
    "tn.max": lambda x, **k: tn.max(x, **k), "x.max": lambda x, **k: x.max(**k),
    "tn.min": lambda x, **k: tn.min(x, **k), "x.min": lambda x, **k: x.min(**k),
    "tn.amax": lambda x, **k: tn.amax(x, **k), "x.amin": lambda x, **k: x.amin(**k),
    "tn.prod": lambda x, **k: tn.prod(x, **k), "x.prod": lambda x, **k: x.prod(**k),
    "tn.var": lambda x, **k: tn.var(x, **k), "x.var": lambda x, **k: x.var(**k),
    "tn.std": lambda x, **k: tn.std(x, **k), "x.std": lambda x, **k: x.std(**k),
    "tn.logsumexp": lambda x, **k: tn.logsumexp(x, **k),
    "x.logsumexp": lambda x, **k: x.logsumexp(**k),
    "tn.argmax": lambda x, **k: tn.argmax(x, **k), "x.argmax": lambda x, **k: x.argmax(**k),
    "tn.argmin": lambda x, **k: tn.argmin(x, **k), "x.argmin": lambda x, **k: x.argmin(**k),
    "tn.softmax": lambda x, **k: tn.softmax(x, **k), "x.softmax": lambda x, **k: x.softmax(**k),
    "F.softmax": lambda x, **k: F.softmax(x, **k),
    "tn.log_softmax": lambda x, **k: tn.log_softmax(x, **k),
    "x.log_softmax": lambda x, **k: x.log_softmax(**k),
    "F.log_softmax": lambda x, **k: F.log_softmax(x, **k),
    "nn.Softmax": lambda x, **k: nn.Softmax(**k)(x),
    "nn.LogSoftmax": lambda x, **k: nn.LogSoftmax(**k)(x),
    "x.any": lambda x, **k: (x > 0).any(**k), "x.all": lambda x, **k: (x > 0).all(**k),
}  # fmt: skip
NO_KEEPDIMS = {"tn.softmax", "x.softmax", "F.softmax", "tn.log_softmax", "x.log_softmax",
               "F.log_softmax", "nn.Softmax", "nn.LogSoftmax", "x.any", "x.all"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CALLS))
@given(a=float64_arrays((2, 3, 2), -2.0, 2.0), axis=st.integers(-3, 2))
def test_dim_is_axis(backend, name, a, axis):
    call = CALLS[name]
    x = t64(a)
    by_axis = _first(call(x, axis=axis))
    by_dim = _first(call(x, dim=axis))
    np.testing.assert_array_equal(by_dim.numpy(), by_axis.numpy(), err_msg=name)
    if name not in NO_KEEPDIMS:
        kept = _first(call(x, axis=axis, keepdims=True))
        np.testing.assert_array_equal(_first(call(x, dim=axis, keepdim=True)).numpy(), kept.numpy())
        assert kept.shape == tuple(1 if i == axis % 3 else n for i, n in enumerate(a.shape))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_giving_both_spellings_is_an_error(backend, name):
    with pytest.raises(TypeError, match=r"both axis=0 and dim=1.*give only one"):
        CALLS[name](t64(), axis=0, dim=1)
    if name not in NO_KEEPDIMS:
        with pytest.raises(TypeError, match=r"both keepdims=True and keepdim=True"):
            CALLS[name](t64(), axis=0, keepdims=True, keepdim=True)


def test_softmax_default_axis_is_still_the_last(backend):
    x = t64()
    np.testing.assert_array_equal(x.softmax().numpy(), x.softmax(axis=1).numpy())
    np.testing.assert_array_equal(nn.LogSoftmax()(x).numpy(), x.log_softmax(dim=-1).numpy())
    # an explicit axis=-1 together with dim= is refused as well
    with pytest.raises(TypeError, match="both axis=-1 and dim=0"):
        tn.softmax(x, axis=-1, dim=0)
    assert repr(nn.Softmax(dim=0)) == "Softmax(axis=0)"
    with pytest.raises(TypeError, match="Softmax: dim must be an integer"):
        nn.Softmax(dim=1.5)


def test_sum_dim_gradient(backend):
    x = t64()
    x.sum(dim=1, keepdim=True).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones_like(A))


def test_size_is_numpys_element_count_and_calling_it_explains(backend):
    x = t64(np.zeros((2, 3)))
    assert x.size == 6 and isinstance(x.size, int) and repr(x.size) == "6"
    assert x.size * 2 == 12 and np.zeros(x.size).shape == (6,)
    with pytest.raises(TypeError, match=r"numpy's element count.*here 6.*x\.size\(\) use x\.shape"):
        x.size()
    with pytest.raises(TypeError, match=r"x\.size\(1\) use x\.shape\[1\]"):
        x.size(1)


def test_unknown_keyword_errors_stay_pythons(backend):
    with pytest.raises(TypeError, match="unexpected keyword argument 'dims'"):
        t64().sum(dims=1)
