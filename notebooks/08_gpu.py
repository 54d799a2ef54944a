# %% [markdown]
# # 08 · The same training on a GPU (cupy)
#
# **One idea:** tinynet's autograd never calls numpy directly; it calls `xp`, which is
# either numpy or cupy (whose API mirrors numpy's). So the same code trains on an NVIDIA
# GPU — and whether that is faster depends on how much work each operation does.
#
# The backend is chosen **once, at import**, from the environment variable
# `TINYNET_BACKEND` (`numpy`, `cupy`, or `auto` = cupy if a GPU is usable). A running
# process cannot switch, so this notebook runs the numpy part here and the cupy part in
# a **subprocess** started with `TINYNET_BACKEND=cupy`. Install the GPU extra with
# `pip install "tinynet[gpu]"` (it needs a CUDA 12 driver).

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinynet as tn

np.set_printoptions(precision=4, suppress=True)
plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (6, 4), "axes.grid": True, "grid.alpha": 0.3})
print("tinynet", tn.__version__, "| backend:", tn.backend_name())

import json
import os
import subprocess
import sys

from tinynet.backend import cupy_status
from tinynet.train import TrainConfig, fit, load_data

_, reason = cupy_status()
print("this kernel's backend:", tn.backend_name())
print("cupy here:", reason)

# %% [markdown]
# Two workloads on the digits data:
#
# * **default** — the `tinynet train` recipe: 64-256-128-10, batches of 32. Each step
#   multiplies tiny matrices; on a GPU every operation costs a kernel launch (a few
#   microseconds) whatever its size, so small steps are dominated by overhead.
# * **wide** — 64-2048-2048-10 with batches of 256, 3 epochs: each step is about
#   7 GFLOP (forward and backward), where the GPU's arithmetic throughput should show.

# %%
configs = {
    "default": {},
    "wide": {"hidden": [2048, 2048], "batch_size": 256, "epochs": 3},
}
data = load_data(TrainConfig())
numpy_runs = {}
for name, kwargs in configs.items():
    r = fit(TrainConfig(**kwargs), progress=False, data=data)
    numpy_runs[name] = {k: r.final[k] for k in ("test_acc", "train_time_s", "steps", "steps_per_s")}
    print(f"numpy {name:8s}: {r.final['steps']:5d} steps in {r.final['train_time_s']:6.2f} s "
          f"({r.final['steps_per_s']:7.1f} steps/s), test accuracy {100 * r.final['test_acc']:.2f}%")

# %% [markdown]
# Now the same two runs with `TINYNET_BACKEND=cupy`, in a fresh Python process. If cupy
# or a GPU is missing, tinynet refuses to start with that backend and says why; the
# notebook prints that reason instead of GPU timings.

# %%
GPU_SCRIPT = '\nimport json, sys, time\nimport tinynet as tn\nfrom tinynet.train import TrainConfig, fit, load_data\n\nconfigs = json.loads(sys.argv[1])\nout = {"backend": tn.backend_name(), "runs": {}}\ndata = load_data(TrainConfig())\nfit(TrainConfig(epochs=1), progress=False, data=data)          # warm-up: CUDA kernels compile on first use\nfor name, kwargs in configs.items():\n    r = fit(TrainConfig(**kwargs), progress=False, data=data)\n    out["runs"][name] = {k: r.final[k] for k in ("test_acc", "train_time_s", "steps", "steps_per_s")}\ntry:\n    import cupy\n    name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]\n    out["device"] = name.decode() if isinstance(name, bytes) else str(name)\nexcept Exception:\n    out["device"] = "(no cupy device)"\nprint(json.dumps(out))\n'
proc = subprocess.run(
    [sys.executable, "-c", GPU_SCRIPT, json.dumps(configs)],
    env={**os.environ, "TINYNET_BACKEND": "cupy"}, capture_output=True, text=True, timeout=300,
)
if proc.returncode == 0:
    gpu = json.loads(proc.stdout.strip().splitlines()[-1])
    print("GPU:", gpu["device"])
    for name, r in gpu["runs"].items():
        print(f"cupy  {name:8s}: {r['steps']:5d} steps in {r['train_time_s']:6.2f} s "
              f"({r['steps_per_s']:7.1f} steps/s), test accuracy {100 * r['test_acc']:.2f}%")
else:
    gpu = None
    last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
    print("NOTE: no GPU run in this environment -- only the numpy timings above are real.")
    print("      The cupy subprocess said:", last)

# %%
names = list(configs)
fig, ax = plt.subplots(figsize=(6, 3.5))
x = np.arange(len(names))
threads = os.environ.get("OPENBLAS_NUM_THREADS", "default number of")
ax.bar(x - 0.2, [numpy_runs[n]["steps_per_s"] for n in names], 0.4, label=f"numpy ({threads} BLAS thread(s))")
if gpu is not None:
    ax.bar(x + 0.2, [gpu["runs"][n]["steps_per_s"] for n in names], 0.4, label="cupy (" + gpu["device"] + ")")
else:
    for xi in x:
        ax.text(xi + 0.2, 0.5, "no GPU\nhere", ha="center", va="center", fontsize=9, color="0.4",
                transform=ax.get_xaxis_transform())
ax.set_xticks(x, names); ax.set_xlim(-0.6, len(names) - 0.4)
ax.set_yscale("log"); ax.set_ylabel("training steps per second")
ax.legend(fontsize=8); ax.set_title("throughput by backend (higher is better)"); plt.show()

# %% [markdown]
# **Reading the result.** With a GPU, expect the *wide* workload to run many times
# faster on cupy, and the *default* one to gain little or even lose: its matrices are
# too small to keep a GPU busy, so per-operation overhead dominates (a CPU with numpy
# handles a 32×64 by 64×256 product in microseconds). Larger batches and wider layers
# are how GPUs earn their keep.
#
# **Same seed, same numbers?** The initial weights and the batch order are drawn on the
# host with numpy, so they are identical on both backends. The arithmetic is not: GPU
# reductions add in a different order, so float32 results differ in the last bits and
# the runs drift apart slightly (the test accuracies are close, not equal). Within one
# backend a seed reproduces a run exactly (`tests/test_train.py`).
#
# To run the whole test suite on a GPU: `TINYNET_BACKEND=cupy python -m pytest`.


# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer, a cell tagged `check` that tests it, and a
# collapsed solution (click the bar on its left to open it) that passes the same test. The
# tests compare your derivatives with finite differences (`tn.gradcheck`, on inputs drawn by `tinynet.testing`), so they accept any correct
# answer, not just one formula. Instructors: the pattern (answer cell, `check` cell,
# hidden `solution` cell) is all it takes to add an exercise.

# %% [markdown]
# ### Exercise 1 — an operation that runs on both backends
#
# An operation that calls `xp` (numpy or cupy, whichever tinynet chose) instead of `np`
# runs unchanged on a GPU. Write the backward of swish, $s(x) = x\,\sigma(x)$, using `xp`
# only: $s'(x) = \sigma(x) + x\,\sigma(x)(1-\sigma(x))$.

# %%
from tinynet.backend import xp
from tinynet.testing import run_check  # prints "correct" or "not done yet"


class Swish(tn.Function):
    def forward(self, x):
        self.x = x
        self.sig = 1 / (1 + xp.exp(-x))
        return x * self.sig

    def backward(self, grad):
        raise NotImplementedError("return (dL/dx,), computed with xp")


# %% tags=["check", "deterministic"]
from hypothesis import given, settings

from tinynet.testing import float64_tensors, shapes


def check_exercise_1(op):
    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(float64_tensors(shapes(max_dims=2)))
    def test(x):
        tn.gradcheck(lambda t: op.apply(t), x)

    run_check("Exercise 1", test)


check_exercise_1(Swish)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
class SwishSolution(Swish):
    def backward(self, grad):
        return (grad * (self.sig + self.x * self.sig * (1 - self.sig)),)


check_exercise_1(SwishSolution)


# %% [markdown]
# ### Exercise 2 — normalising rows, on any backend
#
# $y = x / \lVert x\rVert$ for each row $x$ (a common step before a dot-product
# similarity). Write its backward with `xp`: for a row,
# $\partial L/\partial x = (g - y\,(y\cdot g))/\lVert x\rVert$. The test keeps the rows away
# from 0, where the function is not differentiable.

# %%
class NormalizeRows(tn.Function):
    def forward(self, x):
        self.norm = xp.sqrt((x * x).sum(axis=1, keepdims=True))
        self.y = x / self.norm
        return self.y

    def backward(self, g):
        raise NotImplementedError("return (dL/dx,)")


# %% tags=["check", "deterministic"]
from tinynet.testing import as_tensor, positive_arrays


def check_exercise_2(op):
    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(positive_arrays((3, 4)))
    def test(x):
        tn.gradcheck(lambda t: op.apply(t), as_tensor(x * np.array([1.0, -1.0, 1.0, -1.0])))

    run_check("Exercise 2", test)


check_exercise_2(NormalizeRows)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
class NormalizeRowsSolution(NormalizeRows):
    def backward(self, g):
        y = self.y
        return ((g - y * (y * g).sum(axis=1, keepdims=True)) / self.norm,)


check_exercise_2(NormalizeRowsSolution)
