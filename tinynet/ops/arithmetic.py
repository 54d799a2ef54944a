r"""Arithmetic: :math:`+,\ -,\ \times,\ /`, negation, powers and matrix products.

Broadcasting is allowed exactly as in numpy; each backward returns the gradient at
the *output's* shape and the engine sums it down to the input's shape.

Edge values (:math:`\pm\infty`, NaN, :math:`\pm0`) follow IEEE 754 arithmetic, as numpy
and PyTorch do: :math:`\infty-\infty`, :math:`0\cdot\infty`, :math:`0/0` and
:math:`\infty/\infty` are NaN, :math:`1/0=\infty`, and a NaN operand gives a NaN result.
Second derivatives: every op here defines ``backward_graph`` (the same gradient from
tinynet operations, so ``create_graph=True`` can differentiate it again). Add, Sub and
Neg are linear: their gradients are constants, whose derivative is 0 (see
:mod:`tinynet.ops` for how a zero second derivative is returned).

The gradients are the same formulas evaluated in IEEE arithmetic, except where the
formula hits :math:`0\cdot\infty` at a point where the derivative has a well-defined
limit (the powers below say which). Such inf/NaN results are the correct answers. Where
tinynet's own formula would make numpy warn about them (``0 * inf`` inside a gradient,
say), the warning is silenced locally (:func:`!ieee`). The hot-path operations (``+ - * /``,
``@``, the fused affine map, sums and means) do not pay for that: with inf or NaN among
their operands numpy warns exactly as it would for the same array expression. Use
``tinynet.detect_anomaly()`` to find where a NaN first appears.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import numpy

from tinynet.backend import xp
from tinynet.tensor import Function, Tensor, get_default_dtype, unbroadcast


def ieee() -> AbstractContextManager[Any]:
    r"""Silence numpy's floating-point warnings for one computation.

    Overflow to :math:`\pm\infty`, division by zero and invalid operations that give NaN are
    the IEEE-correct answers of the computations wrapped in this, so numpy's
    ``RuntimeWarning`` about them would be noise. ``numpy.errstate`` is used under both
    backends: cupy never warns, so there it changes nothing. It costs about 1 µs a call.
    """
    return numpy.errstate(over="ignore", divide="ignore", invalid="ignore")


class Add(Function):
    r""":math:`y = a + b`, so :math:`\bar a = \bar y` and :math:`\bar b = \bar y`.

    Edges: :math:`\infty + (-\infty) = \mathrm{NaN}`; the gradient is 1 everywhere, also
    there (as PyTorch).
    """

    __slots__ = ()
    local_derivatives = ("∂y/∂a = 1", "∂y/∂b = 1")
    reads_inputs = False
    keeps_integers = True

    def forward(self, a: Any, b: Any) -> Any:
        return a + b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, grad

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor]:
        return grad, grad


class Sub(Function):
    r""":math:`y = a - b`, so :math:`\bar a = \bar y` and :math:`\bar b = -\bar y` (:math:`\infty-\infty=\mathrm{NaN}`)."""

    __slots__ = ()
    local_derivatives = ("∂y/∂a = 1", "∂y/∂b = −1")
    reads_inputs = False
    keeps_integers = True

    def forward(self, a: Any, b: Any) -> Any:
        return a - b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, -grad

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor]:
        return grad, -grad


class Mul(Function):
    r""":math:`y = a\,b` (elementwise), so :math:`\bar a = \bar y\, b` and :math:`\bar b = \bar y\, a`.

    Edges: :math:`0\cdot\infty = \mathrm{NaN}`; the gradients are the other operand, so at
    :math:`a = \infty, b = 0`: :math:`\bar a = 0`, :math:`\bar b = \infty` (as PyTorch).

    Second derivatives: :math:`\partial^2 y/\partial a\,\partial b = 1` and
    :math:`\partial^2 y/\partial a^2 = 0`; ``backward_graph`` builds :math:`\bar y\, b` from the tensor
    :math:`b`, so the mixed term appears (and from :math:`\bar y`, for double backward through it).
    """

    __slots__ = ("a", "b")
    local_derivatives = ("∂y/∂a = b", "∂y/∂b = a")
    keeps_integers = True

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return a * b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad * self.b, grad * self.a

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor | None, ...]:
        a, b = self.inputs
        with ieee():
            return (grad * b if a.requires_grad else None), (grad * a if b.requires_grad else None)


class Div(Function):
    r""":math:`y = a / b`, so :math:`\bar a = \bar y / b` and :math:`\bar b = -\bar y\, a / b^2 = -\bar y\, y / b`.

    Edges (IEEE, as numpy and PyTorch): :math:`a/0 = \pm\infty` for :math:`a \ne 0`, :math:`0/0` and
    :math:`\infty/\infty` are NaN, :math:`a/\infty = 0`. The gradients follow the same rules: at
    :math:`b = 0`, :math:`\bar a = \pm\infty`; at :math:`b = \infty` (finite :math:`a`) both are 0.

    Second derivatives: :math:`\partial^2 y/\partial a\,\partial b = -1/b^2`,
    :math:`\partial^2 y/\partial b^2 = 2a/b^3`, :math:`\partial^2 y/\partial a^2 = 0`. In graph mode
    :math:`\bar b = -\bar a\, y` uses the output :math:`y` as a node, whose own derivative carries them.
    """

    __slots__ = ("b", "y")
    local_derivatives = ("∂y/∂a = 1/b", "∂y/∂b = −a/b²")
    reads_output = True

    def forward(self, a: Any, b: Any) -> Any:
        self.b = b
        self.y = a / b
        return self.y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        ga = grad / self.b
        return ga, -ga * self.y

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor]:
        # the same formulas, with the output y as a node of the graph: its own
        # derivative carries the dependence of -ga*y on a and b
        with ieee():
            ga = grad / self.inputs[1]
            return ga, -ga * out


class Neg(Function):
    r""":math:`y = -x`, so :math:`\bar x = -\bar y` (NaN stays NaN, :math:`-(\pm\infty) = \mp\infty`)."""

    __slots__ = ()
    local_derivatives = ("∂y/∂x = −1",)
    reads_inputs = False
    keeps_integers = True

    def forward(self, x: Any) -> Any:
        return -x

    def backward(self, grad: Any) -> tuple[Any]:
        return (-grad,)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (-grad,)


def _real_pow(a: Any, b: Any, integral: Any) -> Any:
    r"""``a ** b``, with NaN wherever :math:`a < 0` (also :math:`-\infty`) and *b* is not *integral*.

    *integral* says whether the exponent of the function being computed is an integer
    (a bool, or an array for a tensor exponent). It is passed separately because the
    derivative uses ``a ** (b - 1)`` and :math:`b - 1` can round to an integer (:math:`10^{-38} - 1`
    is :math:`-1` in floating point), where ``pow`` would return a number for a function
    that has none. It also covers :math:`a = -\infty`, where C's ``pow`` returns :math:`+\infty`
    for :math:`(-\infty)^{1.5}` (numpy even disagrees with itself there: ``x ** 0.5`` is
    computed as ``sqrt(x)``, which gives NaN).
    """
    y = a**b
    if integral is True:
        return y
    bad = a < 0
    if integral is not False:
        bad = bad & ~integral  # not in place: *integral* may broadcast to more axes
    return xp.where(bad, y.dtype.type("nan"), y)


class PowConst(Function):
    r""":math:`y = x^c` for a constant number :math:`c`: :math:`\bar x = \bar y\, c\, x^{c-1}`.

    Values follow IEEE ``pow`` (as numpy and PyTorch): :math:`x^0 = 1` for **every** :math:`x`,
    including :math:`0^0`, :math:`\infty^0` and :math:`\mathrm{NaN}^0` (the one place where a NaN input
    does not give a NaN output); :math:`0^{c} = \infty` for :math:`c < 0`; :math:`(\pm\infty)^2 = \infty`;
    :math:`x^c = \mathrm{NaN}` for :math:`x < 0` and a non-integer :math:`c`, **including** :math:`x = -\infty`:
    a negative number has no real square root, however large. (IEEE ``pow`` says
    :math:`+\infty` there; numpy gives NaN for :math:`c = 0.5`, which it computes as ``sqrt``, but
    :math:`+\infty` for :math:`c = 1.5`.)

    Gradient: for :math:`c = 0` the function is the constant 1, so :math:`\bar x = 0` everywhere,
    also at :math:`x = 0` where the formula would give :math:`0 \cdot 0^{-1} = 0\cdot\infty` (PyTorch
    also gives 0). Elsewhere the formula in IEEE arithmetic: :math:`2x` is :math:`\pm\infty` at
    :math:`\pm\infty`; :math:`c\,x^{c-1} = \infty` at :math:`x = 0` for :math:`0 < c < 1`; NaN where :math:`x^c` is NaN,
    except for :math:`c = 1`, whose derivative is 1 everywhere (:math:`x^0 = 1`).

    Second derivative: :math:`(x^c)'' = c\,(c-1)\,x^{c-2}`, from the graph :math:`\bar y\,c\,x^{c-1}`
    (itself a :class:`PowConst`); for :math:`c = 0` the gradient is a constant 0.

    With an integer tensor, a non-negative Python ``int`` exponent keeps the integer
    dtype (as PyTorch); a float or negative exponent gives the default float dtype
    (numpy would refuse ``2 ** -1`` for integers, PyTorch too; the real answer is 0.5).
    """

    __slots__ = ("c", "x")
    local_derivatives = ("∂y/∂x = c·x^(c−1)",)
    keeps_integers = True

    def __init__(self, exponent: float) -> None:
        # A numpy scalar exponent (np.float64 is a subclass of float) would be a
        # "strong" operand and turn a float32 result into float64: keep a Python number.
        self.c = int(exponent) if isinstance(exponent, int) else float(exponent)

    def forward(self, x: Any) -> Any:
        if x.dtype.kind in "iub" and (isinstance(self.c, float) or self.c < 0):
            x = x.astype(get_default_dtype())
        self.x = x
        with ieee():
            return _real_pow(x, self.c, float(self.c).is_integer())

    def backward(self, grad: Any) -> tuple[Any]:
        c = self.c
        if c == 0:  # the constant 1: zero gradient, even where x**-1 is infinite
            return (xp.zeros_like(grad),)
        with ieee():
            if c == 2:  # the common case, without a second power
                return (grad * 2 * self.x,)
            return (grad * c * _real_pow(self.x, c - 1, float(c).is_integer()),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.elementwise import Where

        c, x = self.c, self.inputs[0]
        if c == 0:  # the constant 1: a constant zero gradient, whose derivative is 0
            return (Tensor._wrap(xp.zeros_like(grad.data), False),)
        with ieee():
            if c == 2:
                return (grad * 2 * x,)
            p = PowConst.apply(x, exponent=c - 1)
            if not float(c).is_integer():
                # c - 1 may round to an integer (1e-38 - 1 == -1), where x**(c-1) is a
                # number for x < 0: keep the NaN of x**c there, as backward does
                negative = x.data < 0
                if negative.any():
                    p = Where.apply(float("nan"), p, cond=negative)
            return (grad * c * p,)


class Pow(Function):
    r""":math:`y = a^b` with both operands tensors.

    .. math:: \bar a = \bar y\, b\, a^{b-1}, \qquad \bar b = \bar y\, a^b \ln a .

    Values follow IEEE ``pow``, with NaN at :math:`(-\infty)^b` for a non-integer :math:`b` (see
    :class:`PowConst`). The formulas are evaluated in IEEE arithmetic except at the
    products :math:`0\cdot\infty`, where the derivative has a limit and that limit is
    returned:

    * :math:`\partial a^b/\partial a = 0` wherever :math:`b = 0` (the function is the constant 1),
      also at :math:`a = 0`, :math:`\pm\infty` or NaN. PyTorch does the same.
    * :math:`\partial a^b/\partial a = 0` where :math:`a^{b-1} = 0` and :math:`b = \pm\infty`
      (:math:`|a| < 1, b = \infty` or :math:`|a| > 1, b = -\infty`: :math:`\lim b\,a^{b-1} = 0`, the
      power decays faster than :math:`b` grows).
    * :math:`\partial a^b/\partial b = 0` where :math:`a^b = 0` and :math:`a \ge 0`: at :math:`a = 0, b > 0`
      the function is :math:`0` for every nearby :math:`b` (and :math:`\lim_{a\to0^+} a^b\ln a = 0`);
      likewise at :math:`a = \infty, b < 0`, at :math:`0 < a < 1, b = \infty` and at
      :math:`a > 1, b = -\infty`. PyTorch gives 0 at :math:`a = 0, b > 0` as well.

    Elsewhere: :math:`\partial a^b/\partial b = \ln a = -\infty` at :math:`a = 0, b = 0` (both one-sided
    difference quotients tend to :math:`-\infty`; PyTorch returns 0 there by convention), and
    NaN for :math:`a < 0`, where :math:`a^b` is not a real function of :math:`b` (also when :math:`b` is an
    integer and :math:`a^b` itself is a number), as PyTorch.

    Second derivatives (``backward_graph``):

    .. math:: \frac{\partial^2 a^b}{\partial a^2} = b(b-1)a^{b-2}, \quad
              \frac{\partial^2 a^b}{\partial a\,\partial b} = a^{b-1}(1 + b\ln a), \quad
              \frac{\partial^2 a^b}{\partial b^2} = a^b(\ln a)^2 .

    The limits above replace the formula only where it evaluates to
    :math:`0\cdot\infty = \mathrm{NaN}`; where the formula is already 0 (at :math:`b = 0` with a
    finite :math:`a^{b-1}`, say) it stays in the graph, so the mixed derivative there is the
    true :math:`1/a`, not the 0 a constant would give.
    """

    __slots__ = ("y", "a", "b")
    local_derivatives = ("∂y/∂a = b·a^(b−1)", "∂y/∂b = a^b·ln a")
    reads_output = True

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        with ieee():
            self.y = _real_pow(a, b, xp.floor(b) == b)
        return self.y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b, y = self.a, self.b, self.y
        zero = grad.dtype.type(0)
        with ieee():
            p = _real_pow(a, b - 1, xp.floor(b) == b)
            ga = grad * xp.where((b == 0) | (p == 0), zero, b * p)
            gb = None
            if self.inputs[1].requires_grad:
                # y == 0 with a >= 0 (not NaN): the function is 0 around b, slope 0
                flat = (y == 0) & (a >= 0)
                gb = grad * xp.where(flat, zero, y * xp.log(a))
        return ga, gb

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor | None]:
        from tinynet.ops.elementwise import Log, Where

        a, b = self.inputs
        with ieee():
            p = Pow.apply(a, b - 1)
            # b - 1 may round to an integer where b is not one: NaN there, as backward
            bad = (a.data < 0) & ~(xp.floor(b.data) == b.data)
            if bad.any():
                p = Where.apply(float("nan"), p, cond=bad)
            # The limits replace the formula only where it is 0 * inf = NaN. Elsewhere in
            # the masks the formula is already 0 and its own derivative is the right one
            # (at b = 0: d/db (b a^(b-1)) = 1/a, not 0), so it is kept as a node.
            bp = b * p
            limit = ((b.data == 0) | (p.data == 0)) & xp.isnan(bp.data)
            ga = grad * (Where.apply(0.0, bp, cond=limit) if limit.any() else bp)
            gb = None
            if b.requires_grad:
                ylog = out * Log.apply(a)
                limit = (out.data == 0) & (a.data >= 0) & xp.isnan(ylog.data)
                gb = grad * (Where.apply(0.0, ylog, cond=limit) if limit.any() else ylog)
        return ga, gb


def power(base: Any, exponent: Any) -> Tensor:
    """``base ** exponent``; a Python-number exponent uses the cheaper :class:`PowConst`."""
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        return PowConst.apply(base, exponent=exponent)
    return Pow.apply(base, exponent)


class MatMul(Function):
    r"""Matrix product :math:`Y = A B` (batched and 1-D operands as in ``numpy.matmul``).

    With :math:`Y_{ik} = \sum_j A_{ij} B_{jk}`:

    .. math:: \bar A = \bar Y B^\top, \qquad \bar B = A^\top \bar Y .

    A 1-D left operand is treated as a row vector and a 1-D right operand as a column
    vector; the extra axis is removed from the result, as numpy does.

    Edges: IEEE sums of products, as numpy and PyTorch: an :math:`\infty` entry meeting a 0
    gives :math:`\infty\cdot 0 = \mathrm{NaN}`, and :math:`\infty` and :math:`-\infty` terms in one sum
    give NaN; a NaN entry makes its whole output row/column NaN. The gradients are
    products of the same kind.

    The product is bilinear: :math:`\bar A` is linear in :math:`B` and does not depend on :math:`A`, so
    the second derivative in one operand is 0 and the mixed one is
    :math:`\partial^2 \phi/\partial A_{ij}\,\partial B_{jk} = \bar Y_{ik}`. ``backward_graph``
    builds :math:`\bar Y B^\top` and :math:`A^\top \bar Y` from :class:`MatMul` and
    :class:`~tinynet.ops.shape.Transpose`.

    A gradient is only computed for an operand that requires one: for the first layer
    of a network, :math:`\bar X` (the gradient of the data) would cost as much as
    :math:`\bar W` and be thrown away.
    """

    __slots__ = ("a", "b")
    local_derivatives = ("∂L/∂A = ∂L/∂Y·Bᵀ", "∂L/∂B = Aᵀ·∂L/∂Y")

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return self._backward(grad)

    def _backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.a, self.b
        need_a, need_b = self.inputs[0].requires_grad, self.inputs[1].requires_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, kept short
            return (grad @ b.T if need_a else None), (a.T @ grad if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = xp.expand_dims(g, -2 if b.ndim > 1 else -1)
        if b.ndim == 1:
            g = xp.expand_dims(g, -1)
        ga = gb = None
        if need_a:
            ga = unbroadcast(g @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            gb = unbroadcast(xp.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
        return ga, gb

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor | None, Tensor | None]:
        from tinynet.ops.reductions import sum_to
        from tinynet.ops.shape import Reshape, swap_last_axes

        a, b = self.inputs
        need_a, need_b = a.requires_grad, b.requires_grad
        if a.ndim == 2 and b.ndim == 2:
            ga = MatMul.apply(grad, swap_last_axes(b)) if need_a else None
            gb = MatMul.apply(swap_last_axes(a), grad) if need_b else None
            return ga, gb
        # 1-D operands as a row / a column, and the gradient with the removed axes back
        a2 = Reshape.apply(a, shape=(1,) + a.shape) if a.ndim == 1 else a
        b2 = Reshape.apply(b, shape=b.shape + (1,)) if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            at = len(g.shape) - (1 if b.ndim > 1 else 0)
            g = Reshape.apply(g, shape=g.shape[:at] + (1,) + g.shape[at:])
        if b.ndim == 1:
            g = Reshape.apply(g, shape=g.shape + (1,))
        ga = gb = None
        if need_a:
            ga = sum_to(MatMul.apply(g, swap_last_axes(b2)), a2.shape)
            ga = Reshape.apply(ga, shape=a.shape)
        if need_b:
            gb = sum_to(MatMul.apply(swap_last_axes(a2), g), b2.shape)
            gb = Reshape.apply(gb, shape=b.shape)
        return ga, gb


def matmul(a: Any, b: Any) -> Tensor:
    """``a @ b`` with a clear error when the inner dimensions do not agree."""
    sa = getattr(a, "shape", ())
    sb = getattr(b, "shape", ())
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {sa} and {sb}"
        )
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} are not aligned: the last axis of the left "
            f"operand ({sa[-1]}) must equal the "
            f"{'first' if len(sb) == 1 else 'second-to-last'} axis of the right operand "
            f"({inner_b})"
        )
    return MatMul.apply(a, b)


class Affine(Function):
    r"""Affine map :math:`Y = XW + b` as one operation: a dense layer before its activation.

    The same numbers as ``matmul(X, W) + b``, but one graph node instead of two and
    one array instead of two: the bias is added in place to the freshly computed
    product, and no separate product array stays alive in the graph until backward.
    With :math:`Y_{ik} = \sum_j X_{ij} W_{jk} + b_k`:

    .. math:: \bar X = \bar Y W^\top, \qquad \bar W = X^\top \bar Y, \qquad
              \bar b_k = \textstyle\sum_i \bar Y_{ik}

    (the sum over the rows is the engine's un-broadcasting of :math:`\bar Y` to the shape of :math:`b`).

    Edge values as in :class:`MatMul` and :class:`Add`; second derivatives as in
    :class:`MatMul` (the bias enters linearly: its second derivatives are 0).
    """

    __slots__ = ("x", "w")
    local_derivatives = ("∂L/∂X = ∂L/∂Y·Wᵀ", "∂L/∂W = Xᵀ·∂L/∂Y", "∂L/∂b = Σ_rows ∂L/∂Y")

    def forward(self, x: Any, w: Any, b: Any) -> Any:
        self.x, self.w = x, w
        y = x @ w
        y += b
        return y

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        need_x, need_w = self.inputs[0].requires_grad, self.inputs[1].requires_grad
        gx = grad @ self.w.T if need_x else None
        gw = self.x.T @ grad if need_w else None
        return gx, gw, grad

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor | None, ...]:
        from tinynet.ops.shape import swap_last_axes

        x, w, _ = self.inputs
        gx = MatMul.apply(grad, swap_last_axes(w)) if x.requires_grad else None
        gw = MatMul.apply(swap_last_axes(x), grad) if w.requires_grad else None
        return gx, gw, grad


def affine(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """``x @ weight + bias``, fused into one :class:`Affine` operation when ``x`` and
    ``weight`` are 2-D and ``bias`` has shape ``(out,)``; otherwise (and without a
    bias) exactly ``matmul(x, weight) + bias``, with the same errors."""
    sx, sw = getattr(x, "shape", ()), getattr(weight, "shape", ())
    fused = len(sx) == 2 and len(sw) == 2 and sx[1] == sw[0]
    if bias is None or not fused or getattr(bias, "shape", None) != (sw[1],):
        y = matmul(x, weight)
        return y if bias is None else y + bias
    return Affine.apply(x, weight, bias)
