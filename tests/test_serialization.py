"""tinynet.save / tinynet.load: round trips, the safetensors file, atomic writes, unsafe files."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

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
# Keys whose dotted tensor names never collide (a str "1" beside an int 1, or "a.b" beside
# "a" -> "b", would be refused: test_colliding_tensor_names_are_refused_before_writing).
keys = st.one_of(st.text(max_size=5).map(lambda t: "k" + t.replace(".", "_")), st.integers(-5, 5))
structures = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(keys, children, max_size=3),
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
    path = tmp_path / "obj.safetensors"
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
    path = tmp_path / "opt.safetensors"
    tn.save(state, path)
    loaded = tn.load(path)
    nan = loaded.pop("nan")
    state.pop("nan")
    assert nan != nan  # NaN survives
    assert_same(state, loaded)
    assert list(loaded["state"]) == [0, 1]  # int keys, not "0", "1"
    assert isinstance(loaded["param_groups"][0]["betas"], tuple)
    assert isinstance(loaded["scalar"], np.float32)


def test_checkpoint_is_read_by_safetensors_alone_with_every_tensor(tmp_path):
    """The file is plain safetensors: another reader finds every tensor by its dotted path."""
    model = nn.Sequential(nn.Dense(4, 5, activation="relu", seed=0), nn.Dense(5, 2, seed=1))
    opt = tn.optim.Adam(model.parameters(), lr=1e-2)
    model(tn.tensor(np.ones((3, 4), np.float32))).sum().backward()
    opt.step()
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1,
            "normalization": {"mean": np.zeros(4), "std": np.ones(4)}}  # fmt: skip
    path = tmp_path / "checkpoint.safetensors"
    tn.save(ckpt, path)

    # A separate interpreter that imports safetensors and numpy only, never tinynet.
    reader = (
        "import json, sys, safetensors.numpy\n"
        "tensors = safetensors.numpy.load_file(sys.argv[1])\n"
        "assert not any(m.startswith('tinynet') for m in sys.modules)\n"
        "print(json.dumps({k: [v.dtype.str, list(v.shape), v.tolist()] for k, v in tensors.items()}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", reader, str(path)], capture_output=True, text=True, check=True,
        cwd=tmp_path,
    )  # fmt: skip
    plain = json.loads(out.stdout)
    expected = {f"model.{k}": v for k, v in ckpt["model"].items()}
    for index, state in ckpt["optimizer"]["state"].items():
        for key, value in state.items():
            if isinstance(value, (np.ndarray, np.generic)):
                expected[f"optimizer.state.{index}.{key}"] = np.asarray(value)
    expected["normalization.mean"] = np.zeros(4)
    expected["normalization.std"] = np.ones(4)
    assert set(plain) == set(expected)
    assert len(expected) >= 4 + 2 * 4  # weights, biases and Adam's two moments each
    for name, value in expected.items():
        dtype, shape, values = plain[name]
        assert np.dtype(dtype) == value.dtype and tuple(shape) == value.shape, name
        np.testing.assert_array_equal(np.array(values, dtype=dtype).reshape(shape), value)


def test_structure_is_json_in_the_safetensors_metadata(tmp_path):
    from safetensors import safe_open

    path = tmp_path / "m.safetensors"
    tn.save({"w": np.eye(2), "k": {3: (1, None)}}, path)
    with safe_open(str(path), framework="np") as f:
        header = json.loads(f.metadata()["tinynet"])
        assert list(f.keys()) == ["w"]
    assert header["format"] == "tinynet" and header["version"] == 2
    assert header["root"]["dict"][0][1]["array"] == "w"
    assert header["root"]["dict"][1] == ["k", {"dict": [[3, {"tuple": [1, None]}]]}]


def test_dotted_and_empty_keys_round_trip_and_name_their_tensors(tmp_path):
    import safetensors.numpy

    obj = {"": np.ones(2), "0.weight": np.zeros(1), "x": {"": np.ones(1), -1: [np.eye(2)]}}
    path = tmp_path / "k.safetensors"
    tn.save(obj, path)
    assert_same(tn.load(path), obj)
    names = set(safetensors.numpy.load_file(str(path)))
    assert names == {"", "0.weight", "x.", "x.-1.0"}


def test_colliding_tensor_names_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(ValueError, match=r"obj\['a.b'\] and obj\['a'\]\['b'\].*'a.b'"):
        tn.save({"a.b": np.ones(1), "a": {"b": np.zeros(1)}}, path)
    with pytest.raises(ValueError, match="__metadata__"):
        tn.save({"__metadata__": np.ones(1)}, path)
    assert os.listdir(tmp_path) == []
    # a str key "0" and an int key 0 in different dicts are fine; in one dict they collide
    with pytest.raises(ValueError, match="tensor '0'"):
        tn.save({0: np.ones(1), "0": np.ones(1)}, path)


def test_model_state_dict_round_trip_through_a_file(tmp_path):
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    a = nn.Sequential(nn.Dense(4, 5, activation="relu", seed=0), nn.Dense(5, 2, seed=1))
    b = nn.Sequential(nn.Dense(4, 5, activation="relu", seed=2), nn.Dense(5, 2, seed=3))
    tn.save(a.state_dict(), tmp_path / "model.safetensors")
    b.load_state_dict(tn.load(tmp_path / "model.safetensors"))
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda p: tn.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
        lambda p: tn.optim.Adam(p, lr=0.01, weight_decay=1e-3),
        lambda p: tn.optim.Adadelta(p, lr=1.0),
    ],
    ids=["sgd", "adam", "adadelta"],
)
def test_resume_from_a_saved_checkpoint_is_bit_for_bit(tmp_path, make_opt):
    rng = np.random.default_rng(0)
    X = tn.tensor(rng.normal(size=(8, 3)).astype(np.float32))
    y = tn.tensor(rng.normal(size=(8, 2)).astype(np.float32))

    def build(seed_or_state):
        model = nn.Sequential(nn.Dense(3, 4, activation="tanh", seed=0), nn.Dense(4, 2, seed=1))
        if isinstance(seed_or_state, dict):
            model.load_state_dict(seed_or_state)
        return model, make_opt(model.parameters())

    def run(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((model(X) - y) ** 2).mean().backward()
            opt.step()

    straight, opt = build(0)
    run(straight, opt, 6)

    model, opt = build(0)
    run(model, opt, 3)
    path = tmp_path / "ckpt.safetensors"
    tn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)
    ckpt = tn.load(path)
    assert_same(ckpt["optimizer"], opt.state_dict())  # int keys, tuples, numbers intact
    resumed, opt = build(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    run(resumed, opt, 3)
    for key, value in straight.state_dict().items():
        assert np.array_equal(resumed.state_dict()[key], value), key


def test_tensors_are_saved_as_their_data(tmp_path):
    tn.save({"t": tn.tensor([1.0, 2.0])}, tmp_path / "t.safetensors")
    loaded = tn.load(tmp_path / "t.safetensors")["t"]
    assert isinstance(loaded, np.ndarray) and loaded.dtype == np.float32


@pytest.mark.parametrize("bad", [
    {"f": print}, {"s": {1, 2}}, {(1, 2): 3}, {1.5: 0}, {True: 0},
    {"o": np.array([{}], dtype=object)}, nn.Dense(2, 2),
])  # fmt: skip
def test_unsupported_values_raise_type_error_and_write_nothing(tmp_path, bad):
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError):
        tn.save(bad, path)
    assert os.listdir(tmp_path) == []


def test_saving_a_module_suggests_state_dict(tmp_path):
    with pytest.raises(TypeError, match="state_dict"):
        tn.save(nn.Dense(2, 2), tmp_path / "m.safetensors")


# --------------------------------------------------------------------------- atomicity
def test_failure_mid_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    old = {"w": np.arange(5.0), "epoch": 1}
    tn.save(old, path)
    old_bytes = path.read_bytes()

    real_write = serialization._write_bytes
    calls = []

    def failing_write(fileobj, data):
        calls.append(len(data))
        real_write(fileobj, data[: len(data) // 2])  # half of the new file is written
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(serialization, "_write_bytes", failing_write)
    with pytest.raises(OSError, match="simulated"):
        tn.save({"w": np.zeros(1000), "b": np.ones(3), "epoch": 2}, path)
    assert len(calls) == 1
    assert path.read_bytes() == old_bytes
    assert_same(tn.load(path), old)
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_interrupt_during_rename_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    tn.save({"v": 1}, path)

    def interrupted_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        tn.save({"v": 2}, path)
    monkeypatch.undo()
    assert tn.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_save_replaces_and_fsyncs(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(serialization.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = tmp_path / "a.safetensors"
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
    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(pickle.dumps({"w": _Marker(str(marker))}))
    with pytest.raises(ValueError, match="pickle"):
        tn.load(evil)
    assert not marker.exists()


def test_npz_files_of_tinynet_0_1_and_numpy_are_refused_clearly(tmp_path):
    path = tmp_path / "old.npz"
    np.savez(path, a=np.ones(2))
    with pytest.raises(ValueError, match="npz files from tinynet 0.1 are no longer read"):
        tn.load(path)
    np.savez(path, a=np.array([{}, None], dtype=object))
    with pytest.raises(ValueError, match="not a tinynet safetensors file"):
        tn.load(path)


def test_foreign_safetensors_file_is_refused_with_a_pointer_to_safetensors(tmp_path):
    import safetensors.numpy

    path = tmp_path / "torch.safetensors"
    safetensors.numpy.save_file({"0.weight": np.ones((2, 2), np.float32)}, str(path))
    with pytest.raises(ValueError, match="without tinynet's 'tinynet' metadata.*load_file"):
        tn.load(path)


def test_truncated_files_raise_value_error(tmp_path):
    good = tmp_path / "good.safetensors"
    tn.save({"w": np.arange(50.0), "b": np.ones(4, dtype=np.float32), "n": 3}, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.safetensors"
    for cut in range(0, len(data), max(1, len(data) // 40)):
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError):
            tn.load(bad)


@pytest.mark.parametrize(
    "content", [b"", b"hello world", b"\x93NUMPY", b"PK\x03\x04garbage", b"\x10" + bytes(7) + b"{}"]
)
def test_non_safetensors_files_raise_value_error(tmp_path, content):
    path = tmp_path / "x.safetensors"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        tn.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tn.load(tmp_path / "nope.safetensors")


def test_corrupted_tensor_bytes_fail_the_checksum(tmp_path):
    good = tmp_path / "good.safetensors"
    tn.save({"w": np.arange(200.0)}, good)
    data = bytearray(good.read_bytes())
    data[-100] ^= 0xFF  # inside the tensor data, which safetensors itself does not check
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="'w'.*does not match its checksum"):
        tn.load(bad)
