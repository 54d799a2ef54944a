"""Measuring, through the worker processes: timings, the agreement check, the micro-benchmark."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import common
from benchmarks.worker import Worker


@dataclass
class CellConfig:
    budget_s: float  # time for the interleaved rounds of one cell
    block_s: float  # target duration of one timed block of steps
    warmup_s: float
    min_rounds: int
    max_rounds: int = 1000


def measure_round_robin(workers: dict[str, Worker], cfg: CellConfig) -> common.Timing:
    """Time the step that each worker has set up, interleaved.

    1. Warm-up: each worker runs its step for ``warmup_s`` (at least 3 steps) --
       caches, lazy allocations, optimizer state, thread pools.
    2. Each worker gets a block length of ``k`` steps so that one block lasts about
       ``block_s`` (timer resolution and the request round trip are then negligible;
       the clock runs inside the worker).
    3. Rounds: each round times one block of every worker, in an order rotated by one
       each round, and records block time / k. Rounds repeat until ``budget_s`` is
       spent, but at least ``min_rounds``.
    """
    names = list(workers)
    timing = common.Timing({n: [] for n in names}, {}, 0, {n: [] for n in names})
    for name in names:
        per_step = workers[name].call("warmup", seconds=cfg.warmup_s)["per_step"]
        timing.steps_per_block[name] = max(1, round(cfg.block_s / max(per_step, 1e-9)))
    start = time.perf_counter()
    r = 0
    while r < cfg.min_rounds or (time.perf_counter() - start < cfg.budget_s and r < cfg.max_rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            k = timing.steps_per_block[name]
            reply = workers[name].call("time", steps=k)
            timing.samples[name].append(reply["seconds"] / k)
            timing.faults[name].append(reply["minor_faults"] / k)
        r += 1
    timing.rounds = r
    return timing


def run_cell(
    workers: dict[str, Worker],
    reference: str,
    size: str,
    dtype: str,
    cfg: CellConfig,
    device: str,
) -> list[dict[str, Any]]:
    """Time every implementation on one (size, dtype); one row per implementation."""
    for w in workers.values():
        w.call("train", size=size, dtype=dtype)
    timing = measure_round_robin(workers, cfg)
    widths, batch = common.SIZES[size]
    rows = []
    for name in workers:
        st = timing.stats(name)
        rows.append(
            {
                "size": size,
                "widths": list(widths),
                "batch": batch,
                "dtype": dtype,
                "device": device,
                "impl": name,
                "reference": reference,
                "median_s": st.median,
                "q1_s": st.q1,
                "q3_s": st.q3,
                "min_s": st.min,
                "max_s": st.max,
                "rounds": timing.rounds,
                "steps_per_block": timing.steps_per_block[name],
                "minor_page_faults_per_step": float(np.median(timing.faults[name])),
                "ratio_vs_reference": (
                    timing.ratio(name, reference).as_dict() if name != reference else None
                ),
                "ratio_vs": {o: timing.ratio(name, o).median for o in workers if o != name},
            }
        )
    return rows


# --------------------------------------------------------------------------- agreement
#: Tolerances per dtype: loss (relative to max(1, |loss|)), first-step gradient and
#: parameters after the last step (both as ||x - x_ref|| / ||ref||; for parameters
#: ref is the reference's own update theta_ref - theta_0).
#:
#: float64 is where "same math" is proven: rounding differences are ~1e-16 and the
#: measured errors are <= 1e-13, while any different formula -- a missing 1/N, a
#: different bias correction or eps placement, a dropped bias gradient -- is off by
#: far more than these tolerances. (The gradient check matters: Adam is nearly
#: invariant to the scale of the gradient, so a missing 1/N would barely show in the
#: parameters.)
#:
#: float32 gets sanity tolerances. Sums in a different order (OpenBLAS vs. PyTorch's
#: kernels) change results by ~1e-7 relative, and two things amplify that: Adam
#: divides each coordinate by its own RMS, so coordinates whose gradient is ~eps
#: move by a visible fraction of lr; and a pre-activation that rounds to the other
#: side of ReLU's kink flips a whole unit's gradient for that sample. Measured on
#: the large MLP after 5 steps: numpy and tinynet float32 are 2e-5 from the float64
#: trajectory, PyTorch float32 9e-3 (its first-layer gradient already differs by 4%
#: in one unit whose pre-activation sits at 0 within float32 rounding).
TOLERANCES = {
    "float32": {"loss": 2e-3, "grad": 2e-2, "params": 5e-2},
    "float64": {"loss": 1e-10, "grad": 1e-10, "params": 1e-8},
}


def _rel(x: np.ndarray, ref: np.ndarray, scale: np.ndarray | None = None) -> float:
    norm = float(np.linalg.norm(ref if scale is None else scale))
    return float(np.linalg.norm(x - ref)) / max(norm, 1e-300)


def agreement(
    workers: dict[str, Worker],
    reference: str,
    size: str,
    dtype: str,
    steps: int = 5,
) -> list[dict[str, Any]]:
    """Run *steps* steps of every implementation from the shared start; compare to *reference*."""
    problem = common.make_problem(size)
    runs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, w in workers.items():
            path = str(Path(tmp) / f"{name}.npz")
            n = w.call("agree", size=size, dtype=dtype, steps=steps, path=path)["n_params"]
            with np.load(path) as f:
                params = np.concatenate([f[f"p{i}"].astype(np.float64).ravel() for i in range(n)])
                grads = np.concatenate([f[f"g{i}"].astype(np.float64).ravel() for i in range(n)])
                runs[name] = (f["losses"].astype(np.float64), grads, params)
    theta0 = np.concatenate(
        [a.astype(np.float64).ravel() for W, b in problem.weights_as(dtype) for a in (W, b)]
    )
    ref_losses, ref_grads, ref_theta = runs[reference]
    tol = TOLERANCES[dtype]
    rows = []
    for name, (losses, grads, theta) in runs.items():
        if name == reference:
            continue
        finite = bool(np.isfinite(losses).all() and np.isfinite(theta).all())
        d_loss = float(np.abs(losses - ref_losses).max())
        loss_rel = d_loss / max(1.0, float(np.abs(ref_losses).max()))
        grad_rel = _rel(grads, ref_grads)
        param_rel = _rel(theta, ref_theta, scale=ref_theta - theta0)
        ok = (
            finite
            and loss_rel <= tol["loss"]
            and grad_rel <= tol["grad"]
            and param_rel <= tol["params"]
        )
        rows.append(
            {
                "size": size,
                "dtype": dtype,
                "impl": name,
                "reference": reference,
                "steps": steps,
                "losses": losses.tolist(),
                "reference_losses": ref_losses.tolist(),
                "max_abs_loss_diff": d_loss,
                "first_step_grad_rel_error": grad_rel,
                "max_abs_param_diff": float(np.abs(theta - ref_theta).max()),
                "relative_update_error": param_rel,
                "tolerances": tol,
                "ok": ok,
            }
        )
    return rows


# --------------------------------------------------------------------------- per-op
def run_micro(workers: dict[str, Worker], cfg: CellConfig) -> list[dict[str, Any]]:
    """Per-iteration time of the micro-benchmark in each worker, round-robin."""
    setup = {n: w.call("micro") for n, w in workers.items()}
    timing = measure_round_robin(workers, cfg)
    rows = []
    for name in workers:
        st = timing.stats(name)
        k = setup[name]["inner"]
        rows.append(
            {
                "impl": name,
                "gradient_error": setup[name]["gradient_error"],
                "median_s": st.median / k,
                "q1_s": st.q1 / k,
                "q3_s": st.q3 / k,
                "min_s": st.min / k,
                "max_s": st.max / k,
                "rounds": timing.rounds,
                "ratio_vs_numpy": timing.ratio(name, "numpy").median
                if "numpy" in workers
                else None,
                # paired: the median of per-round ratios, as for the training step
                "ratio_vs": {
                    other: timing.ratio(name, other).median for other in workers if other != name
                },
            }
        )
    return rows
