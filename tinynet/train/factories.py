"""What a run trains with: the MLP (:func:`build_model`) and its optimizer (:func:`make_optimizer`).

Default architecture (digits): ``Dense(64, 256)``, ReLU, ``Dense(256, 128)``, ReLU,
``Dense(128, 10)`` (logits), Glorot-uniform weights, zero biases; every layer's
weights derive from the run's ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import tinynet
from tinynet import nn
from tinynet.train.config import ACTIVATIONS, OPTIMIZERS, check_choice

__all__ = ["build_model", "make_optimizer", "architecture"]


def architecture(n_features: int, hidden: Sequence[int], n_classes: int) -> str:
    """``"64-256-128-10"``: the layer sizes of the MLP, as the messages and logs write them."""
    return "-".join(str(s) for s in (n_features, *hidden, n_classes))


def build_model(
    n_features: int,
    hidden: tuple[int, ...] | list[int],
    n_classes: int,
    activation: str = "relu",
    seed: int = 0,
) -> nn.Sequential:
    """``Dense -> activation -> ... -> Dense`` (logits), each layer seeded from *seed*.

    Settings are checked by :func:`~tinynet.train.validate_config`; an unknown *activation* raises
    :class:`~tinynet.train.ConfigError` here too, because this function is public.
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    sizes = [n_features, *hidden, n_classes]
    layer_seeds = np.random.SeedSequence(seed).generate_state(len(sizes) - 1)
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Dense(sizes[i], sizes[i + 1], seed=int(layer_seeds[i])))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def make_optimizer(
    name: str, params: Any, lr: float, momentum: float = 0.9
) -> tinynet.optim.Optimizer:
    """The optimizer *name* (``sgd`` uses *momentum*; ``adam``/``adadelta`` their defaults)."""
    check_choice("optimizer", name, OPTIMIZERS)
    optim = tinynet.optim
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    return optim.Adadelta(params, lr=lr)
