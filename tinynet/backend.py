"""The array backend: the one place where tinynet chooses between numpy and cupy.

Every other module of the core writes ``from tinynet.backend import xp`` and calls
``xp.exp``, ``xp.matmul`` and so on, so the same autograd code runs on the CPU
(numpy) or on an NVIDIA GPU (cupy, whose API mirrors numpy's).

The choice is made **once, at import**, from the environment variable
``TINYNET_BACKEND``:

``auto`` (default)
    cupy if it imports *and* a CUDA device is usable, else numpy.
``numpy``
    always numpy.
``cupy``
    cupy, or an :class:`BackendUnavailableError` that says why not
    (not installed, or installed but no usable device).
``standin`` (for the test suite)
    :mod:`tinynet._standin`, a CPU **test double** of cupy's host/device boundary:
    numpy arrays wrapped as "device arrays" that, like cupy's, refuse implicit
    conversion to numpy and refuse numpy operands. It is not a GPU; it lets every CI
    run catch code that would fail on one.

Changing the backend of a running process is deliberately not supported: arrays
already created on one backend cannot be mixed with the other, and a learner
should never have to wonder which one a tensor lives on.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy

__all__ = [
    "BackendUnavailableError",
    "xp",
    "backend_name",
    "to_numpy",
    "asarray",
    "cupy_status",
    "HOST_ARRAY_TYPES",
]

#: numpy's array and scalar types -- data of these types keeps its dtype in ``Tensor(...)``.
HOST_ARRAY_TYPES = (numpy.ndarray, numpy.generic)


class BackendUnavailableError(RuntimeError):
    """Raised when ``TINYNET_BACKEND=cupy`` is requested but cupy cannot run."""


def cupy_status() -> tuple[ModuleType | None, str]:
    """Try to import cupy and touch a device.

    Returns ``(cupy_module, "ok")`` when cupy works, else ``(None, reason)`` where
    *reason* says in words why not.
    """
    try:
        import cupy  # type: ignore[import-not-found]
    except Exception as exc:  # ImportError, or a broken CUDA install raising anything
        return None, f"cupy is not installed or failed to import ({type(exc).__name__}: {exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return None, f"cupy is installed but no CUDA device is usable ({type(exc).__name__}: {exc})"
    if count < 1:
        return None, "cupy is installed but no CUDA device is usable (device count is 0)"
    try:
        # A device can be listed yet unusable (driver mismatch): allocate to be sure.
        cupy.zeros(1).sum().item()
    except Exception as exc:
        return None, f"cupy is installed but a CUDA device could not run a kernel ({exc})"
    return cupy, "ok"


def _select() -> tuple[ModuleType, str]:
    wanted = os.environ.get("TINYNET_BACKEND", "auto").strip().lower() or "auto"
    if wanted not in ("auto", "numpy", "cupy", "standin"):
        raise BackendUnavailableError(
            f"TINYNET_BACKEND={wanted!r} is not understood; expected 'numpy', 'cupy', 'auto' "
            "or 'standin' (the test double of cupy's host/device boundary)"
        )
    if wanted == "numpy":
        return numpy, "numpy"
    if wanted == "standin":
        from tinynet._standin import namespace

        return namespace, "standin"
    cp, reason = cupy_status()
    if cp is not None:
        return cp, "cupy"
    if wanted == "cupy":
        raise BackendUnavailableError(f"TINYNET_BACKEND=cupy was requested, but {reason}")
    return numpy, "numpy"


xp, _NAME = _select()


def backend_name() -> str:
    """Name of the active array backend: ``"numpy"``, ``"cupy"`` or ``"standin"``."""
    return _NAME


def to_numpy(array: Any) -> numpy.ndarray:
    """Return *array* (an array or a Tensor) as a host ``numpy.ndarray``.

    Copies from the GPU under cupy; a numpy array is returned as it is.
    """
    if isinstance(array, numpy.ndarray):
        return array
    if hasattr(array, "_ctx") and hasattr(array, "data"):  # a tinynet Tensor
        array = array.data
        if isinstance(array, numpy.ndarray):
            return array
    if _NAME != "numpy" and isinstance(array, xp.ndarray):
        return xp.asnumpy(array)
    return numpy.asarray(array)


def asarray(data: Any, dtype: Any = None) -> Any:
    """Convert *data* (list, scalar, numpy or cupy array) into a backend array.

    Under cupy a numpy array is copied to the device here, explicitly: this is the one
    place where host data enters the backend.
    """
    return xp.asarray(data, dtype=dtype)
