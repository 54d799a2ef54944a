r"""Elementwise functions: exp, log, sqrt, abs, maximum/minimum, clip and casts.

Edge values. Each forward gives the IEEE 754 value (what numpy and PyTorch give): the
limit where the function has one (:math:`e^{-\infty} = 0`, :math:`\ln 0 = -\infty`), NaN outside
the real domain (:math:`\ln(-1)`, :math:`\sqrt{-1}`), and NaN for a NaN input. Each backward
multiplies :math:`\bar y` by the derivative :math:`f'(x)`, where

* at :math:`\pm\infty` and at the boundary of the domain :math:`f'` is its limit (:math:`\exp'(-\infty) = 0`,
  :math:`\ln'(0) = +\infty`);
* at a NaN input, and wherever :math:`f(x)` is NaN because :math:`x` is outside the domain,
  :math:`f'(x)` is NaN: a NaN never turns into a number on its way back;
* where :math:`f` does not depend on an input at all (a clipped element, the smaller
  operand of a maximum) the gradient is exactly 0, whatever :math:`\bar y` is (as PyTorch).

The docstrings list the deliberate differences from PyTorch.

Second derivatives: each op's ``backward_graph`` builds the same gradient from tinynet
operations. The masks of abs, maximum/minimum and clip (which side wins, which
elements are inside the bounds) are constants in that graph: their derivative is 0
everywhere except at the kink, where none exists. So :math:`|x|'' = 0` and
:math:`\max(a, b)'' = 0` away from the kinks, and the gradient of ``clip`` is
differentiated as the constant mask times :math:`\bar y`. The edge-value conventions (a
gradient of exactly 0 or NaN at fixed positions) are imposed with :class:`Where`, never
by multiplying with a 0/1 mask (:math:`0\cdot\infty = \mathrm{NaN}`).
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.ops.arithmetic import ieee
from tinynet.tensor import Function, Tensor, get_default_dtype


class Exp(Function):
    r""":math:`y = e^x`, so :math:`\bar x = \bar y\, e^x = \bar y\, y`.

    Edges: :math:`e^{-\infty} = 0` with derivative 0; :math:`e^{\infty} = \infty` (also on overflow,
    e.g. :math:`e^{1000}`) with derivative :math:`\infty`; NaN gives NaN.

    In graph mode :math:`\bar x = \bar y\, y` with the output :math:`y` as a node, so every derivative
    is :math:`e^x` again: :math:`(e^x)^{(n)} = e^x`.
    """

    __slots__ = ("y",)
    local_derivatives = ("∂y/∂x = e^x = y",)
    reads_inputs = False
    reads_output = True

    def forward(self, x: Any) -> Any:
        with ieee():
            self.y = xp.exp(x)
        return self.y

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (grad * self.y,)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        with ieee():
            return (grad * out,)


class Log(Function):
    r""":math:`y = \ln x`, so :math:`\bar x = \bar y / x` (defined for :math:`x \ge 0`).

    Edges: :math:`\ln 0 = -\infty` with derivative :math:`+\infty` (the limit from inside the
    domain; also at :math:`x = -0.0`, where PyTorch's :math:`1/x` gives :math:`-\infty`);
    :math:`\ln\infty = \infty` with derivative 0; for :math:`x < 0` the value is NaN and so is the
    derivative (PyTorch returns the finite :math:`1/x` there: a number for a function that
    has none).

    Second derivative: :math:`(\ln x)'' = -1/x^2`; the graph is :math:`\bar y / |x|` (the NaN of
    :math:`x < 0` a constant), whose derivative :math:`-\mathrm{sign}(x)/x^2` is :math:`-1/x^2` on the domain.
    """

    __slots__ = ("x",)
    local_derivatives = ("∂y/∂x = 1/x",)

    def forward(self, x: Any) -> Any:
        self.x = x
        with ieee():
            return xp.log(x)

    def backward(self, grad: Any) -> tuple[Any]:
        x = self.x
        with ieee():
            # |x| turns -0.0 into +0.0 (derivative +inf); negative x gets NaN
            return (xp.where(x < 0, x.dtype.type("nan"), grad / xp.abs(x)),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        x = self.inputs[0]
        with ieee():
            g = grad / Abs.apply(x)
            negative = x.data < 0
            if negative.any():  # outside the domain: NaN (a constant mask)
                g = Where.apply(float("nan"), g, cond=negative)
        return (g,)


class Sqrt(Function):
    r""":math:`y = \sqrt{x}`, so :math:`\bar x = \bar y / (2\sqrt{x}) = \bar y / (2y)`.

    Edges: :math:`\sqrt{0} = 0` with derivative :math:`+\infty` (also at :math:`x = -0.0`, whose IEEE
    square root is :math:`-0.0`; PyTorch's :math:`1/(2y)` gives :math:`-\infty` there);
    :math:`\sqrt\infty = \infty` with derivative 0; for :math:`x < 0` value and derivative are NaN.

    Second derivative: :math:`(\sqrt x)'' = -\tfrac14 x^{-3/2}`, from the graph
    :math:`\bar y / |2y|` with the output :math:`y` as a node.
    """

    __slots__ = ("y",)
    local_derivatives = ("∂y/∂x = 1/(2√x)",)
    reads_inputs = False
    reads_output = True

    def forward(self, x: Any) -> Any:
        with ieee():
            self.y = xp.sqrt(x)
        return self.y

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (grad / xp.abs(2 * self.y),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        with ieee():
            return (grad / Abs.apply(2 * out),)


class Abs(Function):
    r""":math:`y = |x|`, so :math:`\bar x = \bar y\,\mathrm{sign}(x)`.

    Edges: :math:`\mathrm{sign}(\pm 0) = 0` (0 at the kink, as PyTorch), :math:`|\pm\infty| = \infty`
    with derivative :math:`\pm1`, NaN gives NaN.

    Second derivative: 0 (the sign is a constant mask in the graph; at the kink no
    second derivative exists).
    """

    __slots__ = ("x",)
    local_derivatives = ("∂y/∂x = sign(x)",)
    keeps_integers = True

    def forward(self, x: Any) -> Any:
        self.x = x
        return xp.abs(x)

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (grad * xp.sign(self.x),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        # sign(x) is a constant: its derivative is 0 everywhere but at the kink
        sign = Tensor._wrap(xp.sign(self.inputs[0].data), False)
        with ieee():
            return (grad * sign,)


def _winner_grads_graph(
    grad: Tensor, a: Any, b: Any, a_wins: Any, b_wins: Any
) -> tuple[Tensor, Tensor]:
    """:func:`_winner_grads` with tensor operations; the masks are constants (their
    derivative is 0 wherever one side wins, and a tie is a kink)."""
    with ieee():
        shared = Where.apply(grad * 0.5, float("nan"), cond=a == b)
        ga = Where.apply(grad, Where.apply(0.0, shared, cond=b_wins), cond=a_wins)
        gb = Where.apply(grad, Where.apply(0.0, shared, cond=a_wins), cond=b_wins)
    return ga, gb


def _winner_grads(grad: Any, a: Any, b: Any, a_wins: Any, b_wins: Any) -> tuple[Any, Any]:
    """Gradients of max/min: the winning side gets all, ties share, NaN operands get NaN."""
    zero = grad.dtype.type(0)
    with ieee():
        # a == b: half each; neither wins nor ties (a NaN operand): NaN for both
        shared = xp.where(a == b, grad * 0.5, grad.dtype.type("nan"))
    ga = xp.where(a_wins, grad, xp.where(b_wins, zero, shared))
    gb = xp.where(b_wins, grad, xp.where(a_wins, zero, shared))
    return ga, gb


class Maximum(Function):
    r""":math:`y = \max(a, b)` elementwise.

    :math:`\bar a = \bar y\,[a > b]` and :math:`\bar b = \bar y\,[b > a]`; where :math:`a = b` the
    function has a kink and each side receives half, :math:`\tfrac12\bar y` (PyTorch
    splits ties the same way). :math:`\max(x, \infty) = \infty` with all of the gradient
    going to the :math:`\infty` side (also :math:`\infty = \infty` is a tie).

    A NaN operand gives NaN (as PyTorch), and both gradients are NaN there: which side
    wins is undefined. (PyTorch passes :math:`\bar y` to both sides.)
    """

    __slots__ = ("a", "b")
    local_derivatives = ("∂y/∂a = [a > b] (½ at a = b)", "∂y/∂b = [b > a] (½ at a = b)")
    keeps_integers = True

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.a, self.b
        return _winner_grads(grad, a, b, a > b, b > a)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor]:
        a, b = self.a, self.b
        return _winner_grads_graph(grad, a, b, a > b, b > a)


class Minimum(Function):
    r""":math:`y = \min(a, b)` elementwise; :math:`\bar a = \bar y\,[a < b]`, ties split in half.

    Edges as :class:`Maximum`: a NaN operand gives a NaN value and NaN gradients.
    """

    __slots__ = ("a", "b")
    local_derivatives = ("∂y/∂a = [a < b] (½ at a = b)", "∂y/∂b = [b < a] (½ at a = b)")
    keeps_integers = True

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.a, self.b
        return _winner_grads(grad, a, b, a < b, b < a)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor]:
        a, b = self.a, self.b
        return _winner_grads_graph(grad, a, b, a < b, b < a)


class Clip(Function):
    r""":math:`y = \min(\max(x, lo), hi)`; :math:`\bar x = \bar y\,[lo \le x \le hi]`.

    The bounds are constants. At the bounds themselves the gradient is passed through
    (as ``torch.clamp`` does). Outside them the output does not depend on :math:`x` and the
    gradient is exactly 0; :math:`\pm\infty` inputs are clipped to the bounds (gradient 0
    unless the bound is itself infinite). A NaN input gives NaN and a NaN gradient
    (``torch.clamp`` gives gradient 0 there). A NaN bound is refused.

    With an integer tensor and integer bounds the result stays integer; a float bound
    gives the default float dtype (as PyTorch).
    """

    __slots__ = ("x", "lo", "hi")
    local_derivatives = ("∂y/∂x = [lo ≤ x ≤ hi]",)
    keeps_integers = True

    def __init__(self, lo: float | None, hi: float | None) -> None:
        if lo is None and hi is None:
            raise ValueError("clip: give at least one of lo and hi")
        for name, bound in (("lo", lo), ("hi", hi)):
            if bound is not None and bound != bound:
                raise ValueError(f"clip: {name} is NaN; a bound must be a number or +-inf")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: lo={lo} is greater than hi={hi}")
        self.lo, self.hi = lo, hi

    def forward(self, x: Any) -> Any:
        if x.dtype.kind in "iub" and any(isinstance(v, float) for v in (self.lo, self.hi)):
            x = x.astype(get_default_dtype())
        self.x = x
        return xp.clip(x, self.lo, self.hi)

    def _outside(self) -> Any:
        x, lo, hi = self.x, self.lo, self.hi
        if lo is None:
            return x > hi
        if hi is None:
            return x < lo
        return (x < lo) | (x > hi)

    def backward(self, grad: Any) -> tuple[Any]:
        x = self.x
        # x == x is False only for NaN: there the derivative is NaN, not 0
        ordered = xp.where(x == x, grad, grad.dtype.type("nan"))
        return (xp.where(self._outside(), grad.dtype.type(0), ordered),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        # the masks are constants: their derivative is 0 except at the bounds
        x = self.x
        ordered = Where.apply(grad, float("nan"), cond=x == x)
        return (Where.apply(0.0, ordered, cond=self._outside()),)


class Cast(Function):
    r"""Change the dtype; :math:`\bar x = \bar y` cast back to the input's dtype.

    Between float dtypes the IEEE rounding applies (a float64 above the float32 range
    becomes :math:`\pm\infty`; NaN stays NaN). An integer type has no NaN or :math:`\pm\infty`, so
    casting those to one raises ``ValueError`` instead of inventing a number (numpy and
    PyTorch return an arbitrary integer).
    """

    __slots__ = ("dtype", "in_dtype")
    local_derivatives = ("∂y/∂x = 1 (cast back)",)
    reads_inputs = False
    # an integer input is converted to the requested dtype, not first to float32
    # (which would round integers above 2**24)
    keeps_integers = True

    def __init__(self, dtype: Any) -> None:
        self.dtype = xp.dtype(dtype)

    def forward(self, x: Any) -> Any:
        self.in_dtype = x.dtype
        if self.dtype.kind in "iub" and x.dtype.kind == "f" and self.dtype.kind != "b":
            finite = xp.isfinite(x)
            if not bool(finite.all()):
                bad = x[~finite].ravel()[:3].tolist()
                raise ValueError(
                    f"cannot convert {bad} to {self.dtype}: an integer type has no "
                    f"NaN or inf (input shape {x.shape}, dtype {x.dtype})"
                )
        with ieee():
            return x.astype(self.dtype)

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (grad.astype(self.in_dtype),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        with ieee():
            return (Cast.apply(grad, dtype=self.in_dtype),)


class Where(Function):
    r""":math:`y = \mathrm{where}(c, a, b)`: :math:`a` where the boolean array :math:`c` is true, else :math:`b`.

    The condition is a constant (an option, not an input: a boolean has no
    derivative), and the operands broadcast as in numpy. Each operand receives the
    gradient where it was chosen and **exactly** 0 elsewhere, whatever :math:`\bar y` is:

    .. math:: \bar a = \mathrm{where}(c, \bar y, 0), \qquad \bar b = \mathrm{where}(c, 0, \bar y).

    The map is linear in :math:`(a, b)`, so its second derivative is 0. The other ops'
    ``backward_graph`` use it to impose their edge-value conventions (a gradient of 0 or
    NaN at fixed positions), which multiplying by a 0/1 mask cannot do:
    :math:`0\cdot\infty = \mathrm{NaN}`. The usual caveat of ``where`` applies to derivatives
    of the branch that was not chosen: its gradient there is 0, but if that branch
    itself is infinite or NaN at such a position, the chain rule inside it can still
    give :math:`0\cdot\infty = \mathrm{NaN}` further down (as in PyTorch and JAX).
    """

    __slots__ = ("cond",)
    local_derivatives = ("∂y/∂a = [c]", "∂y/∂b = [not c]")
    reads_inputs = False
    keeps_integers = True

    def __init__(self, cond: Any) -> None:
        cond = cond.data if isinstance(cond, Tensor) else xp.asarray(cond)
        if cond.dtype.kind != "b":
            raise TypeError(
                f"where: the condition must be a boolean array, got dtype {cond.dtype} "
                "(compare first, e.g. x > 0)"
            )
        self.cond = cond

    def forward(self, a: Any, b: Any) -> Any:
        try:
            return xp.where(self.cond, a, b)
        except ValueError:
            raise ValueError(
                f"where: the condition of shape {self.cond.shape} and the operands of "
                f"shapes {a.shape} and {b.shape} do not broadcast to one shape"
            ) from None

    def backward(self, grad: Any) -> tuple[Any, Any]:
        zero = grad.dtype.type(0)
        return xp.where(self.cond, grad, zero), xp.where(self.cond, zero, grad)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor]:
        return Where.apply(grad, 0.0, cond=self.cond), Where.apply(0.0, grad, cond=self.cond)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """*a* where the boolean *cond* is true, else *b* (``torch.where``, ``numpy.where``).

    *cond* is a boolean tensor, array, list or Python bool (``x > 0``, ``mask``); a
    number-valued condition is refused (compare first) rather than read as "non-zero".
    *cond*, *a* and *b* broadcast to one shape; *a* and *b* may be Python numbers
    (``tn.where(x > 0, x, 0.0)``). Differentiable in *a* and *b* (see :class:`Where`):
    each gets the gradient where it was chosen and exactly 0 elsewhere.
    """
    return Where.apply(a, b, cond=cond)


def cast(x: Tensor, dtype: Any) -> Tensor:
    """Differentiable dtype conversion; a result of an integer or bool dtype has no gradient."""
    out = Cast.apply(x, dtype=dtype)
    if out.requires_grad and out.dtype.kind != "f":
        out.requires_grad, out._ctx = False, None  # an integer result has no gradient
    return out
