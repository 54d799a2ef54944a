r"""Gradient checking with central finite differences (public API for instructors).

The central difference

.. math:: \frac{\partial f}{\partial x_i} \approx
          \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}

has error :math:`O(\varepsilon^2)` from truncation plus about
:math:`u\,|f| / \varepsilon` from rounding, where :math:`u` is the unit roundoff
(:math:`1.1\times10^{-16}` in float64, :math:`6\times10^{-8}` in float32). With
:math:`\varepsilon = 10^{-6}` float64 gives about 10 correct digits; float32 gives
almost none, which is why :func:`gradcheck` refuses float32 unless told otherwise.

For a tensor-valued function :math:`F`, the check projects the output on a fixed
random vector :math:`w` and compares the gradients of the scalar
:math:`\phi(x) = \sum_j w_j F_j(x)`. The analytic side is one ``backward(w)``
(a vector-Jacobian product); a wrong Jacobian entry shows up with probability 1.

Second and higher derivatives (``create_graph=True``) have their own tools:

* :func:`gradgradcheck` compares the derivative of the gradient (each op's
  ``backward_graph``, differentiated again) with central differences of the
  first-order gradient, :math:`\partial^2\phi/\partial x_i\partial x_j \approx
  [g_j(x + \varepsilon e_i) - g_j(x - \varepsilon e_i)]/2\varepsilon`, projected as above;
* :func:`hvp` gives a Hessian-vector product :math:`Hv = \nabla(\nabla f^\top v)` by
  double backward, and :func:`hessian` the full matrix of a function of a small tensor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinynet.autograd import grad as _grad
from tinynet.backend import asarray, to_numpy, xp
from tinynet.tensor import Tensor, enable_grad

__all__ = [
    "GradcheckError",
    "central_difference",
    "numerical_grad",
    "gradcheck",
    "gradgradcheck",
    "hvp",
    "hessian",
]


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numerical gradients disagree."""


def central_difference(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    r"""Estimate :math:`\nabla f(x)` for a scalar function of one numpy array.

    Each coordinate costs two evaluations of *f*. *x* is not modified.
    """
    x = np.array(x, dtype=np.float64 if x.dtype.kind != "f" else x.dtype, copy=True)
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = float(f(x))
        flat[i] = old - eps
        f_minus = float(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _projection(
    fn: Callable[..., Tensor], inputs: Sequence[Tensor], seed: int
) -> tuple[Tensor, np.ndarray]:
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: the function must return a Tensor, got {type(out).__name__}")
    if out.data.dtype.kind != "f":
        raise TypeError(f"gradcheck: the function's output has non-float dtype {out.dtype}")
    if out.size == 1:
        w = np.ones(out.shape)
    else:
        w = np.random.default_rng(seed).standard_normal(out.shape)
    return out, w


def numerical_grad(
    fn: Callable[..., Tensor], *inputs: Tensor, eps: float = 1e-6, seed: int = 0
) -> list[np.ndarray | None]:
    r"""Central-difference gradients of ``fn(*inputs)`` with respect to each input.

    For a one-element output this is :math:`\partial f/\partial x`; for a larger
    output it is the gradient of :math:`\sum_j w_j f_j` with the same seeded random
    :math:`w` that :func:`gradcheck` uses. Entries are ``None`` for inputs that do
    not require a gradient.
    """
    # fn is evaluated with graph recording on: it may itself differentiate (a loss with
    # a gradient penalty calls tn.grad), which needs a graph even inside no_grad().
    with enable_grad():
        _, w = _projection(fn, inputs, seed)
    result: list[np.ndarray | None] = []
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            result.append(None)
            continue
        original = t.data

        def phi(x: np.ndarray, t: Tensor = t, original: object = original) -> float:
            t.data = asarray(x, dtype=original.dtype)
            with enable_grad():
                y = fn(*inputs)
            return float(np.sum(w * to_numpy(y.data).astype(np.float64)))

        try:
            result.append(central_difference(phi, to_numpy(original), eps))
        finally:
            t.data = original
    return result


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    allow_float32: bool = False,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    r"""Compare tinynet's backward with central finite differences.

    Parameters
    ----------
    fn:
        A function of tensors returning a Tensor of any shape.
    inputs:
        The tensors to call it with. Those with ``requires_grad=True`` are checked.
    eps, atol, rtol:
        Step of the central difference and the tolerance: element :math:`i` passes if
        :math:`|a_i - n_i| \le \mathrm{atol} + \mathrm{rtol}\,|n_i|`.
    allow_float32:
        float32 inputs are refused unless this is ``True`` (then widen *eps* and the
        tolerances, e.g. ``eps=1e-3, atol=1e-2``).
    seed:
        Seed of the random output projection for non-scalar outputs.
    raise_exception:
        Raise :class:`GradcheckError` with a report on failure (default), or return ``False``.

    Returns
    -------
    bool
        ``True`` when every checked input agrees.

    Example
    -------
    >>> import tinynet as tn
    >>> x = tn.tensor([[0.3, -1.2]], dtype="float64", requires_grad=True)
    >>> tn.gradcheck(lambda x: (x * x).sigmoid(), x)
    True
    """
    checked = _checked_inputs("gradcheck", inputs, allow_float32)

    # Analytic side: one vector-Jacobian product of the projected output, by tn.grad, so
    # that no .grad attribute (of the inputs or of any other leaf) is touched.
    analytic = [
        to_numpy(g.data) for g in _first_order(fn, inputs, checked, None, seed, False, "gradcheck")
    ]

    numeric_all = numerical_grad(fn, *inputs, eps=eps, seed=seed)
    for k, a in zip(checked, analytic):
        n = numeric_all[k]
        assert n is not None
        error = _disagreement(
            "gradcheck", k, inputs[k], a, n, atol, rtol, "gradient", _GRADCHECK_HINTS
        )
        if error is not None:
            if raise_exception:
                raise error
            return False
    return True


_GRADCHECK_HINTS = (
    "the backward formula of an operation in fn is wrong, or",
    "the input is at a kink (value {value}: relu/abs/maximum/clip at their switch points) "
    "-- move it away, or",
    "eps is too large for a strongly curved function (try eps=1e-7) or too small "
    "for float32 (use float64).",
)


def _disagreement(
    caller: str,
    k: int,
    t: Tensor,
    a: np.ndarray,
    n: np.ndarray,
    atol: float,
    rtol: float,
    what: str,
    hints: Sequence[str],
    labels: tuple[str, str] = ("analytic", "numerical"),
) -> GradcheckError | None:
    r"""The failure report of one input, or ``None`` when analytic *a* and numerical *n* agree.

    Element :math:`i` agrees when :math:`|a_i - n_i| \le \mathrm{atol} + \mathrm{rtol}\,|n_i|`
    (NaN never agrees). The report names the input, its worst element with both values
    and both errors, prints both arrays, and lists the likely causes (*hints*, where
    ``{value}`` is replaced by the input's value at the worst element). *labels* name
    the two sides, *n* being the reference.
    """
    la, ln = labels
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    excess = np.abs(a - n) - (atol + rtol * np.abs(n))
    bad = ~(excess <= 0)  # also catches NaN
    if not bad.any():
        return None
    flat = int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)))
    index = np.unravel_index(flat, a.shape) if a.ndim else ()
    av, nv = float(a[index]), float(n[index])
    abs_err = abs(av - nv)
    rel_err = abs_err / max(abs(nv), 1e-300)
    value = f"{float(to_numpy(t.data)[index]):.6g}"
    return GradcheckError(
        f"{caller} failed for input {k} (shape {t.shape}, dtype {t.dtype}): "
        f"{int(bad.sum())} of {bad.size} elements disagree.\n"
        f"  worst element index {tuple(int(i) for i in index)}: "
        f"{la} {av:.10g}, {ln} {nv:.10g}, "
        f"absolute error {abs_err:.3g}, relative error {rel_err:.3g} "
        f"(tolerance atol={atol:g} + rtol={rtol:g}*|{ln}|)\n"
        f"  {la} {what}:\n{_indent(a)}\n  {ln} {what}:\n{_indent(n)}\n"
        "  possible causes: " + "\n    ".join(h.replace("{value}", value) for h in hints)
    )


def _indent(a: np.ndarray) -> str:
    with np.printoptions(precision=6, threshold=50, edgeitems=3):
        return "\n".join("    " + line for line in repr(a).splitlines())


# --------------------------------------------------------------------------- second order
def _checked_inputs(caller: str, inputs: Sequence[Tensor], allow_float32: bool) -> list[int]:
    """Indices of the inputs to check (those that require grad), refusing float32 unless allowed."""
    checked = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError(f"{caller}: no input has requires_grad=True, so there is nothing to check")
    for k in checked:
        t = inputs[k]
        if t.dtype != np.float64 and not allow_float32:
            raise TypeError(
                f"{caller}: input {k} (shape {t.shape}) has dtype {t.dtype}. Central differences "
                f"need float64: in float32 the rounding error of f(x+eps)-f(x-eps) is about "
                f"6e-8*|f|/eps, as large as the derivative itself for eps=1e-6. Convert with "
                f".astype('float64'), or pass allow_float32=True with a larger "
                "eps and tolerances."
            )
    return checked


def _output_adjoint(caller: str, out: Tensor, grad_outputs: Any, seed: int) -> Tensor:
    """The adjoint :math:`w` of the output: *grad_outputs*, or ones / a seeded random vector."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{caller}: the function must return a Tensor, got {type(out).__name__}")
    if out.data.dtype.kind != "f":
        raise TypeError(f"{caller}: the function's output has non-float dtype {out.dtype}")
    if grad_outputs is None:
        if out.size == 1:
            w = np.ones(out.shape)
        else:
            w = np.random.default_rng(seed).standard_normal(out.shape)
    else:
        raw = grad_outputs.data if isinstance(grad_outputs, Tensor) else grad_outputs
        w = np.asarray(to_numpy(asarray(raw)), dtype=np.float64)
        if w.shape != out.shape:
            raise ValueError(
                f"{caller}: grad_outputs has shape {w.shape} but the function's output has "
                f"shape {out.shape}; give one adjoint per output element"
            )
    return Tensor._wrap(asarray(w, dtype=out.dtype), False)


def _first_order(
    fn: Callable[..., Tensor],
    inputs: Sequence[Tensor],
    checked: Sequence[int],
    grad_outputs: Any,
    seed: int,
    create_graph: bool,
    caller: str,
) -> tuple[Tensor, ...]:
    r"""The vector-Jacobian products :math:`g_k = \sum_j w_j\,\partial F_j/\partial x_k`."""
    with enable_grad():  # the gradient needs a graph even inside the caller's no_grad()
        out = fn(*inputs)
        w = _output_adjoint(caller, out, grad_outputs, seed)
        return _grad(
            out,
            [inputs[k] for k in checked],
            grad_outputs=(w,),
            create_graph=create_graph,
            materialize_grads=True,  # an output that does not depend on x: gradient 0
        )


_GRADGRADCHECK_HINTS = (
    "the backward_graph (double backward) of an operation in fn is wrong: it must build "
    "the same gradient as backward, from tinynet operations on self.inputs, out and grad, "
    "without detaching anything, or",
    "the input is at a kink (value {value}: relu/abs/maximum/clip at their switch points, "
    "where the second derivative does not exist) -- move it away, or",
    "eps is too large for a strongly curved function (try eps=1e-7) or too small "
    "for float32 (use float64).",
)

_FIRST_ORDER_HINTS = (
    "backward_graph of an operation in fn computes a different gradient than its "
    "backward (backward_graph is what create_graph=True uses), or",
    "the input is at a kink (value {value}), where the two may pick different "
    "one-sided derivatives.",
)


def gradgradcheck(
    fn: Callable[..., Tensor],
    *inputs: Tensor,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    allow_float32: bool = False,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    r"""Check second derivatives (double backward) against finite differences of the gradient.

    For an output :math:`F(x)` and an adjoint :math:`w` (*grad_outputs*; ones for a
    one-element output, else a seeded random vector) let

    .. math:: \phi(x) = \sum_j w_j F_j(x), \qquad g_k(x) = \frac{\partial\phi}{\partial x_k}

    be the first-order gradient, and project it on fixed seeded random vectors
    :math:`u_k`, :math:`\psi(x) = \sum_k \langle u_k, g_k(x)\rangle`. Then

    * the **analytic** side is :math:`\nabla\psi = \sum_k u_k^\top \nabla g_k`, the
      second-order vector-Jacobian product of the gradient built with
      ``tn.grad(..., create_graph=True)`` (every op's ``backward_graph``), differentiated
      once more;
    * the **numerical** side is the central difference of :math:`\psi`, where each
      :math:`g_k` is computed by the ordinary first-order ``backward`` (itself checked by
      :func:`gradcheck`):

      .. math:: \frac{\partial\psi}{\partial x_i} \approx
                \frac{\psi(x + \varepsilon e_i) - \psi(x - \varepsilon e_i)}{2\varepsilon}.

    For a scalar :math:`\phi` the analytic side is the Hessian-vector product
    :math:`H_\phi u`. A wrong second derivative shows up with probability 1. Before that,
    the first-order gradient computed in graph mode is compared with the one from
    ``backward``: a ``backward_graph`` that builds a different gradient is reported as such.

    Parameters are those of :func:`gradcheck`, plus *grad_outputs*: the adjoint
    :math:`w` of the output (a Tensor, array or nested list of the output's shape; its
    values are used, not its graph). The inputs' ``.grad`` are not touched.

    Returns
    -------
    bool
        ``True`` when every checked input agrees; on a disagreement raises
        :class:`GradcheckError` with the same report as :func:`gradcheck` (input, worst
        element, analytic and numerical values and errors, likely causes), or returns
        ``False`` with ``raise_exception=False``.

    Example
    -------
    >>> import tinynet as tn
    >>> x = tn.tensor([0.3, -1.2], dtype="float64", requires_grad=True)
    >>> tn.gradgradcheck(lambda x: (x.sin() * x.cos()).sum(), x)
    True
    """
    checked = _checked_inputs("gradgradcheck", inputs, allow_float32)
    xs = [inputs[k] for k in checked]
    rng = np.random.default_rng(seed + 1)  # not the same vector as the output's adjoint
    us = [rng.standard_normal(t.shape) for t in xs]

    # Analytic side: differentiate the gradient (built with a graph) once more.
    first = _first_order(fn, inputs, checked, grad_outputs, seed, True, "gradgradcheck")
    live = [(g, Tensor._wrap(asarray(u, dtype=g.dtype), False)) for g, u in zip(first, us)]
    live = [(g, u) for g, u in live if g.requires_grad]
    if live:
        second = _grad(
            [g for g, _ in live],
            xs,
            grad_outputs=tuple(u for _, u in live),
            materialize_grads=True,  # the gradient of a linear function is constant: 0
        )
        analytic = [to_numpy(h.data).astype(np.float64) for h in second]
    else:
        analytic = [np.zeros(t.shape) for t in xs]

    # The first order in graph mode must be the gradient that backward computes.
    plain = _first_order(fn, inputs, checked, grad_outputs, seed, False, "gradgradcheck")
    for k, g_graph, g_plain in zip(checked, first, plain):
        error = _disagreement(
            "gradgradcheck (first-order gradient with create_graph=True vs backward)",
            k,
            inputs[k],
            to_numpy(g_graph.data),
            to_numpy(g_plain.data),
            atol,
            rtol,
            "first-order gradient",
            _FIRST_ORDER_HINTS,
            labels=("create_graph=True", "backward"),
        )
        if error is not None:
            if raise_exception:
                raise error
            return False

    # Numerical side: central differences of psi, with g from the first-order backward.
    def psi() -> float:
        gs = _first_order(fn, inputs, checked, grad_outputs, seed, False, "gradgradcheck")
        return float(sum(np.sum(u * to_numpy(g.data).astype(np.float64)) for g, u in zip(gs, us)))

    for k, t, a in zip(checked, xs, analytic):
        original = t.data

        def psi_at(x: np.ndarray, t: Tensor = t, original: Any = original) -> float:
            t.data = asarray(x, dtype=original.dtype)
            return psi()

        try:
            n = central_difference(psi_at, to_numpy(original), eps)
        finally:
            t.data = original
        error = _disagreement(
            "gradgradcheck", k, t, a, n, atol, rtol, "second-order gradient", _GRADGRADCHECK_HINTS
        )
        if error is not None:
            if raise_exception:
                raise error
            return False
    return True


def _fresh_leaves(caller: str, inputs: Sequence[Any]) -> tuple[Tensor, ...]:
    """Copies of *inputs* as new leaves that require grad (the caller's tensors stay untouched).

    Tensors and arrays keep their float dtype; Python numbers and lists become float64.
    """
    leaves = []
    for k, x in enumerate(inputs):
        if isinstance(x, Tensor):
            data = x.data
        elif isinstance(x, (int, float, list, tuple)):
            data = np.asarray(x, dtype=np.float64)
        else:
            data = asarray(x)
        if data.dtype.kind != "f":
            raise TypeError(
                f"{caller}: input {k} has dtype {data.dtype}; derivatives need a float "
                "tensor (convert with .astype('float64'))"
            )
        leaves.append(Tensor(data, requires_grad=True, dtype=data.dtype))
    return tuple(leaves)


def _scalar_output(caller: str, f: Callable[..., Tensor], xs: Sequence[Tensor]) -> Tensor:
    y = f(*xs)
    if not isinstance(y, Tensor):
        raise TypeError(f"{caller}: f must return a Tensor, got {type(y).__name__}")
    if y.size != 1:
        raise ValueError(
            f"{caller}: f must return a one-element tensor (a scalar function), got shape "
            f"{y.shape}; reduce it first, e.g. with .sum()"
        )
    if y.data.dtype.kind != "f":
        raise TypeError(f"{caller}: f returned a tensor of non-float dtype {y.dtype}")
    return y


def hvp(
    f: Callable[..., Tensor], inputs: Any, v: Any
) -> tuple[Tensor, Tensor | tuple[Tensor, ...]]:
    r"""Hessian-vector product of a scalar function, by double backward.

    For :math:`f:\mathbb R^n \to \mathbb R` with Hessian
    :math:`H_{ij} = \partial^2 f / \partial x_i \partial x_j`,

    .. math:: H v = \nabla_x \big( \nabla_x f(x)^\top v \big),

    so one backward with ``create_graph=True`` and a second backward of
    :math:`\langle\nabla f, v\rangle` give :math:`Hv` in about the cost of two gradients,
    without ever forming :math:`H` (:math:`n^2` numbers). (The second backward gives
    :math:`v^\top H`, which is :math:`Hv` because a Hessian is symmetric.)

    Parameters
    ----------
    f:
        The function, called as ``f(*inputs)``; it must return a one-element tensor.
    inputs:
        A tensor, or a tuple/list of tensors (arrays and numbers are accepted; numbers and
        lists become float64). ``f`` is evaluated on copies, so ``.grad`` and the graph of
        the caller's tensors are not touched.
    v:
        The vector: the same structure and shapes as *inputs*.

    Returns
    -------
    tuple
        ``(value, hvp)``: ``value`` is :math:`f(x)` and ``hvp`` is :math:`Hv`, a tensor (a tuple of tensors
        when *inputs* is a tuple or list), neither with a graph. Parts of :math:`Hv` that
        are identically 0 (``f`` linear in an input) are zeros.

    Example
    -------
    >>> import tinynet as tn
    >>> x = tn.tensor([1.0, 2.0], dtype="float64")
    >>> value, hv = tn.hvp(lambda x: (x**3).sum(), x, tn.tensor([1.0, 0.0], dtype="float64"))
    >>> hv.numpy()  # H = diag(6x) = diag(6, 12)
    array([6., 0.])
    """
    single = not isinstance(inputs, (tuple, list))
    xs = _fresh_leaves("hvp", (inputs,) if single else inputs)
    vs_raw = (v,) if single else v
    if not isinstance(vs_raw, (tuple, list)) or len(vs_raw) != len(xs):
        raise ValueError(
            f"hvp: v must have the structure of inputs ({len(xs)} tensor"
            f"{'s' if len(xs) != 1 else ''}), got {type(v).__name__}"
        )
    vs = []
    for k, (x, vk) in enumerate(zip(xs, vs_raw)):
        raw = vk.data if isinstance(vk, Tensor) else vk
        arr = asarray(raw, dtype=x.dtype) if not isinstance(raw, xp.ndarray) else raw
        if arr.shape != x.shape or arr.dtype != x.dtype:
            raise ValueError(
                f"hvp: v[{k}] has shape {arr.shape} and dtype {arr.dtype}, but input {k} has "
                f"shape {x.shape} and dtype {x.dtype}"
            )
        vs.append(Tensor._wrap(arr, False))
    with enable_grad():
        y = _scalar_output("hvp", f, xs)
        gs = _grad(y, xs, create_graph=True, materialize_grads=True)
        live = [(g, vk) for g, vk in zip(gs, vs) if g.requires_grad]
        if live:
            hv = _grad(
                [g for g, _ in live],
                xs,
                grad_outputs=tuple(vk for _, vk in live),
                materialize_grads=True,
            )
        else:  # the gradient is constant: f is linear (or constant), H = 0
            hv = tuple(Tensor._wrap(xp.zeros_like(x.data), False) for x in xs)
    value = Tensor._wrap(y.data, False)
    return value, (hv[0] if single else tuple(hv))


def hessian(f: Callable[[Tensor], Tensor], x: Any) -> Tensor:
    r"""The full Hessian of a scalar function of one (small) tensor, by double backward.

    .. math:: H_{ij} = \frac{\partial^2 f}{\partial x_i\,\partial x_j}

    Row :math:`i` is the gradient of the :math:`i`-th entry of :math:`\nabla f`, i.e.
    ``tn.grad(g, x, grad_outputs=e_i)`` for the gradient :math:`g` built with
    ``create_graph=True``: :math:`n` backward passes for :math:`n` elements, and
    :math:`n^2` numbers of memory, so use it for small inputs (for large ones,
    :func:`hvp` gives :math:`Hv` without forming :math:`H`). Nothing assumes symmetry:
    for a twice continuously differentiable :math:`f` the result is symmetric up to
    rounding, which makes a useful test.

    Parameters
    ----------
    f:
        Called as ``f(x)``; must return a one-element tensor.
    x:
        A float tensor (or an array; numbers and lists become float64). ``f`` is
        evaluated on a copy, so ``x.grad`` and its graph are not touched.

    Returns
    -------
    ~tinynet.tensor.Tensor
        Of shape ``x.shape + x.shape`` and ``x``'s dtype, without a graph; zeros where
        ``f`` is linear.

    Example
    -------
    >>> import tinynet as tn
    >>> x = tn.tensor([1.0, 2.0], dtype="float64")
    >>> tn.hessian(lambda x: x[0] ** 2 * x[1], x).numpy()  # [[2 x1, 2 x0], [2 x0, 0]]
    array([[4., 2.],
           [2., 0.]])
    """
    (x0,) = _fresh_leaves("hessian", (x,))
    n = x0.size
    rows = xp.zeros((n, n), dtype=x0.dtype)
    with enable_grad():
        y = _scalar_output("hessian", f, (x0,))
        (g,) = _grad(y, x0, create_graph=True, materialize_grads=True)
        if g.requires_grad:  # else f is linear in x: H = 0
            for i in range(n):
                e = xp.zeros(n, dtype=x0.dtype)
                e[i] = 1
                (row,) = _grad(
                    g,
                    x0,
                    grad_outputs=(Tensor._wrap(e.reshape(x0.shape), False),),
                    retain_graph=i < n - 1,
                    materialize_grads=True,
                )
                rows[i] = row.data.reshape(-1)
    return Tensor._wrap(rows.reshape(x0.shape + x0.shape), False)
