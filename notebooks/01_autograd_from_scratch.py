# %% [markdown]
# # 01 · Automatic differentiation from scratch
#
# **One idea:** a program that computes a number from some inputs is a *graph* of small
# operations. Each operation knows its own local derivative, and the **chain rule**,
# applied backwards through the graph, gives the derivative of the output with respect
# to every input. That is all reverse-mode autodiff (backpropagation) is.
#
# We do it three times on the same example: (1) by hand, (2) with a 40-line scalar
# autograd written here, (3) with tinynet — and draw the graph.

# %% [markdown]
# > **About the source documents.** This course began from four Chinese blog articles whose
# > mathematics tinynet implements. Where one of them gets something wrong, this notebook says
# > so in a marked **aside**, off the main thread. An aside's item numbers (F1–F18, E1–E5)
# > and sections ("seed 001 §4.3") are explained in [docs/sources.md](../docs/sources.md), the
# > corrections in [docs/errata.md](../docs/errata.md); `tinynet audit` checks them all.

# %%
import numpy as np

import tinynet as tn

np.set_printoptions(precision=4, suppress=True)
print("tinynet", tn.__version__, "| backend:", tn.backend_name())

# %% [markdown]
# ## The example: a linear model and its squared error
#
# A linear model with two features, $\hat y = W_1x_1 + W_2x_2 + b$, sees the input
# $x = (2, 3)$ with target $y = 5$. With $W_1 = W_2 = 1$ and $b = 2$ it predicts
# $\hat y = 7$, and the squared error is $L = (\hat y - y)^2 = 4$. How does $L$ change
# when we nudge each parameter? (This is the worked example
# [E1](../docs/sources.md#e1) of the source documents, which leave $W_1, W_2, b$ open.)
#
# ## 1. By hand
#
# Break the computation into steps, one operation each, and write down each step's
# *local* derivative:
#
# | step | value | local derivative |
# |---|---|---|
# | $p_1 = W_1 x_1$ | 2 | $\partial p_1/\partial W_1 = x_1 = 2$ |
# | $p_2 = W_2 x_2$ | 3 | $\partial p_2/\partial W_2 = x_2 = 3$ |
# | $s = p_1 + p_2$ | 5 | $\partial s/\partial p_1 = \partial s/\partial p_2 = 1$ |
# | $\hat y = s + b$ | 7 | $\partial \hat y/\partial s = \partial\hat y/\partial b = 1$ |
# | $r = \hat y - y$ | 2 | $\partial r/\partial \hat y = 1$ |
# | $L = r^2$ | 4 | $\partial L/\partial r = 2r = 4$ |
#
# The chain rule multiplies the local derivatives along the path from $L$ back to a
# variable. Going backwards, we keep one number per node, its **adjoint**
# $\bar v = \partial L/\partial v$:

# %% tags=["deterministic"]
x1, x2, y = 2.0, 3.0, 5.0
W1, W2, b = 1.0, 1.0, 2.0

# forward: one operation per line
p1 = W1 * x1
p2 = W2 * x2
s = p1 + p2
yhat = s + b
r = yhat - y
L = r**2

# backward: adjoint of each node = adjoint of its consumer x local derivative
L_bar = 1.0
r_bar = L_bar * 2 * r
yhat_bar = r_bar * 1.0
s_bar, b_bar = yhat_bar * 1.0, yhat_bar * 1.0
p1_bar, p2_bar = s_bar * 1.0, s_bar * 1.0
W1_bar, W2_bar = p1_bar * x1, p2_bar * x2

print(f"yhat = {yhat}, L = {L}")
print(f"dL/dW1 = {W1_bar}, dL/dW2 = {W2_bar}, dL/db = {b_bar}")

# %% [markdown]
# So $\partial L/\partial W_1 = 8$, $\partial L/\partial W_2 = 12$, $\partial L/\partial b = 4$.
# Many texts use half the squared error, $\tfrac12(\hat y-y)^2$, whose derivative
# $\hat y - y$ has no factor 2: same minimum, gradients half as large. Both conventions are
# common (notebook 04 compares them); what matters is to use one consistently:
#
# > **Aside — the source documents ([E1](../docs/sources.md#e1), seed 001 §4.3.3).** The
# > document states the loss $(\hat y-y)^2 = 4$ but gives the gradients 4, 6, 2, which
# > belong to $\tfrac12(\hat y-y)^2$ (whose value would be 2). For the loss it states they
# > are 8, 12, 4, as computed above. See [docs/errata.md](../docs/errata.md#e1).

# %% tags=["deterministic"]
half_L_bar = 1.0
r_bar_half = half_L_bar * r          # d(r^2 / 2)/dr = r
print("with L = (yhat - y)^2 / 2 :", "value", r**2 / 2,
      "| gradients", r_bar_half * x1, r_bar_half * x2, r_bar_half)

# %% [markdown]
# ## 2. The same, automated: a scalar autograd in 40 lines
#
# Each `Value` stores its number, its parents and — computed during the forward pass —
# the local derivative with respect to each parent. `backward()` visits the nodes in
# reverse topological order (every node after all nodes that use it) and applies
# `parent.grad += node.grad * local`. The `+=` matters: a value used twice receives
# the sum of both contributions (the multivariate chain rule).

# %%
import math


class Value:
    """A scalar node of a computation graph."""

    def __init__(self, data, parents=(), op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents  # tuple of (parent, d self / d parent)
        self.op = op
        self.label = label

    @staticmethod
    def lift(v):
        return v if isinstance(v, Value) else Value(v, label=f"{v:g}")

    def __add__(self, other):
        other = Value.lift(other)
        return Value(self.data + other.data, ((self, 1.0), (other, 1.0)), "+")

    def __sub__(self, other):
        other = Value.lift(other)
        return Value(self.data - other.data, ((self, 1.0), (other, -1.0)), "-")

    def __mul__(self, other):
        other = Value.lift(other)
        return Value(self.data * other.data, ((self, other.data), (other, self.data)), "*")

    def square(self):
        return Value(self.data**2, ((self, 2 * self.data),), "^2")

    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.data))
        return Value(s, ((self, s * (1 - s)),), "sigmoid")

    def backward(self):
        order, seen = [], set()

        def visit(v):  # depth-first: parents first
            if id(v) not in seen:
                seen.add(id(v))
                for p, _ in v.parents:
                    visit(p)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            for p, local in v.parents:
                p.grad += v.grad * local

    def __repr__(self):
        return f"Value({self.label or self.op}: data={self.data:g}, grad={self.grad:g})"


# %% tags=["deterministic"]
W1, W2, b = Value(1.0, label="W1"), Value(1.0, label="W2"), Value(2.0, label="b")
p1 = W1 * x1; p1.label = "p1"
p2 = W2 * x2; p2.label = "p2"
s = p1 + p2; s.label = "s"
yhat = s + b; yhat.label = "yhat"
r = yhat - y; r.label = "r"
L = r.square(); L.label = "L"
L.backward()
for v in (W1, W2, b, yhat, L):
    print(v)


# %% [markdown]
# ## 3. The same with tinynet
#
# tinynet does exactly this, with arrays instead of scalars: every operation is a
# `Function` with a `forward` and a `backward` (the vector–Jacobian product), and
# `Tensor.backward()` walks the graph in reverse topological order (`tinynet/tensor.py`).
# We use float64 so that the printed numbers are exact.

# %% tags=["deterministic"]
W1 = tn.tensor(1.0, dtype="float64", requires_grad=True); W1.name = "W1"
W2 = tn.tensor(1.0, dtype="float64", requires_grad=True); W2.name = "W2"
b = tn.tensor(2.0, dtype="float64", requires_grad=True); b.name = "b"
yhat = W1 * x1 + W2 * x2 + b
L = (yhat - y) ** 2
yhat.name, L.name = "yhat", "L"
yhat.retain_grad()          # keep the gradient of an intermediate node, for display
L.backward(retain_graph=True)  # keep the graph so that we can draw it below
print("L =", L.item())
print("dL/dW1 =", W1.grad, " dL/dW2 =", W2.grad, " dL/db =", b.grad, " dL/dyhat =", yhat.grad)


# %% [markdown]
# tinynet's graph can be walked the same way: a non-leaf tensor's `_ctx` is the
# `Function` that produced it, and `_ctx.inputs` are its parents. Printed as a tree
# (the loss at the top, leaves at the bottom):

# %% tags=["deterministic"]
def parents(t):
    ctx = t._ctx
    return [] if ctx is None else [p for p in ctx.inputs]


def describe(t):
    op = type(t._ctx).__name__ if t._ctx is not None else "leaf"
    name = t.name or ""
    grad = "" if t.grad is None else f"  grad={float(t.grad):g}"
    return f"{op:8s} {name:4s} value={float(t.data):g}{grad}"


def print_tree(t, prefix="", last=True, root=True):
    print(("" if root else prefix + ("└── " if last else "├── ")) + describe(t))
    ps = parents(t)
    for i, p in enumerate(ps):
        print_tree(p, prefix + ("" if root else ("    " if last else "│   ")), i == len(ps) - 1, False)


print_tree(L)

# %% [markdown]
# The numbers `2`, `3` and `5` appear as leaves too: tinynet turns Python numbers into
# constant tensors (no gradient).
#
# ### Drawing the graph
#
# `tn.draw_graph` draws the same graph: inputs on the left, the loss on the right; a box per
# tensor (its name, or `t<k>` in the order of the forward pass; shape and dtype; here also
# its value and its gradient), an oval per operation. Blue boxes need a gradient, grey ones
# are constants. Each arrow into an operation is labelled with the **local derivative** the
# chain rule multiplies by there, as written in that op's docstring (`tinynet/ops/`): for
# `Mul`, $y = ab$ gives $\partial y/\partial a = b$. The picture shows inline in Jupyter;
# `.save_svg(path)` and `.save_png(path)` write it to a file. `backward()` frees the graph
# as it goes, so draw before it, or after `backward(retain_graph=True)` as here.

# %%
tn.draw_graph(L, values=True, grads=True)

# %% [markdown]
# Read a gradient off the picture: the gradient of `W1` is the product of the local
# derivatives along the path from `W1` to `L`. `Mul` gives $\partial y/\partial a = b = 2$
# (the constant $x_1$), the two `Add`s and the `Sub` give 1 each, and the square (`PowConst`
# with $c = 2$) gives $c\,x^{c-1} = 2 \cdot 2 = 4$: $2 \cdot 1 \cdot 1 \cdot 1 \cdot 4 = 8$.
#
# ### Backward, step by step
#
# `tn.trace_backward(L)` runs the same backward pass as `L.backward()` (and leaves the same
# `.grad`), and records each step: the node it visits, the operation that made it, its
# shape, the adjoint $\bar v = \partial L/\partial v$ that has arrived there, and for each
# input the local derivative and the gradient it sends, $\bar v$ times the local derivative.
# A leaf accumulates what arrives into its `.grad`. This is the table of section 1, made by
# the engine. (We clear the gradients first: they accumulate.)

# %% tags=["deterministic"]
for t in (W1, W2, b, yhat):
    t.zero_grad()
print(tn.trace_backward(L))
print("dL/dW1 =", W1.grad, " dL/dW2 =", W2.grad, " dL/db =", b.grad)

# %% [markdown]
# ## 4. A sigmoid neuron, and a value used twice
#
# A neuron computes $a = \sigma(\sum_i w_i x_i + b)$ ([F1](../docs/sources.md#f1)). By the
# chain rule $\partial a/\partial w_i = \sigma'(z)\,x_i$ with $\sigma'(z) = \sigma(z)(1-\sigma(z))$
# ([F8](../docs/sources.md#f8)). We compare the hand formula with tinynet for a 3-input neuron:

# %% tags=["deterministic"]
x = tn.tensor([1.0, 2.0, 3.0], dtype="float64")
w = tn.tensor([0.1, -0.2, 0.3], dtype="float64", requires_grad=True)
bias = tn.tensor(0.05, dtype="float64", requires_grad=True)
z = (w * x).sum() + bias
a = z.sigmoid()
a.backward()

s = 1 / (1 + np.exp(-z.item()))
print("a =", round(a.item(), 6))
print("by hand : da/dw =", np.round(s * (1 - s) * x.numpy(), 6), " da/db =", round(s * (1 - s), 6))
print("tinynet : da/dw =", np.round(w.grad.numpy(), 6), " da/db =", round(float(bias.grad), 6))

# %% [markdown]
# When a value feeds two operations, its gradient is the **sum** of what flows back
# along both edges. For $f(u) = u \cdot u + u$ the derivative is $2u + 1$; an autograd
# that overwrote instead of adding would report only one of the three terms.

# %% tags=["deterministic"]
u = tn.tensor(3.0, dtype="float64", requires_grad=True)
u.name = "u"
f = u * u + u
print(tn.trace_backward(f))  # u receives 3 + 3 from the Mul and 1 from the Add
print("df/du =", float(u.grad), "(expected 2u + 1 =", 2 * 3.0 + 1, ")")

v = Value(3.0, label="u")
g = v * v + v
g.backward()
print("scalar Value autograd gives", v.grad)

# %% [markdown]
# ## Summary
#
# * A computation is a graph; each node knows its local derivatives.
# * Backpropagation = the chain rule applied once per edge, in reverse topological
#   order, accumulating (`+=`) into each node's gradient. Its cost is a small multiple
#   of the forward pass, whatever the number of parameters.
# * A squared error $(\hat y-y)^2$ and half of it, $\tfrac12(\hat y-y)^2$, have the same
#   minimum; their gradients differ by a factor of 2 (here 8, 12, 4 against 4, 6, 2).
#
# Next: notebook 02 checks such gradients numerically.


# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer, a cell tagged `check` that tests it, and a
# collapsed solution (click the bar on its left to open it) that passes the same test. The
# tests compare your derivatives with finite differences (`tinynet.testing` draws the inputs, `tn.gradcheck` referees), so they accept any correct
# answer, not just one formula. Instructors: the pattern (answer cell, `check` cell,
# hidden `solution` cell) is all it takes to add an exercise.

# %%
from tinynet.testing import run_check  # prints "correct" or "not done yet"

# %% [markdown]
# ### Exercise 1 — teach `Value` the hyperbolic tangent
#
# Write `value_tanh(v)`, which returns a new `Value` holding $t = \tanh(v)$ whose single
# parent is `v`, with the local derivative $\partial t/\partial v$ (express it with $t$).
# The test draws many inputs and compares the gradient your node passes back with a central
# difference of `math.tanh`.

# %%
def value_tanh(v):
    # t = math.tanh(v.data); return Value(t, ((v, LOCAL_DERIVATIVE),), "tanh")
    raise NotImplementedError("write value_tanh")


# %% tags=["check", "deterministic"]
from hypothesis import given, settings

from tinynet.testing import float64_arrays


def check_exercise_1(value_tanh):
    @settings(max_examples=50, deadline=None, database=None, derandomize=True)
    @given(float64_arrays(()))
    def test(x):
        v = Value(float(x))
        value_tanh(v).backward()
        numerical = tn.central_difference(lambda a: np.tanh(a), np.array(float(x))).item()
        assert abs(v.grad - numerical) < 1e-8, f"at x = {float(x)}: your gradient {v.grad}, numerical {numerical}"

    run_check("Exercise 1", test)


check_exercise_1(value_tanh)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
def value_tanh_solution(v):
    t = math.tanh(v.data)
    return Value(t, ((v, 1 - t * t),), "tanh")  # d tanh/dv = 1 - tanh^2


check_exercise_1(value_tanh_solution)


# %% [markdown]
# ### Exercise 2 — the chain rule by hand
#
# For $f(a, b) = (a\,b + b)^2$, write `grad_f(a, b, grad)`: given the gradient `grad` of a
# final loss with respect to $f$, return the gradients with respect to $a$ and $b$ (arrays
# of the same shapes, elementwise). Break $f$ into steps as in section 1. The test wraps your
# formula as the backward of a tinynet `Function` and lets `tn.gradcheck` referee it.

# %%
def grad_f(a, b, grad):
    raise NotImplementedError("return (dL/da, dL/db)")


# %% tags=["check", "deterministic"]
from tinynet.testing import float64_tensors


def check_exercise_2(grad_f):
    class F(tn.Function):
        def forward(self, a, b):
            self.a, self.b = a, b
            return (a * b + b) ** 2

        def backward(self, grad):
            return grad_f(self.a, self.b, grad)

    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(float64_tensors((3,)), float64_tensors((3,)))
    def test(a, b):
        tn.gradcheck(lambda a, b: F.apply(a, b), a, b)

    run_check("Exercise 2", test)


check_exercise_2(grad_f)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
def grad_f_solution(a, b, grad):
    u = a * b + b              # f = u^2
    u_bar = grad * 2 * u       # df/du = 2u
    return u_bar * b, u_bar * (a + 1)   # du/da = b, du/db = a + 1


check_exercise_2(grad_f_solution)
