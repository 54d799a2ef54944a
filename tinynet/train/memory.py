r"""Will a run fit in memory? :func:`check_fits_in_memory`, called by :func:`~tinynet.train.fit`
before any weight is allocated, compares :func:`training_memory_bytes` with
:func:`available_memory_bytes` and raises :class:`~tinynet.train.TooLargeError` worded
with the architecture, the estimate and what is available.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from tinynet.backend import backend_name
from tinynet.train.config import TrainConfig
from tinynet.train.data import Data
from tinynet.train.errors import TooLargeError
from tinynet.train.factories import architecture
from tinynet.train.metrics import EVAL_BATCH_SIZE

__all__ = ["training_memory_bytes", "available_memory_bytes", "check_fits_in_memory"]

#: per optimizer, the float arrays it keeps per parameter (momentum buffer, Adam's m and v, ...)
_OPTIMIZER_SLOTS = {"sgd": 1, "adam": 2, "adadelta": 2}


def training_memory_bytes(
    n_features: int,
    hidden: Sequence[int],
    n_classes: int,
    optimizer: str,
    batch_size: int,
    n_train: int,
    n_test: int = EVAL_BATCH_SIZE,
) -> tuple[int, int]:
    r"""``(parameters, bytes)``: the parameter count and a lower estimate of the memory a run needs.

    With layer sizes :math:`s_0, \dots, s_L` the MLP has
    :math:`P = \sum_{l=1}^{L} (s_{l-1} + 1)\, s_l` parameters; training keeps, in float32,
    the weights, their gradients and the optimizer's per-parameter state (:math:`k`
    arrays: 1 for SGD's momentum, 2 for Adam and Adadelta), and per layer about three
    activation-sized arrays (output, activation, gradient) of the largest batch, of
    training or of evaluation,
    :math:`b = \max(\min(\text{batch\_size}, n_\text{train}), \min(2048, n_\text{test}))`:

    .. math:: \text{bytes} \approx 4 \big((2 + k) P + 3 b \textstyle\sum_{l} s_l\big)

    Computed with Python integers, so absurd sizes give a (huge) number, never an overflow.
    """
    sizes = [int(n_features), *(int(h) for h in hidden), int(n_classes)]
    params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    rows = max(min(int(batch_size), int(n_train)), min(EVAL_BATCH_SIZE, int(n_test)))
    activations = 3 * rows * sum(sizes[1:])
    return params, 4 * ((2 + _OPTIMIZER_SLOTS[optimizer]) * params + activations)


def available_memory_bytes() -> int | None:
    """Memory available to this run: free GPU memory on the cupy backend, else the host's.

    Host memory is ``MemAvailable`` of ``/proc/meminfo`` (Linux), else the free pages
    reported by ``sysconf``; ``None`` when the platform reports neither.
    """
    if backend_name() == "cupy":
        try:
            import cupy  # type: ignore[import-not-found]

            free, _total = cupy.cuda.runtime.memGetInfo()
            return int(free) + int(cupy.get_default_memory_pool().free_bytes())
        except Exception:  # no device information: fall back to the host's memory
            pass
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def check_fits_in_memory(config: TrainConfig, data: Data) -> int:
    """Raise :class:`TooLargeError` if the run of *config* on *data* cannot fit in memory.

    Called by :func:`fit` before any weight is allocated. Returns the parameter count.
    """
    config = config.resolved()
    params, needed = training_memory_bytes(
        data.n_features, config.hidden, data.n_classes, config.optimizer,
        config.batch_size, len(data.X_train), len(data.X_test),
    )  # fmt: skip
    available = available_memory_bytes()
    if available is not None and needed > available:
        arch = architecture(data.n_features, config.hidden, data.n_classes)
        raise TooLargeError(
            f"an MLP {arch} has {params:,} parameters; training it with {config.optimizer} "
            f"needs about {needed:,} bytes ({_gib(needed)}; weights, gradients, optimizer "
            f"state and activations in float32), but only {available:,} bytes "
            f"({_gib(available)}) of memory are available"
        )
    return params


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"
