"""Text output of ``tinynet audit``: the summary table and the ``--item`` detail view."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from tinynet.audit.core import CONVENTION, ERROR, HOLDS, UNVERIFIABLE, WRONG, Result

__all__ = ["format_table", "format_detail", "format_footer", "DEFAULT_WIDTH"]

DEFAULT_WIDTH = 150

_VERDICT_LABEL = {
    HOLDS: "holds",
    CONVENTION: "holds under convention",
    WRONG: "WRONG",
    UNVERIFIABLE: "unverifiable",
    ERROR: "CHECK FAILED",
}


def _evidence_text(r: Result) -> str:
    if r.verdict == ERROR:
        return r.error or "check failed"
    if r.summary:
        return r.summary
    return " | ".join(r.evidence[:2])


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def format_table(results: Sequence[Result], width: int = DEFAULT_WIDTH) -> str:
    """One row per item: item | location | claim | verdict | evidence (cells wrap)."""
    fixed = {"item": 4, "location": 22, "claim": 34, "verdict": 12}
    evidence_w = max(30, width - sum(fixed.values()) - 3 * 4)
    widths = [*fixed.values(), evidence_w]
    header = ["item", "location", "claim (short)", "verdict", "evidence (numbers)"]
    sep = "-+-".join("-" * w for w in widths)
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), sep]
    for r in results:
        cells = [
            _wrap(r.item, widths[0]),
            _wrap(r.location, widths[1]),
            _wrap(r.claim, widths[2]),
            _wrap(_VERDICT_LABEL.get(r.verdict, r.verdict), widths[3]),
            _wrap(_evidence_text(r), widths[4]),
        ]
        for i in range(max(len(c) for c in cells)):
            row = [(c[i] if i < len(c) else "").ljust(w) for c, w in zip(cells, widths)]
            lines.append(" | ".join(row).rstrip())
        lines.append(sep)
    return "\n".join(lines)


def format_footer(results: Sequence[Result], seconds: float, draws: int) -> str:
    """The summary under the table: how many checks gave each verdict, in how long."""
    counts = {
        v: sum(r.verdict == v for r in results)
        for v in (HOLDS, CONVENTION, WRONG, UNVERIFIABLE, ERROR)
    }
    text = (
        f"{len(results)} checks in {seconds:.1f} s ({draws} random draws per agreement test): "
        f"{counts[HOLDS]} hold, {counts[CONVENTION]} hold under a convention, {counts[WRONG]} wrong, "
        f"{counts[UNVERIFIABLE]} unverifiable"
    )
    if counts[ERROR]:
        failed = ", ".join(r.item for r in results if r.verdict == ERROR)
        text += f"; {counts[ERROR]} FAILED TO RUN ({failed}) -- tinynet or the audit is broken"
    text += ".\nDetails of one item: tinynet audit --item F18   |   errata: docs/errata.md"
    return text


def format_detail(r: Result, width: int = 100) -> str:
    """Everything one check found, step by step (``tinynet audit --item X``)."""
    out: list[str] = []
    title = f"{r.item} -- {r.location}"
    out += [title, "=" * len(title)]

    def field(name: str, text: str) -> None:
        body = textwrap.wrap(text, width - 14) or [""]
        out.append(f"{name:<12}  {body[0]}")
        out.extend(" " * 14 + b for b in body[1:])

    field("claim", r.claim)
    field("verdict", _VERDICT_LABEL.get(r.verdict, r.verdict))
    if r.convention:
        field("convention", r.convention)
    if r.corrected:
        field("corrected", r.corrected)
    if r.error:
        field("error", r.error)
    if r.evidence:
        out += ["", "Evidence (computed now):"]
        for e in r.evidence:
            body = textwrap.wrap(e, width - 4)
            out.append("  - " + body[0])
            out.extend("    " + b for b in body[1:])
    if r.rows:
        out += ["", "The document's numbers beside the recomputed ones:"]
        qw = max(len("quantity"), *(len(x.quantity) for x in r.rows))
        dw = max(len("document"), *(len(x.document) for x in r.rows))
        cw = max(len("recomputed"), *(len(x.correct) for x in r.rows))
        out.append(f"  {'quantity':<{qw}}  {'document':<{dw}}  {'recomputed':<{cw}}  agrees?")
        out.append(f"  {'-' * qw}  {'-' * dw}  {'-' * cw}  -------")
        for x in r.rows:
            mark = "-" if x.matches is None else ("yes" if x.matches else "NO")
            out.append(f"  {x.quantity:<{qw}}  {x.document:<{dw}}  {x.correct:<{cw}}  {mark}")
    if r.details:
        out += ["", "Step by step:"]
        for i, d in enumerate(r.details, 1):
            prefix = f"  {i:>2}. "
            body = textwrap.wrap(d, width - len(prefix), break_long_words=False) or [""]
            out.append(prefix + body[0])
            out.extend(" " * len(prefix) + b for b in body[1:])
    out += ["", f"(ran in {r.seconds:.2f} s)"]
    return "\n".join(out)
