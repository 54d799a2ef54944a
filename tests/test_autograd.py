"""The autograd engine: graph traversal, accumulation, freeing, no_grad, errors, dtypes."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet.testing import float64_tensors, shapes


def test_diamond_gradient_is_sum_of_paths(backend):
    # y = a*x + b*x where a = x^2, b = exp(x): dy/dx = 3x^2 + exp(x)(x + 1)
    x = tn.tensor(np.array([0.3, -1.1, 2.0]), requires_grad=True)
    a = x * x
    b = x.exp()
    y = (a * x + b * x).sum()
    y.backward()
    xv = x.numpy()
    np.testing.assert_allclose(tn.to_numpy(x.grad), 3 * xv**2 + np.exp(xv) * (xv + 1), rtol=1e-12)


@given(x=float64_tensors(shapes(max_dims=2)), k=st.integers(2, 30))
def test_node_reused_many_times(backend, x, k):
    # sum of k uses of the same intermediate h = tanh(x): d/dx = k * (1 - tanh^2 x)
    h = x.tanh()
    total = h
    for _ in range(k - 1):
        total = total + h
    total.sum().backward()
    expected = k * (1 - np.tanh(x.numpy()) ** 2)
    np.testing.assert_allclose(tn.to_numpy(x.grad), expected, rtol=1e-12, atol=1e-12)


def test_shared_nodes_match_gradcheck(backend):
    rng = np.random.default_rng(1)
    x = tn.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = tn.tensor(rng.standard_normal((4, 4)), requires_grad=True)

    def f(x, w):
        h = (x @ w).tanh()
        return (h @ w + h * h).sigmoid() * h

    assert tn.gradcheck(f, x, w)


def test_gradients_accumulate_across_backward_calls(backend):
    x = tn.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(tn.to_numpy(x.grad), [3.0 + 2.0, 3.0 + 4.0])
    x.zero_grad()
    assert x.grad is None


def test_backward_with_explicit_output_gradient(backend):
    x = tn.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    y = x * x
    g = np.array([[1.0, 0.0], [0.5, -1.0]])
    y.backward(g)
    np.testing.assert_array_equal(tn.to_numpy(x.grad), 2 * x.numpy() * g)


def test_long_chain_does_not_recurse(backend):
    x = tn.tensor(np.array(0.5), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0  # 200,000 nodes; gradient stays exactly 1
    y = y * 2.0
    y.backward()
    assert tn.to_numpy(x.grad) == 2.0


def test_graph_is_freed_after_backward(backend):
    x = tn.tensor(np.ones(3), requires_grad=True)
    h = x.exp()
    y = (h * h).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward(backend):
    x = tn.tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(tn.to_numpy(x.grad), 2 * 2 * x.numpy())


def test_no_live_tensor_growth_over_training_steps(backend):
    w = tn.Parameter(np.random.default_rng(0).standard_normal((8, 4)), dtype="float32")
    x = tn.tensor(np.random.default_rng(1).standard_normal((16, 8)).astype(np.float32))

    def step() -> None:
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        with tn.no_grad():
            w.data -= 0.1 * w.grad.data  # arrays on both sides: what cupy accepts
        w.zero_grad()

    def live_tensors() -> int:
        gc.collect()
        return sum(isinstance(o, tn.Tensor) for o in gc.get_objects())

    step()
    before = live_tensors()
    for _ in range(50):
        step()
    assert live_tensors() <= before


def test_intermediate_is_released_after_backward(backend):
    x = tn.tensor(np.ones(4), requires_grad=True)
    h = x * 2.0
    ref = weakref.ref(h)
    y = h.sum()
    del h
    assert ref() is not None  # held by the graph of y
    y.backward()
    gc.collect()
    assert ref() is None  # the graph let go of it


def test_no_grad_records_nothing(backend):
    x = tn.tensor(np.ones(2), requires_grad=True)
    with tn.no_grad():
        y = x * 2.0
        assert not tn.is_grad_enabled()
        with tn.enable_grad():
            z = x * 2.0
    assert tn.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf


def test_detach_cuts_the_graph(backend):
    x = tn.tensor(np.array([2.0]), requires_grad=True)
    y = x * x.detach()  # d/dx = x (only the first factor is differentiated)
    y.backward(np.ones(1))
    np.testing.assert_array_equal(tn.to_numpy(x.grad), [2.0])


def test_retain_grad_keeps_intermediate_gradient(backend):
    x = tn.tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = (x * 3.0).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(tn.to_numpy(h.grad), 2 * h.numpy())


def test_item_numpy_and_repr(backend):
    t = tn.tensor([[1.5]])
    assert t.item() == 1.5
    assert isinstance(t.numpy(), np.ndarray)
    assert "tensor(" in repr(t)
    with pytest.raises(ValueError, match="item: only one-element tensors.*\\(2,\\)"):
        tn.tensor([1.0, 2.0]).item()


# --------------------------------------------------------------------------- errors
def test_matmul_shape_mismatch_names_op_and_shapes(backend):
    a, b = tn.tensor(np.ones((3, 4))), tn.tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        a @ b


def test_broadcast_error_names_op(backend):
    with pytest.raises(ValueError, match=r"add: .*\(3,\), \(4,\)"):
        tn.tensor(np.ones(3)) + tn.tensor(np.ones(4))


def test_nonscalar_backward_needs_gradient(backend):
    y = tn.tensor(np.ones(3), requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*one-element"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad has shape \(2,\).*\(3,\)"):
        y.backward(np.ones(2))


def test_backward_without_graph_is_an_error(backend):
    with pytest.raises(RuntimeError, match="does not require grad"):
        tn.tensor([1.0]).sum().backward()


# --------------------------------------------------------------------------- dtypes
def test_default_dtype_is_float32(backend):
    assert tn.tensor([1.0, 2.0]).dtype == np.float32
    assert tn.Parameter(np.zeros(2, dtype=np.int64)).dtype == np.float32
    assert tn.tensor(np.zeros(2)).dtype == np.float64  # numpy float64 is kept, not downcast
    assert tn.tensor([1, 2]).dtype == np.int64


def test_mixing_float32_and_float64_is_refused(backend):
    a = tn.tensor(np.ones(2, dtype=np.float32))
    b = tn.tensor(np.ones(2, dtype=np.float64))
    with pytest.raises(TypeError, match=r"mul: cannot mix float32 and float64.*astype"):
        a * b


def test_python_scalars_and_int_tensors_adopt_the_float_dtype(backend):
    a = tn.tensor(np.ones(2, dtype=np.float32))
    assert (a * 2.5).dtype == np.float32
    assert (a + tn.tensor([1, 2])).dtype == np.float32
    b = tn.tensor(np.ones(2))
    assert (b * 2.5).dtype == np.float64
    assert (b.sigmoid().exp().sum()).dtype == np.float64


def test_requires_grad_on_integer_tensor_is_refused(backend):
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        tn.Tensor(np.array([1, 2]), requires_grad=True)


def test_float32_gradients_stay_float32(backend):
    w = tn.Parameter(np.ones((3, 2), dtype=np.float32))
    x = tn.tensor(np.ones((4, 3), dtype=np.float32))
    (x @ w).sigmoid().mean().backward()
    assert w.grad.dtype == np.float32


def test_stable_activations_at_extremes(backend):
    import warnings

    x = tn.tensor(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in (tn.sigmoid, tn.tanh, tn.softmax, tn.log_softmax):
            y = f(x)
            assert np.all(np.isfinite(y.numpy())), f
            x.zero_grad()
            (y * tn.tensor(np.arange(5.0))).sum().backward()
            assert np.all(np.isfinite(tn.to_numpy(x.grad))), f
    s = tn.sigmoid(x).numpy()
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    np.testing.assert_allclose(
        tn.sigmoid(tn.tensor(np.array([-50.0]))).numpy(),
        [np.exp(-50.0) / (1 + np.exp(-50.0))],
        rtol=1e-12,
    )
    np.testing.assert_allclose(tn.log_softmax(x).numpy()[-1], 0.0)


def test_constructor_copies_the_callers_array(backend):
    w0 = np.ones(3)
    p = tn.Parameter(w0)
    p.data -= 1.0  # an in-place optimizer update
    np.testing.assert_array_equal(w0, np.ones(3))
    t = tn.tensor(w0)
    assert not np.shares_memory(tn.to_numpy(t.data), w0)


def test_sigmoid_derivative_keeps_relative_precision_for_large_inputs(backend):
    x = tn.tensor(np.array([40.0, -40.0, 600.0]), requires_grad=True)
    tn.sigmoid(x).sum().backward()
    e = np.exp(-np.abs(x.numpy()))
    np.testing.assert_allclose(tn.to_numpy(x.grad), e / (1 + e) ** 2, rtol=1e-12)
    assert tn.to_numpy(x.grad)[0] > 0  # sigma(1 - sigma) would round to exactly 0


def test_numpy_arrays_keep_their_dtype_and_are_checked(backend):
    a = tn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    # a float64 numpy array is a strong operand: no silent upcast of a float32 run
    with pytest.raises(TypeError, match="mul: cannot mix float32 and float64"):
        a * np.ones(2)
    with pytest.raises(TypeError, match="add: cannot mix float64 and float32"):
        np.ones(2) + a
    assert (a * np.ones(2, dtype=np.float32)).dtype == np.float32
    # Python lists and numbers are weak: they take the tensor's dtype
    assert (a * [1.0, 2.0]).dtype == np.float32
    assert (tn.tensor(np.ones(2)) * [1, 2]).dtype == np.float64
    # integer tensor with a Python float: the default float dtype
    assert (tn.tensor([1, 2]) * 2.5).dtype == np.float32
