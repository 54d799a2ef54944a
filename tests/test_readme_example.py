"""The README's first look must run as written and actually train.

The block fenced as ```python readme-example is taken from README.md. (The examples of
the user guide, docs/guide/*.md, run in tests/test_guide_examples.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"```python readme-example\n(.*?)```", re.S)


def example_source() -> tuple[str, str]:
    match = FENCE.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README.md has no ```python readme-example block"
    return match.group(1), "README.md"


def test_example_is_about_ten_lines():
    code, _ = example_source()
    lines = [ln for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert len(lines) <= 16


def test_readme_training_example_trains():
    code, name = example_source()
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, name, "exec"), namespace)
    # chance level for two balanced classes is 50% accuracy and a loss of ln 2 = 0.69
    assert namespace["accuracy"] >= 0.95
    assert namespace["loss"].item() < 0.3
