r"""Activation functions, each written to be numerically stable at :math:`\pm1000`.

Each is a single fused :class:`~tinynet.tensor.Function` (rather than a composite of
exp/div ops) for two reasons: the stable formulas avoid overflow, and the backward
reuses the forward's output, which is both faster and easy to read.

Edge values: at :math:`\pm\infty` each function and its derivative take their limits
(:math:`\sigma(\infty) = 1`, :math:`\sigma'(\infty) = 0`, :math:`\mathrm{ReLU}(-\infty) = 0`), and a NaN
input gives a NaN output and a NaN gradient. The docstrings give the details and the
differences from PyTorch.

Second derivatives: every activation defines ``backward_graph``, the same gradient
built from tinynet operations (usually from the output :math:`y`, a node of the graph), and
the docstrings give the second derivative. The masks of ReLU and LeakyReLU are
constants: their derivative is 0 everywhere but at the kink, where none exists.
"""

from __future__ import annotations

from typing import Any

from tinynet.backend import xp
from tinynet.ops.arithmetic import ieee
from tinynet.tensor import Function, Tensor


def stable_sigmoid(x: Any) -> tuple[Any, Any, Any]:
    r""":math:`\sigma(x)` on arrays without overflow, and the parts :math:`e = e^{-|x|}`, :math:`d = 1 + e`.

    :math:`\sigma(x) = 1/d` for :math:`x \ge 0` and :math:`e/d` for :math:`x < 0`; :math:`e \le 1` never overflows.
    Shared by :class:`Sigmoid` and the fused :class:`~tinynet.ops.losses.BCEWithLogits`.
    """
    e = xp.exp(-xp.abs(x))
    d = 1 + e
    return xp.where(x >= 0, x.dtype.type(1), e) / d, e, d


def softplus_parts(x: Any, e: Any) -> Any:
    r""":math:`\log(1 + e^{x}) = -\log\sigma(-x) = \max(x, 0) + \log(1 + e^{-|x|})` on arrays.

    *e* is :math:`e^{-|x|}` from :func:`stable_sigmoid`. The right-hand form never
    exponentiates a positive number and keeps the digits of :math:`\log(1+e)` for tiny :math:`e`
    (``log1p``). :math:`-\log\sigma(x)` is the same with :math:`-x`: ``softplus_parts(-x, e)``.
    """
    return xp.maximum(x, x.dtype.type(0)) + xp.log1p(e)


class Sigmoid(Function):
    r"""Logistic sigmoid :math:`\sigma(x) = \dfrac{1}{1 + e^{-x}}`, with :math:`\sigma'(x) = \sigma(x)\,(1-\sigma(x))`.

    Stable form: with :math:`e = e^{-|x|} \le 1` (never overflows),
    :math:`\sigma(x) = 1/(1+e)` for :math:`x \ge 0` and :math:`e/(1+e)` for :math:`x < 0`.
    The naive formula overflows ``exp(1000)`` for :math:`x=-1000`.

    The derivative is computed as :math:`\sigma'(x) = e/(1+e)^2`, which equals
    :math:`\sigma(1-\sigma)` for both signs of :math:`x` but keeps full relative precision for
    large positive :math:`x`, where :math:`1-\sigma(x)` rounds to 0 (at :math:`x=40`: :math:`4.2\times10^{-18}`, not 0).

    Edges: :math:`\sigma(\infty) = 1`, :math:`\sigma(-\infty) = 0`, both with derivative 0 (:math:`e = 0`);
    NaN gives NaN, with a NaN derivative. As PyTorch.

    Second derivative:

    .. math:: \sigma''(x) = \sigma'(x)\,\bigl(1 - 2\sigma(x)\bigr),

    negative for :math:`x > 0` (the curve flattens) and 0 at the inflection point :math:`x = 0`.
    ``backward_graph`` rebuilds :math:`e/(1+e)^2` from :class:`~tinynet.ops.elementwise.Exp`
    and :class:`~tinynet.ops.elementwise.Abs`, so the higher derivatives keep the same
    relative precision far out (at :math:`x = 40`, :math:`\sigma''` is :math:`-4.2\times10^{-18}`, where
    :math:`\sigma(1-\sigma)(1-2\sigma)` would give 0).
    """

    __slots__ = ("e", "d")
    local_derivatives = ("∂y/∂x = y·(1 − y)",)
    # backward reads only e and d, its own arrays
    reads_inputs = False

    def forward(self, x: Any) -> Any:
        y, self.e, self.d = stable_sigmoid(x)
        return y

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (grad * self.e / (self.d * self.d),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.elementwise import Abs, Exp

        # e/d^2 rebuilt from tensor operations: the same numbers as backward. |x| has a
        # kink at 0, but e/d^2 is even and smooth there: Abs's derivative 0 at x = 0
        # gives the right sigma''(0) = 0.
        with ieee():
            e = Exp.apply(-Abs.apply(self.inputs[0]))
            d = 1 + e
            return (grad * e / (d * d),)


class Tanh(Function):
    r""":math:`\tanh(x) = \dfrac{e^x - e^{-x}}{e^x + e^{-x}}`, with :math:`\tanh'(x) = 1 - \tanh^2(x)`.

    ``xp.tanh`` is already stable for large :math:`|x|` (the formula above is not: it
    computes :math:`\infty/\infty` at :math:`x = 1000`).

    Edges: :math:`\tanh(\pm\infty) = \pm1` with derivative 0; NaN gives NaN (value and
    derivative). As PyTorch.

    Higher derivatives follow from :math:`y' = 1 - y^2` by the chain rule, which is what the
    graph :math:`\bar y\,(1 - y\,y)` with the output as a node computes:

    .. math:: \tanh'' = -2\tanh\,(1 - \tanh^2), \qquad
              \tanh^{(3)} = (1 - \tanh^2)(6\tanh^2 - 2).
    """

    __slots__ = ("y",)
    local_derivatives = ("∂y/∂x = 1 − y²",)
    reads_inputs = False
    reads_output = True

    def forward(self, x: Any) -> Any:
        self.y = xp.tanh(x)
        return self.y

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (grad * (1 - self.y * self.y),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        with ieee():
            return (grad * (1 - out * out),)


class ReLU(Function):
    r""":math:`\mathrm{ReLU}(x) = \max(0, x)`, with derivative :math:`[x > 0]` (taken as 0 at the kink, as PyTorch).

    Edges: :math:`\mathrm{ReLU}(\infty) = \infty` with derivative 1, :math:`\mathrm{ReLU}(-\infty) = 0`
    with derivative 0. NaN gives NaN, and a NaN gradient (PyTorch passes :math:`\bar y`
    through at NaN).

    The backward needs only the output: :math:`d = \lceil \min(y, 1) \rceil` is 1 exactly
    where :math:`x > 0`, 0 where :math:`x \le 0` and NaN where :math:`x` is, so
    :math:`\bar x = \bar y\, d`. (Computing ``x * (x > 0)`` instead would give
    :math:`-\infty \cdot 0 = \mathrm{NaN}` at :math:`x = -\infty`; :math:`\mathrm{sign}(y)`
    is the same mask, but numpy's ``sign`` is not vectorised and costs about 1.6 times as
    much in every training step.) Three vectorised passes keep this as fast as it must
    be; the price is IEEE's :math:`\infty \cdot 0 = \mathrm{NaN}` where an *incoming*
    gradient is already infinite at an inactive unit (PyTorch gives 0 there; ``np.where``
    would too, at eight times the cost).

    Second derivative: 0 away from the kink; in graph mode the mask :math:`d` is
    a constant.
    """

    __slots__ = ("y",)
    local_derivatives = ("∂y/∂x = [x > 0]",)
    reads_inputs = False
    reads_output = True

    def forward(self, x: Any) -> Any:
        self.y = xp.maximum(x, x.dtype.type(0))  # propagates NaN
        return self.y

    def backward(self, grad: Any) -> tuple[Any]:
        d = _relu_mask(self.y)
        d *= grad
        return (d,)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.arithmetic import Mul

        # the mask (1, 0 or NaN) is a constant: its derivative is 0 a.e.
        return (Mul.apply(grad, Tensor._wrap(_relu_mask(out.data), False)),)


def _relu_mask(y: Any) -> Any:
    r"""The derivative of ReLU from its output :math:`y \ge 0`: 1, 0 or NaN, a new array.

    :math:`\min(y, 1)` is 1 above 1, :math:`y` on :math:`(0, 1]`, 0 at 0 and NaN at NaN;
    its ceiling is 1 wherever :math:`y > 0` (denormals included) and keeps 0 and NaN.
    """
    d = xp.minimum(y, y.dtype.type(1), out=xp.empty_like(y))  # (an array even when 0-d)
    xp.ceil(d, out=d)
    return d


class LeakyReLU(Function):
    r""":math:`f(x) = x` for :math:`x > 0` and :math:`\alpha x` otherwise; :math:`f'(x) = 1` or :math:`\alpha`.

    Edges: :math:`f(\infty) = \infty` (derivative 1), :math:`f(-\infty) = -\infty` for :math:`\alpha > 0`
    (derivative :math:`\alpha`); with :math:`\alpha = 0` this is ReLU and :math:`f(-\infty) = 0`, the limit
    (not :math:`-\infty\cdot 0`). NaN gives NaN and a NaN gradient.

    Second derivative: 0 away from the kink (the slope is a constant in the graph).
    """

    __slots__ = ("slope", "scale")
    local_derivatives = ("∂y/∂x = 1 if x > 0 else α",)
    # backward reads only the saved derivative ``scale``
    reads_inputs = False

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.slope = negative_slope

    def forward(self, x: Any) -> Any:
        typed = x.dtype.type
        # the derivative: 1 for x > 0 (sign(x) is 1 there and NaN for NaN), slope otherwise
        self.scale = xp.where(x <= 0, typed(self.slope), xp.sign(x))
        if self.slope == 0:
            return xp.maximum(x, typed(0))
        return x * self.scale

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (grad * self.scale,)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        # the slope (1 or alpha, NaN at NaN) is a constant: derivative 0 off the kink
        with ieee():
            return (grad * Tensor._wrap(self.scale, False),)


def _limit_rows(x: Any, m: Any, axis: int) -> tuple[Any, Any]:
    r"""Softmax of the rows whose maximum *m* is :math:`+\infty`, as the limit says.

    A single :math:`+\infty` entry takes all the probability (1 there, 0 elsewhere); two or
    more :math:`+\infty` entries make the row undefined (NaN): the answer depends on how fast
    each grows. Returns the mask of such rows and their probabilities.
    """
    top = x == xp.inf
    count = top.sum(axis=axis, keepdims=True)
    probs = xp.where(count == 1, top.astype(x.dtype), x.dtype.type("nan"))
    return m == xp.inf, probs


class Softmax(Function):
    r""":math:`s_i = e^{x_i} / \sum_j e^{x_j}` along ``axis``.

    Stable: :math:`x` is shifted by :math:`\max_j x_j` first, which leaves :math:`s` unchanged.
    The Jacobian is :math:`\partial s_i/\partial x_k = s_i(\delta_{ik} - s_k)`, so

    .. math:: \bar x = s \odot \bigl(\bar s - \textstyle\sum_k \bar s_k s_k\bigr).

    Edges, for one row:

    * a :math:`-\infty` entry (not all of them) gets probability 0 and gradient 0, the
      limit (as PyTorch);
    * exactly one :math:`+\infty` entry: the limit, probability 1 there and 0 elsewhere, and
      a zero gradient (the Jacobian tends to 0). PyTorch gives NaN for the row;
    * two or more :math:`+\infty` entries, every entry :math:`-\infty`, or any NaN entry: the
      limit does not exist (it depends on how the entries approach infinity), so
      the row is NaN and so is its gradient (as PyTorch).

    Second order: ``backward_graph`` builds the same
    :math:`g = s \odot (\bar s - \langle \bar s, s\rangle)` from the output :math:`s` as a node.
    Differentiating :math:`\phi = \langle \bar s, s\rangle` twice gives the Hessian-vector product

    .. math:: H v = u \odot \bigl(\bar s - \langle \bar s, s\rangle\bigr)
              - s\,\langle \bar s, u\rangle, \qquad u = J v = s \odot (v - \langle s, v\rangle),

    where :math:`u` is the change of :math:`s` along :math:`v` (tested against finite differences).
    """

    __slots__ = ("axis", "s")
    local_derivatives = ("∂s_i/∂x_k = s_i·(δ_ik − s_k)",)
    reads_inputs = False
    reads_output = True

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        m = x.max(axis=self.axis, keepdims=True)
        with ieee():
            e = xp.exp(x - m)  # NaN in a row whose max is +-inf (inf - inf)
            s = e / e.sum(axis=self.axis, keepdims=True)
        if (m == xp.inf).any():  # rare: a +inf logit
            rows, probs = _limit_rows(x, m, self.axis)
            s = xp.where(rows, probs, s)
        self.s = s
        return s

    def backward(self, grad: Any) -> tuple[Any]:
        s = self.s
        with ieee():
            return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.reductions import Sum

        with ieee():
            inner = Sum.apply(grad * out, axis=self.axis, keepdims=True)
            return (out * (grad - inner),)


class LogSoftmax(Function):
    r""":math:`\log s_i = x_i - \log\sum_j e^{x_j}` along ``axis``, via log-sum-exp.

    With :math:`m = \max_j x_j`: :math:`\log\sum_j e^{x_j} = m + \log\sum_j e^{x_j - m}`, which
    cannot overflow. Backward: :math:`\bar x = \bar y - s \sum_k \bar y_k` with :math:`s = \mathrm{softmax}(x)`.

    Edges, for one row (the logarithms of :class:`Softmax`'s):

    * a :math:`-\infty` entry (not all) gives :math:`-\infty`, with :math:`\partial y_i/\partial x_i = 1 - s_i = 1`
      (as PyTorch);
    * exactly one :math:`+\infty` entry: 0 there and :math:`-\infty` elsewhere, the limit; the
      gradient is the limit of the formula, :math:`\bar x = \bar y - e_k \sum_j \bar y_j` (PyTorch
      gives NaN);
    * two or more :math:`+\infty`, all :math:`-\infty`, or a NaN entry: NaN row, NaN gradient.

    Second order: the Hessian of every :math:`\log s_i` is the same matrix,
    :math:`-(\mathrm{diag}(s) - s s^\top)` (:math:`\log s_i = x_i - \mathrm{lse}(x)` and :math:`x_i` is
    linear); the graph is :math:`\bar y - e^{y} \sum_k \bar y_k` with the output as a node.
    """

    __slots__ = ("axis", "y")
    local_derivatives = ("∂y_i/∂x_k = δ_ik − s_k",)
    reads_inputs = False
    reads_output = True

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        m = x.max(axis=self.axis, keepdims=True)
        with ieee():
            shifted = x - m
            y = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
            if (m == xp.inf).any():  # rare: a +inf logit
                rows, probs = _limit_rows(x, m, self.axis)
                y = xp.where(rows, xp.log(probs), y)
        self.y = y
        return y

    def backward(self, grad: Any) -> tuple[Any]:
        with ieee():
            return (grad - xp.exp(self.y) * grad.sum(axis=self.axis, keepdims=True),)

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        from tinynet.ops.elementwise import Exp
        from tinynet.ops.reductions import Sum

        with ieee():
            return (grad - Exp.apply(out) * Sum.apply(grad, axis=self.axis, keepdims=True),)
