"""Bad inputs, file layer: ``tinynet.save`` / ``tinynet.load`` with hostile or broken files.

The files are safetensors files written by hand, so their headers can lie.

Every refused file raises ``ValueError`` whose message names the file and says what is
wrong; nothing runs code, and nothing is allocated beyond what the file holds (checked
with ``tracemalloc``, which sees numpy's data allocations too; safetensors' parser is
compiled code whose own allocations it cannot see, so those tests check that tinynet
allocates nothing the header declares, and the error shows the parser refused first).
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import struct
import zipfile
import zlib

import numpy as np
import pytest

import tinynet as tn
from bad_inputs._memory import peak_bytes
from tinynet import serialization

HEADER = {"format": "tinynet", "version": 2}


# --------------------------------------------------------------------------- helpers
def ref(name: str, data: bytes, tag: str = "array", **extra) -> dict:
    """The structure's reference to tensor *name* holding *data* (with its right checksum)."""
    return {tag: name, "crc32": zlib.crc32(data), **extra}


def write_st(path, root, tensors=None, *, structure=None, metadata=None, header_extra=None):
    """A safetensors file written by hand.

    *tensors* maps a name to ``(dtype, shape, data)``; offsets follow one another. The
    tinynet structure is ``{**HEADER, "root": root}`` unless *structure* (text) or
    *metadata* (the whole ``__metadata__`` map) is given.
    """
    if metadata is None:
        text = structure if structure is not None else json.dumps({**HEADER, "root": root})
        metadata = {"tinynet": text, "tinynet.crc32": str(zlib.crc32(text.encode()))}
    header: dict = {"__metadata__": metadata} if metadata else {}
    blob, offset = b"", 0
    for name, (dtype, shape, data) in (tensors or {}).items():
        header[name] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": [offset, offset + len(data)],
        }
        blob += data
        offset += len(data)
    header.update(header_extra or {})
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + blob)
    return path


def refused(path, *fragments):
    """``tn.load(path)`` raises ValueError naming *path* and containing every fragment."""
    with pytest.raises(ValueError) as info:
        tn.load(path)
    message = str(info.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


F8 = np.arange(3, dtype="<f8").tobytes()


# --------------------------------------------------------------------------- not a tinynet file
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"hello world", "does not start with a safetensors header"),
        (pickle.dumps({"w": [1.0]}), "pickle"),
        (b"\x93NUMPY\x01\x00", ".npy array"),
        (b"PK\x03\x04" + b"\x00" * 40, "npz files from tinynet 0.1 are no longer read"),
        (struct.pack("<Q", 2**60) + b"{}", "corrupt or truncated"),
        (struct.pack("<Q", 50) + b"{}", "corrupt or truncated"),
        (struct.pack("<Q", 2) + b"{]", "corrupt or truncated"),
    ],
)
def test_non_tinynet_content_is_refused_with_the_file_name(tmp_path, content, fragment):
    path = tmp_path / "ckpt.safetensors"
    path.write_bytes(content)
    refused(path, fragment)


def test_npz_files_torch_zips_and_foreign_safetensors_are_refused(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(3))
    refused(plain, "not a tinynet safetensors file", "npz files from tinynet 0.1")
    torch_like = tmp_path / "torch.pt"
    with zipfile.ZipFile(torch_like, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    refused(torch_like, "torch.save")
    foreign = write_st(tmp_path / "f.safetensors", None, {"w": ("F64", [3], F8)}, metadata={})
    refused(foreign, "without tinynet's 'tinynet' metadata", "safetensors.numpy.load_file")
    other = write_st(
        tmp_path / "o.safetensors", None, {"w": ("F64", [3], F8)}, metadata={"format": "pt"}
    )
    refused(other, "without tinynet's 'tinynet' metadata")


def test_every_truncation_of_a_valid_file_is_refused(tmp_path):
    good = tmp_path / "good.safetensors"
    tn.save({"w": np.arange(30.0), "s": np.float32(2.5), "t": (1, "x")}, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.safetensors"
    for cut in range(len(data)):
        bad.write_bytes(data[:cut])
        refused(bad)


def test_a_flipped_byte_anywhere_is_refused_or_harmless(tmp_path):
    original = {"w": np.arange(6.0), "n": 3, "k": {1: "a"}}
    good = tmp_path / "good.safetensors"
    tn.save(original, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.safetensors"
    for i in range(len(data)):
        for flip in (0x01, 0x80, 0xFF):
            corrupt = bytearray(data)
            corrupt[i] ^= flip
            bad.write_bytes(bytes(corrupt))
            try:
                loaded = tn.load(bad)
            except ValueError as exc:
                assert str(bad) in str(exc)
            else:
                # only padding or JSON whitespace can change without an error: the
                # structure and the tensor data are checked against their checksums
                assert loaded.keys() == original.keys() and loaded["k"] == {1: "a"}
                np.testing.assert_array_equal(loaded["w"], original["w"])


# --------------------------------------------------------------------------- hostile headers
@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"dtype": "F64", "shape": [2**25], "data_offsets": [0, 8 * 2**25]}, "corrupt"),
        ({"dtype": "F64", "shape": [2**62, 2**62], "data_offsets": [0, 24]}, "corrupt"),
        ({"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 24]}, "corrupt"),
        ({"dtype": "F64", "shape": [-3], "data_offsets": [0, 24]}, "corrupt"),
        ({"dtype": "F64", "shape": [3], "data_offsets": [8, 32]}, "corrupt"),
        ({"dtype": "OBJ", "shape": [3], "data_offsets": [0, 24]}, "corrupt"),
        ({"dtype": "BF16", "shape": [12], "data_offsets": [0, 24]}, "corrupt"),
    ],
)
def test_tensor_entries_the_data_does_not_back_are_refused_before_allocation(
    tmp_path, entry, fragment
):
    path = write_st(
        tmp_path / "shape.safetensors", ref("w", F8), {"w": ("F64", [3], F8)},
        header_extra={"w": entry},
    )  # fmt: skip
    assert peak_bytes(lambda: tn.load(path)) < 2**20  # never the declared sizes
    refused(path, fragment)


def test_overlapping_tensors_are_refused(tmp_path):
    path = write_st(
        tmp_path / "overlap.safetensors",
        [ref("a", F8), ref("b", F8)],
        {"a": ("F64", [3], F8)},
        header_extra={"b": {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]}},
    )
    refused(path, "corrupt or truncated")


def test_huge_header_length_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", 90 * 2**20) + b"{" + b" " * 100)
    assert peak_bytes(lambda: tn.load(path)) < 2**20
    refused(path, "corrupt or truncated")


# --------------------------------------------------------------------------- raw-byte tensors
@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"dtype": "|O8", "shape": [3]}, "invalid dtype '|O8'"),
        ({"dtype": "|V8", "shape": [3]}, "invalid dtype '|V8'"),
        ({"dtype": "[('a', '<f8')]", "shape": [3]}, "invalid dtype"),
        ({"dtype": "np.dtype", "shape": [3]}, "invalid dtype"),
        ({"dtype": "<U100000000", "shape": []}, "should hold 400000000 bytes"),
        ({"dtype": "<U1000000000", "shape": []}, "invalid dtype"),
        ({"dtype": "<c16", "shape": [2**62, 2**62]}, "should hold"),
        ({"dtype": "<c16", "shape": [-1]}, "invalid shape"),
        ({"dtype": "<c16", "shape": [True]}, "invalid shape"),
        ({"dtype": "<c16", "shape": "(1,)"}, "invalid shape"),
        ({"dtype": "<i4"}, "is float64 but its structure says int32"),
        ({"dtype": 5}, "invalid dtype"),
    ],
)
def test_bad_dtype_or_shape_in_the_structure_is_refused(tmp_path, extra, fragment):
    data = bytes(24)
    kind = ("U8", [24]) if "shape" in extra else ("F64", [3])
    path = write_st(tmp_path / "d.safetensors", ref("w", data, **extra), {"w": (*kind, data)})
    assert peak_bytes(lambda: tn.load(path)) < 2**20
    refused(path, fragment)


def test_raw_tensor_of_the_wrong_safetensors_dtype_is_refused(tmp_path):
    path = write_st(
        tmp_path / "r.safetensors",
        ref("w", F8, dtype="<c16", shape=[1]),
        {"w": ("F64", [3], F8)},
    )
    refused(path, "should hold 16 bytes for shape (1,) of complex128")


def test_loaded_arrays_are_writable_and_big_endian_values_survive(tmp_path):
    data = np.array([0x0102, -2], dtype="<i4").tobytes()
    path = write_st(
        tmp_path / "be.safetensors", ref("w", data, dtype=">i4"), {"w": ("I32", [2], data)}
    )
    out = tn.load(path)
    assert out.dtype == np.dtype(">i4")
    np.testing.assert_array_equal(out, [0x0102, -2])
    out[0] = 7  # not a read-only view of a file buffer


# --------------------------------------------------------------------------- the JSON structure
def test_absurdly_nested_structure_is_refused_without_recursion_error(tmp_path):
    deep = "[" * 200_000 + "]" * 200_000
    path = write_st(
        tmp_path / "deep.safetensors",
        None,
        structure='{"format": "tinynet", "version": 2, "root": ' + deep + "}",
    )
    refused(path, "nested")
    nested = 1
    for _ in range(serialization.MAX_DEPTH + 5):  # deep, but within json's own limit
        nested = [nested]
    path = write_st(tmp_path / "deep2.safetensors", nested)
    refused(path, f"nested more than {serialization.MAX_DEPTH} levels")


@pytest.mark.parametrize(
    ("structure", "fragment"),
    [
        ('{"format": "tinynet", "version": 2, "root": [1,', "not valid JSON"),
        ('{"format": "tinynet", "version": 2, "version": 2, "root": 1}', "key 'version' twice"),
        ('{"format": "tinynet", "version": 1, "root": 1}', "format version 1"),
        ('{"format": "other", "version": 2, "root": 1}', "not a tinynet header"),
        ("[1, 2]", "not a tinynet header"),
        (
            '{"format": "tinynet", "version": 2, "root": 1, "code": "x"}',
            "expected ['format', 'root', 'version']",
        ),
        ('{"format": "tinynet", "version": 2}', "expected ['format', 'root', 'version']"),
    ],
)
def test_bad_structure_metadata_is_refused(tmp_path, structure, fragment):
    path = write_st(tmp_path / "h.safetensors", None, structure=structure)
    refused(path, fragment)


W = {"w": ("F64", [3], F8)}


@pytest.mark.parametrize(
    ("root", "tensors", "fragment"),
    [
        ({"dict": [["w", ref("v", F8)]]}, {}, "'v' referenced at obj['w'] is missing"),
        ([ref("w", F8), ref("w", F8)], W, "referenced twice"),
        (1, W, "not referenced"),
        (ref("w", F8, "scalar"), W, "an array of shape (3,)"),
        (ref("w", F8[:8] + bytes(16)), W, "does not match its checksum"),
        ({"array": "w", "crc32": "0"}, W, "unrecognised entry"),
        ({"array": "w"}, W, "unrecognised entry"),
        ({"array": "w", "scalar": "w", "crc32": 0}, W, "unrecognised entry"),
        ({**ref("w", F8), "code": "x"}, W, "unrecognised entry"),
        ({**ref("w", F8), "shape": [3]}, W, "unrecognised entry"),
        ({"dict": [["k", 1], ["k", 2]]}, {}, "has the key 'k' twice"),
        ({"dict": [[True, 1]]}, {}, "malformed dict entry"),
        ({"dict": [["k"]]}, {}, "malformed dict entry"),
        ({"set": [1, 2]}, {}, "unrecognised entry at obj"),
        ({"array": 0, "crc32": 0}, {}, "unrecognised entry"),
        (ref("../etc/passwd", b""), {}, "is missing"),
    ],
)
def test_structure_inconsistent_with_tensors_is_refused(tmp_path, root, tensors, fragment):
    path = write_st(tmp_path / "s.safetensors", root, tensors)
    refused(path, fragment)


def test_oversized_structure_is_refused_on_save_and_load(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "MAX_STRUCTURE_BYTES", 1000)
    with pytest.raises(ValueError, match="MAX_STRUCTURE_BYTES=1000"):
        tn.save({"history": list(range(1000))}, tmp_path / "never.safetensors")
    assert not (tmp_path / "never.safetensors").exists()
    path = write_st(tmp_path / "big.safetensors", list(range(1000)))
    refused(path, "more than MAX_STRUCTURE_BYTES=1000")


def test_directory_and_missing_paths_are_os_errors_naming_the_path(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        tn.load(tmp_path / "nope.safetensors")
    assert info.value.filename == str(tmp_path / "nope.safetensors")
    with pytest.raises(IsADirectoryError):
        tn.load(tmp_path)


# --------------------------------------------------------------------------- save
def test_save_refuses_self_reference_and_deep_nesting_before_writing(tmp_path):
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested more than 64 levels"):
        tn.save(loop, tmp_path / "x.safetensors")
    deep: object = 0
    for _ in range(200):
        deep = {"k": deep}
    with pytest.raises(ValueError, match="contain itself"):
        tn.save(deep, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "array",
    [
        np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]),
        np.zeros(2, dtype="V4"),
        np.array([None, 1], dtype=object),
    ],
    ids=["structured", "void", "object"],
)
def test_save_refuses_dtypes_load_would_refuse(tmp_path, array):
    with pytest.raises(TypeError, match=r"the array at obj\['a'\] cannot be saved: dtype"):
        tn.save({"a": array}, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []


def test_every_saveable_dtype_round_trips(tmp_path):
    values = {
        "c": np.array([1 + 2j], dtype=np.complex64),
        "h": np.array([1.5], dtype=np.float16),
        "s": np.array([b"ab", b""]),
        "u": np.array(["tiny", "net"]),
        "t": np.array(["2024-01-02"], dtype="datetime64[D]"),
        "d": np.array([3], dtype="timedelta64[s]"),
        "be": np.array([1.0, 2.0], dtype=">f8"),
        "f": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "e": np.zeros((0, 3)),
        "z": np.float32(2.5),
    }
    values["c16"] = np.array([[1 - 1j], [2j]])
    values["i1"] = np.array([-1, 2], dtype=np.int8)
    values["u8"] = np.array([2**64 - 1], dtype=np.uint64)
    values["b"] = np.array([[True, False]])
    tn.save(values, tmp_path / "all.safetensors")
    out = tn.load(tmp_path / "all.safetensors")
    for key, value in values.items():
        assert out[key].dtype == value.dtype, key
        np.testing.assert_array_equal(out[key], value)
    # what another safetensors reader sees: numeric dtypes as themselves (little-endian),
    # the others as their raw bytes
    import safetensors.numpy

    plain = safetensors.numpy.load_file(str(tmp_path / "all.safetensors"))
    for key in ("h", "be", "f", "e", "z", "i1", "u8", "b"):
        assert plain[key].dtype == values[key].dtype.newbyteorder("<"), key
        np.testing.assert_array_equal(plain[key], values[key])
    for key in ("c", "c16", "s", "u", "t", "d"):
        assert plain[key].dtype == np.uint8 and plain[key].nbytes == values[key].nbytes, key


def test_save_errors_name_the_given_path_not_a_temporary_file(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-dir" / "ckpt.safetensors"
    with pytest.raises(FileNotFoundError) as info:
        tn.save({"v": 1}, missing)
    assert info.value.filename == str(missing) and ".tmp" not in str(info.value)

    def disk_full(fileobj, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(serialization, "_write_bytes", disk_full)
    target = tmp_path / "ckpt.safetensors"
    with pytest.raises(OSError) as info:
        tn.save({"w": np.ones(3)}, target)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert ".tmp" not in str(info.value) and os.listdir(tmp_path) == []


def test_save_uses_the_shared_atomic_writer(tmp_path, monkeypatch):
    calls = []
    real = serialization.atomic_write
    monkeypatch.setattr(serialization, "atomic_write", lambda p, w: (calls.append(p), real(p, w)))
    tn.save({"v": 1}, tmp_path / "a.safetensors")
    assert calls == [str(tmp_path / "a.safetensors")]
    assert not hasattr(serialization, "_fsync_directory")


def test_loading_reads_the_structure_as_data_only(tmp_path):
    # A structure that looks like code stays a string; nothing is evaluated.
    root = {"dict": [["__import__('os').system('x')", "eval"]]}
    path = write_st(tmp_path / "code.safetensors", root)
    assert tn.load(path) == {"__import__('os').system('x')": "eval"}
