"""Every op twice differentiable (issue 11, item 2), property-tested op by op.

For each Function in ``tinynet.ops`` (the fused losses included), with hypothesis
shapes and float64 values away from kinks:

* ``tn.gradgradcheck`` passes: the gradient built by ``backward_graph`` and
  differentiated once more agrees with central differences of the first-order
  gradient (an independent reference: it uses only ``backward``, itself checked
  against finite differences in ``tests/test_ops_gradients.py``);
* ``backward_graph``'s first-order result is ``backward``'s, number for number
  (``assert_array_equal``), also at the IEEE edge values, in float32 and float64:
  ``create_graph=True`` never changes a gradient, only makes it differentiable;
* linear operations have a zero second derivative, returned as zeros with
  ``materialize_grads=True`` or as ``None`` with ``allow_unused=True``, and refused
  with a message naming both otherwise.

The second derivatives of the fused losses are also compared with closed forms
derived by hand (the softmax Hessian, :math:`\\sigma'`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet import ops
from tinynet.nn import functional as F
from tinynet.testing import (
    as_tensor,
    away_from,
    broadcastable_shapes,
    edge_arrays,
    float64_arrays,
    matmul_shapes,
    positive_arrays,
    shapes,
)

SMALL = shapes(min_dims=0, max_dims=2, max_side=3)
NONEMPTY = shapes(min_dims=1, max_dims=2, max_side=3)


def vals(shape, lo=-2.0, hi=2.0):
    return float64_arrays(shape, min_value=lo, max_value=hi)


def apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """*b* moved so that it differs from *a* by at least 0.05 everywhere (no ties)."""
    a, b = np.broadcast_arrays(a, b)
    return np.where(np.abs(a - b) < 0.05, a + 0.1, b)


# --------------------------------------------------------------------------- the cases
# Each builder draws (function of tensors, list of numpy arrays, linear?) for one op. The
# function applies exactly one op, so backward_graph of that op is what is compared.
def _binary(op):
    def build(draw):
        sa, sb = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
        return op, [draw(vals(sa)), draw(vals(sb))]

    return build


def _unary(op, strategy=None):
    def build(draw):
        return op, [draw(strategy if strategy is not None else vals(SMALL))]

    return build


def _div(draw):
    sa, sb = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    b = draw(away_from(vals(sb), kinks=(0.0,), margin=0.2))
    return (lambda a, b: a / b), [draw(vals(sa)), b]


def _powconst(draw):
    c = draw(st.sampled_from([0, 1, 2, 3, -2, 0.5, -1.5, 2.5]))
    if isinstance(c, float) or c < 0:
        x = draw(positive_arrays(SMALL, 0.3, 3.0))
    else:
        x = draw(vals(SMALL))
    return (lambda a: a**c), [x]


def _pow(draw):
    sa, sb = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    return (lambda a, b: a**b), [draw(positive_arrays(sa, 0.3, 3.0)), draw(vals(sb))]


def _matmul(draw):
    sa, sb = draw(matmul_shapes(max_side=3))
    return (lambda a, b: ops.matmul(a, b)), [draw(vals(sa)), draw(vals(sb))]


def _affine(draw):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    return (lambda x, w, b: ops.affine(x, w, b)), [
        draw(vals((n, k))),
        draw(vals((k, m))),
        draw(vals((m,))),
    ]


def _maxmin(op):
    def build(draw):
        sa, sb = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
        a, b = draw(vals(sa)), draw(vals(sb))
        if sa == sb:
            b = apart(a, b)
        else:  # with broadcasting, a shift of b cannot fix every pair: separate the ranges
            b = b + 5.0 * draw(st.sampled_from([-1.0, 1.0]))
        return op, [a, b]

    return build


def _clip(draw):
    lo, hi = draw(st.sampled_from([(-1.0, 1.0), (None, 0.5), (-0.5, None)]))
    kinks = tuple(v for v in (lo, hi) if v is not None)
    x = draw(away_from(vals(SMALL), kinks=kinks, margin=0.02))
    return (lambda a: a.clip(lo, hi)), [x]


def _where(draw):
    sa, sb, sc = draw(broadcastable_shapes(3, max_dims=2, max_side=3))
    c = np.asarray(
        draw(st.lists(st.booleans(), min_size=int(np.prod(sc)), max_size=int(np.prod(sc))))
    )
    c = c.reshape(sc)
    return (lambda a, b: ops.where(c, a, b)), [draw(vals(sa)), draw(vals(sb))]


def _reduction(op):
    def build(draw):
        shape = draw(SMALL)
        keepdims = draw(st.booleans())
        if shape:
            axis = draw(
                st.one_of(
                    st.none(),
                    st.integers(-len(shape), len(shape) - 1),
                    st.just(tuple(range(len(shape)))),
                )
            )
        else:
            axis = None
        return (lambda a: op(a, axis=axis, keepdims=keepdims)), [draw(vals(shape))]

    return build


def _distinct(a: np.ndarray) -> np.ndarray:
    """No ties (the kinks of max and min; a slice of equal values has std 0)."""
    flat = np.asarray(a, dtype=np.float64).ravel()
    ranks = np.argsort(np.argsort(flat, kind="stable"), kind="stable")
    return (ranks * 0.1 + flat * 0.01 - 0.1).reshape(np.shape(a))


def _new_reduction(op, tie_free=False, spread=False):
    """A reduction of issue 12 with a drawn axis/keepdims (and correction for var/std)."""

    def build(draw):
        fn, arrays = _reduction(op)(draw)
        (a,) = arrays
        if tie_free:
            a = _distinct(a)
        if not spread:
            return fn, [a]
        correction = 0 if a.size < 2 else draw(st.sampled_from([0, 1]))
        shape = a.shape if a.size >= 2 else (2,)
        a = _distinct(draw(vals(shape))) if a.size < 2 else a
        # slices of two or more (distinct) elements: std is 0 on a single one
        axis = draw(st.sampled_from([None] + [i for i, k in enumerate(shape) if k >= 2]))
        n = a.size if axis is None else shape[axis]
        correction = 0 if n < 2 else correction
        return (lambda t: op(t, axis=axis, correction=correction)), [a]

    return build


def _reshape(draw):
    shape = draw(SMALL)
    size = int(np.prod(shape))
    target = draw(st.sampled_from([(size,), (1, size), (size, 1, 1)]))
    return (lambda a: a.reshape(*target)), [draw(vals(shape))]


def _transpose(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    perm = draw(st.permutations(range(len(shape))))
    axes = draw(st.sampled_from([None, tuple(perm)]))
    return (lambda a: ops.transpose(a, axes)), [draw(vals(shape))]


def _getitem(draw):
    x = draw(vals((3, 2)))
    index = draw(
        st.sampled_from(
            [
                (slice(1, None), 0),
                np.array([2, 0, 2, 2]),  # repeats: their gradients add up
                (np.array([0, 1, 1]), np.array([1, 0, 1])),
                np.array([True, False, True]),
                (Ellipsis, None, 1),
            ]
        )
    )
    return (lambda a: a[index]), [x]


def _broadcast_to(draw):
    small, big = draw(broadcastable_shapes())
    target = np.broadcast_shapes(small, big)
    return (lambda a: ops.broadcast_to(a, target)), [draw(vals(small))]


def _concatenate(draw):
    shape = draw(NONEMPTY)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    arrays = []
    for n in draw(st.lists(st.integers(0, 3), min_size=1, max_size=3)):
        s = list(shape)
        s[axis] = n
        arrays.append(draw(vals(tuple(s))))
    return (lambda *xs: ops.concatenate(list(xs), axis)), arrays


def _index_add(draw):
    index, shape, src = draw(
        st.sampled_from(
            [
                (np.array([1, 1, 0]), (3, 2), (3, 2)),
                ((slice(0, 2), 1), (3, 3), (2,)),
                ((np.array([0, 2, 0]), np.array([1, 1, 1])), (3, 2), (3,)),
            ]
        )
    )
    return (lambda a: ops.index_add(a, index, shape)), [draw(vals(src))]


def _axis_op(op):
    def build(draw):
        shape = draw(NONEMPTY)
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        return (lambda a: op(a, axis=axis)), [draw(vals(shape, -3.0, 3.0))]

    return build


def _cross_entropy(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    if draw(st.booleans()):
        labels = np.asarray(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
        return (lambda z: F.cross_entropy(z, labels, reduction)), [draw(vals((n, c), -3.0, 3.0))]
    y = draw(float64_arrays((n, c), 0.05, 0.95))
    return (lambda z, y: F.cross_entropy(z, y, reduction)), [draw(vals((n, c), -3.0, 3.0)), y]


def _bce(draw):
    shape = draw(NONEMPTY)
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    return (lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction)), [
        draw(vals(shape, -4.0, 4.0)),
        draw(float64_arrays(shape, 0.05, 0.95)),
    ]


BUILDERS = {
    "Add": _binary(lambda a, b: a + b),
    "Sub": _binary(lambda a, b: a - b),
    "Mul": _binary(lambda a, b: a * b),
    "Div": _div,
    "Neg": _unary(lambda a: -a),
    "PowConst": _powconst,
    "Pow": _pow,
    "MatMul": _matmul,
    "Affine": _affine,
    "Exp": _unary(lambda a: a.exp()),
    "Log": _unary(lambda a: a.log(), positive_arrays(SMALL, 0.2, 3.0)),
    "Sqrt": _unary(lambda a: a.sqrt(), positive_arrays(SMALL, 0.2, 3.0)),
    "Abs": _unary(lambda a: a.abs(), away_from(vals(SMALL), margin=0.02)),
    "Maximum": _maxmin(lambda a, b: ops.maximum(a, b)),
    "Minimum": _maxmin(lambda a, b: ops.minimum(a, b)),
    "Clip": _clip,
    "Cast": _unary(lambda a: a.astype("float64")),
    "Where": _where,
    "Sum": _reduction(ops.sum),
    "Mean": _reduction(ops.mean),
    "Max": _new_reduction(ops.max, tie_free=True),
    "Min": _new_reduction(ops.min, tie_free=True),
    "Prod": _new_reduction(ops.prod),
    "Var": _new_reduction(ops.var, spread=True),
    "Std": _new_reduction(ops.std, tie_free=True, spread=True),
    "LogSumExp": _new_reduction(ops.logsumexp),
    "Reshape": _reshape,
    "Transpose": _transpose,
    "GetItem": _getitem,
    "IndexAdd": _index_add,
    "BroadcastTo": _broadcast_to,
    "Concatenate": _concatenate,
    "Sigmoid": _unary(lambda a: a.sigmoid(), vals(SMALL, -6.0, 6.0)),
    "Tanh": _unary(lambda a: a.tanh()),
    "ReLU": _unary(lambda a: a.relu(), away_from(vals(SMALL), margin=0.02)),
    "LeakyReLU": _unary(lambda a: ops.leaky_relu(a, 0.2), away_from(vals(SMALL), margin=0.02)),
    "Softmax": _axis_op(ops.softmax),
    "LogSoftmax": _axis_op(ops.log_softmax),
    "Sin": _unary(lambda a: a.sin()),
    "Cos": _unary(lambda a: a.cos()),
    "CrossEntropy": _cross_entropy,
    "BCEWithLogits": _bce,
}

# Ops whose output is linear in every input: their gradient does not depend on the inputs
LINEAR = {"Add", "Sub", "Neg", "Sum", "Mean", "Reshape", "Transpose", "GetItem", "IndexAdd",
          "Where", "Cast", "BroadcastTo", "Concatenate"}  # fmt: skip
CASE = settings(max_examples=25)


def test_every_function_in_ops_has_a_case():
    functions = {n for n in ops.__all__ if isinstance(getattr(ops, n), type)}
    assert functions == set(BUILDERS), sorted(functions ^ set(BUILDERS))
    for name in functions:  # each keeps the engine's conventions
        cls = getattr(ops, name)
        assert issubclass(cls, tn.Function) and cls.__module__.startswith("tinynet.ops."), name
        assert "backward_graph" in cls.__dict__, name
        # the __slots__ convention: no per-node __dict__ anywhere in the class chain
        assert all("__slots__" in vars(k) for k in cls.__mro__[:-1]), name


def _tensors(arrays, dtype=np.float64):
    return [tn.tensor(np.asarray(a, dtype=dtype), requires_grad=True, dtype=dtype) for a in arrays]


def _seed(out, dtype=np.float64):
    rng = np.random.default_rng(7)
    return tn.tensor(rng.standard_normal(out.shape).astype(dtype), dtype=dtype)


def _first_order(fn, xs, create_graph):
    out = fn(*xs)
    return tn.grad(
        out, xs, grad_outputs=_seed(out, out.dtype), create_graph=create_graph, allow_unused=True
    )


@pytest.mark.parametrize("name", sorted(BUILDERS))
@CASE
@given(data=st.data())
def test_gradgradcheck_of_every_op(backend, name, data):
    fn, arrays = BUILDERS[name](data.draw)
    xs = [as_tensor(a) for a in arrays]
    if name in LINEAR:
        # after sin, the adjoint reaching the op depends on x: its backward_graph is used
        assert tn.gradgradcheck(lambda *t: fn(*t).sin(), *xs)
    else:
        assert tn.gradgradcheck(fn, *xs)


@pytest.mark.parametrize("name", sorted(BUILDERS))
@CASE
@given(data=st.data())
def test_backward_graph_gives_the_numbers_of_backward(backend, name, data):
    fn, arrays = BUILDERS[name](data.draw)
    xs = _tensors(arrays)
    plain = _first_order(fn, xs, False)
    graph = _first_order(fn, xs, True)
    for k, (p, g) in enumerate(zip(plain, graph)):
        assert (p is None) == (g is None), (name, k)
        if p is not None:
            assert g.dtype == p.dtype and g.shape == p.shape
            np.testing.assert_array_equal(g.numpy(), p.numpy(), err_msg=f"{name}, input {k}")


# --------------------------------------------------------------------------- edge values
def _edge(shape):
    return edge_arrays(shape, extra=(1.0, -1.0, 0.5))


# one op each, inputs with +-inf, NaN, +-0 mixed with ordinary numbers
EDGE_CASES = {
    "Add": (lambda a, b: a + b, 2), "Sub": (lambda a, b: a - b, 2),
    "Mul": (lambda a, b: a * b, 2), "Div": (lambda a, b: a / b, 2),
    "Neg": (lambda a: -a, 1), "Square": (lambda a: a**2, 1), "Cube": (lambda a: a**3, 1),
    "PowConst 0": (lambda a: a**0, 1), "PowConst 0.5": (lambda a: a**0.5, 1),
    "PowConst -1.5": (lambda a: a**-1.5, 1), "Pow": (lambda a, b: a**b, 2),
    "MatMul": (lambda a, b: a @ b.T, 2), "Exp": (lambda a: a.exp(), 1),
    "Log": (lambda a: a.log(), 1), "Sqrt": (lambda a: a.sqrt(), 1),
    "Abs": (lambda a: a.abs(), 1), "Maximum": (lambda a, b: ops.maximum(a, b), 2),
    "Minimum": (lambda a, b: ops.minimum(a, b), 2), "Clip": (lambda a: a.clip(-1.0, 1.0), 1),
    "Sum": (lambda a: a.sum(axis=0), 1), "Mean": (lambda a: a.mean(axis=1), 1),
    "Max": (lambda a: a.max(axis=0), 1), "Min": (lambda a: a.min(axis=1, keepdims=True), 1),
    "Prod": (lambda a: a.prod(axis=1), 1), "Var": (lambda a: a.var(axis=0), 1),
    "Std": (lambda a: a.std(axis=1), 1), "LogSumExp": (lambda a: a.logsumexp(axis=0), 1),
    "GetItem": (lambda a: a[np.array([1, 1, 0])], 1),
    "Where": (lambda a, b: ops.where(np.array([True, False, True]), a, b), 2),
    "BroadcastTo": (lambda a: a.broadcast_to((2,) + a.shape), 1),
    "Concatenate": (lambda a, b: ops.concatenate([a, b], axis=-1), 2),
    "Sigmoid": (lambda a: a.sigmoid(), 1), "Tanh": (lambda a: a.tanh(), 1),
    "ReLU": (lambda a: a.relu(), 1), "LeakyReLU": (lambda a: ops.leaky_relu(a, 0.1), 1),
    "Softmax": (lambda a: a.softmax(), 1), "LogSoftmax": (lambda a: a.log_softmax(), 1),
    "Sin": (lambda a: a.sin(), 1), "Cos": (lambda a: a.cos(), 1),
    "CrossEntropy": (lambda z: F.cross_entropy(z, np.array([0, 2, 1]), "sum"), 1),
    "BCEWithLogits": (
        lambda z: F.binary_cross_entropy_with_logits(
            z, tn.tensor(np.tile([0.0, 1.0, 0.25], (3, 1)), dtype=z.dtype), "none"
        ),
        1,
    ),
}  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(EDGE_CASES))
@settings(max_examples=20)
@given(data=st.data())
def test_backward_graph_keeps_the_edge_value_conventions(backend, name, dtype, data):
    fn, arity = EDGE_CASES[name]
    xs = _tensors([data.draw(_edge((3, 3))) for _ in range(arity)], dtype)
    # The hot-path ops (+ - * / @, sums) leave numpy's warnings about inf and NaN
    # operands on, for speed (tinynet.ops.arithmetic); the values are checked here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        plain = _first_order(fn, xs, False)
        graph = _first_order(fn, xs, True)
    for k, (p, g) in enumerate(zip(plain, graph)):
        assert g.dtype == p.dtype == dtype
        np.testing.assert_array_equal(g.numpy(), p.numpy(), err_msg=f"{name}, input {k}")


# --------------------------------------------------------------------------- linear functions
LINEAR_CASES = {
    "Add": lambda x: x + 2.0, "Sub": lambda x: 1.0 - x, "Neg": lambda x: -x,
    "Sum": lambda x: x.sum(axis=0), "Mean": lambda x: x.mean(), "Reshape": lambda x: x.reshape(6),
    "Transpose": lambda x: x.T, "GetItem": lambda x: x[np.array([0, 0])],
    "IndexAdd": lambda x: ops.index_add(x, np.array([1, 1]), (3, 3)),
    "Where": lambda x: ops.where(np.array([True, False, True]), x, 0.0),
    "Cast": lambda x: x.astype("float64"), "Mul by a constant": lambda x: 3.0 * x,
    "BroadcastTo": lambda x: x.broadcast_to((4, 2, 3)),
    "Concatenate": lambda x: tn.cat([x, x, 2.0 * x], axis=1),
    "MatMul with a constant": lambda x: x @ tn.tensor(np.ones((3, 2)), dtype="float64"),
    "Affine with constants": lambda x: ops.affine(
        tn.tensor(np.ones((4, 2)), dtype="float64"), x, tn.tensor(np.ones(3), dtype="float64")
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(LINEAR_CASES))
def test_linear_functions_have_zero_second_derivatives(backend, name):
    f = LINEAR_CASES[name]
    x = tn.tensor(np.arange(6.0).reshape(2, 3) - 2.5, dtype="float64", requires_grad=True)
    out = f(x)
    w = tn.tensor(np.linspace(-1.0, 1.0, out.size).reshape(out.shape), dtype="float64")
    (g,) = tn.grad(out, x, grad_outputs=w, create_graph=True)
    # the gradient of a linear map does not depend on x: a constant, without a graph
    assert not g.requires_grad
    with pytest.raises(RuntimeError, match="materialize_grads=True.*allow_unused=True"):
        tn.grad(g.sum(), x)
    (zeros,) = tn.grad(g.sum(), x, materialize_grads=True)
    np.testing.assert_array_equal(zeros.numpy(), np.zeros((2, 3)))
    assert zeros.dtype == x.dtype
    assert tn.grad(g.sum(), x, allow_unused=True) == (None,)
    assert tn.gradgradcheck(lambda t: f(t), x)  # the second derivative 0 is right
    np.testing.assert_array_equal(tn.hessian(lambda t: (f(t) * w).sum(), x).numpy(), 0.0)


# --------------------------------------------------------------------------- closed forms
@settings(max_examples=30)
@given(z=float64_arrays((4,), -4.0, 4.0), c=st.integers(0, 3))
def test_cross_entropy_hessian_is_the_softmax_jacobian(backend, z, c):
    # l(z) = lse(z) - z_c: grad = s - e_c, Hessian = diag(s) - s s^T (derived by hand)
    s = np.exp(z - z.max())
    s /= s.sum()
    H = tn.hessian(lambda t: F.cross_entropy(t.reshape(1, 4), np.array([c])), as_tensor(z))
    np.testing.assert_allclose(H.numpy(), np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-15)
    # probabilities y summing to 2 scale it: H = (sum y) (diag(s) - s s^T)
    y = as_tensor(np.array([[0.5, 0.5, 0.25, 0.75]]), requires_grad=False)
    H = tn.hessian(lambda t: F.cross_entropy(t.reshape(1, 4), y, "sum"), as_tensor(z))
    np.testing.assert_allclose(H.numpy(), 2 * (np.diag(s) - np.outer(s, s)), rtol=1e-12, atol=1e-15)


@settings(max_examples=30)
@given(z=float64_arrays((3,), -30.0, 30.0), y=float64_arrays((3,), 0.0, 1.0))
def test_bce_with_logits_second_derivatives(backend, z, y):
    # l = softplus(z) - z y: d2l/dz2 = sigma(z)(1 - sigma(z)) = 1 / (2 + e^z + e^-z),
    # d2l/dz dy = -1, d2l/dy2 = 0
    zt, yt = as_tensor(z), as_tensor(y)
    loss = F.binary_cross_entropy_with_logits(zt, yt, "sum")
    gz, gy = tn.grad(loss, [zt, yt], create_graph=True)
    hzz, hzy = tn.grad(gz.sum(), [zt, yt])
    np.testing.assert_allclose(hzz.numpy(), 1 / (2 + np.exp(z) + np.exp(-z)), rtol=1e-12)
    np.testing.assert_array_equal(hzy.numpy(), -1.0)
    hyz, hyy = tn.grad(gy.sum(), [zt, yt], materialize_grads=True)
    np.testing.assert_array_equal(hyz.numpy(), -1.0)
    np.testing.assert_array_equal(hyy.numpy(), 0.0)  # linear in y: zeros, as asked


def test_sigmoid_second_derivative_keeps_its_digits_far_out(backend):
    # sigma''(x) = sigma'(x)(1 - 2 sigma(x)); at x = 40, sigma'(40) = e^-40 / (1 + e^-40)^2,
    # where 1 - sigma(40) rounds to 0 and the naive s(1-s)(1-2s) would give 0
    x = as_tensor(np.array([40.0, -40.0, 0.0]))
    (g,) = tn.grad(x.sigmoid().sum(), x, create_graph=True)
    (h,) = tn.grad(g.sum(), x)
    e = np.exp(-40.0)
    d1 = e / (1 + e) ** 2
    np.testing.assert_allclose(g.numpy(), [d1, d1, 0.25], rtol=1e-14)
    np.testing.assert_allclose(
        h.numpy(), [-d1 * (1 - e) / (1 + e), d1 * (1 - e) / (1 + e), 0.0], rtol=1e-12, atol=1e-300
    )


# --------------------------------------------------------------------------- fused losses at the edges
def test_cross_entropy_edge_values(backend):
    ninf, inf = -np.inf, np.inf
    # a -inf logit where the target is 0 contributes 0 (the limit), not 0 * -inf = NaN
    z = tn.tensor([[ninf, 0.0, 0.0]], dtype="float64", requires_grad=True)
    y = tn.tensor([[0.0, 0.5, 0.5]], dtype="float64")
    loss = F.cross_entropy(z, y)
    assert float(loss) == pytest.approx(np.log(2.0), rel=1e-15)
    loss.backward()
    np.testing.assert_array_equal(z.grad.numpy(), [[0.0, 0.0, 0.0]])  # s - y = 0
    # one +inf logit: softmax -> one-hot; loss 0 if the target is on it, +inf otherwise
    z = tn.tensor([[inf, 1.0, -2.0], [0.0, inf, 3.0]], dtype="float64", requires_grad=True)
    per = F.cross_entropy(z, np.array([0, 2]), "none")
    np.testing.assert_array_equal(per.numpy(), [0.0, inf])
    per.sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [[0.0, 0.0, 0.0], [0.0, 1.0, -1.0]])
    probs = F.cross_entropy(
        z.detach(), tn.tensor([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]], dtype="float64"), "none"
    )
    np.testing.assert_array_equal(probs.numpy(), [0.0, inf])
    # two +inf logits, or a NaN: no limit, NaN
    z = tn.tensor([[inf, inf, 0.0], [np.nan, 0.0, 0.0]], dtype="float64")
    assert np.isnan(F.cross_entropy(z, np.array([0, 1]), "none").numpy()).all()


def test_bce_with_logits_edge_values(backend):
    inf = np.inf
    z = tn.tensor([inf, -inf, inf, -inf, inf, np.nan], dtype="float64", requires_grad=True)
    y = tn.tensor([1.0, 0.0, 0.0, 1.0, 0.5, 0.5], dtype="float64")
    loss = F.binary_cross_entropy_with_logits(z, y, "none")
    # perfect predictions cost 0; (1 - y) inf and y inf otherwise; NaN stays NaN
    np.testing.assert_array_equal(loss.numpy(), [0.0, 0.0, inf, inf, inf, np.nan])
    loss.sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, 0.0, 1.0, -1.0, 0.5, np.nan])


@settings(max_examples=30)
@given(
    x=float64_arrays((4,), -3.0, 3.0),
    sbar=float64_arrays((4,), -2.0, 2.0),
    v=float64_arrays((4,), -2.0, 2.0),
)
def test_softmax_hessian_vector_product_closed_form(backend, x, sbar, v):
    # phi = <sbar, s(x)>: Hv = u * (sbar - <sbar, s>) - s <sbar, u>, u = s * (v - <s, v>)
    # (the formula of the Softmax docstring, derived by hand)
    s = np.exp(x - x.max())
    s /= s.sum()
    u = s * (v - s @ v)
    expected = u * (sbar - sbar @ s) - s * (sbar @ u)
    w = as_tensor(sbar, requires_grad=False)
    _, hv = tn.hvp(lambda t: (t.softmax() * w).sum(), as_tensor(x), as_tensor(v, False))
    np.testing.assert_allclose(hv.numpy(), expected, rtol=1e-12, atol=1e-14)
