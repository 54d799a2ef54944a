r"""Every docstring in tinynet/ writes its math in the one convention the docs render.

The API reference is built by Sphinx autodoc from the docstrings, and Sphinx renders
reST math only: inline ``:math:`...``` and display ``.. math::`` blocks. A ``$x$``
written the Markdown way reaches the page as literal dollar signs. A formula with a
backslash in a docstring that is not a raw string is corrupted silently: ``"\frac"``
is a form feed followed by ``rac``, ``"\beta"`` a backspace, ``"\theta"`` a tab,
``"\nabla"`` a newline. And MathJax shows an error instead of a formula whose braces
do not balance.

The docstrings are read from the source files with :mod:`ast` (no import needed), so
private helpers and nested functions are checked as well as the public API; the ``#:``
comments that document constants and attributes are checked for the same math.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from public_modules import public_modules

import tinynet
from tinynet.tensor import Function

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tinynet"

# Markdown/LaTeX dollar math: `$$`, or `$...$` opening on a non-space and closing after one.
DOLLAR_MATH = re.compile(r"\$\$|\$(?=[^\s$])[^$]*(?<=[^\s$])\$")
MATH_ROLE = re.compile(r":math:`([^`]*)`")
MATH_ROLE_START = re.compile(r":math:`")
MATH_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::(?P<rest>.*)$")
# Control characters other than the newline: in a docstring they come from an escape
# such as \f, \b, \t, \r, \v or \a in a string that should have been raw.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
# In the source of a non-raw literal: an escape other than \\, \", \' and a backslash at
# the end of a line. \n is the one that leaves no control character behind ("\nabla").
ESCAPE = re.compile(r"\\[^\\\"'\n]")


@dataclass(frozen=True)
class Docstring:
    """One docstring: where it is and its value (as Python evaluated the literal)."""

    path: str
    line: int
    owner: str
    text: str
    literal: str = ""

    def where(self) -> str:
        return f"{self.path}:{self.line} ({self.owner})"


def docstrings_in(source: str, path: str) -> list[Docstring]:
    """Module, class, function and method docstrings of one source file, nested ones too."""
    found: list[Docstring] = []

    def visit(node: ast.AST, owner: str) -> None:
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            value = body[0].value
            literal = ast.get_source_segment(source, value) or ""
            found.append(Docstring(path, value.lineno, owner, value.value, literal))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, f"{owner}.{child.name}")
            else:
                visit(child, owner)

    visit(ast.parse(source), "<module>")
    return found


def math_pieces(text: str) -> list[str]:
    """The LaTeX of every ``:math:`` role and every ``.. math::`` block in *text*."""
    pieces = MATH_ROLE.findall(text)
    lines = inspect.cleandoc(text).splitlines()
    i = 0
    while i < len(lines):
        match = MATH_DIRECTIVE.match(lines[i])
        if not match:
            i += 1
            continue
        indent = len(match.group("indent"))
        block = [match.group("rest")]
        i += 1
        while i < len(lines) and (
            not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
        ):
            block.append(lines[i])
            i += 1
        pieces.append("\n".join(block))
    return pieces


def brace_problem(latex: str) -> str | None:
    """Why the braces of *latex* do not balance (``\\{`` and ``\\}`` are literal), or None."""
    depth = 0
    for token in re.findall(r"\\.|[{}]", latex, flags=re.S):
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return "a '}' closes nothing"
    return f"{depth} '{{' never closed" if depth else None


def problems(doc: Docstring) -> list[str]:
    """Every breach of the math convention in one docstring."""
    found: list[str] = []
    for match in DOLLAR_MATH.finditer(doc.text):
        found.append(f"dollar math {match.group(0)[:60]!r}: use :math:`...` or .. math::")
    for match in CONTROL.finditer(doc.text):
        context = doc.text[max(0, match.start() - 15) : match.end() + 15]
        found.append(
            f"control character {match.group(0)!r} in {context!r}: make it a raw string r\"\"\"...\"\"\""
        )
    prefix = re.match(r"[A-Za-z]*", doc.literal).group(0)
    if "r" not in prefix.lower():
        for match in ESCAPE.finditer(doc.literal.replace("\\\\", "")):
            found.append(
                f"escape {match.group(0)!r} in a non-raw docstring: make it r\"\"\"...\"\"\""
            )
    if len(MATH_ROLE_START.findall(doc.text)) != len(MATH_ROLE.findall(doc.text)):
        found.append(":math:` role without its closing backquote")
    for latex in math_pieces(doc.text):
        why = brace_problem(latex)
        if why:
            found.append(f"unbalanced braces ({why}) in math {latex.strip()[:80]!r}")
    return found


def doc_comments_in(source: str, path: str) -> list[Docstring]:
    """The ``#:`` comment blocks of one source file: autodoc renders them as attribute docs."""
    found: list[Docstring] = []
    block: list[str] = []
    start = 0
    for number, line in enumerate([*source.splitlines(), ""], start=1):
        if line.lstrip().startswith("#:"):
            if not block:
                start = number
            block.append(line.lstrip()[2:].strip())
        elif block:
            found.append(Docstring(path, start, "#: comment", "\n".join(block), "r''"))
            block = []
    return found


def package_docstrings() -> list[Docstring]:
    docs: list[Docstring] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        docs.extend(docstrings_in(source, rel))
        docs.extend(doc_comments_in(source, rel))
    return docs


def test_the_walk_sees_every_module_and_the_math():
    docs = package_docstrings()
    modules = {d.path for d in docs if d.owner == "<module>"}
    assert len(modules) > 50
    assert "tinynet/ops/arithmetic.py" in modules
    owners = {d.owner for d in docs if d.path == "tinynet/ops/arithmetic.py"}
    assert {"<module>.MatMul", "<module>.PowConst"} <= owners
    assert sum(len(math_pieces(d.text)) for d in docs) > 300
    comments = [d for d in docs if d.owner == "#: comment" and d.path == "tinynet/testing.py"]
    assert any(r":math:`\pm\infty`" in d.text for d in comments)


def test_docstrings_follow_the_math_convention():
    report = [
        f"{doc.where()}: {problem}" for doc in package_docstrings() for problem in problems(doc)
    ]
    assert not report, "\n".join(report)


# The checker itself: each kind of mistake it exists for is caught, and correct math passes.

GOOD = r'''
r"""Module :math:`\frac{1}{n}\sum_i x_i`, a price of 5 $ and ``$HOME``."""


class Adam:
    r"""Update

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\
        \hat m_t &= \frac{m_t}{1-\beta_1^t}

    .. math:: \{x\} = \left\{ y \right\}
    """

    def step(self):
        """Plain text with \\ a backslash escape and no math."""
'''


def test_correct_docstrings_pass():
    docs = docstrings_in(GOOD, "good.py")
    assert [d.owner for d in docs] == ["<module>", "<module>.Adam", "<module>.Adam.step"]
    assert len(math_pieces(docs[1].text)) == 2
    assert [problems(d) for d in docs] == [[], [], []]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('def f():\n    r"""Gives $y = x^2$."""\n', "dollar math"),
        ('def f():\n    r"""Display\n\n    $$y = x^2$$\n    """\n', "dollar math"),
        ('class A:\n    def f(self):\n        """:math:`\\frac{1}{2}`."""\n', "control character"),
        ('"""Angle :math:`\\theta`."""\n', "control character"),
        ('def f():\n    """Gradient :math:`\\nabla f`."""\n', "non-raw docstring"),
        ('def f():\n    r""":math:`\\frac{1}{2` half."""\n', "unbalanced braces"),
        ('def f():\n    r""":math:`x}` ."""\n', "unbalanced braces"),
        ('def f():\n    r"""A\n\n    .. math::\n\n        e^{x\n\n    After.\n    """\n', "unbalanced"),
        ('def f():\n    r""":math:`x never closed."""\n', "closing backquote"),
        ("#: The limit $\\pm\\infty$.\nLIMIT = 1\n", "dollar math"),
        ("#: A brace :math:`e^{x`\n#: too few.\nE = 1\n", "unbalanced braces"),
    ],
)
def test_planted_mistakes_are_caught(source: str, expected: str):
    docs = docstrings_in(source, "planted.py") + doc_comments_in(source, "planted.py")
    (doc,) = [d for d in docs if d.owner != "<module>" or "Angle" in d.text]
    found = problems(doc)
    assert found and any(expected in p for p in found), found


# Every public function, class and method has a docstring (what the API reference shows).

# An operation's forward/backward/backward_graph implement the contract documented once on
# Function; the docs leave them out (docs/conf.py) and each class docstring carries the
# derivative instead.
FUNCTION_CONTRACT = frozenset({"forward", "backward", "backward_graph"})


def ours(obj: Any) -> bool:
    """Whether *obj* is defined in tinynet (not a re-exported numpy or stdlib object)."""
    return str(getattr(obj, "__module__", "")).startswith("tinynet")


def has_docstring(obj: Any) -> bool:
    """A docstring of its own: not inherited, not the signature a dataclass writes as one."""
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else obj.__doc__
    if not isinstance(doc, str) or not doc.strip():
        return False
    return not (isinstance(obj, type) and doc.startswith(f"{obj.__name__}("))


def method_function(member: Any) -> Any:
    """The function behind a class attribute (method, static/class method, property), or None."""
    if isinstance(member, (staticmethod, classmethod)):
        member = member.__func__
    elif isinstance(member, property):
        member = member.fget
    elif isinstance(member, functools.cached_property):
        member = member.func
    return member if inspect.isfunction(member) else None


def undocumented(where: str, obj: Any) -> Iterator[str]:
    """*where* if *obj* (a tinynet function or class) has no docstring, and its bare methods."""
    if not ours(obj) or not (inspect.isfunction(obj) or inspect.isclass(obj)):
        return
    if not has_docstring(obj):
        yield where
    if not inspect.isclass(obj):
        return
    contract = issubclass(obj, Function) and obj is not Function
    for name, member in vars(obj).items():
        if name.startswith("_") or (contract and name in FUNCTION_CONTRACT):
            continue
        function = method_function(member)
        if function is not None and not has_docstring(function):
            yield f"{where}.{name}"


def public_objects() -> Iterator[tuple[str, Any]]:
    """``(dotted name, object)`` for each name in each public module's ``__all__``."""
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            yield f"{module_name}.{name}", getattr(module, name)


def test_the_public_names_are_found() -> None:
    found = dict(public_objects())
    assert {"tinynet.nn.functional", "tinynet.optim", "tinynet.train"} <= set(public_modules())
    assert found["tinynet.ops.exp"] is tinynet.ops.exp
    assert found["tinynet.Tensor"] is tinynet.Tensor
    assert len(found) > 300


def test_every_public_function_class_and_method_has_a_docstring() -> None:
    missing: dict[str, None] = {}  # ordered, and a name re-exported twice is listed once
    seen: set[int] = set()
    for where, obj in public_objects():
        if id(obj) not in seen:
            seen.add(id(obj))
            missing.update(dict.fromkeys(undocumented(where, obj)))
    assert not missing, "no docstring (the API reference shows a bare signature):\n" + "\n".join(
        missing
    )


def test_a_missing_docstring_is_caught() -> None:
    class Documented:
        """A class with a docstring."""

        def method(self) -> None:
            """A method with one."""

        def _private(self) -> None:
            pass

    class Bare:
        def method(self) -> None:
            pass

        @property
        def size(self) -> int:
            return 0

        @staticmethod
        def make() -> None:
            pass

    class Op(Function):
        """An operation: its forward and backward are documented on Function."""

        def forward(self, x: Any) -> Any:
            return x

        def backward(self, grad: Any) -> tuple[Any, ...]:
            return (grad,)

        def extra(self) -> None:
            pass

    def bare_function() -> None:
        pass

    for obj in (Documented, Bare, Op, bare_function):
        obj.__module__ = "tinynet.planted"
    assert list(undocumented("Documented", Documented)) == []
    assert list(undocumented("Bare", Bare)) == ["Bare", "Bare.method", "Bare.size", "Bare.make"]
    assert list(undocumented("Op", Op)) == ["Op.extra"]
    assert list(undocumented("f", bare_function)) == ["f"]
    assert list(undocumented("len", len)) == []  # not tinynet's


def test_a_dataclass_signature_is_not_a_docstring() -> None:
    @dataclass
    class Record:
        x: int

    Record.__module__ = "tinynet.planted"
    assert list(undocumented("Record", Record)) == ["Record"]
