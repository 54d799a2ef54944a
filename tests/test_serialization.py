"""tinynet.save / tinynet.load: round trips, atomic writes, refusal of unsafe files."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinynet as tn
from tinynet import nn, serialization

# --------------------------------------------------------------------------- round trips
arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.bool_, np.uint8]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
)
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False), st.text(max_size=8), arrays,
)  # fmt: skip
structures = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(-5, 5)), children, max_size=3),
    ),
    max_leaves=10,
)


def assert_same(a, b):
    """Equal values *and* equal types (int keys stay int, tuples stay tuples)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        assert [type(k) for k in a] == [type(k) for k in b]
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(obj=structures)
def test_round_trip_of_nested_structures(tmp_path, obj):
    path = tmp_path / "obj.npz"
    tn.save(obj, path)
    assert_same(obj, tn.load(path))


def test_optimizer_like_state_dict_round_trip(tmp_path):
    state = {
        "state": {0: {"m": np.arange(3, dtype=np.float32), "v": np.ones((2, 2)), "step": 3},
                  1: {"step": 0, "momentum_buffer": None}},
        "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "params": [0, 1],
                          "nesterov": False, "name": "adam", "weight_decay": 0}],
        "scalar": np.float32(2.5),
        "nan": float("nan"),
    }  # fmt: skip
    path = tmp_path / "opt.npz"
    tn.save(state, path)
    loaded = tn.load(path)
    nan = loaded.pop("nan")
    state.pop("nan")
    assert nan != nan  # NaN survives
    assert_same(state, loaded)
    assert list(loaded["state"]) == [0, 1]  # int keys, not "0", "1"
    assert isinstance(loaded["param_groups"][0]["betas"], tuple)
    assert isinstance(loaded["scalar"], np.float32)


def test_file_is_an_npz_readable_without_pickle(tmp_path):
    path = tmp_path / "m.npz"
    tn.save({"w": np.eye(2)}, path)
    with np.load(path, allow_pickle=False) as npz:
        header = json.loads(bytes(npz["__tinynet__.json"]).decode())
        assert header["format"] == "tinynet"
        member = header["root"]["dict"][0][1]["array"]
        np.testing.assert_array_equal(npz[member], np.eye(2))


def test_model_state_dict_round_trip_through_a_file(tmp_path):
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    a = nn.Sequential(nn.Dense(4, 5, activation="relu", seed=0), nn.Dense(5, 2, seed=1))
    b = nn.Sequential(nn.Dense(4, 5, activation="relu", seed=2), nn.Dense(5, 2, seed=3))
    tn.save(a.state_dict(), tmp_path / "model.npz")
    b.load_state_dict(tn.load(tmp_path / "model.npz"))
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_tensors_are_saved_as_their_data(tmp_path):
    tn.save({"t": tn.tensor([1.0, 2.0])}, tmp_path / "t.npz")
    loaded = tn.load(tmp_path / "t.npz")["t"]
    assert isinstance(loaded, np.ndarray) and loaded.dtype == np.float32


@pytest.mark.parametrize("bad", [
    {"f": print}, {"s": {1, 2}}, {(1, 2): 3}, {1.5: 0}, {True: 0},
    {"o": np.array([{}], dtype=object)}, nn.Dense(2, 2),
])  # fmt: skip
def test_unsupported_values_raise_type_error_and_write_nothing(tmp_path, bad):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError):
        tn.save(bad, path)
    assert os.listdir(tmp_path) == []


def test_saving_a_module_suggests_state_dict(tmp_path):
    with pytest.raises(TypeError, match="state_dict"):
        tn.save(nn.Dense(2, 2), tmp_path / "m.npz")


# --------------------------------------------------------------------------- atomicity
def test_failure_mid_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    old = {"w": np.arange(5.0), "epoch": 1}
    tn.save(old, path)
    old_bytes = path.read_bytes()

    real_write = serialization._write_array
    calls = []

    def failing_write(zf, name, array):
        calls.append(name)
        if len(calls) == 2:  # the first array is already in the new file
            raise OSError("disk full (simulated)")
        real_write(zf, name, array)

    monkeypatch.setattr(serialization, "_write_array", failing_write)
    with pytest.raises(OSError, match="simulated"):
        tn.save({"w": np.zeros(1000), "b": np.ones(3), "epoch": 2}, path)
    assert len(calls) == 2
    assert path.read_bytes() == old_bytes
    assert_same(tn.load(path), old)
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_interrupt_during_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tn.save({"v": 1}, path)

    def interrupted_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        tn.save({"v": 2}, path)
    monkeypatch.undo()
    assert tn.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_save_replaces_and_fsyncs(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(serialization.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = tmp_path / "a.npz"
    tn.save({"v": 1}, path)
    tn.save({"v": 2}, path)
    assert tn.load(path) == {"v": 2}
    assert len(synced) >= 2  # at least the file, each time


# --------------------------------------------------------------------------- unsafe or broken files
class _Marker:
    """Unpickling this would create a file: the test checks it never happens."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_file_is_refused_and_runs_no_code(tmp_path):
    marker = tmp_path / "MARKER"
    evil = tmp_path / "evil.npz"
    evil.write_bytes(pickle.dumps({"w": _Marker(str(marker))}))
    with pytest.raises(ValueError, match="pickle"):
        tn.load(evil)
    assert not marker.exists()


def _tinynet_zip(path, extra_members):
    """A file with a valid tinynet header whose members are attacker-chosen."""
    header = {"format": "tinynet", "version": 1, "root": {"dict": [["w", {"array": "a0"}]]}}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__tinynet__.json", json.dumps(header))
        for name, data in extra_members.items():
            zf.writestr(name, data)


def test_object_array_member_is_refused_and_runs_no_code(tmp_path):
    marker = tmp_path / "MARKER"
    buf = io.BytesIO()
    np.save(buf, np.array([_Marker(str(marker))], dtype=object), allow_pickle=True)
    path = tmp_path / "obj.npz"
    _tinynet_zip(path, {"a0.npy": buf.getvalue()})
    with pytest.raises(ValueError, match="not a valid tinynet file"):
        tn.load(path)
    assert not marker.exists()


def test_pickled_member_is_refused_and_runs_no_code(tmp_path):
    marker = tmp_path / "MARKER"
    path = tmp_path / "pkl-member.npz"
    _tinynet_zip(path, {"a0.npy": pickle.dumps(_Marker(str(marker)))})
    with pytest.raises(ValueError):
        tn.load(path)
    assert not marker.exists()


def test_plain_numpy_npz_with_object_array_is_refused(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, a=np.array([{}, None], dtype=object))
    with pytest.raises(ValueError):
        tn.load(path)


def test_truncated_files_raise_value_error(tmp_path):
    good = tmp_path / "good.npz"
    tn.save({"w": np.arange(50.0), "b": np.ones(4, dtype=np.float32), "n": 3}, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.npz"
    for cut in range(0, len(data), max(1, len(data) // 40)):
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError):
            tn.load(bad)


@pytest.mark.parametrize("content", [b"", b"hello world", b"\x93NUMPY", b"PK\x03\x04garbage"])
def test_non_npz_files_raise_value_error(tmp_path, content):
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        tn.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tn.load(tmp_path / "nope.npz")


def test_unknown_version_and_missing_member_are_clear(tmp_path):
    path = tmp_path / "v.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__tinynet__.json", json.dumps({"format": "tinynet", "version": 99, "root": 1}))
    with pytest.raises(ValueError, match="version"):
        tn.load(path)
    _tinynet_zip(path, {})  # header refers to a0, which is absent
    with pytest.raises(ValueError, match="a0"):
        tn.load(path)


def test_corrupted_bytes_inside_the_archive_raise_value_error(tmp_path):
    good = tmp_path / "good.npz"
    tn.save({"w": np.arange(200.0)}, good)
    data = bytearray(good.read_bytes())
    start = data.index(b"\x93NUMPY")  # inside the array member: the CRC no longer matches
    data[start + 200] ^= 0xFF
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        tn.load(bad)
