"""The README's hypothesis example (for instructors) must run as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _block(tag: str) -> str:
    match = re.search(rf"```python {tag}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match, f"README.md has no ```python {tag} block"
    return match.group(1)


def test_readme_property_test_example_runs_and_catches_a_bug():
    code = _block("readme-testing")
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    # The same example with a wrong derivative must fail: the example really checks.
    broken = code.replace("(grad / (1 + tn.xp.exp(-self.x)),)", "(grad / (1 + tn.xp.exp(self.x)),)")
    assert broken != code
    try:
        exec(compile(broken, "README.md", "exec"), {"__name__": "readme"})
    except AssertionError:
        return
    raise AssertionError("the README example did not catch a wrong backward")
