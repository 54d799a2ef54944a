"""Tensor semantics that match numpy and PyTorch (comparisons, truth values, numpy
interop, dtypes), in-place updates with the version counter, the backward contract,
ownership of ``.grad`` and anomaly detection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinynet as tn
from tinynet.testing import float64_arrays, shapes

finite = st.floats(-1e6, 1e6, allow_nan=False, width=64)
values = st.one_of(finite, st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan]))


def host(t):
    return tn.to_numpy(t.data if isinstance(t, tn.Tensor) else t)


# --------------------------------------------------------------------------- comparisons
@given(
    a=hnp.arrays(np.float64, shapes(max_dims=2), elements=values),
    b=st.one_of(values, st.integers(-3, 3)),
)
def test_comparisons_are_elementwise_like_numpy(backend, a, b):
    t = tn.tensor(a)
    for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        got = getattr(t, op)(b)
        assert isinstance(got, tn.Tensor) and not got.requires_grad
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(host(got), getattr(a, op)(b))


@given(a=float64_arrays(shapes(max_dims=2)))
def test_tensor_equals_tensor_elementwise(backend, a):
    t, u = tn.tensor(a), tn.tensor(a.copy())
    np.testing.assert_array_equal(host(t == u), a == a)  # nan != nan, as IEEE says
    np.testing.assert_array_equal(host(t != u), a != a)


def test_tensors_stay_hashable_by_identity(backend):
    a, b = tn.tensor([1.0, 2.0]), tn.tensor([1.0, 2.0])
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert len({a, b}) == 2
    assert (a == None) is False and (a != None) is True  # noqa: E711 - PyTorch's answer


def test_comparison_shape_mismatch_names_both_shapes(backend):
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        tn.tensor([1.0, 2.0]) == tn.tensor([1.0, 2.0, 3.0])  # noqa: B015


# --------------------------------------------------------------------------- truth values
@given(v=values)
def test_bool_of_one_element_is_its_truth_value(backend, v):
    for shape in ((), (1,), (1, 1)):
        t = tn.tensor(np.full(shape, v))
        assert bool(t) is bool(v)
        assert bool(t > 0) is bool(v > 0)


@given(shape=shapes(min_dims=1, max_dims=3, min_side=0).filter(lambda s: int(np.prod(s)) != 1))
def test_bool_of_other_sizes_is_ambiguous(backend, shape):
    t = tn.tensor(np.zeros(shape))
    with pytest.raises(RuntimeError, match="ambiguous") as info:
        bool(t)
    assert str(shape) in str(info.value)


def test_bool_of_negative_one_is_true_and_comparison_false(backend):
    # the first release fell back to len(): bool(tensor([-1.]) > 0) was True
    assert bool(tn.tensor([-1.0]) > 0) is False
    assert bool(tn.tensor([-1.0])) is True
    assert bool((tn.tensor([1.0, 2.0]) > 0).all()) and not bool((tn.tensor([1.0, -2.0]) > 0).all())
    assert bool((tn.tensor([1.0, -2.0]) > 0).any())


@given(v=finite)
def test_float_int_abs(backend, v):
    t = tn.tensor([v], dtype="float64")
    assert float(t) == v
    assert int(t) == int(v)
    np.testing.assert_array_equal(host(abs(t)), [abs(v)])
    assert [10, 20, 30][tn.tensor(1)] == 20  # integer tensors index like ints


def test_python_conversions_refuse_many_elements(backend):
    t = tn.tensor([1.0, 2.0])
    for convert in (float, int):
        with pytest.raises(TypeError, match=r"one-element.*\(2,\)"):
            convert(t)
    with pytest.raises(TypeError, match="integer tensors"):
        [1, 2][tn.tensor(1.0)]


# --------------------------------------------------------------------------- numpy interop
@given(a=float64_arrays(shapes(max_dims=3)))
def test_np_asarray_gives_the_host_array(a):
    if tn.backend_name() != "numpy":
        pytest.skip("on a device np.asarray is refused (tested below)")
    got = np.asarray(tn.tensor(a))
    assert got.dtype == np.float64 and got.shape == a.shape
    np.testing.assert_array_equal(got, a)
    assert np.asarray(tn.tensor(a), dtype=np.float32).dtype == np.float32
    assert np.asarray(tn.tensor([1.0, 2.0])).dtype == np.float32


def test_numpy_ufuncs_dispatch_to_differentiable_ops(backend):
    x = tn.tensor(np.array([0.5, 2.0]), requires_grad=True)
    y = np.exp(x) * np.array([1.0, 3.0]) + np.sqrt(x)
    assert isinstance(y, tn.Tensor) and y.requires_grad
    y.sum().backward()
    xv = np.array([0.5, 2.0])
    np.testing.assert_allclose(host(x.grad), np.exp(xv) * [1.0, 3.0] + 0.5 / np.sqrt(xv))
    flags = np.isfinite(tn.tensor([1.0, np.inf, np.nan]))
    assert isinstance(flags, tn.Tensor)
    np.testing.assert_array_equal(host(flags), [True, False, False])


def test_unsupported_numpy_ufunc_is_a_clear_error(backend):
    with pytest.raises(TypeError, match=r"numpy\.arctan.*not supported.*numpy\(\)"):
        np.arctan(tn.tensor([1.0]))
    with pytest.raises(TypeError, match="numpy.add.*out"):
        np.add(tn.tensor([1.0]), 1.0, out=tn.tensor([0.0]))
    with pytest.raises(TypeError, match=r"numpy.add: writing into a plain array would drop"):
        np.add(tn.tensor([1.0], requires_grad=True), 1.0, out=np.zeros(1, dtype=np.float32))


def test_plain_array_update_with_a_tensor_operand(backend):
    # the classic ``p.data -= lr * p.grad``: a computation on plain arrays
    p = tn.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    data = p.data
    if backend == "numpy":
        p.data -= 0.5 * p.grad
    else:
        # cupy's in-place operators take only cupy arrays and scalars (a Tensor is
        # neither, and ``-=`` does not defer to it): the array form works everywhere.
        with pytest.raises(TypeError, match="Unsupported type"):
            p.data -= 0.5 * p.grad
        p.data -= 0.5 * p.grad.data
    assert p.data is data
    np.testing.assert_array_equal(host(p), [0.0, 0.0])


# --------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize(
    "make",
    [
        lambda t: t / 2,
        lambda t: 3 / t,
        lambda t: t.sqrt(),
        lambda t: t.exp(),
        lambda t: t.mean(),
        lambda t: t.log(),
        lambda t: t.sigmoid(),
    ],
)
def test_integer_tensors_give_the_default_float_dtype(backend, make):
    t = tn.tensor([1, 4, 9])
    assert t.dtype.kind == "i"
    out = make(t)
    assert out.dtype == tn.get_default_dtype()


def test_integer_arithmetic_stays_integer(backend):
    t = tn.tensor([1, 2])
    assert (t + t).dtype.kind == "i" and (t * 3).dtype.kind == "i" and t.sum().dtype.kind == "i"
    assert (t * 2.5).dtype == tn.get_default_dtype()


@pytest.mark.parametrize("data", [[1.0, 2.0], [1, 2], 3.0, 3, ((1.0,), (2.0,))])
def test_parameter_from_python_data_uses_default_dtype(backend, data):
    assert tn.Parameter(data).dtype == tn.get_default_dtype() == np.float32
    assert tn.tensor(data, requires_grad=True).dtype == np.float32


def test_parameter_keeps_a_float_arrays_dtype(backend):
    assert tn.Parameter(np.array([1.0, 2.0])).dtype == np.float64
    assert tn.Parameter(np.array([1, 2])).dtype == np.float32
    assert tn.Parameter([1.0], dtype="float64").dtype == np.float64


# --------------------------------------------------------------------------- grad ownership
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_grad_is_an_array_of_its_own(backend, dtype):
    a = tn.tensor(np.array([1.0, 2.0]), requires_grad=True, dtype=dtype)
    b = tn.tensor(np.array([3.0, 4.0]), requires_grad=True, dtype=dtype)
    c = tn.tensor(np.array([[5.0, 6.0]]), requires_grad=True, dtype=dtype)
    h = (a + b).retain_grad()
    out = h + c.reshape(2) + c.T.reshape(2)
    seed = np.array([1.0, 10.0], dtype=dtype)
    out.backward(seed)
    grads = [a.grad, b.grad, c.grad, h.grad]
    for i, g in enumerate(grads):
        assert g.dtype == dtype
        assert not np.shares_memory(host(g), seed)
        for other in grads[i + 1 :]:
            assert not np.shares_memory(host(g), host(other))
    a.grad[...] = 0  # zeroing one gradient in place leaves the others alone
    np.testing.assert_array_equal(host(b.grad), [1.0, 10.0])
    np.testing.assert_array_equal(host(h.grad), [1.0, 10.0])
    np.testing.assert_array_equal(host(c.grad), [[2.0, 20.0]])


def test_backward_seed_of_another_dtype_is_refused(backend):
    y = tn.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(TypeError, match="float64.*float32"):
        y.backward(np.ones(2))
    y.backward([1.0, 1.0])  # Python lists adopt the output's dtype


# --------------------------------------------------------------------------- in-place
def test_no_grad_update_idiom_keeps_the_same_parameter(backend):
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    original = w
    for _ in range(3):
        (w * w).sum().backward()
        with tn.no_grad():
            w -= 0.25 * w.grad
        w.grad = None
    assert w is original and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(host(w), np.array([1.0, 2.0]) * 0.5**3)


@given(a=float64_arrays(shapes(max_dims=2)), b=finite)
def test_inplace_operators_match_out_of_place(backend, a, b):
    for op, ufunc in (("__iadd__", np.add), ("__isub__", np.subtract), ("__imul__", np.multiply)):
        t = tn.tensor(a)
        same = getattr(t, op)(b)
        assert same is t and t.dtype == np.float64
        np.testing.assert_array_equal(host(t), ufunc(a, b))


def test_inplace_keeps_dtype_and_shape_or_refuses(backend):
    t = tn.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="cannot mix float32 and float64"):
        t += np.array([1.0, 1.0])
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(2,\)"):
        t += np.ones((2, 2), dtype=np.float32)
    i = tn.tensor([1, 2])
    with pytest.raises(TypeError, match="keep the dtype"):
        i /= 2
    i += 1
    np.testing.assert_array_equal(host(i), [2, 3])
    t.zero_()
    np.testing.assert_array_equal(host(t), [0.0, 0.0])
    t.fill_(3.0).add_(1.0).mul_(2.0)
    np.testing.assert_array_equal(host(t), [8.0, 8.0])


def test_inplace_on_leaf_requiring_grad_while_recording_is_refused(backend):
    w = tn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad.*no_grad"):
        w += 1
    h = w * 2
    with pytest.raises(RuntimeError, match="part of a recorded graph"):
        h *= 3
    x = tn.tensor([1.0])
    with pytest.raises(RuntimeError, match="right-hand side requires grad"):
        x += w


def test_optimizer_step_between_forward_and_backward_is_detected(backend):
    model = tn.nn.Dense(3, 2)
    opt = tn.optim.SGD(model.parameters(), lr=0.1)
    x = tn.tensor(np.ones((4, 3), dtype=np.float32))
    model(x).sum().backward()
    loss = model(x).sum()
    opt.step()  # changes the weights that the pending backward would read
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*step\(\)"):
        loss.backward()


def test_inplace_change_of_an_input_after_forward_is_detected(backend):
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    c = tn.tensor([3.0, 4.0])
    y = (x * c).sum()
    c += 1  # c is read by Mul's backward
    with pytest.raises(RuntimeError, match=r"Mul \(input 1, a tensor of shape \(2,\)"):
        y.backward()


def test_inplace_change_not_read_by_backward_is_fine(backend):
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    c = tn.tensor([3.0, 4.0])
    y = (x + c).sum()  # Add's backward does not read its inputs
    c += 1
    y.backward()
    np.testing.assert_array_equal(host(x.grad), [1.0, 1.0])


def test_saved_output_changed_in_place_is_detected(backend):
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # Exp's backward reads its output
    with tn.no_grad():
        y += 1
    with pytest.raises(RuntimeError, match="Exp.*its output"):
        y.sum().backward()


# --------------------------------------------------------------------------- backward contract
class _Double(tn.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return (grad * 2,)


def _custom(backward_result):
    class Custom(_Double):
        def backward(self, grad):
            return backward_result(grad)

    return Custom


@pytest.mark.parametrize(
    "result, error, pattern",
    [
        (lambda g: g * 2, TypeError, r"Custom\.backward must return a tuple.*\(grad_x,\)"),
        (lambda g: (g, g), TypeError, r"Custom\.backward returned 2 gradients for 1 inputs"),
        (lambda g: (g[:1],), ValueError, r"Custom.*shape \(1,\) for input 0, expected shape \(2,\)"),
        (lambda g: (g.astype("float64"),), TypeError, r"Custom.*dtype float64 for input 0.*float32"),
        (lambda g: (tn.tensor(g),), TypeError, r"Custom.*Tensor for input 0.*t\.data"),
        (lambda g: ([1.0, 1.0],), TypeError, r"Custom.*list for input 0"),
    ],
)
def test_backward_contract_violations_name_the_function(backend, result, error, pattern):
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(error, match=pattern):
        _custom(result).apply(x).sum().backward()
    assert x.grad is None  # nothing wrong was stored


def test_custom_backward_broadcast_shape_is_summed(backend):
    x = tn.tensor([[1.0, 2.0]], requires_grad=True)
    custom = _custom(lambda g: (np.ones((3, 2), dtype=np.float32) if tn.backend_name() == "numpy" else tn.xp.ones((3, 2), dtype="float32"),))
    custom.apply(x).sum().backward()
    np.testing.assert_array_equal(host(x.grad), [[3.0, 3.0]])


def test_custom_backward_returning_a_saved_array_is_copied(backend):
    saved = {}

    class Keep(tn.Function):
        def forward(self, x):
            saved["buffer"] = tn.xp.ones_like(x)
            return x.copy()

        def backward(self, grad):
            return (saved["buffer"],)

    x = tn.tensor([1.0, 2.0], requires_grad=True)
    Keep.apply(x).sum().backward()
    x.grad[...] = 7
    np.testing.assert_array_equal(host(saved["buffer"]), [1.0, 1.0])


# --------------------------------------------------------------------------- anomaly mode
def test_detect_anomaly_names_the_forward_op_and_the_user_line(backend):
    x = tn.tensor([-1.0, 4.0], requires_grad=True)
    with pytest.raises(tn.AnomalyError) as info, tn.detect_anomaly():
        x.sqrt()  # the line reported
    msg = str(info.value)
    assert "forward of Sqrt produced nan" in msg and "(2,) float32" in msg
    assert "test_tensor_semantics.py" in msg and "x.sqrt()  # the line reported" in msg
    assert "this operation made them" in msg


def test_detect_anomaly_points_upstream_for_bad_data(backend):
    data = tn.tensor([[1.0, np.nan]])
    w = tn.tensor([[1.0], [2.0]], requires_grad=True)
    with pytest.raises(tn.AnomalyError, match=r"MatMul.*input 0 \(nan\) already held"), tn.detect_anomaly():
        data @ w


def test_detect_anomaly_in_backward_names_the_creating_line(backend):
    x = tn.tensor([0.0, 1.0], requires_grad=True)
    with tn.detect_anomaly():
        y = (x.abs() + 1).log()  # finite forward
        z = (y * 0 + x).sqrt()  # sqrt(0) is fine forward, its gradient is inf
        with pytest.raises(tn.AnomalyError) as info:
            z.sum().backward()
    msg = str(info.value)
    assert "backward of Sqrt produced inf" in msg and "gradient of input 0" in msg
    assert "z = (y * 0 + x).sqrt()" in msg


def test_anomaly_mode_off_changes_nothing(backend):
    x = tn.tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.sqrt()
    assert np.isnan(host(y)).all()  # IEEE answer, no error outside the context
    with tn.detect_anomaly():
        pass
    with np.errstate(invalid="ignore"):
        x.sqrt()


def test_anomaly_mode_swaps_apply_and_always_restores_it():
    # The mode replaces Function.apply while it is on (so that off, recording pays
    # nothing for it): the plain method must come back on every way out of the block.
    from tinynet.tensor import Function

    plain = Function.apply
    with tn.detect_anomaly():
        assert Function.apply != plain
        with tn.detect_anomaly():  # nested: leaving the inner block keeps the mode on
            pass
        assert Function.apply != plain
        with pytest.raises(tn.AnomalyError):
            tn.tensor([-1.0]).sqrt()  # checked even when nothing requires grad
    assert Function.apply == plain
    with pytest.raises(ZeroDivisionError), tn.detect_anomaly():
        raise ZeroDivisionError("leaving the block by an exception")
    assert Function.apply == plain
    with np.errstate(invalid="ignore"):
        tn.tensor([-1.0]).sqrt()  # off again: IEEE nan, no error


def test_grad_is_a_copy_of_a_shared_engine_array(backend):
    # ``a + b`` hands one array to both inputs; each .grad must still be its own
    a = tn.tensor([1.0, 2.0], requires_grad=True)
    b = tn.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(host(a.grad), host(b.grad))
    assert a.grad is a.grad  # wrapped (and copied) once, then the same Tensor
    a.grad.zero_()
    np.testing.assert_array_equal(host(b.grad), [1.0, 1.0])
    (a + b).sum().backward()  # accumulation makes new arrays, never writes in place
    np.testing.assert_array_equal(host(a.grad), [1.0, 1.0])
    np.testing.assert_array_equal(host(b.grad), [2.0, 2.0])


def test_grad_of_a_sum_can_be_changed_in_place(backend):
    # the gradient of a sum is a broadcast (read-only) view; in-place changes copy it first
    x = tn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = tn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x.sum() + y.sum()).backward()
    x.grad.zero_()
    x.grad[0, 1] = 5.0
    x.grad += 1.0
    np.testing.assert_array_equal(host(x.grad), [[1.0, 6.0], [1.0, 1.0]])
    np.testing.assert_array_equal(host(y.grad), [[1.0, 1.0], [1.0, 1.0]])
    assert not np.shares_memory(host(x.grad), host(y.grad))
