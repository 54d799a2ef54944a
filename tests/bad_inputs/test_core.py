"""Bad inputs to the core (Tensor, operations, backward): each is a clear error that
names the operation, the shapes/dtypes/values involved and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

import tinynet as tn


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda: tn.tensor(["a"]), TypeError, r"Tensor: unsupported dtype <U1"),
        (
            lambda: tn.tensor([1, 2], dtype="int64", requires_grad=True),
            TypeError,
            r"only floating-point tensors can require gradients, got int64",
        ),
        (
            lambda: tn.tensor([1.0, 2.0]) @ tn.tensor([1.0, 2.0, 3.0]),
            ValueError,
            r"matmul.*\(2,\).*\(3,\)",
        ),
        (
            lambda: tn.tensor([1.0, 2.0]) + tn.tensor([1.0, 2.0, 3.0]),
            ValueError,
            r"add.*\(2,\), \(3,\)",
        ),
        (
            lambda: tn.tensor([1.0]) + np.array([1.0]),
            TypeError,
            r"add: cannot mix float32 and float64.*astype",
        ),
        (lambda: tn.tensor([1.0, 2.0]).item(), ValueError, r"item: only one-element.*\(2,\)"),
        (lambda: float(tn.tensor([1.0, 2.0])), TypeError, r"float: only one-element.*\(2,\)"),
        (lambda: bool(tn.tensor([1.0, 2.0])), RuntimeError, r"bool:.*2 elements.*ambiguous"),
        (lambda: tn.set_default_dtype("int32"), TypeError, r"expected a floating dtype, got int32"),
    ],
)
def test_core_bad_inputs(backend, make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_backward_bad_calls(backend):
    with pytest.raises(RuntimeError, match="does not require grad"):
        tn.tensor([1.0]).backward()
    y = tn.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"output has shape \(2,\).*\.sum\(\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the output has shape \(2,\)"):
        y.backward(np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match=r"grad has dtype float64 but the output has dtype float32"):
        y.backward(np.ones(2))
    y.sum().backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.sum().backward()


def test_inplace_bad_calls(backend):
    w = tn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\+=: a leaf tensor that requires grad.*no_grad"):
        w += 1
    with pytest.raises(RuntimeError, match=r"zero_: a leaf tensor"):
        w.zero_()
    with pytest.raises(TypeError, match=r"@=: in-place matrix multiplication"):
        w @= w
    t = tn.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"copy_: source has shape \(3,\)"):
        t.copy_(tn.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match=r"in-place update: cannot mix float32 and float64"):
        t.copy_(np.zeros(2))
    # the failed calls left the tensor untouched
    np.testing.assert_array_equal(tn.to_numpy(t.data), [1.0, 2.0])


def test_backward_contract_of_a_custom_function_names_class_and_input(backend):
    class Twice(tn.Function):
        def forward(self, a, b):
            return a * 2 + b

        def backward(self, grad):
            return (grad * 2,)  # forgot b

    a = tn.tensor([1.0], requires_grad=True)
    b = tn.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"Twice\.backward returned 1 gradients for 2 inputs"):
        Twice.apply(a, b).sum().backward()
