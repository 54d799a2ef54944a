r"""Layers with parameters: :class:`Dense` (alias :class:`Linear`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinynet import ops
from tinynet.backend import xp
from tinynet.nn import init as _init
from tinynet.nn._checks import as_bool, as_int
from tinynet.nn.module import Module
from tinynet.tensor import Parameter, Tensor, get_default_dtype

__all__ = ["Dense", "Linear", "ACTIVATIONS"]

#: the names accepted by ``Dense(activation=...)`` (Keras style)
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": ops.relu,
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "softmax": ops.softmax,
    "leaky_relu": ops.leaky_relu,  # Keras' default slope differs (0.3); tinynet uses 0.01
}


class Dense(Module):
    r"""Fully connected layer :math:`Z = XW + b`, optionally followed by an activation.

    The **row-vector convention** of docs/sources.md F7 (seed 004 §4.1,
    :math:`z_l = X W_l + b_l`): a batch :math:`X` has one sample per row, shape
    ``(batch, in_features)``; :math:`W` has shape ``(in_features, out_features)``;
    :math:`b` (shape ``(out_features,)``) is broadcast over the rows. One sample's
    output is :math:`z_j = \sum_i x_i W_{ij} + b_j`, which is F1's
    :math:`Z = \sum_i w_i x_i + b` for each output unit.

    Difference from PyTorch: ``torch.nn.Linear`` stores ``weight`` as
    ``(out_features, in_features)`` and computes :math:`XW^\top + b`. tinynet keeps
    the documents' (and Keras') layout so that the code reads like F7 and the
    gradients are :math:`\partial L/\partial W = X^\top \bar Z`,
    :math:`\partial L/\partial b = \sum_{\text{rows}} \bar Z` without a transpose.

    Parameters
    ----------
    in_features, out_features:
        Sizes of one input row and one output row: positive integers (Python or numpy;
        ``0``, negatives, bools and floats raise).
    bias:
        Whether to add :math:`b` (initialised to zeros, as Keras does).
    activation:
        ``None`` (default: linear output, e.g. logits for
        :func:`~tinynet.nn.functional.cross_entropy`), ``"relu"``, ``"sigmoid"``,
        ``"tanh"``, ``"softmax"`` or ``"leaky_relu"`` (slope 0.01) (Keras style; PyTorch has
        no such argument).
    init:
        ``"glorot_uniform"`` (default) or ``"kaiming_uniform"``, see
        :mod:`tinynet.nn.init`. Glorot/Xavier uniform,
        :math:`U(\pm\sqrt{6/(fan_{in}+fan_{out})})`, is the default, as in Keras,
        because it balances the variance of activations (forward) and gradients
        (backward) for activations that are near-linear around 0 -- the sigmoid and
        tanh of the documents (F8), and linear outputs. Choose
        ``"kaiming_uniform"`` (:math:`U(\pm\sqrt{6/fan_{in}})`) for deep ReLU stacks.
        (PyTorch's default for ``Linear`` is yet another one, :math:`U(\pm 1/\sqrt{fan_{in}})`
        with the bias drawn likewise.)
    dtype:
        Parameter dtype; default :func:`tinynet.get_default_dtype` (float32).
    seed:
        Seed of this layer's own generator. Without it the weights come from the
        module-level generator that :func:`tinynet.nn.init.manual_seed` resets.
        Weights are drawn on the host, so a seed gives the same weights on numpy and cupy.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        activation: str | None = None,
        init: str = "glorot_uniform",
        dtype: Any = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        # numpy integers are fine (sizes often come from numpy arithmetic) and are
        # stored as Python ints; 0, negatives, bools and floats are refused.
        in_features = as_int(owner, "in_features", in_features, minimum=1)
        out_features = as_int(owner, "out_features", out_features, minimum=1)
        bias = as_bool(owner, "bias", bias)
        if activation is not None and (
            not isinstance(activation, str) or activation not in ACTIVATIONS
        ):
            raise ValueError(
                f"{owner}: unknown activation {activation!r}; expected None or "
                f"one of {sorted(ACTIVATIONS)}"
            )
        if not isinstance(init, str) or init not in _init.INITIALIZERS:
            raise ValueError(
                f"{owner}: unknown init {init!r}; expected one of {sorted(_init.INITIALIZERS)}"
            )
        self.in_features = in_features
        self.out_features = out_features
        self.activation = activation
        self.init = init
        try:
            dtype = get_default_dtype() if dtype is None else xp.dtype(dtype)
        except TypeError:
            raise TypeError(f"{owner}: dtype must be a floating dtype, got {dtype!r}") from None
        if dtype.kind != "f":
            raise TypeError(f"{owner}: dtype must be a floating dtype, got {dtype}")
        rng = None if seed is None else _init.new_rng(seed, owner=owner)

        # Build with zeros, then fill in place: the initialisers work on any Parameter.
        self.weight = Parameter(xp.zeros((in_features, out_features), dtype=dtype))
        _init.INITIALIZERS[init](self.weight, rng=rng)
        self.bias = Parameter(xp.zeros(out_features, dtype=dtype)) if bias else None

    def forward(self, x: Any) -> Tensor:
        """Compute :math:`Z = XW + b` for *x* of shape ``(..., in_features)``, then the activation.

        An input whose last axis is not ``in_features`` raises ``ValueError`` naming the layer.
        """
        if not isinstance(x, Tensor):
            x = Tensor(x)
        self._check_input(x)
        # One fused operation for XW + b (see tinynet.ops.Affine): the same numbers as
        # matmul then add, but no separate product array kept alive until backward.
        z = ops.affine(x, self.weight, self.bias)
        if self.activation is not None:
            z = ACTIVATIONS[self.activation](z)
        return z

    def _check_input(self, x: Tensor) -> None:
        # Checked here, before matmul, so the message can name the layer and the fix.
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (batch, {self.in_features}) "
                f"(last axis = in_features = {self.in_features}), got shape {x.shape}"
            )
        if x.dtype.kind == "f" and x.dtype != self.weight.dtype:
            raise TypeError(
                f"{self!r}: input has dtype {x.dtype} but the layer's parameters are "
                f"{self.weight.dtype}; convert the input with .astype('{self.weight.dtype}') "
                f"or create the layer with dtype='{x.dtype}'"
            )

    def extra_repr(self) -> str:
        """The sizes, and ``bias=False`` and the activation when set, shown inside ``repr``."""
        parts = [f"in_features={self.in_features}", f"out_features={self.out_features}"]
        if self.bias is None:
            parts.append("bias=False")
        if self.activation is not None:
            parts.append(f"activation={self.activation!r}")
        return ", ".join(parts)


#: PyTorch's name for :class:`Dense` (same class, same ``(in, out)`` weight layout).
Linear = Dense
