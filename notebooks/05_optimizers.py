# %% [markdown]
# # 05 · Optimizers on 2-D surfaces, and Adam and Adadelta step by step
#
# **One idea:** an optimizer is a rule that turns the history of gradients into a step.
# On a 2-D surface we can *see* the rule: plain SGD zig-zags in narrow valleys,
# momentum smooths the zig-zag, Adam rescales each coordinate, Adadelta rescales
# without a learning rate.
#
# Then Adam's and Adadelta's update rules number by number, with the traces tinynet's
# optimizers record. Two marked asides check worked examples and formulas of the source
# documents against them ([E3, F17, F18](../docs/sources.md#f17)).

# %% [markdown]
# > **About the source documents.** This course began from four Chinese blog articles whose
# > mathematics tinynet implements. Where one of them gets something wrong, this notebook says
# > so in a marked **aside**, off the main thread. An aside's item numbers (F1–F18, E1–E5)
# > and sections ("seed 001 §4.3") are explained in [docs/sources.md](../docs/sources.md), the
# > corrections in [docs/errata.md](../docs/errata.md); `tinynet audit` checks them all.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinynet as tn

np.set_printoptions(precision=4, suppress=True)
plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (6, 4), "axes.grid": True, "grid.alpha": 0.3})
print("tinynet", tn.__version__, "| backend:", tn.backend_name())


# %% [markdown]
# ## 1. Trajectories
#
# Two classic test surfaces, optimised from the same start with tinynet's optimizers
# (`tinynet.optim`; the update rules are [F14](../docs/sources.md#f14) for SGD and [F16](../docs/sources.md#f16) for Adam):
#
# * an ill-conditioned quadratic $f(x, y) = \tfrac12(x^2 + 25y^2)$ (Hessian eigenvalues
#   1 and 25, so SGD is stable only for lr < 2/25 = 0.08, see notebook 06);
# * Rosenbrock's banana $f(x, y) = (1-x)^2 + 100(y-x^2)^2$, minimum at $(1, 1)$ at the
#   end of a long curved valley.

# %%
def quadratic(p):
    return 0.5 * (p[0] ** 2 + 25 * p[1] ** 2)


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def run(f, start, make_opt, steps):
    """Minimise f from start; returns the path (steps+1, 2) and the values."""
    p = tn.Parameter(np.array(start, dtype=np.float64))
    opt = make_opt([p])
    path, values = [p.numpy().copy()], []
    for _ in range(steps):
        loss = f(p)
        opt.zero_grad(); loss.backward(); opt.step()
        path.append(p.numpy().copy()); values.append(loss.item())
    return np.array(path), np.array(values)


optimizers = {
    "quadratic": {
        "SGD lr=0.07": lambda ps: tn.optim.SGD(ps, lr=0.07),
        "SGD+momentum 0.9, lr=0.02": lambda ps: tn.optim.SGD(ps, lr=0.02, momentum=0.9),
        "Adam lr=0.3": lambda ps: tn.optim.Adam(ps, lr=0.3),
        "Adadelta (lr=1, eps=1e-4)": lambda ps: tn.optim.Adadelta(ps, lr=1.0, eps=1e-4),
    },
    "rosenbrock": {
        "SGD lr=1e-3": lambda ps: tn.optim.SGD(ps, lr=1e-3),
        "SGD+momentum 0.9, lr=2e-4": lambda ps: tn.optim.SGD(ps, lr=2e-4, momentum=0.9),
        "Adam lr=0.05": lambda ps: tn.optim.Adam(ps, lr=0.05),
        "Adadelta (lr=1, eps=1e-4)": lambda ps: tn.optim.Adadelta(ps, lr=1.0, eps=1e-4),
    },
}
surfaces = {
    "quadratic": (quadratic, (-4.5, 1.4), 100, (-5, 5), (-2, 2)),
    "rosenbrock": (rosenbrock, (-1.5, 2.0), 2000, (-2, 2), (-1, 3)),
}
results = {
    name: {label: run(f, start, make, steps) for label, make in optimizers[name].items()}
    for name, (f, start, steps, _, _) in surfaces.items()
}

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
for row, (name, (_, start, steps, xl, yl)) in enumerate(surfaces.items()):
    X, Y = np.meshgrid(np.linspace(*xl, 300), np.linspace(*yl, 300))
    Z = 0.5 * (X**2 + 25 * Y**2) if name == "quadratic" else (1 - X) ** 2 + 100 * (Y - X**2) ** 2
    ax = axes[row, 0]
    ax.contour(X, Y, Z, levels=np.geomspace(max(Z.min(), 1e-2), Z.max(), 18), cmap="Greys", linewidths=0.6)
    for k, (label, (path, _)) in enumerate(results[name].items()):
        ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=1, label=label, alpha=0.8, zorder=4 - k)
    ax.plot(*start, "ko"); ax.plot(*((0, 0) if name == "quadratic" else (1, 1)), "r*", ms=12)
    ax.set_xlim(*xl); ax.set_ylim(*yl); ax.set_title(f"{name}: paths ({steps} steps)"); ax.legend(fontsize=7)
    ax = axes[row, 1]
    for label, (_, values) in results[name].items():
        ax.semilogy(np.maximum(values, 1e-16), label=label)
    ax.set_xlabel("step"); ax.set_ylabel("f"); ax.set_title(f"{name}: value"); ax.legend(fontsize=7)
plt.tight_layout(); plt.show()
for name in results:
    print(name + ":", "; ".join(f"{label}: f = {v[-1]:.2g}" for label, (_, v) in results[name].items()))

# %% [markdown]
# What to see: on the quadratic, SGD at lr = 0.07 (just under the bound 0.08) bounces
# across the narrow $y$ direction; momentum damps the bouncing but overshoots;
# Adam's first steps have size ≈ lr in *each* coordinate (it divides by
# $\sqrt{\hat v}$), so it heads diagonally; Adadelta needs no learning rate but starts
# with tiny steps ($\approx\sqrt{\epsilon}$) and accelerates. On Rosenbrock, SGD (hidden
# under the other paths) crawls along the valley floor, Adam follows the valley to the
# minimum, and Adadelta ends up bouncing across the valley near $(0.25, 0)$: with no
# learning rate to choose there is also none to lower. No optimizer wins everywhere.
#
# ## 2. Aside — the source documents: one Adam step of the worked example E3
#
# > This section checks a worked example of the source documents ([E3](../docs/sources.md#e3),
# > seed 003 §4.4; [errata E3](../docs/errata.md#e3)) against `tinynet.optim.Adam`. What it
# > teaches on the way: how to get a gradient through a sigmoid, what each of Adam's
# > quantities is after one step, and that a first Adam step is never larger than the
# > learning rate.
#
# The document: true label $y = [1, 0]$, prediction $\hat y = [0.8, 0.2]$,
# $\mathrm{CE} = -\log 0.8 \approx 0.223$. Then it computes the gradient as
# $(\hat y_1 - y_1)\,\sigma'(z_1) = -0.2 \cdot 0.1 = -0.02$ and one Adam step with
# $\beta_1 = 0.9$, $\beta_2 = 0.99$, $\alpha = 0.001$, $\epsilon = 10^{-4}$, $w_{old} = 0.1$,
# claiming $m_1 = -0.002$, $v_1 = 0.0002$, $\hat m_1 = 0.02$, $\hat v_1 = 0.002$,
# $w_{new} \approx 0.098$.
#
# First the gradient. With $\hat y_1 = \sigma(z_1) = 0.8$ the derivative is
# $\sigma'(z_1) = 0.8 \cdot 0.2 = 0.16$, not 0.1. And for cross-entropy the factor in
# front is $\partial\mathrm{CE}/\partial\hat y_1 = -1/0.8$, not $(\hat y_1 - y_1)$
# (that is the MSE factor). Autograd, both ways (sigmoid, and softmax over two logits):

# %% tags=["deterministic"]
from tinynet.nn import functional as F

z1 = tn.tensor(np.log(0.8 / 0.2), dtype="float64", requires_grad=True)   # sigmoid(z1) = 0.8
yhat1 = z1.sigmoid()
ce = -yhat1.log()                                                       # CE = -y1 log yhat1 with y1 = 1
ce.backward()
print(f"CE = {ce.item():.4f},  sigma'(z1) = {0.8 * 0.2:.2f},  dCE/dz1 = {float(z1.grad):.4f}")

logits = tn.tensor(np.array([[np.log(4.0), 0.0]]), requires_grad=True)    # softmax = [0.8, 0.2]
F.cross_entropy(logits, np.array([0])).backward()
print("softmax version: dCE/dz =", np.round(tn.to_numpy(logits.grad)[0], 4), "= yhat - y")


# %% [markdown]
# So the gradient is $-0.2$, not $-0.02$. Now the Adam step, run by `tinynet.optim.Adam`
# with `trace=True`, which records every intermediate quantity. To check the
# document's arithmetic separately from its gradient, we feed it the document's
# $g = -0.02$ first:

# %% tags=["deterministic"]
def one_adam_step(g, w0=0.1):
    w = tn.Parameter(np.array(w0))
    opt = tn.optim.Adam([w], lr=0.001, betas=(0.9, 0.99), eps=1e-4, trace=True)
    w.grad = tn.tensor(np.array(g)).data      # the gradient, given instead of computed
    opt.step()
    return {k: float(v) for k, v in opt.last_trace[0].items()}


claimed = {"g": -0.02, "m": -0.002, "v": 0.0002, "m_hat": 0.02, "v_hat": 0.002, "param": 0.098}
doc_g = one_adam_step(-0.02)
right_g = one_adam_step(-0.2)
print(f"{'quantity':8s} | {'document':>9s} | {'Adam, g = -0.02':>15s} | {'Adam, g = -0.2':>14s}")
for key, label in (("g", "g"), ("m", "m1"), ("v", "v1"), ("m_hat", "m1_hat"), ("v_hat", "v1_hat"), ("param", "w_new")):
    print(f"{label:8s} | {claimed[key]:9.4g} | {doc_g[key]:15.6g} | {right_g[key]:14.7g}")

# %% [markdown]
# Only $m_1$ survives. $v_1 = (1-\beta_2)\,g^2 = 0.01 \cdot 0.0004 = 4\times10^{-6}$
# (not 0.0002); $\hat m_1$ keeps the sign of $g$ (negative); $\hat v_1 = v_1/(1-\beta_2) =
# 4\times10^{-4}$; and the step is $\alpha\,\hat m_1/(\sqrt{\hat v_1}+\epsilon) =
# 0.001 \cdot (-0.02)/(0.02 + 0.0001)$, so $w$ **increases** to 0.100995 — a negative
# gradient means "increase $w$". The claimed 0.098 is impossible for a first Adam step
# whatever the gradient: with bias correction the first step is $\alpha\, g/(|g| + \epsilon)$,
# at most $\alpha = 0.001$ in size (F16):

# %% tags=["deterministic"]
for g in (1e-3, -0.02, -0.2, 5.0, -1e3):
    step = one_adam_step(g)["update"]
    print(f"g = {g:8g}: first Adam step (amount subtracted) = {step:+.6f}")


# %% [markdown]
# (Seed 004 §4.1 prints yet another "Adam", [F17](../docs/sources.md#f17), whose second accumulator averages the
# unsquared $g - m_t$; it is negative after any negative first gradient, and
# $\sqrt{v}$ is NaN — see `tinynet audit --item F17` and the docstring of
# `tinynet.optim.Adam`.)
#
# ## 3. Aside — the source documents: an "Adadelta" that cannot run (F18)
#
# > This section runs the update rule printed in seed 001 §2.5.3
# > ([F18](../docs/sources.md#f18), [errata F18](../docs/errata.md#f18)) to show how a
# > formula fails in floating point, and ends with Zeiler's actual Adadelta, which is what
# > `tinynet.optim.Adadelta` implements.
#
# The document defines, with $\rho = 0.95$,
# $$\Delta\theta_t = \rho\Delta\theta_{t-1} + (1-\rho)g,\qquad
# \Delta\theta^2_t = \rho\Delta\theta^2_{t-1} + (1-\rho)g^2,$$
# $$\theta_t = \theta_t - \alpha\,\frac{\sqrt{\frac{1}{1+\Delta\theta^2_t} - \frac{1}{\Delta\theta^2_{t-1}}}}{1 + \rho\,\Delta\theta^2_t},$$
# and says Adadelta needs no hand-chosen learning rate. Let us run it literally on
# $f(\theta) = \theta^2$ from $\theta_0 = 1$, with numpy set to *raise* on a floating-point
# error so that we see where it breaks:

# %%
def document_adadelta(theta, grad_fn, steps, rho=0.95, alpha=1.0, first_sq=0.0):
    acc, sq = np.float64(0.0), np.float64(first_sq)   # numpy floats: IEEE inf/nan, not ZeroDivisionError
    rows = []
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        acc = rho * acc + (1 - rho) * g          # Delta theta_t (never used again)
        prev_sq, sq = sq, rho * sq + (1 - rho) * g**2
        radicand = 1 / (1 + sq) - 1 / prev_sq
        theta = theta - alpha * np.sqrt(radicand) / (1 + rho * sq)
        rows.append((t, g, radicand, theta))
    return rows


def grad(th):
    return 2 * th


try:
    with np.errstate(all="raise"):
        document_adadelta(np.float64(1.0), grad, 3)
except FloatingPointError as exc:
    print("step 1: FloatingPointError:", exc, "  (1 / Delta theta^2_0 with Delta theta^2_0 = 0)")

# %% tags=["deterministic"]
with np.errstate(all="ignore"):
    for t, g, radicand, theta in document_adadelta(np.float64(1.0), grad, 3):
        print(f"step {t}: g = {g}, radicand = {radicand}, theta = {theta}")

# %% [markdown]
# Step 1 divides by $\Delta\theta^2_0 = 0$; the radicand is $-\infty$ and $\theta$ becomes
# NaN, which then poisons everything. Suppose we patch step 1 (start the accumulator at
# a tiny positive number). The radicand $\frac1{1+\Delta\theta^2_t} - \frac1{\Delta\theta^2_{t-1}}$
# is still negative unless $\Delta\theta^2_{t-1} \ge 1 + \Delta\theta^2_t$, which needs a
# mean squared gradient of at least $1/(1-\rho) = 20$. For gradients of ordinary size it
# is negative (NaN) at every step:

# %% tags=["deterministic"]
rng = np.random.default_rng(0)
rho = 0.95
for s in (0.1, 1.0, 3.0, 10.0):
    sq, positive = 1e-8, 0
    gs = s * rng.standard_normal(2000)
    for g in gs:
        prev, sq = sq, rho * sq + (1 - rho) * g * g
        positive += (1 / (1 + sq) - 1 / prev) >= 0
    print(f"gradient std {s:5}: radicand >= 0 at {100 * positive / len(gs):5.1f}% of steps")

# %% [markdown]
# Two more defects: where it is defined, the update contains $g^2$ but not $g$, so it
# moves $\theta$ *down* whatever the sign of the slope (an ascent step half of the time);
# and it multiplies by a learning rate $\alpha$, contradicting the "no learning rate"
# claim. Zeiler's actual Adadelta (2012), which `tinynet.optim.Adadelta` implements,
# keeps a second running average — of the squared *updates* — and steps by
# $-\frac{\mathrm{RMS}[\Delta\theta]_{t-1}}{\mathrm{RMS}[g]_t}\,g_t$. It runs, with no
# learning rate to tune (lr = 1 is Zeiler's algorithm), and its trace shows the two
# accumulators:

# %%
theta = tn.Parameter(np.array([1.0]))
opt = tn.optim.Adadelta([theta], lr=1.0, rho=0.95, eps=1e-6, trace=True)
history = []
for step in range(1, 601):
    loss = (theta**2).sum()
    opt.zero_grad(); loss.backward(); opt.step()
    tr = opt.last_trace[0]
    history.append((step, float(tr["g"][0]), float(tr["Eg2"][0]), float(tr["Edx2"][0]), float(tr["delta"][0]), float(tr["param"][0])))
print(" step |     g      |   E[g^2]   |  E[dx^2]   |   delta    |   theta")
for row in history[:3] + history[199:200] + history[399:400] + history[-1:]:
    print(" {:4d} | {:10.3e} | {:10.3e} | {:10.3e} | {:10.3e} | {:10.3e}".format(*row))

fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.semilogy([abs(r[5]) for r in history]); ax.set_xlabel("step"); ax.set_ylabel("|theta|")
ax.set_title("Zeiler's Adadelta on theta^2, no learning rate chosen"); plt.show()

# %% [markdown]
# ## Summary
#
# * SGD's step is lr × gradient: stable only below 2/λ_max, slow along flat directions.
#   Momentum accumulates a velocity; Adam divides by a per-coordinate RMS; Adadelta
#   also replaces the learning rate by an RMS of past updates.
# * E3 (seed 003 §4.4): the gradient is −0.2 (σ′ = 0.16, not 0.1), and one Adam step
#   gives w = 0.100995 with the document's gradient (0.1009995 with the right one),
#   not 0.098: a first Adam step is never larger than lr.
# * F18 (seed 001 §2.5.3) divides by zero at step 1 and takes square roots of negative
#   numbers afterwards; use Zeiler's algorithm (`tinynet.optim.Adadelta`).


# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer, a cell tagged `check` that tests it, and a
# collapsed solution (click the bar on its left to open it) that passes the same test. The
# tests compare your derivatives with finite differences (on inputs drawn by `tinynet.testing`, or `tn.gradcheck`), so they accept any correct
# answer, not just one formula. Instructors: the pattern (answer cell, `check` cell,
# hidden `solution` cell) is all it takes to add an exercise.

# %%
from tinynet.testing import run_check  # prints "correct" or "not done yet"

# %% [markdown]
# ### Exercise 1 — the gradient of Rosenbrock's function
#
# Write the gradient of $f(x, y) = (1-x)^2 + 100(y-x^2)^2$ by hand. The test compares it
# with tinynet's autograd at points drawn by `tinynet.testing`.

# %%
def rosenbrock_grad(x, y):
    raise NotImplementedError("return (df/dx, df/dy)")


# %% tags=["check", "deterministic"]
from hypothesis import given, settings

from tinynet.testing import float64_arrays


def check_exercise_1(grad):
    @settings(max_examples=50, deadline=None, database=None, derandomize=True)
    @given(float64_arrays((2,)))
    def test(p):
        q = tn.Parameter(p.copy())
        rosenbrock(q).backward()
        mine = np.array(grad(p[0], p[1]), dtype=float)
        assert np.allclose(mine, q.grad.numpy(), rtol=1e-10, atol=1e-10), f"at {p}: yours {mine}, autograd {q.grad}"

    run_check("Exercise 1", test)


check_exercise_1(rosenbrock_grad)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
def rosenbrock_grad_solution(x, y):
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


check_exercise_1(rosenbrock_grad_solution)


# %% [markdown]
# ### Exercise 2 — the gradient of a quadratic form
#
# The quadratic surfaces above are $f(p) = \tfrac12\,p^\top A\,p$. Write the backward of
# this function for any square matrix $A$, *not necessarily symmetric* (a classic slip is
# to answer $Ap$). Its Hessian, which sets SGD's stability bound, is the derivative of your
# answer.

# %%
class QuadraticForm(tn.Function):
    def forward(self, p, A):
        self.p, self.A = p, A
        return 0.5 * p @ A @ p

    def backward(self, grad):
        raise NotImplementedError("return (df/dp, None)  # A is a constant here")


# %% tags=["check", "deterministic"]
from tinynet.testing import float64_tensors


def check_exercise_2(op):
    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(float64_tensors((3,)), float64_arrays((3, 3)))
    def test(p, A):
        tn.gradcheck(lambda t: op.apply(t, tn.tensor(A)), p)

    run_check("Exercise 2", test)


check_exercise_2(QuadraticForm)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
class QuadraticFormSolution(QuadraticForm):
    def backward(self, grad):
        return grad * 0.5 * (self.A + self.A.T) @ self.p, None


check_exercise_2(QuadraticFormSolution)
