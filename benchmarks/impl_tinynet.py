"""tinynet, written as its user guide (docs/guide/nn.md) teaches: ``nn.Sequential`` of
``nn.Dense``/``nn.ReLU``, ``nn.functional.cross_entropy`` and ``optim.Adam``.

The backend (numpy or cupy) is fixed when tinynet is imported (``TINYNET_BACKEND``),
so the CPU run imports it with ``TINYNET_BACKEND=numpy`` and the GPU section runs in
a separate process with ``TINYNET_BACKEND=cupy``.
"""

from __future__ import annotations

from typing import Any

import numpy

from benchmarks.common import Problem

NAME = "tinynet"


def available() -> tuple[bool, str]:
    try:
        import tinynet.nn  # noqa: F401
        import tinynet.optim  # noqa: F401
    except Exception as exc:
        return False, f"tinynet.nn / tinynet.optim failed to import ({type(exc).__name__}: {exc})"
    return True, "ok"


class Trainer:
    def __init__(self, problem: Problem, dtype: str) -> None:
        import tinynet as tn
        from tinynet import nn
        from tinynet.backend import asarray, to_numpy
        from tinynet.nn import functional as F
        from tinynet.optim import Adam

        self.tn, self.F, self.to_numpy = tn, F, to_numpy
        layers: list[Any] = []
        self.dense = []
        for i, (W, b) in enumerate(problem.weights_as(dtype)):
            layer = nn.Dense(W.shape[0], W.shape[1], dtype=dtype)
            layer.weight.data[...] = asarray(W)
            layer.bias.data[...] = asarray(b)
            layers.append(layer)
            self.dense.append(layer)
            if i < len(problem.weights) - 1:
                layers.append(nn.ReLU())
        self.model = nn.Sequential(*layers)
        self.X = tn.Tensor(asarray(problem.X_as(dtype)))
        self.y = asarray(problem.y)
        self.opt = Adam(
            self.model.parameters(), lr=problem.lr, betas=problem.betas, eps=problem.eps
        )
        self._loss: Any = None
        self.backend = tn.backend_name()

    def step(self) -> None:
        self.opt.zero_grad()
        loss = self.F.cross_entropy(self.model(self.X), self.y)
        loss.backward()
        self.opt.step()
        self._loss = loss

    def loss(self) -> float:
        return float(self._loss.item())

    def params_numpy(self) -> list[numpy.ndarray]:
        out = []
        for layer in self.dense:
            out += [self.to_numpy(layer.weight.data).copy(), self.to_numpy(layer.bias.data).copy()]
        return out

    def grads_numpy(self) -> list[numpy.ndarray]:
        out = []
        for layer in self.dense:
            out += [self.to_numpy(layer.weight.grad).copy(), self.to_numpy(layer.bias.grad).copy()]
        return out

    def sync(self) -> None:
        if self.backend == "cupy":
            self.tn.xp.cuda.get_current_stream().synchronize()
