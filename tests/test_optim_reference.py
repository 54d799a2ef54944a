"""tinynet.optim against references written here, in plain numpy, straight from the formulas.

Every reference below is an independent transcription of the formula in the
optimizer's docstring (F14/F16 of /work/shared/FORMULAS.md, PyTorch's SGD momentum,
Zeiler's Adadelta Algorithm 1); it shares no code with tinynet. Gradients are fed in
directly (``p.grad = g_t``), so the optimizers are tested on arbitrary gradient
sequences drawn by hypothesis, not only on gradients some model happens to produce.

This file also holds the numerical evidence for the corrections stated in the
docstrings: the "Adam" of seed 004 (F17), the "Adadelta" of seed 001 (F18), and the
worked Adam step of seed 003 (E3).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinynet as tn
from tinynet.backend import asarray
from tinynet.optim import SGD, Adadelta, Adam, ExponentialLR, StepLR

STEPS = 20
RTOL, ATOL = 1e-12, 1e-13


# ----------------------------------------------------------------------------- strategies
@st.composite
def problems(draw: st.DrawFn, steps: int = STEPS) -> tuple[np.ndarray, np.ndarray]:
    """An initial parameter and a sequence of *steps* gradients of the same shape.

    Gradients mix signs and magnitudes: a per-step scale drawn log-uniformly in
    [1e-3, 1e2] multiplies values in [-1, 1], and exact zeros occur too.
    """
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    unit = st.floats(-1.0, 1.0, allow_nan=False, allow_subnormal=False)
    theta0 = draw(hnp.arrays(np.float64, shape, elements=unit)) * 3.0
    grads = draw(hnp.arrays(np.float64, (steps, *shape), elements=unit))
    scales = draw(hnp.arrays(np.float64, (steps,), elements=st.floats(-3.0, 2.0)))
    grads = grads * (10.0**scales).reshape((steps,) + (1,) * len(shape))
    return theta0, grads


def run_optimizer(make, theta0: np.ndarray, grads: np.ndarray) -> tuple[np.ndarray, list]:
    """Apply ``make([p])`` to the gradient sequence; return the trajectory and the traces."""
    p = tn.Parameter(theta0.copy())  # copy: Parameter keeps (aliases) a numpy array it is given
    opt = make([p])
    trajectory, traces = [], []
    for g in grads:
        p.grad = asarray(g.copy())
        opt.step(trace=True)
        trajectory.append(p.numpy().copy())
        traces.append(opt.last_trace[0])
    return np.array(trajectory), traces


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------------- references
def reference_sgd(theta0, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    """PyTorch's SGD: g += wd*theta; b_1 = g_1, b_t = mu b + (1-tau) g; d = g + mu b (Nesterov) or b."""
    theta, b = theta0.copy(), None
    trajectory, velocities = [], []
    for g in grads:
        g = g + weight_decay * theta
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            d = g + momentum * b if nesterov else b
        else:
            d = g
        theta = theta - lr * d
        trajectory.append(theta)
        velocities.append(b)
    return np.array(trajectory), velocities


def reference_classical_momentum(theta0, grads, lr, momentum):
    """The textbook heavy ball: v <- mu v - lr g; theta <- theta + v."""
    theta, v = theta0.copy(), np.zeros_like(theta0)
    trajectory = []
    for g in grads:
        v = momentum * v - lr * g
        theta = theta + v
        trajectory.append(theta)
    return np.array(trajectory)


def reference_adam(theta0, grads, lr, beta1, beta2, eps, weight_decay=0.0):
    """F16 (seed 001 §2.5.2, seed 003 §4.2.2) = Kingma & Ba Algorithm 1."""
    theta = theta0.copy()
    m = np.zeros_like(theta0)
    v = np.zeros_like(theta0)
    trajectory, quantities = [], []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        update = lr * m_hat / (np.sqrt(v_hat) + eps)
        theta = theta - update
        trajectory.append(theta)
        quantities.append({"g": g, "m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat,
                           "update": update, "param": theta})  # fmt: skip
    return np.array(trajectory), quantities


def reference_adadelta(theta0, grads, lr, rho, eps, weight_decay=0.0):
    """Zeiler (2012), Algorithm 1, with PyTorch's extra lr factor on the applied step."""
    x = theta0.copy()
    eg2 = np.zeros_like(theta0)
    edx2 = np.zeros_like(theta0)
    trajectory, quantities = [], []
    for g in grads:
        g = g + weight_decay * x
        eg2 = rho * eg2 + (1 - rho) * g**2
        rms_dx = np.sqrt(edx2 + eps)  # RMS[dx]_{t-1}
        rms_g = np.sqrt(eg2 + eps)  # RMS[g]_t
        dx = -(rms_dx / rms_g) * g
        edx2 = rho * edx2 + (1 - rho) * dx**2
        x = x + lr * dx
        trajectory.append(x)
        quantities.append({"g": g, "Eg2": eg2, "delta": dx, "Edx2": edx2, "param": x})
    return np.array(trajectory), quantities


# ----------------------------------------------------------------------------- trajectories
weight_decays = st.one_of(st.just(0.0), st.floats(0.0, 0.1))


@st.composite
def sgd_hyper(draw: st.DrawFn) -> dict:
    momentum = draw(st.one_of(st.just(0.0), st.floats(0.0, 0.99)))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0, exclude_max=True)))
    return {"lr": draw(st.floats(1e-4, 1.0)), "momentum": momentum, "dampening": dampening,
            "nesterov": nesterov, "weight_decay": draw(weight_decays)}  # fmt: skip


@settings(max_examples=60)
@given(problems(), sgd_hyper())
def test_sgd_trajectory_matches_reference(problem, hyper):
    theta0, grads = problem
    actual, traces = run_optimizer(lambda ps: SGD(ps, **hyper), theta0, grads)
    expected, velocities = reference_sgd(theta0, grads, **hyper)
    assert_close(actual, expected)
    for trace, b in zip(traces, velocities):
        if b is None:
            assert trace["velocity"] is None
        else:
            assert_close(trace["velocity"], b)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_variants_on_fixed_sequence(nesterov):
    # The three options at once, on a sequence where each matters (no hypothesis luck needed).
    rng = np.random.default_rng(1)
    theta0, grads = rng.standard_normal(5), rng.standard_normal((STEPS, 5))
    hyper = {"lr": 0.05, "momentum": 0.9, "dampening": 0.0 if nesterov else 0.3,
             "nesterov": nesterov, "weight_decay": 0.01}  # fmt: skip
    actual, _ = run_optimizer(lambda ps: SGD(ps, **hyper), theta0, grads)
    assert_close(actual, reference_sgd(theta0, grads, **hyper)[0])
    plain, _ = run_optimizer(lambda ps: SGD(ps, lr=0.05), theta0, grads)
    assert not np.allclose(actual, plain)  # the options really changed the trajectory


@settings(max_examples=30)
@given(problems(), st.floats(1e-3, 1.0), st.floats(0.0, 0.99))
def test_sgd_momentum_equals_classical_heavy_ball(problem, lr, momentum):
    # The docstring's claim: with dampening 0 and a constant lr, b_t = -v_t / lr, so the
    # PyTorch-style and textbook forms produce the same iterates (up to rounding).
    theta0, grads = problem
    actual, _ = run_optimizer(lambda ps: SGD(ps, lr=lr, momentum=momentum), theta0, grads)
    expected = reference_classical_momentum(theta0, grads, lr, momentum)
    scale = np.abs(expected).max(initial=1.0)
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12 * scale)


@st.composite
def adam_hyper(draw: st.DrawFn) -> dict:
    return {"lr": draw(st.floats(1e-4, 0.5)), "beta1": draw(st.floats(0.0, 0.99)),
            "beta2": draw(st.floats(0.0, 0.9999)), "eps": draw(st.sampled_from([1e-8, 1e-4, 0.1])),
            "weight_decay": draw(weight_decays)}  # fmt: skip


@settings(max_examples=60)
@given(problems(), adam_hyper())
def test_adam_trajectory_matches_reference(problem, hyper):
    theta0, grads = problem
    h = dict(hyper)
    betas = (h.pop("beta1"), h.pop("beta2"))
    actual, traces = run_optimizer(lambda ps: Adam(ps, betas=betas, **h), theta0, grads)
    expected, quantities = reference_adam(theta0, grads, **hyper)
    assert_close(actual, expected)
    for trace, ref in zip(traces, quantities):
        assert set(trace) == set(ref)
        for key in ref:
            assert_close(trace[key], ref[key])


@settings(max_examples=60)
@given(
    problems(),
    st.floats(1e-2, 2.0),
    st.floats(0.0, 1.0, exclude_max=True),  # rho = 1 never adapts: refused
    st.sampled_from([1e-8, 1e-6, 1e-3]),
    weight_decays,
)
def test_adadelta_trajectory_matches_reference(problem, lr, rho, eps, weight_decay):
    theta0, grads = problem
    make = lambda ps: Adadelta(ps, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)  # noqa: E731
    actual, traces = run_optimizer(make, theta0, grads)
    expected, quantities = reference_adadelta(theta0, grads, lr, rho, eps, weight_decay)
    assert_close(actual, expected)
    for trace, ref in zip(traces, quantities):
        assert set(trace) == set(ref)
        for key in ref:
            assert_close(trace[key], ref[key])


def test_sgd_trace_holds_the_update():
    p = tn.Parameter(np.array([1.0, -2.0]))
    opt = SGD([p], lr=0.5, momentum=0.9, trace=True)
    p.grad = asarray(np.array([0.2, 0.4]))
    opt.step()
    (trace,) = opt.last_trace
    np.testing.assert_array_equal(trace["g"], [0.2, 0.4])
    np.testing.assert_array_equal(trace["velocity"], [0.2, 0.4])  # b_1 = g_1
    np.testing.assert_allclose(trace["update"], [0.1, 0.2], rtol=1e-15)
    np.testing.assert_allclose(trace["param"], [0.9, -2.2], rtol=1e-15)


# ----------------------------------------------------------------------------- Adam properties
@settings(max_examples=40)
@given(problems(steps=10), st.floats(1e-3, 1e3), st.floats(0.0, 0.99), st.floats(0.5, 0.9999))
def test_adam_step_is_invariant_to_gradient_scale(problem, c, beta1, beta2):
    # m_hat scales by c and sqrt(v_hat) by c, so with eps -> 0 the update does not change.
    # eps = 0 is refused (0/0 on dead units); 1e-300 is invisible next to |g| >= 1e-3.
    theta0, grads = problem
    grads = np.where(np.abs(grads) < 1e-3, 1e-3, grads)  # no coordinate near 0
    make = lambda ps: Adam(ps, lr=0.01, betas=(beta1, beta2), eps=1e-300)  # noqa: E731
    _, base = run_optimizer(make, theta0, grads)
    _, scaled = run_optimizer(make, theta0, c * grads)
    for a, b in zip(base, scaled):
        # Relative rounding of c*g is 1e-16 per gradient; cancellation inside m can amplify
        # it, so compare on the scale of lr (the typical size of an Adam step).
        np.testing.assert_allclose(b["update"], a["update"], rtol=1e-9, atol=1e-11)


def test_adam_worked_example_e3():
    # Seed 003 §4.4 (lines 662-679): beta1=0.9, beta2=0.99, alpha=0.001, eps=1e-4, w=0.1,
    # g=-0.02. The correct numbers, by hand from F16:
    #   m_1     = 0.1 * (-0.02)           = -0.002
    #   v_1     = 0.01 * (-0.02)**2       =  4e-6      (the document says 0.0002)
    #   m_hat_1 = -0.002 / (1 - 0.9)      = -0.02      (the document drops the minus sign)
    #   v_hat_1 = 4e-6 / (1 - 0.99)       =  4e-4      (the document says 0.002)
    #   w_new   = 0.1 - 0.001 * (-0.02) / (sqrt(4e-4) + 1e-4)
    #           = 0.1 + 0.001 * 0.02 / 0.0201 = 0.1 + 0.2/201 = 0.10099502487562189...
    # A negative gradient must *increase* w; the document's w_new ~ 0.098 decreases it.
    expected = {"g": -0.02, "m": -0.002, "v": 4e-6, "m_hat": -0.02, "v_hat": 4e-4,
                "update": -0.2 / 201, "param": 0.1 + 0.2 / 201}  # fmt: skip
    w = tn.Parameter(np.array(0.1))
    opt = Adam([w], lr=0.001, betas=(0.9, 0.99), eps=1e-4, trace=True)
    w.grad = asarray(np.array(-0.02))
    opt.step()
    (trace,) = opt.last_trace
    for key, value in expected.items():
        np.testing.assert_allclose(trace[key], value, rtol=1e-12, err_msg=key)
    assert w.item() == pytest.approx(0.100995024875622, rel=1e-13)
    # The document's claims are not what F16 gives:
    assert not np.isclose(trace["v"], 0.0002)
    assert not np.isclose(trace["m_hat"], 0.02)
    assert not np.isclose(trace["v_hat"], 0.002)
    assert abs(w.item() - 0.098) > 2e-3
    # ... and even its own intermediate numbers do not lead to 0.098:
    assert 0.1 - 0.001 * 0.02 / (np.sqrt(0.002) + 0.0001) == pytest.approx(0.0995538, abs=1e-7)


# ----------------------------------------------------------------------------- the documents' formulas
def document_f17_adam(grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Seed 004 §4.1 (lines 210-220) taken literally: v averages (g - m), no bias correction."""
    m = v = 0.0
    steps = []
    with np.errstate(invalid="ignore"):
        for g in grads:
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * (g - m)
            steps.append(lr * m / (np.sqrt(np.float64(v)) + eps))
    return m, v, steps


def test_document_f17_is_not_adam():
    # A negative first gradient makes v negative, hence a NaN step (numbers quoted in Adam's docstring).
    m, v, steps = document_f17_adam([-0.02])
    assert m == pytest.approx(-0.002) and v == pytest.approx(-1.8e-5)
    assert np.isnan(steps[0])
    # Not scale invariant: v has the units of g, not g**2.
    _, _, small = document_f17_adam([0.5])
    _, _, large = document_f17_adam([50.0])
    assert small[0] == pytest.approx(2.357e-3, rel=1e-3)
    assert large[0] == pytest.approx(2.357e-2, rel=1e-3)
    # A constant gradient drives v to 0 and the step up without bound.
    _, _, steps = document_f17_adam([0.5] * 10_000)
    assert steps[-1] > 1.0 > 100 * steps[0]
    # Real Adam under the same conditions: finite, about lr per step, scale free.
    for g in (-0.02, 0.5, 50.0):
        p = tn.Parameter(np.array(0.0))
        opt = Adam([p], trace=True)
        p.grad = asarray(np.array(g))
        opt.step()
        assert abs(opt.last_trace[0]["update"]) == pytest.approx(1e-3, rel=1e-5)


def document_f18_adadelta(grads, rho=0.95, alpha=1.0, d2_start=0.0):
    """Seed 001 §2.5.3 (lines 511-521) taken literally; returns (radicands, steps)."""
    d = 0.0  # the document's first accumulator; its update never uses it
    d2 = np.float64(d2_start)
    radicands, steps = [], []
    with np.errstate(divide="ignore", invalid="ignore"):
        for g in grads:
            previous = d2
            d = rho * d + (1 - rho) * g
            d2 = rho * d2 + (1 - rho) * g**2
            radicand = 1 / (1 + d2) - np.float64(1) / previous
            radicands.append(radicand)
            steps.append(-alpha * np.sqrt(radicand) / (1 + rho * d2))
    return radicands, steps


def test_document_f18_is_not_a_working_algorithm():
    # t = 1 divides by Delta theta^2_0 = 0: radicand -inf, NaN step, whatever the gradient.
    for g in (0.1, -0.5, 3.0):
        radicands, steps = document_f18_adadelta([g])
        assert radicands[0] == -np.inf and np.isnan(steps[0])
    # Later radicands stay negative (numbers quoted in Adadelta's docstring).
    radicands, steps = document_f18_adadelta([0.1, 0.1, 0.1])
    assert radicands[1] == pytest.approx(-1999.0, rel=1e-4)
    assert radicands[2] == pytest.approx(-1024.64, rel=1e-4)
    assert all(np.isnan(steps))
    radicands, _ = document_f18_adadelta([1.0, -1.0, 1.0])
    assert radicands[1] == pytest.approx(-19.089, rel=1e-3)
    assert radicands[2] == pytest.approx(-9.381, rel=1e-3)
    # Where it is defined (mean squared gradient above 1/(1-rho) = 20), the step ignores the
    # sign of the gradient: the same decrease for slopes +1 and -1, an ascent step for one.
    _, up = document_f18_adadelta([1.0], d2_start=25.0)
    _, down = document_f18_adadelta([-1.0], d2_start=25.0)
    assert up[0] == down[0] == pytest.approx(-7.607e-4, rel=1e-3)
    # Zeiler's Adadelta moves against the gradient in both cases.
    for g in (1.0, -1.0):
        p = tn.Parameter(np.array(0.0))
        opt = Adadelta([p])
        p.grad = asarray(np.array(g))
        opt.step()
        assert np.sign(p.item()) == -np.sign(g)


def test_adadelta_first_step_size_is_set_by_eps():
    # Docstring claim: the first step is sqrt(eps) g / sqrt((1-rho) g^2 + eps) ~ sqrt(eps/(1-rho)).
    p = tn.Parameter(np.array(0.0))
    opt = Adadelta([p])
    p.grad = asarray(np.array(10.0))
    opt.step()
    assert p.item() == pytest.approx(-np.sqrt(1e-6) * 10 / np.sqrt(0.05 * 100 + 1e-6), rel=1e-12)
    assert abs(p.item()) == pytest.approx(np.sqrt(1e-6 / 0.05), rel=1e-6)


# ----------------------------------------------------------------------------- schedules (F15)
@given(st.floats(1e-4, 1.0), st.floats(0.05, 1.0), st.integers(1, 30))
def test_exponential_lr_is_repeated_multiplication(lr, gamma, n):
    p = tn.Parameter(np.zeros(2))
    opt = SGD([p], lr=lr)
    sched = ExponentialLR(opt, gamma)
    expected = lr
    for _ in range(n):
        sched.step()
        expected = expected * gamma  # F15: alpha_new = alpha_old * gamma
        assert opt.param_groups[0]["lr"] == expected  # exactly: same operations
        assert sched.get_last_lr() == [expected]
    assert expected == pytest.approx(lr * gamma**n, rel=1e-12)


def test_step_lr_staircase():
    p = tn.Parameter(np.zeros(2))
    opt = SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    seen = []
    for _ in range(7):
        sched.step()
        seen.append(sched.get_last_lr()[0])
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_scheduled_sgd_matches_reference_with_changing_lr():
    # The scheduler's new lr is what the next step uses.
    rng = np.random.default_rng(7)
    theta0, grads = rng.standard_normal(3), rng.standard_normal((10, 3))
    p = tn.Parameter(theta0.copy())
    opt = SGD([p], lr=0.3)
    sched = ExponentialLR(opt, 0.8)
    theta, lr = theta0.copy(), 0.3
    for g in grads:
        p.grad = asarray(g)
        opt.step()
        sched.step()
        theta = theta - lr * g
        lr = lr * 0.8
        assert_close(p.numpy(), theta)


def test_scheduler_state_dict_must_match_its_kind():
    opt = SGD([tn.Parameter(np.zeros(1))], lr=1.0)
    state = StepLR(opt, step_size=2).state_dict()
    with pytest.raises(ValueError, match="another kind of scheduler"):
        ExponentialLR(opt, 0.5).load_state_dict(state)
