"""The GPU check in one call: ``python benchmarks/gpu_check.py`` on a machine with an NVIDIA GPU.

Never run in CI (CI has no GPU; the cupy stand-in, ``TINYNET_BACKEND=standin``, checks
the host/device boundary there). Steps, each with its own time limit, all within about
7.5 minutes on one GPU:

1. install what is missing into the running Python: tinynet with the ``dev`` extra, the
   ``gpu`` extra (cupy) and PyTorch (the registry's default Linux wheel, which is the CUDA
   build); ``--no-install`` skips this;
2. report the device (``nvidia-smi -L``) and whether tinynet's cupy backend works;
3. the backend-dependent test suite (``-m backend``) and the cupy namespace test with
   ``TINYNET_BACKEND=cupy``;
4. notebook 08 (the GPU notebook), executed into the output folder;
5. the GPU benchmarks: tinynet on cupy vs hand-written cupy vs PyTorch CUDA (and
   hand-written numpy for reference), large size, float32.

Everything is printed and also written to ``OUT/gpu_check.log`` (``--out``, default
``benchmarks/results/gpu``); the exit status is 1 when a step failed, and the summary at the
end says which and why. Only the standard library is imported here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 450.0  # the whole check stops starting steps after this


class Check:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.log = (out / "gpu_check.log").open("w", encoding="utf-8")
        self.start = time.monotonic()
        self.results: list[tuple[str, str, float]] = []

    def say(self, text: str) -> None:
        print(text, flush=True)
        self.log.write(text + "\n")
        self.log.flush()

    def left(self) -> float:
        return BUDGET_S - (time.monotonic() - self.start)

    def step(self, name: str, cmd: list[str], limit: float, env: dict[str, str] | None = None,
             required: bool = True) -> bool:
        """Run *cmd* with at most *limit* seconds (less if the budget is nearly spent)."""
        limit = min(limit, self.left())
        if limit < 10:
            self.results.append((name, "NOT RUN: the time budget was spent", 0.0))
            self.say(f"== {name}: not run, the {BUDGET_S:.0f} s budget is spent")
            return False
        self.say(f"\n== {name} (limit {limit:.0f} s)\n$ {' '.join(cmd)}")
        t0 = time.monotonic()
        try:
            proc = subprocess.run(
                cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, timeout=limit,
            )
            output, rc = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as exc:
            output = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode(
                "utf-8", "replace")
            rc = None
        except OSError as exc:  # the command itself is missing
            output, rc = f"{type(exc).__name__}: {exc}\n", -1
        took = time.monotonic() - t0
        self.say(output.rstrip())
        status = "ok" if rc == 0 else (f"TIMEOUT after {limit:.0f} s" if rc is None else f"FAILED (exit {rc})")
        if rc != 0 and not required:
            status += " (optional)"
        self.results.append((name, status, took))
        self.say(f"-- {name}: {status}, {took:.1f} s")
        return rc == 0


def _importable(module: str) -> bool:
    code = f"import {module}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gpu")
    parser.add_argument("--no-install", action="store_true", help="use what is installed")
    parser.add_argument("--workers", type=int, default=4, help="pytest-xdist workers (default 4)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    check = Check(args.out)
    py = sys.executable
    check.say(f"tinynet GPU check: {ROOT}, Python {sys.version.split()[0]} ({py})")

    if not args.no_install:
        check.step("install tinynet[dev,gpu]", [py, "-m", "pip", "install", "--quiet", "-e",
                                                ".[dev,gpu]"], 150)
        if not _importable("torch") or subprocess.run(
            [py, "-c", "import torch, sys; sys.exit('+cpu' in torch.__version__)"],
            capture_output=True,
        ).returncode:
            check.step("install torch (CUDA build)", [py, "-m", "pip", "install", "--quiet",
                                                      "torch", "dezero"], 180, required=False)
    if shutil.which("nvidia-smi"):
        check.step("device", ["nvidia-smi", "-L"], 20, required=False)
    check.step(
        "tinynet cupy backend",
        [py, "-c", "import tinynet, cupy; print('backend', tinynet.backend_name(), 'cupy', "
                   "cupy.__version__, cupy.cuda.runtime.getDeviceProperties(0)['name'])"],
        60, env={"TINYNET_BACKEND": "cupy"},
    )
    check.step(
        "test suite on cupy (-m backend)",
        [py, "-m", "pytest", "-q", "-n", str(args.workers), "-m", "backend", "-p", "no:cacheprovider"],
        200, env={"TINYNET_BACKEND": "cupy", "TINYNET_HYPOTHESIS_EXAMPLES": "20"},
    )
    check.step(
        "xp names exist in cupy",
        [py, "-m", "pytest", "-q", "-p", "no:xdist", "tests/test_cupy_namespace.py"], 60,
        env={"TINYNET_BACKEND": "cupy"},
    )
    check.step(
        "notebook 08 (GPU)",
        [py, "notebooks/sync.py", "08", "--output-dir", str(args.out / "notebooks")], 120,
    )
    check.step(
        "GPU benchmarks (large, float32)",
        [py, "-m", "benchmarks", "--sizes", "large", "--dtypes", "float32", "--impls", "numpy",
         "--no-memory", "--no-micro", "--threads", "4", "--budget", "15",
         "--out", str(args.out / "bench")],
        200,
    )

    check.say(f"\n== summary ({time.monotonic() - check.start:.0f} s in all)")
    for name, status, took in check.results:
        check.say(f"  {name:<36} {status:<40} {took:6.1f} s")
    failed = [n for n, s, _ in check.results if not s.startswith("ok") and "(optional)" not in s]
    check.say("GPU check: all steps passed" if not failed else f"GPU check: failed: {', '.join(failed)}")
    check.say(f"log: {args.out / 'gpu_check.log'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
