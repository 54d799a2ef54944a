"""The ``tinynet`` command line: ``tinynet train`` and ``tinynet audit``.

The command line is a client of the library: each subcommand is a module providing
``add_arguments(parser)`` and ``run(args) -> int``, imported only when it is the one
asked for (so a broken or missing dependency of one subcommand names itself instead of
breaking the others). Every error of every subcommand is one line on stderr,
``tinynet <subcommand>: error: <message>``, exit status 2 for usage errors and 1 for
failures at run time (see :mod:`tinynet.cli.errors`).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from tinynet.cli.errors import (
    CommandError,
    CommandParser,
    UsageError,
    debug_enabled,
    describe,
    print_error,
)

__all__ = ["SUBCOMMANDS", "main"]

#: subcommand -> (module providing add_arguments/run, one-line help)
SUBCOMMANDS = {
    "train": ("tinynet.cli.train", "train an MLP on bundled data (the main job)"),
    "audit": ("tinynet.audit.command", "check every formula of the source documents"),
}


def _requested(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the top level has no option taking a value)."""
    for token in argv:
        if token == "--":
            return None
        if not token.startswith("-"):
            return token if token in SUBCOMMANDS else None
    return None


def _import_subcommand(name: str) -> ModuleType:
    module_name = SUBCOMMANDS[name][0]
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        # Only a missing module is expected here; any other exception is a bug and goes
        # through the generic handler of main (one line, or a traceback with TINYNET_DEBUG).
        raise CommandError(
            f"cannot start: {exc} (a dependency of {module_name} is missing or broken; "
            f"reinstalling tinynet with pip should fix it)"
        ) from exc


def _run(argv: list[str], command: str | None) -> int:
    parser = CommandParser(prog="tinynet", description="tinynet command line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    module = None
    for name, (_module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = _import_subcommand(name)
            module.add_arguments(p)
    # parse_known_args: argparse reports a subcommand's unknown option from the top-level
    # parser, which would point at 'tinynet --help' instead of the subcommand's help.
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        prog = f"tinynet {command}" if module is not None else "tinynet"
        raise UsageError(f"unrecognized arguments: {' '.join(unknown)} (see '{prog} --help')")
    if args.command is None or module is None:
        raise UsageError(
            f"missing command; choose from {', '.join(SUBCOMMANDS)} (see 'tinynet --help')"
        )
    return int(module.run(args) or 0)


def main(argv: list[str] | None = None) -> int:
    """Run ``tinynet ARGV``; returns the exit status (never raises, never prints a traceback).

    With ``TINYNET_DEBUG=1`` in the environment, unexpected exceptions propagate instead.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _requested(argv)
    prog = f"tinynet {command}" if command else "tinynet"
    try:
        return _run(argv, command)
    except SystemExit as exc:  # --help: argparse printed it and "exits" 0
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (Exception, KeyboardInterrupt) as exc:
        if debug_enabled() and not isinstance(exc, CommandError):
            raise
        code, message = describe(exc)
        print_error(prog, message)
        return code


if __name__ == "__main__":
    raise SystemExit(main())
