"""Saving and loading state dicts: ``tinynet.save(obj, path)`` and ``tinynet.load(path)``.

What can be saved
    Nested ``dict`` (keys ``str`` or ``int``), ``list`` and ``tuple`` of arrays
    (numpy, cupy, or Tensors -- stored as their data), numpy scalars, Python
    ``int``/``float``/``str``/``bool`` and ``None``. That covers model state dicts
    (``{"0.weight": array, ...}``) and optimizer state dicts
    (``{"state": {0: {"m": array, "step": 3}}, "param_groups": [{"lr": 1e-3,
    "betas": (0.9, 0.999), "params": [0, 1]}]}``). Arrays must have a numeric, bool,
    string, datetime or timedelta dtype (no object or structured arrays). Anything
    else raises ``TypeError`` naming where in the structure it was found; a structure
    nested more than :data:`MAX_DEPTH` levels deep (or containing itself) raises
    ``ValueError``.

File format (an ``.npz`` file, i.e. a zip archive readable by ``numpy.load``)
    * ``__tinynet__.json`` -- the structure as JSON. Every container is a tagged JSON
      object, so nothing is ambiguous: ``{"dict": [[key, value], ...]}`` (a list of
      pairs, so integer keys stay integers), ``{"tuple": [...]}``,
      ``{"array": "a3"}`` / ``{"scalar": "a4"}`` (a reference to a member); JSON
      lists, numbers, strings, booleans and ``null`` stand for themselves.
    * ``a0.npy``, ``a1.npy``, ... -- the arrays, in numpy's ``.npy`` format, each
      referenced exactly once by the structure.

    Every member is *stored* (not compressed). Arrays come back as host ``numpy``
    arrays (move them with :func:`tinynet.backend.asarray`;
    ``Module.load_state_dict`` does this for you).

Safety -- differences from ``torch.save``/``torch.load``
    Nothing is ever pickled: arbitrary objects (a whole ``Module``) cannot be saved,
    and loading never runs code. ``load`` reads the archive itself rather than
    trusting ``numpy.load``, and raises ``ValueError`` -- with the file name in the
    message -- for anything that is not exactly what ``save`` writes: a pickle
    (``torch.save``), a plain ``.npz``, a truncated, corrupt or non-zip file, a
    compressed or encrypted member, object or structured arrays, an ``.npy`` header
    or JSON structure that is malformed, not UTF-8, nested more than
    :data:`MAX_DEPTH` levels, has duplicate keys or references a missing member.

    Nothing is allocated beyond what the file can hold: every size declared inside
    the file (central directory, ``.npy`` header shape and dtype) is checked, with
    exact integer arithmetic, against the bytes actually present before an array is
    allocated, and all members together must fit in the file (so overlapping
    "zip bomb" members are refused). Only a file system error (``FileNotFoundError``,
    ``PermissionError``, ``IsADirectoryError``) is an ``OSError`` instead.

Atomic writes
    ``save`` goes through :func:`tinynet._io.atomic_write`: the archive is written to
    a temporary file in the destination's directory, flushed and ``fsync``\\ ed, then
    renamed over the destination with ``os.replace``. If anything fails or the
    process dies mid-save, the old file is untouched and the temporary file is
    removed; errors name the path you gave, never the temporary file.

numpy is used here directly because this is host-side file I/O.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import struct
import warnings
import zipfile
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from tinynet._io import atomic_write
from tinynet.backend import to_numpy
from tinynet.tensor import Tensor

__all__ = ["save", "load", "MAX_DEPTH", "MAX_STRUCTURE_BYTES"]

FORMAT_NAME = "tinynet"
FORMAT_VERSION = 1
STRUCTURE_MEMBER = "__tinynet__.json"

#: The deepest nesting of containers that ``save`` writes and ``load`` accepts. A
#: state dict is 3-4 levels deep; the bound turns a self-referencing structure or a
#: hostile file into a clear ``ValueError`` instead of a ``RecursionError``.
MAX_DEPTH = 64

#: The largest JSON structure member ``save`` writes and ``load`` reads (64 MiB). JSON
#: decodes into Python objects several times its size; long lists of numbers belong
#: in an array, which is stored compactly.
MAX_STRUCTURE_BYTES = 64 * 2**20

# A .npy header is a short dict literal (~120 bytes); numpy's own default cap.
_MAX_NPY_HEADER = 10_000
# Dtype kinds that save writes and load accepts: bool, integers, floats, complex,
# bytes, str, datetime, timedelta -- fixed-size values without Python objects.
_ARRAY_KINDS = "biufcSUMm"
_MEMBER_NAME = re.compile(r"a(0|[1-9][0-9]*)\.npy")
_CHUNK = 1 << 20  # arrays are read in 1 MiB pieces straight into their final buffer


class _Malformed(ValueError):
    """Raised inside ``load``; re-raised as ``ValueError`` naming the file."""


def _check_array_dtype(dtype: np.dtype) -> str | None:
    """Why *dtype* cannot be stored, or ``None`` if it can."""
    if dtype.hasobject or dtype.kind not in _ARRAY_KINDS:
        return (
            f"dtype {dtype} is not supported: only numeric, bool, string, datetime and "
            "timedelta arrays are stored (object arrays would need pickle)"
        )
    if dtype.itemsize == 0:
        return f"dtype {dtype} has zero-size elements"
    return None


# --------------------------------------------------------------------------- encoding
class _Encoder:
    """Turns a nested object into a JSON-able structure plus a list of arrays."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []

    def _add_array(self, array: np.ndarray, where: str) -> str:
        problem = _check_array_dtype(array.dtype)
        if problem:
            raise TypeError(f"save: the array at {where} cannot be saved: {problem}")
        name = f"a{len(self.arrays)}"
        self.arrays.append(array)
        return name

    def encode(self, obj: Any, where: str, depth: int = 0) -> Any:
        # bool before int: bool is a subclass of int but must stay a bool.
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, float)):
            return obj
        if isinstance(obj, Tensor):
            return {"array": self._add_array(to_numpy(obj.data), where)}
        if isinstance(obj, np.generic):
            return {"scalar": self._add_array(np.asarray(obj), where)}
        if hasattr(obj, "__array__") and hasattr(obj, "dtype") and hasattr(obj, "shape"):
            return {"array": self._add_array(to_numpy(obj), where)}  # numpy or cupy array
        if isinstance(obj, (dict, list, tuple)) and depth >= MAX_DEPTH:
            raise ValueError(
                f"save: the structure is nested more than {MAX_DEPTH} levels deep at "
                f"{where[:200]}... (does a container contain itself?)"
            )
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(
                        f"save: dict keys must be str or int, got {type(key).__name__} "
                        f"key {key!r} at {where}"
                    )
                items.append([key, self.encode(value, f"{where}[{key!r}]", depth + 1)])
            return {"dict": items}
        if isinstance(obj, (list, tuple)):
            encoded = [self.encode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
            return {"tuple": encoded} if isinstance(obj, tuple) else encoded
        hint = ""
        if hasattr(obj, "state_dict"):
            hint = " (save its state_dict() instead)"
        raise TypeError(
            f"save: cannot save an object of type {type(obj).__name__} at {where}{hint}; "
            "supported: dict, list, tuple, arrays, Tensors, numbers, str, bool, None"
        )


# --------------------------------------------------------------------------- save
def _write_archive(fileobj: IO[bytes], header_json: bytes, arrays: list[np.ndarray]) -> None:
    """Write the zip archive: the JSON structure, then one ``.npy`` member per array."""
    with zipfile.ZipFile(fileobj, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(STRUCTURE_MEMBER, header_json)
        for i, array in enumerate(arrays):
            _write_array(zf, f"a{i}.npy", array)


def _write_array(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with zf.open(name, mode="w", force_zip64=True) as member:
        np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Save a (nested) state dict to *path*, atomically, without pickle.

    The file is written exactly at *path* (no ``.npz`` is appended, unlike
    ``numpy.savez``). See the module docstring for what can be saved and the format.

    Raises ``TypeError`` for a value that cannot be saved, ``ValueError`` for a
    structure nested too deeply or too large (both before any file is touched), and
    ``OSError`` naming *path* when the file cannot be written.

    Example::

        tinynet.save({"model": model.state_dict(), "epoch": 3}, "ckpt.npz")
        ckpt = tinynet.load("ckpt.npz")
        model.load_state_dict(ckpt["model"])
    """
    encoder = _Encoder()
    structure = encoder.encode(obj, "obj")  # fails before any file is touched
    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": structure}
    try:
        header_json = json.dumps(header).encode("utf-8")
    except ValueError as exc:  # e.g. an int with more digits than Python converts to str
        raise ValueError(f"save: the structure cannot be written as JSON: {exc}") from None
    if len(header_json) > MAX_STRUCTURE_BYTES:
        raise ValueError(
            f"save: the structure takes {len(header_json)} bytes as JSON, more than "
            f"MAX_STRUCTURE_BYTES={MAX_STRUCTURE_BYTES}; store long lists of numbers as "
            "numpy arrays instead"
        )
    given = os.fspath(path)
    try:
        atomic_write(given, lambda f: _write_archive(f, header_json, encoder.arrays))
    except OSError as exc:
        if exc.filename == given:
            raise  # atomic_write already names the user's path
        # An error while writing the content (disk full, I/O error) carries no file
        # name, or only the temporary file's: name the path the user gave.
        if exc.errno is not None and exc.strerror:
            raise type(exc)(exc.errno, f"save: {exc.strerror}", given) from exc
        raise type(exc)(f"save: could not write {given!r}: {exc}") from exc


# --------------------------------------------------------------------------- load
def load(path: str | os.PathLike[str]) -> Any:
    """Load what :func:`save` wrote. Arrays come back as host ``numpy`` arrays.

    Raises ``ValueError`` naming the file (and never runs code) when it is not a
    valid tinynet file: a pickle (e.g. from ``torch.save``), a plain ``.npz``, object
    arrays, a truncated, corrupt or hostile archive (see the module docstring for the
    full list). ``FileNotFoundError`` (or another ``OSError``) if *path* cannot be
    opened.
    """
    given = os.fspath(path)
    with open(given, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        magic = f.read(4)
        if magic != b"PK\x03\x04":
            if magic[:1] == b"\x80":
                kind = "it is a pickle file (tinynet never unpickles; torch.save writes these)"
            elif magic == b"\x93NUM":
                kind = "it is a single .npy array, not a tinynet archive"
            elif not magic:
                kind = "the file is empty"
            else:
                kind = "it is not a zip/npz archive"
            raise ValueError(f"load: {given!r} is not a tinynet file: {kind}")
        f.seek(0)
        try:
            return _read_archive(f, size)
        except _Malformed as exc:
            raise ValueError(f"load: {given!r} is not a valid tinynet file: {exc}") from None
        except RecursionError:
            raise ValueError(
                f"load: {given!r} is not a valid tinynet file: its JSON structure is nested "
                f"far more than {MAX_DEPTH} levels deep"
            ) from None
        except (
            zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError, ValueError,
            struct.error, OverflowError, NotImplementedError, RuntimeError, TypeError,
        ) as exc:  # fmt: skip
            raise ValueError(
                f"load: {given!r} is corrupt or truncated ({type(exc).__name__}: {exc})"
            ) from None


def _read_archive(f: IO[bytes], size: int) -> Any:
    """Check the archive's directory against *size*, then decode its structure."""
    with zipfile.ZipFile(f) as zf:
        infos = zf.infolist()
        by_name: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            if name in by_name:
                raise _Malformed(f"the member {name!r} appears twice")
            if name != STRUCTURE_MEMBER and not _MEMBER_NAME.fullmatch(name):
                raise _Malformed(
                    f"unexpected member {name[:100]!r} (a tinynet file holds only "
                    f"{STRUCTURE_MEMBER} and a0.npy, a1.npy, ...; a plain numpy.savez file?)"
                )
            if info.flag_bits & 0x1:
                raise _Malformed(f"the member {name!r} is encrypted")
            if info.compress_type != zipfile.ZIP_STORED:
                raise _Malformed(
                    f"the member {name!r} is compressed (method {info.compress_type}); "
                    "tinynet files store members uncompressed, which bounds what loading "
                    "can allocate"
                )
            # Stored means the data is in the file byte for byte: a member claiming
            # more than the file holds, or members that together claim more (they
            # would have to overlap: a zip bomb), is refused before anything is read.
            if (
                info.file_size != info.compress_size
                or info.header_offset + info.compress_size > size
            ):
                raise _Malformed(
                    f"the member {name!r} declares {info.file_size} bytes "
                    f"({info.compress_size} stored at offset {info.header_offset}) but the "
                    f"file has only {size} bytes"
                )
            total += info.compress_size
            by_name[name] = info
        if total > size:
            raise _Malformed(
                f"its members declare {total} bytes in all but the file has only {size} "
                "(overlapping members?)"
            )
        if STRUCTURE_MEMBER not in by_name:
            raise _Malformed(
                f"it has no {STRUCTURE_MEMBER} member (a plain numpy.savez file or another "
                "program's zip?)"
            )
        header = _read_structure(zf, by_name[STRUCTURE_MEMBER])
        referenced: set[str] = set()

        def array(ref: str, scalar: bool, where: str) -> Any:
            member = f"{ref}.npy"
            if member not in by_name:
                raise _Malformed(f"the array member {ref!r} referenced at {where} is missing")
            if member in referenced:
                # save never shares a member; allowing it would let a small file
                # decode into many copies of its largest array.
                raise _Malformed(f"the array member {ref!r} is referenced twice (again at {where})")
            referenced.add(member)
            value = _read_npy(zf, by_name[member])
            if scalar:
                if value.shape != ():
                    raise _Malformed(
                        f"the scalar at {where} refers to {ref!r}, an array of shape {value.shape}"
                    )
                return value[()]
            return value

        root = _decode(header["root"], array, "obj", 0)
        unused = sorted(set(by_name) - referenced - {STRUCTURE_MEMBER})
        if unused:
            raise _Malformed(f"the members {unused[:5]} are not referenced by the structure")
        return root


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Malformed(f"the JSON structure has the key {key[:80]!r} twice in one object")
        out[key] = value
    return out


def _read_structure(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, Any]:
    if info.file_size > MAX_STRUCTURE_BYTES:
        raise _Malformed(
            f"its {STRUCTURE_MEMBER} member has {info.file_size} bytes, more than "
            f"MAX_STRUCTURE_BYTES={MAX_STRUCTURE_BYTES}"
        )
    with zf.open(info) as member:
        raw = member.read()  # at most info.file_size: checked against the file above
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Malformed(f"its {STRUCTURE_MEMBER} member is not UTF-8 text ({exc})") from None
    try:
        # The C decoder raises RecursionError (caught by load) on absurd nesting.
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise _Malformed(f"its {STRUCTURE_MEMBER} member is not valid JSON ({exc})") from None
    if not (isinstance(header, dict) and header.get("format") == FORMAT_NAME):
        raise _Malformed("its structure member is not a tinynet header")
    if header.get("version") != FORMAT_VERSION:
        raise _Malformed(
            f"format version {header.get('version')!r} is not supported "
            f"(this tinynet reads version {FORMAT_VERSION})"
        )
    if set(header) != {"format", "version", "root"}:
        raise _Malformed(
            f"its header has the keys {sorted(header)}, expected ['format', 'root', 'version']"
        )
    return header


def _decode(node: Any, array: Callable[[str, bool, str], Any], where: str, depth: int) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if depth >= MAX_DEPTH:
        raise _Malformed(
            f"the structure is nested more than {MAX_DEPTH} levels deep at {where[:200]}"
        )
    if isinstance(node, list):
        return [_decode(v, array, f"{where}[{i}]", depth + 1) for i, v in enumerate(node)]
    if isinstance(node, dict) and len(node) == 1:
        ((tag, value),) = node.items()
        if tag == "dict" and isinstance(value, list):
            out: dict[Any, Any] = {}
            for pair in value:
                if not (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and isinstance(pair[0], (str, int))
                    and not isinstance(pair[0], bool)
                ):
                    raise _Malformed(f"malformed dict entry at {where}: {json.dumps(pair)[:80]}")
                key = pair[0]
                if key in out:
                    raise _Malformed(f"the dict at {where} has the key {key!r} twice")
                out[key] = _decode(pair[1], array, f"{where}[{key!r}]", depth + 1)
            return out
        if tag == "tuple" and isinstance(value, list):
            return tuple(_decode(v, array, f"{where}[{i}]", depth + 1) for i, v in enumerate(value))
        if tag in ("array", "scalar") and isinstance(value, str):
            return array(value, tag == "scalar", where)
    raise _Malformed(f"unrecognised entry at {where}: {json.dumps(node)[:80]}")


def _read_exact(member: IO[bytes], n: int, what: str) -> bytes:
    data = member.read(n)
    if len(data) != n:
        raise _Malformed(f"{what} is truncated ({len(data)} of {n} bytes)")
    return data


def _read_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """Read one ``.npy`` member; sizes are checked before the array is allocated."""
    name = info.filename
    with zf.open(info) as member:
        prefix = member.read(8)
        if len(prefix) < 8 or prefix[:6] != b"\x93NUMPY":
            raise _Malformed(f"the member {name!r} is not a .npy array")
        version = (prefix[6], prefix[7])
        if version == (1, 0):
            length_bytes = _read_exact(member, 2, f"the .npy header of {name!r}")
            (header_len,) = struct.unpack("<H", length_bytes)
        elif version == (2, 0):
            length_bytes = _read_exact(member, 4, f"the .npy header of {name!r}")
            (header_len,) = struct.unpack("<I", length_bytes)
        else:
            raise _Malformed(
                f"the member {name!r} has .npy format version {version}, expected 1.0 or 2.0"
            )
        start = 8 + len(length_bytes) + header_len
        if header_len > _MAX_NPY_HEADER or start > info.file_size:
            raise _Malformed(
                f"the .npy header of {name!r} declares {header_len} bytes (member size "
                f"{info.file_size}, limit {_MAX_NPY_HEADER})"
            )
        header = _read_exact(member, header_len, f"the .npy header of {name!r}")
        reader = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numpy warns about Python-2 style headers
                shape, fortran_order, dtype = reader(
                    io.BytesIO(length_bytes + header), max_header_size=_MAX_NPY_HEADER
                )
        except Exception as exc:  # numpy parses with ast and tokenize; any failure means junk
            raise _Malformed(f"the .npy header of {name!r} is malformed ({exc})") from None
        problem = _check_array_dtype(dtype)
        if problem:
            raise _Malformed(f"the member {name!r} has {problem}")
        if len(shape) > 64 or any(d < 0 for d in shape):
            raise _Malformed(f"the member {name!r} declares an invalid shape {shape}")
        # Exact integer arithmetic: a shape such as (2**40, 2**40) cannot wrap around.
        count = math.prod(shape)
        needed = count * dtype.itemsize
        present = info.file_size - start
        if needed != present:
            raise _Malformed(
                f"the member {name!r} declares shape {shape} of {dtype} ({needed} bytes) but "
                f"holds {present} bytes of data"
            )
        # needed == bytes present in the file: this allocation is bounded by the file.
        flat = np.empty(count, dtype=dtype)
        view = flat.view(np.uint8)
        done = 0
        while done < needed:
            chunk = member.read(min(_CHUNK, needed - done))
            if not chunk:
                raise _Malformed(f"the member {name!r} is truncated ({done} of {needed} bytes)")
            view[done : done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
            done += len(chunk)
        if member.read(1):  # also reaches the end, where zipfile checks the CRC
            raise _Malformed(f"the member {name!r} has data after its array")
    return flat.reshape(shape, order="F" if fortran_order else "C")
