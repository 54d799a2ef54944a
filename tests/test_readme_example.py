"""The README: its first look runs as written and trains, its two commands are what
tasks.py runs, and it stays a short entry page that links into the documentation.

The block fenced as ```python readme-example is taken from README.md. (The examples of
the user guide, docs/guide/*.md, run in tests/test_guide_examples.py.)
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"```python readme-example\n(.*?)```", re.S)


def example_source() -> tuple[str, str]:
    match = FENCE.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README.md has no ```python readme-example block"
    return match.group(1), "README.md"


def test_example_is_about_ten_lines() -> None:
    code, _ = example_source()
    lines = [ln for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert len(lines) <= 16


def test_readme_training_example_trains() -> None:
    code, name = example_source()
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, name, "exec"), namespace)
    # chance level for two balanced classes is 50% accuracy and a loss of ln 2 = 0.69
    assert namespace["accuracy"] >= 0.95
    assert namespace["loss"].item() < 0.3


def test_readme_is_short_and_points_into_the_docs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 200
    for page in ("docs/guide/index.md", "docs/errata.md", "notebooks/README.md"):
        assert f"]({page})" in text, f"README.md does not link to {page}"
    assert "python3 tasks.py docs" in text


def _load_tasks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tinynet_tasks", ROOT / "tasks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_two_commands_are_what_tasks_py_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's two commands exist in tasks.py and do what the README says they do."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Two commands\n.*?```bash\n(.*?)```", text, re.S)
    assert block, "README.md has no ```bash block under '## Two commands'"
    commands = [ln.split("#")[0].strip() for ln in block.group(1).splitlines() if ln.strip()]
    assert commands == ["python3 tasks.py train", "python3 tasks.py test"]

    tasks = _load_tasks()
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(tasks, "ensure_env", lambda extra: calls.append(("ensure_env", extra)))
    monkeypatch.setattr(tasks, "ensure_cupy_api", lambda: Path("cupy-api"))
    monkeypatch.setattr(tasks, "run", lambda *cmd, env=None: calls.append(tuple(map(str, cmd))))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")

    tasks.main(["train"])  # set-up (the plot extra) + train on the digits
    assert calls == [("ensure_env", "plot"),
                     (str(tasks.PY), "-m", "tinynet", "train", "--out", "runs/digits")]
    calls.clear()
    tasks.main(["test"])  # set-up (the dev extra) + lint + the whole test suite
    assert calls[0] == ("ensure_env", "dev")
    assert calls[1] == (str(tasks.PY), "-m", "ruff", "check", ".")
    assert calls[2][:3] == (str(tasks.PY), "-m", "pytest")
