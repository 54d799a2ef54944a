"""Higher-order derivatives: tn.grad with create_graph, gradgradcheck, hvp, hessian, sin/cos.

Every expected value here comes from calculus (closed forms derived by hand in the
comments) or from central finite differences in float64, never from tinynet's output.
"""

from __future__ import annotations

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
    float64_arrays,
    float64_tensors,
    positive_arrays,
    shapes,
)


def t64(values, requires_grad=True):
    return tn.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def fd_grad_of_grad(f, x: np.ndarray, v: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """(grad f(x + eps v) - grad f(x - eps v)) / (2 eps), the gradient by first-order backward."""

    def grad_at(a):
        t = t64(a)
        (g,) = tn.grad(f(t), t)
        return g.numpy()

    return (grad_at(x + eps * v) - grad_at(x - eps * v)) / (2 * eps)


# --------------------------------------------------------------------------- sin and cos
def test_sin_cos_values_methods_and_dtypes(backend):
    a = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
    np.testing.assert_allclose(tn.sin(t64(a)).numpy(), np.sin(a), rtol=1e-15)
    np.testing.assert_allclose(t64(a).cos().numpy(), np.cos(a), rtol=1e-15)
    np.testing.assert_allclose(ops.sin(t64(a)).numpy(), t64(a).sin().numpy())
    # integers become the default float dtype, as for exp
    assert tn.sin(tn.tensor(np.array([1, 2]))).dtype == tn.get_default_dtype()
    assert tn.cos(tn.tensor(np.array([1.0], dtype=np.float32))).dtype == np.float32


def test_sin_cos_edge_values(backend):
    # sin(+-inf), cos(+-inf): no limit, NaN (and no RuntimeWarning, which would be an error)
    x = t64([np.inf, -np.inf, np.nan, -0.0])
    y = x.sin()
    assert np.isnan(y.numpy()[:3]).all()
    assert y.numpy()[3] == 0.0 and np.signbit(y.numpy()[3])  # sin(-0.0) = -0.0
    y.sum().backward()
    g = x.grad.numpy()
    assert np.isnan(g[:3]).all() and g[3] == 1.0  # cos(-0.0) = 1
    x.grad = None
    x.cos().sum().backward()
    g = x.grad.numpy()
    assert np.isnan(g[:3]).all() and g[3] == 0.0


@given(float64_tensors(shapes(max_dims=2)))
def test_sin_cos_first_derivatives(backend, x):
    assert tn.gradcheck(lambda t: t.sin(), x)
    assert tn.gradcheck(lambda t: t.cos(), x)
    x.sin().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.numpy()), rtol=1e-15, atol=1e-300)


def test_sin_cos_docstrings_state_the_derivative():
    assert r"\cos x" in ops.Sin.__doc__ and r"\sin x" in ops.Cos.__doc__
    for cls in (ops.Sin, ops.Cos):
        assert (cls.reads_inputs, cls.reads_output, cls.keeps_integers) == (True, False, False)


# --------------------------------------------------------------------------- repeated differentiation
def _derivatives(f, x: tn.Tensor, order: int) -> list[np.ndarray]:
    """[f', f'', ..., f^(order)] of an elementwise f, by repeated tn.grad(create_graph=True)."""
    out, result = f(x), []
    for _ in range(order):
        (out,) = tn.grad(out.sum(), x, create_graph=True)
        result.append(out.numpy())
    return result


def _tanh_derivatives(a):
    # t' = 1 - t^2, t'' = -2t(1 - t^2), t''' = (1 - t^2)(6t^2 - 2)
    t = np.tanh(a)
    return [1 - t**2, -2 * t * (1 - t**2), (1 - t**2) * (6 * t**2 - 2)]


CLOSED_FORMS = {
    "sin": (lambda x: x.sin(), lambda a: [np.cos(a), -np.sin(a), -np.cos(a), np.sin(a)]),
    "cos": (lambda x: x.cos(), lambda a: [-np.sin(a), -np.cos(a), np.sin(a), np.cos(a)]),
    "exp": (lambda x: x.exp(), lambda a: [np.exp(a)] * 4),
    "tanh": (lambda x: x.tanh(), _tanh_derivatives),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
@given(a=float64_arrays(shapes(min_dims=1, max_dims=2)))
def test_third_derivatives_match_closed_forms(backend, name, a):
    f, closed = CLOSED_FORMS[name]
    expected = closed(a)
    got = _derivatives(f, t64(a), len(expected))
    for k, (g, e) in enumerate(zip(got, expected), start=1):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12, err_msg=f"{name}, order {k}")


def test_newtons_method_with_an_automatic_second_derivative(backend):
    # f(x) = x^4 - 2x^2: f'(x) = 4x^3 - 4x, f''(x) = 12x^2 - 4; at x = 2: 24 and 44
    x = t64(2.0)
    y = x**4 - 2 * x**2
    (g,) = tn.grad(y, x, create_graph=True)
    (h,) = tn.grad(g, x)
    assert float(g) == 24.0 and float(h) == 44.0
    iterates, value = [], 2.0
    for _ in range(7):
        x = t64(value)
        (g,) = tn.grad(x**4 - 2 * x**2, x, create_graph=True)
        (h,) = tn.grad(g, x)
        value = value - float(g) / float(h)
        iterates.append(value)
    # the same iteration from the hand-derived formulas
    ref, by_hand = 2.0, []
    for _ in range(7):
        ref = ref - (4 * ref**3 - 4 * ref) / (12 * ref**2 - 4)
        by_hand.append(ref)
    np.testing.assert_allclose(iterates, by_hand, rtol=1e-14)
    assert iterates[0] == pytest.approx(2 - 24 / 44, rel=1e-15)
    assert abs(iterates[5] - 1) > 1e-13  # six steps are not enough...
    assert abs(iterates[6] - 1) < 1e-15  # ...the seventh reaches the minimum x = 1


# --------------------------------------------------------------------------- tn.grad semantics
def test_grad_of_a_linear_function_is_a_constant(backend):
    x = t64([1.0, -2.0])
    (g,) = tn.grad((3 * x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0])
    assert not g.requires_grad  # the constant 3 does not depend on x
    with pytest.raises(RuntimeError, match="materialize_grads=True.*allow_unused=True"):
        tn.grad(g.sum(), x)
    (zeros,) = tn.grad(g.sum(), x, materialize_grads=True)
    np.testing.assert_array_equal(zeros.numpy(), [0.0, 0.0])
    assert zeros.shape == x.shape and zeros.dtype == x.dtype
    assert tn.grad(g.sum(), x, allow_unused=True) == (None,)


def test_grad_with_several_outputs_and_inputs(backend):
    a, b = t64([0.5, -1.0]), t64([2.0, 3.0])
    y1, y2 = (a * b).sum(), a.sin().sum()
    ga, gb = tn.grad([y1, y2], [a, b])
    # d/da (a.b + sum sin a) = b + cos a; d/db = a
    np.testing.assert_allclose(ga.numpy(), [2.0 + np.cos(0.5), 3.0 + np.cos(-1.0)], rtol=1e-15)
    np.testing.assert_allclose(gb.numpy(), [0.5, -1.0], rtol=1e-15)


def test_grad_outputs_weight_the_outputs(backend):
    a, b = t64([0.5, -1.0]), t64([2.0, 3.0])
    v = t64([10.0, -1.0], requires_grad=False)
    ga, gb = tn.grad(a * b, (a, b), grad_outputs=v)
    np.testing.assert_allclose(ga.numpy(), [20.0, -3.0])
    np.testing.assert_allclose(gb.numpy(), [5.0, 1.0])
    with pytest.raises(RuntimeError, match="implicit gradient exists only for one-element"):
        tn.grad(a * b, a)


def test_grad_retain_graph(backend):
    x = t64([0.5, 1.5])
    y = (x.sin() * x).sum()
    (g1,) = tn.grad(y, x, retain_graph=True)
    (g2,) = tn.grad(y, x)  # the graph was kept by the first call
    # d/dx x sin x = sin x + x cos x
    expected = np.sin(x.numpy()) + x.numpy() * np.cos(x.numpy())
    np.testing.assert_allclose(g1.numpy(), expected, rtol=1e-15)
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        tn.grad(y, x)  # the second call freed it


def test_grad_with_respect_to_intermediate_results(backend):
    a = t64([0.3, -1.2])
    h = a.sin()
    y = (h * h).sum()
    (gh,) = tn.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), 2 * np.sin(a.numpy()), rtol=1e-15)
    # as torch.autograd.grad: an input below another input still gets its full gradient,
    # d/da sin(a)^2 = 2 sin a cos a
    gh, ga = tn.grad(y, [h, a])
    np.testing.assert_allclose(gh.numpy(), 2 * np.sin(a.numpy()), rtol=1e-15)
    np.testing.assert_allclose(ga.numpy(), np.sin(2 * a.numpy()), rtol=1e-14)


def test_grad_leaves_dot_grad_untouched(backend):
    x = t64([1.0, 2.0])
    (g,) = tn.grad((x * x).sum(), x)
    assert x.grad is None
    (x * 5.0).sum().backward()
    before = x.grad
    tn.grad((x * x * x).sum(), x, create_graph=True)
    assert x.grad is before
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_backward_with_create_graph_makes_dot_grad_differentiable(backend):
    x = t64([1.0, -2.0, 0.5])
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.numpy() ** 2, rtol=1e-15)
    (g2,) = tn.grad(x.grad.sum(), x)  # d/dx 3x^2 = 6x
    np.testing.assert_allclose(g2.numpy(), 6 * x.numpy(), rtol=1e-15)
    y = t64([1.0, -2.0, 0.5])
    (y**3).sum().backward()
    assert not y.grad.requires_grad  # without create_graph: a plain gradient


def test_double_backpropagation_gradient_penalty(backend):
    # loss(w) = (w.x)^2 + |grad_x (w.x)^2|^2 = (w.x)^2 + 4 (w.x)^2 |w|^2, for fixed x
    x = t64([1.0, 2.0], requires_grad=True)
    w = t64([0.5, -0.25])
    out = ((w * x).sum()) ** 2
    (gx,) = tn.grad(out, x, create_graph=True)  # 2 (w.x) w
    loss = out + (gx * gx).sum()
    (gw,) = tn.grad(loss, w)
    s, wn = float(w.numpy() @ x.numpy()), w.numpy()
    # d/dw [s^2 + 4 s^2 |w|^2] = 2 s x + 8 s |w|^2 x + 8 s^2 w
    expected = 2 * s * x.numpy() + 8 * s * (wn @ wn) * x.numpy() + 8 * s**2 * wn
    np.testing.assert_allclose(gw.numpy(), expected, rtol=1e-14, atol=1e-15)


# --------------------------------------------------------------------------- gradgradcheck
class Square(tn.Function):
    """y = x^2 with a correct backward (2x) and a correct backward_graph."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return (2 * grad * self.x,)

    def backward_graph(self, grad, out):
        return (2 * grad * self.inputs[0],)


class DetachedSquare(Square):
    """The first derivative is right, but backward_graph detaches x: its derivative is lost."""

    def backward_graph(self, grad, out):
        x = self.inputs[0]
        return (2 * grad * tn.tensor(x.data, dtype=x.dtype),)  # a constant copy of x


class WrongGraphSquare(Square):
    """backward_graph builds 3x instead of the 2x that backward gives."""

    def backward_graph(self, grad, out):
        return (3 * grad * self.inputs[0],)


def test_gradgradcheck_passes_a_correct_custom_function(backend):
    x = t64([[0.5, -1.0], [2.0, 0.3]])
    assert tn.gradgradcheck(lambda t: Square.apply(t), x)
    assert tn.gradgradcheck(lambda t: Square.apply(t.sin()).sum(), x)


def test_gradgradcheck_catches_a_wrong_double_backward_with_report(backend):
    a = t64([0.7, -0.4])
    x = t64([[0.5, -1.0], [2.0, 3.0]])
    fn = lambda a, x: a.sin().sum() * DetachedSquare.apply(x)  # noqa: E731
    assert tn.gradcheck(fn, a, x)  # the first derivative is right
    with pytest.raises(tn.GradcheckError) as info:
        tn.gradgradcheck(fn, a, x)
    msg = str(info.value)
    for part in (
        "gradgradcheck failed for input 1",
        "shape (2, 2)",
        "worst element index",
        "analytic",
        "numerical",
        "absolute error",
        "relative error",
        "second-order gradient",
        "backward_graph",
        "kink",
    ):
        assert part in msg, part
    assert tn.gradgradcheck(fn, a, x, raise_exception=False) is False


def test_gradgradcheck_catches_a_backward_graph_that_differs_from_backward(backend):
    x = t64([0.5, -1.0, 2.0])
    assert tn.gradcheck(lambda t: WrongGraphSquare.apply(t), x)
    with pytest.raises(tn.GradcheckError, match=r"(?s)input 0.*create_graph=True.*backward"):
        tn.gradgradcheck(lambda t: WrongGraphSquare.apply(t), x)


@given(x=float64_tensors(shapes(min_dims=1), min_value=0.1, max_value=3))
def test_gradgradcheck_fails_a_wrong_double_backward_on_every_input(backend, x):
    assert not tn.gradgradcheck(lambda t: DetachedSquare.apply(t), x, raise_exception=False)


def test_gradgradcheck_names_an_op_without_backward_graph(backend):
    class NoGraph(tn.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return (2 * grad * self.x,)

    with pytest.raises(NotImplementedError, match="NoGraph has no backward_graph"):
        tn.gradgradcheck(lambda t: NoGraph.apply(t), t64([1.0]))


def test_gradgradcheck_of_a_linear_function_passes(backend):
    # second derivative 0: the gradient is a constant, gradgradcheck must not fail on it
    assert tn.gradgradcheck(lambda t: 3 * t, t64([1.0, 2.0]))


def test_gradgradcheck_arguments(backend):
    x = t64([0.5, 1.0])
    with pytest.raises(TypeError, match="float32.*float64.*allow_float32=True"):
        tn.gradgradcheck(lambda t: t.sin(), tn.tensor(np.float32([0.5]), requires_grad=True))
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        tn.gradgradcheck(lambda t: t.sin(), t64([0.5], requires_grad=False))
    with pytest.raises(ValueError, match=r"grad_outputs has shape \(3,\).*shape \(2,\)"):
        tn.gradgradcheck(lambda t: t.sin(), x, grad_outputs=np.ones(3))
    assert tn.gradgradcheck(lambda t: t.sin(), x, grad_outputs=[2.0, -1.0])
    (x * 5.0).sum().backward()
    before = x.grad
    assert tn.gradgradcheck(lambda t: (t.sin() * t).sum(), x)
    assert x.grad is before


# --------------------------------------------------------------------------- every op
def _apart(pair):
    """Two arrays whose elements differ by at least 0.01 (away from the kink of max/min)."""
    a, b = pair
    return a, np.where(np.abs(a - b) < 0.01, b + 0.05, b)


M = float64_arrays((2, 3), min_value=-2.0, max_value=2.0)


def _distinct(a):
    """No two elements equal (ties are the kinks of max, min; std of equal values is 0)."""
    flat = a.ravel()
    ranks = np.argsort(np.argsort(flat, kind="stable"), kind="stable")
    return (ranks * 0.3 + flat * 0.01 - 0.7).reshape(a.shape)


ROW = float64_arrays((3,), min_value=-2.0, max_value=2.0)
POS = positive_arrays((2, 3), max_value=3.0)
PAIR = st.tuples(M, M).map(_apart)

# name of the Function -> (function of the inputs, strategies of the inputs). Linear ops are
# followed by sin, so that the adjoint reaching their backward_graph depends on x and their
# part of the second derivative is tested.
CASES = {
    "Add": (lambda a, b: (a + b).sin(), [M, ROW]),
    "Sub": (lambda a, b: (a - b).sin(), [M, ROW]),
    "Mul": (lambda a, b: a * b, [M, ROW]),
    "Div": (lambda a, b: a / b, [M, POS]),
    "Neg": (lambda a: (-a).sin(), [M]),
    "PowConst": (lambda a: a**3 + (a * a + 1) ** -1.5 + (a * a + 1) ** 0.5, [M]),
    "Pow": (lambda a, b: a**b, [POS, M]),
    "MatMul": (lambda a, b: (a @ b).sin(), [M, float64_arrays((3, 2), -2.0, 2.0)]),
    "Affine": (
        lambda x, w, b: ops.affine(x, w, b).sin(),
        [M, float64_arrays((3, 2), -2.0, 2.0), float64_arrays((2,), -2.0, 2.0)],
    ),
    "Exp": (lambda a: a.exp(), [M]),
    "Log": (lambda a: a.log(), [POS]),
    "Sqrt": (lambda a: a.sqrt(), [POS]),
    "Abs": (lambda a: a.abs().sin(), [away_from(M)]),
    "Maximum": (lambda a, b: tn.maximum(a, b).sin(), [None, None]),
    "Minimum": (lambda a, b: tn.minimum(a, b).sin(), [None, None]),
    "Clip": (lambda a: a.clip(-1.0, 1.0).sin(), [away_from(M, kinks=(-1.0, 1.0))]),
    "Cast": (lambda a: a.astype("float64").sin(), [M]),
    "Sum": (lambda a: a.sum(axis=0).sin(), [M]),
    "Mean": (lambda a: a.mean(axis=1, keepdims=True).sin(), [M]),
    "Reshape": (lambda a: a.reshape(3, 2).sin(), [M]),
    "Transpose": (lambda a: a.T.sin(), [M]),
    "GetItem": (lambda a: a[np.array([1, 1, 0])].sin() + a[:, 1:].cos().sum(), [M]),
    "Where": (lambda a, b: ops.where(np.array([True, False, True]), a * a, b.sin()), [M, ROW]),
    "BroadcastTo": (lambda a, b: a.broadcast_to((4, 2, 3)).sin() * b, [M, ROW]),
    "Concatenate": (
        lambda a, b: tn.cat([a * b, b.unsqueeze(0), a.sin()], axis=0).sin(),
        [M, ROW],
    ),
    "IndexAdd": (
        lambda a: ops.index_add(a * a, (np.array([0, 2, 0]), slice(None)), (3, 3)).sin(),
        [float64_arrays((3, 3), -2.0, 2.0)],
    ),
    "Sigmoid": (lambda a: a.sigmoid(), [M]),
    "Tanh": (lambda a: a.tanh(), [M]),
    "ReLU": (lambda a: a.relu().sin(), [away_from(M)]),
    "LeakyReLU": (lambda a: tn.leaky_relu(a, 0.2).sin(), [away_from(M)]),
    "Softmax": (lambda a: a.softmax(axis=0), [M]),
    "LogSoftmax": (lambda a: a.log_softmax(), [M]),
    "Sin": (lambda a: a.sin(), [M]),
    "Cos": (lambda a: a.cos(), [M]),
    # reductions of issue 12 (max/min on tie-free values: ties are kinks)
    "Max": (lambda a: a.max(axis=1).sin() + a.max(), [M.map(lambda a: _distinct(a))]),
    "Min": (lambda a: tn.min(a, dim=0).values.sin(), [M.map(lambda a: _distinct(a))]),
    "Prod": (lambda a: a.prod(axis=1) + a.prod(), [M]),
    "Var": (lambda a: a.var(axis=1) + a.var(correction=0), [M]),
    "Std": (lambda a: a.std(axis=0, correction=0).sin() + a.std(), [M.map(lambda a: _distinct(a))]),
    "LogSumExp": (lambda a: a.logsumexp(axis=0) * a.logsumexp(), [M]),
    # fused losses of tinynet.nn.functional
    "CrossEntropy": (lambda z: F.cross_entropy(z, np.array([2, 0])), [M]),
    "CrossEntropy probs": (
        lambda z: F.cross_entropy(z, t64([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], False)),
        [M],
    ),
    "BCEWithLogits": (
        lambda z: F.binary_cross_entropy_with_logits(z, t64([[1.0, 0.0, 0.3]] * 2, False)),
        [M],
    ),
    "mse_loss": (lambda p: F.mse_loss(p, t64([[0.5, 1.0, -1.0]] * 2, False)), [M]),
}


def test_every_op_has_a_second_derivative_case():
    functions = {n for n in ops.__all__ if isinstance(getattr(ops, n), type)}
    functions |= {"CrossEntropy", "BCEWithLogits"}
    assert functions <= set(CASES), sorted(functions - set(CASES))


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=15)
@given(data=st.data())
def test_second_derivatives_of_every_op(backend, name, data):
    fn, strategies = CASES[name]
    if strategies == [None, None]:
        arrays = list(data.draw(PAIR))
    else:
        arrays = [data.draw(s) for s in strategies]
    inputs = [as_tensor(a) for a in arrays]
    assert tn.gradgradcheck(fn, *inputs)


# --------------------------------------------------------------------------- hessian and hvp
A = np.array([[0.5, -1.0, 0.2], [0.3, 0.8, -0.6], [1.1, 0.0, 0.4]])


def smooth(x: tn.Tensor) -> tn.Tensor:
    """A scalar function with mixed second derivatives (not separable)."""
    return ((t64(A, False) @ x).tanh() * x.sin()).sum() + (x @ (t64(A, False) @ x)) * 0.1


@given(a=float64_arrays((3,)))
def test_hessian_is_symmetric_and_matches_finite_differences(backend, a):
    H = tn.hessian(smooth, t64(a)).numpy()
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    columns = [fd_grad_of_grad(smooth, a, e) for e in np.eye(3)]
    np.testing.assert_allclose(H, np.column_stack(columns), rtol=1e-5, atol=1e-6)


def test_hessian_closed_forms(backend):
    # f(x) = x^T A x has H = A + A^T; f(x) = x0^2 x1 has H = [[2 x1, 2 x0], [2 x0, 0]]
    x = t64([0.3, -1.0, 2.0])
    np.testing.assert_allclose(
        tn.hessian(lambda t: t @ (t64(A, False) @ t), x).numpy(), A + A.T, rtol=1e-15
    )
    H = tn.hessian(lambda t: t[0] ** 2 * t[1], t64([1.0, 2.0])).numpy()
    np.testing.assert_array_equal(H, [[4.0, 2.0], [2.0, 0.0]])
    # shape x.shape + x.shape: f(X) = sum sin(X) has the diagonal -sin(X)
    X = np.array([[0.1, 0.2], [0.3, 0.4]])
    H = tn.hessian(lambda t: t.sin().sum(), t64(X)).numpy()
    assert H.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(H.reshape(4, 4), np.diag(-np.sin(X).ravel()), rtol=1e-15)
    # a linear function has H = 0; the caller's tensor is not touched
    x.grad = None
    np.testing.assert_array_equal(tn.hessian(lambda t: (3 * t).sum(), x).numpy(), np.zeros((3, 3)))
    assert x.grad is None and x.requires_grad


@given(a=float64_arrays((3,)), v=float64_arrays((3,)))
def test_hvp_matches_finite_differences_and_the_hessian(backend, a, v):
    value, hv = tn.hvp(smooth, t64(a), t64(v, False))
    np.testing.assert_allclose(float(value), float(smooth(t64(a))), rtol=1e-15)
    np.testing.assert_allclose(hv.numpy(), fd_grad_of_grad(smooth, a, v), rtol=1e-5, atol=1e-6)
    H = tn.hessian(smooth, t64(a)).numpy()
    np.testing.assert_allclose(hv.numpy(), H @ v, rtol=1e-10, atol=1e-12)


def test_hvp_with_several_inputs(backend):
    # L(w, b) = mean((w x + b - y)^2): H = 2/n [[sum x^2, sum x], [sum x, n]] (constant)
    xs, ys = np.array([0.0, 1.0, 2.0, 4.0]), np.array([1.0, 2.0, 2.5, 5.0])
    n = len(xs)

    def loss(w, b):
        return ((w * t64(xs, False) + b - t64(ys, False)) ** 2).mean()

    H = 2 / n * np.array([[np.sum(xs**2), np.sum(xs)], [np.sum(xs), n]])
    value, (hw, hb) = tn.hvp(loss, (t64(0.5), t64(-1.0)), (t64(2.0, False), t64(3.0, False)))
    np.testing.assert_allclose([float(hw), float(hb)], H @ [2.0, 3.0], rtol=1e-14)
    assert float(value) == pytest.approx(np.mean((0.5 * xs - 1.0 - ys) ** 2), rel=1e-15)


def test_hvp_and_hessian_refuse_bad_arguments(backend):
    x = t64([1.0, 2.0])
    with pytest.raises(ValueError, match=r"hvp: f must return a one-element tensor.*\(2,\)"):
        tn.hvp(lambda t: t * t, x, x)
    with pytest.raises(ValueError, match=r"hvp: v\[0\] has shape \(3,\).*input 0 has shape \(2,\)"):
        tn.hvp(lambda t: (t * t).sum(), x, np.ones(3))
    with pytest.raises(ValueError, match="hvp: v must have the structure of inputs"):
        tn.hvp(lambda a, b: (a * b).sum(), (x, x), x)
    with pytest.raises(ValueError, match="hessian: f must return a one-element tensor"):
        tn.hessian(lambda t: t.sin(), x)
    with pytest.raises(TypeError, match="hessian: input 0 has dtype int64"):
        tn.hessian(lambda t: t.sum(), np.array([1, 2], dtype=np.int64))
    # numbers and lists become float64
    H = tn.hessian(lambda t: (t**3).sum(), [1.0, 2.0])
    assert H.dtype == np.float64
    np.testing.assert_array_equal(H.numpy(), np.diag([6.0, 12.0]))
