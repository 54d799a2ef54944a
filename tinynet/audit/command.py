"""``tinynet audit``: run every check and print the table, or one item in detail.

Exit status: 0 when every check ran (whatever the verdicts), 1 when a check failed to
run (a crash, or tinynet's own machinery found inconsistent), 2 for a usage error
such as an unknown item. Errors use the one format of the command line
(:mod:`tinynet.cli.errors`): ``tinynet audit: error: <message>`` on one line.
"""

from __future__ import annotations

import argparse
import time

from tinynet.audit.core import CHECKS, DEFAULT_DRAWS, ERROR, run_all
from tinynet.audit.report import DEFAULT_WIDTH, format_detail, format_footer, format_table
from tinynet.cli.errors import UsageError, print_error

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``tinynet audit`` (``--item``, ``--draws``, ``--width``) to *parser*."""
    parser.epilog = (
        "Each verdict is computed when you run the command: the document's formula as written "
        "is evaluated beside tinynet's autograd, finite differences, losses and optimizers. "
        f"Items: {', '.join(CHECKS)}."
    )
    parser.add_argument(
        "--item",
        action="append",
        metavar="ITEM",
        help="show one inventory item (F1-F18, E1-E5) in full detail, step by step; repeatable",
    )
    parser.add_argument(
        "--draws",
        type=int,
        default=DEFAULT_DRAWS,
        metavar="N",
        help=f"random draws per agreement test (default {DEFAULT_DRAWS}, at least 10)",
    )
    parser.add_argument(
        "--width",
        type=int,
        default=DEFAULT_WIDTH,
        metavar="COLS",
        help=f"width of the table in characters (default {DEFAULT_WIDTH})",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``tinynet audit`` with parsed *args*: print the table (or ``--item`` details).

    Returns the exit status: 0, or 1 if a check failed to run. Bad options raise
    ``UsageError``.
    """
    draws = int(getattr(args, "draws", DEFAULT_DRAWS))
    width = int(getattr(args, "width", DEFAULT_WIDTH))
    if draws < 10:
        raise UsageError(f"--draws must be at least 10, got {draws}")
    if width < 1:
        raise UsageError(f"--width must be a positive number of columns, got {width}")
    items = [i.strip().upper() for i in (getattr(args, "item", None) or [])]
    unknown = [i for i in items if i not in CHECKS]
    if unknown:
        raise UsageError(
            f"unknown item {', '.join(repr(i) for i in unknown)}; choose from {', '.join(CHECKS)}"
        )
    start = time.perf_counter()
    results = run_all(items or None, draws=draws)
    seconds = time.perf_counter() - start
    if items:
        print("\n\n".join(format_detail(r, width=min(width, 110)) for r in results))
    else:
        print(format_table(results, width=width))
        print(format_footer(results, seconds, draws))
    failed = [r.item for r in results if r.verdict == ERROR]
    if failed:
        # Reported, not raised: the table above is the result, this line says it is incomplete.
        print_error("tinynet audit", f"{len(failed)} check(s) failed to run: {', '.join(failed)}")
        return 1
    return 0
