# %% [markdown]
# # 02 · Gradient checking
#
# **One idea:** a backward formula can be tested against the definition of the
# derivative. The central difference
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}$$
#
# needs only the forward pass. It is slow (two evaluations per input element) and
# inexact, but it is independent of the code under test — so it is the referee.
# This is how every operation of tinynet is tested (`tinynet/gradcheck.py`,
# `tests/test_ops_gradients.py`), and how `tinynet audit` decides which of the source
# documents' gradient formulas hold (items F2, F4–F6 and E1 of
# [docs/sources.md](../docs/sources.md)).

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinynet as tn

np.set_printoptions(precision=4, suppress=True)
plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (6, 4), "axes.grid": True, "grid.alpha": 0.3})
print("tinynet", tn.__version__, "| backend:", tn.backend_name())

# %% [markdown]
# ## 1. Why float64: error versus $\varepsilon$
#
# The error of the central difference has two parts:
#
# * **truncation** $\approx \tfrac16 \varepsilon^2 |f'''|$ — shrinks with $\varepsilon$;
# * **rounding** $\approx u\,|f|/\varepsilon$, where $u$ is the unit roundoff
#   ($6\times10^{-8}$ in float32, $1.1\times10^{-16}$ in float64) — *grows* as
#   $\varepsilon$ shrinks, because $f(x+\varepsilon)$ and $f(x-\varepsilon)$ agree in
#   more and more digits and their difference is mostly noise.
#
# The best $\varepsilon$ balances them, at about $u^{1/3}$. We measure it for
# $f(x) = \tanh(x)$ at $x = 0.7$, evaluated by tinynet in each dtype:

# %%
x0 = 0.7
exact = 1 - np.tanh(x0) ** 2
epsilons = np.logspace(-12, 0, 49)
errors = {}
for dtype in ("float32", "float64"):
    def f(a, dtype=dtype):
        return tn.tensor(a, dtype=dtype).tanh().item()

    errors[dtype] = np.array([
        abs(tn.central_difference(f, np.array(x0, dtype=dtype), eps=float(e)).item() - exact)
        for e in epsilons
    ])

fig, ax = plt.subplots()
for dtype, err in errors.items():
    ax.loglog(epsilons, np.maximum(err, 1e-17), "o-", ms=3, label=dtype)
ax.loglog(epsilons, epsilons**2 * abs(2 * np.tanh(x0) ** 2 * 3 - 2) / 6 * (1 - np.tanh(x0) ** 2),
          "k:", label="truncation $\\varepsilon^2|f'''|/6$")
ax.set_xlabel("step $\\varepsilon$"); ax.set_ylabel("|numerical - exact|")
ax.set_title("central difference of tanh at 0.7")
ax.legend(); plt.show()
for dtype, err in errors.items():
    best = int(np.argmin(err))
    print(f"{dtype}: best eps ~ 1e{np.log10(epsilons[best]):.0f}, smallest error ~ 1e{np.log10(err[best]):.0f}")

# %% [markdown]
# The V shapes are the two error terms. Left of the minimum, rounding dominates (the
# ragged part); right of it, truncation (the straight line of slope 2). In float64
# the best error is about $10^{-12}$ and $\varepsilon = 10^{-6}$ still gives about
# $10^{-10}$. In float32 the best is about $10^{-6}$, reached only with a large
# $\varepsilon \approx 10^{-2}$ that depends on the unknown $f'''$; at the usual
# $\varepsilon = 10^{-6}$ float32 has essentially no correct digits (error ≈ 0.1). That is why
# `tn.gradcheck` refuses float32 inputs unless told otherwise:

# %% tags=["deterministic"]
x32 = tn.tensor([0.3, -1.2, 2.0], requires_grad=True)   # float32 by default
try:
    tn.gradcheck(lambda t: t.tanh(), x32)
except TypeError as exc:
    print("TypeError:", exc)

# %% [markdown]
# ## 2. gradcheck on a correct operation
#
# `gradcheck(fn, *inputs)` compares tinynet's backward with central differences for
# every input that requires a gradient. For a non-scalar output it checks the
# vector–Jacobian product with a fixed random vector, which catches any wrong
# Jacobian entry with probability 1.

# %% tags=["deterministic"]
rng = np.random.default_rng(0)
a = tn.tensor(rng.standard_normal((3, 4)), requires_grad=True)   # numpy float64 stays float64
B = tn.tensor(rng.standard_normal((4, 2)), requires_grad=True)
print(a.dtype, tn.gradcheck(lambda a, B: (a @ B).tanh().sum(axis=0), a, B))

# %% [markdown]
# ## 3. What a failing check looks like
#
# Here is a new operation, softplus $f(x) = \log(1 + e^x)$, with derivative
# $f'(x) = \sigma(x)$. The buggy version below forgets that the chain rule must
# multiply by the incoming gradient — a classic mistake — and uses $e^x/(1+e^x)^2$
# (that is $\sigma'$, not $\sigma$). Writing an operation means subclassing
# `tn.Function` (see [docs/architecture.md](../docs/architecture.md#adding-a-differentiable-operation)):

# %%
from tinynet.backend import xp


class Softplus(tn.Function):
    """softplus(x) = log(1 + e^x), computed stably as max(x, 0) + log1p(e^-|x|)."""

    def forward(self, x):
        self.x = x
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad):
        return (grad / (1 + xp.exp(-self.x)),)          # grad * sigmoid(x)


class BuggySoftplus(Softplus):
    def backward(self, grad):
        e = xp.exp(self.x)
        return (e / (1 + e) ** 2,)                      # sigma'(x), and no grad factor


x = tn.tensor(np.array([-2.0, -0.5, 0.5, 2.0]), requires_grad=True)
print("correct softplus:", tn.gradcheck(lambda t: Softplus.apply(t), x))
try:
    tn.gradcheck(lambda t: BuggySoftplus.apply(t), x)
except tn.GradcheckError as exc:
    print(exc)

# %% [markdown]
# The report names the input, the number of disagreeing elements, the worst one with
# both values and errors, both gradients in full, and the usual causes. One of those
# causes is not a bug at all: a **kink**. ReLU has no derivative at 0; the central
# difference straddles the kink and averages the two slopes (0.5), while tinynet, like
# PyTorch, uses 0 there:

# %% tags=["deterministic"]
x = tn.tensor(np.array([-1.0, 0.0, 1.0]), requires_grad=True)
print("numerical :", tn.numerical_grad(lambda t: t.relu(), x)[0])
ok = tn.gradcheck(lambda t: t.relu(), x, raise_exception=False)
print("gradcheck passes at the kink?", ok)

# %% [markdown]
# (The numerical values are for the projected output $\sum_j w_j\,\mathrm{relu}(x_j)$
# with gradcheck's fixed random $w$; the middle one is $w_1/2$.) Property tests therefore
# keep inputs away from kinks (`tinynet.testing.away_from`).
#
# ## 4. How an instructor property-tests a new operation
#
# A single input can be lucky. [Hypothesis](https://hypothesis.readthedocs.io) draws
# many inputs — shapes, values, edge cases — and shrinks any failure to a minimal
# example. `tinynet.testing` provides strategies that keep the values where finite
# differences are reliable. A test for the new softplus is four lines; a test suite
# would put it in `tests/` and let pytest run it. Here we call it directly:

# %% tags=["deterministic"]
from hypothesis import given, settings

from tinynet.testing import float64_tensors, shapes


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(float64_tensors(shapes(min_dims=0, max_dims=2)))
def test_softplus_gradient(x):
    assert tn.gradcheck(lambda t: Softplus.apply(t), x)


test_softplus_gradient()
print("softplus: 40 random inputs passed")


# %% [markdown]
# The same test against the buggy version fails, and hypothesis reports the simplest
# input it could find that fails:

# %%
@settings(max_examples=40, deadline=None, database=None, derandomize=True, print_blob=False)
@given(float64_tensors(shapes(min_dims=0, max_dims=2)))
def test_buggy_softplus_gradient(x):
    assert tn.gradcheck(lambda t: BuggySoftplus.apply(t), x)


try:
    test_buggy_softplus_gradient()
except tn.GradcheckError as exc:
    print("hypothesis found a failing input; first line of the report:")
    print(" ", str(exc).splitlines()[0])

# %% [markdown]
# ## Summary
#
# * Central differences are the referee for gradients; use **float64**
#   ($\varepsilon\approx10^{-6}$ gives ~10 correct digits; float32 gives almost none).
# * `tn.gradcheck` prints a report that says where and by how much the gradients disagree.
# * Disagreement at a kink (ReLU at 0, `abs` at 0, `clip` at its bounds) is expected.
# * New operations are tested on many random inputs with hypothesis and
#   `tinynet.testing`'s strategies.


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
# ### Exercise 1 — the backward of a cube
#
# Complete `Cube.backward` for $y = x^3$. Remember the chain rule: `backward` receives the
# gradient of the loss with respect to $y$ and must multiply it by the local derivative.

# %%
class Cube(tn.Function):
    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad):
        raise NotImplementedError("return (gradient with respect to x,)")


# %% tags=["check", "deterministic"]
from tinynet.testing import float64_tensors, shapes


def check_exercise_1(op):
    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(float64_tensors(shapes(max_dims=2)))
    def test(x):
        tn.gradcheck(lambda t: op.apply(t), x)

    run_check("Exercise 1", test)


check_exercise_1(Cube)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
class CubeSolution(Cube):
    def backward(self, grad):
        return (grad * 3 * self.x**2,)


check_exercise_1(CubeSolution)


# %% [markdown]
# ### Exercise 2 — two inputs: the length of a vector
#
# $r = \sqrt{x^2 + y^2}$ (elementwise). Complete `Hypot.backward`, which returns one
# gradient per input. The test keeps the inputs away from 0 with
# `tinynet.testing.positive_arrays`: at $x = y = 0$ the function has a kink, like ReLU.

# %%
class Hypot(tn.Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        self.r = xp.sqrt(x * x + y * y)
        return self.r

    def backward(self, grad):
        raise NotImplementedError("return (gradient for x, gradient for y)")


# %% tags=["check", "deterministic"]
from tinynet.testing import as_tensor, positive_arrays


def check_exercise_2(op):
    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(positive_arrays((2, 3)), positive_arrays((2, 3)))
    def test(x, y):
        tn.gradcheck(lambda a, b: op.apply(a, b), as_tensor(x), as_tensor(-y))

    run_check("Exercise 2", test)


check_exercise_2(Hypot)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
class HypotSolution(Hypot):
    def backward(self, grad):
        return grad * self.x / self.r, grad * self.y / self.r


check_exercise_2(HypotSolution)
