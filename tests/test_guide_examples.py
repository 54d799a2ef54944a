"""The code examples of the user guide (docs/guide/*.md) must run as written.

A block fenced as ```python guide-example is executed; the examples of one page run one
after the other in one namespace (a later example may use the model of an earlier one),
in a temporary working directory. When the next fenced block after an example is a
```text block, that block is the example's output, and what the example prints must
equal it. The hypothesis example for instructors (```python guide-testing) must pass,
and fail when its derivative is broken.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide"
FENCE_OPEN = re.compile(r"^```(.*)$")


@dataclass
class Block:
    info: str
    source: str
    line: int  # line number of the first line of code in the Markdown file (1-based)


@dataclass
class Example:
    source: str
    line: int
    expected: str | None


def fenced_blocks(text: str) -> list[Block]:
    """The ```-fenced blocks of a Markdown text, in order, with their info strings."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE_OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        assert end < len(lines), f"unclosed code fence opened at line {i + 1}"
        blocks.append(Block(match.group(1).strip(), "\n".join(lines[i + 1:end]) + "\n", i + 2))
        i = end + 1
    return blocks


def examples(text: str) -> list[Example]:
    blocks = fenced_blocks(text)
    found = []
    for n, block in enumerate(blocks):
        if block.info.split() == ["python", "guide-example"]:
            after = blocks[n + 1] if n + 1 < len(blocks) else None
            expected = after.source if after is not None and after.info == "text" else None
            found.append(Example(block.source, block.line, expected))
    return found


def run_examples(path: Path, text: str) -> None:
    """Run the examples of one page in one namespace; compare printed output where given."""
    namespace: dict = {"__name__": f"guide_{path.stem}"}
    for example in examples(text):
        # padded so that a traceback names the line of the Markdown file
        code = compile("\n" * (example.line - 1) + example.source, str(path), "exec")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(code, namespace)
        if example.expected is not None:
            assert out.getvalue().rstrip() == example.expected.rstrip(), (
                f"{path.name}, example at line {example.line} printed\n{out.getvalue()}"
                f"but the page shows\n{example.expected}"
            )


PAGES = sorted(p for p in GUIDE.glob("*.md") if examples(p.read_text(encoding="utf-8")))


def test_the_examples_are_found() -> None:
    names = {p.name for p in PAGES}
    assert {"tensors.md", "nn.md", "optim.md"} <= names
    shown = [e for p in PAGES for e in examples(p.read_text(encoding="utf-8")) if e.expected]
    assert len(shown) >= 3


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_guide_examples_run_and_print_what_the_page_shows(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # examples may write files (checkpoints)
    run_examples(path, path.read_text(encoding="utf-8"))


def test_a_wrong_output_on_the_page_fails(tmp_path: Path) -> None:
    page = (
        "# Page\n\n```python guide-example\nx = 6 * 7\nprint(x)\n```\n\nprints\n\n"
        "```text\n42\n```\n\n```python guide-example\nprint(x + 1)\n```\n\n```text\n44\n```\n"
    )
    found = examples(page)
    assert [(e.line, e.expected) for e in found] == [(4, "42\n"), (15, "44\n")]
    with pytest.raises(AssertionError, match="example at line 15 printed"):
        run_examples(tmp_path / "page.md", page)


def _block(tag: str) -> str:
    path = GUIDE / "checking_gradients.md"
    matches = [b.source for b in fenced_blocks(path.read_text(encoding="utf-8"))
               if b.info.split() == ["python", tag]]
    assert len(matches) == 1, f"{path.name} needs exactly one ```python {tag} block"
    return matches[0]


def test_guide_property_test_example_runs_and_catches_a_bug() -> None:
    code = _block("guide-testing")
    exec(compile(code, "checking_gradients.md", "exec"), {"__name__": "guide"})
    # The same example with a wrong derivative must fail: the example really checks.
    broken = code.replace("(grad / (1 + tn.xp.exp(-self.x)),)", "(grad / (1 + tn.xp.exp(self.x)),)")
    assert broken != code
    try:
        exec(compile(broken, "checking_gradients.md", "exec"), {"__name__": "guide"})
    except AssertionError:
        return
    raise AssertionError("the guide's example did not catch a wrong backward")
