"""The one error format of the ``tinynet`` command line, and the parser class that uses it.

Every failure of every subcommand is reported as **one line on stderr**::

    tinynet <subcommand>: error: <message>

with exit status **2** for a usage error (an unknown option, a value out of range: the
command line itself is wrong) and **1** for a failure at run time (a missing or corrupt
data file, an unwritable output, a model too large for memory, a diverged run, a check
that could not run). ``130`` means interrupted (Ctrl-C). No traceback is printed; set
the environment variable ``TINYNET_DEBUG=1`` to let unexpected exceptions propagate with
their traceback (for reporting a bug).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

__all__ = [
    "USAGE_EXIT",
    "FAILURE_EXIT",
    "INTERRUPTED_EXIT",
    "CommandError",
    "UsageError",
    "CommandParser",
    "debug_enabled",
    "describe",
    "print_error",
]

USAGE_EXIT = 2
FAILURE_EXIT = 1
INTERRUPTED_EXIT = 130


class CommandError(Exception):
    """A failure a subcommand reports in one line; ``exit_code`` 1 unless given."""

    exit_code = FAILURE_EXIT

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CommandError):
    """The command line itself is wrong (exit status 2)."""

    exit_code = USAGE_EXIT


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose errors are :class:`UsageError` (one line, exit 2), not usage dumps.

    argparse's own ``error`` prints the whole usage block and exits; raising instead
    lets :func:`tinynet.cli.main` print every error of every subcommand the same way.
    """

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        """Raise ``UsageError`` with *message* instead of printing the usage and exiting."""
        raise UsageError(f"{message} (see '{self.prog} --help')")


def debug_enabled() -> bool:
    """``TINYNET_DEBUG`` set to anything but ``""``/``0``: show tracebacks of unexpected errors."""
    return os.environ.get("TINYNET_DEBUG", "") not in ("", "0")


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) if "\n" in str(text) else str(text)


def describe(exc: BaseException) -> tuple[int, str]:
    """``(exit status, one-line message)`` for an exception that reached the command line."""
    # Imported here: the library module is not needed to report a usage error.
    from tinynet.train import TrainError

    if isinstance(exc, CommandError):
        return exc.exit_code, _one_line(str(exc))
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED_EXIT, "interrupted"
    if isinstance(exc, TrainError):
        return FAILURE_EXIT, _one_line(str(exc))
    if isinstance(exc, MemoryError):
        detail = str(exc) or "an allocation failed"
        return FAILURE_EXIT, _one_line(f"out of memory: {detail}")
    if isinstance(exc, OSError):
        if exc.strerror and exc.filename:
            return FAILURE_EXIT, _one_line(f"{exc.strerror}: {exc.filename}")
        return FAILURE_EXIT, _one_line(str(exc) or type(exc).__name__)
    if isinstance(exc, (ValueError, EOFError)):
        # The loaders' messages name the file and what is wrong with it.
        return FAILURE_EXIT, _one_line(str(exc) or type(exc).__name__)
    return FAILURE_EXIT, _one_line(
        f"internal error: {type(exc).__name__}: {exc} "
        "(please report it; TINYNET_DEBUG=1 shows the traceback)"
    )


def print_error(prog: str, message: Any) -> None:
    """Print ``<prog>: error: <message>`` as one line on stderr."""
    sys.stdout.flush()  # keep the order of stdout and stderr when both go to a terminal
    print(f"{prog}: error: {_one_line(str(message))}", file=sys.stderr, flush=True)
