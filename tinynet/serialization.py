"""Saving and loading state dicts: ``tinynet.save(obj, path)`` and ``tinynet.load(path)``.

What can be saved
    Nested ``dict`` (keys ``str`` or ``int``), ``list`` and ``tuple`` of arrays
    (numpy, cupy, or Tensors -- stored as their data), numpy scalars, Python
    ``int``/``float``/``str``/``bool`` and ``None``. That covers model state dicts
    (``{"0.weight": array, ...}``) and optimizer state dicts
    (``{"state": {0: {"m": array, "step": 3}}, "param_groups": [{"lr": 1e-3,
    "betas": (0.9, 0.999), "params": [0, 1]}]}``). Anything else raises ``TypeError``
    naming where in the structure it was found.

File format (an ``.npz`` file, i.e. a zip archive readable by ``numpy.load``)
    * ``__tinynet__.json`` -- the structure as JSON. Every container is a tagged JSON
      object, so nothing is ambiguous: ``{"dict": [[key, value], ...]}`` (a list of
      pairs, so integer keys stay integers), ``{"tuple": [...]}``,
      ``{"array": "a3"}`` / ``{"scalar": "a4"}`` (a reference to a member); JSON
      lists, numbers, strings, booleans and ``null`` stand for themselves.
    * ``a0.npy``, ``a1.npy``, ... -- the arrays, in numpy's ``.npy`` format.

    Arrays come back as host ``numpy`` arrays (move them with
    :func:`tinynet.backend.asarray`; ``Module.load_state_dict`` does this for you).

Safety -- differences from ``torch.save``/``torch.load``
    Nothing is ever pickled: arbitrary objects (a whole ``Module``) cannot be saved,
    and loading never runs code. Files are read with
    ``numpy.load(allow_pickle=False)``; a pickle, an object array, a truncated or
    foreign file raises ``ValueError``.

Atomic writes
    ``save`` writes to a temporary file in the destination's directory, flushes and
    ``fsync``\\ s it, then renames it over the destination with ``os.replace`` (atomic
    on POSIX and Windows). If anything fails or the process dies mid-save, the old
    file is untouched, and the temporary file is removed (when Python survives).

numpy is used here directly because this is host-side file I/O.
"""

from __future__ import annotations

import json
import os
import secrets
import zipfile
from typing import Any

import numpy as np

from tinynet.backend import to_numpy
from tinynet.tensor import Tensor

__all__ = ["save", "load"]

FORMAT_NAME = "tinynet"
FORMAT_VERSION = 1
STRUCTURE_MEMBER = "__tinynet__.json"


# --------------------------------------------------------------------------- encoding
class _Encoder:
    """Turns a nested object into a JSON-able structure plus a list of arrays."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []

    def _add_array(self, array: np.ndarray, where: str) -> str:
        if array.dtype.hasobject:
            raise TypeError(
                f"save: the array at {where} has dtype {array.dtype}, which would need pickle; "
                "only numeric, bool and string arrays can be saved"
            )
        name = f"a{len(self.arrays)}"
        self.arrays.append(array)
        return name

    def encode(self, obj: Any, where: str) -> Any:
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
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(
                        f"save: dict keys must be str or int, got {type(key).__name__} "
                        f"key {key!r} at {where}"
                    )
                items.append([key, self.encode(value, f"{where}[{key!r}]")])
            return {"dict": items}
        if isinstance(obj, (list, tuple)):
            encoded = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
            return {"tuple": encoded} if isinstance(obj, tuple) else encoded
        hint = ""
        if hasattr(obj, "state_dict"):
            hint = " (save its state_dict() instead)"
        raise TypeError(
            f"save: cannot save an object of type {type(obj).__name__} at {where}{hint}; "
            "supported: dict, list, tuple, arrays, Tensors, numbers, str, bool, None"
        )


def _decode(node: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, dict) and len(node) == 1:
        ((tag, value),) = node.items()
        if tag == "dict" and isinstance(value, list):
            out = {}
            for pair in value:
                if not (
                    isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))
                ):
                    raise ValueError(f"malformed dict entry at {where}")
                out[pair[0]] = _decode(pair[1], arrays, f"{where}[{pair[0]!r}]")
            return out
        if tag == "tuple" and isinstance(value, list):
            return tuple(_decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value))
        if tag in ("array", "scalar") and isinstance(value, str):
            if value not in arrays:
                raise ValueError(f"the array member {value!r} referenced at {where} is missing")
            array = arrays[value]
            return array[()] if tag == "scalar" else array
    raise ValueError(f"unrecognised entry at {where}: {json.dumps(node)[:80]}")


# --------------------------------------------------------------------------- save
def _write_archive(fileobj: Any, structure: Any, arrays: list[np.ndarray]) -> None:
    """Write the zip archive: the JSON structure, then one ``.npy`` member per array."""
    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": structure}
    with zipfile.ZipFile(fileobj, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(STRUCTURE_MEMBER, json.dumps(header))
        for i, array in enumerate(arrays):
            _write_array(zf, f"a{i}.npy", array)


def _write_array(zf: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with zf.open(name, mode="w", force_zip64=True) as member:
        np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Save a (nested) state dict to *path*, atomically, without pickle.

    The file is written exactly at *path* (no ``.npz`` is appended, unlike
    ``numpy.savez``). See the module docstring for what can be saved and the format.

    Example::

        tinynet.save({"model": model.state_dict(), "epoch": 3}, "ckpt.npz")
        ckpt = tinynet.load("ckpt.npz")
        model.load_state_dict(ckpt["model"])
    """
    encoder = _Encoder()
    structure = encoder.encode(obj, "obj")  # fails before any file is touched

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    # A unique name in the same directory (so os.replace is a rename, not a copy);
    # O_EXCL never reuses an existing file, and mode 0o666 lets the umask decide the
    # permissions, as for a normally created file.
    tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_archive(f, structure, encoder.arrays)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the rename makes it visible
        os.replace(tmp, path)
    except BaseException:
        # Also on KeyboardInterrupt: never leave a half-written temporary file behind.
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Persist the rename itself (POSIX); a no-op where directories cannot be opened."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# --------------------------------------------------------------------------- load
def load(path: str | os.PathLike[str]) -> Any:
    """Load what :func:`save` wrote. Arrays come back as host ``numpy`` arrays.

    Raises ``ValueError`` (never runs code) when the file is not a tinynet file: a
    pickle (e.g. from ``torch.save``), an ``.npz`` with object arrays, a truncated
    or otherwise corrupt archive. ``FileNotFoundError`` if *path* does not exist.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":
        kind = (
            "a pickle file (tinynet never unpickles)"
            if magic[:1] == b"\x80"
            else "not a zip/npz archive"
        )
        raise ValueError(f"load: {path!r} is not a tinynet file: {kind}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if STRUCTURE_MEMBER not in npz.files:
                raise ValueError(f"it has no {STRUCTURE_MEMBER} member (plain numpy.savez file?)")
            header = json.loads(bytes(npz[STRUCTURE_MEMBER]).decode("utf-8"))
            if not (isinstance(header, dict) and header.get("format") == FORMAT_NAME):
                raise ValueError("its structure member is not a tinynet header")
            if header.get("version") != FORMAT_VERSION:
                raise ValueError(
                    f"format version {header.get('version')!r} is not supported "
                    f"(this tinynet reads version {FORMAT_VERSION})"
                )
            arrays = {}
            for name in npz.files:
                if name == STRUCTURE_MEMBER:
                    continue
                value = npz[name]  # allow_pickle=False: object arrays raise ValueError here
                if not isinstance(value, np.ndarray):
                    raise ValueError(f"member {name!r} is not a .npy array")
                arrays[name] = value
            return _decode(header.get("root"), arrays, "obj")
    except ValueError as exc:
        raise ValueError(f"load: {path!r} is not a valid tinynet file: {exc}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"load: {path!r} is corrupt or truncated ({type(exc).__name__}: {exc})"
        ) from None
