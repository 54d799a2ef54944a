r"""Checks F14-F18: SGD, learning-rate decay, Adam, the "Adam" of 004 and the "Adadelta" of 001.

Each document update is run **as written** in plain numpy (``doc_`` names) beside the
corresponding :mod:`tinynet.optim` optimizer, on gradients computed by tinynet's
autograd. Where the document's update cannot run, the failure itself (division by
zero, square root of a negative number, NaN, a step that ignores the gradient's sign)
is recorded as the evidence; numpy's floating-point events are captured with
:func:`~tinynet.audit.core.fp_events` instead of being printed as warnings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import tinynet as tn
from tinynet.audit._tools import CheckedAutograd, autograd, flat, host, param64, t64
from tinynet.audit.core import (
    AuditError,
    Evidence,
    Outcome,
    Tally,
    fmt,
    fp_events,
    holds,
    register,
    wrong,
)
from tinynet.nn import functional as F
from tinynet.optim import SGD, Adadelta, Adam, ExponentialLR


# --------------------------------------------------------------------------- problems
class LeastSquares:
    """A random least-squares problem L(θ) = mean((Xθ − y)²); gradients by tinynet autograd."""

    def __init__(self, rng: np.random.Generator) -> None:
        d = int(rng.integers(1, 6))
        m = int(rng.integers(d + 1, d + 8))
        self.shape = (d,)
        self.X = rng.normal(size=(m, d))
        self.y = rng.normal(size=m)
        self.theta0 = rng.normal(scale=2.0, size=d)
        self.lam_max = float(np.linalg.eigvalsh(2.0 / m * self.X.T @ self.X).max())

    def loss(self, theta: Any) -> Any:
        return F.mse_loss(t64(self.X) @ theta, t64(self.y))

    def value(self, theta: np.ndarray) -> float:
        with tn.no_grad():
            return float(self.loss(t64(theta)).item())

    def grad(self, theta: np.ndarray) -> np.ndarray:
        """∇L at *theta* by tinynet autograd (host float64)."""
        return autograd(self.loss, theta)[1][0]


def sq(t: Any) -> Any:
    """f(θ) = Σθ², built from tinynet ops."""
    return (t * t).sum()


def _square_grad(theta: np.ndarray) -> np.ndarray:
    """∇ of f(θ) = Σθ² by tinynet autograd."""
    return autograd(lambda t: (t * t).sum(), theta)[1][0]


def _machinery(ev: Evidence, rng: np.random.Generator) -> None:
    """The gradients fed to the optimizers (tinynet autograd) must agree with finite differences."""
    t = CheckedAutograd("tinynet autograd vs finite differences on the test problems")
    for _ in range(max(5, ev.draws // 10)):
        prob = LeastSquares(rng)
        t.grads(prob.loss, prob.theta0)
    t.grads(sq, rng.normal(size=3))
    t.require(
        ev, "tinynet's backward is wrong, so the gradients fed to the optimizers cannot be trusted"
    )


# --------------------------------------------------------------------------- F14
@register(
    "F14",
    "001 §2.5.1 l.450; 003 §4.2 l.183, §4.2.1 l.585; 004 §4.1 l.204",
    "SGD: θ ← θ − α ∇_θ J(θ)",
    self_check=_machinery,
)
def check_f14(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """SGD as printed in seeds 001 (line 450), 003 (lines 183, 585) and 004 (line 204)."""
    same = Tally("document θ − α∇J (plain numpy) vs tinynet SGD, 1-5 steps")
    descent = 0
    for _ in range(ev.draws):
        prob = LeastSquares(rng)
        lr = float(rng.uniform(0.05, 1.0)) / prob.lam_max
        steps = int(rng.integers(1, 6))
        p = param64(prob.theta0)
        opt = SGD([p], lr=lr)
        doc_theta = prob.theta0.copy()
        for _ in range(steps):
            opt.zero_grad()
            prob.loss(p).backward()
            g = host(p.grad)
            doc_theta = doc_theta - lr * g  # θ = θ − α·∇J(θ), as printed
            opt.step()
        same.add(doc_theta, host(p))
        # one step with α = 1/λ_max from θ0 must lower the loss (−α‖g‖² + O(α²) < 0)
        th1 = prob.theta0 - (1.0 / prob.lam_max) * prob.grad(prob.theta0)
        descent += prob.value(th1) < prob.value(prob.theta0)
    s_same = ev.tally(same)
    ev.line(
        f"one step with α = 1/λ_max lowers the loss in {descent}/{ev.draws} random problems (a descent direction)"
    )
    # Stability on f(θ) = θᵀAθ, A = diag(1, 10): λ_max of the Hessian is 20, so α must be < 0.1.
    A = np.diag([1.0, 10.0])
    norms = {}
    for lr in (0.05, 0.105):
        p = param64(np.ones(2))
        opt = SGD([p], lr=lr)
        with fp_events():
            for _ in range(200):
                opt.zero_grad()
                (p @ (t64(A) @ p)).backward()
                opt.step()
        norms[lr] = float(np.linalg.norm(host(p)))
    ev.line(
        f"on θᵀ·diag(1,10)·θ (2/λ_max = 0.1), 200 tinynet SGD steps: |θ| = {fmt(norms[0.05], 3)} at α = 0.05, {fmt(norms[0.105], 3)} at α = 0.105"
    )
    ev.step(
        "SGD converges on a quadratic only for α < 2/λ_max (λ_max: largest Hessian eigenvalue); E2 breaks this."
    )
    ev.summary(
        f"document update = tinynet SGD (max err {same.worst:.1g}, {ev.draws} random least-squares problems); "
        f"descent in {descent}/{ev.draws}; stable iff α < 2/λ_max (|θ| {fmt(norms[0.05], 2)} vs {fmt(norms[0.105], 2)})"
    )
    if descent != ev.draws:
        return wrong("θ ← θ − α ∇_θ J(θ) with 0 < α < 2/λ_max")
    if s_same != "agree":
        # The printed update passed the descent test on its own, so tinynet's SGD is at fault.
        raise AuditError("tinynet SGD disagrees with θ − α∇J, which is a descent step")
    return holds()


# --------------------------------------------------------------------------- F15
@register("F15", "003 §4.3 (first half), lines 188-196", "learning-rate decay α_new = α_old · γ")
def check_f15(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 003 §4.3, first half (lines 188-196): exponential decay."""
    doc_closed = Tally("document recursion α ← α·γ after t steps vs exponential decay α_0 γ^t")
    sched_t = Tally("tinynet ExponentialLR vs the document's recursion")
    used = Tally("step actually taken by tinynet SGD under the schedule vs the document's α_t")
    for _ in range(ev.draws):
        a0, gamma = 10 ** float(rng.uniform(-4, 0)), float(rng.uniform(0.5, 0.999))
        T = int(rng.integers(1, 40))
        p = param64(np.zeros(1))
        opt = SGD([p], lr=a0)
        sched = ExponentialLR(opt, gamma=gamma)
        doc_alpha = a0
        doc_hist, taken = [], []
        for _ in range(T):
            before = float(host(p)[0])
            p.grad = tn.tensor(np.ones(1), dtype="float64").data  # ∇J = 1: the step equals α
            opt.step()
            taken.append(before - float(host(p)[0]))
            doc_hist.append(doc_alpha)
            sched.step()
            doc_alpha = doc_alpha * gamma  # α_new = α_old·γ, as printed
        doc_closed.add(doc_alpha, a0 * gamma**T)
        sched_t.add(sched.get_last_lr()[0], doc_alpha)
        used.add(np.array(taken), np.array(doc_hist))
    s_doc = ev.tally(doc_closed)
    s_tn = [ev.tally(sched_t), ev.tally(used)]
    ev.value("alpha_10", 0.1 * 0.9**10)
    ev.line(
        f"example: α_0 = 0.1, γ = 0.9: α_10 = {fmt(0.1 * 0.9**10)} (exponential decay α_t = α_0 γ^t)"
    )
    ev.summary(
        f"document recursion = α_0γ^t (max err {doc_closed.worst:.1g}) = tinynet ExponentialLR "
        f"(err {sched_t.worst:.1g}), {ev.draws} draws; SGD steps follow it (err {used.worst:.1g})"
    )
    if s_doc != "agree":
        return wrong("α_t = α_0 γ^t")
    if s_tn != ["agree", "agree"]:
        raise AuditError("tinynet's ExponentialLR (or SGD under it) disagrees with α_t = α_0 γ^t")
    return holds()


# --------------------------------------------------------------------------- Adam (F16, F17)
def doc_adam_step(
    state: dict[str, Any], g: np.ndarray, lr: float, b1: float, b2: float, eps: float
) -> dict[str, Any]:
    """F16 as printed (001 §2.5.2, 003 §4.2.2): one step, plain numpy."""
    t = state["t"] + 1
    m = b1 * state["m"] + (1 - b1) * g
    v = b2 * state["v"] + (1 - b2) * g**2
    m_bar = m / (1 - b1**t)
    v_bar = v / (1 - b2**t)
    theta = state["theta"] - lr * m_bar / (np.sqrt(v_bar) + eps)
    return {"t": t, "m": m, "v": v, "m_hat": m_bar, "v_hat": v_bar, "theta": theta}


def doc_f17_step(
    state: dict[str, Any], g: Any, lr: float, b1: float, b2: float, eps: float
) -> dict[str, Any]:
    """F17 as printed (004 §4.1, lines 213-219): v accumulates g − m_t, unsquared; no bias correction."""
    m = b1 * state["m"] + (1 - b1) * g
    v = b2 * state["v"] + (1 - b2) * (g - m)
    theta = state["theta"] - lr * m / (np.sqrt(v) + eps)
    return {"t": state["t"] + 1, "m": m, "v": v, "theta": theta}


def _adam_draw(rng: np.random.Generator) -> tuple[float, float, float, float, int]:
    b1, b2 = float(rng.uniform(0.5, 0.99)), float(rng.uniform(0.9, 0.9999))
    lr, eps = 10 ** float(rng.uniform(-4, -1)), 10 ** float(rng.uniform(-10, -4))
    return lr, b1, b2, eps, int(rng.integers(1, 9))


@register(
    "F16",
    "001 §2.5.2 lines 465-490; 003 §4.2.2 lines 590-610",
    "Adam: m, v moving averages of g, g²; m̄ = m/(1−β1^t), v̄ = v/(1−β2^t); θ ← θ − α m̄/(√v̄ + ε)",
    self_check=_machinery,
)
def check_f16(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 001 §2.5.2 (lines 465-490) and seed 003 §4.2.2 (lines 590-610)."""
    same = Tally(
        f"document Adam (plain numpy) vs tinynet Adam trace: m, v, m̂, v̂, θ at every step of {ev.draws} runs",
        unit="step",
    )
    for _ in range(ev.draws):
        prob = LeastSquares(rng)
        lr, b1, b2, eps, steps = _adam_draw(rng)
        p = param64(prob.theta0)
        opt = Adam([p], lr=lr, betas=(b1, b2), eps=eps, trace=True)
        doc = {"t": 0, "m": 0.0, "v": 0.0, "theta": prob.theta0.copy()}
        for _ in range(steps):
            opt.zero_grad()
            prob.loss(p).backward()
            g = host(p.grad)
            opt.step()
            doc = doc_adam_step(doc, g, lr, b1, b2, eps)
            tr = opt.last_trace[0]
            same.add(
                flat([doc["m"], doc["v"], doc["m_hat"], doc["v_hat"], doc["theta"]]),
                flat([tr["m"], tr["v"], tr["m_hat"], tr["v_hat"], tr["param"]]),
            )
    s_same = ev.tally(same)
    first = []
    for g in (1e-3, 1.0, 1e3):
        p = param64(np.zeros(1))
        opt = Adam([p], lr=0.01)
        p.grad = t64([g]).data
        opt.step()
        first.append(-float(host(p)[0]))
    ev.value("first_steps", first)
    ev.line(
        f"first step, α = 0.01, for g = 1e-3, 1, 1e3 (tinynet Adam): {fmt(first, 6)} -- about α whatever the gradient's scale"
    )
    # The printed update, run on its own (gradients from tinynet autograd), must minimise Σθ².
    doc = {"t": 0, "m": 0.0, "v": 0.0, "theta": np.array([3.0, -2.0])}
    for _ in range(2000):
        doc = doc_adam_step(doc, _square_grad(doc["theta"]), 0.05, 0.9, 0.999, 1e-8)
    doc_end = float(np.abs(doc["theta"]).max())
    ev.value("doc_adam_theta_2000", doc_end)
    ev.line(
        f"the printed update alone on Σθ² from (3, −2), α = 0.05, 2000 steps: max |θ| = {fmt(doc_end, 3)}"
    )
    ev.step(
        "ε is added outside the square root and after the bias correction, as in Kingma & Ba's Algorithm 1."
    )
    ev.step(
        "The printed update is Kingma & Ba's Algorithm 1 verbatim; tinynet's Adam implements the same algorithm."
    )
    ev.summary(
        f"document Adam = tinynet Adam at every step (m, v, m̂, v̂, θ; max err {same.worst:.1g}, {ev.draws} random "
        f"problems/hyperparameters); first step for g = 1e-3, 1, 1e3 at α = 0.01: {fmt(first, 6)}"
    )
    if not doc_end < 1e-6:
        return wrong("Kingma & Ba, Algorithm 1")
    if s_same != "agree":
        raise AuditError(
            "tinynet Adam disagrees with the printed update, which is Kingma & Ba's Algorithm 1 "
            "and minimises Σθ² on its own: tinynet's Adam is at fault"
        )
    return holds()


def _first_nan(run: list[dict[str, Any]]) -> int | None:
    for i, s in enumerate(run, 1):
        if not np.all(np.isfinite(s["theta"])):
            return i
    return None


def _run_doc(
    step: Callable[..., dict[str, Any]],
    grad: Callable[[np.ndarray], np.ndarray],
    theta0: np.ndarray,
    steps: int,
    **hyper: Any,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Run a document update until it is no longer finite (or *steps* steps); record numpy events."""
    state: dict[str, Any] = {
        "t": 0,
        "m": 0.0,
        "v": 0.0,
        "theta": np.array(theta0, dtype=np.float64),
    }
    run = []
    with fp_events() as events:
        for _ in range(steps):
            state = step(state, grad(state["theta"]), **hyper)
            run.append(state)
            if not np.all(np.isfinite(state["theta"])):
                break
    return run, events


def _run_tinynet(
    opt_cls: type, grad_loss: Callable[[Any], Any], theta0: np.ndarray, steps: int, **hyper: Any
) -> tuple[Any, list[dict[str, Any]]]:
    p = param64(theta0)
    opt = opt_cls([p], trace=True, **hyper)
    traces = []
    for _ in range(steps):
        opt.zero_grad()
        grad_loss(p).backward()
        opt.step()
        traces.append(opt.last_trace[0])
    return host(p), traces


@register(
    "F17",
    "004 §4.1, lines 209-223",
    "'Adam': m_t = β1 m + (1−β1)g, v_t = β2 v + (1−β2)(g − m_t), θ_t = θ_t − α m_t/(√v_t + ε)",
    self_check=_machinery,
)
def check_f17(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 004 §4.1 (lines 209-223): the second accumulator is not squared.

    The printed update is run on f(θ) = θ² and on random least-squares problems
    beside tinynet's Adam (F16), with β1 = 0.9, β2 = 0.999, ε = 1e-8.
    """
    hyper = {"b1": 0.9, "b2": 0.999, "eps": 1e-8}

    # θ0 = −1: the first gradient is negative.
    run_neg, ev_neg = _run_doc(doc_f17_step, _square_grad, np.array([-1.0]), 3, lr=0.001, **hyper)
    s1 = run_neg[0]
    th_tn, tr_neg = _run_tinynet(
        Adam, sq, np.array([-1.0]), 1, lr=0.001, betas=(0.9, 0.999), eps=1e-8
    )
    ev.value("neg_v1", float(s1["v"][0]))
    ev.line(
        f"θ² from θ0 = −1 (g1 = −2, α = 0.001): document m1 = {fmt(s1['m'])}, v1 = (1−β2)(g − m1) = {fmt(s1['v'])} < 0, "
        f"θ1 = {fmt(s1['theta'])} (numpy: {', '.join(ev_neg) or 'no events'}); tinynet Adam θ1 = {fmt(th_tn)}"
    )
    # θ0 = +1: NaN as soon as g < m_t.
    nan_at = {}
    for lr in (0.01, 0.001):
        run_pos, _ = _run_doc(doc_f17_step, _square_grad, np.array([1.0]), 3000, lr=lr, **hyper)
        nan_at[lr] = _first_nan(run_pos)
    th_adam, _ = _run_tinynet(
        Adam, sq, np.array([1.0]), 1000, lr=0.01, betas=(0.9, 0.999), eps=1e-8
    )
    ev.value("pos_first_nan", nan_at)
    ev.line(
        f"θ² from θ0 = +1: first NaN at step {nan_at[0.01]} (α = 0.01) and {nan_at[0.001]} (α = 0.001); "
        f"tinynet Adam (α = 0.01, 1000 steps): θ = {fmt(th_adam, 3)}"
    )
    # Random problems: run both for 30 steps.
    doc_vs = Tally(
        "document update vs tinynet Adam, θ after step 1 (random least-squares problems)"
    )
    fixed = Tally("corrected update (F16, plain numpy) vs tinynet Adam, 30 steps")
    nan_runs, nan_steps, adam_nan, adam_down = 0, [], 0, 0
    for _ in range(ev.draws):
        prob = LeastSquares(rng)
        run, _ = _run_doc(doc_f17_step, prob.grad, prob.theta0, 30, lr=0.01, **hyper)
        th_tn, traces = _run_tinynet(
            Adam, prob.loss, prob.theta0, 30, lr=0.01, betas=(0.9, 0.999), eps=1e-8
        )
        doc_vs.add(run[0]["theta"], traces[0]["param"])
        k = _first_nan(run)
        if k is not None:
            nan_runs += 1
            nan_steps.append(k)
        doc = {"t": 0, "m": 0.0, "v": 0.0, "theta": prob.theta0.copy()}
        for tr in traces:
            doc = doc_adam_step(doc, tr["g"], 0.01, 0.9, 0.999, 1e-8)
        fixed.add(doc["theta"], th_tn)
        adam_nan += not np.all(np.isfinite(th_tn))
        adam_down += prob.value(th_tn) < prob.value(prob.theta0)
    s_doc, s_fix = ev.tally(doc_vs), ev.tally(fixed)
    ev.value("random_nan_runs", nan_runs)
    ev.line(
        f"{ev.draws} random problems, 30 steps, α = 0.01: the document's update produced NaN in {nan_runs} "
        f"(first at step {min(nan_steps) if nan_steps else '-'}..{max(nan_steps) if nan_steps else '-'}); "
        f"tinynet Adam: NaN in {adam_nan}, loss lowered in {adam_down}"
    )
    # Scale: v has the units of g, so the step is not scale invariant.
    scale = {}
    for g in (0.5, 50.0):
        doc_step = -doc_f17_step({"t": 0, "m": 0.0, "v": 0.0, "theta": 0.0}, g, 0.001, **hyper)[
            "theta"
        ]
        p = param64(np.zeros(1))
        opt = Adam([p], lr=0.001)
        p.grad = t64([g]).data
        opt.step()
        scale[g] = (float(doc_step), -float(host(p)[0]))
    ev.line(
        f"first step for g = 0.5 and g = 50 (α = 0.001): document {fmt(scale[0.5][0], 4)}, {fmt(scale[50.0][0], 4)} "
        f"(grows like √g); tinynet Adam {fmt(scale[0.5][1], 4)}, {fmt(scale[50.0][1], 4)}"
    )
    ev.step(
        "With (g − m_t)² and bias correction this would be AdaBelief (Zhuang et al. 2020); Adam uses g² (F16)."
    )
    ev.step("θ_t = θ_t − … is self-referential: it should read θ_t = θ_{t−1} − ….")
    for i, s in enumerate(run_neg, 1):
        ev.step(f"θ0 = −1, step {i}: m = {fmt(s['m'])}, v = {fmt(s['v'])}, θ = {fmt(s['theta'])}")
    ev.summary(
        f"v1 = (1−β2)β1·g < 0 for g < 0: θ² from −1 gives v1 = {fmt(float(s1['v'][0]), 3)}, θ1 = NaN; from +1 NaN at step "
        f"{nan_at[0.001]} (α = 0.001); NaN in {nan_runs}/{ev.draws} random problems; tinynet Adam: {adam_nan} NaN"
    )
    if s_fix != "agree" or adam_nan:
        raise AuditError(
            "the corrected update (F16) disagrees with tinynet Adam, or tinynet Adam produced NaN"
        )
    if s_doc == "agree" and nan_runs == 0:
        return holds()
    return wrong(
        "Adam (F16): v_t = β2 v_{t−1} + (1−β2) g_t², m̂ = m_t/(1−β1^t), v̂ = v_t/(1−β2^t), "
        "θ_t = θ_{t−1} − α m̂/(√v̂ + ε)"
    )


# --------------------------------------------------------------------------- F18
def doc_f18_step(state: dict[str, Any], g: Any, lr: float, rho: float) -> dict[str, Any]:
    """F18 as printed (001 §2.5.3, lines 514-522), plain numpy.

    Δθ_t = ρΔθ_{t−1} + (1−ρ)g;  Δθ²_t = ρΔθ²_{t−1} + (1−ρ)g²;
    θ_t = θ_t − α √(1/(1 + Δθ²_t) − 1/Δθ²_{t−1}) / (1 + ρΔθ²_t).
    """
    prev2 = state["acc2"]
    acc1 = rho * state["acc1"] + (1 - rho) * g
    acc2 = rho * prev2 + (1 - rho) * g**2
    radicand = 1.0 / (1.0 + acc2) - 1.0 / prev2
    theta = state["theta"] - lr * np.sqrt(radicand) / (1 + rho * acc2)
    return {
        "t": state["t"] + 1,
        "acc1": acc1,
        "acc2": acc2,
        "prev2": prev2,
        "radicand": radicand,
        "theta": theta,
    }


def zeiler_step(
    state: dict[str, Any], g: np.ndarray, lr: float, rho: float, eps: float
) -> dict[str, Any]:
    """Zeiler (2012), Algorithm 1, plain numpy: the corrected formula."""
    eg2 = rho * state["eg2"] + (1 - rho) * g**2
    delta = -np.sqrt(state["edx2"] + eps) / np.sqrt(eg2 + eps) * g
    edx2 = rho * state["edx2"] + (1 - rho) * delta**2
    return {"eg2": eg2, "edx2": edx2, "delta": delta, "theta": state["theta"] + lr * delta}


def _doc_f18_run(
    grad: Callable[[np.ndarray], np.ndarray],
    theta0: Any,
    steps: int,
    lr: float = 1.0,
    rho: float = 0.95,
    acc2_0: float = 0.0,
) -> tuple[list[dict[str, Any]], list[str]]:
    # numpy scalars, so that 1/0 gives inf (as the formula "runs") instead of a Python ZeroDivisionError
    state: dict[str, Any] = {
        "t": 0,
        "acc1": np.float64(0.0),
        "acc2": np.float64(acc2_0),
        "theta": np.array(theta0, dtype=np.float64),
    }
    run = []
    with fp_events() as events:
        for _ in range(steps):
            state = doc_f18_step(state, grad(state["theta"]), lr, rho)
            run.append(state)
    return run, events


@register(
    "F18",
    "001 §2.5.3, lines 503-533",
    "'Adadelta': Δθ_t, Δθ²_t averages of g, g² (ρ = 0.95); θ_t = θ_t − α√(1/(1+Δθ²_t) − 1/Δθ²_{t−1})/(1+ρΔθ²_t); 'no learning rate needed'",
    self_check=_machinery,
)
def check_f18(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 001 §2.5.3 (lines 503-533; the no-learning-rate claim also at lines 67, 1194).

    The printed update (α = 1, ρ = 0.95) is run on f(θ) = θ² and on random problems
    beside tinynet's Adadelta (Zeiler's algorithm), whose own formula is checked
    against a plain-numpy transcription of Zeiler's Algorithm 1.
    """

    # 1. θ² from θ0 = 1, step by step, beside tinynet Adadelta.
    run, events = _doc_f18_run(_square_grad, np.array([1.0]), 5)
    th_tn, traces = _run_tinynet(Adadelta, sq, np.array([1.0]), 5, lr=1.0, rho=0.95, eps=1e-6)
    ev.step(
        "θ² from θ0 = 1, α = 1, ρ = 0.95. Document (as printed) | tinynet Adadelta (Zeiler, ε = 1e-6):"
    )
    for s, tr in zip(run, traces):
        ev.step(
            f"t = {s['t']}: doc Δθ²_(t−1) = {fmt(s['prev2'], 4)}, Δθ²_t = {fmt(s['acc2'], 4)}, radicand = "
            f"{fmt(s['radicand'], 4)}, θ = {fmt(s['theta'], 4)} | tinynet g = {fmt(tr['g'], 4)}, E[g²] = {fmt(tr['Eg2'], 4)}, "
            f"Δx = {fmt(tr['delta'], 4)}, E[Δx²] = {fmt(tr['Edx2'], 4)}, θ = {fmt(tr['param'], 6)}"
        )
    first = run[0]
    ev.value(
        "step1", (float(first["prev2"]), float(first["radicand"][0]), float(first["theta"][0]))
    )
    th_500, _ = _run_tinynet(Adadelta, sq, np.array([1.0]), 500, lr=1.0, rho=0.95, eps=1e-6)
    ev.value("adadelta_500", float(th_500[0]))
    ev.line(
        f"θ² from θ0 = 1: step 1 divides by Δθ²_0 = {fmt(first['prev2'])}: radicand {fmt(first['radicand'])}, "
        f"θ1 = {fmt(first['theta'])} (numpy: {', '.join(events) or 'no events'}); tinynet Adadelta: θ = "
        f"{fmt(th_500, 3)} after 500 steps"
    )
    # 2. Patch step 1 (Δθ²_0 = 1e-8): how often is the radicand >= 0 afterwards?
    frac = {}
    for s in (0.1, 1.0, 3.0, 10.0):
        g = ev.rng(10 + int(s * 10)).normal(scale=s, size=2000)
        acc2, ok = 1e-8, 0
        for gi in g:
            new = 0.95 * acc2 + 0.05 * gi * gi
            ok += (1.0 / (1.0 + new) - 1.0 / acc2) >= 0
            acc2 = new
        frac[s] = ok / g.size
    ev.value("radicand_nonneg_fraction", frac)
    ev.line(
        "with step 1 patched (Δθ²_0 = 1e-8), fraction of steps with radicand >= 0 for N(0, s²) gradients: "
        + ", ".join(f"s = {fmt(k)}: {fmt(v, 3)}" for k, v in frac.items())
        + " (needs Δθ²_{t−1} >= 1 + Δθ²_t, i.e. mean g² > 1/(1−ρ) = 20)"
    )
    # 3. The update contains no gradient: +g and −g give the same step.
    plus, _ = _doc_f18_run(lambda th: np.array([1.0]), np.array([0.0]), 1, acc2_0=25.0)
    minus, _ = _doc_f18_run(lambda th: np.array([-1.0]), np.array([0.0]), 1, acc2_0=25.0)
    step_p, step_m = float(plus[0]["theta"][0]), float(minus[0]["theta"][0])
    ev.value("sign_steps", (step_p, step_m))
    ev.line(
        f"from Δθ²_(t−1) = 25: g = +1 gives Δθ = {fmt(step_p, 4)}, g = −1 gives Δθ = {fmt(step_m, 4)} -- identical, "
        f"so for g = −1 the step goes uphill (g·Δθ = {fmt(-1.0 * step_m, 3)} > 0): not a descent direction"
    )
    # 4. Random problems: the document's update vs tinynet Adadelta; Zeiler's formula vs tinynet.
    doc_nan, doc_nan_first = 0, 0
    fixed = Tally(
        f"Zeiler's Adadelta (plain numpy) vs tinynet Adadelta trace: E[g²], Δx, E[Δx²], θ, every step of {ev.draws} runs",
        unit="step",
    )
    descent = 0
    for _ in range(ev.draws):
        prob = LeastSquares(rng)
        rho, eps = float(rng.uniform(0.8, 0.99)), 10 ** float(rng.uniform(-8, -4))
        steps = int(rng.integers(1, 9))
        run_d, _ = _doc_f18_run(prob.grad, prob.theta0, steps, rho=rho)
        doc_nan += not np.all(np.isfinite(run_d[-1]["theta"]))
        doc_nan_first += not np.all(np.isfinite(run_d[0]["theta"]))
        th_tn, traces = _run_tinynet(
            Adadelta, prob.loss, prob.theta0, steps, lr=1.0, rho=rho, eps=eps
        )
        z = {"eg2": 0.0, "edx2": 0.0, "theta": prob.theta0.copy()}
        for tr in traces:
            z = zeiler_step(z, tr["g"], 1.0, rho, eps)
            fixed.add(
                flat([z["eg2"], z["delta"], z["edx2"], z["theta"]]),
                flat([tr["Eg2"], tr["delta"], tr["Edx2"], tr["param"]]),
            )
        descent += float(traces[0]["g"] @ traces[0]["delta"]) < 0
    s_fix = ev.tally(fixed)
    ev.line(
        f"{ev.draws} random problems: the document's update is NaN after step 1 in {doc_nan_first} and at the end in "
        f"{doc_nan}; tinynet Adadelta's first step is a descent direction (g·Δx < 0) in {descent}"
    )
    ev.step(
        "Δθ_t (a running mean of g) is never used; Δθ²_t is E[g²] although named like the squared-update accumulator."
    )
    ev.step(
        "The update multiplies by a learning rate α, contradicting 'Adadelta needs no hand-chosen learning rate' (true of Zeiler's algorithm)."
    )
    ev.summary(
        f"step 1: 1/Δθ²_0 = 1/0 → radicand {fmt(float(first['radicand'][0]))} → θ1 = NaN (in {doc_nan_first}/{ev.draws} random problems); "
        f"later radicand >= 0 in {100 * frac[1.0]:.0f}% of steps for g ~ N(0,1); same step for g = ±1; "
        f"tinynet Adadelta = Zeiler (err {fixed.worst:.1g}), θ² → {fmt(float(th_500[0]), 2)} in 500 steps"
    )
    if s_fix != "agree" or descent != ev.draws:
        raise AuditError(
            "tinynet Adadelta disagrees with Zeiler's algorithm, or its step is not a descent direction"
        )
    doc_works = doc_nan == 0 and not math.isclose(step_p, step_m)
    if doc_works:
        return holds()
    return wrong(
        "Zeiler (2012): E[g²]_t = ρE[g²]_{t−1} + (1−ρ)g_t², Δθ_t = −(√(E[Δθ²]_{t−1} + ε)/√(E[g²]_t + ε)) g_t, "
        "E[Δθ²]_t = ρE[Δθ²]_{t−1} + (1−ρ)Δθ_t², θ_{t+1} = θ_t + Δθ_t (no learning rate)"
    )
