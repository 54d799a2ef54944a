"""Sphinx configuration for tinynet's documentation site.

Build it with ``python3 tasks.py docs`` (or ``python -m sphinx -W --keep-going -b html docs
docs/_build/html``); the entry page is ``docs/_build/html/index.html``. The site works
when opened from disk without a network: MathJax is served from ``_static`` (copied from
the ``sphinx-mathjax-offline`` package), never from a CDN.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import pkgutil
import re
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# autodoc imports the tinynet of this checkout, not an installed copy
sys.path.insert(0, str(ROOT))

import tinynet  # noqa: E402
from tinynet.tensor import Function  # noqa: E402

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
if not (DOCS / "notebooks" / "01_autograd_from_scratch.ipynb").is_file():
    raise RuntimeError(
        "docs/notebooks must be the symbolic link to ../notebooks (a checkout without "
        "symlink support has a small text file there instead: enable core.symlinks)"
    )
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
# an operation's undocumented backward_graph is not shown again with Function's docstring
autodoc_inherit_docstrings = False
napoleon_google_docstring = True
napoleon_numpy_docstring = True
# "str or os.PathLike, optional" in a parameter list: types become references, "optional" text
napoleon_preprocess_types = True
# Every reference must resolve, except to objects this site does not document: other
# projects' (no intersphinx: the build runs offline) and tinynet's private modules.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|torch|hypothesis)(\..+)?"),
    (r"py:.*", r"(collections|os|types|argparse)\..+"),
    (r"py:.*", r"(.*\.)?_[^.]*(\..*)?"),
]

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


# -- anchors written in raw HTML ---------------------------------------------------------
# errata.md and sources.md mark each item with ``<a id="f2"></a>`` (an anchor that works on
# a code host and that tests/test_links.py checks). MyST copies the raw HTML into the page,
# so the anchor exists, but it resolves ``[...](errata.md#f2)`` and ``[F2](#f2)`` only
# against headings and labels. Each raw id becomes one of the document's anchors, so those
# links resolve (and a link to an id that does not exist still fails the build).
_RAW_ANCHOR = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")


def _raw_html_anchors(app: Any, doctree: nodes.document) -> None:
    slugs = app.env.metadata[app.env.docname].setdefault("myst_slugs", {})
    anchors: set[str] = set()
    for raw in doctree.findall(nodes.raw):
        if "html" in raw.get("format", "").split():
            anchors.update(_RAW_ANCHOR.findall(raw.astext()))
    for anchor in anchors:
        slugs.setdefault(anchor, (0, anchor, anchor.upper()))
    # ``[F3](#f3)`` inside the same page: a plain link to the anchor
    for ref in list(doctree.findall(addnodes.pending_xref)):
        if ref.get("reftype") == "myst" and ref.get("reftarget") in anchors:
            link = nodes.reference("", "", *ref.children, internal=True)
            link["refuri"] = "#" + ref["reftarget"]
            ref.replace_self(link)


# -- references to re-exported names -----------------------------------------------------
# Each object is documented once, under the module that defines it publicly (``Tensor``
# under tinynet.tensor, ``exp`` under tinynet.ops). A reference may name it where a
# program finds it instead (``tinynet.randn``, ``tinynet.nn.Sequential``, ``tinynet.Tensor``)
# or, inside a class, name a method it inherits (``backward`` in an operation). Sphinx
# cannot know those are the same objects; this resolver finds the Python object a
# reference names and, if that object is documented under another name, links there.
# A reference to something that is not documented anywhere still fails the build.


def _import_dotted(name: str) -> Any:
    """The object a dotted name denotes (importing the longest module prefix), or None."""
    try:
        return pkgutil.resolve_name(name)
    except (ImportError, AttributeError, ValueError):
        return None


def _documented_names(app: Any) -> dict[int, str]:
    """id(object) -> the name under which it is documented.

    Made once per build, when the first reference is resolved (all pages are read by
    then), and kept on the application: object ids mean nothing in a later process, so
    this must not go into the environment that Sphinx saves between builds.
    """
    cache = getattr(app, "_tinynet_documented", None)
    if cache is None:
        cache = {}
        for name, entry in app.env.get_domain("py").objects.items():
            if getattr(entry, "aliased", False):
                continue
            obj = _import_dotted(name)
            if obj is not None and not isinstance(obj, (int, float, str, bytes, tuple, bool)):
                cache.setdefault(id(obj), name)
        app._tinynet_documented = cache
    return cache


def _resolve_reexport(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    if node.get("refdomain") != "py":
        return None
    objects = env.get_domain("py").objects
    documented = _documented_names(app)
    target = node["reftarget"].lstrip("~.")
    module, cls = node.get("py:module") or "", node.get("py:class")
    name = None
    # where to look: in the class, in the module, in the packages above it (a sibling
    # that the package re-exports), then the name as written
    scopes = [f"{module}.{cls}." if module and cls else None, f"{module}." if module else None]
    scopes += [module.rsplit(".", i)[0] + "." for i in range(1, module.count("."))]
    scopes.append("" if "." in target else None)
    for scope in scopes:
        if scope is None:
            continue
        obj = _import_dotted(scope + target)
        if obj is not None:
            name = documented.get(id(obj))
        if name is None and obj is not None and node["reftype"] == "mod" and inspect.ismodule(obj):
            # an implementation module (tinynet.nn.module): its public names are documented
            # with the package that exports them, so the link goes to that package
            parent = target
            while name is None and "." in parent:
                parent = parent.rpartition(".")[0]
                if parent in env.get_domain("py").modules:
                    name = parent
        if name is None and cls and scope == f"{module}.{cls}." and "." not in target:
            # a method or attribute named inside a class: the base class that documents it
            for base in getattr(_import_dotted(scope[:-1]), "__mro__", ())[1:]:
                if f"{documented.get(id(base))}.{target}" in objects:
                    name = f"{documented[id(base)]}.{target}"
                    break
        if name is not None:
            break
    if name is None:
        return None
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], name, node, contnode
    )


def _skip_operation_internals(
    app: Any, what: str, name: str, obj: Any, skip: bool, options: Any
) -> bool | None:
    """Leave out the undocumented forward/backward and saved slots of each operation.

    They implement the contract documented once on :class:`tinynet.tensor.Function`;
    listing forty bare signatures would bury the docstrings that carry the derivatives.
    """
    slot = type(obj).__name__ == "member_descriptor" or repr(obj) in ("SLOTS_ATTR", "SLOTSATTR")
    if what == "class" and slot:
        # a slot (``__slots__ = ("a", "b")``): for an operation, what it saves for its
        # backward, an implementation detail
        owner = _import_dotted(
            f"{app.env.temp_data.get('autodoc:module')}.{app.env.temp_data.get('autodoc:class')}"
        )
        if isinstance(owner, type) and issubclass(owner, Function):
            return True
        return None
    if what != "class" or getattr(obj, "__doc__", None):
        return None
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if not isinstance(module, str) or not module.startswith("tinynet") or "." not in qualname:
        return None
    cls = _import_dotted(f"{obj.__module__}.{qualname.rpartition('.')[0]}")
    if isinstance(cls, type) and issubclass(cls, Function) and cls is not Function:
        return True
    return None


# -- constants re-exported by a package --------------------------------------------------
# autodoc reads a constant's ``#:`` comment from the module it is documented under; for
# ``tinynet.datasets.DIGITS_SHA256`` the comment is in tinynet/datasets/digits.py. This fills
# in the comment of the submodule that defines the constant.


def _reexported_constant_doc(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what != "data" or not name.startswith("tinynet."):
        return
    package, _, attr = name.rpartition(".")
    if ("", attr) in ModuleAnalyzer.for_module(package).find_attr_docs():
        return  # documented where it is defined
    # otherwise autodoc fell back to the docstring of the value's type (dict, str, ...)
    lines[:] = []
    for sub in sorted(m for m in sys.modules if m.startswith(package + ".")):
        if getattr(sys.modules[sub], attr, None) is obj:
            comment = ModuleAnalyzer.for_module(sub).find_attr_docs().get(("", attr))
            if comment:
                lines.extend(comment)
                return


# -- the names a package re-exports ----------------------------------------------------------


class ReexportsDirective(SphinxDirective):
    """``.. tinynet-reexports:: tinynet``: every name in a package's ``__all__``, linked.

    Each is documented where it is defined (the links resolve through
    :func:`_resolve_reexport`), so this list stays complete without repeating them.
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        package = importlib.import_module(self.arguments[0])
        kinds: dict[str, list[str]] = {"Classes": [], "Functions": [], "Modules": [], "Data": []}
        for name in package.__all__:
            obj = getattr(package, name)
            full = f"{package.__name__}.{name}"
            if inspect.ismodule(obj) and obj.__name__.startswith("tinynet"):
                kinds["Modules"].append(f":py:mod:`{obj.__name__}`")
            elif inspect.isclass(obj):
                kinds["Classes"].append(f":py:class:`~{full}`")
            elif callable(obj) and not inspect.ismodule(obj):
                kinds["Functions"].append(f":py:func:`~{full}`")
            else:
                kinds["Data"].append(f":py:data:`~{full}`")
        text = "\n".join(
            f"**{kind}**: {', '.join(refs)}\n" for kind, refs in kinds.items() if refs
        )
        container = nodes.container()
        lines = StringList(text.splitlines(), self.get_source_info()[0])
        self.state.nested_parse(lines, self.content_offset, container)
        return container.children


# -- exercise solutions stay collapsed ------------------------------------------------------
# Each exercise's solution cell is stored collapsed (Jupyter's ``source_hidden``), so that a
# learner tries first. myst-nb knows the ``hide-input`` tag instead: the page shows the
# solution's output ("correct") and its code behind a "Show code cell source" toggle.


def _collapse_hidden_sources(app: Any, docname: str, source: list[str]) -> None:
    if not app.env.doc2path(docname).suffix == ".ipynb":
        return
    notebook = json.loads(source[0])
    for cell in notebook["cells"]:
        metadata = cell.get("metadata", {})
        if metadata.get("jupyter", {}).get("source_hidden"):
            tags = metadata.setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
    source[0] = json.dumps(notebook)


# -- links written as repository paths -------------------------------------------------------
# A Markdown page links to a file by its path in the repository, so that the link works on a
# code host and tests/test_links.py can check it: docs/guide/tensors.md links to
# ``../../notebooks/01_autograd_from_scratch.ipynb``. Sphinx reads that notebook through the
# docs/notebooks symbolic link, as the document ``notebooks/01_autograd_from_scratch``, and
# does not know the path outside docs/. This maps such a link to the document whose source
# is the same file; a link to a file that is no document still fails the build.


def _resolve_repository_paths(app: Any, doctree: nodes.document) -> None:
    env = app.env
    by_real_path: dict[str, str] | None = None
    for ref in doctree.findall(addnodes.pending_xref):
        if ref.get("reftype") != "myst" or ref.get("refdomain") != "doc":
            continue
        target = ref["reftarget"]
        if target in env.found_docs:
            continue
        if by_real_path is None:
            by_real_path = {
                str(Path(env.doc2path(doc)).resolve().with_suffix("")): doc
                for doc in env.found_docs
            }
        path = Path(target) if Path(target).is_absolute() else Path(env.srcdir) / target
        doc = by_real_path.get(str(path.resolve()))
        if doc is not None:
            ref["reftarget"] = doc


# -- links to tinynet's source files ---------------------------------------------------------
# A page that links to a source file by its repository path (``../../tinynet/tensor.py``)
# gets, in the site, the highlighted source page that sphinx.ext.viewcode makes for the
# module, with links to its documentation, rather than a download of the file. Files
# without such a page (private modules) stay downloads.


def _source_links_to_viewcode(app: Any, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    modules = getattr(app.env, "_viewcode_modules", {})
    package = ROOT / "tinynet"
    for ref in list(doctree.findall(addnodes.download_reference)):
        path = (Path(app.env.doc2path(docname)).parent / ref["reftarget"]).resolve()
        if path.suffix != ".py" or not path.is_relative_to(package):
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not modules.get(module):
            continue
        uri = app.builder.get_relative_uri(docname, "_modules/" + module.replace(".", "/"))
        link = nodes.reference("", "", *ref.children, internal=True, refuri=uri)
        ref.replace_self(link)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("tinynet-reexports", ReexportsDirective)
    app.connect("source-read", _collapse_hidden_sources)
    app.connect("doctree-read", _raw_html_anchors)
    app.connect("doctree-read", _resolve_repository_paths)
    app.connect("missing-reference", _resolve_reexport)
    app.connect("doctree-resolved", _source_links_to_viewcode)
    app.connect("autodoc-skip-member", _skip_operation_internals)
    app.connect("autodoc-process-docstring", _reexported_constant_doc)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
