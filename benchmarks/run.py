"""Entry point: ``python -m benchmarks`` (or ``python benchmarks/run.py``) from the repo root.

Measures, side by side in one run, the same MLP training step (forward, softmax
cross-entropy, backward, Adam) in tinynet, hand-written numpy, PyTorch (CPU) and
DeZero -- each in its own worker process, their timed blocks interleaved
round-robin (see :mod:`benchmarks.worker`) -- plus a per-op overhead
micro-benchmark, peak training memory (a fresh process per implementation), an
agreement check, and a GPU section (tinynet on cupy, hand-written cupy, PyTorch
CUDA) where cupy or CUDA is usable. Prints a Markdown report and writes it to
``benchmarks/results/latest.md``, with everything in ``benchmarks/results/latest.json``.
See ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tinynet._io import atomic_write_text

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Only the standard library above this line: numpy and torch size their thread pools
# when imported, so --threads must be in the environment first (see main()).

CPU_IMPLS = ("numpy", "tinynet", "torch", "dezero")
GPU_IMPLS = ("cupy", "tinynet-cupy", "torch-cuda")  # the first available is the reference
REFERENCE = "numpy"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="tinynet vs. hand-written numpy, PyTorch and DeZero on one MLP training step.",
    )
    p.add_argument("--quick", action="store_true", help="smoke-test mode: a few seconds")
    p.add_argument("--sizes", help="comma-separated subset of small,medium,large")
    p.add_argument("--dtypes", help="comma-separated subset of float32,float64")
    p.add_argument(
        "--impls", help=f"comma-separated subset of {','.join(CPU_IMPLS)} (numpy is always run)"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP/torch threads for every implementation (default 1, see docs)",
    )
    p.add_argument("--budget", type=float, help="seconds of timed rounds per (size, dtype) cell")
    p.add_argument("--out", default=None, help="results directory (default benchmarks/results)")
    p.add_argument(
        "--baseline",
        metavar="DIR",
        help="also time the tinynet in another checkout DIR (e.g. a worktree of the previous "
        "main) as 'tinynet-baseline', side by side in the same run",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    p.add_argument("--no-micro", action="store_true", help="skip the per-op micro-benchmark")
    p.add_argument("--no-gpu", action="store_true", help="skip the GPU section")
    p.add_argument(
        "--same-process",
        action="store_true",
        help="run the CPU implementations in this one process instead of one worker "
        "process each (they then share one heap: see docs/benchmarks.md)",
    )
    return p.parse_args(argv)


def _split(value: str | None, allowed: tuple[str, ...], default: tuple[str, ...]) -> list[str]:
    if not value:
        return list(default)
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad:
        raise SystemExit(f"unknown value(s) {bad}; expected some of {list(allowed)}")
    return items


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The report uses a few non-ASCII signs (µ, ×, Δ); never crash on a narrow terminal.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    # Before numpy/torch are imported anywhere in this process.
    os.environ["TINYNET_BACKEND"] = "numpy"
    from benchmarks.threads import set_thread_env

    set_thread_env(args.threads)
    return _run(args)


def _subprocess_env() -> dict[str, str]:
    from benchmarks.common import REPO_ROOT

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return env


def _gpu_precheck() -> dict[str, str]:
    """GPU workers that cannot possibly run, and why (saves starting them to find out)."""
    from importlib import metadata, util

    out = {}
    if util.find_spec("cupy") is None:
        for name in ("cupy", "tinynet-cupy"):
            out[name] = "cupy is not installed (pip install -e '.[gpu]' on a CUDA machine)"
    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        out["torch-cuda"] = "torch is not installed"
    else:
        if "+cpu" in torch_version:
            out["torch-cuda"] = f"torch {torch_version} is a CPU-only build"
    return out


def _start_workers(
    names: list[str],
    env: dict[str, str],
    skipped: list[dict[str, str]],
    label: str = "",
    same_process: bool = False,
) -> dict[str, Any]:
    from benchmarks.worker import LocalWorker, Worker

    if same_process:
        started: dict[str, Any] = {n: LocalWorker(n) for n in names}
    else:
        started = {n: Worker(n, env) for n in names}  # they import in parallel
    ready = {}
    for name, w in started.items():
        if w.wait_ready():
            ready[name] = w
        else:
            skipped.append({"what": label + name, "why": w.why})
            w.close()
    return ready


def _run(args: argparse.Namespace) -> int:
    from benchmarks import common, harness, report

    started = time.perf_counter()
    quick = args.quick
    sizes = _split(args.sizes, tuple(common.SIZES), ("small",) if quick else tuple(common.SIZES))
    dtypes = _split(args.dtypes, common.DTYPES, common.DTYPES)
    wanted = _split(args.impls, CPU_IMPLS, CPU_IMPLS)
    if REFERENCE not in wanted:
        wanted.insert(0, REFERENCE)
    out_dir = Path(args.out) if args.out else common.REPO_ROOT / "benchmarks" / "results"
    env = _subprocess_env()
    if args.baseline:
        if args.same_process:
            raise SystemExit("--baseline needs one worker process per implementation")
        baseline = Path(args.baseline).resolve()
        if not (baseline / "tinynet" / "__init__.py").is_file():
            raise SystemExit(f"--baseline {args.baseline}: no tinynet package in that folder")
        env["TINYNET_BASELINE"] = str(baseline)
        wanted.insert(wanted.index("tinynet") + 1 if "tinynet" in wanted else 1, "tinynet-baseline")
    skipped: list[dict[str, str]] = []

    machine = common.machine_info(args.threads)
    print(report.header_line(machine, quick), file=sys.stderr, flush=True)

    gpu_names: list[str] = []
    if not args.no_gpu:
        impossible = _gpu_precheck()
        for name in GPU_IMPLS:
            if name in impossible:
                skipped.append({"what": f"GPU: {name}", "why": impossible[name]})
            else:
                gpu_names.append(name)
    workers = _start_workers(wanted, env, skipped, same_process=args.same_process)
    gpu_workers = _start_workers(gpu_names, env, skipped, "GPU: ") if gpu_names else {}
    if REFERENCE not in workers:
        raise SystemExit("the hand-written numpy reference could not start")
    gpu_reference = next((n for n in GPU_IMPLS if n in gpu_workers), None)
    gpu_device = next((w.device for w in gpu_workers.values() if w.device), "CUDA device")

    # Per-cell budgets: bigger problems get more time (their steps are longer).
    def cell_config(size: str) -> harness.CellConfig:
        if quick:
            return harness.CellConfig(
                budget_s=args.budget or 0.4, block_s=0.01, warmup_s=0.05, min_rounds=5
            )
        budget = args.budget or {"small": 12.0, "medium": 20.0, "large": 35.0}[size]
        block = {"small": 0.05, "medium": 0.08, "large": 0.15}[size]
        return harness.CellConfig(budget_s=budget, block_s=block, warmup_s=0.5, min_rounds=10)

    results: dict[str, Any] = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": machine,
        "config": {
            "sizes": {
                s: {"widths": list(common.SIZES[s][0]), "batch": common.SIZES[s][1]} for s in sizes
            },
            "dtypes": dtypes,
            "implementations": list(workers),
            "gpu_implementations": list(gpu_workers),
            "reference": REFERENCE,
            "adam": {"lr": common.LR, "betas": list(common.BETAS), "eps": common.EPS},
            "seed": common.SEED,
            "threads": args.threads,
            "process_per_implementation": not args.same_process,
        },
        "training": [],
        "agreement": [],
        "per_op": [],
        "memory": [],
        "gpu": {"device": gpu_device, "training": [], "agreement": []},
        "skipped": skipped,
    }
    try:
        # 1. agreement, then timings, one (size, dtype) cell at a time
        for size in sizes:
            for dtype in dtypes:
                results["agreement"] += harness.agreement(workers, REFERENCE, size, dtype)
                rows = harness.run_cell(workers, REFERENCE, size, dtype, cell_config(size), "cpu")
                results["training"] += rows
                print(report.progress_line(rows), file=sys.stderr, flush=True)
                if gpu_workers:
                    gpu = results["gpu"]
                    gpu["agreement"] += harness.agreement(gpu_workers, gpu_reference, size, dtype)
                    rows = harness.run_cell(
                        gpu_workers, gpu_reference, size, dtype, cell_config(size), "cuda"
                    )
                    gpu["training"] += rows
                    print(report.progress_line(rows), file=sys.stderr, flush=True)

        # 2. per-op overhead
        if not args.no_micro:
            micro_cfg = harness.CellConfig(
                budget_s=0.4 if quick else 10.0,
                block_s=0.01 if quick else 0.02,
                warmup_s=0.05 if quick else 0.3,
                min_rounds=5 if quick else 10,
            )
            results["per_op"] = harness.run_micro(workers, micro_cfg)
    finally:
        for w in [*workers.values(), *gpu_workers.values()]:
            w.close()

    # 3. peak extra memory, medium float32, one fresh process per implementation
    if not args.no_memory:
        results["memory"] = _measure_memory(list(workers), quick, skipped)

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    machine["load_average_at_end"] = list(load) if load else None
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    results["targets"] = report.targets(results)

    markdown = report.markdown(results)
    out_dir.mkdir(parents=True, exist_ok=True)
    # tinynet's one atomic-write helper: a reader never sees half a report
    atomic_write_text(out_dir / "latest.md", markdown)
    atomic_write_text(out_dir / "latest.json", json.dumps(results, indent=1) + "\n")
    print(markdown)
    failed = [r for r in results["agreement"] + results["gpu"]["agreement"] if not r["ok"]]
    if failed:
        names = ", ".join(f"{r['impl']} {r['size']} {r['dtype']}" for r in failed)
        print(f"AGREEMENT CHECK FAILED: {names}", file=sys.stderr)
        return 1
    return 0


MEMORY_SIZE, MEMORY_DTYPE = "medium", "float32"
NUMPY_BASED = ("numpy", "tinynet", "dezero")


def _measure_memory(
    impls: list[str], quick: bool, skipped: list[dict[str, str]]
) -> list[dict[str, Any]]:
    steps = 3 if quick else 20
    modes = ["rss"] if quick else ["rss", "tracemalloc"]
    rows = []
    for impl in impls:
        row: dict[str, Any] = {
            "impl": impl,
            "size": MEMORY_SIZE,
            "dtype": MEMORY_DTYPE,
            "steps": steps,
        }
        for mode in modes:
            if mode == "tracemalloc" and impl not in NUMPY_BASED:
                continue
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.memory",
                impl,
                MEMORY_SIZE,
                MEMORY_DTYPE,
                str(steps),
                mode,
            ]
            proc = subprocess.run(
                cmd, capture_output=True, text=True, env=_subprocess_env(), timeout=600
            )
            if proc.returncode != 0:
                skipped.append({"what": f"memory {impl} {mode}", "why": proc.stderr.strip()[-500:]})
                continue
            data = json.loads(proc.stdout.strip().splitlines()[-1])
            row[f"{mode}_extra_bytes"] = data["extra_bytes"]
            if mode == "rss":
                row["rss_method"] = data["method"]
                row["rss_before_bytes"] = data["rss_before_bytes"]
        rows.append(row)
    ref = next((r for r in rows if r["impl"] == REFERENCE), None)
    for row in rows:
        for mode in modes:
            key = f"{mode}_extra_bytes"
            if ref and key in row and ref.get(key):
                row[f"{mode}_ratio_vs_numpy"] = row[key] / ref[key]
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
