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

File format: safetensors
    The file is a `safetensors <https://github.com/huggingface/safetensors>`_ file, a
    format with no code execution that PyTorch, JAX, numpy and others read:

    * every array is a **tensor named by its path**, the keys and list indices joined
      with dots: ``{"model": {"0.weight": w}, "optimizer": {"state": {0: {"m": m}}}}``
      holds the tensors ``model.0.weight`` and ``optimizer.state.0.m``. A root that
      is itself an array is the tensor ``tensor``. Two paths that join to the same name
      (``{"a.b": x, "a": {"b": y}}``), or the name ``__metadata__``, are refused.
    * the **structure** -- container types, int keys, tuples, numbers, strings,
      ``None`` -- is one JSON text in the file's metadata, under the key ``"tinynet"``:
      ``{"format": "tinynet", "version": 2, "root": ...}``. Every container is a tagged
      JSON object, so nothing is ambiguous: ``{"dict": [[key, value], ...]}`` (a list of
      pairs, so integer keys stay integers), ``{"tuple": [...]}``, ``{"array": name,
      "crc32": n}`` / ``{"scalar": name, "crc32": n}`` (a tensor; numpy scalars are 0-d
      tensors); JSON lists, numbers, strings, booleans and ``null`` stand for
      themselves. ``crc32`` is the checksum of the tensor's bytes, and the metadata key
      ``"tinynet.crc32"`` holds the structure's (safetensors itself has none), so a
      flipped bit is an error, not a silently wrong weight or key.
    * dtypes every safetensors reader knows (``bool``, ``(u)int8``-``(u)int64``,
      ``float16/32/64``) are stored as such, little-endian (a big-endian array also
      records ``"dtype"`` and comes back big-endian). Other saveable dtypes
      (complex, bytes and unicode strings, ``datetime64``, ``timedelta64``) are
      stored as their raw bytes, a ``U8`` tensor, with ``"dtype"`` and ``"shape"``
      in the structure: tinynet restores them, other readers see bytes.

    Arrays come back as writable host ``numpy`` arrays (move them with
    :func:`tinynet.backend.asarray`; ``Module.load_state_dict`` does this for you).

Safety -- differences from ``torch.save``/``torch.load``
    Nothing is ever pickled: arbitrary objects (a whole ``Module``) cannot be saved,
    and loading never runs code. The file is parsed by safetensors' own parser, which
    checks the header and every tensor's offsets, dtype and shape against the bytes
    actually in the file before anything is read, so nothing is allocated beyond what
    the file holds. ``load`` then raises ``ValueError`` -- with the file name in the
    message -- for anything that is not exactly what ``save`` writes: a pickle
    (``torch.save``), a zip or ``.npz`` (including files of tinynet 0.1, which wrote
    ``.npz``: they are no longer read), an ``.npy``, a truncated or corrupt file, a
    safetensors file that tinynet did not write (no ``"tinynet"`` metadata: read such
    files with ``safetensors.numpy.load_file``), a structure that is not valid JSON,
    nested more than :data:`MAX_DEPTH` levels, has duplicate keys, references a
    missing tensor or one twice, leaves a tensor unreferenced, or a checksum (of the
    structure or of a tensor) that does not match. Only a file system error
    (``FileNotFoundError``, ``PermissionError``, ``IsADirectoryError``) is an
    ``OSError`` instead.

Atomic writes
    ``save`` goes through :func:`tinynet._io.atomic_write`: the file is written to
    a temporary file in the destination's directory, flushed and ``fsync``\\ ed, then
    renamed over the destination with ``os.replace``. If anything fails or the
    process dies mid-save, the old file is untouched and the temporary file is
    removed; errors name the path you gave, never the temporary file.

numpy is used here directly because this is host-side file I/O.
"""

from __future__ import annotations

import json
import math
import os
import re
import zlib
from collections.abc import Callable
from typing import IO, Any

import numpy as np
import safetensors
import safetensors.numpy

from tinynet._io import atomic_write
from tinynet.backend import to_numpy
from tinynet.tensor import Tensor

__all__ = ["save", "load", "MAX_DEPTH", "MAX_STRUCTURE_BYTES", "METADATA_KEY", "ROOT_TENSOR"]

FORMAT_NAME = "tinynet"
FORMAT_VERSION = 2
#: The key of the safetensors metadata entry that holds the structure (JSON text).
METADATA_KEY = "tinynet"
#: The key of the metadata entry that holds the structure's CRC-32 (decimal text).
CHECKSUM_KEY = "tinynet.crc32"
#: The tensor name of a root that is itself an array (``tinynet.save(array, path)``).
ROOT_TENSOR = "tensor"

#: The deepest nesting of containers that ``save`` writes and ``load`` accepts. A
#: state dict is 3-4 levels deep; the bound turns a self-referencing structure or a
#: hostile file into a clear ``ValueError`` instead of a ``RecursionError``.
MAX_DEPTH = 64

#: The largest JSON structure ``save`` writes and ``load`` reads (64 MiB). JSON
#: decodes into Python objects several times its size; long lists of numbers belong
#: in an array, which is stored compactly.
MAX_STRUCTURE_BYTES = 64 * 2**20

# Dtype kinds that save writes and load accepts: bool, integers, floats, complex,
# bytes, str, datetime, timedelta -- fixed-size values without Python objects.
_ARRAY_KINDS = "biufcSUMm"
# numpy dtypes that safetensors stores as themselves (little-endian). complex64 is not
# among them: safetensors reads and writes it only since 0.7, and a file should not
# depend on the version that wrote it.
_NATIVE = tuple(
    np.dtype(t).newbyteorder("<")
    for t in (
        np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
        np.int64, np.uint64, np.float16, np.float32, np.float64,
    )
)  # fmt: skip
# A dtype string in the structure: numpy's ``dtype.str`` ('<c16', '|S3', '<M8[D]').
_DTYPE_STR = re.compile(r"[<>|][biufcSUMm][0-9]{1,10}(\[[0-9]*[a-zA-Z]{1,2}\])?")
_CHUNK = 1 << 20  # the file is written in 1 MiB pieces


class _Malformed(ValueError):
    """Raised inside ``load``; re-raised as ``ValueError`` naming the file."""


def _check_array_dtype(dtype: np.dtype) -> str | None:
    """Why *dtype* cannot be stored, or ``None`` if it can."""
    if dtype.hasobject or dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
        return (
            f"dtype {dtype} is not supported: only numeric, bool, string, datetime and "
            "timedelta arrays are stored (object arrays would need pickle)"
        )
    if dtype.itemsize == 0:
        return f"dtype {dtype} has zero-size elements"
    return None


def _little(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype


def _crc(array: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(array).reshape(-1).view(np.uint8))


# --------------------------------------------------------------------------- encoding
class _Encoder:
    """Turns a nested object into a JSON-able structure plus named tensors."""

    def __init__(self) -> None:
        self.tensors: dict[str, np.ndarray] = {}
        self._where: dict[str, str] = {}

    def _add_array(self, array: np.ndarray, where: str, name: str, tag: str) -> dict[str, Any]:
        problem = _check_array_dtype(array.dtype)
        if problem:
            raise TypeError(f"save: the array at {where} cannot be saved: {problem}")
        if name == "__metadata__":
            raise ValueError(
                f"save: the array at {where} would be the tensor '__metadata__', a name "
                "safetensors reserves; rename the key"
            )
        if name in self._where:
            raise ValueError(
                f"save: the arrays at {self._where[name]} and {where} would both be stored "
                f"as the tensor {name!r} (tensor names join the keys with '.'); rename one"
            )
        dtype = array.dtype
        node: dict[str, Any] = {tag: name}
        if _little(dtype) in _NATIVE:
            stored = np.asarray(array, dtype=_little(dtype), order="C")
            if stored.dtype.str != dtype.str:
                node["dtype"] = dtype.str  # big-endian: restored on load
        else:
            stored = np.frombuffer(np.asarray(array, order="C").tobytes(), dtype=np.uint8)
            node["dtype"] = dtype.str
            node["shape"] = list(array.shape)
        node["crc32"] = _crc(stored)
        self.tensors[name] = stored
        self._where[name] = where
        return node

    def encode(self, obj: Any, where: str, name: str | None, depth: int = 0) -> Any:
        # bool before int: bool is a subclass of int but must stay a bool.
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, float)):
            return obj
        tensor_name = ROOT_TENSOR if name is None else name
        if isinstance(obj, Tensor):
            return self._add_array(to_numpy(obj.data), where, tensor_name, "array")
        if isinstance(obj, np.generic):
            return self._add_array(np.asarray(obj), where, tensor_name, "scalar")
        if hasattr(obj, "__array__") and hasattr(obj, "dtype") and hasattr(obj, "shape"):
            # numpy or cupy array
            return self._add_array(to_numpy(obj), where, tensor_name, "array")
        if isinstance(obj, (dict, list, tuple)) and depth >= MAX_DEPTH:
            raise ValueError(
                f"save: the structure is nested more than {MAX_DEPTH} levels deep at "
                f"{where[:200]}... (does a container contain itself?)"
            )

        def child(part: object) -> str:
            return str(part) if name is None else f"{name}.{part}"

        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(
                        f"save: dict keys must be str or int, got {type(key).__name__} "
                        f"key {key!r} at {where}"
                    )
                encoded = self.encode(value, f"{where}[{key!r}]", child(key), depth + 1)
                items.append([key, encoded])
            return {"dict": items}
        if isinstance(obj, (list, tuple)):
            encoded_items = [
                self.encode(v, f"{where}[{i}]", child(i), depth + 1) for i, v in enumerate(obj)
            ]
            return {"tuple": encoded_items} if isinstance(obj, tuple) else encoded_items
        hint = ""
        if hasattr(obj, "state_dict"):
            hint = " (save its state_dict() instead)"
        raise TypeError(
            f"save: cannot save an object of type {type(obj).__name__} at {where}{hint}; "
            "supported: dict, list, tuple, arrays, Tensors, numbers, str, bool, None"
        )


# --------------------------------------------------------------------------- save
def _write_bytes(fileobj: IO[bytes], data: bytes) -> None:
    """Write *data* in 1 MiB pieces (a failure part-way leaves a partial temporary file)."""
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        fileobj.write(view[start : start + _CHUNK])


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Save a (nested) state dict to *path* as a safetensors file, atomically, without pickle.

    The file is written exactly at *path* (no extension is added; ``.safetensors`` is
    the usual one). See the module docstring for what can be saved and the format.

    Raises ``TypeError`` for a value that cannot be saved, ``ValueError`` for a
    structure nested too deeply or too large, or two arrays whose paths give the same
    tensor name (all before any file is touched), and ``OSError`` naming *path* when
    the file cannot be written.

    Example::

        tinynet.save({"model": model.state_dict(), "epoch": 3}, "ckpt.safetensors")
        ckpt = tinynet.load("ckpt.safetensors")
        model.load_state_dict(ckpt["model"])
    """
    encoder = _Encoder()
    structure = encoder.encode(obj, "obj", None)  # fails before any file is touched
    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": structure}
    try:
        header_json = json.dumps(header)
    except ValueError as exc:  # e.g. an int with more digits than Python converts to str
        raise ValueError(f"save: the structure cannot be written as JSON: {exc}") from None
    if len(header_json.encode("utf-8", "surrogatepass")) > MAX_STRUCTURE_BYTES:
        raise ValueError(
            f"save: the structure takes {len(header_json)} bytes as JSON, more than "
            f"MAX_STRUCTURE_BYTES={MAX_STRUCTURE_BYTES}; store long lists of numbers as "
            "numpy arrays instead"
        )
    try:
        checksum = str(zlib.crc32(header_json.encode("utf-8")))
        metadata = {METADATA_KEY: header_json, CHECKSUM_KEY: checksum}
        data = safetensors.numpy.save(encoder.tensors, metadata=metadata)
    except (safetensors.SafetensorError, UnicodeError, ValueError, TypeError) as exc:
        raise ValueError(f"save: safetensors could not encode the data: {exc}") from None
    given = os.fspath(path)
    try:
        atomic_write(given, lambda f: _write_bytes(f, data))
    except OSError as exc:
        if exc.filename == given:
            raise  # atomic_write already names the user's path
        # An error while writing the content (disk full, I/O error) carries no file
        # name, or only the temporary file's: name the path the user gave.
        if exc.errno is not None and exc.strerror:
            raise type(exc)(exc.errno, f"save: {exc.strerror}", given) from exc
        raise type(exc)(f"save: could not write {given!r}: {exc}") from exc


# --------------------------------------------------------------------------- load
def _not_safetensors(prefix: bytes) -> str | None:
    """Why a file starting with *prefix* (its first 9 bytes) is not safetensors, or None."""
    if len(prefix) >= 9 and prefix[8:9] == b"{":
        return None  # an 8-byte little-endian header length, then the JSON header
    if not prefix:
        return "the file is empty"
    if prefix[:1] == b"\x80":
        return "it is a pickle file (tinynet never unpickles; torch.save writes these)"
    if prefix[:4] == b"PK\x03\x04":
        return (
            "it is a zip archive: an .npz file (npz files from tinynet 0.1 are no longer "
            "read; load them with tinynet 0.1 and save again), a numpy.savez or a torch.save "
            "file"
        )
    if prefix[:6] == b"\x93NUMPY":
        return "it is a single .npy array"
    return "it does not start with a safetensors header"


def load(path: str | os.PathLike[str]) -> Any:
    """Load what :func:`save` wrote. Arrays come back as writable host ``numpy`` arrays.

    Raises ``ValueError`` naming the file (and never runs code) when it is not a
    tinynet safetensors file: a pickle (e.g. from ``torch.save``), an ``.npz`` (tinynet
    0.1's format, no longer read), a safetensors file without tinynet's metadata, a
    truncated, corrupt or hostile file (see the module docstring for the full list).
    ``FileNotFoundError`` (or another ``OSError``) if *path* cannot be opened.
    """
    given = os.fspath(path)
    with open(given, "rb") as f:
        prefix = f.read(9)
    problem = _not_safetensors(prefix)
    if problem:
        raise ValueError(f"load: {given!r} is not a tinynet safetensors file: {problem}")
    try:
        with safetensors.safe_open(given, framework="np") as st:
            return _read(st)
    except _Malformed as exc:
        raise ValueError(f"load: {given!r} is not a valid tinynet file: {exc}") from None
    except RecursionError:
        raise ValueError(
            f"load: {given!r} is not a valid tinynet file: its JSON structure is nested "
            f"far more than {MAX_DEPTH} levels deep"
        ) from None
    except (
        safetensors.SafetensorError, ValueError, TypeError, KeyError, OverflowError,
        UnicodeError, RuntimeError,
    ) as exc:  # fmt: skip
        raise ValueError(
            f"load: {given!r} is corrupt or truncated ({type(exc).__name__}: {exc})"
        ) from None


def _read(st: Any) -> Any:
    """Decode an open safetensors file: its structure, then the tensors it references."""
    metadata = st.metadata() or {}
    if METADATA_KEY not in metadata:
        raise _Malformed(
            f"it is a safetensors file without tinynet's {METADATA_KEY!r} metadata (another "
            "program wrote it; read it with safetensors.numpy.load_file(path), which gives "
            "a flat dict of arrays)"
        )
    text = metadata[METADATA_KEY]
    if len(text) > MAX_STRUCTURE_BYTES:
        raise _Malformed(
            f"its {METADATA_KEY!r} metadata has {len(text)} characters, more than "
            f"MAX_STRUCTURE_BYTES={MAX_STRUCTURE_BYTES}"
        )
    if metadata.get(CHECKSUM_KEY) != str(zlib.crc32(text.encode("utf-8", "surrogatepass"))):
        raise _Malformed(
            f"its structure does not match its checksum ({CHECKSUM_KEY!r} in the metadata "
            "is missing or different): the file is corrupt"
        )
    header = _parse_structure(text)
    names = set(st.keys())
    referenced: set[str] = set()

    def array(node: dict[str, Any], tag: str, where: str) -> Any:
        name = node[tag]
        if name not in names:
            raise _Malformed(f"the tensor {name[:100]!r} referenced at {where} is missing")
        if name in referenced:
            # save never shares a tensor; allowing it would let a small file decode
            # into many copies of its largest array.
            raise _Malformed(f"the tensor {name[:100]!r} is referenced twice (again at {where})")
        referenced.add(name)
        value = np.asarray(st.get_tensor(name))  # sizes checked by safetensors' parser
        if _crc(value) != node["crc32"]:
            raise _Malformed(
                f"the tensor {name[:100]!r} (at {where}) does not match its checksum: the "
                "file is corrupt"
            )
        if "dtype" in node:
            value = _restore_dtype(value, node, name)
        if not value.flags.writeable:
            value = value.copy()
        if tag == "scalar":
            if value.shape != ():
                raise _Malformed(
                    f"the scalar at {where} refers to {name[:100]!r}, an array of shape "
                    f"{value.shape}"
                )
            return value[()]
        return value

    root = _decode(header["root"], array, "obj", 0)
    unused = sorted(names - referenced)
    if unused:
        raise _Malformed(
            f"the tensors {[n[:100] for n in unused[:5]]} are not referenced by the structure"
        )
    return root


def _restore_dtype(value: np.ndarray, node: dict[str, Any], name: str) -> np.ndarray:
    """Undo what ``save`` did to a big-endian or non-safetensors dtype."""
    text = node["dtype"]
    if not (isinstance(text, str) and _DTYPE_STR.fullmatch(text)):
        raise _Malformed(f"the tensor {name[:100]!r} has an invalid dtype {str(text)[:40]!r}")
    try:
        dtype = np.dtype(text)
    except TypeError as exc:
        raise _Malformed(
            f"the tensor {name[:100]!r} has an invalid dtype {text!r} ({exc})"
        ) from None
    problem = _check_array_dtype(dtype)
    if problem:
        raise _Malformed(f"the tensor {name[:100]!r} has {problem}")
    if "shape" not in node:  # a safetensors dtype in another byte order
        if _little(dtype) != value.dtype:
            raise _Malformed(
                f"the tensor {name[:100]!r} is {value.dtype} but its structure says {dtype}"
            )
        return value.astype(dtype)
    shape = node["shape"]
    if not (
        isinstance(shape, list)
        and len(shape) <= 64
        and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
    ):
        raise _Malformed(f"the tensor {name[:100]!r} has an invalid shape {str(shape)[:80]}")
    # Exact integer arithmetic: a shape such as (2**40, 2**40) cannot wrap around.
    needed = math.prod(shape) * dtype.itemsize
    if value.dtype != np.uint8 or value.ndim != 1 or needed != value.nbytes:
        raise _Malformed(
            f"the tensor {name[:100]!r} should hold {needed} bytes for shape {tuple(shape)} of "
            f"{dtype}, but it is a {value.dtype} tensor of shape {value.shape}"
        )
    # A view of bytes already read: nothing is allocated here.
    return value.view(dtype).reshape(shape)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Malformed(f"the JSON structure has the key {key[:80]!r} twice in one object")
        out[key] = value
    return out


def _parse_structure(text: str) -> dict[str, Any]:
    try:
        # The C decoder raises RecursionError (caught by load) on absurd nesting.
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise _Malformed(f"its {METADATA_KEY!r} metadata is not valid JSON ({exc})") from None
    if not (isinstance(header, dict) and header.get("format") == FORMAT_NAME):
        raise _Malformed(f"its {METADATA_KEY!r} metadata is not a tinynet header")
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


def _array_node(node: dict[str, Any]) -> str | None:
    """The tag (``"array"``/``"scalar"``) of a well-formed tensor reference, else None."""
    tags = [t for t in ("array", "scalar") if t in node]
    if len(tags) != 1 or not isinstance(node[tags[0]], str):
        return None
    allowed = {tags[0], "crc32", "dtype", "shape"}
    crc = node.get("crc32")
    if not set(node) <= allowed or not isinstance(crc, int) or isinstance(crc, bool):
        return None
    if "shape" in node and "dtype" not in node:
        return None
    return tags[0]


def _decode(
    node: Any, array: Callable[[dict[str, Any], str, str], Any], where: str, depth: int
) -> Any:
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
    if isinstance(node, dict):
        tag = _array_node(node)
        if tag is not None:
            return array(node, tag, where)
    raise _Malformed(f"unrecognised entry at {where}: {json.dumps(node)[:80]}")
