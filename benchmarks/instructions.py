"""CPU instructions per step, counted under valgrind: a deterministic cost for A/B work.

Wall-clock ratios on a small shared machine move by several percent from run to run;
an instruction count does not (with ``PYTHONHASHSEED=0`` and one BLAS thread it repeats
to the instruction). It is not a time -- a cache miss costs more than an add -- but for
Python overhead (what tinynet's engine adds to numpy) it tracks time closely, and it
shows the effect of a change of a few hundred instructions per operation.

    python -m benchmarks.instructions                       # this checkout
    python -m benchmarks.instructions --baseline ../prev    # and another, side by side

Each case runs N and 6N steps in a fresh interpreter under ``valgrind --tool=callgrind``;
the difference divided by 5N is the cost of one step, without start-up and imports.
Needs valgrind (Debian: ``apt-get install valgrind``); nothing in the test suite uses it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: case -> (steps N, code defining ``step()``); the checkout's tinynet is first on sys.path
CASES: dict[str, tuple[int, str]] = {
    "perop": (100, """
a, b, c = (tn.Tensor(rng.standard_normal((10, 10)).astype("float32"), requires_grad=True)
           for _ in range(3))
def step():
    a.grad = b.grad = c.grad = None
    (a * b + c).sum().backward()
"""),
    "small": (20, "widths, batch, dtype = (64, 128, 10), 64, 'float32'\n" + "{mlp}"),
    "small64": (20, "widths, batch, dtype = (64, 128, 10), 64, 'float64'\n" + "{mlp}"),
    "medium": (3, "widths, batch, dtype = (784, 256, 256, 10), 128, 'float32'\n" + "{mlp}"),
}

MLP = """
from tinynet import nn
from tinynet.nn import functional as F
layers = []
for i, (m, n) in enumerate(zip(widths[:-1], widths[1:])):
    layers.append(nn.Dense(m, n, dtype=dtype))
    if i < len(widths) - 2:
        layers.append(nn.ReLU())
model = nn.Sequential(*layers)
opt = tn.optim.Adam(model.parameters(), lr=1e-3)
X = tn.tensor(rng.standard_normal((batch, widths[0])).astype(dtype))
y = tn.tensor(rng.integers(0, widths[-1], batch))
def step():
    opt.zero_grad()
    F.cross_entropy(model(X), y).backward()
    opt.step()
"""

PROLOGUE = """
import sys
sys.path.insert(0, {root!r})
import numpy as np
import tinynet as tn
assert tn.__file__.startswith({root!r}), tn.__file__
rng = np.random.default_rng(0)
"""


def count(root: Path, case: str, steps: int) -> int:
    """Instructions executed by a fresh interpreter that runs *steps* steps of *case*."""
    n, body = CASES[case]
    code = PROLOGUE.format(root=str(root)) + body.format(mlp=MLP)
    code += f"\nfor _ in range({steps}):\n    step()\n"
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # fmt: skip
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", code],
        capture_output=True, text=True, env=env, cwd=root,
    )  # fmt: skip
    match = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode or match is None:
        raise SystemExit(f"instructions: {case} in {root} failed:\n{result.stderr[-2000:]}")
    return int(match.group(1))


def per_step(root: Path, case: str) -> float:
    n = CASES[case][0]
    return (count(root, case, 6 * n) - count(root, case, n)) / (5 * n)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline", type=Path, help="another checkout to count side by side")
    p.add_argument("--cases", default="perop,small,medium", help=f"subset of {','.join(CASES)}")
    args = p.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("instructions: valgrind is not installed (apt-get install valgrind)")
    here = Path(__file__).resolve().parents[1]
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        raise SystemExit(f"instructions: unknown case(s) {unknown}; known: {sorted(CASES)}")
    print("| case | this checkout | baseline | ratio |\n|---|---:|---:|---:|")
    for case in cases:
        mine = per_step(here, case)
        if args.baseline is None:
            print(f"| {case} | {mine:,.0f} | – | – |")
        else:
            base = per_step(args.baseline.resolve(), case)
            print(f"| {case} | {mine:,.0f} | {base:,.0f} | {mine / base:.3f} |")


if __name__ == "__main__":
    main()
