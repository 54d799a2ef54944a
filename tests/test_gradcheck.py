"""gradcheck is public API: it must pass correct ops and catch wrong ones, with a useful report."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import tinynet as tn
from tinynet.testing import float64_tensors, shapes


class WrongSquare(tn.Function):
    """y = x^2 with a deliberately wrong backward (x instead of 2x)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return (grad * self.x,)


def test_gradcheck_catches_wrong_backward_with_report(backend):
    x = tn.tensor(np.array([[0.5, -1.0], [2.0, 3.0]]), requires_grad=True)
    with pytest.raises(tn.GradcheckError) as info:
        tn.gradcheck(lambda t: WrongSquare.apply(t), x)
    msg = str(info.value)
    # worst element: |x - 2x| weighted by the projection; the report names all parts
    for part in (
        "input 0",
        "shape (2, 2)",
        "worst element index",
        "analytic",
        "numerical",
        "absolute error",
        "relative error",
        "kink",
        "float64",
    ):
        assert part in msg, part
    assert tn.gradcheck(lambda t: WrongSquare.apply(t), x, raise_exception=False) is False


@given(x=float64_tensors(shapes(min_dims=1), min_value=0.1, max_value=3))
def test_gradcheck_fails_wrong_backward_on_every_input(backend, x):
    assert not tn.gradcheck(lambda t: WrongSquare.apply(t).sum(), x, raise_exception=False)


def test_gradcheck_refuses_float32_unless_allowed(backend):
    x = tn.tensor(np.array([0.3, 0.7], dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float32.*float64.*allow_float32=True"):
        tn.gradcheck(lambda t: t * t, x)
    assert tn.gradcheck(lambda t: t * t, x, allow_float32=True, eps=1e-2, atol=1e-2, rtol=1e-2)


def test_gradcheck_needs_an_input_that_requires_grad(backend):
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        tn.gradcheck(lambda t: t * 2.0, tn.tensor(np.ones(2)))


def test_gradcheck_leaves_existing_grad_untouched(backend):
    x = tn.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 5.0).sum().backward()
    before = tn.to_numpy(x.grad).copy()
    assert tn.gradcheck(lambda t: (t * t).sum(), x)
    np.testing.assert_array_equal(tn.to_numpy(x.grad), before)


def test_numerical_grad_matches_calculus(backend):
    x = tn.tensor(np.array([0.1, -0.4, 1.3]), requires_grad=True)
    (g,) = tn.numerical_grad(lambda t: t.sin().sum(), x)
    np.testing.assert_allclose(g, np.cos(x.numpy()), rtol=1e-8)
    (g,) = tn.numerical_grad(lambda t: t.exp().sum(), x)
    np.testing.assert_allclose(g, np.exp(x.numpy()), rtol=1e-8)


def test_central_difference_is_second_order():
    # error of the central difference on exp at 0 is eps^2/6 * f''' = eps^2/6
    f = lambda a: float(np.exp(a[0]))  # noqa: E731
    for eps in (1e-2, 1e-3):
        g = tn.central_difference(f, np.array([0.0]), eps=eps)[0]
        assert abs((g - 1.0) - eps**2 / 6) < eps**3
