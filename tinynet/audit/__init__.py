"""A machine-checked audit of the source documents' formulas (``tinynet audit``).

Every inventory item of ``docs/sources.md`` -- formulas F1-F18 and worked examples
E1-E5 -- has one check that *computes* its verdict with tinynet's own machinery:

* gradient formulas are evaluated as printed on many seeded random inputs and
  compared with :meth:`tinynet.Tensor.backward` and with central finite differences
  (:func:`tinynet.numerical_grad`);
* optimizer formulas are run as printed beside :mod:`tinynet.optim`'s optimizers;
* worked examples are recomputed number by number;
* claims without data or code are listed as unverifiable, with the reasons.

Verdicts: ``holds``, ``holds under convention`` (named), ``wrong`` (with the corrected
formula, itself checked), ``unverifiable``; a check that cannot run, or finds tinynet
inconsistent, reports ``error`` (see :mod:`tinynet.audit.core`).

Use::

    tinynet audit                 # the table
    tinynet audit --item F18      # one item in full detail
    python -m tinynet audit

or from Python: ``tinynet.audit.run_all()`` returns a list of :class:`Result`.
"""

from __future__ import annotations

# Importing the check modules registers their checks (in item order).
from tinynet.audit import checks_examples, checks_losses, checks_network, checks_optimizers  # noqa: F401
from tinynet.audit.command import add_arguments, run
from tinynet.audit.core import (
    CHECKS,
    CONVENTION,
    DEFAULT_DRAWS,
    ERROR,
    HOLDS,
    UNVERIFIABLE,
    VERDICTS,
    WRONG,
    AuditError,
    Check,
    Comparison,
    Evidence,
    Outcome,
    Result,
    Row,
    Tally,
    get_check,
    run_all,
    run_check,
)

__all__ = [
    "add_arguments",
    "run",
    "run_all",
    "run_check",
    "get_check",
    "CHECKS",
    "Check",
    "Comparison",
    "Result",
    "Row",
    "Outcome",
    "Evidence",
    "Tally",
    "AuditError",
    "VERDICTS",
    "HOLDS",
    "CONVENTION",
    "WRONG",
    "UNVERIFIABLE",
    "ERROR",
    "DEFAULT_DRAWS",
]
