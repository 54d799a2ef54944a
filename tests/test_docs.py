"""The documentation site builds without warnings, documents every public name, and works offline.

The site (``python3 tasks.py docs``; sources in ``docs/``) is built once per test session
with the same command as the task, warnings as errors, into a temporary folder. Then:

1. **It builds with no warning** (``-W``): a broken docstring, a reference to a name that
   is not documented, a dead link between the Markdown pages or a notebook that does not
   render fails here, not in a reader's browser.
2. **Every public name is in the API reference**: each name in ``tinynet.__all__`` and in
   the ``__all__`` of every public module is in the built inventory (``objects.inv``),
   under that name or, for a re-exported object, where it is documented.
3. **It works without a network**: no page loads a script, stylesheet or font from
   another host; MathJax comes from ``_static``, and the formulas are in the pages for
   it to typeset.
4. **Every formula is valid TeX for MathJax**: each one in the built pages is parsed by
   the bundled MathJax (in Node.js, when ``node`` is installed), so an undefined macro or
   an unbalanced brace, which a browser would show in red, fails here.
5. **The notebooks are pages, with their stored outputs** (exercise solutions collapsed).

Building needs the ``docs`` extra (part of ``dev`` on Python >= 3.11); without Sphinx the
tests are skipped and say why.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
import shutil
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from public_modules import public_modules

import tinynet

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

DOCS_PACKAGES = ("sphinx", "myst_nb", "myst_parser", "furo", "sphinx-mathjax-offline")
MISSING = [name for name in DOCS_PACKAGES if importlib.util.find_spec(name) is None]
needs_sphinx = pytest.mark.skipif(
    bool(MISSING),
    reason=f"building the docs needs {', '.join(MISSING)} (pip install -e '.[docs]', "
    "Python >= 3.11)",
)
# the tests that read the built site run in one pytest-xdist worker, so the site is built
# once (tasks.py test distributes with --dist loadgroup)
on_the_site = pytest.mark.xdist_group("docs-site")

# Modules whose names are documented through the package that exports them: the API
# reference shows ``tinynet.nn.Module``, not ``tinynet.nn.module.Module``. Every name in
# their ``__all__`` must still be documented (under the package's name), except in the
# modules listed in INTERNAL below.
IMPLEMENTATION = {
    "tinynet.nn.activations", "tinynet.nn.layers", "tinynet.nn.losses", "tinynet.nn.module",
    "tinynet.optim.adadelta", "tinynet.optim.adam", "tinynet.optim.optimizer",
    "tinynet.optim.sgd",
    "tinynet.datasets.digits", "tinynet.datasets.mnist", "tinynet.datasets.synthetic",
    "tinynet.train.checkpoint", "tinynet.train.config", "tinynet.train.errors",
    "tinynet.train.factories", "tinynet.train.loop", "tinynet.train.memory",
    "tinynet.train.metrics", "tinynet.train.data",
}  # fmt: skip
# The parts of the two commands (``tinynet train``, ``tinynet audit``): their ``__all__``
# lists what the other parts of the command use, not a library API. What a program may
# use is re-exported by tinynet.cli and tinynet.audit, which are documented.
INTERNAL = {
    "tinynet.audit.checks_examples", "tinynet.audit.checks_losses",
    "tinynet.audit.checks_network", "tinynet.audit.checks_optimizers",
    "tinynet.audit.command", "tinynet.audit.core", "tinynet.audit.report",
    "tinynet.cli.errors", "tinynet.cli.outputs", "tinynet.cli.progress", "tinynet.cli.train",
}  # fmt: skip


def read_inventory(path: Path) -> dict[str, tuple[str, str]]:
    """``objects.inv`` (Sphinx's inventory, version 2) as name -> (domain:role, uri)."""
    data = path.read_bytes()
    header_end = 0
    for _ in range(4):  # "# Sphinx inventory version 2", project, version, compression
        header_end = data.index(b"\n", header_end) + 1
    assert data.startswith(b"# Sphinx inventory version 2"), data[:40]
    entries: dict[str, tuple[str, str]] = {}
    line = re.compile(r"(?x)(.+?)\s+(\S+:\S+)\s+(-?\d+)\s+(\S+)\s+(.*)")
    for text in zlib.decompress(data[header_end:]).decode("utf-8").splitlines():
        m = line.fullmatch(text)
        if m:
            name, role, _prio, uri, _display = m.groups()
            entries[name] = (role, uri.replace("$", name) if uri.endswith("$") else uri)
    return entries


def resolve(name: str) -> Any:
    """The object a dotted name denotes (importing the longest module prefix), or None."""
    try:
        return pkgutil.resolve_name(name)
    except (ImportError, AttributeError, ValueError):
        return None


def identity_matters(obj: Any) -> bool:
    """Whether an object is found by identity (not an int or string that may be shared)."""
    return not isinstance(obj, (bool, int, float, complex, str, bytes, tuple, type(None)))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``python3 tasks.py docs``'s command (warnings as errors)."""
    out = tmp_path_factory.mktemp("docs") / "html"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
         "-d", str(out.parent / "doctrees"), str(DOCS), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, (
        f"the docs build failed (exit {result.returncode}); warnings are errors:\n"
        f"{result.stderr[-8000:]}"
    )
    print(f"docs built in {elapsed:.1f} s")
    return out


@pytest.fixture(scope="module")
def inventory(site: Path) -> dict[str, tuple[str, str]]:
    return read_inventory(site / "objects.inv")


@needs_sphinx
@pytest.mark.slow
@on_the_site
def test_docs_build_without_warnings(site: Path) -> None:
    assert (site / "index.html").is_file()
    for page in ("api/index", "notebooks", "errata", "sources", "benchmarks",
                 "architecture", "coming_from_pytorch", "guide/index"):  # fmt: skip
        assert (site / f"{page}.html").is_file(), page


def test_every_public_module_is_classified() -> None:
    """A new module is either documented on its own or listed above with a reason."""
    documented = {m for m in public_modules() if m not in IMPLEMENTATION | INTERNAL}
    pages = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "api").glob("*.md"))
    shown = set(re.findall(r"^\.\. automodule:: (\S+)", pages, re.MULTILINE))
    assert documented - shown == set(), "public modules without an API page (docs/api/)"
    assert (IMPLEMENTATION | INTERNAL) - set(public_modules()) == set(), "stale names above"


def names_to_document() -> Iterator[tuple[str, str]]:
    for module_name in public_modules():
        if module_name in INTERNAL:
            continue
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            yield module_name, name


@needs_sphinx
@pytest.mark.slow
@on_the_site
def test_every_public_name_is_in_the_api_reference(
    inventory: dict[str, tuple[str, str]],
) -> None:
    by_identity: dict[int, str] = {}
    for entry, (role, _uri) in inventory.items():
        if role.startswith("py:"):
            obj = resolve(entry)
            if obj is not None and identity_matters(obj):
                by_identity.setdefault(id(obj), entry)
    missing = []
    for module_name, name in names_to_document():
        full = f"{module_name}.{name}"
        if full in inventory:
            continue
        obj = getattr(importlib.import_module(module_name), name)
        if inspect.ismodule(obj) and obj.__name__ in inventory:
            continue
        if identity_matters(obj) and id(obj) in by_identity:
            continue
        parents = [module_name.rsplit(".", i)[0] for i in range(1, module_name.count(".") + 1)]
        if any(f"{p}.{name}" in inventory
               and getattr(importlib.import_module(p), name, None) is obj for p in parents):
            continue  # a constant documented with the package that re-exports it
        missing.append(full)
    assert not missing, f"public names missing from the API reference: {missing}"
    # the check has teeth: the inventory is the real one, with the core names in it
    assert inventory["tinynet.tensor.Tensor"][0] == "py:class"
    assert inventory["tinynet.ops.exp"][0] == "py:function"


def test_the_coverage_check_notices_a_missing_name() -> None:
    """The inventory reader and the lookup by identity do not accept everything."""
    fake = {"tinynet.tensor.Tensor": ("py:class", "api/tensor.html#tinynet.tensor.Tensor")}
    by_identity = {id(resolve(n)): n for n in fake}
    assert id(tinynet.Tensor) in by_identity  # re-exported: found where it is documented
    assert id(tinynet.exp) not in by_identity  # not documented in this inventory
    assert resolve("tinynet.no_such_name") is None


SCRIPT_OR_LINK = re.compile(r"<(script|link|img|iframe)\b[^>]*?\b(src|href)=[\"']([^\"']+)[\"']")
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)


@needs_sphinx
@pytest.mark.slow
@on_the_site
def test_pages_load_nothing_from_the_network(site: Path) -> None:
    remote = []
    for page in site.rglob("*.html"):
        for tag, _attr, url in SCRIPT_OR_LINK.findall(page.read_text(encoding="utf-8")):
            if REMOTE.match(url):
                remote.append(f"{page.relative_to(site)}: <{tag}> {url}")
    assert not remote, "pages that need a network:\n" + "\n".join(remote)
    for css in (site / "_static").rglob("*.css"):
        imports = re.findall(r"@import\s+url\(\s*[\"']?(https?:)?//|url\(\s*[\"']?https?://",
                             css.read_text(encoding="utf-8", errors="replace"))
        assert not imports, f"{css.relative_to(site)} fetches from the network"


@needs_sphinx
@pytest.mark.slow
@on_the_site
def test_formulas_are_typeset_by_the_bundled_mathjax(site: Path) -> None:
    page = site / "api" / "ops_trigonometric.html"
    html = page.read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b[^>]*\bsrc=[\"']([^\"']*mathjax[^\"']*)[\"']", html)
    assert scripts, "the page does not load MathJax"
    for src in scripts:
        path = (page.parent / src.split("?")[0]).resolve()
        assert path.is_file() and path.stat().st_size > 100_000, src  # the real MathJax
    # the docstring's ``.. math::`` block, as TeX for MathJax (not left as reST source)
    assert re.search(r'<div class="math[^"]*">\s*\\\[', html), "no display formula"
    assert ":math:" not in html and ".. math::" not in html
    inline = (site / "errata.html").read_text(encoding="utf-8")
    assert re.search(r'<span class="math[^"]*">\\\(', inline), "no inline formula"


# Parses each formula with the bundled MathJax, as the pages' tex-svg.js does (the TeX
# input with its default packages, undefined macros shown in red), and prints the failures.
MATHJAX_CHECK = r"""
const root = process.argv[2];
require(root + '/node-main.js').init({
  loader: {paths: {mathjax: root}, load: ['input/tex', 'output/svg', 'adaptors/liteDOM']},
  tex: {formatError: (jax, err) => { throw err; }},
}).then(async (MathJax) => {
  const items = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const failures = [];
  for (const [page, tex, display] of items) {
    try {
      const mml = await MathJax.tex2mmlPromise(tex, {display});
      const red = mml.match(/mathcolor="red"[^>]*>([^<]*)/);
      if (red || /<merror/.test(mml)) failures.push([page, tex, 'undefined ' + (red ? red[1] : '')]);
    } catch (err) {
      failures.push([page, tex, String(err.message || err)]);
    }
  }
  console.log(JSON.stringify(failures));
});
"""
MATH = re.compile(r'<(span|div) class="math notranslate nohighlight"[^>]*>(.*?)</\1>', re.DOTALL)


def formulas(site: Path) -> list[tuple[str, str, bool]]:
    """(page, TeX, display?) for every formula in the built pages."""
    found = []
    for page in sorted(site.rglob("*.html")):
        for _tag, body in MATH.findall(page.read_text(encoding="utf-8")):
            tex = html.unescape(body).strip()
            inline = tex.startswith("\\(") and tex.endswith("\\)")
            if inline or (tex.startswith("\\[") and tex.endswith("\\]")):
                tex = tex[2:-2]  # Sphinx's delimiters for MathJax
            found.append((str(page.relative_to(site)), tex, not inline))
    return found


@needs_sphinx
@pytest.mark.slow
@on_the_site
@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run MathJax")
def test_every_formula_is_valid_tex(site: Path, tmp_path: Path) -> None:
    found = formulas(site)
    assert len(found) > 500, "the pages lost their formulas"
    script = tmp_path / "check.js"
    script.write_text(MATHJAX_CHECK, encoding="utf-8")
    result = subprocess.run(
        ["node", str(script), str((site / "_static" / "mathjax").resolve())],
        input=json.dumps(found), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    failures = json.loads(result.stdout.strip().splitlines()[-1])
    assert not failures, "formulas MathJax cannot typeset:\n" + "\n".join(
        f"{page}: {tex!r}: {why}" for page, tex, why in failures
    )


@needs_sphinx
@pytest.mark.slow
@on_the_site
def test_notebooks_are_pages_with_their_stored_outputs(site: Path) -> None:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert len(notebooks) >= 10
    for nb in notebooks:
        page = site / "notebooks" / f"{nb.stem}.html"
        assert page.is_file(), f"{nb.name} is not a page"
        html = page.read_text(encoding="utf-8")
        assert "cell_output" in html, f"{nb.name}: no stored output shown"
    figures = (site / "notebooks" / "03_backprop_dense_sigmoid.html").read_text(encoding="utf-8")
    assert re.search(r"<img [^>]*src=\"../_images/", figures), "notebook figures missing"
    # an exercise's solution is collapsed on the page, as in Jupyter (its output shows)
    page = (site / "notebooks" / "02_gradient_checking.html").read_text(encoding="utf-8")
    solutions = re.findall(r'class="([^"]*\btag_solution\b[^"]*)"', page)
    assert solutions and all("tag_hide-input" in classes for classes in solutions), solutions
