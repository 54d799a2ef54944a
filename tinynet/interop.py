r"""Hand a model over to PyTorch and back: :func:`to_torch`, :func:`from_torch`,
:func:`load_checkpoint_to_torch`.

tinynet is where you learn what a framework does; PyTorch is where you go next. These
functions move a trained multi-layer perceptron across **without changing a single
prediction** (float32 rounding aside), so that a learner can continue in PyTorch from
exactly where tinynet stopped, and bring a PyTorch model back to inspect it here.

What converts (both directions, one module for one module):

=============================================  ==================================================
tinynet                                        PyTorch
=============================================  ==================================================
``nn.Sequential``                              ``torch.nn.Sequential`` (nested ones too)
``nn.Dense(in, out)``, weight ``(in, out)``    ``torch.nn.Linear(in, out)``, weight ``(out, in)``
``nn.Dense(..., activation="relu")``           ``Linear`` followed by ``ReLU`` (to PyTorch only)
``nn.ReLU``, ``nn.Tanh``, ``nn.Sigmoid``       ``torch.nn.ReLU``, ``Tanh``, ``Sigmoid``
``nn.LeakyReLU(negative_slope)``               ``torch.nn.LeakyReLU(negative_slope)``
``nn.Softmax(axis)``, ``nn.LogSoftmax(axis)``  ``torch.nn.Softmax(dim)``, ``LogSoftmax(dim)``
=============================================  ==================================================

The one real difference is the weight layout. tinynet computes :math:`Z = XW + b` with
:math:`W` of shape ``(in, out)`` (the row-vector convention of the source documents,
docs/sources.md F7); ``torch.nn.Linear`` computes :math:`Z = XW_t^\top + b` with
:math:`W_t` of shape ``(out, in)``. The same layer therefore has :math:`W_t = W^\top`,
and the conversion copies the transposed weight. The bias is the same vector.

Rules that keep the hand-over honest:

* the **dtype is kept** (a float32 model stays float32, a float64 one float64); only
  float32 and float64 are converted, anything else is refused;
* the weights are **copied**: training the PyTorch model never changes the tinynet one,
  and the reverse;
* modules are matched by **exact type**: a subclass (of ``Dense``, ``torch.nn.Linear``, an
  activation, ...) may compute something else in its ``forward``, so it is refused with a
  ``TypeError`` naming it and listing what is supported, rather than converted wrongly;
* the train/eval mode is carried over.

PyTorch is imported **inside** the functions only: ``import tinynet.interop`` does not
import it, and ``import tinynet`` does not import this module. Without PyTorch installed
the functions raise :class:`ModuleNotFoundError` saying how to install it
(``pip install "tinynet[bench]"``, or PyTorch's own instructions).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from tinynet import nn

if TYPE_CHECKING:  # pragma: no cover - for type checkers only; never imported at run time
    import torch

__all__ = ["to_torch", "from_torch", "load_checkpoint_to_torch", "SUPPORTED"]

#: what converts, in the words the error messages use
SUPPORTED = (
    "Sequential, Dense/Linear (with or without activation=...), ReLU, Tanh, Sigmoid, "
    "LeakyReLU, Softmax, LogSoftmax"
)

_FLOAT_DTYPES = ("float32", "float64")


def _import_torch(caller: str) -> Any:
    """Import PyTorch for *caller*, or raise a :class:`ModuleNotFoundError` saying how to get it."""
    try:
        import torch
    except ImportError as exc:  # ModuleNotFoundError, or a broken installation
        raise ModuleNotFoundError(
            f"tinynet.interop.{caller} needs PyTorch, which is not importable here ({exc}); "
            'install it with: pip install "tinynet[bench]" (or pip install torch, see '
            "https://pytorch.org/get-started for a CPU-only wheel)"
        ) from exc
    return torch


# --------------------------------------------------------------------------- tinynet -> torch


def _tn_activation_to_torch(name: str, torch: Any, where: str) -> Any:
    """The torch module for a ``Dense(activation=name)``."""
    tnn = torch.nn
    table = {
        "relu": tnn.ReLU,
        "tanh": tnn.Tanh,
        "sigmoid": tnn.Sigmoid,
        "leaky_relu": lambda: tnn.LeakyReLU(0.01),  # tinynet's slope for the string form
        "softmax": lambda: tnn.Softmax(dim=-1),
    }
    if name not in table:
        raise TypeError(
            f"to_torch: {where} has activation={name!r}, which has no PyTorch counterpart here; "
            f"supported activations: {sorted(table)}"
        )
    return table[name]()


def _dense_to_torch(layer: nn.Dense, torch: Any, where: str) -> list[Any]:
    weight = layer.weight.numpy()  # a host copy, also on the cupy backend
    if weight.dtype.name not in _FLOAT_DTYPES:
        raise TypeError(
            f"to_torch: {where} ({layer!r}) has dtype {weight.dtype}; only float32 and float64 "
            "layers are converted"
        )
    dtype = getattr(torch, weight.dtype.name)
    linear = torch.nn.Linear(
        layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=dtype
    )
    with torch.no_grad():
        # tinynet's (in, out) weight is the transpose of PyTorch's (out, in).
        linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight.T)))
        if layer.bias is not None:
            linear.bias.copy_(torch.from_numpy(np.ascontiguousarray(layer.bias.numpy())))
    out = [linear]
    if layer.activation is not None:
        out.append(_tn_activation_to_torch(layer.activation, torch, where))
    return out


def _tn_module_to_torch(module: Any, torch: Any, where: str) -> list[Any]:
    """The torch modules that compute what tinynet's *module* computes (one or two)."""
    tnn = torch.nn
    kind = type(module)
    if kind is nn.Sequential:
        return [_sequential_to_torch(module, torch, where)]
    if kind is nn.Dense:
        return _dense_to_torch(module, torch, where)
    if kind is nn.ReLU:
        return [tnn.ReLU()]
    if kind is nn.Tanh:
        return [tnn.Tanh()]
    if kind is nn.Sigmoid:
        return [tnn.Sigmoid()]
    if kind is nn.LeakyReLU:
        return [tnn.LeakyReLU(negative_slope=module.negative_slope)]
    if kind is nn.Softmax:
        return [tnn.Softmax(dim=module.axis)]
    if kind is nn.LogSoftmax:
        return [tnn.LogSoftmax(dim=module.axis)]
    name = f"{kind.__module__}.{kind.__qualname__}"
    hint = ""
    if isinstance(module, nn.Module) and kind not in _TN_TYPES:
        if any(isinstance(module, t) for t in _TN_TYPES):
            hint = " (a subclass of a supported module: its forward may differ, so it is not converted)"
        else:
            hint = (
                " (a custom Module: rebuild it in PyTorch and copy its state dict, transposing "
                "each Dense weight from (in, out) to (out, in))"
            )
    raise TypeError(
        f"to_torch: cannot convert {where}, a {name}{hint}; supported tinynet modules: {SUPPORTED}"
    )


_TN_TYPES: tuple[type, ...] = (
    nn.Sequential, nn.Dense, nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU, nn.Softmax, nn.LogSoftmax,
)  # fmt: skip


def _sequential_to_torch(seq: nn.Sequential, torch: Any, where: str) -> Any:
    converted: list[Any] = []
    for i, child in enumerate(seq):
        converted.extend(_tn_module_to_torch(child, torch, f"{where}[{i}]"))
    out = torch.nn.Sequential(*converted)
    out.train(seq.training)
    return out


def to_torch(model: nn.Module) -> torch.nn.Sequential:
    r"""A ``torch.nn.Sequential`` that computes what the tinynet *model* computes.

    *model* is a tinynet :class:`~tinynet.nn.Sequential` of ``Dense`` layers and
    activations (nested ``Sequential`` are converted to nested ones), or one such module
    (returned inside a ``Sequential``). Each ``Dense`` becomes a ``torch.nn.Linear`` whose
    ``weight`` is the **transpose** of the tinynet weight (PyTorch stores ``(out, in)``)
    and whose ``bias`` is the same vector, in the same dtype; ``Dense(activation=...)``
    becomes the ``Linear`` followed by the activation module, so a PyTorch model can have
    more entries than the tinynet one. The parameters are copies that require gradients,
    ready for ``torch.optim``; the train/eval mode is kept.

    Raises :class:`TypeError` naming the module (by its position, e.g. ``model[2]``) when
    something cannot be converted, and :class:`ModuleNotFoundError` without PyTorch.

    >>> tmodel = to_torch(model)                                   # doctest: +SKIP
    >>> tmodel(torch.from_numpy(X)).argmax(1)  # the same predictions as model(X)
    """
    torch = _import_torch("to_torch")
    if type(model) is nn.Sequential:
        return _sequential_to_torch(model, torch, "model")
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"to_torch: expected a tinynet.nn.Sequential (or one of its layers), got "
            f"{type(model).__module__}.{type(model).__qualname__}"
        )
    out = torch.nn.Sequential(*_tn_module_to_torch(model, torch, "model"))
    out.train(model.training)
    return out


# --------------------------------------------------------------------------- torch -> tinynet


def _linear_from_torch(layer: Any, where: str) -> nn.Dense:
    weight = layer.weight.detach().cpu()
    dtype = str(weight.dtype).removeprefix("torch.")
    if dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"from_torch: {where} ({layer!r}) has dtype {weight.dtype}; only torch.float32 and "
            "torch.float64 layers are converted (convert it first, e.g. module.float())"
        )
    has_bias = layer.bias is not None
    # seed=0: building the layer must not advance tinynet's global generator; its random
    # initial weights are replaced at once.
    dense = nn.Dense(
        layer.in_features, layer.out_features, bias=has_bias, dtype=dtype, seed=0
    )
    state = {"weight": weight.numpy().T.copy()}  # PyTorch's (out, in) -> tinynet's (in, out)
    if has_bias:
        state["bias"] = layer.bias.detach().cpu().numpy().copy()
    dense.load_state_dict(state)  # checks the shapes and dtypes
    return dense


def _torch_dim(module: Any, where: str) -> int:
    if module.dim is None:
        raise TypeError(
            f"from_torch: {where} is torch.nn.{type(module).__name__}(dim=None), whose "
            "dimension PyTorch guesses from the input's rank (deprecated); give it explicitly, "
            f"e.g. torch.nn.{type(module).__name__}(dim=-1)"
        )
    return int(module.dim)


def _torch_module_to_tn(module: Any, torch: Any, where: str) -> nn.Module:
    tnn = torch.nn
    kind = type(module)
    if kind is tnn.Sequential:
        return _sequential_from_torch(module, torch, where)
    if kind is tnn.Linear:
        return _linear_from_torch(module, where)
    if kind is tnn.ReLU:
        return nn.ReLU()
    if kind is tnn.Tanh:
        return nn.Tanh()
    if kind is tnn.Sigmoid:
        return nn.Sigmoid()
    if kind is tnn.LeakyReLU:
        return nn.LeakyReLU(negative_slope=float(module.negative_slope))
    if kind is tnn.Softmax:
        return nn.Softmax(axis=_torch_dim(module, where))
    if kind is tnn.LogSoftmax:
        return nn.LogSoftmax(axis=_torch_dim(module, where))
    name = f"{kind.__module__}.{kind.__qualname__}"
    hint = ""
    supported = (
        tnn.Sequential, tnn.Linear, tnn.ReLU, tnn.Tanh, tnn.Sigmoid, tnn.LeakyReLU,
        tnn.Softmax, tnn.LogSoftmax,
    )  # fmt: skip
    if any(isinstance(module, t) for t in supported):
        hint = " (a subclass of a supported module: its forward may differ, so it is not converted)"
    raise TypeError(
        f"from_torch: cannot convert {where}, a {name}{hint}; tinynet has no such layer. "
        "Supported torch modules: Sequential, Linear, ReLU, Tanh, Sigmoid, LeakyReLU, "
        "Softmax(dim), LogSoftmax(dim)"
    )


def _sequential_from_torch(seq: Any, torch: Any, where: str) -> nn.Sequential:
    out = nn.Sequential(
        *(_torch_module_to_tn(child, torch, f"{where}[{i}]") for i, child in enumerate(seq))
    )
    out.train(seq.training)
    return out


def from_torch(module: torch.nn.Module) -> nn.Sequential:
    r"""A tinynet :class:`~tinynet.nn.Sequential` that computes what the PyTorch *module* computes.

    The reverse of :func:`to_torch`: a ``torch.nn.Sequential`` (or one module) of
    ``Linear`` layers and the activations listed in this module's docstring. Each
    ``Linear`` becomes a ``Dense`` whose weight is the **transpose** of PyTorch's
    ``(out, in)`` weight, with the same bias and dtype (float32 or float64); the arrays are
    copied (from any device) onto tinynet's backend. Activations stay separate modules
    (``Linear`` + ``ReLU`` gives ``Dense`` + ``ReLU``, not ``Dense(activation="relu")``).

    Raises :class:`TypeError` naming the module (``module[3]``) for anything tinynet has
    no layer for (``Dropout``, ``Conv2d``, ``BatchNorm1d``, a ``Softmax`` without ``dim``,
    a custom module, ...), and :class:`ModuleNotFoundError` without PyTorch.
    """
    torch = _import_torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(
            f"from_torch: expected a torch.nn.Module (a torch.nn.Sequential of Linear layers "
            f"and activations), got {type(module).__module__}.{type(module).__qualname__}"
        )
    if type(module) is torch.nn.Sequential:
        return _sequential_from_torch(module, torch, "module")
    out = nn.Sequential(_torch_module_to_tn(module, torch, "module"))
    out.train(module.training)
    return out


# --------------------------------------------------------------------------- checkpoints


def load_checkpoint_to_torch(
    path: str | os.PathLike[str],
) -> tuple[torch.nn.Sequential, dict[str, Any]]:
    """Load a ``tinynet train`` checkpoint into PyTorch: ``(torch_model, checkpoint)``.

    The model is rebuilt and loaded by :func:`tinynet.train.load_checkpoint` (so any
    checkpoint format that function reads works here) and converted by :func:`to_torch`,
    in eval mode. ``checkpoint["normalization"]`` holds the ``mean`` and ``std`` the
    training inputs were standardised with: apply them to new inputs before calling the
    model, ``(x - mean) / std``, exactly as for the tinynet model.

    Raises :class:`tinynet.train.DataError` when *path* is not such a checkpoint.
    """
    from tinynet.train import load_checkpoint

    _import_torch("load_checkpoint_to_torch")  # fail before reading the file
    model, checkpoint = load_checkpoint(path)
    model.eval()
    return to_torch(model), checkpoint
