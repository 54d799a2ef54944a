# %% [markdown]
# # 06 · Linear regression, and the largest stable learning rate
#
# **One idea:** gradient descent on a quadratic loss is stable only if the learning
# rate is below $2/\lambda_{\max}$, where $\lambda_{\max}$ is the largest eigenvalue of
# the loss's Hessian. We see it on a small linear regression.
#
# **The example.** `x = linspace(0, 10, 100)`, `y = 3x + 2 + N(0, 1)`, start from
# `w = b = 0`, minimise the mean squared error (the mean, without ½) by full-batch gradient
# descent for 1000 epochs. With learning rate 0.1 it diverges; below $2/\lambda_{\max}$ it
# converges.
#
# > **Aside — the source documents ([E2](../docs/sources.md#e2), seed 001 §5.2–5.4).** This
# > is the documents' TensorFlow example (Keras' `MeanSquaredError`, `SGD(learning_rate=0.1)`).
# > The document prints a final loss of 0.0002 with W ≈ 2.99, B ≈ 2.00 (and a second,
# > different log in its duplicate copy). Section 1 shows what that code actually does,
# > section 5 what the loss can reach; see [errata E2](../docs/errata.md#e2).

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

# %%
x_np, y_np = tn.datasets.make_linear_regression(n=100, slope=3.0, intercept=2.0, noise=1.0, seed=0)
print("x:", x_np[:3], "...", x_np[-1], "| y:", np.round(y_np[:3], 3), "...")

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(x_np, y_np, ".", label="data")
ax.plot(x_np, 3 * x_np + 2, "k--", label="y = 3x + 2")
ax.set_xlabel("x"); ax.set_ylabel("y"); ax.legend(); plt.show()


# %% [markdown]
# ## 1. Learning rate 0.1
#
# A plain tinynet training loop: forward, MSE, backward, update. (TensorFlow's
# default dtype is float32, so we use float32 too.)

# %%
def fit(lr, epochs=1000, dtype="float32", x=x_np, y=y_np):
    """Full-batch gradient descent on MSE = mean((w x + b - y)^2); returns the history."""
    X = tn.tensor(x, dtype=dtype)
    Y = tn.tensor(y, dtype=dtype)
    w = tn.tensor(0.0, dtype=dtype, requires_grad=True)
    b = tn.tensor(0.0, dtype=dtype, requires_grad=True)
    history = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            loss = ((w * X + b - Y) ** 2).mean()
            w.zero_grad(); b.zero_grad()
            loss.backward()
            with tn.no_grad():  # the update itself is not part of the graph
                w -= lr * w.grad
                b -= lr * b.grad
            history.append((loss.item(), w.item(), b.item()))
    return np.array(history)


h = fit(0.1)
for epoch in (1, 2, 3, 5, 10, 20):
    loss, w_, b_ = h[epoch - 1]
    print(f"epoch {epoch:3d}: loss {loss:12.4g}   w after the step {w_:12.4g}   b {b_:12.4g}")
first_bad = int(np.argmax(~np.isfinite(h[:, 0]))) + 1
print(f"first non-finite loss (float32): epoch {first_bad}; final: {h[-1]}")

# %% [markdown]
# The loss is about 370 at the start (with $w=b=0$ it is the mean of $y^2$, about 366 on
# average over noise draws), and then it **grows by a factor of about 34 per epoch**
# until float32 overflows. The first update *increases* $w$ to about 22, since
# $\partial L/\partial w = -2\,\mathrm{mean}(xy) < 0$ at the start.
#
# > **Aside — the source documents ([E2](../docs/sources.md#e2)).** The documents' logs
# > start at 42.9 or 14.6, and the second one shows a negative W after epoch 1: neither
# > can come from this code.

# %% [markdown]
# ## 2. Why: the Hessian and the bound $2/\lambda_{\max}$
#
# $L(w, b) = \frac1n\sum_i (w x_i + b - y_i)^2$ is a quadratic, so near any point
# (in fact everywhere) $L(\theta) = L(\theta^*) + \tfrac12(\theta-\theta^*)^\top H(\theta-\theta^*)$
# with the constant Hessian
# $$H = \frac2n\sum_i\begin{pmatrix}x_i^2 & x_i\\ x_i & 1\end{pmatrix}.$$
# One gradient step maps the error $e = \theta - \theta^*$ to $(I - \alpha H)\,e$.
# Along the eigenvector with eigenvalue $\lambda$ the error is multiplied by
# $1 - \alpha\lambda$: it shrinks iff $|1-\alpha\lambda| < 1$, i.e.
# $0 < \alpha < 2/\lambda$. All directions must shrink, so $\alpha < 2/\lambda_{\max}$.
#
# $H$ depends only on $x$, not on the noise — so the verdict does not depend on the
# random draw. We compute $H$ from the formula, and check it with tinynet:
# `tn.hessian` differentiates the autograd gradient a second time (double backward,
# see notebook 09), with $\theta = (w, b)$ as one tensor.

# %% tags=["deterministic"]
n = len(x_np)
H = 2 / n * np.array([[np.sum(x_np**2), np.sum(x_np)], [np.sum(x_np), n]])


def loss_of(theta):
    """The MSE as a function of theta = (w, b)."""
    return ((theta[0] * x_np + theta[1] - y_np) ** 2).mean()


H_autograd = tn.hessian(loss_of, tn.tensor([0.0, 0.0], dtype="float64")).numpy()
lam = np.linalg.eigvalsh(H)
print("H =\n", np.round(H, 3))
print("H by autograd (tn.hessian) equals the formula:", np.allclose(H_autograd, H, rtol=1e-12))
print(f"eigenvalues: {lam[0]:.4f}, {lam[1]:.4f}   condition number {lam[1] / lam[0]:.0f}")
print(f"stability bound 2/lambda_max = {2 / lam[1]:.4f};  best constant rate 2/(lmin+lmax) = {2 / lam.sum():.4f}")
print(f"at lr = 0.1 the error grows by |1 - 0.1*lambda_max| = {abs(1 - 0.1 * lam[1]):.2f} per epoch "
      f"(the loss by its square, {abs(1 - 0.1 * lam[1])**2:.0f})")

# %% [markdown]
# The growth factor matches the run above. A picture of the factor $|1-\alpha\lambda|$
# for both eigen-directions shows the whole story: the steep direction ($\lambda_{\max}$)
# limits the learning rate, and the flat direction ($\lambda_{\min}$) then converges slowly:

# %%
lrs = np.linspace(0, 0.105, 400)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(lrs, np.abs(1 - lrs * lam[1]), label=f"steep direction, lambda = {lam[1]:.1f}")
ax.plot(lrs, np.abs(1 - lrs * lam[0]), label=f"flat direction, lambda = {lam[0]:.2f}")
ax.axhline(1, color="k", lw=0.8)
ax.axvline(2 / lam[1], color="tab:red", ls="--", label=f"2/lambda_max = {2 / lam[1]:.4f}")
ax.axvline(0.1, color="0.5", ls=":", label="documents' lr = 0.1")
ax.set_ylim(0, 3); ax.set_xlabel("learning rate"); ax.set_ylabel("error factor per step")
ax.legend(fontsize=8); plt.show()

# %% [markdown]
# ## 3. Runs at several learning rates
#
# Below the bound, the runs converge; just above it (0.03) they diverge, only more
# slowly than at 0.1. We use float64 here so that the diverging curves can climb for
# longer before overflowing.

# %%
runs = {lr: fit(lr, epochs=1000, dtype="float64") for lr in (0.1, 0.03, 0.029, 0.02, 0.01, 0.001)}
fig, ax = plt.subplots(figsize=(6.5, 4))
for lr, h in runs.items():
    shown = np.where(h[:, 0] < 1e13, h[:, 0], np.nan)  # cut off the overflowing part
    ax.semilogy(np.arange(1, len(h) + 1), shown, label=f"lr = {lr}")
ax.set_ylim(1e-1, 1e12); ax.set_xlabel("epoch"); ax.set_ylabel("MSE (log scale)")
ax.legend(fontsize=8, ncol=2); ax.set_title("full-batch GD on the example"); plt.show()
for lr, h in runs.items():
    loss, w_, b_ = h[-1]
    print(f"lr {lr:6}: final MSE {loss:10.4g}   w {w_:10.4g}   b {b_:10.4g}")

# %% [markdown]
# ## 4. The loss landscape and the paths
#
# The contours of $L(w, b)$ are long thin ellipses (condition number ≈ 140). Left: at
# lr = 0.02 the path zig-zags across the steep direction (factor $1 - 0.02\cdot68.5 = -0.37$
# per step) while it creeps along the flat one (factor 0.99). Right: at lr = 0.03, just
# above the bound, the zig-zag grows by 5.5% per step. (At lr = 0.1 the very first step
# lands at $w \approx 22$, far outside both pictures.)

# %%
w_ols, b_ols = np.polyfit(x_np, y_np, 1)
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, lr, steps, (wlim, blim) in (
    (axes[0], 0.02, 60, ((-0.5, 6.5), (-2, 6))),
    (axes[1], 0.03, 14, ((-5, 11), (-2, 6))),
):
    W, B = np.meshgrid(np.linspace(*wlim, 200), np.linspace(*blim, 200))
    Lgrid = ((W[..., None] * x_np + B[..., None] - y_np) ** 2).mean(axis=-1)
    ax.contour(W, B, Lgrid, levels=np.geomspace(Lgrid.min() * 1.05, Lgrid.max(), 12), cmap="viridis", linewidths=0.8)
    h = np.vstack([[np.nan, 0.0, 0.0], fit(lr, epochs=steps, dtype="float64")])
    ax.plot(h[:, 1], h[:, 2], "o-", color="tab:orange", ms=2.5, lw=0.8, label=f"GD, lr = {lr}, {steps} steps")
    ax.plot(0, 0, "ks", ms=6, label="start (0, 0)")
    ax.plot(w_ols, b_ols, "r*", ms=14, label="least squares")
    ax.set_xlim(*wlim); ax.set_ylim(*blim); ax.set_xlabel("w"); ax.set_ylabel("b")
    ax.legend(loc="upper right", fontsize=8)
axes[0].set_title("converges (lr < 2/lambda_max)"); axes[1].set_title("diverges (lr > 2/lambda_max)")
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 5. A run that converges, and what it converges to
#
# With lr = 0.02 (< 0.0292) and 1000 epochs, gradient descent reaches
# the least-squares solution. With noise of standard deviation 1 the best possible MSE
# is about the noise variance, ≈ 1 (here somewhat less, by chance); the 0.0002 printed
# by the documents (E2) would require noise with standard deviation about 0.014. The fitted W and B are close to 3 and 2 only within their standard
# errors (≈ 0.03 for W and ≈ 0.2 for B).

# %% tags=["deterministic"]
h = fit(0.02, epochs=1000, dtype="float32")
loss, w_fit, b_fit = h[-1]
mse_ols = np.mean((w_ols * x_np + b_ols - y_np) ** 2)
print(f"GD, lr 0.02, 1000 epochs : w = {w_fit:.3f}, b = {b_fit:.3f}, MSE = {loss:.4f}")
print(f"least squares (polyfit)  : w = {w_ols:.3f}, b = {b_ols:.3f}, MSE = {mse_ols:.4f}")
print(f"noise variance of this draw: {np.var(y_np - 3 * x_np - 2):.4f}")

# %% [markdown]
# **Another fix: rescale the input.** With $x$ standardised (mean 0, variance 1) the
# Hessian becomes $2I$, both eigenvalues are 2, the bound is $2/2 = 1$, and the
# documents' lr = 0.1 converges quickly. Standardising inputs is why the digits
# training recipe (`tinynet train`, notebook 07) is insensitive to the learning rate.

# %% tags=["deterministic"]
mu, sd = x_np.mean(), x_np.std()
h = fit(0.1, epochs=200, dtype="float32", x=(x_np - mu) / sd)
loss, w_s, b_s = h[-1]
print(f"standardised x, lr 0.1, 200 epochs: MSE = {loss:.4f}; "
      f"back in original units w = {w_s / sd:.3f}, b = {b_s - w_s * mu / sd:.3f}")

# %% [markdown]
# ## Summary
#
# * On a quadratic loss, gradient descent converges iff lr < 2/λ_max of the Hessian.
#   Here λ_max ≈ 68.5, so the bound is ≈ 0.029 and lr = 0.1 diverges (×5.85 per epoch
#   in the parameters, ×34 in the loss; float32 overflows within about 25 epochs).
# * The loss floor is the noise variance (≈ 1).
# * Fixes: lr ≤ 0.029, or standardise the input (then lr = 0.1 is fine).


# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer, a cell tagged `check` that tests it, and a
# collapsed solution (click the bar on its left to open it) that passes the same test. The
# tests compare your derivatives with finite differences (`tn.gradcheck`, on inputs drawn by `tinynet.testing`), so they accept any correct
# answer, not just one formula. Instructors: the pattern (answer cell, `check` cell,
# hidden `solution` cell) is all it takes to add an exercise.

# %%
from tinynet.testing import run_check  # prints "correct" or "not done yet"

# %% [markdown]
# ### Exercise 1 — the gradient of the regression loss
#
# For $L(w, b) = \frac1n\sum_i (w x_i + b - y_i)^2$ on the data above, write
# $\partial L/\partial w$ and $\partial L/\partial b$. (Section 2's Hessian is the
# derivative of your answer.)

# %%
def mse_grad(w, b, x, y):
    raise NotImplementedError("return (dL/dw, dL/db)")


# %% tags=["check", "deterministic"]
from hypothesis import given, settings

from tinynet.testing import float64_tensors


def check_exercise_1(mse_grad):
    # the data as backend arrays (an explicit copy to the GPU under cupy), like w and b
    x_data, y_data = tn.tensor(x_np, dtype="float64").data, tn.tensor(y_np, dtype="float64").data

    class MSE(tn.Function):
        def forward(self, w, b):
            self.w, self.b = w, b
            return np.mean((w * x_data + b - y_data) ** 2)

        def backward(self, grad):
            dw, db = mse_grad(self.w, self.b, x_data, y_data)
            return grad * dw, grad * db

    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(float64_tensors(()), float64_tensors(()))
    def test(w, b):
        tn.gradcheck(lambda w, b: MSE.apply(w, b), w, b)

    run_check("Exercise 1", test)


check_exercise_1(mse_grad)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
def mse_grad_solution(w, b, x, y):
    r = w * x + b - y
    return 2 * np.mean(r * x), 2 * np.mean(r)


check_exercise_1(mse_grad_solution)


# %% [markdown]
# ### Exercise 2 — ridge regression
#
# With several features, $L(\mathbf w) = \frac1n\lVert X\mathbf w - \mathbf y\rVert^2 + \lambda\lVert\mathbf w\rVert^2$.
# Write its gradient with respect to $\mathbf w$ (a vector). The penalty adds $2\lambda$ to
# every eigenvalue of the Hessian, which changes the stable learning rate too.

# %%
def ridge_grad(w, X, y, lam):
    raise NotImplementedError("return dL/dw")


# %% tags=["check", "deterministic"]
def check_exercise_2(ridge_grad):
    rng = np.random.default_rng(0)
    X, y, lam = rng.standard_normal((20, 3)), rng.standard_normal(20), 0.3
    X, y = tn.tensor(X, dtype="float64").data, tn.tensor(y, dtype="float64").data  # to the backend

    class Ridge(tn.Function):
        def forward(self, w):
            self.w = w
            return np.mean((X @ w - y) ** 2) + lam * np.sum(w * w)

        def backward(self, grad):
            return (grad * ridge_grad(self.w, X, y, lam),)

    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(float64_tensors((3,)))
    def test(w):
        tn.gradcheck(lambda w: Ridge.apply(w), w)

    run_check("Exercise 2", test)


check_exercise_2(ridge_grad)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
def ridge_grad_solution(w, X, y, lam):
    return 2 / len(y) * X.T @ (X @ w - y) + 2 * lam * w


check_exercise_2(ridge_grad_solution)
