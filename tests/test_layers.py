"""Dense layer, initialisation and activation modules."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet import nn
from tinynet.backend import asarray
from tinynet.nn import functional as F
from tinynet.testing import as_tensor, float64_arrays, float64_tensors


def grad(t: tn.Tensor) -> np.ndarray:
    """The gradient as a host numpy array (the tests also run under the cupy backend)."""
    return tn.to_numpy(t.grad)


SETTINGS = settings(max_examples=25, deadline=None)


def dense64(n_in: int, n_out: int, **kwargs) -> nn.Dense:
    return nn.Dense(n_in, n_out, dtype="float64", seed=0, **kwargs)


# --------------------------------------------------------------------------- Dense forward
def test_dense_computes_xw_plus_b_row_convention():
    layer = dense64(3, 2)
    layer.weight.data = asarray(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    layer.bias.data = asarray(np.array([0.5, -1.0]))
    x = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])
    # Row 0: x0*W[0] + x2*W[2] + b = [1+10, 2+12] + b ; row 1: W[1] + b (by hand, F7)
    expected = np.array([[11.5, 13.0], [3.5, 3.0]])
    np.testing.assert_allclose(layer(tn.tensor(x)).numpy(), expected)
    assert layer.weight.shape == (3, 2)  # (in, out), not PyTorch's (out, in)


def test_dense_without_bias_and_linear_alias():
    layer = nn.Linear(4, 3, bias=False, dtype="float64", seed=1)
    assert nn.Linear is nn.Dense
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    x = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_allclose(layer(x).numpy(), x @ layer.weight.numpy())


@pytest.mark.parametrize("name,fn", [
    ("relu", lambda z: np.maximum(z, 0)),
    ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
    ("tanh", np.tanh),
    ("softmax", lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)),
])  # fmt: skip
def test_dense_activation_option(name, fn):
    layer = dense64(3, 4, activation=name)
    x = np.random.default_rng(2).normal(size=(6, 3))
    z = x @ layer.weight.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(layer(x).numpy(), fn(z), rtol=1e-12, atol=1e-12)
    assert f"activation='{name}'" in repr(layer)


@SETTINGS
@given(
    st.integers(1, 4), st.integers(1, 4), st.integers(1, 5), st.booleans(),
    st.sampled_from([None, "tanh", "sigmoid", "softmax"]), st.data(),
)  # fmt: skip
def test_dense_gradients(n_in, n_out, batch, bias, activation, data):
    layer = dense64(n_in, n_out, bias=bias, activation=activation)
    x = data.draw(float64_tensors((batch, n_in)))
    params = list(layer.parameters())
    assert tn.gradcheck(lambda x, *ps: layer(x), x, *params)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_dense_gradients_with_leading_batch_axes(lead, n_in, data):
    # A (lead, batch, in) input: W is shared by every row, so its gradient sums over
    # both leading axes and the bias gradient is broadcast-summed.
    layer = dense64(n_in, 2)
    x = data.draw(float64_tensors((lead, 3, n_in)))
    assert tn.gradcheck(lambda x, w, b: layer(x), x, layer.weight, layer.bias)


def test_dense_parameter_gradients_match_formula():
    # dL/dW = X^T Zbar, dL/db = column sums of Zbar (F7 row convention)
    layer = dense64(3, 2)
    x = np.random.default_rng(3).normal(size=(4, 3))
    zbar = np.random.default_rng(4).normal(size=(4, 2))
    layer(x).backward(zbar)
    np.testing.assert_allclose(grad(layer.weight), x.T @ zbar)
    np.testing.assert_allclose(grad(layer.bias), zbar.sum(0))


def test_dense_wrong_input_width_names_layer_shape_and_in_features():
    layer = nn.Dense(5, 3)
    with pytest.raises(ValueError) as info:
        layer(tn.tensor(np.zeros((2, 4), dtype="float32")))
    msg = str(info.value)
    assert "Dense" in msg and "(2, 4)" in msg and "5" in msg


def test_dense_float_dtype_mismatch_is_clear():
    layer = nn.Dense(2, 3)  # float32
    with pytest.raises(TypeError) as info:
        layer(np.zeros((1, 2)))  # float64
    msg = str(info.value)
    assert "float64" in msg and "float32" in msg and "Dense" in msg and "astype" in msg


def test_dense_integer_input_is_promoted():
    layer = dense64(2, 1)
    out = layer(np.array([[1, 2]]))
    assert out.dtype == np.float64


@pytest.mark.parametrize("kwargs", [
    {"in_features": 0, "out_features": 2},
    {"in_features": 2, "out_features": 2, "activation": "gelu"},
    {"in_features": 2, "out_features": 2, "init": "orthogonal"},
])  # fmt: skip
def test_dense_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        nn.Dense(**kwargs)


def test_dense_rejects_non_integer_sizes():
    with pytest.raises(TypeError, match="out_features must be an integer"):
        nn.Dense(2, 2.0)


def test_dense_rejects_integer_dtype():
    with pytest.raises(TypeError):
        nn.Dense(2, 2, dtype="int64")


# --------------------------------------------------------------------------- init
def test_glorot_uniform_default_bounds_and_variance():
    fan_in, fan_out = 300, 200
    w = nn.Dense(fan_in, fan_out, seed=0, dtype="float64").weight.numpy()
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # the whole interval is used
    # Var of U(-a, a) is a^2/3 = 2/(fan_in + fan_out)
    assert w.var() == pytest.approx(2 / (fan_in + fan_out), rel=0.03)
    assert abs(w.mean()) < 0.01 * bound


def test_kaiming_uniform_bounds_and_variance():
    fan_in, fan_out = 400, 300
    w = nn.Dense(fan_in, fan_out, init="kaiming_uniform", seed=0, dtype="float64").weight.numpy()
    bound = math.sqrt(6 / fan_in)
    assert np.abs(w).max() <= bound
    assert w.var() == pytest.approx(2 / fan_in, rel=0.03)


def test_bias_starts_at_zero():
    assert np.all(nn.Dense(3, 4, seed=0).bias.numpy() == 0)


def test_seed_reproducible_and_different_seeds_differ():
    a = nn.Dense(4, 3, seed=7).weight.numpy()
    b = nn.Dense(4, 3, seed=7).weight.numpy()
    c = nn.Dense(4, 3, seed=8).weight.numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_seed_same_values_in_float32_and_float64():
    w32 = nn.Dense(5, 6, seed=3).weight.numpy()
    w64 = nn.Dense(5, 6, seed=3, dtype="float64").weight.numpy()
    assert w32.dtype == np.float32 and w64.dtype == np.float64
    np.testing.assert_array_equal(w32, w64.astype(np.float32))


def test_manual_seed_makes_model_construction_reproducible():
    def build():
        return nn.Sequential(nn.Dense(3, 5), nn.Dense(5, 2))

    nn.init.manual_seed(123)
    first = build().state_dict()
    nn.init.manual_seed(123)
    second = build().state_dict()
    third = build().state_dict()  # generator advanced: new weights
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
    assert not np.array_equal(first["0.weight"], third["0.weight"])
    # layers in a model get different weights from one another
    assert not np.array_equal(first["0.weight"][:3, :2], first["1.weight"][:3, :2])


def test_init_fans_use_in_out_layout():
    assert nn.init.calculate_fan_in_and_fan_out((3, 7)) == (3, 7)
    assert nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    with pytest.raises(ValueError):
        nn.init.calculate_gain("swish")


# --------------------------------------------------------------------------- activation modules
ACTIVATION_MODULES = [
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.Softmax(axis=-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (nn.Softmax(axis=0), lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True)),
    (nn.LogSoftmax(), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
]
# explicit ids: the default ones would contain lambda addresses (unstable under xdist)
ACTIVATION_IDS = ["sigmoid", "tanh", "relu", "leaky_relu", "softmax-1", "softmax0", "log_softmax"]


@pytest.mark.parametrize("module,reference", ACTIVATION_MODULES, ids=ACTIVATION_IDS)
@SETTINGS
@given(x=float64_arrays((3, 4)))
def test_activation_modules_values_and_gradients(module, reference, x):
    # keep away from the kink of (leaky) ReLU at 0, where central differences fail
    x = np.where(np.abs(x) < 1e-3, 0.5, x)
    np.testing.assert_allclose(module(as_tensor(x)).numpy(), reference(x), rtol=1e-12, atol=1e-12)
    assert tn.gradcheck(module, as_tensor(x))


@pytest.mark.parametrize("module,reference", ACTIVATION_MODULES, ids=ACTIVATION_IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_modules_stable_at_1000(module, reference, dtype):
    x = np.array([[-1000.0, -999.0, 0.5, 1000.0], [1000.0, 1000.0, -1000.0, 3.0]], dtype=dtype)
    t = tn.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning fails the test
        y = module(t)
        w = np.random.default_rng(0).normal(size=x.shape).astype(dtype)
        y.backward(w)
    out, g = y.numpy(), grad(t)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(g))
    assert out.dtype == g.dtype == np.dtype(dtype)
    # reference values computed in a way that is exact at these inputs
    if isinstance(module, nn.Sigmoid):
        np.testing.assert_allclose(out[0], [0.0, 0.0, 1 / (1 + np.exp(-0.5)), 1.0], atol=1e-7)
        np.testing.assert_allclose(g[0, [0, 1, 3]], 0.0, atol=1e-30)
    elif isinstance(module, nn.Tanh):
        np.testing.assert_allclose(out[0, [0, 3]], [-1.0, 1.0])
    elif isinstance(module, nn.Softmax) and module.axis == -1:
        # row 1: two tied maxima share the mass, the rest underflows to 0
        np.testing.assert_allclose(out[1], [0.5, 0.5, 0.0, 0.0], atol=1e-7)
        # gradient of s1 = s*(w - sum w s): exact finite values
        expected = out[1] * (w[1] - (w[1] * out[1]).sum())
        np.testing.assert_allclose(g[1], expected, rtol=1e-6, atol=1e-7)
    elif isinstance(module, nn.LogSoftmax):
        # log softmax of row 0: logsumexp = 1000 + log(1 + e^-1999 + ...) ~ 1000
        np.testing.assert_allclose(out[0], [-2000.0, -1999.0, -999.5, 0.0], rtol=1e-6)
        np.testing.assert_allclose(
            g[0], w[0] - np.array([0, 0, 0, 1.0]) * w[0].sum(), rtol=1e-5, atol=1e-5
        )
    elif isinstance(module, (nn.ReLU, nn.LeakyReLU)):
        np.testing.assert_allclose(out, reference(x.astype(np.float64)), rtol=1e-7)


@pytest.mark.parametrize("x", [-1000.0, -40.0, 40.0, 1000.0])
def test_sigmoid_tanh_gradients_near_saturation_float64(x):
    # d sigma/dx = sigma(1-sigma) = e^{-|x|} / (1+e^{-|x|})^2, computed here without overflow
    t = tn.tensor([x], dtype="float64", requires_grad=True)
    F.sigmoid(t).sum().backward()
    e = math.exp(-abs(x))
    # For x > 0 the core computes y(1-y) with y = 1 - e^{-x} rounded to 1, so the
    # tiny true derivative (4e-18 at x=40) comes out as 0: correct to absolute, not
    # relative, precision (PyTorch behaves the same). For x < 0 it is exact.
    tolerance = {"rel": 1e-9, "abs": 1e-300} if x < 0 else {"abs": 1e-15}
    assert grad(t)[0] == pytest.approx(e / (1 + e) ** 2, **tolerance)
    t2 = tn.tensor([x], dtype="float64", requires_grad=True)
    F.tanh(t2).sum().backward()
    assert grad(t2)[0] == pytest.approx(1 - math.tanh(x) ** 2, abs=1e-15)


def test_functional_reexports_core_activations():
    assert F.sigmoid is tn.sigmoid and F.relu is tn.relu and F.softmax is tn.softmax
    assert F.leaky_relu is tn.leaky_relu and F.log_softmax is tn.log_softmax and F.tanh is tn.tanh


def test_activation_reprs():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.LeakyReLU(0.1)) == "LeakyReLU(negative_slope=0.1)"
    assert repr(nn.Softmax(axis=1)) == "Softmax(axis=1)"
