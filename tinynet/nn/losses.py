r"""Loss functions as modules: ``loss_fn = nn.CrossEntropyLoss(); loss = loss_fn(logits, y)``.

Each is a thin wrapper of the function of the same name in
:mod:`tinynet.nn.functional`, where the formulas, the reductions and their links to
the source documents are explained.
"""

from __future__ import annotations

from typing import Any

from tinynet.nn import functional as F
from tinynet.nn._checks import as_float
from tinynet.nn.module import Module
from tinynet.tensor import Tensor

__all__ = [
    "MSELoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "CrossEntropyProbsLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
]


class _Loss(Module):
    #: The reductions the underlying function accepts (checked here, at construction,
    #: so a typo fails where it was made rather than at the first batch).
    _reductions: tuple[str, ...] = ("mean", "sum", "none")

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if not isinstance(reduction, str) or reduction not in self._reductions:
            raise ValueError(
                f"{type(self).__name__}: reduction={reduction!r} is not supported; expected "
                f"one of {self._reductions}"
            )
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


def _check_clamp_eps(owner: str, eps: float) -> float:
    x = as_float(owner, "eps", eps)
    if not 0.0 < x < 0.5:
        raise ValueError(
            f"{owner}: invalid eps={eps!r}; it must lie in (0, 0.5): probabilities are "
            "clipped to [eps, 1] before the logarithm, so eps <= 0 lets log(0) = -inf "
            "through and eps >= 0.5 flattens every prediction (zero gradients)"
        )
    return x


class MSELoss(_Loss):
    r"""Squared error; ``reduction`` in ``'mean'`` (F9/F11), ``'sum'``, ``'half_sum'`` (F4/F10),
    ``'half_mean'`` (F12), ``'none'``. See :func:`~tinynet.nn.functional.mse_loss`."""

    _reductions = ("mean", "sum", "half_sum", "half_mean", "none")

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """The loss of *input* against *target*, reduced as ``self.reduction`` says.

        Same as :func:`tinynet.nn.functional.mse_loss` with this module's settings.
        """
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    r"""Softmax cross-entropy from logits, labels (N,) or probabilities (N, C).

    See :func:`~tinynet.nn.functional.cross_entropy` (one fused, stable operation).
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """The loss of *input* against *target*, reduced as ``self.reduction`` says.

        Same as :func:`tinynet.nn.functional.cross_entropy` with this module's settings.
        """
        return F.cross_entropy(input, target, reduction=self.reduction)


class NLLLoss(_Loss):
    r"""Negative log-likelihood from log-probabilities; see :func:`~tinynet.nn.functional.nll_loss`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """The loss of *input* against *target*, reduced as ``self.reduction`` says.

        Same as :func:`tinynet.nn.functional.nll_loss` with this module's settings.
        """
        return F.nll_loss(input, target, reduction=self.reduction)


class CrossEntropyProbsLoss(_Loss):
    r"""The documents' :math:`-\sum y\log\hat y` on probabilities (tinynet extra, no PyTorch twin).

    See :func:`~tinynet.nn.functional.cross_entropy_probs` for the clamping rule.
    """

    def __init__(self, reduction: str = "mean", eps: float = F.CLAMP_EPS) -> None:
        super().__init__(reduction)
        self.eps = _check_clamp_eps(type(self).__name__, eps)

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """The loss of *input* against *target*, reduced as ``self.reduction`` says.

        Same as :func:`tinynet.nn.functional.cross_entropy_probs` with this module's settings.
        """
        return F.cross_entropy_probs(input, target, reduction=self.reduction, eps=self.eps)


class BCELoss(_Loss):
    r"""Binary cross-entropy on probabilities (F13); see :func:`~tinynet.nn.functional.binary_cross_entropy`."""

    def __init__(self, reduction: str = "mean", eps: float = F.CLAMP_EPS) -> None:
        super().__init__(reduction)
        self.eps = _check_clamp_eps(type(self).__name__, eps)

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """The loss of *input* against *target*, reduced as ``self.reduction`` says.

        Same as :func:`tinynet.nn.functional.binary_cross_entropy` with this module's settings.
        """
        return F.binary_cross_entropy(input, target, reduction=self.reduction, eps=self.eps)


class BCEWithLogitsLoss(_Loss):
    r"""Binary cross-entropy from logits, stable; see
    :func:`~tinynet.nn.functional.binary_cross_entropy_with_logits`."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        """The loss of *input* against *target*, reduced as ``self.reduction`` says.

        Same as :func:`tinynet.nn.functional.binary_cross_entropy_with_logits` with this
        module's settings.
        """
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
