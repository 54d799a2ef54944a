"""Backend selection happens once at import and can be forced with TINYNET_BACKEND."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import tinynet as tn
from tinynet.backend import cupy_status


def _run(code: str, backend: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TINYNET_BACKEND=backend)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_numpy_backend_can_be_forced():
    r = _run("import tinynet; print(tinynet.backend_name())", "numpy")
    assert r.returncode == 0 and r.stdout.strip() == "numpy"


def test_auto_falls_back_to_numpy_when_cupy_is_unusable():
    r = _run("import tinynet; print(tinynet.backend_name())", "auto")
    expected = "cupy" if cupy_status()[0] is not None else "numpy"
    assert r.returncode == 0 and r.stdout.strip() == expected


def test_requesting_cupy_where_it_cannot_work_says_why():
    if cupy_status()[0] is not None:
        r = _run("import tinynet; print(tinynet.backend_name())", "cupy")
        assert r.stdout.strip() == "cupy"
        return
    r = _run("import tinynet", "cupy")
    assert r.returncode != 0
    assert "BackendUnavailableError" in r.stderr
    assert "TINYNET_BACKEND=cupy was requested, but cupy is" in r.stderr


def test_cupy_missing_is_reported_as_not_installed(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "cupy":
            raise ImportError("No module named 'cupy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    module, reason = cupy_status()
    assert module is None and "not installed" in reason


def test_unknown_backend_name_is_an_error():
    r = _run("import tinynet", "tpu")
    assert r.returncode != 0 and "expected 'numpy', 'cupy', 'auto' or 'standin'" in r.stderr


def test_numpy_always_returns_host_array(backend):
    t = tn.tensor([1.0, 2.0]) * 2.0
    assert type(t.numpy()) is np.ndarray
    assert type(tn.to_numpy(t.data)) is np.ndarray
