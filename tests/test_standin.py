"""The cupy stand-in (``tinynet._standin``): a CPU test double of the host/device boundary.

It is not a GPU. These tests check that it refuses what cupy refuses at the boundary
(implicit conversion of a device array to numpy, numpy arrays as operands of a device
operation) and allows the explicit copies, and they run tinynet under it in a
subprocess (``TINYNET_BACKEND=standin``): one ``tinynet train``, and the teaching
notebooks' code. The backend-dependent test suite itself is rerun under it by
``tasks.py test`` (``-m backend``, see ``tests/conftest.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinynet._standin import BoundaryError, DeviceArray, asnumpy
from tinynet._standin import namespace as sp

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **{"TINYNET_BACKEND": "standin", "MPLBACKEND": "Agg", **extra})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


# ------------------------------------------------------------------ the boundary itself
def test_device_arrays_refuse_implicit_conversion_to_numpy() -> None:
    d = sp.asarray(np.arange(3.0))
    assert isinstance(d, DeviceArray) and not isinstance(d, np.ndarray)
    for convert in (np.asarray, np.array, np.asanyarray, np.float64, lambda a: np.asarray([a, a])):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
            convert(d)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.testing.assert_allclose(d, [0.0, 1.0, 2.0])


@pytest.mark.parametrize(
    "mix",
    [
        lambda d, h: d + h,
        lambda d, h: h + d,
        lambda d, h: d * h,
        lambda d, h: h @ d,
        lambda d, h: d < h,
        lambda d, h: np.add(d, h),
        lambda d, h: sp.exp(h),
        lambda d, h: sp.where(d > 0, d, h),
        lambda d, h: sp.concatenate([d, h]),
        lambda d, h: sp.add.at(d, [0], h[:1]),
    ],
)
def test_numpy_arrays_are_refused_as_operands(mix) -> None:
    d = sp.asarray(np.arange(3.0))
    h = np.ones(3)
    with pytest.raises(TypeError, match=r"numpy\.ndarray \(shape \(\d*,?\), dtype float64\)"):
        mix(d, h)


def test_in_place_operators_do_not_defer_to_other_objects() -> None:
    import tinynet as tn  # numpy backend in this process: a Tensor is just another object

    d = sp.asarray(np.ones(2))
    with pytest.raises(BoundaryError, match="Unsupported type"):
        d -= tn.tensor([1.0, 1.0])
    with pytest.raises(BoundaryError, match="Unsupported type"):
        d += [1.0, 2.0]


def test_explicit_copies_scalars_and_device_results() -> None:
    h = np.array([[1.0, -2.0], [3.0, 4.0]], dtype=np.float32)
    d = sp.asarray(h)
    h[0, 0] = 100.0  # host -> device is a copy
    back = d.get()
    assert type(back) is np.ndarray and back[0, 0] == 1.0
    back[0, 0] = 7.0  # device -> host is a copy too
    assert float(d[0, 0]) == 1.0
    np.testing.assert_array_equal(asnumpy(d), [[1.0, -2.0], [3.0, 4.0]])
    total = d.sum()
    assert isinstance(total, DeviceArray) and total.shape == () and float(total) == 6.0
    assert isinstance(np.exp(d), DeviceArray) and isinstance(d.T @ d, DeviceArray)
    assert isinstance(d * np.float32(2) + 1, DeviceArray)  # scalars mix freely, as in cupy
    assert d.dtype == np.float32 and d[0].tolist() == [1.0, -2.0] and int(d[1, 1]) == 4
    d[0] = np.array([5.0, 6.0])  # host values and indices are accepted by __setitem__
    assert d[np.array([0])].tolist() == [[5.0, 6.0]]
    assert sp.inf == np.inf and sp.float32 is np.float32 and sp.ndarray is DeviceArray


# -------------------------------------------------------- tinynet run under the stand-in
def test_tinynet_train_runs_under_the_standin(tmp_path: Path) -> None:
    logs = {}
    for backend in ("standin", "numpy"):
        out = tmp_path / backend
        r = subprocess.run(
            [sys.executable, "-m", "tinynet", "train", "--epochs", "3", "--quiet", "--no-plot",
             "--out", str(out)],
            env=_env(TINYNET_BACKEND=backend), capture_output=True, text=True, timeout=300,
        )
        assert r.returncode == 0, r.stderr
        assert f"backend {backend}" in r.stdout
        logs[backend] = json.loads((out / "log.json").read_text())
    assert logs["standin"]["backend"] == "standin"
    # numpy computes behind the stand-in: the same run, to the last bit
    for key in ("test_acc", "test_loss", "train_acc", "train_loss"):
        assert logs["standin"]["final"][key] == logs["numpy"]["final"][key], key
    assert logs["standin"]["final"]["test_acc"] > 0.9
    # the checkpoint was written from host copies and loads on the numpy backend
    import tinynet.train

    model, _ckpt = tinynet.train.load_checkpoint(tmp_path / "standin" / "checkpoint.safetensors")
    assert sum(p.size for p in model.parameters()) > 0


# The teaching notebooks, run as scripts (their jupytext sources) under the stand-in.
# 07 is the training notebook; the others train or differentiate small models too.
# Where a notebook's code crossed the boundary, it was fixed (found by this test: 01 and 05
# converted a device gradient implicitly, np.round(w.grad) / np.allclose(x, q.grad), now
# .numpy(); 06's exercise checks computed with host data inside a Function, now copied to
# the backend first). A notebook that must stay numpy-only would go here, as a strict xfail
# with the reason.
_CROSSING: dict[str, str] = {}
_NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=_CROSSING[n[:2]]))
        if n[:2] in _CROSSING else n
        for n in _NOTEBOOKS if not n.startswith("08")  # 08 runs its own cupy subprocess
    ],
)
def test_notebook_code_runs_under_the_standin(name: str) -> None:
    r = subprocess.run(
        [sys.executable, name], cwd=ROOT / "notebooks", env=_env(),
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]


_HOST_MIXING_RELU = """
import numpy
import tinynet as tn
from tinynet.ops.activations import ReLU

def backward(self, grad):  # a boundary bug: the mask is built on the host
    return (grad * (numpy.asarray(self.y) > 0),)

ReLU.backward = backward
x = tn.tensor([-1.0, 2.0], requires_grad=True)
try:
    tn.relu(x).sum().backward()
except TypeError as exc:
    print("refused:", exc)
else:
    print("gradient", x.grad.numpy().tolist())
"""


@pytest.mark.parametrize("which", ["numpy", "standin"])
def test_a_host_device_bug_passes_on_numpy_and_fails_on_the_standin(which: str) -> None:
    r = subprocess.run([sys.executable, "-c", _HOST_MIXING_RELU], env=_env(TINYNET_BACKEND=which),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    if which == "numpy":
        assert r.stdout.strip() == "gradient [0.0, 1.0]"
    else:
        assert r.stdout.startswith("refused: Implicit conversion to a NumPy array")
