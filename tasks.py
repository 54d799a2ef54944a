#!/usr/bin/env python3
"""One-command set-up and tasks for tinynet. Needs only Python >= 3.10.

    python3 tasks.py train [ARGS...]   # create .venv, install tinynet, run the training demo
    python3 tasks.py test  [PYTEST ARGS...]  # create .venv, install tinynet[dev], lint, run all tests
                                       # (without ARGS also: the backend tests on the cupy
                                       # stand-in, and tinynet's xp names against cupy's)
    python3 tasks.py bench [ARGS...]   # install tinynet[bench], run the benchmarks
    python3 tasks.py notebooks [ARGS...]  # install tinynet[notebooks]; rebuild and run the notebooks
    python3 tasks.py docs  [ARGS...]   # install tinynet[docs]; build the documentation site
                                       # (warnings are errors; Python >= 3.11) into
                                       # docs/_build/html, entry page index.html

The virtual environment lives in ``.venv`` next to this file (override with
``TINYNET_VENV``). Installation is repeated only when ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("TINYNET_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    prefix = " ".join(f"{k}={v}" for k, v in (env or {}).items())
    print("+", prefix, " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run(
        [str(c) for c in cmd], cwd=ROOT, env={**os.environ, **env} if env else None
    )
    if result.returncode:
        sys.exit(result.returncode)


def ensure_env(extra: str) -> None:
    """Create the venv and ``pip install -e .[extra]`` unless already done for this pyproject."""
    if not PY.exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".tinynet-installed-{extra or 'base'}-{digest}"
    if stamp.exists():
        return
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extra}]" if extra else "."
    run(PY, "-m", "pip", "install", "--quiet", "-e", target)
    stamp.touch()


def ensure_cupy_api() -> Path:
    """Install the ``gpu`` extra's cupy wheel into a folder of its own; return the folder.

    Only ``tests/test_cupy_namespace.py`` needs it (cupy imports without a GPU): the wheel
    is large, so it stays out of the ``dev`` environment and is installed once per spec.
    """
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^gpu = \["([^"]+)"\]', text, re.MULTILINE)
    if match is None:
        sys.exit("tasks.py: pyproject.toml has no `gpu = [\"cupy-...\"]` extra to test against")
    spec = match.group(1)
    target = VENV / "cupy-api"
    stamp = target / f".installed-{hashlib.sha256(spec.encode()).hexdigest()[:16]}"
    if not stamp.exists():
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "--target", target, spec)
        stamp.touch()
    return target


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"train", "test", "bench", "audit", "notebooks", "docs"}:
        print(__doc__)
        sys.exit(2)
    task, rest = argv[0], argv[1:]
    if task == "train":
        ensure_env("plot")
        # The default model's matrices are small: one BLAS thread is faster than two on a
        # 2-core machine, and far faster when the other core is busy.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        run(PY, "-m", "tinynet", "train", *(rest or ["--out", "runs/digits"]))
    elif task == "audit":
        ensure_env("")
        run(PY, "-m", "tinynet", "audit", *rest)
    elif task == "test":
        ensure_env("dev")
        run(PY, "-m", "ruff", "check", ".")
        workers = "2" if (os.cpu_count() or 1) >= 2 else "0"
        # loadgroup: tests marked xdist_group share a worker (the docs tests build the site once)
        run(PY, "-m", "pytest", "-n", workers, "--dist", "loadgroup", *rest)
        if not rest:
            # The backend-dependent tests again, on the CPU test double of cupy's
            # host/device boundary (tinynet/_standin.py; not a GPU).
            run(PY, "-m", "pytest", "-n", workers, "-q", "-m", "backend",
                env={"TINYNET_BACKEND": "standin"})
            # Every xp.<name> tinynet uses exists in cupy (imported, no GPU needed).
            run(PY, "-m", "pytest", "-p", "no:xdist", "-q", "tests/test_cupy_namespace.py",
                env={"TINYNET_CUPY_API_DIR": str(ensure_cupy_api())})
    elif task == "bench":
        ensure_env("bench")
        run(PY, "-m", "benchmarks", *rest)
    elif task == "notebooks":
        # notebooks/NN_name.py -> NN_name.ipynb, executed with outputs (see notebooks/README.md)
        ensure_env("notebooks")
        run(PY, ROOT / "notebooks" / "sync.py", *rest)
    elif task == "docs":
        # Sphinx 9 and myst-parser 5 need Python >= 3.11
        if sys.version_info < (3, 11):
            sys.exit("tasks.py docs: the documentation build needs Python >= 3.11")
        ensure_env("docs")
        out = ROOT / "docs" / "_build" / "html"
        run(PY, "-m", "sphinx", "-W", "--keep-going", "-b", "html", *rest, ROOT / "docs", out)
        print(f"documentation: {(out / 'index.html').as_uri()}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
