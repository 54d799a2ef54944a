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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tinynet.backend import asarray, to_numpy
from tinynet.tensor import Tensor, no_grad

__all__ = ["GradcheckError", "central_difference", "numerical_grad", "gradcheck"]


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
    with no_grad():
        _, w = _projection(fn, inputs, seed)
    result: list[np.ndarray | None] = []
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            result.append(None)
            continue
        original = t.data

        def phi(x: np.ndarray, t: Tensor = t, original: object = original) -> float:
            t.data = asarray(x, dtype=original.dtype)
            with no_grad():
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
    ``True`` when every checked input agrees.

    Example
    -------
    >>> import tinynet as tn
    >>> x = tn.tensor([[0.3, -1.2]], dtype="float64", requires_grad=True)
    >>> tn.gradcheck(lambda x: (x * x).sigmoid(), x)
    True
    """
    checked = [k for k, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for k in checked:
        t = inputs[k]
        if t.dtype != np.float64 and not allow_float32:
            raise TypeError(
                f"gradcheck: input {k} (shape {t.shape}) has dtype {t.dtype}. Central differences "
                f"need float64: in float32 the rounding error of f(x+eps)-f(x-eps) is about "
                f"6e-8*|f|/eps, as large as the derivative itself for eps=1e-6. Convert with "
                f".astype('float64'), or pass allow_float32=True with a larger eps and tolerances."
            )

    # Analytic side: one backward of the projected output, leaving users' .grad untouched.
    saved = [(t.grad, t._retain) for t in inputs if isinstance(t, Tensor)]
    for k in checked:
        inputs[k].grad = None
    try:
        out, w = _projection(fn, inputs, seed)
        if out.requires_grad:
            out.backward(asarray(w, dtype=out.dtype))
        analytic = [
            np.zeros(inputs[k].shape) if inputs[k].grad is None else to_numpy(inputs[k].grad)
            for k in checked
        ]
    finally:
        for t, (g, r) in zip([t for t in inputs if isinstance(t, Tensor)], saved):
            t.grad, t._retain = g, r

    numeric_all = numerical_grad(fn, *inputs, eps=eps, seed=seed)
    for k, a in zip(checked, analytic):
        n = numeric_all[k]
        assert n is not None
        a = a.astype(np.float64)
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        bad = ~(excess <= 0)  # also catches NaN
        if not bad.any():
            continue
        if not raise_exception:
            return False
        flat = int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)))
        index = np.unravel_index(flat, a.shape) if a.ndim else ()
        av, nv = float(a[index]), float(n[index])
        abs_err = abs(av - nv)
        rel_err = abs_err / max(abs(nv), 1e-300)
        hints = [
            "the backward formula of an operation in fn is wrong, or",
            f"the input is at a kink (value {float(to_numpy(inputs[k].data)[index]):.6g}: "
            "relu/abs/maximum/clip at their switch points) -- move it away, or",
            "eps is too large for a strongly curved function (try eps=1e-7) or too small "
            "for float32 (use float64).",
        ]
        raise GradcheckError(
            f"gradcheck failed for input {k} (shape {inputs[k].shape}, dtype {inputs[k].dtype}): "
            f"{int(bad.sum())} of {bad.size} elements disagree.\n"
            f"  worst element index {tuple(int(i) for i in index)}: "
            f"analytic {av:.10g}, numerical {nv:.10g}, "
            f"absolute error {abs_err:.3g}, relative error {rel_err:.3g} "
            f"(tolerance atol={atol:g} + rtol={rtol:g}*|numerical|)\n"
            f"  analytic gradient:\n{_indent(a)}\n  numerical gradient:\n{_indent(n)}\n"
            "  possible causes: " + "\n    ".join(hints)
        )
    return True


def _indent(a: np.ndarray) -> str:
    with np.printoptions(precision=6, threshold=50, edgeitems=3):
        return "\n".join("    " + line for line in repr(a).splitlines())
