r"""Functional forms of layers, activations and losses (as ``torch.nn.functional``).

Activations (re-exported from :mod:`tinynet.ops`, where each is one stable fused
operation): :func:`sigmoid`, :func:`tanh`, :func:`relu`, :func:`leaky_relu`,
:func:`softmax`, :func:`log_softmax` (docs/sources.md F8).

Losses, and which formula of the source documents each reduction reproduces:

======================================  ==============================================
call                                    formula
======================================  ==============================================
``mse_loss(p, y)`` (``'mean'``)         F9 / F11 :math:`\frac1n\sum_i(\hat y_i-y_i)^2`
``mse_loss(p, y, 'half_sum')``          F4 / F10 :math:`\frac12\sum_j(y_j-\hat y_j)^2`
``mse_loss(p, y, 'half_mean')``         F12 :math:`\frac1{2m}\sum_{i=1}^m\lVert y^{(i)}-h_\theta(x^{(i)})\rVert^2`
``cross_entropy_probs(p, y)``           F9 / F12 :math:`-\frac1m\sum_i\sum_k y^{(i)}_k\log\hat y^{(i)}_k`
``cross_entropy_probs(p, y, 'sum')``    F10 / F11 :math:`-\sum_j y_j\log\hat y_j`
``binary_cross_entropy(p, y)``          F13 :math:`-y\log z-(1-y)\log(1-z)`
======================================  ==============================================

:func:`cross_entropy` (from logits) is what you should train with: it is the same
loss as ``cross_entropy_probs(softmax(z), y)`` but computed without ever forming
:math:`\log\hat y` of a rounded probability.

Targets: Python lists and numbers are converted to the prediction's dtype; integer
arrays are promoted to it. A target *array or tensor* of the other float dtype is
refused with a ``TypeError``, following tinynet's no-silent-casting rule.
"""

from __future__ import annotations

from typing import Any

from tinynet import ops as _ops
from tinynet.backend import asarray, xp
from tinynet.ops import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from tinynet.ops.losses import BCEWithLogits, CrossEntropy
from tinynet.tensor import Tensor

__all__ = [
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softmax",
    "log_softmax",
    "linear",
    "mse_loss",
    "cross_entropy",
    "nll_loss",
    "cross_entropy_probs",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "CLAMP_EPS",
]

#: default lower clamp for probabilities inside a logarithm (Keras' ``epsilon()``):
#: the loss of one element is then at most :math:`-\ln 10^{-7} \approx 16.1`.
CLAMP_EPS = 1e-7


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r""":math:`y = xW + b` with ``weight`` of shape ``(in_features, out_features)``.

    The row-vector convention of docs/sources.md F7 (seed 004 §4.1). PyTorch's
    ``F.linear`` computes :math:`xW^\top + b` with ``weight`` of shape ``(out, in)``.
    """
    return _ops.affine(x if isinstance(x, Tensor) else Tensor(x), weight, bias)


# --------------------------------------------------------------------------- helpers
def _as_input(fn: str, x: Any, what: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        t = x
    else:
        t = Tensor(x)
    if t.data.dtype.kind != "f":
        raise TypeError(f"{fn}: {what} must be a floating-point tensor, got dtype {t.dtype}")
    return t


def _to_tensor(pred: Tensor, target: Any) -> Tensor:
    """Wrap *target*; Python lists/numbers of floats take *pred*'s dtype (weak, as scalars)."""
    if isinstance(target, Tensor):
        return target
    t = Tensor(target)
    if isinstance(target, (list, tuple, int, float)) and t.data.dtype.kind == "f":
        t = Tensor(target, dtype=pred.dtype)
    return t


def _as_target(fn: str, pred: Tensor, target: Any) -> Tensor:
    """The target as a Tensor in *pred*'s float dtype (see the module docstring)."""
    t = _to_tensor(pred, target)
    kind = t.data.dtype.kind
    if kind in "iub":
        return Tensor._wrap(t.data.astype(pred.dtype), False)
    if kind != "f":
        raise TypeError(f"{fn}: target has unsupported dtype {t.dtype}")
    if t.dtype != pred.dtype:
        raise TypeError(
            f"{fn}: target has dtype {t.dtype} but the prediction has dtype {pred.dtype}; "
            f"tinynet never casts silently: use target.astype('{pred.dtype}')"
        )
    return t


def _check_same_shape(fn: str, pred: Tensor, target: Tensor, pred_name: str = "input") -> None:
    # Broadcasting (N, 1) against (N,) would silently give an (N, N) loss matrix.
    if pred.shape != target.shape:
        raise ValueError(
            f"{fn}: target shape {target.shape} does not match {pred_name} shape {pred.shape}; "
            "they must be equal (no broadcasting, which would silently compare every "
            "prediction with every target)"
        )


def _check_unit_interval(fn: str, t: Tensor, what: str) -> None:
    # Written as "not inside" so that NaN is caught too.
    bad = ~((t.data >= 0) & (t.data <= 1))
    if bool(bad.any()):
        example = float(t.data[bad].reshape(-1)[0])
        hint = (
            "pass logits to cross_entropy / binary_cross_entropy_with_logits instead"
            if what.startswith("probabilities")
            else "targets must be probabilities or 0/1 labels"
        )
        raise ValueError(
            f"{fn}: {what} must lie in [0, 1], but {int(bad.sum())} of {t.size} values "
            f"do not (for example {example}); {hint}"
        )


def _check_reduction(fn: str, reduction: str, allowed: tuple[str, ...]) -> None:
    if reduction not in allowed:
        raise ValueError(
            f"{fn}: reduction={reduction!r} is not supported; expected one of {allowed}"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_labels(fn: str, labels: Any, n: int, c: int, pred_name: str) -> None:
    if labels.shape != (n,):
        raise ValueError(
            f"{fn}: class-index target must have shape ({n},) for {pred_name} of shape "
            f"({n}, {c}), got {labels.shape}"
        )
    # Two reductions instead of a full boolean mask (on cupy this is the one
    # device-to-host read of a training step: a wrong label must not pass silently).
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= c):
        raise ValueError(
            f"{fn}: class labels must be in [0, {c - 1}] for {c} classes, got values from "
            f"{int(labels.min())} to {int(labels.max())}"
        )


def _split_target(fn: str, pred: Tensor, target: Any, pred_name: str) -> tuple[Any, Tensor | None]:
    """Decide between class-index targets and probability targets for a (N, C) prediction.

    Returns ``(labels, None)`` for an integer target of shape (N,) (labels a backend
    array), or ``(None, probs)`` for a float target of shape (N, C).
    """
    if pred.ndim != 2:
        raise ValueError(
            f"{fn}: {pred_name} must have shape (N, C) (batch, classes), got {pred.shape}"
        )
    n, c = pred.shape
    # Integer labels are only read, never stored in a graph: no copy is needed.
    raw = target.data if isinstance(target, Tensor) else asarray(target)
    kind = raw.dtype.kind
    if kind == "b":
        raise TypeError(f"{fn}: target has dtype bool; expected integer class labels or floats")
    if kind in "iu":
        _check_labels(fn, raw, n, c, pred_name)
        return raw, None
    t = _to_tensor(pred, target)
    if t.shape == (n,):
        raise TypeError(
            f"{fn}: target of shape {t.shape} looks like class indices but has float dtype "
            f"{t.dtype}; class indices must be integers (use target.astype('int64')), and "
            f"probability/one-hot targets must have the {pred_name}'s shape ({n}, {c})"
        )
    probs = _as_target(fn, pred, t)
    _check_same_shape(fn, pred, probs, pred_name)
    _check_unit_interval(fn, probs, "target probabilities")
    return None, probs


# --------------------------------------------------------------------------- MSE
_MSE_REDUCTIONS = ("mean", "sum", "half_sum", "half_mean", "none")


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    r"""Squared error :math:`(\hat y - y)^2`, reduced as the chosen document does.

    ``reduction``

    ``'mean'`` (default)
        :math:`\frac1n\sum_i(\hat y_i-y_i)^2` over all :math:`n` elements: docs/sources.md
        F9 (seed 000 §4.1.3) and F11 (seed 003 §4.1.1), and PyTorch's default. It is
        the default because it does not grow with the batch size or the number of
        outputs, so a learning rate keeps its meaning when either changes.
    ``'sum'``
        :math:`\sum_i(\hat y_i-y_i)^2`.
    ``'half_sum'``
        :math:`\frac12\sum_j(y_j-\hat y_j)^2`: docs/sources.md F4 (seed 001 §4.2) and F10
        (seed 001 §4.1.3). The :math:`\frac12` cancels the 2 of the derivative, so
        :math:`\partial L/\partial\hat y_j = \hat y_j - y_j` exactly.
    ``'half_mean'``
        :math:`\frac1{2m}\sum_{i=1}^m\lVert y^{(i)}-\hat y^{(i)}\rVert^2` where
        :math:`m` is the **batch size** ``input.shape[0]``: docs/sources.md F12 (seed 004
        §4.1). F12 averages over samples only; for vector outputs of size :math:`K`
        the squared errors of one sample are summed, so this is :math:`K` times
        ``0.5 * mse_loss(..., 'mean')``. For a 1-D input the two coincide.
    ``'none'``
        the elementwise squared errors, shape of ``input``.

    ``input`` and ``target`` must have the same shape (no broadcasting).
    """
    fn = "mse_loss"
    _check_reduction(fn, reduction, _MSE_REDUCTIONS)
    pred = _as_input(fn, input)
    y = _as_target(fn, pred, target)
    _check_same_shape(fn, pred, y)
    diff = pred - y
    sq = diff * diff
    if reduction == "half_sum":
        return sq.sum() * 0.5
    if reduction == "half_mean":
        m = pred.shape[0] if pred.ndim else 1
        return sq.sum() * (0.5 / m)
    return _reduce(sq, reduction)


# --------------------------------------------------------------------------- cross-entropy from logits
def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    r"""Cross-entropy between ``softmax(input)`` and *target*, from **logits**.

    Parameters
    ----------
    input:
        Unnormalised scores :math:`z`, shape ``(N, C)``. Do **not** apply softmax
        first (a ``Dense(..., activation="softmax")`` before this loss applies it twice).
    target:
        Either integer class labels of shape ``(N,)`` with values in ``[0, C)``, or
        float probabilities/one-hot rows of shape ``(N, C)`` (as PyTorch accepts both).
    reduction:
        ``'mean'`` over the :math:`N` samples (default; the average of docs/sources.md F12,
        seed 004 §4.1), ``'sum'``, or ``'none'`` (shape ``(N,)``).

    Notes
    -----
    Computed by the fused :class:`~tinynet.ops.losses.CrossEntropy` operation (log-sum-exp forward,
    :math:`(\mathrm{softmax}(z)-y)/N` backward), stable for logits of any size.
    Differences from PyTorch: only 2-D inputs; no ``weight``, ``ignore_index`` or
    ``label_smoothing``.
    """
    fn = "cross_entropy"
    _check_reduction(fn, reduction, ("mean", "sum", "none"))
    z = _as_input(fn, input, "input (logits)")
    labels, probs = _split_target(fn, z, target, "input")
    if reduction == "mean" and z.shape[0] == 0:
        raise ValueError(f"{fn}: the batch is empty, its mean is undefined")
    if labels is not None:
        return CrossEntropy.apply(z, reduction=reduction, labels=labels)
    return CrossEntropy.apply(z, probs, reduction=reduction)


def nll_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    r"""Negative log-likelihood :math:`-\log p_c` from **log-probabilities** (N, C).

    ``cross_entropy(z, y) == nll_loss(log_softmax(z), y)``. Targets as in
    :func:`cross_entropy` (labels (N,) or probabilities (N, C), then
    :math:`-\sum_k y_k \log p_k`). Reductions ``'mean'`` (over samples), ``'sum'``,
    ``'none'``.
    """
    fn = "nll_loss"
    _check_reduction(fn, reduction, ("mean", "sum", "none"))
    logp = _as_input(fn, input, "input (log-probabilities)")
    labels, probs = _split_target(fn, logp, target, "input")
    if labels is not None:
        per_sample = -logp[xp.arange(logp.shape[0]), labels]
    else:
        per_sample = -(probs * logp).sum(axis=1)
    return _reduce(per_sample, reduction)


# --------------------------------------------------------------------------- cross-entropy on probabilities
def cross_entropy_probs(
    input: Tensor,  # noqa: A002
    target: Any,
    reduction: str = "mean",
    eps: float = CLAMP_EPS,
) -> Tensor:
    r"""The documents' cross-entropy :math:`-\sum_k y_k\log\hat y_k` on **probabilities**.

    ``input`` holds probabilities :math:`\hat y` (e.g. a softmax output) with the
    classes on the last axis: shape ``(N, C)`` for a batch or ``(C,)`` for one
    sample. ``target`` is the same shape (one-hot or probabilities), or for a 2-D
    input integer labels of shape ``(N,)``.

    ``reduction``

    ``'mean'`` (default)
        sum over classes, mean over samples:
        :math:`-\frac1m\sum_{i=1}^m\sum_k y^{(i)}_k\log\hat y^{(i)}_k`, docs/sources.md F12
        (seed 004 §4.1), and F9 (seed 000 §4.1.3) reading its :math:`n` as the number
        of samples.
    ``'sum'``
        sum over classes and samples; for one sample this is
        :math:`-\sum_j y_j\log\hat y_j` of F10 (seed 001 §4.1.3) and F11 (seed 003
        §4.1.2), which do not average.
    ``'none'``
        one loss per sample (shape ``input.shape[:-1]``).

    Clamping rule
        :math:`\log 0 = -\infty`, so the probabilities are clipped to
        :math:`[\varepsilon, 1]` (default :math:`\varepsilon = 10^{-7}`, Keras'
        value) before the logarithm: each term is at most :math:`-\ln\varepsilon
        \approx 16.1`. The gradient is **zero** where :math:`\hat y < \varepsilon`
        (a clamped value does not change when the input moves), so a confidently
        wrong prediction stops learning: prefer :func:`cross_entropy` on logits.

    Probabilities outside :math:`[0, 1]` (or NaN) raise ``ValueError``.
    """
    fn = "cross_entropy_probs"
    _check_reduction(fn, reduction, ("mean", "sum", "none"))
    p = _as_input(fn, input, "input (probabilities)")
    if p.ndim == 0:
        raise ValueError(f"{fn}: input must have a class axis, got a scalar")
    _check_unit_interval(fn, p, "probabilities (input)")
    logp = p.clip(eps, 1.0).log()
    t = _to_tensor(p, target)
    if p.ndim == 2 and (t.data.dtype.kind in "iu" or t.shape == (p.shape[0],)):
        # class labels (or the float-labels mistake, which _split_target reports)
        labels, _ = _split_target(fn, p, t, "input")
        per_sample = -logp[xp.arange(p.shape[0]), labels]
    else:
        y = _as_target(fn, p, t)
        _check_same_shape(fn, p, y)
        _check_unit_interval(fn, y, "target probabilities")
        per_sample = -(y * logp).sum(axis=-1)
    return _reduce(per_sample, reduction)


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Any,
    reduction: str = "mean",
    eps: float = CLAMP_EPS,
) -> Tensor:
    r"""Binary cross-entropy on probabilities :math:`z = P(y=1)`: docs/sources.md F13 (seed 004 §4.2).

    .. math:: J = -y\log z - (1-y)\log(1-z), \qquad
              \frac{\partial J}{\partial z} = -\frac{y}{z} + \frac{1-y}{1-z}

    About the document's claim that the derivative is 0 at :math:`z=1`: for
    :math:`y=1` it is :math:`-1/z = -1` there (the loss is at its minimum on
    :math:`[0,1]`, but at the boundary, not at a stationary point), and for
    :math:`y=0` it is :math:`+\infty`. At :math:`z=0` it is infinite only when
    :math:`y>0` (for :math:`y=0` it is 1). It is zero exactly at :math:`z=y` for
    :math:`0<y<1`. (Tested in ``tests/test_losses.py``.)

    Clamping rule (as :func:`cross_entropy_probs`): both arguments of a logarithm,
    :math:`z` and :math:`1-z`, are clipped to :math:`[\varepsilon, 1]`
    (:math:`\varepsilon=10^{-7}`), so the loss is finite and the gradient is
    **zero** where :math:`z<\varepsilon` or :math:`1-z<\varepsilon`. Use
    :func:`binary_cross_entropy_with_logits` to avoid that.

    ``input`` and ``target`` have the same shape; values must lie in :math:`[0, 1]`.
    ``reduction``: ``'mean'`` over all elements (default, as PyTorch), ``'sum'``,
    ``'none'``.
    """
    fn = "binary_cross_entropy"
    _check_reduction(fn, reduction, ("mean", "sum", "none"))
    z = _as_input(fn, input, "input (probabilities)")
    y = _as_target(fn, z, target)
    _check_same_shape(fn, z, y)
    _check_unit_interval(fn, z, "probabilities (input)")
    _check_unit_interval(fn, y, "targets")
    loss = -(y * z.clip(eps, 1.0).log() + (1 - y) * (1 - z).clip(eps, 1.0).log())
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Any,
    reduction: str = "mean",
) -> Tensor:
    r"""Binary cross-entropy from logits: ``binary_cross_entropy(sigmoid(z), y)``, stably.

    Fused (:class:`~tinynet.ops.losses.BCEWithLogits`): finite for any :math:`z`, and the gradient
    :math:`\sigma(z)-y` never vanishes for a confidently wrong prediction.
    Targets in :math:`[0, 1]`, same shape as ``input``. Reductions ``'mean'`` over all
    elements (default), ``'sum'``, ``'none'``.
    """
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(fn, reduction, ("mean", "sum", "none"))
    z = _as_input(fn, input, "input (logits)")
    y = _as_target(fn, z, target)
    _check_same_shape(fn, z, y)
    _check_unit_interval(fn, y, "targets")
    return _reduce(BCEWithLogits.apply(z, y), reduction)
