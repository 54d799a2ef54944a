"""The training example of the nn documentation must run as written and actually train.

The block fenced as ```python readme-example is taken from README.md when the README has
one (after the lead merged docs/api_nn.md into it), else from docs/api_nn.md.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"```python readme-example\n(.*?)```", re.S)


def example_source() -> tuple[str, str]:
    for path in (ROOT / "README.md", ROOT / "docs" / "api_nn.md"):
        if path.exists():
            match = FENCE.search(path.read_text(encoding="utf-8"))
            if match:
                return match.group(1), path.name
    raise AssertionError(
        "neither README.md nor docs/api_nn.md has a ```python readme-example block"
    )


def test_example_is_about_ten_lines():
    code, _ = example_source()
    lines = [ln for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert len(lines) <= 16


def test_readme_training_example_trains():
    if importlib.util.find_spec("tinynet.optim") is None:
        pytest.skip("tinynet.optim is not available yet; the example uses tinynet.optim.Adam")
    code, name = example_source()
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, name, "exec"), namespace)
    # chance level for two balanced classes is 50% accuracy and a loss of ln 2 = 0.69
    assert namespace["accuracy"] >= 0.95
    assert namespace["loss"].item() < 0.3
