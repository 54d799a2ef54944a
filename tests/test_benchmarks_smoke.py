"""Smoke test of the benchmark harness: ``python -m benchmarks --quick`` runs end to end.

No timing is asserted (CI machines are noisy); what is checked is that every
implementation computes the same training step (the agreement check) and that the
Markdown table and the JSON file have the expected rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["PYTHONIOENCODING"] = "utf-8"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=300,
    )
    return proc, out


@pytest.mark.slow
def test_quick_run_succeeds_and_agrees(quick_run):
    proc, out = quick_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    assert data["mode"] == "quick"
    assert data["agreement"], "the agreement check produced no rows"
    for row in data["agreement"]:
        assert row["ok"], row
    impls = {r["impl"] for r in data["agreement"]}
    assert "tinynet" in impls


@pytest.mark.slow
def test_quick_run_json_has_expected_rows(quick_run):
    proc, out = quick_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    machine = data["machine"]
    assert machine["cpu_model"] and machine["logical_cpus"] >= 1
    assert machine["versions"]["numpy"]
    assert data["date"]
    cells = {(r["size"], r["dtype"], r["impl"]) for r in data["training"]}
    for dtype in ("float32", "float64"):
        for impl in ("numpy", "tinynet"):
            assert ("small", dtype, impl) in cells
    for row in data["training"]:
        assert row["median_s"] > 0 and row["min_s"] <= row["median_s"] <= row["max_s"]
        if row["impl"] != "numpy":
            assert row["ratio_vs_reference"]["median"] > 0
    assert {"numpy", "tinynet"} <= {r["impl"] for r in data["per_op"]}
    memory = {r["impl"]: r for r in data["memory"]}
    assert memory["numpy"]["rss_extra_bytes"] > 0
    assert "rss_extra_bytes" in memory["tinynet"]
    targets = [t["target"] for t in data["targets"]]
    assert any("per-op" in t for t in targets)


@pytest.mark.slow
def test_quick_run_prints_and_writes_the_markdown_table(quick_run):
    proc, out = quick_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    md = (out / "latest.md").read_text(encoding="utf-8")
    assert md.strip() == proc.stdout.strip()
    assert "## Training step, CPU" in md
    assert "| small | float32 | tinynet |" in md
    assert "| small | float64 | numpy |" in md
    assert "## Per-op overhead" in md
    assert "## Peak extra memory" in md
    assert "## Agreement after 5 steps" in md
    assert "**NO**" not in md
