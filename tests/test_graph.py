"""tn.draw_graph (the picture of a graph) and tn.trace_backward (backward, step by step)."""

from __future__ import annotations

import inspect
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinynet as tn
from tinynet import ops
from tinynet.graph import _topological_order

SVG = "{http://www.w3.org/2000/svg}"


def _example():
    """The linear model of notebook 01: L = (W1*2 + W2*3 + b - 5)^2."""
    w1 = tn.tensor(1.0, dtype="float64", requires_grad=True)
    w2 = tn.tensor(1.0, dtype="float64", requires_grad=True)
    b = tn.tensor(2.0, dtype="float64", requires_grad=True)
    w1.name, w2.name, b.name = "W1", "W2", "b"
    loss = (w1 * 2.0 + w2 * 3.0 + b - 5.0) ** 2
    return loss, (w1, w2, b)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))  # well-formed XML, or ParseError


def test_every_op_has_one_local_derivative_per_input():
    for name in ops.__all__:
        cls = getattr(ops, name)
        if not isinstance(cls, type):
            continue
        labels = cls.__dict__.get("local_derivatives")
        assert labels is not None, f"{name} has no local_derivatives"
        params = list(inspect.signature(cls.forward).parameters)[1:]  # without self
        assert len(labels) == len(params), f"{name}: {labels} for inputs {params}"
        assert all(isinstance(s, str) and "∂" in s and len(s) <= 40 for s in labels), name


def test_counts_and_labels_of_a_known_graph():
    loss, _ = _example()
    d = tn.draw_graph(loss)
    kinds = [n.kind for n in d.nodes]
    # tensors: W1, 2, W1*2, W2, 3, W2*3, sum, b, +b, 5, -5, loss; ops: Mul Mul Add Add Sub PowConst
    assert kinds.count("op") == 6
    assert len(kinds) - kinds.count("op") == 12
    assert kinds.count("param") == 3 and kinds.count("const") == 3 and kinds.count("output") == 1
    # 11 input edges (6 ops: 2+2+2+2+2+1) and 6 op -> output edges
    assert len(d.edges) == 17
    labels = sorted(e.label for e in d.edges if e.label)
    assert labels.count("∂y/∂a = b") == 2 and "∂y/∂x = c·x^(c−1)" in labels
    ops_text = sorted(n.lines[0] for n in d.nodes if n.kind == "op")
    assert ops_text == ["Add", "Add", "Mul", "Mul", "PowConst c=2", "Sub"]
    tensors = {n.lines[0]: n.lines for n in d.nodes if n.kind != "op"}
    assert tensors["W1"][1] == "() float64"
    svg = d.svg
    root = _parse(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "W1" in texts and "Mul" in texts and "∂y/∂a = b" in texts
    assert "GraphDrawing(12 tensors, 6 operations, 17 edges)" == repr(d)
    assert d._repr_svg_() == svg


def test_values_and_gradients_after_retained_backward():
    loss, (w1, w2, b) = _example()
    loss.backward(retain_graph=True)
    d = tn.draw_graph(loss, values=True, grads=True)
    lines = {n.lines[0]: n.lines for n in d.nodes if n.kind != "op"}
    assert "value 1" in lines["W1"] and "grad 8" in lines["W1"] and "grad 12" in lines["W2"]
    out = next(n for n in d.nodes if n.kind == "output")
    assert "value 4" in out.lines


def test_a_value_used_twice_gives_one_arrow_with_both_labels():
    u = tn.tensor(3.0, requires_grad=True)
    d = tn.draw_graph(u * u)
    (edge,) = [e for e in d.edges if e.label]
    assert edge.label == "∂y/∂a = b; ∂y/∂b = a"


def test_a_long_edge_is_routed_around_the_columns_it_crosses():
    u = tn.tensor(3.0, requires_grad=True)
    d = tn.draw_graph(u.exp().exp() + u)
    long = [e for e in d.edges if len(e.points) > 2]
    assert len(long) == 1 and len(long[0].points) == 2 + 2 * 4  # crosses Exp, t1, Exp, t2
    xs = [x for x, _ in long[0].points]
    assert xs == sorted(xs)


def test_a_freed_graph_is_refused_with_the_remedy():
    loss, _ = _example()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"draw_graph.*retain_graph=True"):
        tn.draw_graph(loss)
    with pytest.raises(TypeError, match="expected a Tensor"):
        tn.draw_graph(np.ones(3))


def test_a_user_function_gets_generic_labels():
    class Twice(tn.Function):
        def forward(self, a, b):
            return 2 * a + b

        def backward(self, grad):
            return 2 * grad, grad

    a = tn.tensor([1.0, 2.0], requires_grad=True)
    d = tn.draw_graph(Twice.apply(a, a + 1.0))
    assert {"∂y/∂x0", "∂y/∂x1"} <= {e.label for e in d.edges}


def test_large_arrays_are_summarised():
    x = tn.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    d = tn.draw_graph(x.sum(), values=True)
    leaf = next(n for n in d.nodes if n.kind == "param")
    assert leaf.lines[1] == "(3, 4) float64" and leaf.lines[2] == "value min 0 max 11"


def test_save_svg_is_atomic_and_well_formed(tmp_path, monkeypatch):
    loss, _ = _example()
    d = tn.draw_graph(loss)
    path = tmp_path / "g.svg"
    d.save_svg(path)
    root = _parse(path.read_text(encoding="utf-8"))
    assert root.tag == f"{SVG}svg"
    # a failed write leaves the old file as it was and no temporary file behind
    import tinynet._io as io_module

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(io_module.os, "replace", fail)
    with pytest.raises(OSError):
        tn.draw_graph(loss * 2.0).save_svg(path)
    assert path.read_text(encoding="utf-8") == d.svg
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


def test_png_written_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    loss, _ = _example()
    d = tn.draw_graph(loss, values=True)
    path = tmp_path / "g.png"
    d.save_png(path, scale=1.0)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert abs(width - round(d.width)) <= 2
    assert d._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_png_without_matplotlib_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    d = tn.draw_graph(tn.tensor(1.0, requires_grad=True) * 2.0)
    with pytest.raises(ImportError, match=r"tinynet\[plot\]"):
        d.png()
    assert d._repr_png_() is None
    assert d.svg.startswith("<?xml")


# --------------------------------------------------------------------------- trace
def _mlp(seed: int):
    rng = np.random.default_rng(seed)
    x = tn.tensor(rng.normal(size=(5, 3)))
    w = tn.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b = tn.tensor(rng.normal(size=(4,)), requires_grad=True)
    v = tn.tensor(rng.normal(size=(4, 1)), requires_grad=True)
    h = (x @ w + b).tanh()
    out = (h @ v).sigmoid()
    loss = (out * out).mean() + (w * w).sum() * 0.1
    return loss, (w, b, v)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trace_gives_exactly_the_gradients_of_backward(seed):
    loss, params = _mlp(seed)
    loss.backward()
    expected = [p.grad.numpy() for p in params]
    loss2, params2 = _mlp(seed)
    trace = tn.trace_backward(loss2)
    for p, g in zip(params2, expected):
        np.testing.assert_array_equal(p.grad.numpy(), g)
    # the graph is freed as by backward()
    with pytest.raises(RuntimeError, match="freed"):
        loss2.backward()
    assert len(trace) > 0


def test_trace_rows_follow_backward_order():
    loss, (w1, w2, b) = _example()
    expected = [t for t in reversed(_topological_order([loss]))]
    trace = tn.trace_backward(loss, retain_graph=True)
    assert [s.step for s in trace] == list(range(1, len(expected) + 1))
    assert [s.shape for s in trace] == [t.shape for t in expected]
    assert trace[0].op == "PowConst" and float(trace[0].adjoint) == 1.0
    leaves = {s.node: s for s in trace if s.op == "leaf"}
    assert {k: float(s.adjoint) for k, s in leaves.items()} == {"W1": 8.0, "W2": 12.0, "b": 4.0}
    assert all(s.stored for s in leaves.values())
    mul_w1 = next(s for s in trace if s.op == "Mul" and s.sends[0].input == "W1")
    assert mul_w1.sends[0].local_derivative == "∂y/∂a = b"
    assert float(mul_w1.sends[0].gradient) == 8.0
    assert float(w1.grad) == 8.0 and float(w2.grad) == 12.0 and float(b.grad) == 4.0
    text = str(trace)
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["step", "node", "op", "shape"]
    assert lines[2].split()[:3] == ["1", trace[0].node, "PowConst"]
    assert "W1.grad" in text and "(accumulated)" in text
    assert repr(trace) == text
    html = trace._repr_html_()
    assert html.startswith("<table") and html.count("<tr>") == len(trace.rows()) + 1
    # retained: the same graph can be drawn and backpropagated again
    tn.draw_graph(loss)
    loss.backward()
    assert float(w1.grad) == 16.0


def test_trace_notes_broadcast_sums_and_twice_used_values():
    x = tn.tensor(np.ones((2, 3)), requires_grad=True)
    b = tn.tensor(np.zeros(3), requires_grad=True)
    u = tn.tensor(2.0, requires_grad=True, dtype="float64")
    trace = tn.trace_backward((x + b).sum() + u * u)
    add = next(s for s in trace if s.op == "Add" and s.shape == (2, 3))
    assert add.sends[1].summed_from == (2, 3) and add.sends[1].gradient.shape == (3,)
    assert "summed from (2, 3)" in str(trace)
    mul = next(s for s in trace if s.op == "Mul")
    assert len(mul.sends) == 2 and len({s.input for s in mul.sends}) == 1
    assert float(u.grad) == 4.0


def test_trace_with_a_given_gradient_and_retain_grad():
    x = tn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 3.0
    y.retain_grad()
    trace = tn.trace_backward(y.exp(), grad=np.ones(3, dtype="float32"))
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp(3 * np.array([1.0, 2.0, 3.0])), rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), np.exp(3 * np.array([1.0, 2.0, 3.0])), rtol=1e-6)
    assert sum(s.stored for s in trace) == 2


def test_trace_refuses_what_backward_refuses():
    with pytest.raises(RuntimeError, match="trace_backward: this tensor does not require grad"):
        tn.trace_backward(tn.tensor(1.0))
    x = tn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="one-element"):
        tn.trace_backward(x * 2.0)
    loss = (x * x).sum()
    with tn.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        tn.trace_backward(loss)


def test_trace_checks_a_user_functions_contract():
    class Bad(tn.Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            return grad  # not a tuple

    a = tn.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="backward contract"):
        tn.trace_backward(Bad.apply(a).sum())
