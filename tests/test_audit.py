"""Tests of ``tinynet audit`` (tinynet/audit/): every verdict, key numbers, the CLI, mutations.

The verdicts are computed by the audit at run time; these tests pin them down, so
that a regression in tinynet (a broken backward, loss or optimizer) or in the audit
itself flips a test. Key corrected numbers are recomputed here independently, in
plain Python/numpy, not read back from the audit.
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinynet.audit as audit
from tinynet.audit import CONVENTION, ERROR, HOLDS, UNVERIFIABLE, WRONG
from tinynet.audit.core import printed_match

EXPECTED = {
    "F1": CONVENTION,
    "F2": WRONG,
    "F3": WRONG,
    "F4": WRONG,
    "F5": CONVENTION,
    "F6": WRONG,
    "F7": CONVENTION,
    "F8": HOLDS,
    "F9": CONVENTION,
    "F10": CONVENTION,
    "F11": CONVENTION,
    "F12": HOLDS,
    "F13": WRONG,
    "F14": HOLDS,
    "F15": HOLDS,
    "F16": HOLDS,
    "F17": WRONG,
    "F18": WRONG,
    "E1": WRONG,
    "E2": WRONG,
    "E3": WRONG,
    "E4": HOLDS,
    "E5": UNVERIFIABLE,
}

#: items whose checks run tinynet's sigmoid backward (through autograd)
SIGMOID_ITEMS = ["F2", "F3", "F4", "F5", "F6", "F8", "F13", "E3"]


@pytest.fixture(scope="module")
def results() -> dict[str, audit.Result]:
    return {r.item: r for r in audit.run_all()}


# --------------------------------------------------------------------------- coverage and verdicts
def test_every_inventory_item_has_a_check() -> None:
    items = [f"F{i}" for i in range(1, 19)] + [f"E{i}" for i in range(1, 6)]
    assert list(audit.CHECKS) == items


@pytest.mark.parametrize("item", list(EXPECTED))
def test_verdict(results: dict[str, audit.Result], item: str) -> None:
    r = results[item]
    assert r.verdict == EXPECTED[item], f"{item}: {r.verdict} ({r.error or r.summary})"


@pytest.mark.parametrize("item", list(EXPECTED))
def test_verdict_is_backed_by_computation(results: dict[str, audit.Result], item: str) -> None:
    r = results[item]
    states = [c.state for c in r.comparisons]
    assert r.summary and r.location and r.claim
    if r.verdict == HOLDS:
        # an agreement test over many random draws, and nothing that disagrees
        assert any(c.state == "agree" and c.draws >= 50 for c in r.comparisons), states
        assert "disagree" not in states
    elif r.verdict == CONVENTION:
        assert r.convention
        # matches under the convention (many draws) AND differs without it
        assert any(c.state == "agree" and c.draws >= 50 for c in r.comparisons), states
        assert "disagree" in states
    elif r.verdict == WRONG:
        assert r.corrected
        # a counterexample, or a printed number that does not match its recomputation,
        # or a run of the document's update that breaks down (NaN, no descent)
        mismatched_rows = [x for x in r.rows if x.matches is False]
        assert "disagree" in states or mismatched_rows or r.values, (states, r.rows)
    elif r.verdict == UNVERIFIABLE:
        assert len(r.evidence) >= 4  # one reason per reported result


def test_no_check_failed(results: dict[str, audit.Result]) -> None:
    failed = {i: r.error for i, r in results.items() if r.verdict == ERROR}
    assert not failed


def test_self_checks_ran_for_gradient_items(results: dict[str, audit.Result]) -> None:
    # tinynet autograd was compared with finite differences in every gradient item
    for item in ["F2", "F4", "F5", "F6", "F8", "F12", "F13", "E1", "E3"]:
        assert any(c.state == "self-check" for c in results[item].comparisons), item


# --------------------------------------------------------------------------- numbers, recomputed here
def test_e1_numbers(results: dict[str, audit.Result]) -> None:
    v = results["E1"].values
    x1, x2, y, yhat = 2.0, 3.0, 5.0, 7.0
    assert v["L"] == pytest.approx((yhat - y) ** 2)
    assert v["grads"] == pytest.approx([2 * (yhat - y) * x1, 2 * (yhat - y) * x2, 2 * (yhat - y)])
    assert v["grads"] == pytest.approx([8, 12, 4])
    doc = {r.quantity: r for r in results["E1"].rows}
    assert doc["∂L/∂W1"].document == "4" and doc["∂L/∂W1"].matches is False
    assert doc["L = (ŷ − y)²"].matches is True


def _adam_first_step(
    g: float,
    w0: float = 0.1,
    lr: float = 0.001,
    b1: float = 0.9,
    b2: float = 0.99,
    eps: float = 1e-4,
) -> tuple[float, ...]:
    m = (1 - b1) * g
    v = (1 - b2) * g * g
    mh, vh = m / (1 - b1), v / (1 - b2)
    return m, v, mh, vh, w0 - lr * mh / (math.sqrt(vh) + eps)


def test_e3_numbers(results: dict[str, audit.Result]) -> None:
    v = results["E3"].values
    m, vv, mh, vh, w = _adam_first_step(-0.02)
    assert (v["m1"], v["v1"], v["m_hat"], v["v_hat"]) == pytest.approx((m, vv, mh, vh))
    assert v["w_new"] == pytest.approx(w) and v["w_new"] == pytest.approx(0.100995, abs=1e-6)
    assert v["w_new_true_grad"] == pytest.approx(_adam_first_step(-0.2)[4])
    assert v["ce"] == pytest.approx(-math.log(0.8))
    assert v["dsigma"] == pytest.approx(0.8 * 0.2)
    assert v["dce_dz1"] == pytest.approx(0.8 - 1.0)
    assert v["doc_own_w"] == pytest.approx(0.1 - 0.001 * 0.02 / (math.sqrt(0.002) + 1e-4))
    rows = {r.quantity: r for r in results["E3"].rows}
    assert rows["CE = −log 0.8"].matches is True
    assert rows["w_new"].matches is False


def test_e2_numbers(results: dict[str, audit.Result]) -> None:
    v = results["E2"].values
    x = np.linspace(0, 10, 100)
    H = 2 / 100 * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), 100]])
    lam = np.linalg.eigvalsh(H)
    assert v["lr_bound"] == pytest.approx(2 / lam.max())
    assert v["lr_bound"] < 0.1
    # the document's loop in plain float32 numpy diverges at the same epoch
    y = (3 * x + 2 + np.random.default_rng(42).normal(size=100)).astype(np.float32)
    xf = x.astype(np.float32)
    w = b = np.float32(0)
    bad = None
    with np.errstate(all="ignore"):
        for epoch in range(1, 200):
            r = w * xf + b - y
            if not np.isfinite(np.mean(r * r)):
                bad = epoch
                break
            w, b = w - np.float32(0.1) * 2 * np.mean(r * xf), b - np.float32(0.1) * 2 * np.mean(r)
    assert v["first_bad_float32"] == bad == 24
    A = np.c_[x, np.ones(100)]
    coef = np.linalg.lstsq(A, y.astype(np.float64), rcond=None)[0]
    assert v["ols"][:2] == pytest.approx(coef, rel=1e-6)
    assert v["ols"][2] > 0.5  # the loss floor is the noise variance, never 2e-4


def test_f13_numbers(results: dict[str, audit.Result]) -> None:
    near = results["F13"].values["dJdz_near"]
    assert near["y=1,z=1"] == pytest.approx(-1.0, abs=1e-6)  # not 0
    assert near["y=0,z=0"] == pytest.approx(1.0, abs=1e-6)  # finite
    assert near["y=0,z=1"] > 1e8 and near["y=1,z=0"] < -1e8
    assert results["F13"].values["min_abs_dJdz"] >= 1.0


def test_f17_numbers(results: dict[str, audit.Result]) -> None:
    v = results["F17"].values
    g = -2.0  # f = θ², θ0 = −1
    m1 = 0.1 * g
    assert v["neg_v1"] == pytest.approx(0.001 * (g - m1))
    assert v["neg_v1"] < 0
    assert v["pos_first_nan"][0.001] is not None
    assert v["random_nan_runs"] > 0


def test_f18_numbers(results: dict[str, audit.Result]) -> None:
    v = results["F18"].values
    prev2, radicand, theta1 = v["step1"]
    assert prev2 == 0 and radicand == -math.inf and math.isnan(theta1)
    step_plus, step_minus = v["sign_steps"]
    assert step_plus == step_minus  # the printed update ignores the gradient's sign
    rho, acc = 0.95, 25.0
    new = rho * acc + (1 - rho) * 1.0
    assert step_plus == pytest.approx(-math.sqrt(1 / (1 + new) - 1 / acc) / (1 + rho * new))
    assert v["radicand_nonneg_fraction"][1.0] == 0.0
    assert abs(v["adadelta_500"]) < 1e-6


def test_other_numbers(results: dict[str, audit.Result]) -> None:
    assert results["E4"].values["mse"] == pytest.approx(0.01)
    assert results["E4"].values["w_new"] == pytest.approx(0.9 - 0.1 * (-2 * (1 - 0.9)))
    assert results["F15"].values["alpha_10"] == pytest.approx(0.1 * 0.9**10)
    assert results["F16"].values["first_steps"] == pytest.approx(
        [0.01 * g / (g + 1e-8) for g in (1e-3, 1, 1e3)]
    )
    assert results["F5"].values["trained_loss"] >= results["F5"].values["loss_floor"] == 12.5
    assert min(results["F3"].values["doc_xor_mse"]) >= 0.25 - 1e-9
    assert max(results["F3"].values["corrected_xor_mse"]) < 0.05
    assert results["E5"].values["held_out_rows"] == 51416 - 41000


def test_audit_is_deterministic(results: dict[str, audit.Result]) -> None:
    again = audit.run_check(audit.get_check("F4"))
    assert again.evidence == results["F4"].evidence


# --------------------------------------------------------------------------- command line
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinynet", "audit", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_table() -> None:
    proc = _cli()
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for item, verdict in EXPECTED.items():
        row = next(line for line in out.splitlines() if line.startswith(f"{item} ".ljust(5)))
        label = {
            WRONG: "WRONG",
            CONVENTION: "holds under",
            HOLDS: "holds",
            UNVERIFIABLE: "unverifiable",
        }[verdict]
        assert label in row, row
    assert "23 checks" in out and "FAILED" not in out


def test_cli_item_detail() -> None:
    proc = _cli("--item", "F18")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("F18 -- 001 §2.5.3")
    assert "WRONG" in out and "corrected" in out and "Step by step" in out and "Zeiler" in out
    assert "divide by zero" in out  # the NaN at step 1 is evidence, recorded from numpy's events
    lower = _cli("--item", "e3")
    assert lower.returncode == 0 and "0.100995" in lower.stdout


def test_cli_unknown_item() -> None:
    proc = _cli("--item", "F99")
    assert proc.returncode == 2
    assert "unknown item 'F99'" in proc.stderr and "F1" in proc.stderr


def _namespace(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**{"item": None, "draws": 20, "width": 120, **kw})


def test_run_returns_zero_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert audit.run(_namespace()) == 0
    assert "E5" in capsys.readouterr().out


# --------------------------------------------------------------------------- mutations
def test_broken_sigmoid_backward_is_noticed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """σ'(x) = σ(x) (a classic slip) instead of σ(x)(1 − σ(x)) must fail the audit."""
    from tinynet.backend import xp
    from tinynet.ops.activations import Sigmoid

    def wrong_backward(self: Sigmoid, grad: object) -> tuple[object]:
        x = self.inputs[0].data
        return (grad * (1 / (1 + xp.exp(-x))),)

    monkeypatch.setattr(Sigmoid, "backward", wrong_backward)
    mutated = {r.item: r for r in audit.run_all(draws=20)}
    changed = [i for i in SIGMOID_ITEMS if mutated[i].verdict != EXPECTED[i]]
    assert changed == SIGMOID_ITEMS, {i: mutated[i].verdict for i in SIGMOID_ITEMS}
    assert all(mutated[i].verdict == ERROR for i in SIGMOID_ITEMS)
    assert "finite differences" in (mutated["F8"].error or "")
    # items that do not use the sigmoid keep their verdicts
    for item in ["F14", "F15", "F16", "F17", "F18", "E1", "E2", "E4", "E5"]:
        assert mutated[item].verdict == EXPECTED[item], item
    assert audit.run(_namespace()) == 1
    assert "failed to run" in capsys.readouterr().err


def test_broken_adam_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adam without bias correction (a plausible bug): F16 must not blame the document."""
    from tinynet.backend import to_numpy, xp
    from tinynet.optim import Adam

    def no_bias_correction(self: Adam, group: dict, trace: list | None) -> None:
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            st = self.state.setdefault(p, {})
            if not st:
                st.update(step=0, exp_avg=xp.zeros_like(p.data), exp_avg_sq=xp.zeros_like(p.data))
            st["step"] += 1
            m, v = st["exp_avg"], st["exp_avg_sq"]
            m *= b1
            m += (1 - b1) * p.grad
            v *= b2
            v += (1 - b2) * p.grad * p.grad
            update = lr * m / (xp.sqrt(v) + eps)
            p.data -= update
            if trace is not None:
                keys = {
                    "g": p.grad,
                    "m": m,
                    "v": v,
                    "m_hat": m,
                    "v_hat": v,
                    "update": update,
                    "param": p.data,
                }
                trace.append({k: to_numpy(a).copy() for k, a in keys.items()})

    monkeypatch.setattr(Adam, "_update", no_bias_correction)
    mutated = {r.item: r for r in audit.run_all(["F16", "F17", "E3"], draws=20)}
    assert all(r.verdict == ERROR for r in mutated.values()), {
        i: r.verdict for i, r in mutated.items()
    }


def test_broken_mse_loss_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    import tinynet.nn.functional as F

    original = F.mse_loss

    def doubled(input, target, reduction="mean"):  # noqa: A002
        return original(input, target, reduction) * 2.0

    monkeypatch.setattr(F, "mse_loss", doubled)
    mutated = {r.item: r for r in audit.run_all(["F9", "F10", "F11", "F12", "E4"], draws=20)}
    for item, r in mutated.items():
        assert r.verdict != EXPECTED[item] or r.verdict == ERROR, item


# --------------------------------------------------------------------------- the errata page
ERRATA = Path(__file__).resolve().parents[1] / "docs" / "errata.md"


def test_errata_commands_match_the_cli(results: dict[str, audit.Result]) -> None:
    text = ERRATA.read_text(encoding="utf-8")
    commands = re.findall(r"tinynet audit --item (\w+)", text)
    assert commands and all(c in audit.CHECKS for c in commands)
    for item, r in results.items():
        if r.verdict != HOLDS:  # every item that does not hold has an entry and its command
            assert f'<a id="{item.lower()}"></a>' in text, item
            assert f"tinynet audit --item {item}" in text, item


@pytest.mark.parametrize(
    ("item", "printed", "key"),
    [
        ("E3", "0.100995", lambda v: v["w_new"]),
        ("E3", "0.1009995", lambda v: v["w_new_true_grad"]),
        ("E3", "0.0996", lambda v: v["doc_own_w"]),
        ("E2", "0.0292", lambda v: v["lr_bound"]),
        ("E2", "5.85", lambda v: v["growth"]),
        ("E2", "24", lambda v: v["first_bad_float32"]),
        ("E2", "199", lambda v: v["first_bad_float64"]),
        ("E2", "2.958", lambda v: v["lr002"][0]),
        ("E2", "2.159", lambda v: v["lr002"][1]),
        ("F17", "104", lambda v: v["pos_first_nan"][0.001]),
        ("F17", "98", lambda v: v["random_nan_runs"]),
        ("F18", "2", lambda v: v["adadelta_500"] * 1e8),
        ("F9", "0.0005", lambda v: v["scalar_doc_ce_good_lazy"][1]),
        ("F9", "0.053", lambda v: v["scalar_doc_ce_good_lazy"][0]),
        ("F5", "12.5", lambda v: v["loss_floor"]),
        ("F3", "0.25", lambda v: v["best_affine_xor_mse"]),
        ("E1", "12", lambda v: v["grads"][1]),
    ],
)
def test_errata_numbers_match_the_audit(
    results: dict[str, audit.Result], item: str, printed: str, key: Any
) -> None:
    section = (
        ERRATA.read_text(encoding="utf-8")
        .split(f'<a id="{item.lower()}"></a>')[1]
        .split("<a id=")[0]
    )
    assert printed in section, (item, printed)
    assert printed_match(printed, key(results[item].values)), (
        item,
        printed,
        key(results[item].values),
    )
