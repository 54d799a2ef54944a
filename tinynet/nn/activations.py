r"""Activation functions as modules, for use inside :class:`~tinynet.nn.Sequential`.

Each wraps the fused, numerically stable operation of :mod:`tinynet.ops.activations`
(docs/sources.md F8: seed 001 §4.1.1, seed 003 §4.3), so they are finite and have correct
gradients even for inputs of :math:`\pm1000`.
"""

from __future__ import annotations

from tinynet import ops
from tinynet._axis import LAST, resolve_axis
from tinynet.nn._checks import as_float, as_int
from tinynet.nn.module import Module
from tinynet.tensor import Tensor

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax"]


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1/(1+e^{-x})`, elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        r"""Apply :math:`\sigma(x) = 1/(1+e^{-x})` elementwise to *x*.

        Same as :func:`tinynet.nn.functional.sigmoid`.
        """
        return ops.sigmoid(x)


class Tanh(Module):
    r""":math:`\tanh(x) = (e^x-e^{-x})/(e^x+e^{-x})`, elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        r"""Apply :math:`\tanh x` elementwise to *x*.

        Same as :func:`tinynet.nn.functional.tanh`.
        """
        return ops.tanh(x)


class ReLU(Module):
    r""":math:`\max(0, x)`, elementwise (derivative taken as 0 at 0)."""

    def forward(self, x: Tensor) -> Tensor:
        r"""Apply :math:`\max(0, x)` elementwise to *x*.

        Same as :func:`tinynet.nn.functional.relu`.
        """
        return ops.relu(x)


class LeakyReLU(Module):
    r""":math:`x` for :math:`x>0`, else :math:`\alpha x` with :math:`\alpha` = ``negative_slope``."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = as_float("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        r"""Apply :math:`x` if :math:`x > 0`, else :math:`\alpha x` (slope ``negative_slope``).

        Same as :func:`tinynet.nn.functional.leaky_relu`.
        """
        return ops.leaky_relu(x, negative_slope=self.negative_slope)

    def extra_repr(self) -> str:
        """``negative_slope=...``, shown inside ``repr``."""
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    r""":math:`e^{x_i}/\sum_j e^{x_j}` along ``axis`` (default -1, the last); PyTorch's ``dim=`` is accepted too."""

    def __init__(self, axis: int = LAST, *, dim: int | None = None) -> None:
        super().__init__()
        if dim is not None:
            dim = as_int("Softmax", "dim", dim)
        else:
            axis = as_int("Softmax", "axis", axis)
        self.axis = resolve_axis("Softmax", axis, dim)

    def forward(self, x: Tensor) -> Tensor:
        r"""Apply :math:`e^{x_i}/\sum_j e^{x_j}` along ``self.axis``.

        Same as :func:`tinynet.nn.functional.softmax`.
        """
        return ops.softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        """``axis=...``, shown inside ``repr``."""
        return f"axis={self.axis}"


class LogSoftmax(Module):
    r""":math:`x_i - \log\sum_j e^{x_j}` along ``axis`` (computed via log-sum-exp; ``dim=`` accepted)."""

    def __init__(self, axis: int = LAST, *, dim: int | None = None) -> None:
        super().__init__()
        if dim is not None:
            dim = as_int("LogSoftmax", "dim", dim)
        else:
            axis = as_int("LogSoftmax", "axis", axis)
        self.axis = resolve_axis("LogSoftmax", axis, dim)

    def forward(self, x: Tensor) -> Tensor:
        r"""Apply :math:`x_i - \log\sum_j e^{x_j}` along ``self.axis``.

        Same as :func:`tinynet.nn.functional.log_softmax`.
        """
        return ops.log_softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        """``axis=...``, shown inside ``repr``."""
        return f"axis={self.axis}"
