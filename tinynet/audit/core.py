r"""The audit's framework: checks, results, verdicts, and the rules that decide them.

A :class:`Check` is one inventory item of ``docs/sources.md`` (F1-F18, E1-E5): its
location in the source documents, the claim in short, and a function that
*computes* the verdict. The function receives an :class:`Evidence` recorder and a
seeded random generator, runs the document's formula as written next to tinynet's own
machinery (autograd, :func:`tinynet.gradcheck.numerical_grad`, the losses of
:mod:`tinynet.nn.functional`, the optimizers of :mod:`tinynet.optim`), records the
numbers, and returns an :class:`Outcome`. Nothing is looked up in a table: a verdict
is the result of comparisons made at run time.

Every check shares one prologue, run by :func:`run_check` and declared with
:func:`register`: the item's random generators (stream 0 for the check, stream 1 for
its self-check, the same on every run and backend), then the *self-check* of the
tinynet machinery the check relies on (e.g. two independent computations of each
loss must agree), then the check itself; an exception anywhere becomes an ``error``
result, and the returned :class:`Outcome` is validated.

How comparisons become verdicts
-------------------------------
A :class:`Tally` collects one relative error per random draw,

.. math:: e = \frac{\max_i |a_i - b_i|}{\max(\max_i |b_i|,\ f)},

with :math:`f = 10^{-12}`, or :math:`f = 10^{-3}` for comparisons with finite
differences (whose absolute error, about :math:`10^{-10}`, must not be judged
relative to a vanishing gradient)
(NaN or inf anywhere counts as :math:`e=\infty`) and is in one of two states:

* **agree**: every draw has :math:`e \le` the tally's tolerance (``EXACT_TOL`` when
  both sides are analytic formulas evaluated in float64, ``FD_TOL`` when one side is a
  central finite difference);
* **disagree**: at least one draw has :math:`e \ge` ``DISAGREE_TOL`` (1 %), i.e. there
  is a counterexample far outside rounding error.

Anything in between is *inconclusive* and makes the check fail (:class:`AuditError`):
the audit never guesses. The same happens when tinynet's own machinery is
inconsistent (autograd against finite differences, or an optimizer against the
corrected formula): then the truth side itself cannot be trusted, the item is
reported as ``error`` and ``tinynet audit`` exits with status 1. This is what makes
a broken backward formula in tinynet visible in the audit.

Who is wrong when the document and tinynet disagree? A ``wrong`` verdict is only
given on evidence that does not rest on tinynet's implementation alone: finite
differences, an independent numpy reference, a second tinynet implementation that
agrees, a property the document's own formula fails (a descent step, a finite
value), or the document's arithmetic redone. When the only evidence is a
disagreement with a tinynet component that is not otherwise confirmed (e.g. F16,
whose printed update *is* Kingma & Ba's Adam), the check reports ``error``.

This is a host-side tool, like :mod:`tinynet.gradcheck`: random draws and the
documents' formulas are computed in numpy float64 on the host (so the draws are the
same on every backend), and tinynet's results are copied back with ``.numpy()``.
"""

from __future__ import annotations

import math
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "HOLDS",
    "CONVENTION",
    "WRONG",
    "UNVERIFIABLE",
    "ERROR",
    "VERDICTS",
    "EXACT_TOL",
    "FD_TOL",
    "DISAGREE_TOL",
    "DEFAULT_DRAWS",
    "AuditError",
    "Outcome",
    "Comparison",
    "Result",
    "Check",
    "CheckFunc",
    "SelfCheck",
    "Evidence",
    "Tally",
    "register",
    "CHECKS",
    "get_check",
    "run_check",
    "run_all",
    "rel_err",
    "fp_events",
    "holds",
    "holds_under",
    "wrong",
    "unverifiable",
]

HOLDS = "holds"
CONVENTION = "holds under convention"
WRONG = "wrong"
UNVERIFIABLE = "unverifiable"
#: not a verdict about the document -- the check itself failed to run or found tinynet inconsistent
ERROR = "error"
VERDICTS = (HOLDS, CONVENTION, WRONG, UNVERIFIABLE)

#: two analytic float64 computations of the same quantity agree to rounding error
EXACT_TOL = 1e-9
#: an analytic value against a central finite difference (eps = 1e-6, float64)
FD_TOL = 1e-5
#: a counterexample -- 1 % relative error, far outside rounding and truncation error
DISAGREE_TOL = 1e-2
#: random draws per agreement test
DEFAULT_DRAWS = 100


class AuditError(RuntimeError):
    """A check could not reach a verdict (tinynet inconsistent, or a comparison inconclusive)."""


# --------------------------------------------------------------------------- numbers
def rel_err(got: Any, want: Any, floor: float = 1e-12) -> float:
    """Max absolute difference over max magnitude of *want* (``inf`` if anything is not finite).

    The magnitude is taken at least *floor*, so that a comparison with a central
    difference (absolute error about 1e-10) is not judged relative to a tiny gradient.
    """
    a = np.asarray(got, dtype=np.float64)
    b = np.asarray(want, dtype=np.float64)
    if a.shape != b.shape:
        raise AuditError(f"rel_err: shapes differ, {a.shape} vs {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return math.inf
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), floor))


def fmt(x: Any, digits: int = 6) -> str:
    """A number (or small array) written compactly with *digits* significant digits."""
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(fmt(v, digits) for v in x) + "]"
    if isinstance(x, np.ndarray):
        if x.size == 1:
            return fmt(float(x.reshape(-1)[0]), digits)
        return "[" + ", ".join(fmt(v, digits) for v in x.reshape(-1).tolist()) + "]"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    v = float(x)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    return f"{v:.{digits}g}"


def fmt_err(e: float) -> str:
    """A relative error for display: ``3.1e-16``, or ``inf`` for a NaN/inf comparison."""
    return "inf (NaN/inf)" if math.isinf(e) else f"{e:.2g}"


@contextmanager
def fp_events() -> Iterator[list[str]]:
    """Record numpy floating-point events (division by zero, invalid, overflow) instead of warning.

    Used where a NaN or an overflow *is* the evidence: the events are collected in
    the yielded list (each kind once) and reported, not printed as warnings.
    """
    events: list[str] = []

    def record(kind: str, flag: int) -> None:
        if kind not in events:
            events.append(kind)

    with np.errstate(all="call", call=record):
        yield events


class Tally:
    """Relative errors of one comparison over many random draws (see the module docstring)."""

    def __init__(
        self, what: str, tol: float = EXACT_TOL, floor: float | None = None, unit: str = "draw"
    ) -> None:
        self.what = what
        self.tol = tol
        self.unit = unit
        # comparisons with finite differences are judged relative to at least 1e-3
        self.floor = floor if floor is not None else (1e-3 if tol >= FD_TOL else 1e-12)
        self.errors: list[float] = []
        self.notes: list[str] = []  # e.g. "shape error" entries that count as disagreement

    def add(self, got: Any, want: Any) -> float:
        """Record the relative error of *got* against *want* (``rel_err``) and return it."""
        e = rel_err(got, want, self.floor)
        self.errors.append(e)
        return e

    def add_error(self, e: float, note: str | None = None) -> None:
        """Record an error *e* computed elsewhere, with an optional *note* for the description."""
        self.errors.append(float(e))
        if note is not None:
            self.notes.append(note)

    @property
    def n(self) -> int:
        """The number of draws recorded."""
        return len(self.errors)

    @property
    def worst(self) -> float:
        """The largest relative error recorded (0 with none)."""
        return max(self.errors) if self.errors else 0.0

    @property
    def best(self) -> float:
        """The smallest relative error recorded (0 with none)."""
        return min(self.errors) if self.errors else 0.0

    @property
    def median(self) -> float:
        """The median relative error (0 with none)."""
        return float(np.median(self.errors)) if self.errors else 0.0

    def count_over(self, threshold: float = DISAGREE_TOL) -> int:
        """How many recorded errors are at least *threshold*."""
        return sum(e >= threshold for e in self.errors)

    @property
    def agrees(self) -> bool:
        """Whether there are draws and every error is within the tolerance ``tol``."""
        return self.n > 0 and self.worst <= self.tol

    @property
    def disagrees(self) -> bool:
        """Whether some draw is off by at least ``DISAGREE_TOL`` (a counterexample)."""
        return self.n > 0 and self.worst >= DISAGREE_TOL

    def state(self) -> str:
        """``"agree"`` or ``"disagree"``; raises :class:`AuditError` when inconclusive."""
        if self.n == 0:
            raise AuditError(f"{self.what}: no draws were compared")
        if self.agrees:
            return "agree"
        if self.disagrees:
            return "disagree"
        raise AuditError(
            f"{self.what}: inconclusive, worst relative error {self.worst:.3g} lies between "
            f"the agreement tolerance {self.tol:g} and the disagreement threshold {DISAGREE_TOL:g}"
        )

    def describe(self) -> str:
        """One line for the evidence: agreement and its worst error, or the disagreements."""
        if self.n == 0:
            return f"{self.what}: no draws"
        st = self.state()
        if st == "agree":
            return f"{self.what}: agree, max rel. err {fmt_err(self.worst)} over {self.n} {self.unit}{'s' if self.n > 1 else ''}"
        k = self.count_over()
        extra = f"; {'; '.join(sorted(set(self.notes)))}" if self.notes else ""
        return (
            f"{self.what}: DISAGREE in {k}/{self.n} {self.unit}s, rel. err median "
            f"{fmt_err(self.median)}, max {fmt_err(self.worst)}{extra}"
        )


# --------------------------------------------------------------------------- outcomes and results
@dataclass(frozen=True)
class Outcome:
    """What a check function returns: the verdict and what goes with it."""

    verdict: str
    convention: str | None = None
    corrected: str | None = None


def holds() -> Outcome:
    """The verdict "holds": the document's formula is right as written."""
    return Outcome(HOLDS)


def holds_under(convention: str) -> Outcome:
    """The verdict "holds under convention", with the *convention* that makes it right."""
    return Outcome(CONVENTION, convention=convention)


def wrong(corrected: str) -> Outcome:
    """The verdict "wrong", with the *corrected* formula."""
    return Outcome(WRONG, corrected=corrected)


def unverifiable() -> Outcome:
    """The verdict "unverifiable": a reported result without the data or code to reproduce it."""
    return Outcome(UNVERIFIABLE)


@dataclass
class Row:
    """One number of a worked example: the document's value beside the recomputed one."""

    quantity: str
    document: str
    correct: str
    matches: bool | None  # None: not comparable (the document prints no number)


@dataclass(frozen=True)
class Comparison:
    """The record of one :class:`Tally`: what was compared, how often, and the outcome."""

    what: str
    state: str  # "agree", "disagree", or "self-check" (tinynet's machinery, required to agree)
    draws: int
    worst: float
    median: float


@dataclass
class Result:
    """The outcome of one check, with everything the table and ``--item`` print."""

    item: str
    location: str
    claim: str
    verdict: str
    convention: str | None = None
    corrected: str | None = None
    summary: str = ""
    evidence: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ran(self) -> bool:
        """``False`` when the check failed to run (``verdict == "error"``)."""
        return self.verdict != ERROR


class Evidence:
    """Collects what a check finds; passed to every check function.

    * :meth:`summary` -- the one-line evidence shown in the table (key numbers);
    * :meth:`line` -- a key finding (shown in the table's evidence column, first lines
      first, and in ``--item``);
    * :meth:`step` -- a step of the detailed derivation (``--item`` only);
    * :meth:`row` -- a number the document prints, beside the recomputed one;
    * :meth:`value` -- a named number, kept in :attr:`Result.values` for tests;
    * :meth:`rng` -- a seeded random generator, the same on every run and backend.
    """

    def __init__(self, item: str, draws: int = DEFAULT_DRAWS) -> None:
        self.item = item
        self.draws = int(draws)
        self.summary_text = ""
        self.lines: list[str] = []
        self.steps: list[str] = []
        self.rows: list[Row] = []
        self.values: dict[str, Any] = {}
        self.comparisons: list[Comparison] = []

    def rng(self, stream: int = 0) -> np.random.Generator:
        """A fresh generator seeded by the item and *stream*.

        :func:`run_check` hands stream 0 to the check and stream 1 to its self-check;
        a check wanting further independent draws takes another stream.
        """
        return np.random.default_rng([zlib.crc32(self.item.encode()), stream])

    def summary(self, text: str) -> None:
        """Set the one-line evidence shown in the table."""
        self.summary_text = text

    def line(self, text: str) -> None:
        """Record a key finding (the table's evidence column and ``--item``)."""
        self.lines.append(text)

    def step(self, text: str) -> None:
        """Record a step of the detailed derivation (shown by ``--item`` only)."""
        self.steps.append(text)

    def tally(self, t: Tally) -> str:
        """Record a tally's summary as a finding and return its state."""
        st = t.state()
        self.line(t.describe())
        self.comparisons.append(Comparison(t.what, st, t.n, t.worst, t.median))
        return st

    def require(self, t: Tally, why: str) -> None:
        """tinynet's machinery must agree here; otherwise the check fails (``error``)."""
        if not t.agrees:
            raise AuditError(
                f"{t.what}: max rel. err {fmt_err(t.worst)} over {t.n} {t.unit}s "
                f"(tolerance {t.tol:g}) -- {why}"
            )
        self.comparisons.append(Comparison(t.what, "self-check", t.n, t.worst, t.median))
        self.step(f"[self-check] {t.describe()}")

    def row(self, quantity: str, document: Any, correct: Any, matches: bool | None = None) -> None:
        """Record a number the document prints beside the recomputed one, and whether they match.

        With *matches* left ``None``, a printed *document* string is compared with a numeric
        *correct* value as printed.
        """
        doc = document if isinstance(document, str) else fmt(document)
        cor = correct if isinstance(correct, str) else fmt(correct)
        if matches is None and isinstance(document, str) and not isinstance(correct, str):
            matches = printed_match(document, correct)
        self.rows.append(Row(quantity, doc, cor, matches))

    def value(self, key: str, v: Any) -> Any:
        """Keep *v* under *key* in the result's ``values`` (for tests) and return it."""
        self.values[key] = v
        return v


def printed_match(printed: str, value: Any) -> bool | None:
    """Does *value* round to the number as the document prints it (same decimals)?

    ``printed_match("0.223", 0.22314) -> True``; ``printed_match("0.0002", 4e-6) -> False``.
    A printed string that is not a plain number gives ``None``.
    """
    s = printed.strip().lstrip("≈~").strip()
    try:
        p = float(s)
    except ValueError:
        return None
    v = float(value)
    if not math.isfinite(v):
        return False
    decimals = len(s.split(".")[1]) if "." in s else 0
    return abs(v - p) <= 0.5 * 10.0 ** (-decimals) * (1 + 1e-9)


#: a check function -- ``func(ev, rng)`` records evidence and returns the verdict
CheckFunc = Callable[[Evidence, np.random.Generator], Outcome]
#: a self-check -- ``self_check(ev, rng)`` raises :class:`AuditError` (via
#: :meth:`Evidence.require`) when the tinynet machinery a check relies on is inconsistent
SelfCheck = Callable[[Evidence, np.random.Generator], None]


@dataclass(frozen=True)
class Check:
    """One inventory item, the function that audits it, and the self-check it needs first."""

    item: str
    location: str
    claim: str
    func: CheckFunc
    self_check: SelfCheck | None = None

    def run(self, draws: int = DEFAULT_DRAWS) -> Result:
        """Audit this item with *draws* random draws per agreement test (see :func:`run_check`)."""
        return run_check(self, draws)


# --------------------------------------------------------------------------- registry
CHECKS: dict[str, Check] = {}


def _order(item: str) -> tuple[int, int]:
    return (0 if item[0] == "F" else 1, int(item[1:]))


def register(
    item: str, location: str, claim: str, *, self_check: SelfCheck | None = None
) -> Callable[[CheckFunc], CheckFunc]:
    """Decorator: register ``func(ev, rng)`` as the check of inventory *item*.

    *self_check*, if given, is run first (see :func:`run_check`): the comparisons of
    tinynet's own machinery that several checks share, so that each check states only
    what is specific to its item.
    """

    def deco(func: CheckFunc) -> CheckFunc:
        if item in CHECKS:
            raise ValueError(f"audit: item {item} is registered twice")
        CHECKS[item] = Check(item, location, claim, func, self_check)
        ordered = sorted(CHECKS.items(), key=lambda kv: _order(kv[0]))
        CHECKS.clear()
        CHECKS.update(ordered)
        return func

    return deco


def get_check(item: str) -> Check:
    """The :class:`Check` of inventory *item* (``"F1"``, ``"e2"``...); unknown: ``KeyError``."""
    key = item.strip().upper()
    if key not in CHECKS:
        raise KeyError(f"unknown item {item!r}; the inventory items are {', '.join(CHECKS)}")
    return CHECKS[key]


def run_check(check: Check, draws: int = DEFAULT_DRAWS) -> Result:
    """Run one check; an exception inside it becomes a result with verdict ``error``.

    The prologue every check shares: the self-check of the machinery it relies on, with
    random stream 1 of the item, then the check itself with stream 0 (see
    :meth:`Evidence.rng`); the returned :class:`Outcome` must name a known verdict,
    the convention of a ``holds under convention`` and the correction of a ``wrong``.
    """
    ev = Evidence(check.item, draws)
    start = time.perf_counter()
    error = None
    outcome: Outcome | None = None
    try:
        # tinynet's machinery first: when it is inconsistent the truth side of every
        # comparison is in doubt, and the check must fail rather than blame the document.
        if check.self_check is not None:
            check.self_check(ev, ev.rng(1))
        outcome = check.func(ev, ev.rng())
        if not isinstance(outcome, Outcome) or outcome.verdict not in VERDICTS:
            raise AuditError(f"check returned {outcome!r}, not an Outcome with a known verdict")
        if outcome.verdict == CONVENTION and not outcome.convention:
            raise AuditError("a 'holds under convention' verdict must name its convention")
        if outcome.verdict == WRONG and not outcome.corrected:
            raise AuditError("a 'wrong' verdict must give the corrected formula or value")
    except AuditError as exc:
        error = f"check failed: {exc}"
    except Exception as exc:  # a crash inside a check is reported, never hidden
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" (at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})" if tb else ""
        error = f"check crashed: {type(exc).__name__}: {exc}{where}"
    seconds = time.perf_counter() - start
    if error is not None or outcome is None:
        return Result(
            check.item, check.location, check.claim, ERROR, summary=ev.summary_text,
            evidence=ev.lines, details=ev.steps, rows=ev.rows, values=ev.values,
            comparisons=ev.comparisons, error=error, seconds=seconds,
        )  # fmt: skip
    return Result(
        check.item, check.location, check.claim, outcome.verdict,
        convention=outcome.convention, corrected=outcome.corrected, summary=ev.summary_text,
        evidence=ev.lines, details=ev.steps, rows=ev.rows, values=ev.values,
        comparisons=ev.comparisons, seconds=seconds,
    )  # fmt: skip


def run_all(items: list[str] | None = None, draws: int = DEFAULT_DRAWS) -> list[Result]:
    """Run the checks of *items* (default: every item, F1-F18 then E1-E5)."""
    checks = [get_check(i) for i in items] if items else list(CHECKS.values())
    return [run_check(c, draws) for c in checks]
