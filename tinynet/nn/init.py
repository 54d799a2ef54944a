r"""Weight initialisation, seeded and reproducible across backends.

Random numbers are drawn on the host with numpy's ``default_rng`` (PCG64) in
float64, then rounded to the parameter's dtype and moved to the active backend
with :func:`tinynet.backend.asarray`. Drawing on the host, rather than with
``cupy.random``, is deliberate: the same seed gives the same initial weights under
numpy and cupy, and in float32 and float64 (up to rounding), so a run can be
reproduced on another machine.

Where the random numbers come from
    Every function takes an optional ``rng`` (a ``numpy.random.Generator``). Without
    one they draw from tinynet's one global generator (:mod:`tinynet.random`), which
    ``tn.manual_seed`` resets (as ``torch.manual_seed``; ``nn.init.manual_seed`` is
    the same function). It starts unseeded (fresh OS entropy), so call
    ``tn.manual_seed`` (or pass ``seed=`` to a layer) when you need reproducibility.

Shape convention -- **differs from PyTorch**
    tinynet stores a dense weight as ``(in_features, out_features)`` because it
    computes :math:`XW + b` (docs/sources.md F7, seed 004 §4.1). So for a 2-D weight
    ``fan_in = shape[0]`` and ``fan_out = shape[1]``, the transpose of PyTorch's
    ``(out_features, in_features)`` layout.
"""

from __future__ import annotations

import math
from typing import Any

# numpy is used only as a host-side random number generator (see the module docstring).
import numpy as np

from tinynet import random as _random
from tinynet.backend import asarray, xp
from tinynet.nn._checks import as_float
from tinynet.tensor import Tensor

__all__ = [
    "manual_seed",
    "get_rng",
    "new_rng",
    "calculate_fan_in_and_fan_out",
    "calculate_gain",
    "glorot_uniform_",
    "xavier_uniform_",
    "kaiming_uniform_",
    "uniform_",
    "zeros_",
    "ones_",
    "INITIALIZERS",
]

# The generator itself lives in tinynet.random, shared with the factories and the data
# loaders; these names stay here for code written against nn.init.
manual_seed = _random.manual_seed
get_rng = _random.get_rng
new_rng = _random.new_rng


def calculate_fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of *shape* in tinynet's ``(in, out)`` layout.

    A 1-D shape (a bias) has ``fan_in = fan_out = shape[0]``. Extra leading axes
    (if a future layer has them) multiply both fans, as a receptive field would.
    """
    if len(shape) == 0:
        raise ValueError("calculate_fan_in_and_fan_out: a scalar has no fan-in or fan-out")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The gain :math:`g` that keeps activations' variance constant through *nonlinearity*.

    ``linear``/``sigmoid``: 1 (sigmoid as in PyTorch's table), ``tanh``: 5/3,
    ``relu``: :math:`\sqrt2`, ``leaky_relu`` with slope :math:`a`: :math:`\sqrt{2/(1+a^2)}`.
    """
    if nonlinearity in ("linear", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else as_float("calculate_gain", "param", param)
        return math.sqrt(2.0 / (1.0 + a * a))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
        "'linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu'"
    )


def _fill(t: Tensor, values: Any) -> Tensor:
    """Replace ``t.data`` (keeping its dtype) by host *values*; returns *t*.

    The data is replaced, not written into, so the Parameter object -- which an
    optimizer may already hold -- stays the same.
    """
    t.data = asarray(np.asarray(values, dtype=np.float64).astype(str(t.dtype)))
    return t


def uniform_(
    t: Tensor, a: float = 0.0, b: float = 1.0, rng: np.random.Generator | None = None
) -> Tensor:
    r"""Fill *t* with samples of :math:`U(a, b)` (in place; returns *t*)."""
    a, b = as_float("uniform_", "a", a), as_float("uniform_", "b", b)
    if a > b:
        raise ValueError(f"uniform_: the bounds must satisfy a <= b, got a={a}, b={b}")
    rng = _random.get_rng() if rng is None else rng
    return _fill(t, rng.uniform(a, b, size=t.shape))


def glorot_uniform_(t: Tensor, gain: float = 1.0, rng: np.random.Generator | None = None) -> Tensor:
    r"""Glorot/Xavier uniform initialisation (Keras' default for ``Dense``).

    .. math:: W_{ij} \sim U\!\left(-g\sqrt{\frac{6}{fan_{in}+fan_{out}}},\;
              +g\sqrt{\frac{6}{fan_{in}+fan_{out}}}\right)

    The variance is :math:`g^2\,2/(fan_{in}+fan_{out})`: the compromise between
    keeping the forward activations' variance constant (:math:`1/fan_{in}`) and the
    backward gradients' variance constant (:math:`1/fan_{out}`) for activations that
    are roughly linear around 0 (tanh, sigmoid, none). Glorot & Bengio, 2010.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(t.shape)
    if fan_in + fan_out == 0:
        raise ValueError(f"glorot_uniform_: a tensor of shape {t.shape} has no fan-in or fan-out")
    bound = as_float("glorot_uniform_", "gain", gain) * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, rng=rng)


xavier_uniform_ = glorot_uniform_


def kaiming_uniform_(
    t: Tensor,
    a: float = 0.0,
    nonlinearity: str = "relu",
    rng: np.random.Generator | None = None,
) -> Tensor:
    r"""He/Kaiming uniform initialisation, for ReLU-family layers.

    .. math:: W_{ij} \sim U\!\left(-g\sqrt{\frac{3}{fan_{in}}},\; +g\sqrt{\frac{3}{fan_{in}}}\right),
              \qquad g = \sqrt{2/(1+a^2)} \text{ for (leaky) ReLU}

    so :math:`\mathrm{Var}\,W = g^2/fan_{in}`: ReLU zeroes half of its inputs, and the
    factor 2 compensates (He et al., 2015). With the default ``a=0`` the bound is
    :math:`\sqrt{6/fan_{in}}`.

    Differences from PyTorch: *fan_in* is ``shape[0]`` (tinynet's ``(in, out)``
    layout), and this is **not** what ``torch.nn.Linear`` uses by default (PyTorch
    calls this function with ``a=sqrt(5)``, giving :math:`U(\pm 1/\sqrt{fan_{in}})`).
    """
    fan_in, _ = calculate_fan_in_and_fan_out(t.shape)
    if fan_in == 0:
        raise ValueError(f"kaiming_uniform_: a tensor of shape {t.shape} has fan-in 0")
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / fan_in)
    return uniform_(t, -bound, bound, rng=rng)


def zeros_(t: Tensor) -> Tensor:
    """Fill *t* with zeros (in place; returns *t*)."""
    t.data = xp.zeros(t.shape, dtype=t.dtype)
    return t


def ones_(t: Tensor) -> Tensor:
    """Fill *t* with ones (in place; returns *t*)."""
    t.data = xp.ones(t.shape, dtype=t.dtype)
    return t


#: the names accepted by ``Dense(init=...)``
INITIALIZERS = {
    "glorot_uniform": glorot_uniform_,
    "xavier_uniform": glorot_uniform_,
    "kaiming_uniform": kaiming_uniform_,
    "he_uniform": kaiming_uniform_,
}
