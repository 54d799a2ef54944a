r"""The hand-written reference: explicit forward, backward and Adam with numpy (or cupy).

This is what a careful programmer writes without any framework, and so the
practical speed limit for a framework built on numpy: the same matrix products,
plus the few elementwise passes that the math needs, with no graph, no Python
objects per operation, and in-place updates where they are natural (but no
hand-tuned ``out=`` buffers everywhere). The same code runs on cupy when passed
``xp=cupy`` ("hand-written cupy" in the GPU section).

With :math:`h_0 = X`, :math:`z_l = h_{l-1} W_l + b_l`, :math:`h_l = \max(z_l, 0)` and
softmax probabilities :math:`p` of the last :math:`z`:

* loss :math:`L = -\frac1N\sum_i \log p_{i,y_i}`, :math:`\bar z_{\text{last}} = (p - \text{onehot}(y))/N`;
* :math:`\bar W_l = h_{l-1}^\top \bar z_l`, :math:`\bar b_l = \sum_i \bar z_{l,i}`,
  :math:`\bar z_{l-1} = (\bar z_l W_l^\top)\odot[h_{l-1} > 0]`;
* Adam as PyTorch: :math:`m \leftarrow \beta_1 m + (1-\beta_1)g`,
  :math:`v \leftarrow \beta_2 v + (1-\beta_2)g^2`,
  :math:`\theta \leftarrow \theta - \frac{\alpha}{1-\beta_1^t}\,\frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from benchmarks.common import Problem

NAME = "numpy"


def available() -> tuple[bool, str]:
    return True, "ok"


class Trainer:
    def __init__(self, problem: Problem, dtype: str, xp: Any = numpy) -> None:
        self.xp = xp
        self.params = []
        for W, b in problem.weights_as(dtype):
            self.params += [xp.asarray(W), xp.asarray(b)]
        self.X = xp.asarray(problem.X_as(dtype))
        self.y = xp.asarray(problem.y)
        self.rows = xp.arange(problem.batch)
        self.lr, (self.beta1, self.beta2), self.eps = problem.lr, problem.betas, problem.eps
        self.t = 0
        self.m: list[Any] = []  # Adam state, allocated at the first step
        self.v: list[Any] = []
        self._loss: Any = None
        self._grads: list[Any] = []

    def step(self) -> None:
        xp, params, n = self.xp, self.params, self.X.shape[0]
        n_layers = len(params) // 2

        # forward: keep each layer's input for the backward pass
        h = self.X
        inputs = []
        for i in range(n_layers):
            W, b = params[2 * i], params[2 * i + 1]
            inputs.append(h)
            z = h @ W
            z += b
            h = xp.maximum(z, 0) if i < n_layers - 1 else z

        # softmax cross-entropy (stable), fused with its backward
        z = h
        z -= z.max(axis=1, keepdims=True)
        e = xp.exp(z)
        total = e.sum(axis=1, keepdims=True)
        self._loss = xp.log(total[:, 0]).mean() - z[self.rows, self.y].mean()
        dz = e
        dz /= total
        dz[self.rows, self.y] -= 1
        dz *= 1.0 / n

        # backward
        grads: list[Any] = [None] * len(params)
        for i in reversed(range(n_layers)):
            h_in = inputs[i]
            grads[2 * i] = h_in.T @ dz
            grads[2 * i + 1] = dz.sum(axis=0)
            if i > 0:
                dz = dz @ params[2 * i].T
                dz *= h_in > 0  # ReLU: h_in = max(z, 0) > 0 exactly where z > 0

        self._grads = grads

        # Adam (PyTorch's formula)
        if not self.m:
            self.m = [xp.zeros_like(p) for p in params]
            self.v = [xp.zeros_like(p) for p in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr / (1.0 - b1**self.t)
        bias2_sqrt = math.sqrt(1.0 - b2**self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            denom = xp.sqrt(v)
            denom /= bias2_sqrt
            denom += self.eps
            update = m / denom
            update *= step_size
            p -= update

    def loss(self) -> float:
        return float(self._loss)

    def params_numpy(self) -> list[numpy.ndarray]:
        if self.xp is numpy:
            return [p.copy() for p in self.params]
        return [self.xp.asnumpy(p) for p in self.params]

    def grads_numpy(self) -> list[numpy.ndarray]:
        if self.xp is numpy:
            return [g.copy() for g in self._grads]
        return [self.xp.asnumpy(g) for g in self._grads]

    def sync(self) -> None:
        if self.xp is not numpy:
            self.xp.cuda.get_current_stream().synchronize()
