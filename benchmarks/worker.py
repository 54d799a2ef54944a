"""One implementation per process: the benchmark worker and its client.

Every implementation runs in its own worker process, as it would in a standalone
training script: its own heap and C-allocator state (how many freed pages the
allocator keeps is visible in the timings, and depends on everything else that
lives in the process), its own imports (torch brings its own OpenMP runtime), and
for tinynet its own backend (fixed at import, so tinynet-on-numpy and
tinynet-on-cupy cannot share a process). The parent keeps all workers alive and
asks them, one at a time, to time a block of steps; so the blocks of different
implementations still interleave round-robin and see the same machine conditions.

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

_REPO_ROOT = Path(__file__).resolve().parent.parent

#: name -> (module, extra arguments for its Trainer, TINYNET_BACKEND)
IMPLS: dict[str, tuple[str, dict[str, Any], str]] = {
    "numpy": ("impl_numpy", {}, "numpy"),
    "tinynet": ("impl_tinynet", {}, "numpy"),
    # another checkout of tinynet (``--baseline DIR``), e.g. the previous main, timed
    # side by side with this one in the same run
    "tinynet-baseline": ("impl_tinynet", {}, "numpy"),
    "torch": ("impl_torch", {}, "numpy"),
    "dezero": ("impl_dezero", {}, "numpy"),
    "cupy": ("impl_numpy", {"xp": "cupy"}, "numpy"),
    "tinynet-cupy": ("impl_tinynet", {}, "cupy"),
    "torch-cuda": ("impl_torch", {"device": "cuda"}, "numpy"),
}
MICRO_CASE = {
    "numpy": "numpy",
    "tinynet": "tinynet",
    "tinynet-baseline": "tinynet",
    "torch": "torch",
    "dezero": "dezero",
}


# --------------------------------------------------------------------------- worker side
def _minor_faults() -> int:
    """Minor page faults of this process so far: each is a page of memory (re)mapped
    from the kernel, typically because a large temporary array got fresh pages."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


class _Server:
    def __init__(self, name: str) -> None:
        import importlib

        self.name = name
        module_name, self.extra, _ = IMPLS[name]
        self.module = importlib.import_module(f"benchmarks.{module_name}")
        self.step: Any = None
        self.sync: Any = lambda: None

    def check(self) -> dict[str, Any]:
        if self.name == "cupy":
            from tinynet.backend import cupy_status

            cp, why = cupy_status()
            if cp is None:
                return {"ready": False, "why": why}
            name = cp.cuda.runtime.getDeviceProperties(0)["name"]
            name = name.decode() if isinstance(name, bytes) else str(name)
            return {"ready": True, "why": why, "device": name}
        if self.name == "tinynet-baseline":
            import tinynet

            where = Path(tinynet.__file__).resolve().parent.parent
            if where == _REPO_ROOT:
                return {"ready": False, "why": "the baseline imported this checkout's tinynet"}
            return {"ready": True, "why": f"tinynet from {where}"}
        if self.name == "tinynet-cupy":
            import tinynet

            if tinynet.backend_name() != "cupy":
                return {"ready": False, "why": "tinynet did not select the cupy backend"}
        if self.name.startswith("torch"):
            ok, why = self.module.available("cuda" if self.name == "torch-cuda" else "cpu")
            if ok:
                import torch

                torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
            return {"ready": ok, "why": why}
        ok, why = self.module.available()
        return {"ready": ok, "why": why}

    def _trainer(self, size: str, dtype: str) -> Any:
        from benchmarks import common

        extra = dict(self.extra)
        if extra.get("xp") == "cupy":
            import cupy

            extra["xp"] = cupy
        return self.module.Trainer(common.make_problem(size), dtype, **extra)

    def train(self, size: str, dtype: str) -> dict[str, Any]:
        import gc

        self.step = self.sync = None
        gc.collect()
        trainer = self._trainer(size, dtype)
        self.step, self.sync = trainer.step, trainer.sync
        gc.collect()
        return {}

    def micro(self) -> dict[str, Any]:
        from benchmarks import microbench

        run, grads = microbench.CASES[MICRO_CASE[self.name]]()
        inner = microbench.INNER
        run()
        error = microbench.gradient_error(grads())

        def step() -> None:
            for _ in range(inner):
                run()

        self.step, self.sync = step, (lambda: None)
        return {"inner": inner, "gradient_error": error}

    def warmup(self, seconds: float) -> dict[str, Any]:
        n, t0 = 0, time.perf_counter()
        while True:
            self.step()
            n += 1
            if n >= 3 and time.perf_counter() - t0 >= seconds:
                break
        self.sync()
        return {"per_step": (time.perf_counter() - t0) / n}

    def time(self, steps: int) -> dict[str, Any]:
        step = self.step
        faults = _minor_faults()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        self.sync()
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "minor_faults": _minor_faults() - faults}

    def agree(self, size: str, dtype: str, steps: int, path: str) -> dict[str, Any]:
        import numpy as np

        trainer = self._trainer(size, dtype)
        losses = []
        grads: list[Any] = []
        for _ in range(steps):
            trainer.step()
            losses.append(trainer.loss())
            if not grads:  # the gradients of the first step, before Adam rescales them
                grads = trainer.grads_numpy()
        params = trainer.params_numpy()
        arrays = {f"p{i}": p for i, p in enumerate(params)}
        arrays.update({f"g{i}": g for i, g in enumerate(grads)})
        np.savez(path, losses=np.asarray(losses), **arrays)
        return {"n_params": len(params)}


def serve(name: str) -> int:
    # Keep stdout for the protocol: anything a library prints goes to stderr.
    out = sys.stdout
    sys.stdout = sys.stderr
    if name == "tinynet-baseline":
        # Ahead of the working directory too (``python -m`` puts it first), so that
        # ``import tinynet`` finds the baseline checkout; ``benchmarks`` is already
        # imported from this one.
        sys.path.insert(0, os.environ.get("TINYNET_BASELINE", ""))
    try:
        server = _Server(name)
        hello = server.check()
    except Exception as exc:
        hello = {"ready": False, "why": f"{type(exc).__name__}: {exc}"}
        server = None
    out.write(json.dumps(hello) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        op = request.pop("op")
        if op == "quit":
            break
        try:
            reply = getattr(server, op)(**request)
        except Exception:
            reply = {"error": traceback.format_exc()}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


# --------------------------------------------------------------------------- parent side
class WorkerError(RuntimeError):
    pass


class LocalWorker:
    """The same interface as :class:`Worker`, but running in this process (``--same-process``)."""

    def __init__(self, name: str) -> None:
        self.name, self.device = name, ""
        try:
            self.server: Any = _Server(name)
            hello = self.server.check()
        except Exception as exc:
            hello = {"ready": False, "why": f"{type(exc).__name__}: {exc}"}
        self.ready, self.why = bool(hello["ready"]), hello.get("why", "")

    def wait_ready(self) -> bool:
        return self.ready

    def call(self, op: str, **kwargs: Any) -> dict[str, Any]:
        return getattr(self.server, op)(**kwargs)

    def close(self) -> None:
        self.server = None


class Worker:
    """Client for one worker process (started at once; call :meth:`wait_ready`)."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        env = dict(env)
        env["TINYNET_BACKEND"] = IMPLS[name][2]
        if name == "tinynet-baseline":
            # The baseline checkout's ``tinynet`` package comes first on the path, so
            # ``import tinynet`` in this worker loads it instead of this checkout's.
            baseline = env.get("TINYNET_BASELINE", "")
            if not baseline:
                raise WorkerError("tinynet-baseline needs TINYNET_BASELINE=DIR (--baseline)")
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(_REPO_ROOT), env.get("PYTHONPATH", "")) if p
            )
        # stderr goes to a file: a pipe nobody reads could fill up and block the worker.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=env,
        )
        self.ready: bool | None = None
        self.why = ""
        self.device = ""

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.stderr.seek(0)
            err = self.stderr.read()
            raise WorkerError(f"worker {self.name} exited: {err[-2000:]}")
        return json.loads(line)

    def wait_ready(self) -> bool:
        if self.ready is None:
            hello = self._read()
            self.ready, self.why = bool(hello["ready"]), hello.get("why", "")
            self.device = hello.get("device", "")
        return self.ready

    def call(self, op: str, **kwargs: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, **kwargs}) + "\n")
        self.proc.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise WorkerError(f"worker {self.name}, {op}: {reply['error']}")
        return reply

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


if __name__ == "__main__":
    raise SystemExit(serve(sys.argv[1]))
