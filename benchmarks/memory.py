"""Peak extra memory while training, measured in a fresh process per implementation.

Run by the harness as ``python -m benchmarks.memory IMPL SIZE DTYPE STEPS MODE``;
prints one JSON object. Two modes:

``rss``
    Resident set size from ``/proc/self/status``. After imports, the model, the data
    and the optimizer object are built (but no step has run: no gradients, no Adam
    moments), the process's peak RSS is reset (``echo 5 > /proc/self/clear_refs``
    sets ``VmHWM`` to the current ``VmRSS``) and ``STEPS`` training steps run. The
    result is ``VmHWM - VmRSS(before)``: everything training added at its worst
    moment -- gradients, optimizer state, saved activations, temporaries, and
    whatever the framework allocates on its first step (caches, thread pools,
    kernels). Counted in whole pages, the same way for every implementation. Where
    ``clear_refs`` is not available, ``ru_maxrss`` is used and the result is only
    valid if the peak before training was the current RSS (flagged in the output).
``tracemalloc``
    For numpy-based implementations only (numpy reports its array buffers to
    :mod:`tracemalloc`): the peak of traced bytes during the steps minus the traced
    bytes before them. Exact bytes, independent of the C allocator (which may keep
    freed pages resident, or not), so it cross-checks the RSS number. Torch
    allocates outside Python's tracing, so it has no tracemalloc figure.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
from pathlib import Path


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _build(impl: str, size: str, dtype: str) -> object:
    from benchmarks import common

    problem = common.make_problem(size)
    module = __import__(f"benchmarks.impl_{impl}", fromlist=["Trainer"])
    if impl == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    trainer = module.Trainer(problem, dtype)
    del problem  # the float64 originals are not part of anyone's training memory
    return trainer


def measure(impl: str, size: str, dtype: str, steps: int, mode: str) -> dict[str, object]:
    trainer = _build(impl, size, dtype)
    gc.collect()
    if mode == "tracemalloc":
        import tracemalloc

        tracemalloc.start()
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(steps):
            trainer.step()
        trainer.sync()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"impl": impl, "mode": mode, "extra_bytes": peak - before, "method": "tracemalloc"}
    rss_before = _status_kib("VmRSS")
    exact = rss_before is not None and _reset_peak()
    if not exact:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    for _ in range(steps):
        trainer.step()
    trainer.sync()
    if exact:
        peak = _status_kib("VmHWM")
        method = "VmHWM after clear_refs"
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        method = "ru_maxrss (approximate)"
    assert peak is not None and rss_before is not None
    return {
        "impl": impl,
        "mode": mode,
        "extra_bytes": (peak - rss_before) * 1024,
        "rss_before_bytes": rss_before * 1024,
        "method": method,
    }


def main(argv: list[str]) -> int:
    impl, size, dtype, steps, mode = argv[0], argv[1], argv[2], int(argv[3]), argv[4]
    print(json.dumps(measure(impl, size, dtype, steps, mode)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
