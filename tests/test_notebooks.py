"""The teaching notebooks run, and each ``.ipynb`` is current with its ``.py`` source.

Each notebook ``notebooks/NN_name.ipynb`` is paired (jupytext, percent format) with a
plain-text source ``notebooks/NN_name.py`` and committed *with* its outputs, so a reader
on GitHub sees real figures. ``python notebooks/sync.py [NAME]`` rebuilds an ``.ipynb``
from its source and runs it. What can go wrong, and the test for it:

1. **The pair drifted apart** (a source edited and not synced, or a notebook edited
   outside a jupytext-aware Jupyter): ``test_notebook_matches_its_source`` compares the
   cells (types, sources, tags). Fast.
2. **The stored notebook was never run, or run partially or out of order**:
   ``test_stored_notebook_has_outputs`` checks that every code cell was executed in order
   in one kernel session (execution counts 1, 2, 3, ...), stored no error, and that every
   cell that shows a figure stored an image. Fast.
3. **A notebook does not end with checked exercises**: ``test_notebook_ends_with_exercises``.
4. **The outputs no longer match the code** (tinynet changed, or a notebook broke):
   ``test_notebook_executes`` runs each source from scratch in a fresh kernel and compares
   the text printed by the cells tagged ``deterministic`` with the stored text. Only those
   cells are compared: others print timings or float32 training results, which vary
   between machines; figures are compared only for being present. Slow.
5. **The documented edit-and-sync round trip breaks**: ``test_sync_rebuilds_an_edited_source``
   runs the command on a small source in a temporary folder, edits it and runs it again.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SYNC = NOTEBOOKS / "sync.py"


def _load_sync():
    spec = importlib.util.spec_from_file_location("tinynet_notebooks_sync", SYNC)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync = _load_sync()
NAMES = [p.stem for p in sync.sources()]
REBUILD = "rebuild it with: python notebooks/sync.py {name}"


def stored(name: str) -> nbformat.NotebookNode:
    path = NOTEBOOKS / f"{name}.ipynb"
    assert path.is_file(), f"{path} is missing; " + REBUILD.format(name=name)
    return nbformat.read(path, as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def shows_figure(cell: nbformat.NotebookNode) -> bool:
    return "plt.show()" in cell.source


def has_image(cell: nbformat.NotebookNode) -> bool:
    return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


def test_every_notebook_has_a_source_and_the_reverse() -> None:
    assert [n[:2] for n in NAMES] == ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]
    notebooks = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert notebooks == NAMES, "each notebooks/NN_name.ipynb needs a NN_name.py source and back"
    assert not (NOTEBOOKS / "build_notebooks.py").exists(), "the old generator came back"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_matches_its_source(name: str) -> None:
    want = sync.cell_signature(sync.read_source(NOTEBOOKS / f"{name}.py"))
    got = sync.cell_signature(stored(name))
    assert len(got) == len(want), f"{name}: {len(got)} cells stored, {len(want)} in the source; " + REBUILD.format(name=name)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, (
            f"{name} cell {i} differs from its source:\n--- .py\n{w}\n--- .ipynb\n{g}\n"
            + REBUILD.format(name=name)
        )


@pytest.mark.parametrize("name", NAMES)
def test_stored_notebook_has_outputs(name: str) -> None:
    nb = stored(name)
    hint = REBUILD.format(name=name)
    cells = code_cells(nb)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), (
        f"{name}.ipynb was not executed top to bottom in one session; {hint}"
    )
    for i, cell in enumerate(cells):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{name} code cell {i} stored an error: {errors[0].get('ename')}"
        if shows_figure(cell):
            assert has_image(cell), f"{name} code cell {i} shows a figure but stored none; {hint}"
    assert any(has_image(c) for c in cells), f"{name} has no figure at all"


@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_are_of_this_version(name: str) -> None:
    # the pages of the docs site show the stored outputs: a notebook last run before a
    # release would print (and show in the docs) an older version than the one described
    import tinynet

    printed = set()
    for cell in code_cells(stored(name)):
        for out in cell.outputs:
            printed.update(re.findall(r"tinynet (\d+\.\d+\.\d+\S*) \|", str(out.get("text", ""))))
    assert printed, f"{name} prints no 'tinynet <version> | backend' line"
    assert printed == {tinynet.__version__}, (
        f"{name}.ipynb was last run with tinynet {sorted(printed)}, this is "
        f"{tinynet.__version__}; {REBUILD.format(name=name)}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_notebook_ends_with_exercises(name: str) -> None:
    """The last section holds 2-3 exercises, each followed by a cell that checks it with
    ``tn.gradcheck`` or ``tinynet.testing``, and a hidden solution that passes the check."""
    nb = stored(name)
    headings = [
        (i, line) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
        for line in c.source.splitlines() if line.startswith("## ")
    ]
    assert headings and headings[-1][1].startswith("## Exercises"), f"{name}: no final '## Exercises'"
    tail = nb.cells[headings[-1][0]:]
    exercises = [c for c in tail if c.cell_type == "markdown" and re.match(r"### Exercise \d", c.source)]
    assert 2 <= len(exercises) <= 3, f"{name}: {len(exercises)} exercises, expected 2 or 3"
    checkers = [c for c in tail if c.cell_type == "code" and "check" in c.metadata.get("tags", [])]
    assert len(checkers) == len(exercises), f"{name}: each exercise needs one cell tagged 'check'"
    for c in checkers:
        assert "gradcheck" in c.source or "tinynet.testing" in c.source, (
            f"{name}: checker cell does not use tn.gradcheck or tinynet.testing:\n{c.source}"
        )
    solutions = [c for c in tail if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) == len(exercises), f"{name}: each exercise needs one cell tagged 'solution'"
    for c in solutions:
        assert c.metadata.get("jupyter", {}).get("source_hidden"), f"{name}: solution not collapsed"
        assert sync.DETERMINISTIC in c.metadata.get("tags", [])
        assert any("correct" in t for t in sync.text_outputs(c)), (
            f"{name}: a stored solution did not pass its checker: {sync.text_outputs(c)}"
        )


def run_sync(*args: str, timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [sys.executable, str(SYNC), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"notebooks/sync.py {' '.join(args)} did not finish within {timeout} s")


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name: str, tmp_path: Path) -> None:
    timeout = sync.NOTEBOOK_TIMEOUTS.get(name, sync.DEFAULT_NOTEBOOK_TIMEOUT)
    proc = run_sync("--output-dir", str(tmp_path), name, timeout=timeout)
    assert proc.returncode == 0, f"{name} failed to execute:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"

    fresh = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    fresh_cells, old_cells = code_cells(fresh), code_cells(stored(name))
    assert len(fresh_cells) == len(old_cells), REBUILD.format(name=name)
    for i, (new, old) in enumerate(zip(fresh_cells, old_cells)):
        if shows_figure(new):
            assert has_image(new), f"{name} code cell {i} produced no figure"
        if sync.DETERMINISTIC in new.metadata.get("tags", []):
            assert sync.text_outputs(new) == sync.text_outputs(old), (
                f"{name} code cell {i} (tagged deterministic) printed something else than the "
                f"stored notebook:\n--- stored\n{sync.text_outputs(old)}\n--- now\n"
                f"{sync.text_outputs(new)}\n" + REBUILD.format(name=name)
            )


TINY_SOURCE = '''\
# %% [markdown]
# # A tiny notebook

# %% tags=["deterministic"]
import matplotlib.pyplot as plt

print(6 * 7)

# %%
plt.plot([0, 1], [1, 0])
plt.show()
'''


@pytest.mark.notebook
@pytest.mark.slow
def test_sync_rebuilds_an_edited_source(tmp_path: Path) -> None:
    source = tmp_path / "01_tiny.py"
    source.write_text(TINY_SOURCE)
    proc = run_sync(str(source), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(tmp_path / "01_tiny.ipynb", as_version=4)
    assert sync.cell_signature(nb) == sync.cell_signature(sync.read_source(source))
    assert sync.text_outputs(nb.cells[1]) == ["stdout: 42\n"]
    assert has_image(nb.cells[2])
    assert [c.execution_count for c in code_cells(nb)] == [1, 2]

    # Edit the source as a learner would; the pair is stale until the command runs again.
    source.write_text(TINY_SOURCE.replace("6 * 7", "6 * 7 + 1"))
    check = run_sync("--check", str(source), timeout=60)
    assert check.returncode == 1 and "does not hold the cells" in check.stdout
    proc = run_sync(str(source), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(tmp_path / "01_tiny.ipynb", as_version=4)
    assert "6 * 7 + 1" in nb.cells[1].source
    assert sync.text_outputs(nb.cells[1]) == ["stdout: 43\n"]
    assert run_sync("--check", str(source), timeout=60).returncode == 0


def test_sync_refuses_to_overwrite_a_newer_edited_notebook(tmp_path: Path) -> None:
    import os

    source = tmp_path / "01_tiny.py"
    source.write_text(TINY_SOURCE)
    nb = sync.read_source(source)
    nb.cells[0].source = "# Edited in another editor"
    target = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, target)
    os.utime(source, (1_000_000, 1_000_000))  # the source is older than the notebook
    with pytest.raises(SystemExit, match="was changed after 01_tiny.py"):
        sync.sync_one(source, None, force=False)
    assert nbformat.read(target, as_version=4).cells[0].source == "# Edited in another editor"


@pytest.mark.parametrize("name", NAMES)
def test_source_is_what_jupyter_would_save(name: str) -> None:
    """The .py is written exactly as jupytext writes it from the .ipynb (notebooks/jupytext.toml),
    so saving the notebook in JupyterLab does not rewrite an unchanged source."""
    import jupytext

    config = jupytext.config.load_jupytext_config(str(NOTEBOOKS))
    expected = jupytext.writes(stored(name), fmt="py:percent", config=config)
    source = (NOTEBOOKS / f"{name}.py").read_text(encoding="utf-8")
    assert source == expected, (
        f"notebooks/{name}.py is not in jupytext's canonical form; rewrite it with: "
        f"jupytext --to py:percent notebooks/{name}.ipynb"
    )
