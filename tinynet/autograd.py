r"""Reverse-mode differentiation: the backward pass, :func:`grad`, and their safety checks.

:meth:`Tensor.backward <tinynet.tensor.Tensor.backward>` and :func:`grad` walk the graph
from the outputs to the inputs in reverse topological order and apply the chain rule

.. math:: \bar x = \sum_{y \,\in\, \mathrm{children}(x)} \bar y \,\frac{\partial y}{\partial x},

where :math:`\bar v = \partial L / \partial v` is the *adjoint* of :math:`v`. Each node
contributes its vector-Jacobian product, computed by its Function:

* by default (``create_graph=False``) with ``Function.backward`` on plain arrays: the
  fast path, which records nothing;
* with ``create_graph=True`` with ``Function.backward_graph`` on tensors: the gradient
  is then itself a tensor with a graph, and can be differentiated again (a Hessian,
  Newton's method, a gradient penalty), to any order.

Along the way the engine refuses to return a wrong gradient: it checks what each
backward returns (the *contract*), refuses arrays changed in place after the forward
(the *version counter*), and in :func:`detect_anomaly` mode finds the first operation
that makes nan or inf.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tinynet import tensor as _tensor_module
from tinynet.backend import HOST_ARRAY_TYPES, asarray, backend_name, xp
from tinynet.tensor import (
    _FREED,
    Function,
    Tensor,
    _Anomaly,
    _is_weak,
    enable_grad,
    unbroadcast,
)

__all__ = ["backward", "grad", "detect_anomaly", "AnomalyError"]


# --------------------------------------------------------------------------- public API
def backward(
    output: Tensor,
    grad: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate the gradient of *output* into ``.grad`` of every leaf (see
    :meth:`Tensor.backward <tinynet.tensor.Tensor.backward>`)."""
    if not isinstance(output, Tensor) or not output.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad (no input had "
            "requires_grad=True, or it was computed under no_grad())"
        )
    if grad is None and not create_graph and output.data.size == 1:
        seed = xp.ones_like(output.data)  # the common case, kept short
    else:
        seed = _initial_seed(output, grad, "backward", create_graph)
    _backprop(
        [output],
        [seed],
        retain_graph=create_graph if retain_graph is None else retain_graph,
        create_graph=create_graph,
        capture=None,
    )


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    r"""The gradients of *outputs* with respect to *inputs*, returned instead of stored.

    As ``torch.autograd.grad``: computes
    :math:`\sum_k \bar y_k\, \partial y_k / \partial x_i` for each input :math:`x_i`,
    with :math:`\bar y_k` from *grad_outputs* (1 for one-element outputs when omitted),
    and returns one tensor per input. No ``.grad`` attribute is touched.

    Parameters
    ----------
    outputs, inputs:
        A tensor or a sequence of tensors. Every input must require grad; inputs may
        be intermediate results, not only leaves.
    grad_outputs:
        The adjoints of the outputs (same shapes), or ``None``.
    retain_graph:
        Keep the graph for another backward pass; defaults to *create_graph*.
    create_graph:
        Record the graph of the gradient computation, so that the returned gradients
        can be differentiated again (second and higher derivatives).
    allow_unused:
        An input that the outputs do not depend on gets ``None`` instead of an error.
    materialize_grads:
        Such an input gets zeros instead (implies *allow_unused*). This is the answer
        for higher derivatives of linear functions: the gradient of :math:`3x` is the
        constant 3, which does not depend on :math:`x`, so its derivative is 0.

    Returns
    -------
    tuple
        One entry per input: a tensor of the input's shape and dtype (carrying a graph
        when *create_graph* is true), or ``None`` for an unused input with
        *allow_unused*.

    Example
    -------
    Newton's method with an automatic second derivative::

        x = tn.tensor(2.0, requires_grad=True, dtype="float64")
        y = x**4 - 2 * x**2
        (g,) = tn.grad(y, x, create_graph=True)   # 4x^3 - 4x = 24
        (h,) = tn.grad(g, x)                      # 12x^2 - 4 = 44
    """
    outs = _as_tensor_tuple(outputs, "outputs")
    ins = _as_tensor_tuple(inputs, "inputs")
    for i, x in enumerate(ins):
        if not x.requires_grad:
            raise RuntimeError(
                f"grad: input {i} ({_describe(x)}) does not require grad; create it with "
                "requires_grad=True"
            )
    if grad_outputs is None:
        adjoints: list[Any] = [None] * len(outs)
    else:
        adjoints = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
        if len(outs) == 1 and len(adjoints) != 1 and not isinstance(grad_outputs, tuple):
            adjoints = [grad_outputs]  # one output, its adjoint given as a nested list
        if len(adjoints) != len(outs):
            raise ValueError(
                f"grad: got {len(adjoints)} grad_outputs for {len(outs)} outputs; give one "
                "per output"
            )
    unused_ok = allow_unused or materialize_grads
    live, seeds = [], []
    for k, (y, adjoint) in enumerate(zip(outs, adjoints)):
        if not y.requires_grad:
            if unused_ok:
                continue  # a constant output contributes nothing
            raise RuntimeError(
                f"grad: output {k} ({_describe(y)}) does not require grad, so it does not "
                "depend on any input: its derivative is zero. This is what happens when "
                "differentiating the gradient of a linear function (the gradient of 3x is "
                "the constant 3). Pass materialize_grads=True to get zeros, or "
                "allow_unused=True to get None"
            )
        live.append(y)
        seeds.append(_initial_seed(y, adjoint, "grad", create_graph))
    captured: dict[int, Any] = {}
    if live:
        captured = _backprop(
            live,
            seeds,
            retain_graph=create_graph if retain_graph is None else retain_graph,
            create_graph=create_graph,
            capture={id(x) for x in ins},
        )
    results: list[Tensor | None] = []
    for i, x in enumerate(ins):
        g = captured.get(id(x))
        if g is None:
            if materialize_grads:
                results.append(Tensor._wrap(xp.zeros_like(x.data), False))
                continue
            if allow_unused:
                results.append(None)
                continue
            raise RuntimeError(
                f"grad: input {i} ({_describe(x)}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it, or materialize_grads=True to "
                "get zeros"
            )
        results.append(g if isinstance(g, Tensor) else Tensor._wrap(g, False))
    return tuple(results)


def _as_tensor_tuple(items: Any, what: str) -> tuple[Tensor, ...]:
    seq = (items,) if isinstance(items, Tensor) else tuple(items)
    if not seq:
        raise ValueError(f"grad: {what} is empty")
    for i, t in enumerate(seq):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: {what}[{i}] is a {type(t).__name__}, expected a Tensor")
    return seq


def _initial_seed(output: Tensor, grad: Any, caller: str, create_graph: bool) -> Any:
    """The adjoint the pass starts from: an array, or a Tensor in graph mode."""
    if grad is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"{caller}: output has shape {output.shape}; an implicit gradient exists "
                "only for one-element outputs. Pass the gradient of the output (same "
                "shape), or reduce first (e.g. .sum())"
            )
        seed = xp.ones_like(output.data)
    elif create_graph and isinstance(grad, Tensor):
        _seed_from(grad, output, caller)  # the same checks
        return grad  # may itself require grad (double backward through the adjoint)
    else:
        seed = _seed_from(grad, output, caller)
    return Tensor._wrap(seed, False) if create_graph else seed


# --------------------------------------------------------------------------- the pass
def _backprop(
    outputs: Sequence[Tensor],
    seeds: Sequence[Any],
    *,
    retain_graph: bool,
    create_graph: bool,
    capture: set[int] | None,
) -> dict[int, Any]:
    """Run the chain rule from *outputs*.

    With ``capture=None`` the gradients are accumulated into ``.grad`` of the leaves
    (and of tensors that called ``retain_grad()``); otherwise the adjoints of the
    tensors whose ids are in *capture* are returned, and no ``.grad`` is touched.
    """
    if create_graph:
        with enable_grad():  # the gradient computation itself is recorded
            return _backprop_general(outputs, seeds, retain_graph, True, capture)
    if capture is not None:
        return _backprop_general(outputs, seeds, retain_graph, False, capture)
    _backprop_plain(outputs, seeds, retain_graph)
    return {}


def _backprop_plain(outputs: Sequence[Tensor], seeds: Sequence[Any], retain_graph: bool) -> None:
    """The chain rule of ``loss.backward()``: adjoints accumulated into ``.grad``.

    This loop is the hot path of every training step, so it is the engine with nothing
    else: arrays in, arrays out, and the rare cases (an in-place change since the
    forward, anomaly mode, a gradient to sum over broadcast axes) behind one test each.
    :func:`_backprop_general` is the same walk with ``tn.grad``'s capture and
    ``create_graph``'s recorded gradients added.
    """
    order = _topological_order(outputs)
    grads = {id(outputs[0]): seeds[0]} if len(outputs) == 1 else _seed_grads(outputs, seeds)
    now = _tensor_module._clock  # nothing changes in place during backward: read it once
    anomaly = _Anomaly.enabled
    for node in reversed(order):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        ctx = node._ctx
        if ctx is None or node._retain:
            # The array itself, not a copy, though it may be shared with another
            # gradient (``a + b`` passes one array to both inputs) or be a view:
            # nothing in tinynet writes into a stored gradient, and ``Tensor.grad``
            # copies it on first access, so every ``.grad`` a user sees is an array
            # of its own while a training step (whose optimizer reads the arrays)
            # never pays for the copies.
            previous = node._grad
            if previous is not None:
                g = (previous.data if type(previous) is Tensor else previous) + g
            node._grad = g
            if ctx is None:
                continue
        if ctx._tick != now:  # something was changed in place since this forward
            _check_versions(node, ctx)
        parent_grads = ctx.backward(g)  # (a user's backward checks its own result)
        if anomaly:
            _anomaly_backward(ctx, parent_grads)
        for parent, pg in zip(ctx.inputs, parent_grads):
            if pg is None or not parent.requires_grad:
                continue
            shape = parent.data.shape
            if pg.shape != shape:
                try:
                    pg = unbroadcast(pg, shape)
                except ValueError:
                    raise _contract_error(ctx, parent, pg, "shape") from None
            key = id(parent)
            previous = grads.get(key)
            grads[key] = pg if previous is None else previous + pg
        if not retain_graph:
            # Drop the Function (and with it the saved arrays and the links to the
            # inputs) so memory is released as soon as backward has passed.
            node._ctx = _FREED


def _seed_grads(outputs: Sequence[Tensor], seeds: Sequence[Any]) -> dict[int, Any]:
    """The adjoints of the outputs, keyed by ``id`` (an output given twice: summed)."""
    if len(outputs) == 1:
        return {id(outputs[0]): seeds[0]}
    grads: dict[int, Any] = {}
    for out, seed in zip(outputs, seeds):
        previous = grads.get(id(out))
        grads[id(out)] = seed if previous is None else previous + seed
    return grads


def _backprop_general(
    outputs: Sequence[Tensor],
    seeds: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    capture: set[int] | None,
) -> dict[int, Any]:
    """:func:`_backprop_plain` with ``tn.grad``'s *capture* and ``create_graph`` added.

    With *capture* (a set of ids) the adjoints of those tensors are returned, each a
    gradient of its own (:func:`_own`), and no ``.grad`` is touched. With
    *create_graph* every gradient is a Tensor computed by ``backward_graph``, so the
    result can be differentiated again.
    """
    if create_graph:
        from tinynet.ops.reductions import sum_to  # (ops import this module)
    order = _topological_order(outputs)
    grads = _seed_grads(outputs, seeds)
    captured: dict[int, Any] = {}
    handed_out: set[int] = set()  # ids of the arrays given out as gradients so far
    now = _tensor_module._clock  # nothing changes in place during backward: read it once
    anomaly = _Anomaly.enabled
    for node in reversed(order):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        ctx = node._ctx
        if capture is not None:
            if id(node) in capture:
                g = _own(g, handed_out)
                captured[id(node)] = g
                # an input may itself depend on another input: keep going below it
        elif ctx is None or node._retain:  # (here create_graph is True)
            _store_grad(node, g, handed_out)
        if ctx is None:
            continue
        if ctx._tick != now:  # something was changed in place since this forward
            _check_versions(node, ctx)
        if create_graph:
            parent_grads = _checked_graph_result(ctx, ctx.backward_graph(g, node))
        else:
            # (a user's backward checks its own result: see Function.__init_subclass__)
            parent_grads = ctx.backward(g)
        if anomaly:
            _anomaly_backward(ctx, parent_grads)
        for parent, pg in zip(ctx.inputs, parent_grads):
            if pg is None or not parent.requires_grad:
                continue
            shape = parent.data.shape
            if pg.shape != shape:
                try:
                    pg = sum_to(pg, shape) if create_graph else unbroadcast(pg, shape)
                except ValueError:
                    raise _contract_error(ctx, parent, pg, "shape") from None
            key = id(parent)
            previous = grads.get(key)
            grads[key] = pg if previous is None else previous + pg
        if not retain_graph:
            # Drop the Function (and with it the saved arrays and the links to the
            # inputs) so memory is released as soon as backward has passed.
            node._ctx = _FREED
    return captured


def _checked_graph_result(ctx: Function, result: Any) -> tuple[Any, ...]:
    """Check what ``backward_graph`` returned: a tuple of Tensors (or None), one per input."""
    name = type(ctx).__name__
    n = len(ctx.inputs)
    if not isinstance(result, tuple) or len(result) != n:
        raise TypeError(
            f"backward contract: {name}.backward_graph must return a tuple with one entry "
            f"per input ({n}), got {type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, tuple) else "")
        )
    for i, (t, pg) in enumerate(zip(ctx.inputs, result)):
        if pg is None:
            continue
        if not isinstance(pg, Tensor):
            raise TypeError(
                f"backward contract: {name}.backward_graph returned a {type(pg).__name__} "
                f"for input {i}, expected None or a Tensor"
            )
        if pg.dtype != t.dtype:
            raise _contract_error(ctx, t, pg, "dtype")
    return result


def _seed_from(grad: Any, output: Tensor, caller: str = "backward") -> Any:
    """The adjoint given to ``backward(grad=...)``, checked and copied."""
    if isinstance(grad, Tensor):
        seed = grad.data
    elif _is_weak(grad):
        seed = asarray(grad, dtype=output.dtype)  # numbers and lists adopt the dtype
    else:
        seed = asarray(grad)
    if seed.shape != output.shape:
        raise ValueError(
            f"{caller}: grad has shape {seed.shape} but the output has shape {output.shape}"
        )
    if seed.dtype != output.dtype:
        raise TypeError(
            f"{caller}: grad has dtype {seed.dtype} but the output has dtype {output.dtype}; "
            f"tinynet never casts silently: pass grad.astype('{output.dtype}')"
        )
    # A copy: the caller's array must never become (part of) some tensor's ``.grad``.
    return seed.copy()


def _store_grad(node: Tensor, g: Tensor, handed_out: set[int]) -> None:
    """Accumulate the graph-mode gradient *g* into ``node.grad`` (``create_graph=True``).

    *g* is first made a tensor of its own (:func:`_own`), so that no two ``.grad``
    share data; accumulation records ``previous + g`` in the graph.
    """
    g = _own(g, handed_out)
    previous = node.grad
    node._grad = g if previous is None else previous + g


def _own(g: Any, handed_out: set[int]) -> Any:
    """*g*, or a copy of it if it may be shared with another gradient or a view.

    Records what it hands out in *handed_out*.
    """
    if not isinstance(g, Tensor):
        return _own_array(g, handed_out)
    if id(g) in handed_out or g.data.base is not None or g.is_leaf:
        g = g.astype(g.dtype)  # a differentiable copy (Cast copies its array)
    handed_out.add(id(g))
    return g


def _own_array(g: Any, handed_out: set[int]) -> Any:
    """*g*, copied if it could share memory with a gradient already given out.

    An op may pass its incoming gradient straight through (``a + b`` gives both inputs
    the same array) or return a view of it (reshape, a sum's broadcast): such an array
    is copied, so zeroing one tensor's gradient in place never changes another's. A
    read-only view that nobody else holds is kept (in-place operations on a ``.grad``
    copy it first, see ``Tensor._writable_data``). Records what it hands out.
    """
    base = g.base
    if id(g) in handed_out or (base is not None and (_COPY_VIEWS or id(base) in handed_out)):
        g = g.copy()
        base = None
    handed_out.add(id(g))
    if base is not None:
        handed_out.add(id(base))
    return g


#: On cupy a view cannot be made read-only, so every view stored as a .grad is copied.
_COPY_VIEWS = backend_name() != "numpy"


def _index_of(node: Tensor, ctx: Function) -> int:
    for i, t in enumerate(ctx.inputs):  # by identity: ``==`` is elementwise on tensors
        if t is node:
            return i
    return -1


def _describe(t: Tensor) -> str:
    name = f" {t.name!r}" if t.name else ""
    kind = "leaf" if t._ctx is None else f"output of {type(t._ctx).__name__}"
    return f"tensor{name} of shape {t.shape}, {t.dtype} ({kind})"


def _check_versions(node: Tensor, ctx: Function) -> None:
    """Refuse to backpropagate through arrays that were changed in place after the forward."""
    suspects: list[tuple[str, Tensor]] = []
    if ctx.reads_output and node._version > ctx._tick:
        suspects.append(("its output", node))
    if ctx.reads_inputs:
        for i, t in enumerate(ctx.inputs):
            if t._version > ctx._tick:
                suspects.append((f"input {i}", t))
    if suspects:
        what, t = suspects[0]
        raise RuntimeError(
            f"backward: an array needed by {type(ctx).__name__} ({what}, a {_describe(t)}) "
            "was modified by an in-place operation after the forward pass, so its "
            "gradient would be wrong. Recompute the forward after the change (e.g. call "
            "optimizer.step() only after loss.backward()), or update out of place"
        )


def _contract_error(ctx: Function, parent: Tensor, pg: Any, what: str) -> Exception:
    i = _index_of(parent, ctx)
    expected = (
        f"shape {parent.shape} or a shape it broadcasts to" if what == "shape" else parent.dtype
    )
    got = pg.shape if what == "shape" else pg.dtype
    err = ValueError if what == "shape" else TypeError
    return err(
        f"backward contract: {type(ctx).__name__}.backward returned a gradient of {what} "
        f"{got} for input {i}, expected {expected} (the input is a {_describe(parent)})"
    )


def _checked_backward_result(ctx: Function, result: Any) -> tuple[Any, ...]:
    """Check (and copy) what a user-defined ``Function.backward`` returned."""
    name = type(ctx).__name__
    n = len(ctx.inputs)
    if not isinstance(result, tuple):
        hint = (
            " (for one input write `return (grad_x,)`)"
            if isinstance(result, (xp.ndarray, *HOST_ARRAY_TYPES))
            else ""
        )
        raise TypeError(
            f"backward contract: {name}.backward must return a tuple with one entry per "
            f"input ({n}), got {type(result).__name__}{hint}"
        )
    if len(result) != n:
        raise TypeError(
            f"backward contract: {name}.backward returned {len(result)} gradients for "
            f"{n} inputs; return one entry per input (None for an input without a gradient)"
        )
    checked = []
    for i, (t, pg) in enumerate(zip(ctx.inputs, result)):
        if pg is None:
            checked.append(None)
            continue
        if isinstance(pg, HOST_ARRAY_TYPES[1]) and backend_name() == "numpy":
            pg = asarray(pg)  # numpy turns 0-d results into scalars: the same thing
        if not isinstance(pg, xp.ndarray):
            hint = " (return t.data, not the Tensor)" if isinstance(pg, Tensor) else ""
            raise TypeError(
                f"backward contract: {name}.backward returned a {type(pg).__name__} for "
                f"input {i}, expected None or a {xp.__name__} array{hint}"
            )
        if pg.dtype != t.dtype:
            raise _contract_error(ctx, t, pg, "dtype")
        if pg.shape != t.shape:
            try:
                unbroadcast(pg, t.shape)
            except ValueError:
                raise _contract_error(ctx, t, pg, "shape") from None
        # A user's backward may return an array it keeps (a saved input, a buffer):
        # copy it, so no ``.grad`` ever aliases memory that someone else can change.
        checked.append(pg.copy())
    return tuple(checked)


# --------------------------------------------------------------------------- anomaly mode
class AnomalyError(RuntimeError):
    """Raised in :func:`detect_anomaly` mode by the first operation that makes nan or inf."""


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Find the first operation whose forward or backward produces nan or inf.

    Inside the block every operation checks its result (as
    ``torch.autograd.detect_anomaly``). The first one that produces a non-finite value
    raises :class:`AnomalyError` naming the operation, its input shapes, whether an
    input was already non-finite (then the problem is upstream, e.g. in the data), and
    the line of *your* code that called it; in backward, the line that created the
    operation in the forward. Outside the block nothing is checked and nothing is
    paid: the block swaps ``Function.apply`` for a checking version and swaps it back on
    the way out (however it is left). It slows every operation down, so use it to
    debug, not to train::

        with tn.detect_anomaly():
            loss = model(x).pow(2).mean()
            loss.backward()
    """
    previous = _Anomaly.enabled
    _Anomaly.set(True)
    try:
        yield
    finally:
        _Anomaly.set(previous)


def _user_frame() -> str:
    """``file:line in function: source`` of the innermost caller outside tinynet."""
    import linecache
    import os
    import sys

    package = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
    if frame is None:
        return "an unknown location"
    code = frame.f_code
    source = linecache.getline(code.co_filename, frame.f_lineno).strip()
    where = f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
    return f"{where}: {source}" if source else where


def _non_finite(array: Any) -> str | None:
    """'nan', 'inf' or 'nan and inf' if a float array holds such values, else None."""
    if array.dtype.kind != "f" or bool(xp.isfinite(array).all()):
        return None
    has_nan = bool(xp.isnan(array).any())
    has_inf = bool(xp.isinf(array).any())
    return " and ".join(w for w, f in (("nan", has_nan), ("inf", has_inf)) if f)


def _anomaly_forward(
    cls: type[Function], fn: Function | None, tensors: Sequence[Tensor], out: Any
) -> None:
    where = _user_frame()
    if fn is not None:  # recorded: its backward names the same line
        fn._where = where
    bad = _non_finite(out)
    if bad is None:
        return
    shapes = ", ".join(f"{t.shape} {t.dtype}" for t in tensors)
    upstream = [f"input {i} ({b})" for i, t in enumerate(tensors) if (b := _non_finite(t.data))]
    cause = (
        f"; {', '.join(upstream)} already held non-finite values, so the problem is upstream "
        "(check the data or the operation that made that input)"
        if upstream
        else "; every input was finite, so this operation made them"
    )
    raise AnomalyError(
        f"detect_anomaly: the forward of {cls.__name__} produced {bad} "
        f"(inputs: {shapes}){cause}; called from {where}"
    )


def _anomaly_backward(ctx: Function, parent_grads: Sequence[Any]) -> None:
    for i, pg in enumerate(parent_grads):
        if pg is None:
            continue
        bad = _non_finite(pg)
        if bad is not None:
            where = getattr(ctx, "_where", None) or "outside detect_anomaly()"
            shapes = ", ".join(f"{t.shape} {t.dtype}" for t in ctx.inputs)
            raise AnomalyError(
                f"detect_anomaly: the backward of {type(ctx).__name__} produced {bad} in "
                f"the gradient of input {i} (inputs: {shapes}); the operation was created "
                f"at {where}"
            )



def _topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Nodes reachable from *roots* that need a gradient, each after all its inputs.

    Iterative depth-first search with an explicit stack, so a chain of 100,000
    operations does not hit Python's recursion limit.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = (
        [(roots[0], False)] if len(roots) == 1 else [(root, False) for root in reversed(roots)]
    )
    # (bound methods in locals: this runs once per node of every backward)
    finish, mark, push, pop = order.append, visited.add, stack.append, stack.pop
    while stack:
        node, inputs_done = pop()
        if inputs_done:
            finish(node)
            continue
        key = id(node)
        if key in visited:
            continue
        mark(key)
        ctx = node._ctx
        if ctx is None:  # a leaf has no inputs to wait for: it is done at once
            finish(node)
            continue
        if ctx is _FREED:
            raise RuntimeError(
                "backward: part of this graph was already freed by an earlier backward(); "
                "pass retain_graph=True to the first call to backpropagate through it twice"
            )
        push((node, True))
        for parent in ctx.inputs:
            if parent.requires_grad:
                key = id(parent)
                if key in visited:
                    continue
                if parent._ctx is None:  # a leaf input: done at once, never stacked
                    mark(key)
                    finish(parent)
                else:
                    push((parent, False))
    return order
