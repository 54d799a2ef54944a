"""``tinynet train``: the command-line client of :func:`tinynet.train.fit`.

It parses the options (syntax only: every value is checked once, by
:func:`tinynet.train.validate_config`, whose errors are reworded with the option names),
checks ``--out`` before training, shows the progress bar, prints the summary and writes
the outputs (:mod:`tinynet.cli.outputs`). A diverged run writes nothing, so an earlier
good run in the same ``--out`` is kept.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from tinynet.backend import backend_name
from tinynet.cli.errors import CommandError, UsageError
from tinynet.cli.outputs import CHECKPOINT_NAME, LOG_NAME, PLOT_NAME, save_run
from tinynet.train import (
    ACTIVATIONS,
    DATASETS,
    MAX_EPOCHS,
    OPTIMIZERS,
    ConfigError,
    TrainConfig,
    fit,
    load_data,
)

__all__ = ["add_arguments", "run", "parse_hidden", "check_out_dir", "option_name"]

PROG = "tinynet train"

#: hints added to the library's message for some options
_HINTS = {"hidden": "; use --hidden none for no hidden layer"}


def option_name(field: str) -> str:
    """The command-line spelling of a :class:`~tinynet.train.TrainConfig` field."""
    return {"standardize": "--no-standardize"}.get(field, "--" + field.replace("_", "-"))


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"256,128"`` -> ``(256, 128)``; ``"none"`` -> ``()`` (softmax regression).

    Only the syntax is checked here; ``"0"`` or ``"-5"`` parse, and are refused (once,
    with the other settings) by :func:`tinynet.train.validate_config`.
    """
    stripped = text.strip().lower()
    if stripped == "none":
        return ()
    try:
        return tuple(int(p) for p in stripped.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer widths such as 256,128 (or 'none' for no hidden "
            f"layer), got {text!r}"
        ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``tinynet train`` options to *parser*."""
    parser.description = (
        "Train a multi-layer perceptron (Dense layers + activations, softmax cross-entropy). "
        "Default: the bundled UCI digits, MLP 64-256-128-10 with ReLU, Adam lr 1e-3, "
        "batch 32, 40 epochs, inputs standardised with training statistics, seed 0 "
        "(about 98% test accuracy in a few seconds on a CPU)."
    )
    parser.epilog = (
        "Errors are one line on stderr: exit status 2 for a bad option, 1 for a failure "
        "while running (data, memory, output files, a diverged run). "
        "TINYNET_DEBUG=1 shows the traceback of an unexpected error."
    )
    # fmt: off
    arg = parser.add_argument
    arg("--dataset", default="digits", metavar="|".join(DATASETS),
        help="bundled digits (default), generated spiral or moons, or MNIST from --data-dir")
    arg("--data-dir", default=None, metavar="DIR",
        help="folder with the MNIST IDX files (needed for --dataset mnist)")
    arg("--hidden", type=parse_hidden, default=(256, 128), metavar="W1,W2,...",
        help="hidden layer widths, e.g. 128 or 256,128, or 'none' (default: 256,128)")
    arg("--activation", default="relu", metavar="|".join(ACTIVATIONS),
        help="activation after each hidden layer (default: relu)")
    arg("--optimizer", default="adam", metavar="|".join(OPTIMIZERS),
        help="optimizer (default: adam)")
    arg("--lr", type=_number, default=None,
        help="learning rate > 0 (default: adam 1e-3, sgd 0.02, adadelta 1.0)")
    arg("--momentum", type=_number, default=0.9,
        help="momentum >= 0 of --optimizer sgd (default: 0.9)")
    arg("--epochs", type=_integer, default=None,
        help=f"passes over the training set, 1 to {MAX_EPOCHS:,} "
             "(default: digits 40, spiral 200, moons 100, mnist 10)")
    arg("--batch-size", type=_integer, default=32, help="mini-batch size (default: 32)")
    arg("--seed", type=_integer, default=0,
        help="seed >= 0 of the initial weights and of the batch order (default: 0)")
    arg("--no-standardize", dest="standardize", action="store_false",
        help="feed raw inputs (default: standardise with the training set's mean and std)")
    arg("--out", default=None, metavar="DIR",
        help=f"write {CHECKPOINT_NAME}, {LOG_NAME} and {PLOT_NAME} into DIR (created if "
             "needed); a run that diverges writes nothing")
    arg("--no-plot", dest="plot", action="store_false",
        help=f"do not write {PLOT_NAME} (then matplotlib is not needed)")
    arg("--quiet", action="store_true", help="no progress bar")
    # fmt: on


def check_out_dir(out: str) -> Path:
    """Refuse (before training) an ``--out`` that cannot become a writable directory.

    Creates nothing: the directory is made when the outputs are written, so a run that
    fails or diverges leaves no trace.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"cannot write to --out {out}: it is a file, not a directory")
    existing = path
    while not existing.exists():
        if existing.is_symlink():  # a dangling link: mkdir would fail
            raise UsageError(f"cannot write to --out {out}: {existing} is a broken symbolic link")
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"cannot write to --out {out}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write to --out {out}: Permission denied")
    return path


def _config(args: argparse.Namespace) -> TrainConfig:
    config = TrainConfig(
        dataset=args.dataset,
        data_dir=args.data_dir,
        hidden=tuple(args.hidden),
        activation=args.activation,
        optimizer=args.optimizer,
        lr=args.lr,
        momentum=args.momentum,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        standardize=args.standardize,
    )
    try:
        return config.resolved()
    except ConfigError as exc:
        # The library names the field; the user typed an option.
        raise UsageError(
            f"{option_name(exc.field)} {exc.problem}{_HINTS.get(exc.field, '')}"
        ) from None


def run(args: argparse.Namespace) -> int:
    """Entry point of ``tinynet train`` (see :func:`add_arguments`)."""
    start = time.perf_counter()
    config = _config(args)
    out = check_out_dir(args.out) if args.out else None
    if not args.quiet:
        try:
            import tinynet.cli.progress  # noqa: F401  (tqdm is needed for the bar only)
        except ImportError as exc:
            raise CommandError(
                f"the progress bar needs tqdm, which cannot be imported ({exc}); "
                "install it with pip install tqdm, or run with --quiet"
            ) from exc
    data = load_data(config)
    print(
        f"{PROG}: {data.description}: {len(data.X_train)} train / {len(data.X_test)} test; "
        f"MLP {'-'.join(str(s) for s in (data.n_features, *config.hidden, data.n_classes))} "
        f"({config.activation}), {config.optimizer} lr={config.lr:g}, "
        f"batch {config.batch_size}, {config.epochs} epochs, seed {config.seed}, "
        f"backend {backend_name()}",
        flush=True,
    )
    # A run that blows up is reported once, below, instead of by numpy warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = fit(config, progress=not args.quiet, data=data)
    f = result.final
    n_test = len(result.data.y_test)
    print(
        f"test accuracy {100 * f['test_acc']:.2f}% ({round(f['test_acc'] * n_test)}/{n_test}), "
        f"test loss {f['test_loss']:.4f}, train accuracy {100 * f['train_acc']:.2f}%"
    )
    wall = time.perf_counter() - start
    result.final["wall_time_s"] = wall
    print(
        f"wall time {wall:.2f} s (training {f['train_time_s']:.2f} s), {f['steps']} steps, "
        f"{f['steps_per_s']:.0f} steps/s"
    )
    if result.diverged:
        kept = ""
        if out is not None:
            earlier = out / CHECKPOINT_NAME
            kept = f"; nothing was written to --out {out}" + (
                f" (the earlier {CHECKPOINT_NAME} there is unchanged)" if earlier.exists() else ""
            )
        raise CommandError(f"training diverged: {result.diverged_reason}; try a smaller --lr{kept}")
    if out is not None:
        try:
            paths: dict[str, Any] = save_run(result, out, plot=args.plot)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            where = f" ({exc.filename})" if exc.filename else ""
            raise CommandError(f"cannot write to --out {out}: {reason}{where}") from exc
        print("wrote " + ", ".join(str(p) for k, p in paths.items() if k != "plot_error"))
        if "plot_error" in paths:
            print(f"{PROG}: note: no plot: {paths['plot_error']}", file=sys.stderr)
    return 0
