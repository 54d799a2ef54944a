"""Loss functions: values against independent numpy formulas, gradients, stability, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet import nn
from tinynet.nn import functional as F
from tinynet.testing import as_tensor, float64_arrays, shapes


def grad(t: tn.Tensor) -> np.ndarray:
    """The gradient as a host numpy array (the tests also run under the cupy backend)."""
    return tn.to_numpy(t.grad)


SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def logits_and_labels(draw, max_n=5, max_c=5, min_value=-3.0, max_value=3.0):
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(2, max_c))
    z = draw(float64_arrays((n, c), min_value=min_value, max_value=max_value))
    labels = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return z, labels


@st.composite
def prob_rows(draw, n, c, min_value=0.0):
    """Rows of probabilities summing to 1 (normalised positive numbers)."""
    raw = draw(float64_arrays((n, c), min_value=0.05, max_value=1.0, edge_values=False))
    return raw / raw.sum(axis=1, keepdims=True)


def np_log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def one_hot(labels, c):
    return np.eye(c)[labels]


# --------------------------------------------------------------------------- MSE
@SETTINGS
@given(shape=shapes(min_dims=1, max_dims=3), data=st.data())
def test_mse_reductions_match_the_documents_formulas(shape, data):
    p = data.draw(float64_arrays(shape))
    y = data.draw(float64_arrays(shape))
    sq = (p - y) ** 2
    m = shape[0]
    expected = {
        "mean": sq.sum() / sq.size,  # F9/F11: 1/n sum
        "sum": sq.sum(),
        "half_sum": 0.5 * sq.sum(),  # F4/F10: 1/2 sum
        # F12: 1/(2m) sum_i ||y_i - h(x_i)||^2 -- averages over the m samples only
        "half_mean": sum(((p[i] - y[i]) ** 2).sum() for i in range(m)) / (2 * m),
    }
    for reduction, value in expected.items():
        got = F.mse_loss(as_tensor(p), y, reduction=reduction)
        assert got.item() == pytest.approx(value, rel=1e-12, abs=1e-12), reduction
        assert tn.gradcheck(lambda t, r=reduction: F.mse_loss(t, y, reduction=r), as_tensor(p))
    none = F.mse_loss(as_tensor(p), y, reduction="none")
    np.testing.assert_allclose(none.numpy(), sq)


def test_mse_half_mean_vector_outputs_is_k_times_half_mean():
    # F12 with K=3 outputs: divides by 2m, not by 2mK
    p = np.arange(12.0).reshape(4, 3)
    y = np.zeros((4, 3))
    half_mean = F.mse_loss(as_tensor(p), y, "half_mean").item()
    mean = F.mse_loss(as_tensor(p), y, "mean").item()
    assert half_mean == pytest.approx(3 * 0.5 * mean)
    assert half_mean == pytest.approx((p**2).sum() / 8)


def test_mse_half_sum_gradient_is_prediction_minus_target():
    p = as_tensor(np.array([0.3, -1.0, 2.0]))
    y = np.array([1.0, 1.0, 1.0])
    F.mse_loss(p, y, reduction="half_sum").backward()
    np.testing.assert_allclose(grad(p), p.numpy() - y)


def test_mse_module_and_targets_from_lists():
    p = tn.tensor([1.0, 2.0])  # float32
    loss = nn.MSELoss()(p, [0.0, 0.0])  # the list takes the prediction's dtype
    assert loss.dtype == np.float32 and loss.item() == pytest.approx(2.5)
    assert repr(nn.MSELoss("half_sum")) == "MSELoss(reduction='half_sum')"


def test_mse_shape_mismatch_is_an_error_not_broadcast():
    with pytest.raises(ValueError) as info:
        F.mse_loss(as_tensor(np.zeros((4, 1))), np.zeros(4))
    assert "mse_loss" in str(info.value) and "(4, 1)" in str(info.value)
    assert "(4,)" in str(info.value)


def test_mse_dtype_mismatch_and_bad_reduction():
    with pytest.raises(TypeError) as info:
        F.mse_loss(tn.tensor([1.0]), np.array([1.0]))  # float32 vs float64 array
    assert "float64" in str(info.value) and "float32" in str(info.value)
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(tn.tensor([1.0]), [1.0], reduction="avg")


# --------------------------------------------------------------------------- cross_entropy (fused)
@SETTINGS
@given(logits_and_labels())
def test_cross_entropy_labels_value_and_gradient(zl):
    z, labels = zl
    n, c = z.shape
    logp = np_log_softmax(z)
    for reduction, scale in (("mean", 1 / n), ("sum", 1.0)):
        t = as_tensor(z)
        loss = F.cross_entropy(t, labels, reduction=reduction)
        assert loss.item() == pytest.approx(-logp[np.arange(n), labels].sum() * scale, rel=1e-10)
        loss.backward()
        softmax = np.exp(logp)
        # the fused backward: (softmax(z) - onehot(y)) / N
        np.testing.assert_allclose(grad(t), (softmax - one_hot(labels, c)) * scale, atol=1e-12)
        assert tn.gradcheck(
            lambda t, r=reduction: F.cross_entropy(t, labels, reduction=r), as_tensor(z)
        )
    none = F.cross_entropy(as_tensor(z), labels, reduction="none")
    np.testing.assert_allclose(none.numpy(), -logp[np.arange(n), labels], rtol=1e-10)
    assert tn.gradcheck(lambda t: F.cross_entropy(t, labels, reduction="none"), as_tensor(z))


@SETTINGS
@given(logits_and_labels(), st.data())
def test_cross_entropy_matches_composite_for_labels_and_probabilities(zl, data):
    z, labels = zl
    n, c = z.shape
    targets = [one_hot(labels, c), data.draw(prob_rows(n, c))]
    for y in targets:
        fused_in, comp_in = as_tensor(z), as_tensor(z)
        fused = F.cross_entropy(fused_in, y)
        composite = -(tn.tensor(y) * comp_in.log_softmax(axis=1)).sum(axis=1).mean()
        assert fused.item() == pytest.approx(composite.item(), rel=1e-10, abs=1e-12)
        fused.backward()
        composite.backward()
        np.testing.assert_allclose(grad(fused_in), grad(comp_in), rtol=1e-9, atol=1e-12)
    # integer labels and their one-hot rows give the same loss and gradient
    a, b = as_tensor(z), as_tensor(z)
    F.cross_entropy(a, labels).backward()
    F.cross_entropy(b, one_hot(labels, c)).backward()
    np.testing.assert_allclose(grad(a), grad(b), atol=1e-13)


@SETTINGS
@given(logits_and_labels(max_n=3, max_c=4), st.data())
def test_cross_entropy_gradient_with_respect_to_soft_targets(zl, data):
    z, _ = zl
    y = data.draw(prob_rows(*z.shape))
    assert tn.gradcheck(lambda a, b: F.cross_entropy(a, b), as_tensor(z), as_tensor(y))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_stable_for_huge_logits(dtype):
    z = np.array(
        [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [5.0, 1000.0, 999.0]], dtype=dtype
    )
    labels = np.array([1, 2, 0])
    t = tn.tensor(z, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(t, labels, reduction="none")
        loss.sum().backward()
    # exact values: lse(row0)=1000 -> 2000; row1: log 3; row2: lse = 1000+log(1+e^-1) -> -5 + lse
    expected = [2000.0, np.log(3.0), 1000.0 + np.log1p(np.exp(-1.0)) - 5.0]
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-6)
    assert np.all(np.isfinite(grad(t)))
    np.testing.assert_allclose(grad(t)[0], [1.0, -1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(grad(t)[1], [1 / 3, 1 / 3, -2 / 3], atol=1e-6)


def test_cross_entropy_errors():
    z = as_tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError) as info:  # out of range
        F.cross_entropy(z, np.array([0, 4, 1]))
    assert "cross_entropy" in str(info.value) and "[0, 3]" in str(info.value)
    with pytest.raises(ValueError):  # negative label
        F.cross_entropy(z, np.array([0, -1, 1]))
    with pytest.raises(TypeError) as info:  # float labels
        F.cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    assert "float" in str(info.value) and "int" in str(info.value)
    with pytest.raises(ValueError) as info:  # wrong number of labels
        F.cross_entropy(z, np.array([0, 1]))
    assert "(3,)" in str(info.value)
    with pytest.raises(ValueError):  # probability target of the wrong shape
        F.cross_entropy(z, np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError):  # target "probabilities" outside [0, 1]
        F.cross_entropy(z, np.full((3, 4), 2.0))
    with pytest.raises(ValueError):  # not (N, C)
        F.cross_entropy(as_tensor(np.zeros(4)), np.array([1]))
    with pytest.raises(TypeError):  # target dtype differs from the logits'
        F.cross_entropy(tn.tensor(np.zeros((3, 4), "float32")), np.full((3, 4), 0.25))


def test_cross_entropy_module_and_nll_agree():
    z = np.random.default_rng(0).normal(size=(6, 3))
    labels = np.array([0, 1, 2, 2, 1, 0])
    a = nn.CrossEntropyLoss()(as_tensor(z), labels).item()
    b = nn.NLLLoss()(F.log_softmax(as_tensor(z), axis=1), labels).item()
    c = F.nll_loss(F.log_softmax(as_tensor(z), axis=1), one_hot(labels, 3)).item()
    assert a == pytest.approx(b, rel=1e-12) and a == pytest.approx(c, rel=1e-12)
    assert tn.gradcheck(lambda t: F.nll_loss(t, labels, reduction="sum"), as_tensor(z))


# --------------------------------------------------------------------------- cross_entropy_probs
@SETTINGS
@given(logits_and_labels(), st.data())
def test_cross_entropy_probs_reductions(zl, data):
    z, labels = zl
    n, c = z.shape
    p = data.draw(prob_rows(n, c))
    y = data.draw(prob_rows(n, c))
    per_sample = -(y * np.log(p)).sum(axis=1)
    # F12 (and F9): average over samples of the sum over classes
    got = F.cross_entropy_probs(as_tensor(p), y)
    assert got.item() == pytest.approx(per_sample.mean(), rel=1e-12)
    # F10/F11: plain sum
    assert F.cross_entropy_probs(as_tensor(p), y, "sum").item() == pytest.approx(per_sample.sum())
    np.testing.assert_allclose(F.cross_entropy_probs(as_tensor(p), y, "none").numpy(), per_sample)
    # integer labels select -log p[label]
    lab = F.cross_entropy_probs(as_tensor(p), labels).item()
    assert lab == pytest.approx(-np.log(p[np.arange(n), labels]).mean())
    assert tn.gradcheck(lambda t: F.cross_entropy_probs(t, y), as_tensor(p))
    # the documents' form on softmax(z) equals the fused logits form
    fused = F.cross_entropy(as_tensor(z), y).item()
    via_probs = F.cross_entropy_probs(F.softmax(as_tensor(z), axis=1), y).item()
    assert via_probs == pytest.approx(fused, rel=1e-9)


def test_cross_entropy_probs_single_sample_worked_example():
    # E3 (seed 003 §4.4): y = [1, 0], yhat = [0.8, 0.2] -> CE = -ln 0.8 ~ 0.223
    loss = F.cross_entropy_probs(as_tensor(np.array([0.8, 0.2])), np.array([1.0, 0.0]), "sum")
    assert loss.item() == pytest.approx(-np.log(0.8))
    assert round(loss.item(), 3) == 0.223


def test_cross_entropy_probs_clamping_rule():
    eps = F.CLAMP_EPS
    p = as_tensor(np.array([[0.0, 1.0], [1e-9, 1 - 1e-9], [0.5, 0.5]]))
    y = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    loss = F.cross_entropy_probs(p, y, reduction="none")
    # clamped to eps: finite, equal to -log(eps)
    np.testing.assert_allclose(loss.numpy(), [-np.log(eps), -np.log(eps), np.log(2)])
    loss.sum().backward()
    # gradient is zero where the probability was clamped, -y/p elsewhere
    np.testing.assert_allclose(grad(p), [[0.0, 0.0], [0.0, 0.0], [-2.0, 0.0]])


def test_cross_entropy_probs_errors():
    with pytest.raises(ValueError) as info:
        F.cross_entropy_probs(as_tensor(np.array([[1.2, -0.2]])), np.array([[1.0, 0.0]]))
    assert "cross_entropy_probs" in str(info.value) and "[0, 1]" in str(info.value)
    with pytest.raises(ValueError):
        F.cross_entropy_probs(as_tensor(np.array([[np.nan, 0.5]])), np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError):
        F.cross_entropy_probs(as_tensor(np.full((2, 2), 0.5)), np.full((2, 3), 0.5))
    with pytest.raises(TypeError):
        F.cross_entropy_probs(as_tensor(np.full((2, 2), 0.5)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError):
        F.cross_entropy_probs(as_tensor(np.full((2, 2), 0.5)), np.array([0, 2]))


# --------------------------------------------------------------------------- binary cross-entropy
@SETTINGS
@given(shape=shapes(min_dims=1, max_dims=2), data=st.data())
def test_binary_cross_entropy_value_and_gradient(shape, data):
    p = data.draw(float64_arrays(shape, min_value=0.02, max_value=0.98))
    y = data.draw(float64_arrays(shape, min_value=0.0, max_value=1.0))
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert F.binary_cross_entropy(as_tensor(p), y).item() == pytest.approx(expected.mean())
    assert nn.BCELoss("sum")(as_tensor(p), y).item() == pytest.approx(expected.sum())
    t = as_tensor(p)
    F.binary_cross_entropy(t, y, reduction="sum").backward()
    # F13's derivative: -y/z + (1-y)/(1-z)
    np.testing.assert_allclose(grad(t), -y / p + (1 - y) / (1 - p), rtol=1e-10)
    assert tn.gradcheck(lambda t: F.binary_cross_entropy(t, y), as_tensor(p))


def test_f13_claim_derivative_at_one_is_not_zero():
    # F13 (seed 004 §4.2) claims dJ/dz = 0 at z = 1 ("prediction matches the label").
    # With y = 1, J = -log z and dJ/dz = -1/z = -1 at z = 1: the loss is minimal there
    # (on [0, 1]) but the derivative is not zero. With y = 0 it is +inf.
    z = as_tensor(np.array([1.0]))
    F.binary_cross_entropy(z, np.array([1.0]), reduction="sum").backward()
    assert grad(z)[0] == pytest.approx(-1.0)
    z = as_tensor(np.array([1 - 1e-4]))
    F.binary_cross_entropy(z, np.array([0.0]), reduction="sum").backward()
    assert grad(z)[0] == pytest.approx(1e4, rel=1e-6)  # (1-y)/(1-z) blows up as z -> 1
    # the derivative vanishes exactly at z = y (inside (0, 1))
    z2 = as_tensor(np.array([0.3]))
    F.binary_cross_entropy(z2, np.array([0.3])).backward()
    assert abs(grad(z2)[0]) < 1e-12


def test_binary_cross_entropy_clamps_both_logs():
    p = as_tensor(np.array([0.0, 1.0, 0.0, 1.0]))
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, y, reduction="none")
    bound = -np.log(F.CLAMP_EPS)
    np.testing.assert_allclose(loss.numpy(), [bound, bound, 0.0, 0.0], atol=1e-12)
    loss.sum().backward()
    assert np.all(np.isfinite(grad(p)))
    # clamped where the log argument (p or 1-p) fell below eps; finite and exact elsewhere:
    # element 2 (p=0, y=0): only log(1-p) matters, d/dp = 1/(1-p) = 1
    np.testing.assert_allclose(grad(p), [0.0, 0.0, 1.0, -1.0])


def test_binary_cross_entropy_errors():
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        F.binary_cross_entropy(as_tensor(np.array([1.5])), np.array([1.0]))
    with pytest.raises(ValueError):
        F.binary_cross_entropy(as_tensor(np.array([0.5])), np.array([2.0]))
    with pytest.raises(ValueError):
        F.binary_cross_entropy(as_tensor(np.array([[0.5], [0.5]])), np.array([1.0, 0.0]))
    # integer 0/1 labels are fine
    v = F.binary_cross_entropy(as_tensor(np.array([0.5, 0.5])), np.array([1, 0])).item()
    assert v == pytest.approx(np.log(2))


@SETTINGS
@given(shape=shapes(min_dims=1, max_dims=2), data=st.data())
def test_bce_with_logits_matches_bce_of_sigmoid(shape, data):
    z = data.draw(float64_arrays(shape, min_value=-5.0, max_value=5.0))
    y = data.draw(float64_arrays(shape, min_value=0.0, max_value=1.0))
    s = 1 / (1 + np.exp(-z))
    expected = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    got = F.binary_cross_entropy_with_logits(as_tensor(z), y, reduction="none").numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    # (the target is checked to lie in [0, 1], so keep it inside for finite differences)
    y_inside = np.clip(y, 1e-3, 1 - 1e-3)
    assert tn.gradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b), as_tensor(z), as_tensor(y_inside)
    )
    t = as_tensor(z)
    nn.BCEWithLogitsLoss("sum")(t, y).backward()
    np.testing.assert_allclose(grad(t), s - y, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_stable_at_1000(dtype):
    z = tn.tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype), requires_grad=True)
    y = np.array([1, 0, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 1000.0, 1000.0])
    np.testing.assert_allclose(grad(z), [0.0, 0.0, 1.0, -1.0])  # sigma(z) - y, never stuck


def test_loss_modules_reprs_and_eps():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss(reduction='mean')"
    loss = nn.CrossEntropyProbsLoss(eps=1e-3)(
        as_tensor(np.array([[0.0, 1.0]])), np.array([[1.0, 0.0]])
    )
    assert loss.item() == pytest.approx(-np.log(1e-3))
