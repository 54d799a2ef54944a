# %% [markdown]
# # 10 · Graduating to PyTorch
#
# **One idea:** everything you built with tinynet — layers, a loss, an optimizer, a
# training loop — exists in PyTorch under nearly the same names. A trained tinynet model
# moves across **without changing a prediction**, training continues there, and it can
# come back. The only real difference on the way is the layout of a `Dense` weight.
#
# `tinynet.interop` does the moving: `to_torch(model)`, `from_torch(module)` and
# `load_checkpoint_to_torch(path)`. PyTorch is imported only when you call them; this
# notebook needs it (`pip install "tinynet[notebooks]"` installs it, or see
# [pytorch.org](https://pytorch.org/get-started) for a CPU-only wheel).

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinynet as tn

np.set_printoptions(precision=4, suppress=True)
plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (6, 4), "axes.grid": True, "grid.alpha": 0.3})
print("tinynet", tn.__version__, "| backend:", tn.backend_name())

import tempfile
from pathlib import Path

import torch

from tinynet.interop import from_torch, load_checkpoint_to_torch, to_torch
from tinynet.train import TrainConfig, evaluate, fit, load_data, save_run

torch.manual_seed(0)
print("torch", torch.__version__, "| threads:", torch.get_num_threads())

# %% [markdown]
# ## 1. Train in tinynet
#
# The `tinynet train` recipe of notebook 07 (MLP 64-256-128-10, Adam, standardised
# digits), for 10 epochs only: PyTorch will do the rest. `save_run` writes the checkpoint
# that `tinynet train --out DIR` writes.

# %%
config = TrainConfig(epochs=10)
data = load_data(config)
result = fit(config, data=data)
print(f"tinynet, {result.final['epochs_run']} epochs: test accuracy {100 * result.final['test_acc']:.2f}%")

run_dir = Path(tempfile.mkdtemp(prefix="tinynet-run-"))
paths = save_run(result, run_dir, plot=False)
print("checkpoint:", paths["checkpoint"].name)
print(result.model)

# %% [markdown]
# ## 2. The one difference: the weight's layout
#
# tinynet follows the source documents' row-vector convention, $Z = XW + b$ with $W$ of
# shape `(in, out)` ([F7](../docs/sources.md#f7)). PyTorch's `Linear` stores its weight as
# `(out, in)` and computes $Z = X W_{\text{torch}}^\top + b$. The same layer therefore has
# $W_{\text{torch}} = W^\top$: the conversion copies the transposed weight and the same bias.

# %% tags=["deterministic"]
layer = tn.nn.Dense(3, 2, seed=0)
linear = to_torch(tn.nn.Sequential(layer))[0]
print("tinynet Dense weight", layer.weight.shape, "  PyTorch Linear weight", tuple(linear.weight.shape))
print("W_torch == W.T:", np.array_equal(linear.weight.detach().numpy(), layer.weight.numpy().T))
x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
print("tinynet x W + b       :", layer(x).numpy())
print("PyTorch x W_torch.T + b:", linear(torch.from_numpy(x)).detach().numpy())

# %% [markdown]
# ## 3. Load the checkpoint into PyTorch
#
# `load_checkpoint_to_torch` rebuilds the tinynet model with `tinynet.train.load_checkpoint`
# and converts it. New inputs need the standardisation the training data had; the
# checkpoint carries its mean and standard deviation.

# %%
tmodel, ckpt = load_checkpoint_to_torch(paths["checkpoint"])
print(tmodel)

raw_test, labels_test = tn.datasets.load_digits("test")
norm = ckpt["normalization"]
X_test = ((raw_test - norm["mean"]) / norm["std"]).astype(np.float32)

with tn.no_grad():
    tn_logits = result.model(tn.tensor(X_test)).numpy()
with torch.no_grad():
    torch_logits = tmodel(torch.from_numpy(X_test)).numpy()

same = (tn_logits.argmax(1) == torch_logits.argmax(1)).sum()
print(f"predictions that agree: {same} of {len(X_test)}")
print(f"test accuracy: tinynet {100 * (tn_logits.argmax(1) == labels_test).mean():.2f}%, "
      f"PyTorch {100 * (torch_logits.argmax(1) == labels_test).mean():.2f}%")
print(f"largest logit difference: {np.abs(tn_logits - torch_logits).max():.2e} "
      f"(logits up to {np.abs(tn_logits).max():.1f})")

# %%
fig, ax = plt.subplots(figsize=(4.5, 4.2))
ax.scatter(tn_logits.ravel(), torch_logits.ravel(), s=4, alpha=0.4)
lim = [tn_logits.min() - 1, tn_logits.max() + 1]
ax.plot(lim, lim, color="0.5", lw=0.8)
ax.set_xlabel("tinynet logit"); ax.set_ylabel("PyTorch logit")
ax.set_title(f"{tn_logits.size} test logits, one model in two frameworks", fontsize=10); plt.show()

# %% [markdown]
# **Why not bit-for-bit?** Both compute in float32, but the matrix products are summed in
# a different order (numpy's BLAS and PyTorch's own kernels), and float32 addition is not
# associative. The difference is rounding: a few millionths on logits of size ten or so,
# far below what could change a prediction here. In float64 the same comparison shrinks to
# about $10^{-14}$:

# %%
model64 = from_torch(tmodel.double())          # the same weights in float64, both sides
X64 = X_test.astype(np.float64)
with tn.no_grad():
    a = model64(tn.tensor(X64)).numpy()
with torch.no_grad():
    b = tmodel(torch.from_numpy(X64)).numpy()
print(f"float64: largest logit difference {np.abs(a - b).max():.1e}")
tmodel = tmodel.float()                          # back to float32 for training

# %% [markdown]
# ## 4. Continue training in PyTorch
#
# The loop below is the tinynet loop of notebook 07 in PyTorch's words: `DataLoader`,
# `cross_entropy`, `Adam`, `zero_grad` / `backward` / `step`. Only the optimizer starts
# afresh: Adam's running averages of the gradients stay behind in tinynet (its state dict
# holds them, transposed like the weights, if you want them), so the first steps in
# PyTorch differ slightly from an uninterrupted tinynet run.

# %%
from torch.utils.data import DataLoader, TensorDataset

train_set = TensorDataset(torch.from_numpy(data.X_train), torch.from_numpy(data.y_train))
loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
opt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
X_test_t, y_test_t = torch.from_numpy(data.X_test), torch.from_numpy(data.y_test)

torch_history = []
for epoch in range(11, 21):
    tmodel.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(xb), yb)
        loss.backward()
        opt.step()
    tmodel.eval()
    with torch.no_grad():
        test_acc = (tmodel(X_test_t).argmax(1) == y_test_t).float().mean().item()
    torch_history.append({"epoch": epoch, "test_acc": test_acc})
print(f"PyTorch, epochs 11-20: test accuracy {100 * torch_history[-1]['test_acc']:.2f}%")

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot([r["epoch"] for r in result.history], [100 * r["test_acc"] for r in result.history], "o-", label="tinynet")
ax.plot([r["epoch"] for r in torch_history], [100 * r["test_acc"] for r in torch_history], "s-", label="PyTorch")
ax.axvline(10.5, color="0.5", ls="--", lw=0.8); ax.text(10.6, 91, "hand-over", fontsize=9, color="0.4")
ax.set_xlabel("epoch"); ax.set_ylabel("test accuracy (%)"); ax.set_ylim(90, 100.5); ax.legend()
ax.set_title("one training run, two frameworks", fontsize=10); plt.show()

# %% [markdown]
# ## 5. And back
#
# `from_torch` brings the PyTorch model home: each `Linear` becomes a `Dense` with the
# transposed weight. tinynet's `evaluate` then gives PyTorch's predictions.

# %%
back = from_torch(tmodel)
print(back)
_, back_acc, back_pred = evaluate(back, data.X_test, data.y_test)
with torch.no_grad():
    torch_pred = tmodel(X_test_t).argmax(1).numpy()
print(f"predictions that agree: {(back_pred == torch_pred).sum()} of {len(torch_pred)}; "
      f"test accuracy in tinynet {100 * back_acc:.2f}%")

# %% [markdown]
# Modules tinynet has no layer for are refused, by name, rather than converted into
# something that computes otherwise:

# %% tags=["deterministic"]
try:
    from_torch(torch.nn.Sequential(torch.nn.Linear(64, 10), torch.nn.Dropout(0.2)))
except TypeError as err:
    print("TypeError:", err)

# %% [markdown]
# ## 6. Beyond one machine
#
# tinynet runs in one process, on one CPU or one GPU, and stays that way: it is for
# seeing how a framework works, not for training at scale. When a model or a data set
# outgrows one machine, PyTorch is where to go, and the idea behind its most common tool
# is one you can already check here.
#
# **Data parallelism.** With $K$ workers, each holds a full copy of the model, takes its
# own shard of the batch, and computes the gradient of its shard's mean loss. Averaging
# the $K$ gradients gives the gradient of the whole batch's mean loss (for equal shards),
# so every copy takes the same step and the copies stay identical. Here are four "workers"
# simulated one after the other, in float64:

# %%
worker_model = from_torch(tmodel.double())
xb, yb = data.X_train[:64].astype(np.float64), data.y_train[:64]


def gradients(X, y):
    worker_model.zero_grad()
    tn.nn.functional.cross_entropy(worker_model(tn.tensor(X)), y).backward()
    return [p.grad.numpy() for p in worker_model.parameters()]


full = gradients(xb, yb)
shards = [gradients(xb[k::4], yb[k::4]) for k in range(4)]      # 4 shards of 16
averaged = [np.mean(gs, axis=0) for gs in zip(*shards)]          # what an all-reduce computes
print(f"largest difference, full-batch gradient vs average of 4 shards: "
      f"{max(np.abs(f - a).max() for f, a in zip(full, averaged)):.1e}")
tmodel = tmodel.float()

# %% [markdown]
# In PyTorch this is `torch.nn.parallel.DistributedDataParallel` (DDP) on top of
# `torch.distributed`: `torchrun` starts one process per GPU (or per CPU worker), on one
# machine or many; a `DistributedSampler` hands each process its shard; during
# `backward()` DDP averages the gradients across processes with an *all-reduce*, bucket
# by bucket while the rest of the backward pass is still running. The loop itself hardly
# changes. A sketch (not run here):
#
# ```python
# # train_ddp.py -- start with: torchrun --nproc_per_node=4 train_ddp.py
# import torch
# import torch.distributed as dist
# from torch.nn.parallel import DistributedDataParallel as DDP
# from torch.utils.data import DataLoader, DistributedSampler
#
# dist.init_process_group("gloo")          # "nccl" for NVIDIA GPUs
# model = DDP(tmodel)                      # every process starts from the same weights
# sampler = DistributedSampler(train_set)  # each process gets its own shard
# loader = DataLoader(train_set, batch_size=32, sampler=sampler)
# opt = torch.optim.Adam(model.parameters(), lr=1e-3)
# for epoch in range(10):
#     sampler.set_epoch(epoch)             # a new shuffle every epoch, the same on all processes
#     for xb, yb in loader:
#         opt.zero_grad()
#         torch.nn.functional.cross_entropy(model(xb), yb).backward()  # gradients averaged here
#         opt.step()
# dist.destroy_process_group()
# ```
#
# When the model itself no longer fits on one device, PyTorch shards the parameters, the
# gradients and the optimizer state across the workers too (Fully Sharded Data Parallel,
# `torch.distributed.fsdp`). Read PyTorch's own tutorials on distributed training next:
# the ideas you have met in tinynet — a graph, a backward pass, gradients that are summed
# — are exactly what those tools distribute.

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer, a cell tagged `check` that tests it, and a
# collapsed solution (click the bar on its left to open it) that passes the same test. The
# checks compare with finite differences (`tn.gradcheck`) or with tinynet's autograd, on
# inputs drawn by `tinynet.testing`, so any correct answer passes.

# %%
from tinynet.testing import run_check  # prints "correct" or "not done yet"

# %% [markdown]
# ### Exercise 1 — a layer in PyTorch's layout
#
# Write the backward of PyTorch's `Linear`, $Z = X W_t^\top + b$ with $W_t$ of shape
# `(out, in)`, as a tinynet `Function`: return $\partial L/\partial X$,
# $\partial L/\partial W_t$ and $\partial L/\partial b$ from the incoming gradient
# $\bar Z$. (Compare with tinynet's `Dense`: $\partial L/\partial W = X^\top \bar Z$.)

# %%
class TorchLinear(tn.Function):
    def forward(self, x, w_t, b):
        self.x, self.w_t = x, w_t
        return x @ w_t.T + b

    def backward(self, grad):
        raise NotImplementedError("return (dL/dx, dL/dw_t, dL/db)")


# %% tags=["check", "deterministic"]
from hypothesis import given, settings

from tinynet.testing import float64_tensors


def check_exercise_1(op):
    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(float64_tensors((4, 3)), float64_tensors((2, 3)), float64_tensors((2,)))
    def test(x, w_t, b):
        tn.gradcheck(lambda x, w_t, b: op.apply(x, w_t, b), x, w_t, b)

    run_check("Exercise 1", test)


check_exercise_1(TorchLinear)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
class TorchLinearSolution(TorchLinear):
    def backward(self, grad):
        # Z = X W_t^T + b: dX = Z̄ W_t, dW_t = Z̄^T X (the transpose of Dense's X^T Z̄), db = Σ_rows Z̄
        return grad @ self.w_t, grad.T @ self.x, grad.sum(axis=0)


check_exercise_1(TorchLinearSolution)


# %% [markdown]
# ### Exercise 2 — shards of different sizes
#
# Averaging the workers' gradients is right only when every shard has the same number of
# samples (PyTorch's `DistributedSampler` pads the data so that they do). Write how to
# combine the per-shard gradients `grads[k]` (each the gradient of *its shard's mean*
# loss) of shards with `sizes[k]` samples into the gradient of the mean loss over all
# samples.

# %%
def combine(grads, sizes):
    """grads: a list of arrays of the same shape, one per shard; sizes: samples per shard."""
    raise NotImplementedError("return the gradient of the mean loss over all samples")


# %% tags=["check", "deterministic"]
from hypothesis import strategies as st

from tinynet.testing import float64_arrays


def check_exercise_2(combine):
    def grad_of_mean_loss(w, X, y):
        w = tn.tensor(w, requires_grad=True)
        ((tn.tensor(X) @ w - tn.tensor(y)) ** 2).mean().backward()
        return w.grad.numpy()

    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(float64_arrays((12, 3)), float64_arrays((12,)), float64_arrays((3,)),
           st.lists(st.integers(1, 5), min_size=1, max_size=4))
    def test(X, y, w, cuts):
        edges = np.cumsum([0, *cuts])
        edges = edges[edges < 12].tolist() + [12]
        shards = [(X[a:b], y[a:b]) for a, b in zip(edges[:-1], edges[1:])]
        grads = [grad_of_mean_loss(w, Xs, ys) for Xs, ys in shards]
        got = combine(grads, [len(ys) for _, ys in shards])
        np.testing.assert_allclose(got, grad_of_mean_loss(w, X, y), rtol=1e-10, atol=1e-10)

    run_check("Exercise 2", test)


check_exercise_2(combine)

# %% jupyter={"source_hidden": true} tags=["solution", "deterministic"]
def combine_solution(grads, sizes):
    # each shard's mean times its size is its sum; add the sums, divide by all samples
    return sum(n * g for g, n in zip(grads, sizes)) / sum(sizes)


check_exercise_2(combine_solution)
