"""Shape operations learners bring from PyTorch: view, flatten, squeeze, unsqueeze,
expand/broadcast_to, clone, concatenate/cat, stack, where, tolist.

Values against numpy, first derivatives against central finite differences
(``tn.gradcheck``) and second derivatives (``tn.gradgradcheck``), float64 inputs drawn
by the hypothesis strategies of :mod:`tinynet.testing`, through the backend fixture.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet.testing import as_tensor, broadcastable_shapes, float64_arrays, shapes

EXAMPLES = settings(max_examples=25)


def _check(fn, *inputs):
    assert tn.gradcheck(fn, *inputs)
    # a sin after the linear op, so that the second derivative depends on the inputs
    assert tn.gradgradcheck(lambda *xs: fn(*xs).sin(), *inputs)


# --------------------------------------------------------------------------- values
def test_view_flatten_squeeze_unsqueeze_values(backend):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = tn.tensor(a)
    assert x.view(6, 4).shape == (6, 4) and x.view((4, 6)).shape == (4, 6)
    assert x.view(-1).shape == (24,)
    np.testing.assert_array_equal(x.flatten().numpy(), a.reshape(-1))
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert x.flatten(-2, -1).shape == (2, 12)
    assert tn.tensor(3.0).flatten().shape == (1,)
    assert tn.flatten(x, 1).shape == (2, 12)
    y = tn.zeros(1, 3, 1, 2)
    assert y.squeeze().shape == (3, 2)
    assert y.squeeze(0).shape == (3, 1, 2)
    assert y.squeeze(-2).shape == (1, 3, 2)
    assert y.squeeze((0, 2)).shape == (3, 2)
    assert y.squeeze(1).shape == (1, 3, 1, 2)  # as PyTorch: an axis of another size stays
    assert y.squeeze(dim=0).shape == (3, 1, 2)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4)
    assert x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.unsqueeze(2).shape == (2, 3, 1, 4)
    assert x.unsqueeze(dim=1).shape == (2, 1, 3, 4)
    assert tn.unsqueeze(tn.tensor(1.0), 0).shape == (1,)
    assert tn.squeeze(tn.ones(1, 1)).shape == ()


def test_expand_broadcast_to_values(backend):
    x = tn.tensor([[1.0], [2.0]])
    np.testing.assert_array_equal(x.expand(2, 3).numpy(), [[1, 1, 1], [2, 2, 2]])
    assert x.expand(4, -1, 3).shape == (4, 2, 3)
    assert x.expand((2, 2)).shape == (2, 2)
    assert x.broadcast_to((3, 2, 5)).shape == (3, 2, 5)
    assert x.broadcast_to(3, 2, 5).shape == (3, 2, 5)
    assert tn.broadcast_to(tn.tensor(2.0), 3).shape == (3,)
    i = tn.tensor(np.array([1, 2]))
    assert tn.broadcast_to(i, (2, 2)).dtype == i.dtype  # integers stay integers


def test_concatenate_and_stack_values(backend):
    a, b = np.arange(6.0).reshape(2, 3), -np.arange(3.0).reshape(1, 3)
    ta, tb = tn.tensor(a), tn.tensor(b)
    np.testing.assert_array_equal(tn.concatenate([ta, tb]).numpy(), np.concatenate([a, b]))
    np.testing.assert_array_equal(tn.cat((ta, ta), 1).numpy(), np.concatenate([a, a], 1))
    np.testing.assert_array_equal(tn.cat([ta, ta], dim=-1).numpy(), np.concatenate([a, a], 1))
    np.testing.assert_array_equal(tn.stack([ta, ta]).numpy(), np.stack([a, a]))
    np.testing.assert_array_equal(tn.stack([ta, ta], axis=2).numpy(), np.stack([a, a], 2))
    np.testing.assert_array_equal(tn.stack([ta, ta], -1).numpy(), np.stack([a, a], -1))
    assert tn.stack([tn.tensor(1.0), tn.tensor(2.0)]).shape == (2,)
    assert tn.cat is tn.concatenate
    # integers stay integers; an integer and a float tensor give the float
    i = tn.tensor(np.array([1, 2]))
    assert tn.cat([i, i]).dtype.kind == "i"
    assert tn.cat([i, tn.tensor([0.5])]).dtype == tn.float32
    # one input that requires grad: only it receives a gradient
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    (tn.cat([w, tn.tensor([5.0])]) * tn.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


def test_where_clone_tolist(backend):
    x = tn.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = tn.where(x > 0, x, 0.0)
    np.testing.assert_array_equal(y.numpy(), [0.0, 2.0, 0.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
    cond = np.array([[True], [False]])  # broadcasts against the operands
    np.testing.assert_array_equal(tn.where(cond, x, -x).numpy(), [[-1, 2, -3], [1, -2, 3]])
    assert tn.where([True, False, True], 1.0, 0.0).dtype == tn.float32
    c = x.clone()
    assert c is not x and c.requires_grad and not c.is_leaf
    assert not np.shares_memory(tn.to_numpy(c.data), tn.to_numpy(x.data))
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0, 3.0])  # 0 1 0 + 3 3 3
    assert x.detach().clone().requires_grad is False
    assert tn.tensor(np.array([1, 2])).clone().dtype.kind == "i"
    assert tn.tensor([[1.0, 2.5]]).tolist() == [[1.0, 2.5]]
    assert tn.tensor(3.0).tolist() == 3.0 and isinstance(tn.tensor(np.array([7])).tolist()[0], int)


def test_no_result_shares_memory_with_its_input(backend):
    """An in-place change of one tensor never changes another (PyTorch's views do):
    otherwise a backward could silently read values changed behind the version counter."""
    cases = {
        "view": lambda t: t.view(6),
        "reshape": lambda t: t.reshape(3, 2),
        "flatten": lambda t: t.flatten(),
        "unsqueeze": lambda t: t.unsqueeze(0),
        "squeeze": lambda t: t.squeeze(),
        "T": lambda t: t.T,
        "slice": lambda t: t[0],
        "slices": lambda t: t[:, 1:],
        "expand": lambda t: t.unsqueeze(0).expand(2, -1, -1),
        "cat": lambda t: tn.cat([t]),
        "clone": lambda t: t.clone(),
    }
    for name, fn in cases.items():
        x = tn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        y = fn(x)
        before = y.numpy().copy()
        x += 100.0
        np.testing.assert_array_equal(y.numpy(), before, err_msg=name)
        y += 1.0
        np.testing.assert_array_equal(x.numpy()[0, 0], 101.0, err_msg=name)
    # the silent wrong gradient this prevents
    x = tn.tensor([1.0, 2.0, 3.0, 4.0])
    w = tn.tensor([1.0, 1.0, 1.0, 1.0], requires_grad=True)
    z = (w * x.view(2, 2).flatten()).sum()
    x += 100.0
    z.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0, 3.0, 4.0])


# --------------------------------------------------------------------------- gradients
@EXAMPLES
@given(data=st.data())
def test_flatten_squeeze_unsqueeze_gradients(backend, data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    x = as_tensor(data.draw(float64_arrays(shape)))
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    start = data.draw(st.integers(0, x.ndim - 1))
    end = data.draw(st.integers(start, x.ndim - 1))
    _check(lambda t: t.unsqueeze(axis), x)
    _check(lambda t: t.unsqueeze(axis).squeeze(axis), x)
    _check(lambda t: t.squeeze(), x)
    _check(lambda t: t.flatten(start, end), x)
    _check(lambda t: t.view(-1), x)


@EXAMPLES
@given(data=st.data())
def test_broadcast_to_and_expand_gradients(backend, data):
    small, big = data.draw(broadcastable_shapes())
    target = np.broadcast_shapes(small, big)
    x = as_tensor(data.draw(float64_arrays(small)))
    _check(lambda t: t.broadcast_to(target), x)
    lead = data.draw(st.integers(0, 2))
    _check(lambda t: t.expand(*((2,) * lead + (-1,) * t.ndim)), x)


@EXAMPLES
@given(data=st.data())
def test_concatenate_and_stack_gradients(backend, data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    arrays = []
    for n in sizes:
        s = list(shape)
        s[axis] = n
        arrays.append(data.draw(float64_arrays(tuple(s))))
    inputs = [as_tensor(a) for a in arrays]
    out = tn.cat(inputs, axis)
    np.testing.assert_array_equal(out.numpy(), np.concatenate(arrays, axis))
    _check(lambda *ts: tn.cat(list(ts), axis), *inputs)
    same = [as_tensor(data.draw(float64_arrays(shape))) for _ in sizes]
    new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    np.testing.assert_array_equal(
        tn.stack(same, new_axis).numpy(), np.stack([t.numpy() for t in same], new_axis)
    )
    _check(lambda *ts: tn.stack(list(ts), new_axis), *same)


@EXAMPLES
@given(data=st.data())
def test_where_and_clone_gradients(backend, data):
    sc, sa, sb = data.draw(broadcastable_shapes(num_shapes=3))
    mask = np.asarray(data.draw(float64_arrays(sc))) > 0
    a = as_tensor(data.draw(float64_arrays(sa)))
    b = as_tensor(data.draw(float64_arrays(sb)))
    _check(lambda u, v: tn.where(mask, u * u, v), a, b)
    _check(lambda u: u.clone() * u, a)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: x.view(5), ValueError, r"reshape: cannot reshape a tensor of shape \(2, 3\)"),
        (lambda x: x.flatten(2), IndexError, r"flatten: axis 2 is out of range .* 2 dimensions"),
        (lambda x: x.flatten(1, 0), ValueError, r"flatten: start_dim 1 comes after end_dim 0"),
        (lambda x: x.squeeze(3), IndexError, r"squeeze: axis 3 is out of range"),
        (lambda x: x.unsqueeze(3), IndexError, r"unsqueeze: axis 3 is out of range .* -3 to 2"),
        (lambda x: x.unsqueeze(), TypeError, r"unsqueeze: missing the axis"),
        (lambda x: x.unsqueeze(1.0), TypeError, r"unsqueeze: axis must be an int"),
        (lambda x: x.unsqueeze(0, dim=0), TypeError, r"unsqueeze: got both axis=0 and dim=0"),
        (lambda x: x.expand(3), ValueError, r"expand: 1 sizes \(3,\) given for a tensor with 2"),
        (lambda x: x.expand(-1, 2, 3), ValueError, r"expand: size -1 .* new leading axis"),
        (lambda x: x.expand(2, 5), ValueError, r"broadcast_to: cannot broadcast .* \(2, 3\) to shape \(2, 5\)"),
        (lambda x: x.expand(2, 2.5), TypeError, r"expand: sizes must be integers"),
        (lambda x: x.broadcast_to((3,)), ValueError, r"broadcast_to: cannot broadcast"),
        (lambda x: tn.cat(x, x), TypeError, r"concatenate: expected a list or tuple of tensors"),
        (lambda x: tn.cat([x], x), TypeError, r"concatenate: the second argument is the axis"),
        (lambda x: tn.cat([]), ValueError, r"concatenate: expected at least one tensor"),
        (lambda x: tn.cat([x, x.T]), ValueError, r"concatenate: tensor 1 has shape \(3, 2\) .* only along axis 0"),
        (lambda x: tn.cat([x, x], 2), IndexError, r"concatenate: axis 2 is out of range"),
        (lambda x: tn.cat([x.sum(), x.sum()]), ValueError, r"concatenate: zero-dimensional .* tn.stack"),
        (lambda x: tn.cat([x, x.astype("float64")]), TypeError, r"concatenate: cannot mix float32 and float64"),
        (lambda x: tn.stack([x, x[0]]), ValueError, r"stack: tensor 1 has shape \(3,\) but tensor 0 has shape \(2, 3\)"),
        (lambda x: tn.stack([x, x], 3), IndexError, r"stack: axis 3 is out of range"),
        (lambda x: tn.where(x, x, x), TypeError, r"where: the condition must be a boolean array, got dtype float32"),
        (lambda x: tn.where([1, 0], x, x), TypeError, r"where: the condition must be a boolean array, got dtype int"),
        (lambda x: tn.where(np.array([True, False]), x, 0.0), ValueError, r"where: the condition of shape \(2,\) and the operands of shapes \(2, 3\) and \(\) do not broadcast"),
    ],
)  # fmt: skip
def test_errors_name_the_op_and_shapes(backend, call, error, message):
    with pytest.raises(error, match=message):
        call(tn.tensor(np.arange(6.0).reshape(2, 3), dtype="float32"))
