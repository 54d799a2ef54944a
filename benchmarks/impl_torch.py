"""PyTorch, written as its tutorials do: ``nn.Sequential`` of ``nn.Linear``/``nn.ReLU``,
``F.cross_entropy`` and ``torch.optim.Adam`` with default settings.

``nn.Linear`` stores its weight as ``(out, in)``; the shared ``(in, out)`` initial
weights are loaded transposed (and read back transposed by :meth:`params_numpy`).
"""

from __future__ import annotations

from typing import Any

import numpy

from benchmarks.common import Problem

NAME = "torch"


def available(device: str = "cpu") -> tuple[bool, str]:
    try:
        import torch
    except Exception as exc:
        return False, f"torch is not installed ({type(exc).__name__}); `pip install -e '.[bench]'`"
    if device == "cuda" and not torch.cuda.is_available():
        return False, "torch has no usable CUDA device"
    return True, "ok"


class Trainer:
    def __init__(self, problem: Problem, dtype: str, device: str = "cpu") -> None:
        import torch

        self.torch, self.device = torch, device
        tdtype = getattr(torch, dtype)
        layers: list[Any] = []
        for i, (W, b) in enumerate(problem.weights_as(dtype)):
            lin = torch.nn.Linear(W.shape[0], W.shape[1], dtype=tdtype, device=device)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(numpy.ascontiguousarray(W.T)))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if i < len(problem.weights) - 1:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.X = torch.from_numpy(problem.X_as(dtype)).to(device)
        self.y = torch.from_numpy(problem.y).to(device)
        self.opt = torch.optim.Adam(
            self.model.parameters(), lr=problem.lr, betas=problem.betas, eps=problem.eps
        )
        self.F = torch.nn.functional
        self._loss: Any = None

    def step(self) -> None:
        self.opt.zero_grad()
        loss = self.F.cross_entropy(self.model(self.X), self.y)
        loss.backward()
        self.opt.step()
        self._loss = loss.detach()

    def loss(self) -> float:
        return float(self._loss.item())

    def params_numpy(self) -> list[numpy.ndarray]:
        out = []
        for module in self.model:
            if isinstance(module, self.torch.nn.Linear):
                out.append(module.weight.detach().cpu().numpy().T.copy())
                out.append(module.bias.detach().cpu().numpy().copy())
        return out

    def grads_numpy(self) -> list[numpy.ndarray]:
        out = []
        for module in self.model:
            if isinstance(module, self.torch.nn.Linear):
                out.append(module.weight.grad.detach().cpu().numpy().T.copy())
                out.append(module.bias.grad.detach().cpu().numpy().copy())
        return out

    def sync(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.synchronize()
