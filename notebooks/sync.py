#!/usr/bin/env python3
"""Rebuild the teaching notebooks from their sources and run them, storing the outputs.

Each notebook ``NN_name.ipynb`` in this folder is paired with a plain-text source
``NN_name.py`` in jupytext's *percent* format (see ``jupytext.toml``). The ``.py`` is the
file to review, diff and lint; the ``.ipynb`` is the same cells *with* their outputs, so
that a reader sees real figures without running anything.

    python notebooks/sync.py                   # every notebook: .py -> .ipynb, executed
    python notebooks/sync.py 05 07_digits_end_to_end   # some of them (number or name)
    python notebooks/sync.py -j 2              # two at a time (each in its own process)
    python notebooks/sync.py --check           # only check that every pair has the same cells

(``python tasks.py notebooks [ARGS...]`` does the same after installing the ``notebooks``
extra.) Each notebook runs top to bottom in a fresh Jupyter kernel that uses *this*
Python, the numpy backend and one BLAS thread (:func:`kernel_environment`), with the
notebooks folder as working directory, and is written only if every cell ran without
error.

If an ``.ipynb`` was edited after its ``.py`` and the two now hold different cells (a
notebook changed in an editor that does not know about the pairing), the command stops
instead of overwriting those edits: copy them into the source first with
``jupytext --to py:percent NN_name.ipynb`` (or pass ``--force`` to discard them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
KERNEL_NAME = "tinynet-notebooks"
#: cells with this tag print the same text on every machine; the tests compare it
DETERMINISTIC = "deterministic"
#: time limit for one cell, in seconds (nbclient's timeout)
CELL_TIMEOUT = 240
#: time limit for a whole notebook in the tests, in seconds; each takes a few seconds on
#: two cores, so these only catch a hang or a runaway change
NOTEBOOK_TIMEOUTS = {"07_digits_end_to_end": 240, "08_gpu": 300}
DEFAULT_NOTEBOOK_TIMEOUT = 120


def sources() -> list[Path]:
    """The notebook sources of this folder, ``NN_name.py``, in order."""
    return sorted(HERE.glob("[0-9][0-9]_*.py"))


def resolve(arg: str) -> Path:
    """A source from a path (``notebooks/05_optimizers.py``), a name or just its number."""
    path = Path(arg)
    if path.suffix == ".py" and path.is_file():
        return path.resolve()
    stem = path.name.removesuffix(".py").removesuffix(".ipynb")
    matches = [p for p in sources() if p.stem == stem or p.stem.split("_")[0] == stem]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in sources())
        raise SystemExit(f"sync.py: no single notebook matches {arg!r}; choose from {names}")
    return matches[0]


def read_source(path: Path) -> nbformat.NotebookNode:
    """The cells of a percent-format source, without outputs, with stable cell ids."""
    nb = jupytext.read(path, fmt="py:percent")
    prefix = path.stem.split("_")[0]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{prefix}-{i:02d}"  # stable ids keep the .ipynb diffs small
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata = {
        # recorded as plain "python3" so that Jupyter opens it anywhere
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def cell_signature(nb: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    """What the pairing must keep equal: each cell's type, source and tags."""
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def in_sync(source: Path, notebook: Path) -> bool:
    if not notebook.is_file():
        return False
    stored = nbformat.read(notebook, as_version=4)
    return cell_signature(stored) == cell_signature(read_source(source))


@contextlib.contextmanager
def kernel_environment() -> Iterator[str]:
    """A private kernel spec that runs ``sys.executable`` with the numpy backend.

    Yields the kernel name. Using our own spec (found through ``JUPYTER_PATH``) avoids
    picking up a ``python3`` kernel of some other environment, so the notebooks always
    import the tinynet of the interpreter running the command or the tests.
    """
    with tempfile.TemporaryDirectory(prefix="tinynet-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "tinynet (this Python)",
            "language": "python",
            # One BLAS thread: the notebooks' matrices are small, and when notebooks run in
            # parallel, multi-threaded OpenBLAS processes spin-wait on each other.
            "env": {
                "TINYNET_BACKEND": "numpy",
                "PYTHONHASHSEED": "0",
                "OPENBLAS_NUM_THREADS": "1",
                "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1",
            },
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = tmp + (os.pathsep + old if old else "")
        try:
            yield KERNEL_NAME
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Run *nb* top to bottom in a fresh kernel; raises on the first failing cell."""
    from nbclient import NotebookClient

    with kernel_environment() as kernel_name:
        client = NotebookClient(
            nb,
            timeout=CELL_TIMEOUT,
            kernel_name=kernel_name,
            resources={"metadata": {"path": str(cwd)}},
        )
        client.execute()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def text_outputs(cell: nbformat.NotebookNode) -> list[str]:
    """The text a code cell printed or returned (stream and text/plain), for comparisons."""
    out: list[str] = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            # The kernel may split one print into several stream messages depending on
            # timing: join consecutive chunks of the same stream before comparing.
            prefix = f"{o.name}: "
            if out and out[-1].startswith(prefix):
                out[-1] += o.text
            else:
                out.append(prefix + o.text)
        elif o.output_type in ("execute_result", "display_data"):
            if "text/plain" in o.data and "image/png" not in o.data:
                out.append(o.data["text/plain"])
        elif o.output_type == "error":
            out.append(f"error: {o.ename}: {o.evalue}")
    return out


def write_atomically(nb: nbformat.NotebookNode, target: Path) -> None:
    """Write *target* through a temporary file, so an interrupted run never leaves half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".ipynb", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sync_one(source: Path, output_dir: Path | None, force: bool) -> float:
    """Build, run and write one notebook; returns the seconds it took."""
    target = (output_dir or source.parent) / f"{source.stem}.ipynb"
    if (
        not force
        and output_dir is None
        and target.is_file()
        and target.stat().st_mtime > source.stat().st_mtime
        and not in_sync(source, target)
    ):
        raise SystemExit(
            f"sync.py: {target.name} was changed after {source.name} and their cells differ; "
            f"rebuilding would lose those changes. Copy them into the source first with\n"
            f"    jupytext --to py:percent {target}\n"
            f"or run again with --force to discard them."
        )
    start = time.perf_counter()
    nb = read_source(source)
    execute(nb, cwd=source.parent)
    nbformat.validate(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(nb, target)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks: number, name or .py path (default: all)")
    parser.add_argument("--check", action="store_true", help="only check that each .ipynb has its source's cells")
    parser.add_argument("--output-dir", type=Path, help="write the .ipynb files here instead of next to the sources")
    parser.add_argument("--force", action="store_true", help="overwrite an .ipynb edited after its source")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="notebooks run at the same time (default 1)")
    args = parser.parse_args(argv)
    chosen = [resolve(n) for n in args.names] or sources()

    if args.check:
        stale = [s for s in chosen if not in_sync(s, s.with_suffix(".ipynb"))]
        for s in stale:
            print(f"{s.with_suffix('.ipynb').name} does not hold the cells of {s.name}")
        if stale:
            print("rebuild with: python notebooks/sync.py " + " ".join(s.stem for s in stale))
        else:
            print(f"{len(chosen)} notebook(s) match their sources")
        return 1 if stale else 0

    if args.jobs > 1 and len(chosen) > 1:
        # one process per notebook: nbclient drives one kernel per event loop
        common = ["--force"] if args.force else []
        if args.output_dir is not None:
            common += ["--output-dir", str(args.output_dir)]
        pending, running, failed = list(chosen), [], []
        while pending or running:
            while pending and len(running) < args.jobs:
                s = pending.pop(0)
                running.append((s, subprocess.Popen([sys.executable, __file__, str(s), *common])))
            time.sleep(0.2)
            for item in [r for r in running if r[1].poll() is not None]:
                running.remove(item)
                if item[1].returncode:
                    failed.append(item[0].stem)
        if failed:
            print(f"sync.py: failed: {', '.join(failed)}", file=sys.stderr)
        return 1 if failed else 0

    for source in chosen:
        took = sync_one(source, args.output_dir, args.force)
        where = args.output_dir or source.parent
        print(f"wrote {where / (source.stem + '.ipynb')} (executed in {took:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
