# %% [markdown]
# # 09 · Higher-order derivatives
#
# **One idea:** a gradient computed by autograd can itself be a node of a graph, and then
# it can be differentiated again. `tn.grad(y, x, create_graph=True)` returns
# $\partial y/\partial x$ as a tensor *with* a graph (each operation's `backward_graph`
# builds it from tinynet operations), so calling `tn.grad` on it gives the second
# derivative, and so on to any order. Four classic uses:
#
# 1. **Newton's method**, which needs $f''$;
# 2. **the derivatives of a function drawn** by repeated differentiation;
# 3. **double backpropagation**: a loss that *contains* a gradient;
# 4. **Hessian-vector products** $Hv$, without ever forming $H$.
#
# The tools for instructors (`tinynet/gradcheck.py`): `tn.gradgradcheck` checks second
# derivatives against finite differences of the gradient, `tn.hvp` and `tn.hessian`
# compute $Hv$ and $H$.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinynet as tn

np.set_printoptions(precision=4, suppress=True)
plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (6, 4), "axes.grid": True, "grid.alpha": 0.3})
print("tinynet", tn.__version__, "| backend:", tn.backend_name())

# %% [markdown]
# ## 1. Newton's method with an automatic second derivative
#
# $f(x) = x^4 - 2x^2$ has minima at $x = \pm 1$. Newton's method for $f'(x) = 0$,
#
# $$x_{k+1} = x_k - \frac{f'(x_k)}{f''(x_k)},$$
#
# needs $f'' $. By hand, $f'(x) = 4x^3 - 4x$ and $f''(x) = 12x^2 - 4$, so at $x = 2$:
# $f'(2) = 24$, $f''(2) = 44$. Autograd gets both from the code of $f$ alone:

# %% tags=["deterministic"]
def f(x):
    return x**4 - 2 * x**2


x = tn.tensor(2.0, dtype="float64", requires_grad=True)
(g,) = tn.grad(f(x), x, create_graph=True)  # 4x^3 - 4x, a tensor with a graph
(h,) = tn.grad(g, x)                        # its derivative: 12x^2 - 4
print(f"f'(2) = {g.item():g}, f''(2) = {h.item():g}   (by hand: 24 and 44)")

# %% tags=["deterministic"]
def newton(x0, steps):
    xs = [x0]
    for _ in range(steps):
        x = tn.tensor(xs[-1], dtype="float64", requires_grad=True)
        (g,) = tn.grad(f(x), x, create_graph=True)
        (h,) = tn.grad(g, x)
        xs.append(xs[-1] - g.item() / h.item())
    return np.array(xs)


path = newton(2.0, 7)
for k, xk in enumerate(path):
    print(f"step {k}: x = {xk:.17g}   |x - 1| = {abs(xk - 1):.2g}")

# %% [markdown]
# Seven steps reach the minimum $x = 1$ to the last bit: near the solution the error is
# squared at every step (quadratic convergence: 0.025, 9e-4, 1.2e-6, 2.3e-12, 0).
# Each step jumps to the minimum of the parabola that matches $f$, $f'$ and $f''$ at
# $x_k$:

# %%
grid = np.linspace(-0.2, 2.2, 300)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(grid, grid**4 - 2 * grid**2, label="$f(x) = x^4 - 2x^2$")
for xk in path[:3]:
    fk, gk, hk = xk**4 - 2 * xk**2, 4 * xk**3 - 4 * xk, 12 * xk**2 - 4
    ax.plot(grid, fk + gk * (grid - xk) + hk / 2 * (grid - xk) ** 2, "--", lw=0.8)
ax.plot(path, path**4 - 2 * path**2, "ko", ms=4, label="Newton iterates")
ax.set_ylim(-1.5, 9); ax.set_xlabel("x"); ax.legend(); plt.show()

# %% [markdown]
# ## 2. Derivatives of sin and tanh by repeated differentiation
#
# For an elementwise $f$, the gradient of $\sum_i f(x_i)$ is the vector of the $f'(x_i)$,
# so `tn.grad(y.sum(), x, create_graph=True)` repeated $k$ times gives $f^{(k)}$ on a whole
# grid at once. The derivatives of $\sin$ cycle, $\sin^{(k)}(x) = \sin(x + k\pi/2)$; those
# of $\tanh = t$ are polynomials in $t$: $t' = 1 - t^2$, $t'' = -2t(1 - t^2)$,
# $t''' = (1 - t^2)(6t^2 - 2)$.

# %% tags=["deterministic"]
def derivatives(fn, grid, order):
    """[f, f', ..., f^(order)] on *grid*, each by differentiating the previous one."""
    x = tn.tensor(grid, dtype="float64", requires_grad=True)
    y = fn(x)
    result = [y.numpy()]
    for _ in range(order):
        (y,) = tn.grad(y.sum(), x, create_graph=True)
        result.append(y.numpy())
    return result


grid = np.linspace(-2 * np.pi, 2 * np.pi, 201)
sin_d = derivatives(lambda x: x.sin(), grid, 4)
tanh_d = derivatives(lambda x: x.tanh(), grid, 3)
t = np.tanh(grid)
tanh_by_hand = [t, 1 - t**2, -2 * t * (1 - t**2), (1 - t**2) * (6 * t**2 - 2)]
print("sin^(k) = sin(x + k pi/2) for k = 0..4:",
      all(np.allclose(d, np.sin(grid + k * np.pi / 2), atol=1e-12) for k, d in enumerate(sin_d)))
print("tanh derivatives equal the formulas:",
      all(np.allclose(d, e, atol=1e-12) for d, e in zip(tanh_d, tanh_by_hand)))

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for k, d in enumerate(sin_d):
    axes[0].plot(grid, d, label=["sin", "sin'", "sin''", "sin'''", "sin''''"][k], lw=2.5 if k in (0, 4) else 1)
axes[0].set_title("sin and its derivatives: sin'''' = sin"); axes[0].legend(fontsize=8)
for k, d in enumerate(tanh_d):
    axes[1].plot(grid, d, label=["tanh", "tanh'", "tanh''", "tanh'''"][k])
axes[1].set_xlim(-4, 4); axes[1].set_title("tanh and its derivatives"); axes[1].legend(fontsize=8)
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 3. Double backpropagation: a loss that contains a gradient
#
# Sometimes the gradient is part of the objective: a *gradient penalty* makes a model
# insensitive to small changes of its input by adding $\lambda\,\lVert\nabla_x m(x)\rVert^2$
# to the loss (Drucker & LeCun's "double backpropagation"; WGAN-GP's critic penalty).
# Training needs $\partial/\partial w$ of that term: a derivative of a derivative. With
# `create_graph=True` the penalty is an ordinary tensor in the graph:

# %% tags=["deterministic"]
rng = np.random.default_rng(0)
X = tn.tensor(rng.standard_normal((8, 2)), dtype="float64", requires_grad=True)
Y = tn.tensor(np.sin(X.numpy().sum(axis=1, keepdims=True)), dtype="float64")
W = tn.tensor(rng.standard_normal((2, 1)), dtype="float64", requires_grad=True)


def penalized_loss(W, lam=0.5):
    out = (X @ W).tanh()
    fit = ((out - Y) ** 2).mean()
    (dx,) = tn.grad(out.sum(), X, create_graph=True)  # d out_i / d x_i, one row per sample
    return fit + lam * (dx * dx).sum(axis=1).mean()


loss = penalized_loss(W)
(gW,) = tn.grad(loss, W)
print("loss", round(loss.item(), 6), "| dloss/dW", gW.numpy().ravel().round(6))
print("dloss/dW agrees with finite differences:", tn.gradcheck(penalized_loss, W))

# %% [markdown]
# `tn.gradcheck` differentiates the whole loss, the penalty included, by finite
# differences; it agrees, so the second derivatives of `matmul` and `tanh` inside the
# penalty are right. A few steps of gradient descent now trade fit against smoothness:

# %%
history = []
for _ in range(60):
    loss = penalized_loss(W)
    (gW,) = tn.grad(loss, W)
    with tn.no_grad():
        W -= 0.2 * gW
    history.append(loss.item())
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(history); ax.set_xlabel("step"); ax.set_ylabel("fit + penalty"); plt.show()

# %% [markdown]
# ## 4. A Hessian-vector product of a small MLP
#
# The Hessian of a loss with $n$ parameters has $n^2$ entries, but $Hv$ costs only two
# backward passes:
#
# $$Hv = \nabla_\theta\big(\nabla_\theta L(\theta)^\top v\big).$$
#
# `tn.hvp(f, inputs, v)` does exactly this (`create_graph=True`, then a second backward
# with $v$ as the adjoint). We check it against central differences of the gradient,
# $Hv \approx [\nabla L(\theta + \varepsilon v) - \nabla L(\theta - \varepsilon v)]/2\varepsilon$,
# for an MLP 3 → 4 → 1 with tanh on 16 points (the size of the difference depends on the
# machine's rounding, so this cell's output is not compared by the tests):

# %%
rng = np.random.default_rng(1)
Xm = tn.tensor(rng.standard_normal((16, 3)), dtype="float64")
Ym = tn.tensor(rng.standard_normal((16, 1)), dtype="float64")
param_shapes = [(3, 4), (4,), (4, 1), (1,)]
theta = [tn.tensor(0.5 * rng.standard_normal(s), dtype="float64") for s in param_shapes]
v = [tn.tensor(rng.standard_normal(s), dtype="float64") for s in param_shapes]


def mlp_loss(W1, b1, W2, b2):
    return (((Xm @ W1 + b1).tanh() @ W2 + b2 - Ym) ** 2).mean()


value, Hv = tn.hvp(mlp_loss, theta, v)


def gradient(params):
    ps = [tn.tensor(p, dtype="float64", requires_grad=True) for p in params]
    return [g.numpy() for g in tn.grad(mlp_loss(*ps), ps)]


eps = 1e-5
plus = gradient([p.numpy() + eps * d.numpy() for p, d in zip(theta, v)])
minus = gradient([p.numpy() - eps * d.numpy() for p, d in zip(theta, v)])
Hv_fd = [(a - b) / (2 * eps) for a, b in zip(plus, minus)]
rel = max(np.max(np.abs(h.numpy() - f)) / np.max(np.abs(f)) for h, f in zip(Hv, Hv_fd))
print(f"loss {value.item():.6f}; {sum(p.size for p in theta)} parameters")
print(f"Hv vs finite differences of the gradient: largest relative difference {rel:.0e}")
print("gradgradcheck of the MLP loss:", tn.gradgradcheck(mlp_loss, *[tn.tensor(p, requires_grad=True) for p in theta]))

# %% [markdown]
# For a few parameters the whole matrix is affordable: `tn.hessian(f, x)` builds it row by
# row ($n$ backward passes). Here the first layer's weights alone (12 parameters). A
# Hessian is symmetric ($\partial^2 L/\partial\theta_i\partial\theta_j$ does not depend
# on the order), which autograd reproduces up to rounding, and its eigenvalues tell the
# curvature in each direction (compare notebook 06, where the largest one bounds the
# learning rate). Some are negative: at this random starting point the loss curves down
# in some directions, so it is not convex there (a linear model's MSE always is).

# %% tags=["deterministic"]
H = tn.hessian(lambda W1: mlp_loss(W1, *theta[1:]), theta[0]).numpy().reshape(12, 12)
print("symmetric:", np.allclose(H, H.T, rtol=1e-12, atol=1e-14))
print("eigenvalues:", np.linalg.eigvalsh(H).round(4))

# %%
fig, ax = plt.subplots(figsize=(4.2, 3.5))
lim = np.abs(H).max()
im = ax.imshow(H, cmap="RdBu_r", vmin=-lim, vmax=lim)
ax.set_title("Hessian w.r.t. W1 (3x4, flattened)"); ax.grid(False)
fig.colorbar(im); plt.show()

# %% [markdown]
# ## Summary
#
# * `tn.grad(y, x, create_graph=True)` returns a gradient that is itself differentiable
#   (also `y.backward(create_graph=True)`, which makes `x.grad` differentiable).
# * Newton's method on $x^4 - 2x^2$ from $x = 2$: $f''(2) = 44$ by autograd; seven steps
#   reach $x = 1$.
# * Repeated differentiation reproduces $\sin^{(k)} = \sin(\cdot + k\pi/2)$ and the tanh
#   polynomials.
# * Double backpropagation: a gradient penalty is an ordinary term of the loss.
# * `tn.hvp` gives $Hv$ for the price of two gradients; `tn.hessian` the whole (small) $H$;
#   `tn.gradgradcheck` checks second derivatives against finite differences.
# * The derivative of a gradient that does not depend on $x$ (a linear function's) is 0:
#   `tn.grad` says so and offers `materialize_grads=True` (zeros) or `allow_unused=True`.

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer, a cell tagged `check` that tests it, and a
# collapsed solution (click the bar on its left to open it) that passes the same test. The
# checks compare with finite differences (`tn.gradgradcheck`, `tn.gradcheck`) on inputs
# drawn by `tinynet.testing`, so any correct answer passes.

# %%
from tinynet.testing import run_check  # prints "correct" or "not done yet"

# %% [markdown]
# ### Exercise 1 — a softplus that can be differentiated twice
#
# $\mathrm{softplus}(x) = \ln(1 + e^x)$ has derivative $\sigma(x) = 1/(1 + e^{-x})$.
# The Function below has a working `backward` (on arrays). Write its `backward_graph`:
# the same vector-Jacobian product $\bar x = \bar y\,\sigma(x)$, built from tinynet
# operations on `self.inputs`, so that `create_graph=True` can differentiate it again.

# %%
class Softplus(tn.Function):
    def forward(self, x):
        self.x = x
        return np.logaddexp(0, x)

    def backward(self, grad):
        return (grad / (1 + np.exp(-self.x)),)

    def backward_graph(self, grad, out):
        (x,) = self.inputs
        raise NotImplementedError("return (grad times sigmoid(x),) with tinynet operations")


# %% tags=["check", "deterministic"]
from hypothesis import given, settings

from tinynet.testing import float64_tensors, shapes


def check_exercise_1(Softplus):
    @settings(max_examples=20, deadline=None, database=None, derandomize=True)
    @given(float64_tensors(shapes(max_dims=2)))
    def test(x):
        tn.gradgradcheck(lambda t: Softplus.apply(t), x)

    run_check("Exercise 1", test)


check_exercise_1(Softplus)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
class SoftplusSolution(Softplus):
    def backward_graph(self, grad, out):
        (x,) = self.inputs
        return (grad * x.sigmoid(),)


check_exercise_1(SoftplusSolution)


# %% [markdown]
# ### Exercise 2 — the Hessian of log-sum-exp by hand
#
# $\mathrm{lse}(x) = \ln\sum_i e^{x_i}$ has gradient $p = \mathrm{softmax}(x)$. Derive its
# Hessian $H = \partial p/\partial x$ as a formula in $p$ and return it as a numpy matrix.
# The check compares it with `tn.hessian` of `lse` and, as the derivative of
# the gradient, with finite differences (`tn.gradgradcheck`).

# %%
def lse_hessian(x):
    raise NotImplementedError("return the n x n Hessian of log-sum-exp at the vector x")


# %% tags=["check", "deterministic"]
def check_exercise_2(lse_hessian):
    def lse(x):
        return x.exp().sum().log()

    @settings(max_examples=20, deadline=None, database=None, derandomize=True)
    @given(float64_tensors(shapes(min_dims=1, max_dims=1, max_side=5)))
    def test(x):
        tn.gradgradcheck(lse, x)  # the autograd Hessian is right...
        H = np.asarray(lse_hessian(x.numpy()))
        np.testing.assert_allclose(H, tn.hessian(lse, x).numpy(), rtol=1e-9, atol=1e-12)  # ...so is yours

    run_check("Exercise 2", test)


check_exercise_2(lse_hessian)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
def lse_hessian_solution(x):
    p = np.exp(x - x.max())
    p /= p.sum()
    return np.diag(p) - np.outer(p, p)


check_exercise_2(lse_hessian_solution)
