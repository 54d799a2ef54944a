"""Writing files safely: the one atomic-write helper every tinynet file goes through.

A file that tinynet writes (a checkpoint, a training log, a plot, a benchmark report)
is either the complete new version or the untouched old one, never half of each:

1. the content goes to a temporary file **in the same directory** (so the final rename
   is a rename, not a copy across file systems);
2. the temporary file is flushed and ``fsync``\\ ed, so the data is on disk before it
   becomes visible;
3. ``os.replace`` renames it over the destination (atomic on POSIX and Windows);
4. the directory is ``fsync``\\ ed, so the rename itself survives a crash.

If anything fails (including ``KeyboardInterrupt``) the temporary file is removed and
the destination keeps its previous content. Errors name the path the caller gave, never
the temporary file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import IO, Any

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text"]


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> None:
    """Call ``write(f)`` on a binary file object, then atomically make it *path*.

    Raises :class:`OSError` (with ``filename`` set to *path* as given) when the
    directory does not exist or cannot be written.
    """
    given = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(given))
    base = os.path.basename(given)
    if not base:
        raise IsADirectoryError(21, "cannot write a file at a directory path", given)
    # O_EXCL never reuses an existing file; mode 0o666 lets the umask decide the
    # permissions, as for a normally created file.
    tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        # Report the user's path, not our temporary name.
        raise type(exc)(exc.errno, exc.strerror, given) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the rename makes it visible
        try:
            os.replace(tmp, given)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, given) from None
    except BaseException as exc:
        # Also on KeyboardInterrupt: never leave a half-written temporary file behind.
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError) and exc.filename != given:
            # e.g. a full disk while writing: name the user's file, not our temporary one
            if exc.errno is not None:
                raise type(exc)(exc.errno, exc.strerror, given) from exc
            raise OSError(f"could not write {given!r}: {exc}") from exc
        raise
    _fsync_directory(directory)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Atomically replace *path* with *data*."""
    atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Atomically replace *path* with *text* (UTF-8 by default)."""
    atomic_write_bytes(path, text.encode(encoding))


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
