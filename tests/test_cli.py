"""Tests of the command-line framework (tinynet/cli/): one parser class, one error format.

Every subcommand reports every failure as one line on stderr,
``tinynet <subcommand>: error: <message>``, exit status 2 for usage errors and 1 for
failures at run time; no traceback unless ``TINYNET_DEBUG=1``. Most tests call
:func:`tinynet.cli.main` in-process (fast); a few run ``python -m tinynet`` and the
installed entry point. The bad inputs of ``tinynet train`` are in
tests/bad_inputs/test_cli.py.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import tinynet.cli
from tinynet.cli import SUBCOMMANDS, main

ROOT = Path(__file__).resolve().parents[1]


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str, prog: str) -> str:
    """The single stderr line, checked to have the common format; returns its message."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    prefix = f"{prog}: error: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix) :]


# --------------------------------------------------------------------------- the top level
def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys)
    assert code == 2 and out == ""
    message = one_error_line(err, "tinynet")
    assert "missing command" in message and "train" in message and "audit" in message


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "frobnicate")
    assert code == 2
    assert "invalid choice: 'frobnicate'" in one_error_line(err, "tinynet")


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "--help")
    assert code == 0 and err == ""
    assert "train" in out and "audit" in out


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_every_subcommand_has_the_same_usage_error_format(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(capsys, command, "--no-such-option")
    assert code == 2 and out == ""
    message = one_error_line(err, f"tinynet {command}")
    assert message == (f"unrecognized arguments: --no-such-option (see 'tinynet {command} --help')")


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, command, "--help")
    assert code == 0 and err == ""
    assert f"usage: tinynet {command}" in out


def test_audit_usage_errors_use_the_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "audit", "--draws", "5")
    assert code == 2
    assert one_error_line(err, "tinynet audit") == "--draws must be at least 10, got 5"
    code, _, err = run_main(capsys, "audit", "--item", "F99")
    assert code == 2
    assert one_error_line(err, "tinynet audit").startswith("unknown item 'F99'; choose from F1")
    code, _, err = run_main(capsys, "audit", "--draws", "many")
    assert code == 2
    assert "argument --draws: invalid int value: 'many'" in one_error_line(err, "tinynet audit")


def test_audit_checks_that_fail_to_run_use_the_format(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinynet.audit import command
    from tinynet.audit.core import ERROR

    broken = [SimpleNamespace(item="F3", verdict=ERROR), SimpleNamespace(item="E1", verdict=ERROR)]
    monkeypatch.setattr(command, "run_all", lambda items, draws: broken)
    monkeypatch.setattr(command, "format_table", lambda results, width: "TABLE")
    monkeypatch.setattr(command, "format_footer", lambda results, seconds, draws: "FOOTER")
    code, out, err = run_main(capsys, "audit")
    assert code == 1 and out == "TABLE\nFOOTER\n"
    assert one_error_line(err, "tinynet audit") == "2 check(s) failed to run: F3, E1"


# --------------------------------------------------------------------------- missing modules
def test_a_missing_subcommand_module_names_itself(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: any import error turned into 'unrecognized arguments: --epochs 3'."""
    monkeypatch.setitem(SUBCOMMANDS, "train", ("tinynet_no_such_module", "train"))
    code, _, err = run_main(capsys, "train", "--epochs", "3")
    assert code == 1
    message = one_error_line(err, "tinynet train")
    assert message.startswith("cannot start: No module named 'tinynet_no_such_module'")
    assert "unrecognized" not in message
    # the other subcommands are not affected
    code, _, err = run_main(capsys, "audit", "--item", "F99")
    assert code == 2 and "unknown item 'F99'" in err


def test_a_missing_tqdm_asks_for_it_or_quiet(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm -> ImportError
    monkeypatch.delitem(sys.modules, "tinynet.cli.progress", raising=False)
    code, out, err = run_main(capsys, "train", "--epochs", "1", "--hidden", "4")
    assert code == 1 and "test accuracy" not in out
    message = one_error_line(err, "tinynet train")
    assert "needs tqdm" in message and "--quiet" in message
    code, out, err = run_main(capsys, "train", "--epochs", "1", "--hidden", "4", "--quiet")
    assert code == 0, err
    assert "test accuracy" in out


# --------------------------------------------------------------------------- exceptions
def _failing_train(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    import tinynet.cli.train as command

    def run(args: object) -> int:
        raise exc

    monkeypatch.setattr(command, "run", run)


@pytest.mark.parametrize(
    "exc, code, message",
    [
        (KeyboardInterrupt(), 130, "interrupted"),
        (MemoryError(), 1, "out of memory: an allocation failed"),
        (PermissionError(13, "Permission denied", "/x/y"), 1, "Permission denied: /x/y"),
        (ValueError("f.idx: truncated IDX header"), 1, "f.idx: truncated IDX header"),
        (ValueError("first line\nsecond line"), 1, "first line second line"),
        (
            ZeroDivisionError("division by zero"),
            1,
            "internal error: ZeroDivisionError: division by zero (please report it; "
            "TINYNET_DEBUG=1 shows the traceback)",
        ),
    ],
    ids=["interrupt", "memory", "oserror", "valueerror", "multiline", "bug"],
)
def test_exceptions_become_one_line(
    exc: BaseException,
    code: int,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TINYNET_DEBUG", raising=False)
    _failing_train(monkeypatch, exc)
    got, _, err = run_main(capsys, "train")
    assert got == code
    assert one_error_line(err, "tinynet train") == message


def test_tinynet_debug_shows_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINYNET_DEBUG", "1")
    with monkeypatch.context() as patch:
        _failing_train(patch, ZeroDivisionError("division by zero"))
        with pytest.raises(ZeroDivisionError):
            main(["train"])
    # usage errors stay one line even in debug mode: they are not bugs
    code, _, err = run_main(capsys, "train", "--lr", "0")
    assert code == 2 and one_error_line(err, "tinynet train").startswith("--lr must be")


# --------------------------------------------------------------------------- entry points
def test_the_console_script_entry_point_is_main() -> None:
    (entry,) = importlib.metadata.entry_points(group="console_scripts", name="tinynet")
    assert entry.value == "tinynet.cli:main"
    assert entry.load() is tinynet.cli.main


def test_python_m_tinynet_one_line_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tinynet", "train", "--batch-size", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert result.returncode == 2
    assert one_error_line(result.stderr, "tinynet train") == (
        "--batch-size must be a positive integer, got 0"
    )
