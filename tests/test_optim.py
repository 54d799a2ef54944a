"""tinynet.optim: the Optimizer API, exact resumption, descent and convergence, validation."""

from __future__ import annotations

import copy
import importlib.util
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet.backend import asarray, xp
from tinynet.optim import SGD, Adadelta, Adam, ExponentialLR, StepLR

OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "sgd-momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-3),
    "sgd-nesterov": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: Adam(ps, lr=0.01, weight_decay=1e-3),
    "adadelta": lambda ps: Adadelta(ps, weight_decay=1e-3),
}


# ----------------------------------------------------------------------------- a small model
def make_params(seed: int = 0, dtype: str = "float64") -> list[tn.Parameter]:
    rng = np.random.default_rng(seed)
    return [
        tn.Parameter(rng.standard_normal((3, 4)).astype(dtype), name="W"),
        tn.Parameter(rng.standard_normal(4).astype(dtype), name="b"),
        tn.Parameter(np.array(0.5, dtype=dtype), name="scale"),  # a 0-d parameter too
    ]


def model_loss(params: list[tn.Parameter], step: int) -> tn.Tensor:
    """A smooth nonconvex loss on a batch that changes with *step* (like minibatches)."""
    W, b, scale = params
    rng = np.random.default_rng(100 + step)
    dtype = W.dtype
    X = tn.tensor(rng.standard_normal((8, 3)).astype(dtype))
    y = tn.tensor(rng.standard_normal((8, 4)).astype(dtype))
    pred = (X @ W + b).tanh() * scale
    return ((pred - y) ** 2).mean()


def train(params, opt, scheduler, steps: range) -> None:
    for step in steps:
        opt.zero_grad()
        model_loss(params, step).backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()


SCHEDULERS = {
    "exponential": lambda opt: ExponentialLR(opt, gamma=0.9),
    "step": lambda opt: StepLR(opt, step_size=3, gamma=0.5),  # depends on the epoch counter
}


def snapshot(params) -> list[np.ndarray]:
    return [p.numpy().copy() for p in params]


# ----------------------------------------------------------------------------- resumption
@pytest.mark.parametrize("schedule", list(SCHEDULERS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_resume_from_state_dict_is_bit_for_bit(name, dtype, schedule):
    make, make_scheduler = OPTIMIZERS[name], SCHEDULERS[schedule]
    # Uninterrupted: 10 steps.
    params = make_params(dtype=dtype)
    opt = make(params)
    sched = make_scheduler(opt)
    train(params, opt, sched, range(10))
    uninterrupted = snapshot(params)

    # Interrupted: 5 steps, save, rebuild everything from the saved copy, 5 more steps.
    params = make_params(dtype=dtype)
    opt = make(params)
    sched = make_scheduler(opt)
    train(params, opt, sched, range(5))
    saved = copy.deepcopy(
        {"model": snapshot(params), "optim": opt.state_dict(), "sched": sched.state_dict()}
    )
    del params, opt, sched
    params = [tn.Parameter(a.copy()) for a in saved["model"]]
    opt = make(params)
    opt.load_state_dict(saved["optim"])
    sched = make_scheduler(opt)
    sched.load_state_dict(saved["sched"])
    train(params, opt, sched, range(5, 10))

    for a, b in zip(snapshot(params), uninterrupted):
        assert a.dtype == np.dtype(dtype)
        assert np.array_equal(a, b)


def _to_json_and_back(obj):
    """A JSON round trip: arrays as lists (exact for float32/64), int keys become strings."""

    def encode(x):
        if isinstance(x, np.ndarray):
            return {"__ndarray__": x.tolist(), "dtype": str(x.dtype), "shape": list(x.shape)}
        if isinstance(x, dict):
            return {k: encode(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [encode(v) for v in x]
        assert x is None or isinstance(x, (bool, int, float, str)), f"not serializable: {type(x)}"
        return x

    def decode(x):
        if isinstance(x, dict) and "__ndarray__" in x:
            return np.array(x["__ndarray__"], dtype=x["dtype"]).reshape(x["shape"])
        if isinstance(x, dict):
            return {k: decode(v) for k, v in x.items()}
        if isinstance(x, list):
            return [decode(v) for v in x]
        return x

    return decode(json.loads(json.dumps(encode(obj))))


@pytest.mark.parametrize("name", ["sgd-momentum", "adam", "adadelta"])
def test_state_dict_is_plain_data_and_survives_json(name):
    make = OPTIMIZERS[name]
    params = make_params(dtype="float32")
    opt = make(params)
    train(params, opt, None, range(3))
    state = opt.state_dict()
    for entry in state["state"].values():
        for value in entry.values():
            assert isinstance(value, (np.ndarray, int))  # host copies, not backend arrays
    restored = _to_json_and_back(state)  # also asserts every leaf is a plain type
    assert set(restored["state"]) == {"0", "1", "2"}  # int keys came back as strings

    reference = [p.numpy().copy() for p in params]
    ref_opt = opt
    train(params, ref_opt, None, range(3, 6))
    expected = snapshot(params)

    params2 = [tn.Parameter(a) for a in reference]
    opt2 = make(params2)
    opt2.load_state_dict(restored)
    train(params2, opt2, None, range(3, 6))
    for a, b in zip(snapshot(params2), expected):
        assert np.array_equal(a, b)


def test_state_dict_is_a_copy():
    params = make_params()
    opt = Adam(params)
    train(params, opt, None, range(2))
    state = opt.state_dict()
    before = copy.deepcopy(state)
    train(params, opt, None, range(2, 4))
    np.testing.assert_array_equal(state["state"][0]["exp_avg"], before["state"][0]["exp_avg"])
    # and loading copies too: stepping the new optimizer leaves the loaded dict untouched
    opt2 = Adam(params)
    opt2.load_state_dict(state)
    train(params, opt2, None, range(4, 6))
    np.testing.assert_array_equal(state["state"][0]["exp_avg"], before["state"][0]["exp_avg"])
    assert state["state"][0]["step"] == 2


def test_resume_through_tinynet_save_and_load(tmp_path):
    if importlib.util.find_spec("tinynet.serialization") is None:
        pytest.skip("tinynet.serialization (tinynet.save/load) does not exist yet")
    params = make_params(dtype="float32")
    opt = Adam(params, lr=0.01)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    train(params, opt, sched, range(4))
    path = tmp_path / "checkpoint.safetensors"
    tn.save(
        {"model": snapshot(params), "optim": opt.state_dict(), "sched": sched.state_dict()}, path
    )
    train(params, opt, sched, range(4, 8))
    expected = snapshot(params)

    saved = tn.load(path)
    params = [tn.Parameter(np.array(a, copy=True)) for a in saved["model"]]
    opt = Adam(params, lr=0.01)
    opt.load_state_dict(saved["optim"])
    sched = StepLR(opt, step_size=2, gamma=0.5)
    sched.load_state_dict(saved["sched"])
    train(params, opt, sched, range(4, 8))
    for a, b in zip(snapshot(params), expected):
        assert np.array_equal(a, b)


def test_resume_with_nn_modules_through_tinynet_save(tmp_path):
    # The real workflow: Module.state_dict + Optimizer.state_dict in one tinynet.save file.
    if importlib.util.find_spec("tinynet.serialization") is None:
        pytest.skip("tinynet.serialization (tinynet.save/load) does not exist yet")
    nn = pytest.importorskip("tinynet.nn")
    rng = np.random.default_rng(3)
    X = tn.tensor(rng.standard_normal((16, 3)).astype("float32"))
    y = tn.tensor(rng.standard_normal((16, 2)).astype("float32"))

    def build(initial=None):
        model = nn.Sequential(nn.Dense(3, 5, activation="tanh"), nn.Dense(5, 2))
        if initial is not None:
            model.load_state_dict(initial)
        opt = SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        return model, opt, ExponentialLR(opt, 0.95)

    def run(model, opt, sched, n):
        for _ in range(n):
            opt.zero_grad()
            ((model(X) - y) ** 2).mean().backward()
            opt.step()
            sched.step()

    model, opt, sched = build()
    initial = model.state_dict()
    run(model, opt, sched, 10)
    expected = model.state_dict()

    model, opt, sched = build(initial)
    run(model, opt, sched, 5)
    path = tmp_path / "run.safetensors"
    tn.save(
        {"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict()}, path
    )
    saved = tn.load(path)
    model, opt, sched = build(saved["model"])
    opt.load_state_dict(saved["optim"])
    sched.load_state_dict(saved["sched"])
    run(model, opt, sched, 5)
    got = model.state_dict()
    assert set(got) == set(expected)
    for key in expected:
        assert np.array_equal(got[key], expected[key]), key


def test_load_state_dict_rejects_mismatched_shapes_and_groups():
    params = make_params()
    opt = Adam(params)
    train(params, opt, None, range(1))
    state = opt.state_dict()
    other = Adam([tn.Parameter(np.zeros((4, 3))), params[1], params[2]])
    with pytest.raises(ValueError, match="shape"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="parameters"):
        Adam(params[:2]).load_state_dict(state)
    with pytest.raises(ValueError, match="groups"):
        Adam([{"params": params[:1]}, {"params": params[1:]}]).load_state_dict(state)


# ----------------------------------------------------------------------------- API behaviour
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_update_is_in_place_and_keeps_float32(name):
    params = make_params(dtype="float32")
    arrays = [p.data for p in params]
    opt = OPTIMIZERS[name](params)
    before = snapshot(params)
    train(params, opt, None, range(3))
    for p, array, old in zip(params, arrays, before):
        assert p.data is array  # same buffer: updated in place, no reallocation
        assert p.dtype == np.float32
        assert not np.array_equal(p.numpy(), old)
    for state in opt.state.values():
        for value in state.values():
            if isinstance(value, xp.ndarray):
                assert value.dtype == np.float32


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_params_without_grad_are_skipped_and_grad_is_not_modified(name):
    a = tn.Parameter(np.array([1.0, 2.0]))
    b = tn.Parameter(np.array([3.0, 4.0]))
    opt = OPTIMIZERS[name]([a, b])
    grad = asarray(np.array([0.5, -0.5]))
    a.grad = grad
    opt.step()
    assert b.numpy().tolist() == [3.0, 4.0]
    assert b not in opt.state
    assert a.grad.data is grad and a.grad.data.tolist() == [0.5, -0.5]  # weight decay never edits .grad
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_trace_is_off_by_default_and_can_be_requested_per_step():
    p = tn.Parameter(np.array([1.0]))
    opt = Adam([p])
    p.grad = asarray(np.array([1.0]))
    opt.step()
    assert opt.last_trace is None
    opt.step(trace=True)
    assert len(opt.last_trace) == 1
    assert set(opt.last_trace[0]) == {"g", "m", "v", "m_hat", "v_hat", "update", "param"}
    assert all(isinstance(v, np.ndarray) for v in opt.last_trace[0].values())
    opt.step()
    assert opt.last_trace is None


def test_param_groups_use_their_own_hyperparameters():
    a = tn.Parameter(np.array([1.0]))
    b = tn.Parameter(np.array([1.0]))
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    a.grad = asarray(np.array([1.0]))
    b.grad = asarray(np.array([1.0]))
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)
    sched = ExponentialLR(opt, 0.5)
    sched.step()
    assert sched.get_last_lr() == [0.05, 0.25]


def test_accepts_a_generator_of_parameters():
    params = make_params()
    opt = SGD((p for p in params), lr=0.1)
    assert opt.param_groups[0]["params"] == params


def test_lr_zero_freezes():
    p = tn.Parameter(np.array([1.0, 2.0]))
    for opt in (SGD([p], lr=0.0, momentum=0.9), Adam([p], lr=0.0), Adadelta([p], lr=0.0)):
        p.grad = asarray(np.array([1.0, -1.0]))
        opt.step()
        assert p.numpy().tolist() == [1.0, 2.0]


# ----------------------------------------------------------------------------- descent
def smooth_loss(x: tn.Tensor, A: tn.Tensor, c: tn.Tensor) -> tn.Tensor:
    """A convex quadratic plus a sum of softplus terms, built from tinynet operations."""
    return 0.5 * (x @ (A @ x)) + (1.0 + (x * c).exp()).log().sum()


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["sgd", "sgd-momentum", "adam", "adadelta"]))
def test_one_small_step_decreases_a_smooth_loss(seed, name):
    rng = np.random.default_rng(seed)
    n = 5
    M = rng.standard_normal((n, n))
    A = tn.tensor(M @ M.T / n + 0.1 * np.eye(n))
    c = tn.tensor(rng.standard_normal(n))
    x = tn.Parameter(rng.standard_normal(n))

    loss = smooth_loss(x, A, c)
    loss.backward()
    (fd,) = tn.numerical_grad(lambda t: smooth_loss(t, A, c), x)
    np.testing.assert_allclose(
        tn.to_numpy(x.grad), fd, rtol=1e-6, atol=1e-8
    )  # backprop = finite differences

    small = {"sgd": SGD([x], lr=1e-4), "sgd-momentum": SGD([x], lr=1e-4, momentum=0.9),
             "adam": Adam([x], lr=1e-4), "adadelta": Adadelta([x], eps=1e-10)}[name]  # fmt: skip
    before = x.numpy().copy()
    small.step()
    step = x.numpy() - before
    with tn.no_grad():
        new_loss = smooth_loss(x, A, c).item()
    # Descent, and by the amount the first-order Taylor expansion with the
    # finite-difference gradient predicts: f(x + s) - f(x) = fd . s + O(|s|^2).
    predicted = float(fd @ step)
    assert predicted < 0
    assert new_loss < loss.item()
    assert (new_loss - loss.item()) == pytest.approx(predicted, rel=1e-2)


def quadratic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A = M @ M.T + n * np.eye(n)  # SPD, condition number around 5
    return A, rng.standard_normal(n)


def minimise(
    opt_factory, A: np.ndarray, b: np.ndarray, steps: int
) -> tuple[np.ndarray, list[float]]:
    """Minimise 1/2 x^T A x - b^T x with tinynet autograd; return x and the loss history."""
    At, bt = tn.tensor(A), tn.tensor(b)
    x = tn.Parameter(np.zeros(len(b)))
    opt = opt_factory([x])
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * (x @ (At @ x)) - (bt * x).sum()
        loss.backward()
        history.append(loss.item())
        opt.step()
    return x.numpy(), history


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_sgd_converges_to_the_analytic_minimiser(momentum):
    A, b = quadratic(6)
    lam_max = np.linalg.eigvalsh(A).max()
    lr = 1.0 / lam_max  # any lr < 2/lam_max converges for plain gradient descent
    x, _ = minimise(lambda ps: SGD(ps, lr=lr, momentum=momentum), A, b, steps=300)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-8, atol=1e-10)


def test_sgd_diverges_above_two_over_lambda_max():
    # The other side of the stability bound, so the bound above is not a coincidence.
    A, b = quadratic(6)
    lr = 2.2 / np.linalg.eigvalsh(A).max()
    x, _ = minimise(lambda ps: SGD(ps, lr=lr), A, b, steps=100)
    assert np.linalg.norm(x - np.linalg.solve(A, b)) > 1e2


@pytest.mark.parametrize(
    "factory",
    [lambda ps: Adam(ps, lr=0.05), lambda ps: Adadelta(ps)],
    ids=["adam", "adadelta"],
)
def test_adaptive_optimizers_make_progress_on_the_quadratic(factory):
    A, b = quadratic(6)
    x_star = np.linalg.solve(A, b)
    f_star = -0.5 * b @ x_star
    x, history = minimise(factory, A, b, steps=400)
    gap0, gap = history[0] - f_star, history[-1] - f_star
    assert gap < 0.05 * gap0
    assert np.linalg.norm(x - x_star) < 0.5 * np.linalg.norm(x_star)


# ----------------------------------------------------------------------------- validation
P = [tn.Parameter(np.zeros(2))]

BAD = [
    (lambda: SGD(P, lr=-0.1), r"SGD: invalid learning rate lr=-0\.1"),
    (lambda: SGD(P, lr=float("nan")), r"SGD: lr must be finite"),
    (lambda: SGD(P, lr="fast"), r"SGD: lr must be a number, got 'fast'"),
    (lambda: SGD(P, lr=0.1, momentum=-0.9), r"SGD: invalid momentum=-0\.9"),
    (lambda: SGD(P, lr=0.1, dampening=1.5), r"SGD: invalid dampening=1\.5"),
    (lambda: SGD(P, lr=0.1, nesterov=True), r"SGD: nesterov=True needs momentum > 0"),
    (lambda: SGD(P, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), r"dampening = 0"),
    (lambda: SGD(P, lr=0.1, weight_decay=-1e-4), r"SGD: invalid weight_decay=-0\.0001"),
    (lambda: Adam(P, lr=-1e-3), r"Adam: invalid learning rate lr=-0\.001"),
    (lambda: Adam(P, betas=(1.0, 0.999)), r"Adam: invalid betas\[0\]=1\.0"),
    (lambda: Adam(P, betas=(0.9, -0.1)), r"Adam: invalid betas\[1\]=-0\.1"),
    (lambda: Adam(P, betas=(0.9,)), r"Adam: betas must be a pair"),
    (lambda: Adam(P, eps=-1e-8), r"Adam: invalid eps=-1e-08"),
    (lambda: Adam(P, weight_decay=-1.0), r"Adam: invalid weight_decay=-1\.0"),
    (lambda: Adadelta(P, lr=-1.0), r"Adadelta: invalid learning rate lr=-1\.0"),
    (lambda: Adadelta(P, rho=1.01), r"Adadelta: invalid rho=1\.01"),
    (lambda: Adadelta(P, rho=-0.5), r"Adadelta: invalid rho=-0\.5"),
    (lambda: Adadelta(P, eps=-1e-6), r"Adadelta: invalid eps=-1e-06"),
    (lambda: Adadelta(P, eps=0.0), r"Adadelta: invalid eps=0"),
    (lambda: Adadelta(P, weight_decay=-0.1), r"Adadelta: invalid weight_decay=-0\.1"),
    (lambda: Adam([]), r"Adam: got an empty parameter list"),
    (lambda: SGD(iter([]), lr=0.1), r"SGD: got an empty parameter list"),
    (lambda: SGD([{"params": []}], lr=0.1), r"SGD: a parameter group has an empty 'params'"),
    (lambda: Adam([{"params": P, "lr": -1.0}]), r"Adam: invalid learning rate lr=-1\.0"),
    (lambda: SGD(P + P, lr=0.1), r"SGD: params\[1\] appears more than once"),
    (lambda: SGD([{"params": P, "learning_rate": 1.0}], lr=0.1), r"unknown hyperparameter"),
    (lambda: SGD([P[0] * 2], lr=0.1), r"SGD: params\[0\] is the result of an operation"),
    (lambda: ExponentialLR(SGD(P, lr=0.1), gamma=0.0), r"ExponentialLR: invalid gamma=0\.0"),
    (lambda: StepLR(SGD(P, lr=0.1), step_size=0), r"StepLR: invalid step_size=0"),
]


@pytest.mark.parametrize("factory, message", BAD, ids=[m for _, m in BAD])
def test_bad_hyperparameters_raise_value_error(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


@pytest.mark.parametrize(
    "params, message",
    [
        ([np.zeros(2)], r"SGD: params\[0\] is a ndarray, not a Parameter/Tensor"),
        ([P[0], 1.0], r"SGD: params\[1\] is a float"),
        (P[0], r"SGD: params must be an iterable .* got a single Parameter"),
    ],
)
def test_non_tensors_raise_type_error(params, message):
    with pytest.raises(TypeError, match=message):
        SGD(params, lr=0.1)


def test_lr_zero_and_boundary_values_are_accepted():
    SGD(P, lr=0.0)
    Adam(P, lr=0.0, betas=(0.0, 0.0), eps=5e-324)  # the smallest positive eps
    Adadelta(P, rho=0.0)
    SGD(P, lr=0.1, momentum=0.0, dampening=1.0)  # no velocity: dampening is unused
    SGD(P, lr=0.1, momentum=0.999, dampening=0.999)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Adam(P, eps=0.0), r"Adam: invalid eps=0\.0; it must be > 0.*0/0 = NaN"),
        (lambda: Adadelta(P, rho=1.0), r"Adadelta: invalid rho=1\.0.*\[0\.0, 1\.0\).*never adapts"),
        (lambda: SGD(P, lr=0.1, momentum=1.0), r"SGD: invalid momentum=1\.0.*never forgets"),
        (lambda: SGD(P, lr=0.1, momentum=1.5), r"SGD: invalid momentum=1\.5"),
        (
            lambda: SGD(P, lr=0.1, momentum=0.9, dampening=1.0),
            r"SGD: invalid dampening=1\.0 with momentum=0\.9.*no gradient after the first",
        ),
    ],
)
def test_values_that_silently_ruin_training_are_refused(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_repr_lists_groups():
    text = repr(Adam(P, lr=0.01))
    assert "Adam" in text and "lr=0.01" in text and "betas=(0.9, 0.999)" in text
