r"""The computation graph, drawn, and the backward pass, step by step.

Two teaching tools for what :meth:`Tensor.backward <tinynet.tensor.Tensor.backward>`
does, neither of which costs the engine anything when unused:

* :func:`draw_graph` returns a :class:`GraphDrawing` of the graph that produced a
  tensor: one box per tensor (name, shape, dtype; optionally its value and gradient),
  one oval per operation, and on each edge from an input to an operation the **local
  derivative** that the chain rule multiplies by there (each op's ``local_derivatives``,
  a plain-text summary of the formula in its docstring). It is laid out here, without
  Graphviz or any other program: it shows inline in Jupyter, and saves as SVG (no
  dependency) and as PNG (with matplotlib, from the ``plot``, ``notebooks`` or ``dev``
  extra).
* :func:`trace_backward` runs the backward pass itself, node by node as ``backward()``
  does, and records each step: which node, its operation and shape, the adjoint
  :math:`\bar v = \partial L/\partial v` arriving there, and for each input the local
  derivative and the gradient sent to it. It gives the same ``.grad`` as ``backward()``
  and prints as a table (:class:`BackwardTrace`).

The graph and backward. ``backward()`` frees the graph as it passes (as PyTorch does), so
draw a graph *before* calling it, or call ``backward(retain_graph=True)`` (then
``draw_graph(loss, grads=True)`` shows the gradients of the leaves, and of tensors that
called ``retain_grad()``). Drawing a freed graph raises an error that says so.

Example::

    x = tn.tensor([1.0, 2.0], requires_grad=True, name="x")
    loss = (x * x).sum()
    tn.draw_graph(loss)                 # inline in Jupyter
    print(tn.trace_backward(loss))      # the backward pass, one row per chain-rule term
    tn.draw_graph(loss).save_svg("graph.svg")  # .save_png needs matplotlib
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tinynet import tensor as _tensor_module
from tinynet._io import atomic_write_bytes, atomic_write_text
from tinynet.autograd import (
    _anomaly_backward,
    _check_versions,
    _contract_error,
    _initial_seed,
    _topological_order,
)
from tinynet.backend import to_numpy
from tinynet.tensor import _FREED, Function, Tensor, _Anomaly, unbroadcast

__all__ = ["draw_graph", "GraphDrawing", "trace_backward", "BackwardTrace", "TraceStep"]


# --------------------------------------------------------------------------- shared
def _walk(root: Tensor, caller: str) -> list[Tensor]:
    """Every tensor *root* depends on (constants too), each after its inputs.

    Deterministic: inputs are visited in their order. Iterative, so long chains are fine.
    """
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        ctx = node._ctx
        if ctx is _FREED:
            raise RuntimeError(
                f"{caller}: part of this graph was already freed by backward(), which "
                f"releases the graph as it passes. Call {caller} before backward(), or "
                "call backward(retain_graph=True) to keep the graph"
            )
        stack.append((node, True))
        if ctx is not None:
            for parent in reversed(ctx.inputs):
                if id(parent) not in seen:
                    stack.append((parent, False))
    return order


def _names(order: list[Tensor]) -> dict[int, str]:
    """A tensor's ``name``, or ``t<k>`` with *k* its position in the forward order."""
    return {id(t): t.name or f"t{k}" for k, t in enumerate(order)}


def _local_derivatives(fn: Function) -> tuple[str, ...]:
    """The op's edge labels, one per input; a generic one for a Function without them."""
    labels = tuple(getattr(fn, "local_derivatives", ()))
    n = len(fn.inputs)
    if len(labels) == 1 and n > 1:  # an op of any number of inputs (concatenate)
        return labels * n
    if len(labels) != n:
        return tuple(f"∂y/∂x{j}" for j in range(n)) if n > 1 else ("∂y/∂x",)
    return labels


def _fmt(v: Any) -> str:
    try:
        return f"{v:.4g}"
    except (TypeError, ValueError):
        return str(v)


def _summary(array: Any) -> str:
    """A short text for an array: the number, up to four numbers, or min/max/mean."""
    a = to_numpy(array)
    if a.size == 1:
        return _fmt(a.reshape(()).item())
    if a.size == 0:
        return "[]"
    if a.size <= 4:
        return "[" + ", ".join(_fmt(v) for v in a.ravel().tolist()) + "]"
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    lo, hi = a.min(), a.max()
    return f"all {_fmt(lo)}" if lo == hi else f"min {_fmt(lo)} max {_fmt(hi)}"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


# The options worth showing next to an op's name (only short, not-None values).
_OP_DETAILS = {
    "PowConst": ("c",), "Sum": ("axis",), "Mean": ("axis",), "Softmax": ("axis",),
    "LogSoftmax": ("axis",), "LeakyReLU": ("slope",), "Clip": ("lo", "hi"),
    "Reshape": ("new_shape",), "Transpose": ("axes",), "Cast": ("dtype",),
}  # fmt: skip


def _op_text(fn: Function) -> str:
    name = type(fn).__name__
    parts = [name]
    for attr in _OP_DETAILS.get(name, ()):
        value = getattr(fn, attr, None)
        if value is not None and len(str(value)) <= 16:
            parts.append(f"{attr}={value}")
    return " ".join(parts)


# --------------------------------------------------------------------------- drawing
# Geometry in pixels (one pixel is one point in the PNG at scale 1). Monospace text,
# so a line's width is known without a font library: the SVG and the PNG agree.
_FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
_FS, _FS_EDGE = 11.0, 10.0  # font sizes
_CHAR, _CHAR_EDGE = 0.6 * _FS, 0.6 * _FS_EDGE  # advance of one monospace character
_LINE = 15.0  # line height
_PAD = 7.0  # padding inside a box
_ROW_GAP = 18.0  # vertical space between boxes in one column
_MARGIN = 14.0

_STYLE = {  # kind: (fill, stroke, text colour)
    "param": ("#dbe8fb", "#4a72b0", "#1b2a40"),
    "const": ("#f0f0f0", "#a0a0a0", "#606060"),
    "tensor": ("#ffffff", "#888888", "#202020"),
    "output": ("#fde9c9", "#c98a2b", "#3a2a10"),
    "op": ("#efe3f6", "#8e6aa8", "#3a2448"),
}
_EDGE_COLOUR, _LABEL_COLOUR = "#777777", "#b03a2e"


@dataclass
class GraphNode:
    """One box (a tensor) or oval (an operation) of a :class:`GraphDrawing`."""

    key: int
    kind: str  # "param" (a leaf that requires grad), "const", "tensor", "output", "op"
    lines: list[str]
    x: float = 0.0  # centre
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0


@dataclass
class GraphEdge:
    """An arrow from *source* to *target* (node keys), with its local derivative."""

    source: int
    target: int
    label: str = ""
    label_x: float = 0.0
    label_y: float = 0.0
    # where the edge runs: start, then a (left, right) pair per column it crosses, end
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class GraphDrawing:
    """A drawn computation graph (made by :func:`draw_graph`).

    Shows itself inline in Jupyter (SVG, plus PNG when matplotlib is installed).
    :attr:`svg` is the SVG text; :meth:`save_svg` and :meth:`save_png` write files
    atomically (a crash never leaves half a file). :attr:`nodes` and :attr:`edges` hold
    the picture's content: tensors (``kind`` "param", "const", "tensor", "output") and
    operations ("op"); each edge into an operation carries the op's local derivative for
    that input.
    """

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0

    def __repr__(self) -> str:
        ops = sum(n.kind == "op" for n in self.nodes)
        return (
            f"GraphDrawing({len(self.nodes) - ops} tensors, {ops} operations, "
            f"{len(self.edges)} edges)"
        )

    # ----------------------------------------------------------------- SVG
    @property
    def svg(self) -> str:
        """The picture as a standalone SVG document."""
        w, h = self.width, self.height
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
            f'viewBox="0 0 {w:.1f} {h:.1f}" font-family="{_FONT}">',
            f'<rect x="0" y="0" width="{w:.1f}" height="{h:.1f}" fill="#ffffff"/>',
        ]
        for e in self.edges:
            vertices, codes, head = _edge_path(e.points)
            d = []
            for (px, py), code in zip(vertices, codes):
                letter = {"M": "M", "L": "L", "C": "C", "c": ""}[code]
                d.append(f"{letter}{px:.1f},{py:.1f}")
            out.append(
                f'<path d="{" ".join(d)}" fill="none" stroke="{_EDGE_COLOUR}" '
                'stroke-width="1.2"/>'
            )
            points = " ".join(f"{px:.1f},{py:.1f}" for px, py in head)
            out.append(f'<polygon points="{points}" fill="{_EDGE_COLOUR}"/>')
        for e in self.edges:
            if e.label:
                lw = len(e.label) * _CHAR_EDGE + 6
                out.append(
                    f'<rect x="{e.label_x - lw / 2:.1f}" y="{e.label_y - 7:.1f}" '
                    f'width="{lw:.1f}" height="14" fill="#ffffff" fill-opacity="0.9"/>'
                )
                out.append(
                    f'<text x="{e.label_x:.1f}" y="{e.label_y + 3.5:.1f}" '
                    f'font-size="{_FS_EDGE:g}" text-anchor="middle" '
                    f'fill="{_LABEL_COLOUR}">{html.escape(e.label)}</text>'
                )
        for n in self.nodes:
            fill, stroke, ink = _STYLE[n.kind]
            if n.kind == "op":
                out.append(
                    f'<ellipse cx="{n.x:.1f}" cy="{n.y:.1f}" rx="{n.width / 2:.1f}" '
                    f'ry="{n.height / 2:.1f}" fill="{fill}" stroke="{stroke}"/>'
                )
            else:
                out.append(
                    f'<rect x="{n.x - n.width / 2:.1f}" y="{n.y - n.height / 2:.1f}" '
                    f'width="{n.width:.1f}" height="{n.height:.1f}" rx="6" ry="6" '
                    f'fill="{fill}" stroke="{stroke}"/>'
                )
            for i, line in enumerate(n.lines):
                ty = _line_y(n, i) + 0.35 * _FS  # baseline of a centred line
                weight = ' font-weight="bold"' if i == 0 else ""
                out.append(
                    f'<text x="{n.x:.1f}" y="{ty:.1f}" font-size="{_FS:g}" '
                    f'text-anchor="middle" fill="{ink}"{weight}>{html.escape(line)}</text>'
                )
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def _repr_svg_(self) -> str:
        return self.svg

    def save_svg(self, path: str | os.PathLike[str]) -> None:
        """Write the SVG to *path* (atomically)."""
        atomic_write_text(path, self.svg)

    # ----------------------------------------------------------------- PNG
    def png(self, scale: float = 2.0) -> bytes:
        """The picture as PNG bytes, drawn with matplotlib (``scale`` 2: sharp on screens).

        Raises :class:`ImportError` naming the extra to install when matplotlib is missing.
        """
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.patches import Ellipse, FancyBboxPatch, PathPatch, Polygon
            from matplotlib.path import Path
        except ImportError as exc:
            raise ImportError(
                "GraphDrawing.png/save_png need matplotlib: pip install 'tinynet[plot]' "
                "(or the notebooks/dev extra). save_svg works without it"
            ) from exc
        w, h = self.width, self.height
        fig = Figure(figsize=(w / 72, h / 72), dpi=72)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, w)
        ax.set_ylim(h, 0)
        ax.axis("off")
        mono = ["DejaVu Sans Mono", "monospace"]
        kinds = {"M": Path.MOVETO, "L": Path.LINETO, "C": Path.CURVE4, "c": Path.CURVE4}
        for e in self.edges:
            vertices, codes, head = _edge_path(e.points)
            curve = Path(vertices, [kinds[c] for c in codes])
            ax.add_patch(PathPatch(curve, fill=False, ec=_EDGE_COLOUR, lw=1.2))
            ax.add_patch(Polygon(head, closed=True, fc=_EDGE_COLOUR, ec="none"))
        for e in self.edges:
            if e.label:
                ax.text(
                    e.label_x, e.label_y, e.label, fontsize=_FS_EDGE, family=mono,
                    ha="center", va="center", color=_LABEL_COLOUR,
                    bbox={"fc": "white", "ec": "none", "alpha": 0.9, "pad": 1.5},
                )  # fmt: skip
        for n in self.nodes:
            fill, stroke, ink = _STYLE[n.kind]
            if n.kind == "op":
                ax.add_patch(Ellipse((n.x, n.y), n.width, n.height, fc=fill, ec=stroke))
            else:
                ax.add_patch(
                    FancyBboxPatch(
                        (n.x - n.width / 2, n.y - n.height / 2), n.width, n.height,
                        boxstyle="round,pad=0,rounding_size=6", fc=fill, ec=stroke,
                    )
                )  # fmt: skip
            for i, line in enumerate(n.lines):
                ax.text(
                    n.x, _line_y(n, i), line, fontsize=_FS, family=mono, ha="center",
                    va="center_baseline", color=ink, weight="bold" if i == 0 else "normal",
                )  # fmt: skip
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=72 * scale)
        return buffer.getvalue()

    def save_png(self, path: str | os.PathLike[str], scale: float = 2.0) -> None:
        """Write the PNG to *path* (atomically); needs matplotlib (see :meth:`png`)."""
        atomic_write_bytes(path, self.png(scale))

    def _repr_png_(self) -> bytes | None:
        try:
            return self.png(scale=1.5)  # stored in notebooks: a little smaller
        except ImportError:
            return None  # Jupyter shows the SVG


def _line_y(n: GraphNode, i: int) -> float:
    return n.y - n.height / 2 + _PAD + _LINE * (i + 0.5) if n.kind != "op" else n.y


def _edge_path(
    points: list[tuple[float, float]],
) -> tuple[list[tuple[float, float]], list[str], list[tuple[float, float]]]:
    """Vertices and codes of an edge (M, L, C + c c: a cubic with horizontal tangents
    between columns, a straight line across a column it passes) and its arrowhead."""
    (x0, y0), *rest = points
    vertices, codes = [(x0, y0)], ["M"]
    for k, (x1, y1) in enumerate(rest):
        if k % 2:  # across a column
            vertices.append((x1, y1))
            codes.append("L")
        else:
            cx = (x0 + x1) / 2
            vertices += [(cx, y0), (cx, y1), (x1, y1)]
            codes += ["C", "c", "c"]
        x0, y0 = x1, y1
    head = [(x0 + _HEAD, y0), (x0, y0 - 4), (x0, y0 + 4)]
    return vertices, codes, head


_HEAD = 7.0  # arrowhead length


def _curve_y_at(x: float, x0: float, y0: float, x1: float, y1: float) -> float:
    """The height of the curve from (x0, y0) to (x1, y1) where it passes *x*."""
    cx = (x0 + x1) / 2
    lo, hi = 0.0, 1.0
    for _ in range(40):  # bisection on the Bezier's parameter
        t = (lo + hi) / 2
        u = 1 - t
        xt = u**3 * x0 + 3 * u * u * t * cx + 3 * u * t * t * cx + t**3 * x1
        if xt < x:
            lo = t
        else:
            hi = t
    t = (lo + hi) / 2
    u = 1 - t
    return u**3 * y0 + 3 * u * u * t * y0 + 3 * u * t * t * y1 + t**3 * y1


def draw_graph(tensor: Tensor, values: bool = False, grads: bool = False) -> GraphDrawing:
    """Draw the computation graph that produced *tensor*.

    One box per tensor (its name, or ``t<k>`` in the order of the forward pass; shape
    and dtype; with *values* its value, with *grads* its ``.grad``) and one oval per
    operation; the edge from each input to an operation is labelled with the op's local
    derivative for that input (its ``local_derivatives``, a plain-text summary of the
    formula in its docstring). Blue boxes need a gradient (parameters, inputs with
    ``requires_grad``); grey ones are constants; the orange one is *tensor* itself.

    Columns run from the inputs on the left to *tensor* on the right, each node just
    left of the first node that uses it; the layout is deterministic. Arrays of more
    than four elements are summarised by their minimum and maximum.

    ``backward()`` frees the graph: draw before it, or after
    ``backward(retain_graph=True)``, which is also how to show gradients
    (``grads=True``). Returns a :class:`GraphDrawing` (inline in Jupyter;
    ``save_svg``, ``save_png``).
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    order = _walk(tensor, "draw_graph")
    names = _names(order)

    nodes: dict[int, GraphNode] = {}
    edges: dict[tuple[int, int], GraphEdge] = {}  # one per (source, target) pair
    uses: list[tuple[int, int, int]] = []  # (source, target, input slot)
    for t in order:
        if t is tensor:
            kind = "output"
        elif t._ctx is not None:
            kind = "tensor"
        else:
            kind = "param" if t.requires_grad else "const"
        lines = [names[id(t)] + (" (const)" if kind == "const" else ""),
                 f"{_shape(t.shape)} {t.dtype}"]  # fmt: skip
        if values:
            lines.append("value " + _summary(t.data))
        if grads:
            g = t._grad_array()
            if g is not None:
                lines.append("grad " + _summary(g))
            elif kind == "param":
                lines.append("grad None")
        nodes[id(t)] = GraphNode(id(t), kind, lines)
        fn = t._ctx
        if fn is None:
            continue
        nodes[id(fn)] = GraphNode(id(fn), "op", [_op_text(fn)])
        for j, (parent, label) in enumerate(zip(fn.inputs, _local_derivatives(fn))):
            pair = (id(parent), id(fn))
            if pair in edges:  # x * x: one arrow, both labels
                edges[pair].label += "; " + label
            else:
                edges[pair] = GraphEdge(id(parent), id(fn), label)
                uses.append((id(parent), id(fn), j))
        edges[(id(fn), id(t))] = GraphEdge(id(fn), id(t))
        uses.append((id(fn), id(t), 0))

    for n in nodes.values():
        longest = max(len(line) for line in n.lines)
        if n.kind == "op":
            n.width, n.height = longest * _CHAR + 28, 28.0
        else:
            n.width, n.height = longest * _CHAR + 2 * _PAD, len(n.lines) * _LINE + 2 * _PAD

    # rank = longest distance to the output (consumers come first in reversed order)
    rank: dict[int, int] = {id(tensor): 0}
    for t in reversed(order):
        fn = t._ctx
        if fn is None:
            continue
        rank[id(fn)] = max(rank.get(id(fn), 0), rank[id(t)] + 1)
        for parent in fn.inputs:
            rank[id(parent)] = max(rank.get(id(parent), 0), rank[id(fn)] + 1)
    depth = max(rank.values())

    # an edge across several columns gets a waypoint in each, so it is routed around
    # the boxes there instead of through them
    waypoints: dict[tuple[int, int], list[int]] = {}
    consumers: dict[int, list[tuple[int, int]]] = {}  # key -> [(consumer key, slot)]
    points: dict[int, GraphNode] = {}  # the waypoints, as invisible nodes
    for source, target, slot in uses:
        chain = []
        for r in range(rank[source] - 1, rank[target], -1):
            key = -1 - len(points)
            points[key] = GraphNode(key, "waypoint", [], height=4.0)
            rank[key] = r
            chain.append(key)
        waypoints[(source, target)] = chain
        path = [source, *chain, target]
        for a, b in zip(path, path[1:]):
            consumers.setdefault(a, []).append((b, slot))
    everything = {**nodes, **points}
    columns: list[list[int]] = [[] for _ in range(depth + 1)]  # from the output leftwards
    discovered = {key: i for i, key in enumerate(everything)}
    for key in everything:
        columns[rank[key]].append(key)

    # vertical placement: each column in the order of its consumers, near their mean
    everything[id(tensor)].y = 0.0
    for column in columns[1:]:

        def wish(key: int) -> tuple[float, int, int]:
            used = consumers[key]
            mean = sum(everything[c].y for c, _ in used) / len(used)
            first = min(used, key=lambda u: (everything[u[0]].y, u[1]))
            return mean, first[1], discovered[key]

        wishes = {key: wish(key) for key in column}
        column.sort(key=lambda k: wishes[k])
        placed: list[float] = []
        for i, key in enumerate(column):
            y = wishes[key][0]
            if i:
                above = everything[column[i - 1]].height + everything[key].height
                y = max(y, placed[-1] + above / 2 + _ROW_GAP)
            placed.append(y)
        shift = sum(wishes[k][0] for k in column) / len(column) - sum(placed) / len(placed)
        for key, y in zip(column, placed):
            everything[key].y = y + shift

    # horizontal placement: the gap before a column fits the labels of edges into it
    widths = [max(nodes[k].width for k in col if k in nodes) for col in columns]
    gaps = [36.0] * (depth + 1)  # gaps[r]: the space left of column r
    for e in edges.values():
        if e.label:
            r = rank[e.target]
            gaps[r] = max(gaps[r], len(e.label) * _CHAR_EDGE + 24)
    x = _MARGIN
    centres = [0.0] * (depth + 1)
    for r in range(depth, -1, -1):
        if r != depth:
            x += gaps[r]
        centres[r] = x + widths[r] / 2
        x += widths[r]
    for key, n in everything.items():
        n.x = centres[rank[key]]
    top = min(n.y - n.height / 2 for n in everything.values())
    for n in everything.values():
        n.y += _MARGIN - top
    height = max(n.y + n.height / 2 for n in everything.values()) + _MARGIN

    for (source, target), e in edges.items():
        src, dst = nodes[source], nodes[target]
        route = [(src.x + src.width / 2, src.y)]
        for key in waypoints[(source, target)]:  # left to right
            r = rank[key]
            y = points[key].y
            route += [(centres[r] - widths[r] / 2, y), (centres[r] + widths[r] / 2, y)]
        route.append((dst.x - dst.width / 2 - _HEAD, dst.y))
        e.points = route
        if e.label:  # in the middle of the gap before the target
            (x0, y0), (x1, y1) = route[-2], route[-1]
            e.label_x = min(max(x1 + _HEAD - gaps[rank[target]] / 2, x0), x1)
            e.label_y = _curve_y_at(e.label_x, x0, y0, x1, y1)
    return GraphDrawing(list(nodes.values()), list(edges.values()), x + _MARGIN, height)


# --------------------------------------------------------------------------- trace
@dataclass(frozen=True)
class TraceSend:
    """What one step sends to one input: the local derivative and the gradient."""

    input: str  # the input's name
    local_derivative: str
    gradient: Any  # numpy array of the input's shape (after summing broadcast axes)
    summed_from: tuple[int, ...] | None = None  # the shape before summing, if it differed


@dataclass(frozen=True)
class TraceStep:
    """One node visited by the backward pass (see :func:`trace_backward`)."""

    step: int  # 1, 2, ...: the order in which backward visits the nodes
    node: str  # the tensor's name (or t<k>)
    op: str  # the operation that made it, or "leaf"
    shape: tuple[int, ...]
    adjoint: Any  # dL/dnode arriving here (a numpy array)
    sends: tuple[TraceSend, ...]  # one per input that needs a gradient
    stored: bool  # whether the adjoint was accumulated into .grad (a leaf, retain_grad)


_HEADERS = ("step", "node", "op", "shape", "adjoint ∂L/∂node", "to", "local derivative",
            "gradient sent")  # fmt: skip


class BackwardTrace:
    """The steps of one backward pass, printed as a table (:func:`trace_backward`).

    ``str(trace)`` (and ``print``) is a text table, ``_repr_html_`` the same in Jupyter;
    :attr:`!steps` holds the :class:`TraceStep` records (``len``, iteration and indexing
    work on the trace itself).
    """

    def __init__(self, steps: list[TraceStep]) -> None:
        self.steps = steps

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[TraceStep]:
        return iter(self.steps)

    def __getitem__(self, i: int) -> TraceStep:
        return self.steps[i]

    def rows(self) -> list[tuple[str, ...]]:
        """The table's rows (strings): one per chain-rule term, one per stored ``.grad``."""
        out: list[tuple[str, ...]] = []
        for s in self.steps:
            head = (str(s.step), s.node, s.op, _shape(s.shape), _summary(s.adjoint))
            blank = ("",) * len(head)
            items: list[tuple[str, str, str]] = []
            if s.stored:
                items.append((f"{s.node}.grad", "(accumulated)", _summary(s.adjoint)))
            for send in s.sends:
                sent = _summary(send.gradient)
                if send.summed_from is not None:
                    sent += f" (summed from {_shape(send.summed_from)})"
                items.append((send.input, send.local_derivative, sent))
            if not items:
                items.append(("", "", ""))
            for k, item in enumerate(items):
                out.append((head if k == 0 else blank) + item)
        return out

    def __str__(self) -> str:
        rows = [_HEADERS, *self.rows()]
        widths = [max(len(r[c]) for r in rows) for c in range(len(_HEADERS))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEADERS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self.rows()
        )
        return (
            '<table style="font-family: monospace; text-align: left">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def trace_backward(
    output: Tensor, grad: Any = None, retain_graph: bool = False
) -> BackwardTrace:
    r"""Run ``output.backward(grad)`` and record each step of it.

    The pass visits the nodes in the order ``backward()`` does (reverse topological
    order) and does the same thing at each: a leaf (or a tensor that called
    ``retain_grad()``) accumulates its adjoint :math:`\bar v` into ``.grad``; an
    operation's node calls its ``backward`` to send :math:`\bar y\,\partial y/\partial
    x_i` to each input :math:`x_i`, and an input used twice receives the sum. The
    ``.grad`` of every leaf ends up exactly as ``backward()`` leaves it (same operations,
    same order), with the same checks (in-place changes, user Functions' results,
    :func:`~tinynet.autograd.detect_anomaly`). The graph is freed unless *retain_graph*.

    Returns a :class:`BackwardTrace`: printed, a table with one row per chain-rule term
    (step, node, op, shape, the adjoint arriving, the input, the op's local derivative
    for it, the gradient sent). Each step keeps copies of its arrays, so this is a tool
    for looking at small graphs, not for training; ``backward()`` itself records nothing
    and is not slowed down by this function. First-order only (no ``create_graph``).
    """
    if not isinstance(output, Tensor) or not output.requires_grad:
        raise RuntimeError(
            "trace_backward: this tensor does not require grad (no input had "
            "requires_grad=True, or it was computed under no_grad())"
        )
    names = _names(_walk(output, "trace_backward"))
    seed = _initial_seed(output, grad, "trace_backward", False)
    order = _topological_order([output])
    grads: dict[int, Any] = {id(output): seed}
    now = _tensor_module._clock
    steps: list[TraceStep] = []
    for node in reversed(order):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        ctx = node._ctx
        stored = ctx is None or node._retain
        if stored:  # as backward(): the array itself (Tensor.grad copies it when read)
            previous = node._grad_array()
            node._grad = g if previous is None else previous + g
        sends: list[TraceSend] = []
        if ctx is not None:
            if ctx._tick != now:
                _check_versions(node, ctx)
            parent_grads = ctx.backward(g)  # a user's backward checks its own result
            if _Anomaly.enabled:
                _anomaly_backward(ctx, parent_grads)
            labels = _local_derivatives(ctx)
            for parent, pg, label in zip(ctx.inputs, parent_grads, labels):
                if pg is None or not parent.requires_grad:
                    continue
                summed = None
                if pg.shape != parent.data.shape:
                    summed = pg.shape
                    try:
                        pg = unbroadcast(pg, parent.data.shape)
                    except ValueError:
                        raise _contract_error(ctx, parent, pg, "shape") from None
                sends.append(TraceSend(names[id(parent)], label, to_numpy(pg).copy(), summed))
                previous = grads.get(id(parent))
                grads[id(parent)] = pg if previous is None else previous + pg
            if not retain_graph:
                node._ctx = _FREED
        steps.append(
            TraceStep(
                step=len(steps) + 1,
                node=names[id(node)],
                op="leaf" if ctx is None else type(ctx).__name__,
                shape=node.shape,
                adjoint=to_numpy(g).copy(),
                sends=tuple(sends),
                stored=stored,
            )
        )
    return BackwardTrace(steps)
