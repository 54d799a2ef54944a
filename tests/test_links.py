"""Every relative link in the Markdown files and notebooks points at something that exists.

A citation is only useful if a reader can follow it from a clone of the repository (or
the files shipped with it): links such as ``[errata](docs/errata.md#f2)`` must name an
existing file and, when they carry one, an existing anchor in it (a heading or an
``<a id=...>``). Repository paths written as code, such as ```docs/sources.md```, are
checked too, because readers follow those by hand. Web links are not fetched.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "scratch", "runs", "build", "dist"}

LINK = re.compile(r"(?<!\!)\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
CODE_PATH = re.compile(r"`((?:docs|notebooks|tinynet|tests|benchmarks)/[\w./-]+)`")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
ANCHOR_ID = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")


def markdown_files() -> list[Path]:
    return sorted(
        p for p in ROOT.rglob("*.md")
        if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts) and "egg-info" not in str(p)
    )


def notebook_files() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def markdown_of(path: Path) -> str:
    """The Markdown text of a .md file, or of a notebook's markdown cells."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c["cell_type"] == "markdown"
        )
    return path.read_text(encoding="utf-8")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\$", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    text = markdown_of(path)
    body = FENCE.sub("", text)
    found = set(ANCHOR_ID.findall(text))
    seen: dict[str, int] = {}
    for line in body.splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            found.add(s if n == 0 else f"{s}-{n}")
            seen[s] = n + 1
    return found


def links_of(path: Path) -> list[tuple[str, bool]]:
    """(target, is_code_path) for every link in *path*, outside fenced code blocks."""
    body = FENCE.sub("", markdown_of(path))
    targets = [(t, False) for rx in (LINK, IMAGE, REFERENCE) for t in rx.findall(body)]
    targets += [(t, True) for t in CODE_PATH.findall(body)]
    return targets


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)) or target.startswith("//")


def broken_links(path: Path) -> list[str]:
    problems = []
    for target, code_path in links_of(path):
        if is_external(target):
            continue
        file_part, _, anchor = target.partition("#")
        if code_path:
            resolved = ROOT / file_part.rstrip("/")
        elif file_part:
            resolved = (path.parent / file_part).resolve()
        else:
            resolved = path
        if not resolved.exists():
            problems.append(f"{target}: {resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else resolved} does not exist")
            continue
        if anchor and resolved.suffix in (".md", ".ipynb") and anchor not in anchors_of(resolved):
            problems.append(f"{target}: no anchor #{anchor} in {resolved.relative_to(ROOT)}")
    return problems


FILES = markdown_files() + notebook_files()


def test_the_documents_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert {"README.md", "docs/sources.md", "docs/errata.md", "notebooks/README.md"} <= names
    assert sum(n.endswith(".ipynb") for n in names) == 10


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(path: Path) -> None:
    problems = broken_links(path)
    assert not problems, f"{path.relative_to(ROOT)} has broken links:\n  " + "\n  ".join(problems)


def test_the_checker_finds_broken_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text('# Title here\n\n<a id="x1"></a>\n')
    page = tmp_path / "docs" / "b.md"
    page.write_text(
        "[ok](a.md) [ok](a.md#title-here) [ok](a.md#x1) [web](https://example.org/x)\n"
        "[bad](missing.md) [bad anchor](a.md#nope) `docs/a.md` `docs/gone.md`\n"
        "```\n[in code](ignored.md)\n```\n"
    )
    problems = broken_links(page)
    assert len(problems) == 3, problems
    assert any("missing.md" in p for p in problems)
    assert any("#nope" in p for p in problems)
    assert any("docs/gone.md" in p for p in problems)


def test_citations_in_the_package_point_inside_the_repository() -> None:
    """Docstrings cite the source documents through docs/sources.md, never through files
    that only exist outside the repository (FORMULAS.md, seeds/...)."""
    offenders = []
    for py in sorted((ROOT / "tinynet").rglob("*.py")):
        for n, line in enumerate(py.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"FORMULAS(\.md)?\b|seeds/", line):
                offenders.append(f"{py.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "cite docs/sources.md instead:\n  " + "\n  ".join(offenders)
