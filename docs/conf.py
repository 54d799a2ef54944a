"""Sphinx configuration for tinynet's documentation site.

Build it with ``python3 tasks.py docs`` (or ``python -m sphinx -W --keep-going -b html docs
docs/_build/html``); the entry page is ``docs/_build/html/index.html``. The site works
when opened from disk without a network: MathJax is served from ``_static`` (copied from
the ``sphinx-mathjax-offline`` package), never from a CDN.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# autodoc imports the tinynet of this checkout, not an installed copy
sys.path.insert(0, str(ROOT))

import tinynet  # noqa: E402
from docutils import nodes  # noqa: E402

project = "tinynet"
author = "tinynet developers"
copyright = "tinynet developers"  # noqa: A001 (Sphinx's name for it)
release = tinynet.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_nb",
]

# -- sources ---------------------------------------------------------------------------
# docs/notebooks is a symbolic link to ../notebooks: the teaching notebooks are rendered
# from the files the repository tests, never from a copy. Their plain-text sources
# (NN_name.py) are not documents; notebooks/README.md is replaced by docs/notebooks.md.
exclude_patterns = [
    "_build",
    "notebooks/README.md",
    "notebooks/*.py",
    "notebooks/.ipynb_checkpoints",
]
root_doc = "index"

# -- MyST and notebooks ----------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 4
# notebooks are shown with the outputs stored in them (notebooks/sync.py makes them)
nb_execution_mode = "off"

# -- API reference ---------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = True
nitpicky = True

# -- HTML ------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"tinynet {release}"


def _mathjax_static_dir() -> str:
    """The folder holding ``mathjax/`` in the ``sphinx-mathjax-offline`` package."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the docs need the sphinx-mathjax-offline package (pip install -e '.[docs]')"
        )
    return str(Path(spec.origin).parent / "static")


# html_static_path folders are copied into _static: this one brings _static/mathjax/
html_static_path = [_mathjax_static_dir()]
# SVG output: no web fonts to fetch, so formulas render from file:// in any browser
mathjax_path = "mathjax/tex-svg.js"


# -- raw HTML anchors ------------------------------------------------------------------
# errata.md and sources.md mark each item with ``<a id="f2"></a>`` (an anchor that works on
# a code host and that tests/test_links.py checks). MyST copies the raw HTML into the page,
# so the anchor exists, but it resolves ``[...](errata.md#f2)`` only against headings and
# labels. Registering each raw id as one of the document's anchors lets those links
# resolve (and a link to an id that does not exist still fails the build).
_RAW_ANCHOR = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")


def _register_raw_anchors(app: Any, doctree: nodes.document) -> None:
    slugs = app.env.metadata[app.env.docname].setdefault("myst_slugs", {})
    for raw in doctree.findall(nodes.raw):
        if "html" not in raw.get("format", "").split():
            continue
        for anchor in _RAW_ANCHOR.findall(raw.astext()):
            slugs.setdefault(anchor, (0, anchor, anchor.upper()))


def setup(app: Any) -> dict[str, Any]:
    app.connect("doctree-read", _register_raw_anchors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
