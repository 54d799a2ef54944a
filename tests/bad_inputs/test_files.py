"""Bad inputs, file layer: ``tinynet.save`` / ``tinynet.load`` with hostile or broken files.

Every refused file raises ``ValueError`` whose message names the file and says what is
wrong; nothing runs code, and nothing is allocated beyond what the file holds (checked
with ``tracemalloc``, which sees numpy's data allocations too).
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import tinynet as tn
from bad_inputs._memory import peak_bytes
from tinynet import serialization

HEADER = {"format": "tinynet", "version": 1}


# --------------------------------------------------------------------------- helpers
def npy(descr: str, shape: str, data: bytes, *, fortran: bool = False, version=(1, 0)) -> bytes:
    """A ``.npy`` member written by hand, so its header can lie about its data."""
    literal = descr if descr.startswith("[") else repr(descr)  # structured: a list
    header = f"{{'descr': {literal}, 'fortran_order': {fortran}, 'shape': {shape}, }}\n"
    raw = header.encode("latin1")
    length = struct.pack("<H", len(raw)) if version == (1, 0) else struct.pack("<I", len(raw))
    return b"\x93NUMPY" + bytes(version) + length + raw + data


def write_zip(path, root, members=None, *, header=None, compression=zipfile.ZIP_STORED):
    """A zip with a tinynet structure member (or *header* verbatim) and *members*."""
    if header is None:
        header = json.dumps({**HEADER, "root": root})
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        zf.writestr("__tinynet__.json", header)
        for name, data in (members or {}).items():
            zf.writestr(name, data)
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


def central_entries(data: bytes):
    """``{name: offset}`` of the central-directory records of a (non-zip64) archive."""
    out, start = {}, 0
    while (i := data.find(b"PK\x01\x02", start)) >= 0:
        name_len = struct.unpack_from("<H", data, i + 28)[0]
        out[data[i + 46 : i + 46 + name_len].decode()] = i
        start = i + 4
    return out


def float64_member(n: int) -> bytes:
    return npy("<f8", f"({n},)", np.arange(n, dtype="<f8").tobytes())


# --------------------------------------------------------------------------- not a tinynet file
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"hello world", "not a zip"),
        (pickle.dumps({"w": [1.0]}), "pickle"),
        (b"\x93NUMPY\x01\x00", ".npy array"),
        (b"PK\x03\x04" + b"\x00" * 40, "corrupt or truncated"),
    ],
)
def test_non_tinynet_content_is_refused_with_the_file_name(tmp_path, content, fragment):
    path = tmp_path / "ckpt.npz"
    path.write_bytes(content)
    refused(path, fragment)


def test_plain_numpy_savez_and_torch_style_zip_are_refused(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(3))
    refused(plain, "unexpected member 'w.npy'")
    torch_like = tmp_path / "torch.pt"
    with zipfile.ZipFile(torch_like, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    refused(torch_like, "archive/data.pkl")


def test_every_truncation_of_a_valid_file_is_refused(tmp_path):
    good = tmp_path / "good.npz"
    tn.save({"w": np.arange(30.0), "s": np.float32(2.5), "t": (1, "x")}, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.npz"
    for cut in range(len(data)):
        bad.write_bytes(data[:cut])
        refused(bad)


def test_a_flipped_byte_anywhere_never_escapes_as_another_exception(tmp_path):
    good = tmp_path / "good.npz"
    tn.save({"w": np.arange(6.0), "n": 3, "k": {1: "a"}}, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.npz"
    for i in range(len(data)):
        for flip in (0x01, 0x80, 0xFF):
            corrupt = bytearray(data)
            corrupt[i] ^= flip
            bad.write_bytes(bytes(corrupt))
            try:
                tn.load(bad)  # some bytes (timestamps, padding) do not matter
            except ValueError as exc:
                assert str(bad) in str(exc)


# --------------------------------------------------------------------------- hostile archives
def test_member_declaring_more_than_the_file_holds_is_refused_before_reading(tmp_path):
    path = write_zip(tmp_path / "big.npz", {"array": "a0"}, {"a0.npy": float64_member(100)})
    data = bytearray(path.read_bytes())
    entry = central_entries(bytes(data))["a0.npy"]
    struct.pack_into("<II", data, entry + 20, 2**31, 2**31)  # compressed and real size
    path.write_bytes(bytes(data))
    assert peak_bytes(lambda: tn.load(path)) < 2**20
    refused(path, "'a0.npy' declares 2147483648 bytes", "file has only")


def test_overlapping_members_zip_bomb_is_refused(tmp_path):
    path = write_zip(
        tmp_path / "overlap.npz",
        [{"array": "a0"}, {"array": "a1"}],
        {"a0.npy": float64_member(5000), "a1.npy": float64_member(1)},
    )
    data = bytearray(path.read_bytes())
    entries = central_entries(bytes(data))
    a0 = entries["a0.npy"]
    size, offset = (
        struct.unpack_from("<I", data, a0 + 20)[0],
        struct.unpack_from("<I", data, a0 + 42)[0],
    )
    a1 = entries["a1.npy"]
    struct.pack_into("<II", data, a1 + 20, size, size)
    struct.pack_into("<I", data, a1 + 42, offset)  # a1 now claims a0's bytes again
    path.write_bytes(bytes(data))
    refused(path, "overlapping")


def test_compressed_member_zip_bomb_is_refused_without_inflating(tmp_path):
    zeros = npy("<f8", f"({2**22},)", bytes(8 * 2**22))  # 32 MiB of zeros, ~32 KiB deflated
    path = write_zip(
        tmp_path / "bomb.npz", {"array": "a0"}, {"a0.npy": zeros}, compression=zipfile.ZIP_DEFLATED
    )
    assert path.stat().st_size < 2**20
    assert peak_bytes(lambda: tn.load(path)) < 4 * 2**20
    refused(path, "compressed")


def test_encrypted_and_duplicate_members_are_refused(tmp_path):
    path = write_zip(tmp_path / "enc.npz", {"array": "a0"}, {"a0.npy": float64_member(3)})
    data = bytearray(path.read_bytes())
    entry = central_entries(bytes(data))["a0.npy"]
    data[entry + 8] |= 0x01  # the "encrypted" flag bit
    path.write_bytes(bytes(data))
    refused(path, "encrypted")

    dup = tmp_path / "dup.npz"
    with zipfile.ZipFile(dup, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("__tinynet__.json", json.dumps({**HEADER, "root": {"array": "a0"}}))
        zf.writestr("a0.npy", float64_member(3))
        zf.writestr("a0.npy", float64_member(3))
    refused(dup, "appears twice")


# --------------------------------------------------------------------------- .npy members
@pytest.mark.parametrize(
    ("shape", "fragment"),
    [
        (f"({2**25},)", f"declares shape ({2**25},) of float64 ({8 * 2**25} bytes)"),
        (f"({2**62}, {2**62})", f"({2**62}, {2**62})"),  # would overflow int64 arithmetic
        ("(-3,)", "invalid shape (-3,)"),
        ("(2, 3)", "holds 24 bytes of data"),
    ],
)
def test_npy_header_declaring_a_size_the_data_does_not_have(tmp_path, shape, fragment):
    path = write_zip(
        tmp_path / "shape.npz", {"array": "a0"}, {"a0.npy": npy("<f8", shape, bytes(24))}
    )
    assert peak_bytes(lambda: tn.load(path)) < 2**20  # never the declared 256 MiB
    refused(path, fragment)


def test_huge_itemsize_dtype_is_refused_before_allocation(tmp_path):
    path = write_zip(
        tmp_path / "u.npz", {"array": "a0"}, {"a0.npy": npy("<U1000000000", "()", b"")}
    )
    assert peak_bytes(lambda: tn.load(path)) < 2**20
    refused(path, "'a0.npy'", "'<U1000000000'")


@pytest.mark.parametrize(
    ("member", "fragment"),
    [
        (npy("|O", "(1,)", pickle.dumps([1])), "object arrays would need pickle"),
        (
            npy("[('a', '<f8'), ('b', '|O')]", "(1,)", b"\x00" * 16),
            "object arrays would need pickle",
        ),
        (npy("[('a', '<f8')]", "(1,)", b"\x00" * 8), "not supported"),
        (npy("|V8", "(1,)", b"\x00" * 8), "not supported"),
        (npy("<f8", "(1,)", b"\x00" * 8, version=(3, 0)), "format version (3, 0)"),
        (npy("<f8", "(1,)", b"\x00" * 8, version=(9, 9)), "format version (9, 9)"),
        (npy("<f8", "'one'", b"\x00" * 8), "header of 'a0.npy' is malformed"),
        (npy("not-a-dtype", "(1,)", b"\x00" * 8), "header of 'a0.npy' is malformed"),
        (b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 20, "declares 65535 bytes"),
        (b"\x93NUMPY\x01\x00" + struct.pack("<H", 9000) + b"(" * 9000, "is malformed"),
        (b"\x93NUM", "not a .npy array"),
        (pickle.dumps(np.zeros(2)), "not a .npy array"),
    ],
)
def test_bad_npy_members_are_refused(tmp_path, member, fragment):
    path = write_zip(tmp_path / "m.npz", {"array": "a0"}, {"a0.npy": member})
    refused(path, fragment)


def test_fortran_order_member_is_read_in_its_order(tmp_path):
    values = np.arange(6.0).reshape(2, 3)
    member = npy("<f8", "(2, 3)", values.tobytes(order="F"), fortran=True)
    path = write_zip(tmp_path / "f.npz", {"array": "a0"}, {"a0.npy": member})
    np.testing.assert_array_equal(tn.load(path), values)


def test_loaded_arrays_are_writable_and_big_endian_values_survive(tmp_path):
    path = write_zip(
        tmp_path / "be.npz",
        {"array": "a0"},
        {"a0.npy": npy(">i4", "(2,)", b"\x00\x00\x01\x02\xff\xff\xff\xfe")},
    )
    out = tn.load(path)
    np.testing.assert_array_equal(out, [0x0102, -2])
    out[0] = 7  # not a read-only view of a file buffer


# --------------------------------------------------------------------------- the JSON structure
def test_absurdly_nested_structure_is_refused_without_recursion_error(tmp_path):
    deep = "[" * 200_000 + "]" * 200_000
    path = write_zip(
        tmp_path / "deep.npz",
        None,
        header='{"format": "tinynet", "version": 1, "root": ' + deep + "}",
    )
    refused(path, "nested")
    nested = 1
    for _ in range(serialization.MAX_DEPTH + 5):  # deep, but within json's own limit
        nested = [nested]
    path = write_zip(tmp_path / "deep2.npz", nested)
    refused(path, f"nested more than {serialization.MAX_DEPTH} levels")


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"format": "tinynet", "version": 1, "root": [1,', "not valid JSON"),
        (b'{"format": "tinynet", "version": 1, "version": 1, "root": 1}', "key 'version' twice"),
        (b'{"format": "tinynet", "version": 2, "root": 1}', "format version 2"),
        (b'{"format": "other", "version": 1, "root": 1}', "not a tinynet header"),
        (b"[1, 2]", "not a tinynet header"),
        (
            b'{"format": "tinynet", "version": 1, "root": 1, "code": "x"}',
            "expected ['format', 'root', 'version']",
        ),
        (b'{"format": "tinynet", "version": 1}', "expected ['format', 'root', 'version']"),
    ],
)
def test_bad_structure_member_is_refused(tmp_path, header, fragment):
    path = write_zip(tmp_path / "h.npz", None, header=header)
    refused(path, fragment)


@pytest.mark.parametrize(
    ("root", "members", "fragment"),
    [
        ({"dict": [["w", {"array": "a0"}]]}, {}, "'a0' referenced at obj['w'] is missing"),
        ([{"array": "a0"}, {"array": "a0"}], {"a0.npy": float64_member(2)}, "referenced twice"),
        (1, {"a0.npy": float64_member(2)}, "not referenced"),
        ({"scalar": "a0"}, {"a0.npy": float64_member(2)}, "an array of shape (2,)"),
        ({"dict": [["k", 1], ["k", 2]]}, {}, "has the key 'k' twice"),
        ({"dict": [[True, 1]]}, {}, "malformed dict entry"),
        ({"dict": [["k"]]}, {}, "malformed dict entry"),
        ({"set": [1, 2]}, {}, "unrecognised entry at obj"),
        ({"array": 0}, {}, "unrecognised entry"),
        ({"array": "../etc/passwd"}, {}, "is missing"),
    ],
)
def test_structure_inconsistent_with_members_is_refused(tmp_path, root, members, fragment):
    path = write_zip(tmp_path / "s.npz", root, members)
    refused(path, fragment)


def test_oversized_structure_is_refused_on_save_and_load(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "MAX_STRUCTURE_BYTES", 1000)
    with pytest.raises(ValueError, match="MAX_STRUCTURE_BYTES=1000"):
        tn.save({"history": list(range(1000))}, tmp_path / "never.npz")
    assert not (tmp_path / "never.npz").exists()
    path = write_zip(tmp_path / "big.npz", list(range(1000)))
    refused(path, "more than MAX_STRUCTURE_BYTES=1000")


def test_directory_and_missing_paths_are_os_errors_naming_the_path(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        tn.load(tmp_path / "nope.npz")
    assert info.value.filename == str(tmp_path / "nope.npz")
    with pytest.raises(IsADirectoryError):
        tn.load(tmp_path)


# --------------------------------------------------------------------------- save
def test_save_refuses_self_reference_and_deep_nesting_before_writing(tmp_path):
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested more than 64 levels"):
        tn.save(loop, tmp_path / "x.npz")
    deep: object = 0
    for _ in range(200):
        deep = {"k": deep}
    with pytest.raises(ValueError, match="contain itself"):
        tn.save(deep, tmp_path / "x.npz")
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
        tn.save({"a": array}, tmp_path / "x.npz")
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
    tn.save(values, tmp_path / "all.npz")
    out = tn.load(tmp_path / "all.npz")
    for key, value in values.items():
        assert out[key].dtype == value.dtype, key
        np.testing.assert_array_equal(out[key], value)


def test_save_errors_name_the_given_path_not_a_temporary_file(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-dir" / "ckpt.npz"
    with pytest.raises(FileNotFoundError) as info:
        tn.save({"v": 1}, missing)
    assert info.value.filename == str(missing) and ".tmp" not in str(info.value)

    def disk_full(zf, name, array):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(serialization, "_write_array", disk_full)
    target = tmp_path / "ckpt.npz"
    with pytest.raises(OSError) as info:
        tn.save({"w": np.ones(3)}, target)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert ".tmp" not in str(info.value) and os.listdir(tmp_path) == []


def test_save_uses_the_shared_atomic_writer(tmp_path, monkeypatch):
    calls = []
    real = serialization.atomic_write
    monkeypatch.setattr(serialization, "atomic_write", lambda p, w: (calls.append(p), real(p, w)))
    tn.save({"v": 1}, tmp_path / "a.npz")
    assert calls == [str(tmp_path / "a.npz")]
    assert not hasattr(serialization, "_fsync_directory")


def test_loading_reads_the_structure_as_data_only(tmp_path):
    # A structure that looks like code stays a string; nothing is evaluated.
    root = {"dict": [["__import__('os').system('x')", "eval"]]}
    path = write_zip(tmp_path / "code.npz", root)
    assert tn.load(path) == {"__import__('os').system('x')": "eval"}
