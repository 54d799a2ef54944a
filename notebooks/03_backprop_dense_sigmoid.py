# %% [markdown]
# # 03 · Backpropagation through sigmoid layers, by hand and by autograd
#
# **One idea:** the backward formulas of a dense layer are nothing but the chain rule
# applied to $Z = XW + b$, $a = \sigma(Z)$. Written out by hand they are easy to get
# subtly wrong (a sign, a missing $\sigma'$, a missing sum), so every hand formula here is
# checked against tinynet's autograd, which is itself checked against finite differences
# (notebook 02).
#
# Three steps: one sigmoid layer, the δ recursion through several layers, and a network
# with a hidden layer. Everything is float64 so that agreement means ~1e-16, not ~1e-7.

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

from tinynet import nn
from tinynet.backend import asarray
from tinynet.nn import functional as F


def rel_err(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# %% [markdown]
# ## 1. One sigmoid layer
#
# One sigmoid layer with 3 inputs and 2 outputs computes $z_j = \sum_p w_{jp}x_p + b_j$,
# $a_j = \sigma(z_j)$. Take the input $x = [1, 2, 3]$, the target $y = [4, 5]$ and the loss
# $L = \tfrac12\sum_j (y_j - a_j)^2$. The chain rule through $a_j$ and then $z_j$ gives
# $$\frac{\partial L}{\partial z_j} = (a_j - y_j)\,\sigma'(z_j),\qquad
# \frac{\partial L}{\partial w_{jp}} = \frac{\partial L}{\partial z_j}\,x_p,\qquad
# \frac{\partial L}{\partial b_j} = \frac{\partial L}{\partial z_j}.$$
# Gradient descent *subtracts* these. Many texts instead write the **update direction**
# $\delta_j = (y_j - a_j)\,\sigma'(z_j)$, $\Delta w_{jp} = \delta_j x_p$, $\Delta b_j = \delta_j$,
# which is minus the gradient and is *added*: $w \leftarrow w + \alpha\,\Delta w$. The cell
# computes $\Delta w$ by hand and compares it with tinynet's gradient.
#
# tinynet's `Dense` stores $W$ as `(in, out)` and computes $XW + b$ with one sample per
# row (the row convention, [F7](../docs/sources.md#f7)), so $w_{jp}$ is `W[p, j]`.

# %% tags=["deterministic"]
x = np.array([[1.0, 2.0, 3.0]])          # one sample = one row
y = np.array([[4.0, 5.0]])
W0 = np.array([[0.1, -0.2], [0.3, 0.1], [-0.1, 0.2]])   # W0[p, j] = document's w_jp
b0 = np.array([0.05, -0.05])

layer = nn.Dense(3, 2, activation="sigmoid", dtype="float64")
layer.weight.data, layer.bias.data = asarray(W0), asarray(b0)
a = layer(tn.tensor(x))
L = F.mse_loss(a, y, reduction="half_sum")     # L = 1/2 sum_j (y_j - a_j)^2
L.backward()

# the document's formulas, by hand
z = x @ W0 + b0
a_np = sigmoid(z)
delta = (y - a_np) * a_np * (1 - a_np)        # delta_j = (y_j - a_j) sigma'(z_j)
Delta_w = x.T @ delta                         # Delta w_jp = delta_j x_p, stored as [p, j]
Delta_b = delta[0]

print("a =", np.round(a_np[0], 6), "  L =", round(L.item(), 6))
print("document  Delta w (as [p, j]):\n", np.round(Delta_w, 6))
print("tinynet   dL/dW:\n", np.round(tn.to_numpy(layer.weight.grad), 6))
print("document Delta b =", np.round(Delta_b, 6), "  tinynet dL/db =", np.round(tn.to_numpy(layer.bias.grad), 6))
err = rel_err(Delta_w, -tn.to_numpy(layer.weight.grad))
print("relative error of Delta w against -dL/dW:", "< 1e-12" if err < 1e-12 else f"{err:.1e}")

# %% [markdown]
# $\Delta w$ and $\Delta b$ are exactly $-\partial L/\partial w$ and $-\partial L/\partial b$.
# tinynet's `.grad` is always the gradient itself; its optimizers subtract it.
#
# > **Aside — the source documents ([F5](../docs/sources.md#f5), seed 001 §4.3).** This
# > example, with these formulas, is the documents' F5. It holds as an update direction,
# > but the document never says so, names no loss, and its previous section (F4) writes the
# > same $(y-\hat y)$ factor and calls it $\partial L/\partial\theta$, which is a sign
# > error. See [errata F5](../docs/errata.md#f5).
#
# The factor $\sigma'(z_j)$ is essential: the chain rule passes through the sigmoid.
# Without it the "gradient" is off by a factor $\sigma'(z) \le 1/4$ per unit (here
# about 0.2), and in a deeper network by a different factor in every layer:

# %% tags=["deterministic"]
no_sigma_prime = x.T @ (y - a_np)
print(f"without sigma': relative error {rel_err(no_sigma_prime, -tn.to_numpy(layer.weight.grad)):.2f}")
print("sigma'(z) =", np.round(a_np * (1 - a_np), 4))

# %% [markdown]
# **Targets a sigmoid cannot reach.** The targets 4 and 5 lie outside the range
# $(0, 1)$ of the sigmoid, so the loss can never reach 0: its infimum is
# $\tfrac12(3^2 + 4^2) = 12.5$, approached as $a \to 1$, where $\sigma' \to 0$ and
# learning stalls. Training the layer with plain gradient descent shows it:

# %%
layer = nn.Dense(3, 2, activation="sigmoid", dtype="float64")
layer.weight.data, layer.bias.data = asarray(W0), asarray(b0)
opt = tn.optim.SGD(layer.parameters(), lr=0.5)
xt = tn.tensor(x)
losses, outputs = [], []
for _ in range(3000):
    a = layer(xt)
    L = F.mse_loss(a, y, reduction="half_sum")
    opt.zero_grad(); L.backward(); opt.step()
    losses.append(L.item()); outputs.append(a.numpy()[0])
outputs = np.array(outputs)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].loglog(np.arange(1, 3001), np.array(losses) - 12.5)
axes[0].set_xlabel("step"); axes[0].set_ylabel("L - 12.5"); axes[0].set_title("distance to the infimum 12.5")
axes[1].semilogy(outputs * (1 - outputs)); axes[1].set_xlabel("step"); axes[1].set_ylabel("sigma'(z)")
axes[1].legend(["unit 1", "unit 2"]); axes[1].set_title("the sigmoid saturates")
plt.tight_layout(); plt.show()
print(f"after 3000 steps: L = {losses[-1]:.4f}, a = {np.round(outputs[-1], 5)}")

# %% [markdown]
# ## 2. The δ recursion through several layers
#
# Write $\delta^l = \partial C/\partial Z^l$ for the pre-activations of layer $l$ and
# $C = \tfrac12\lVert a^L - y\rVert^2$. At the output layer
# $\delta^{L} = (a^{L} - y) \odot \sigma'(Z^{L})$. One layer down, the chain rule goes back
# through the weights and then through the sigmoid (row convention,
# $Z^l = a^{l-1}W^l + b^l$):
# $$\delta^{l} = \big(\delta^{l+1} (W^{l+1})^\top\big) \odot \sigma'(Z^{l}),
# \qquad \frac{\partial C}{\partial W^l} = (a^{l-1})^\top \delta^l .$$
# That is backpropagation: one matrix product and one elementwise product per layer.
#
# > **Aside — the source documents ([F2](../docs/sources.md#f2), seed 000 §4.2.2).** The
# > document writes the output-layer formula for every layer and a "recursion"
# > $\delta^{l+1} = \sum_{i=l+1}^{L} w_{l+1,i}\, \delta^{l+1}$ that has $\delta^{l+1}$ on
# > both sides, sums over layers instead of neurons, has no $\sigma'$ and goes forwards.
# > The bar chart below includes that missing-$\sigma'$ variant. See
# > [errata F2](../docs/errata.md#f2).
#
# tinynet gives us every $\delta^l$ directly: call `retain_grad()` on each $Z^l$.
# A 4-5-3-2 sigmoid network:

# %% tags=["deterministic"]
rng = np.random.default_rng(1)
sizes = [4, 5, 3, 2]
layers = [nn.Dense(m, n, dtype="float64", seed=i) for i, (m, n) in enumerate(zip(sizes, sizes[1:]))]
x = tn.tensor(rng.standard_normal((1, 4)))
y = rng.uniform(0.2, 0.8, (1, 2))

acts, Zs = [x], []
for layer in layers:
    Z = layer(acts[-1]).retain_grad()
    Zs.append(Z)
    acts.append(Z.sigmoid())
C = F.mse_loss(acts[-1], y, reduction="half_sum")
C.backward()

a_ = [t.numpy() for t in acts]
dsig = [a_[k + 1] * (1 - a_[k + 1]) for k in range(3)]      # sigma'(Z^k) for k = 1..3
W = [tn.to_numpy(layer.weight.data) for layer in layers]

delta = {3: (a_[3] - y) * dsig[2]}                           # output layer
no_sigma = {3: delta[3]}
for k in (2, 1):
    delta[k] = (delta[k + 1] @ W[k].T) * dsig[k - 1]          # correct recursion
    no_sigma[k] = delta[k + 1] @ W[k].T                       # the same without sigma'

print("layer | delta (correct recursion) vs tinynet | without sigma' vs tinynet")
errors = {}
for k in (3, 2, 1):
    autograd = tn.to_numpy(Zs[k - 1].grad)
    errors[k] = (rel_err(delta[k], autograd), rel_err(no_sigma[k], autograd))
    ok = "< 1e-12" if errors[k][0] < 1e-12 else f"{errors[k][0]:.1e}"
    other = "(same formula)" if k == 3 else f"{errors[k][1]:8.2f}"
    print(f"  {k}   |            {ok:>8s}                  |      {other}")
err_w = rel_err(a_[0].T @ delta[1], tn.to_numpy(layers[0].weight.grad))
print("dC/dW^1 = (a^0)^T delta^1 vs tinynet:", "< 1e-12" if err_w < 1e-12 else f"{err_w:.1e}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.2))
ls = [3, 2, 1]
ax.bar(np.arange(3) - 0.2, [max(errors[k][0], 1e-17) for k in ls], 0.4, label="correct recursion (with sigma')")
ax.bar(np.arange(3) + 0.2, [max(errors[k][1], 1e-17) for k in ls], 0.4, label="without sigma'")
ax.set_yscale("log"); ax.set_xticks(range(3), [f"layer {k}" for k in ls])
ax.set_ylabel("relative error vs autograd"); ax.legend(fontsize=8)
ax.set_title("delta^k, hand formula vs tinynet"); plt.show()

# %% [markdown]
# At the output layer both agree (there is nothing to recurse yet; the tiny error is
# rounding). One layer down, dropping $\sigma'$ is off by a factor of several.
#
# ## 3. A network with a hidden layer
#
# Take $L = \tfrac12\sum_j (\hat y_j - y_j)^2$ for a network with inputs $p$, a sigmoid
# hidden layer $h_i = \sigma(z_i)$, $z_i = \sum_p w_{ip}x_p + b_i$, and a linear output
# $\hat y_j = \sum_i \theta_{ji} h_i + b_j$. The chain rule gives
# $$\frac{\partial L}{\partial\theta_{ji}} = (\hat y_j - y_j)\, h_i, \qquad
# \frac{\partial L}{\partial w_{ip}} = \Big(\sum_j (\hat y_j - y_j)\,\theta_{ji}\Big)\,\sigma'(z_i)\, x_p .$$
# Every output $j$ depends on hidden unit $i$, hence the sum over $j$.
#
# > **Aside — the source documents ([F4](../docs/sources.md#f4), seed 001 §4.2).** The
# > document prints $\partial L/\partial\theta_{ji} = (y_j - \hat y_j)\, z_j$ and
# > $\partial L/\partial\theta_{ip} = (y_j - \hat y_j)\, w_{ji}\, \sigma'(z_i)$: wrong sign,
# > wrong index ($z_j$ instead of $h_i$, so the result does not depend on $i$), and in the
# > hidden layer no $x_p$ and no sum over $j$. The cell compares both with tinynet
# > ([errata F4](../docs/errata.md#f4)).
#
# On a 3-4-2 network:

# %% tags=["deterministic"]
hidden = nn.Dense(3, 4, dtype="float64", seed=10)
out = nn.Dense(4, 2, dtype="float64", seed=11)
x_np = np.array([[0.5, -1.0, 2.0]])
y_np = np.array([[0.3, -0.7]])
zh = hidden(tn.tensor(x_np))
h = zh.sigmoid()
yhat = out(h)
L = F.mse_loss(yhat, y_np, reduction="half_sum")
L.backward()

h_np, yhat_np = h.numpy()[0], yhat.numpy()[0]
theta = tn.to_numpy(out.weight.data)          # theta[i, j] = document's theta_ji
err = yhat_np - y_np[0]                       # yhat_j - y_j
sp = h_np * (1 - h_np)                        # sigma'(z_i)

grad_out = tn.to_numpy(out.weight.grad)       # [i, j]
grad_hid = tn.to_numpy(hidden.weight.grad)    # [p, i]

doc_out = np.array([[(y_np[0, j] - yhat_np[j]) * h_np[j] for j in range(2)] for i in range(4)])
correct_out = np.outer(h_np, err)
doc_hid = np.array([[(y_np[0, 0] - yhat_np[0]) * theta[i, 0] * sp[i] for i in range(4)] for p in range(3)])
correct_hid = np.outer(x_np[0], (theta @ err) * sp)

def small(e):
    return "< 1e-12" if e < 1e-12 else f"{e:.1e}"


print("output layer  dL/dtheta:")
print(f"  correct formula          rel. err. {small(rel_err(correct_out, grad_out))}")
print(f"  document (as printed)    rel. err. {rel_err(doc_out, grad_out):.2f}")
print(f"  document, sign flipped   rel. err. {rel_err(-doc_out, grad_out):.2f}")
print("hidden layer  dL/dw:")
print(f"  correct formula          rel. err. {small(rel_err(correct_hid, grad_hid))}")
print(f"  document, sign flipped, j = 1 only: rel. err. {rel_err(-doc_hid, grad_hid):.2f}")

# %% [markdown]
# > **Aside — the source documents ([F6](../docs/sources.md#f6), seed 001 §4.1.2).** A
# > second version of the same network has correct output-layer formulas
# > ($\partial L/\partial w_{ij} = \delta_j h_i$, $\partial L/\partial b_j = \delta_j$), but
# > its hidden-layer ones ($\partial L/\partial w_{ij} = \delta_j x_i$,
# > $\partial L/\partial b_i = \delta_j$) use the output error without propagating it back
# > through the output weights: the missing $\sum_j \theta_{ji}\,\cdot$ above
# > (`tinynet audit --item F6`).
#
# ## Summary: sign conventions and what to check
#
# | quantity | meaning | how it is applied |
# |---|---|---|
# | $\partial L/\partial \hat y$ for $L=\tfrac12\lVert\hat y - y\rVert^2$ | the gradient, $\hat y - y$ | |
# | $(y - \hat y)$, the documents' factor | minus the gradient: a descent direction | add it: $w \leftarrow w + \alpha\,\Delta w$ |
# | tinynet's `.grad` | always the gradient | optimizers subtract: $w \leftarrow w - \alpha\,\nabla L$ |
#
# * One layer: $\partial L/\partial w_{jp} = (a_j - y_j)\,\sigma'(z_j)\,x_p$; the update direction is its negative.
# * Through layers: $\delta^{l} = (\delta^{l+1} (W^{l+1})^\top) \odot \sigma'(Z^{l})$, a product with the next layer's weights **and** $\sigma'$.
# * A hidden unit's gradient sums over every output it feeds. When in doubt, compare with autograd.


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
# ### Exercise 1 — the backward of a tanh layer
#
# A dense tanh layer computes $A = \tanh(XW + b)$ for a batch $X$ of shape `(n, in)`.
# Given the gradient $G = \partial L/\partial A$, write the gradients with respect to $X$,
# $W$ and $b$ ($\tanh' = 1 - \tanh^2$; the bias is shared by all rows).

# %%
def tanh_layer_backward(X, W, b, A, G):
    """Return (dL/dX, dL/dW, dL/db); A = tanh(X @ W + b) is the forward output."""
    raise NotImplementedError("return dX, dW, db")


# %% tags=["check", "deterministic"]
from hypothesis import given, settings

from tinynet.testing import float64_tensors


def check_exercise_1(backward):
    class TanhLayer(tn.Function):
        def forward(self, X, W, b):
            self.saved = (X, W, b)
            self.A = np.tanh(X @ W + b)
            return self.A

        def backward(self, G):
            return backward(*self.saved, self.A, G)

    @settings(max_examples=20, deadline=None, database=None, derandomize=True)
    @given(float64_tensors((4, 3)), float64_tensors((3, 2)), float64_tensors((2,)))
    def test(X, W, b):
        tn.gradcheck(lambda X, W, b: TanhLayer.apply(X, W, b), X, W, b)

    run_check("Exercise 1", test)


check_exercise_1(tanh_layer_backward)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
def tanh_layer_backward_solution(X, W, b, A, G):
    dZ = G * (1 - A**2)                  # through the tanh
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


check_exercise_1(tanh_layer_backward_solution)


# %% [markdown]
# ### Exercise 2 — one step of the δ recursion
#
# In a sigmoid network (row convention), write $\delta^l$ from $\delta^{l+1}$, the next
# layer's weights $W^{l+1}$ (shape `(units of l, units of l+1)`) and this layer's
# activations $a^l = \sigma(Z^l)$. The test builds the two-layer map
# $Z^l \mapsto \sigma(Z^l)\,W^{l+1}$ with your formula as its backward.

# %%
def delta_down(delta_next, W_next, a):
    raise NotImplementedError("return delta^l")


# %% tags=["check", "deterministic"]
def check_exercise_2(delta_down):
    class SigmoidThenLinear(tn.Function):
        def forward(self, Z, W):
            self.a, self.W = 1 / (1 + np.exp(-Z)), W
            return self.a @ W

        def backward(self, delta_next):
            return delta_down(delta_next, self.W, self.a), self.a.T @ delta_next

    @settings(max_examples=20, deadline=None, database=None, derandomize=True)
    @given(float64_tensors((3, 4)), float64_tensors((4, 2)))
    def test(Z, W):
        tn.gradcheck(lambda Z, W: SigmoidThenLinear.apply(Z, W), Z, W)

    run_check("Exercise 2", test)


check_exercise_2(delta_down)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
def delta_down_solution(delta_next, W_next, a):
    return (delta_next @ W_next.T) * a * (1 - a)   # back through W, then through sigma


check_exercise_2(delta_down_solution)
