"""DeZero (the framework of the book "Deep Learning from Scratch 3"), written as the book does.

Model: ``dezero.layers.Linear`` layers (weight ``(in, out)``, like tinynet) with
``F.relu`` between them, ``F.softmax_cross_entropy``, ``cleargrads()`` and
``loss.backward()``.

Two adaptations, both reported in ``docs/benchmarks.md``:

* **numpy 2 shim.** ``dezero`` 0.0.13 (the latest release) fails to import on
  numpy >= 1.24 because ``dezero/transforms.py`` evaluates ``np.int`` (an alias that
  numpy removed) in a default argument at import time. :func:`import_dezero` defines
  ``numpy.int = int`` for the duration of the import and removes it afterwards.
  Nothing on the training path uses the alias (only the bundled data sets do).
* **Adam with PyTorch's formula.** ``dezero.optimizers.Adam`` folds the bias
  correction into the learning rate and adds ``eps`` to the *uncorrected*
  :math:`\\sqrt{v}`, which is a (slightly) different update. For a benchmark of the
  same math, :class:`TorchAdam` below is a DeZero optimizer written in DeZero's
  own style (``update_one``, in-place numpy) with PyTorch's formula.

DeZero's ``softmax_cross_entropy`` builds its one-hot matrix with the labels' integer
dtype, so ``softmax - onehot`` is float64 and a float32 model gets float64
gradients from there on (numpy then casts them back in the in-place parameter
update). That is DeZero's own behaviour and is measured as is.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from benchmarks.common import Problem

NAME = "dezero"


def import_dezero() -> Any:
    """Import dezero, bridging the ``numpy.int`` alias that numpy 2 removed."""
    added = "int" not in vars(numpy)
    if added:
        numpy.int = int  # type: ignore[attr-defined]
    try:
        import dezero
        import dezero.functions
        import dezero.layers
        import dezero.optimizers
    finally:
        if added and "int" in vars(numpy):
            del numpy.int  # type: ignore[attr-defined]
    return dezero


def available() -> tuple[bool, str]:
    try:
        import_dezero()
    except Exception as exc:
        return False, f"dezero is not installed or failed to import ({type(exc).__name__}: {exc})"
    return True, "ok"


def _make_classes(dezero: Any) -> tuple[type, type]:
    F, L = dezero.functions, dezero.layers

    class MLP(dezero.Model):
        def __init__(self, weights: list[tuple[numpy.ndarray, numpy.ndarray]]) -> None:
            super().__init__()
            self.layers = []
            for i, (W, b) in enumerate(weights):
                layer = L.Linear(W.shape[1], in_size=W.shape[0], dtype=W.dtype)
                layer.W.data = W.copy()
                layer.b.data = b.copy()
                setattr(self, f"l{i}", layer)
                self.layers.append(layer)

        def forward(self, x: Any) -> Any:
            for layer in self.layers[:-1]:
                x = F.relu(layer(x))
            return self.layers[-1](x)

    class TorchAdam(dezero.optimizers.Optimizer):
        """Adam with PyTorch's update, in DeZero's optimizer style."""

        def __init__(self, lr: float, betas: tuple[float, float], eps: float) -> None:
            super().__init__()
            self.t = 0
            self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
            self.ms: dict[int, Any] = {}
            self.vs: dict[int, Any] = {}

        def update(self, *args: Any, **kwargs: Any) -> None:
            self.t += 1
            super().update(*args, **kwargs)

        def update_one(self, param: Any) -> None:
            key = id(param)
            if key not in self.ms:
                self.ms[key] = numpy.zeros_like(param.data)
                self.vs[key] = numpy.zeros_like(param.data)
            m, v, g = self.ms[key], self.vs[key], param.grad.data
            b1, b2 = self.beta1, self.beta2
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = numpy.sqrt(v) / math.sqrt(1 - b2**self.t) + self.eps
            param.data -= (self.lr / (1 - b1**self.t)) * m / denom

    return MLP, TorchAdam


class Trainer:
    def __init__(self, problem: Problem, dtype: str) -> None:
        dezero = import_dezero()
        MLP, TorchAdam = _make_classes(dezero)
        self.F = dezero.functions
        self.model = MLP(problem.weights_as(dtype))
        self.opt = TorchAdam(problem.lr, problem.betas, problem.eps).setup(self.model)
        self.X = problem.X_as(dtype)
        self.y = problem.y
        self._loss: Any = None

    def step(self) -> None:
        loss = self.F.softmax_cross_entropy(self.model(self.X), self.y)
        self.model.cleargrads()
        loss.backward()
        self.opt.update()
        self._loss = loss

    def loss(self) -> float:
        return float(self._loss.data)

    def params_numpy(self) -> list[numpy.ndarray]:
        out = []
        for layer in self.model.layers:
            out += [layer.W.data.copy(), layer.b.data.copy()]
        return out

    def grads_numpy(self) -> list[numpy.ndarray]:
        out = []
        for layer in self.model.layers:
            out += [
                numpy.asarray(layer.W.grad.data).copy(),
                numpy.asarray(layer.b.grad.data).copy(),
            ]
        return out

    def sync(self) -> None:
        pass
