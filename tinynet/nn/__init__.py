"""Neural-network building blocks (as ``torch.nn``).

* :class:`Module`, :class:`Sequential`, :class:`ModuleList` -- containers with
  ``parameters()``, ``named_parameters()``, ``zero_grad()``, ``train()``/``eval()``,
  ``state_dict()``/``load_state_dict()`` (:mod:`tinynet.nn.module`);
* :class:`Dense` (alias :class:`Linear`): :math:`XW+b` with ``W`` of shape
  ``(in, out)`` (:mod:`tinynet.nn.layers`);
* activation modules :class:`Sigmoid`, :class:`Tanh`, :class:`ReLU`,
  :class:`LeakyReLU`, :class:`Softmax`, :class:`LogSoftmax`;
* loss modules :class:`MSELoss`, :class:`CrossEntropyLoss`, :class:`NLLLoss`,
  :class:`CrossEntropyProbsLoss`, :class:`BCELoss`, :class:`BCEWithLogitsLoss`;
* :mod:`tinynet.nn.functional` (``F``) and :mod:`tinynet.nn.init`.
"""

from tinynet.nn import functional, init
from tinynet.nn.activations import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from tinynet.nn.layers import Dense, Linear
from tinynet.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    CrossEntropyProbsLoss,
    MSELoss,
    NLLLoss,
)
from tinynet.nn.module import IncompatibleKeys, Module, ModuleList, Sequential
from tinynet.tensor import Parameter

__all__ = [
    "Module", "Sequential", "ModuleList", "Parameter", "IncompatibleKeys",
    "Dense", "Linear",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax",
    "MSELoss", "CrossEntropyLoss", "NLLLoss", "CrossEntropyProbsLoss", "BCELoss",
    "BCEWithLogitsLoss",
    "functional", "init",
]  # fmt: skip
