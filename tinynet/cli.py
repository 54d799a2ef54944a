"""The ``tinynet`` command line: ``tinynet train`` and ``tinynet audit``.

Each subcommand lives in its own module, which provides ``add_arguments(parser)``
and ``run(args) -> int``; this file only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "train": ("tinynet.train", "train an MLP on bundled data (the main job)"),
    "audit": ("tinynet.audit", "check every formula of the source documents"),
}


class _OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = _OneLineErrorParser(prog="tinynet", description="tinynet command line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineErrorParser)
    modules = {}
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
        except Exception as exc:  # one broken subcommand must not break the others
            p.set_defaults(_missing=f"{module_name} is unavailable ({type(exc).__name__}: {exc})")
            continue
        modules[name] = module
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    missing = getattr(args, "_missing", None)
    if missing:
        print(f"tinynet {args.command}: {missing}", file=sys.stderr)
        return 1
    return int(modules[args.command].run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
