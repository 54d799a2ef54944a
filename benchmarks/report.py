"""Turning the measurements into the Markdown report (stdout and ``results/latest.md``)."""

from __future__ import annotations

from typing import Any

from benchmarks.common import fmt_time

#: (description, size, dtype, limit) of the training-step targets: tinynet / numpy.
STEP_TARGETS = (
    ("small", "float32", 1.5),
    ("medium", "float32", 1.10),
    ("large", "float32", 1.05),
)
PER_OP_TARGET_S = 20e-6
MEMORY_TARGET = 1.5


def _mib(n: float) -> str:
    return f"{n / 2**20:.2f} MiB"


def _x(r: float | None) -> str:
    return "–" if r is None else f"{r:.2f}×"


def header_line(machine: dict[str, Any], quick: bool) -> str:
    v = machine["versions"]
    return (
        f"tinynet benchmarks ({'quick' if quick else 'full'}): {machine['cpu_model']}, "
        f"{machine['logical_cpus']} logical CPUs, {machine['threads']} thread(s); numpy {v['numpy']}, "
        f"torch {v['torch'] or '-'}, dezero {v['dezero'] or '-'}"
    )


def progress_line(rows: list[dict[str, Any]]) -> str:
    parts = [f"{r['impl']} {fmt_time(r['median_s'])}" for r in rows]
    return f"  {rows[0]['size']:6s} {rows[0]['dtype']}: " + ", ".join(parts)


def _row(results: dict[str, Any], size: str, dtype: str, impl: str) -> dict[str, Any] | None:
    for r in results["training"]:
        if (r["size"], r["dtype"], r["impl"]) == (size, dtype, impl):
            return r
    return None


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for size, dtype, limit in STEP_TARGETS:
        r = _row(results, size, dtype, "tinynet")
        value = r["ratio_vs_reference"]["median"] if r else None
        out.append(
            {
                "target": f"{size} {dtype} step: tinynet ≤ {limit}× numpy",
                "value": value,
                "display": "–" if value is None else f"{value:.3f}×",
                "met": None if value is None else value <= limit,
            }
        )
    op = next((r for r in results.get("per_op", []) if r["impl"] == "tinynet"), None)
    value = op["median_s"] if op else None
    out.append(
        {
            "target": "per-op (a*b + c).sum() fwd+bwd ≤ 20 µs",
            "value": value,
            "display": "–" if value is None else fmt_time(value),
            "met": None if value is None else value <= PER_OP_TARGET_S,
        }
    )
    mem = next((r for r in results.get("memory", []) if r["impl"] == "tinynet"), None)
    value = mem.get("rss_ratio_vs_numpy") if mem else None
    out.append(
        {
            "target": "peak extra memory, medium: tinynet ≤ 1.5× numpy",
            "value": value,
            "display": _x(value),
            "met": None if value is None else value <= MEMORY_TARGET,
        }
    )
    return out


def _training_table(rows: list[dict[str, Any]], ref: str) -> list[str]:
    lines = [
        f"| size | dtype | implementation | median | IQR | min – max | × {ref} (IQR) | "
        "page faults / step | rounds × steps |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = r["ratio_vs_reference"]
        rs = (
            "1 (reference)"
            if ratio is None
            else f"{ratio['median']:.2f}× ({ratio['q1']:.2f}–{ratio['q3']:.2f})"
        )
        lines.append(
            f"| {r['size']} | {r['dtype']} | {r['impl']} | {fmt_time(r['median_s'])} | "
            f"{fmt_time(r['q1_s'])} – {fmt_time(r['q3_s'])} | {fmt_time(r['min_s'])} – {fmt_time(r['max_s'])} | "
            f"{rs} | {r.get('minor_page_faults_per_step', 0):.0f} | "
            f"{r['rounds']} × {r['steps_per_block']} |"
        )
    return lines


def _peer_table(rows: list[dict[str, Any]]) -> list[str]:
    impls: list[str] = []
    for r in rows:
        if r["impl"] not in impls:
            impls.append(r["impl"])
    cells: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        cells.setdefault((r["size"], r["dtype"]), {})[r["impl"]] = r
    lines = [
        "| size | dtype | row ÷ column | " + " | ".join(impls) + " |",
        "|---|---|---|" + "---:|" * len(impls),
    ]
    for (size, dtype), by_impl in cells.items():
        for a in impls:
            if a not in by_impl:
                continue
            vals = []
            for b in impls:
                if b == a or b not in by_impl:
                    vals.append("–")
                else:
                    vals.append(f"{by_impl[a]['ratio_vs'][b]:.2f}")
            lines.append(f"| {size} | {dtype} | {a} | " + " | ".join(vals) + " |")
    return lines


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    v = m["versions"]
    load0 = m.get("load_average_at_start")
    load1 = m.get("load_average_at_end")
    out = [
        "# tinynet benchmarks",
        "",
        f"- date: {results['date']} ({results['mode']} run, {results.get('elapsed_s', '?')} s)",
        f"- machine: {m['cpu_model']}, {m['logical_cpus']} logical CPUs, {m['platform']}",
        f"- threads per implementation: {m['threads']} (BLAS/OpenMP env vars and torch.set_num_threads); "
        + (
            "one worker process per implementation, timed blocks interleaved round-robin"
            if results["config"].get("process_per_implementation", True)
            else "all CPU implementations in one process (--same-process), interleaved round-robin"
        ),
        f"- load average (1/5/15 min) at start: {', '.join(f'{x:.2f}' for x in load0) if load0 else '?'}"
        f"; at end: {', '.join(f'{x:.2f}' for x in load1) if load1 else '?'}",
        f"- versions: tinynet {v['tinynet']} ({v['tinynet_commit']}), python {m['python']}, "
        f"numpy {v['numpy']} ({v['numpy_blas']}), torch {v['torch'] or 'not installed'}, "
        f"dezero {v['dezero'] or 'not installed'}, cupy {v['cupy'] or 'not installed'}",
        "- step = MLP forward (ReLU hidden layers) + softmax cross-entropy + backward + Adam "
        "(lr 1e-3, PyTorch's formula), same initial weights and batch for everyone; "
        "times are per step, median over interleaved rounds; ratios are medians of per-round ratios",
        "",
        "## Training step, CPU",
        "",
    ]
    out += _training_table(results["training"], "numpy")
    out += [
        "",
        "### Every implementation against every other (median of per-round time ratios; < 1: row is faster)",
        "",
    ]
    out += _peer_table(results["training"])

    gpu = results.get("gpu") or {}
    if gpu.get("training"):
        out += ["", f"## Training step, GPU ({gpu.get('device', 'CUDA device')})", ""]
        out += _training_table(gpu["training"], gpu["training"][0]["reference"])
        out += ["", "### Every GPU implementation against every other", ""]
        out += _peer_table(gpu["training"])

    if results.get("per_op"):
        out += [
            "",
            "## Per-op overhead: `(a*b + c).sum()` forward + backward, 10×10 float32",
            "",
            "| implementation | median | IQR | min – max | × numpy |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in results["per_op"]:
            out.append(
                f"| {r['impl']} | {fmt_time(r['median_s'])} | {fmt_time(r['q1_s'])} – {fmt_time(r['q3_s'])} | "
                f"{fmt_time(r['min_s'])} – {fmt_time(r['max_s'])} | {_x(r['ratio_vs_numpy'])} |"
            )
        if all("ratio_vs" in r for r in results["per_op"]):
            out += ["", "Every implementation against every other (median of per-round ratios):", ""]
            out += _peer_table(
                [{**r, "size": "10×10", "dtype": "float32"} for r in results["per_op"]]
            )
        worst = max(r["gradient_error"] for r in results["per_op"])
        out.append(
            f"\nEvery implementation's gradients equal the analytic ones (max error {worst:.1e})."
        )

    if results.get("memory"):
        steps = results["memory"][0]["steps"]
        out += [
            "",
            f"## Peak extra memory while training (medium, float32, {steps} steps, fresh process each)",
            "",
            "| implementation | peak RSS increase | × numpy | tracemalloc peak increase | × numpy |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in results["memory"]:
            rss = r.get("rss_extra_bytes")
            tm = r.get("tracemalloc_extra_bytes")
            out.append(
                f"| {r['impl']} | {_mib(rss) if rss is not None else '–'} | {_x(r.get('rss_ratio_vs_numpy'))} | "
                f"{_mib(tm) if tm is not None else 'n/a'} | {_x(r.get('tracemalloc_ratio_vs_numpy'))} |"
            )

    agreement = results["agreement"] + gpu.get("agreement", [])
    if agreement:
        out += [
            "",
            "## Agreement after 5 steps from the same start (against the hand-written reference)",
            "",
            "Errors: loss as max |Δ| over the 5 steps; gradient (first step) and parameters "
            "(after step 5) as ‖x − x_ref‖ / ‖x_ref‖, the parameters relative to the "
            "reference's own update ‖θ₅ − θ₀‖. float64 proves the same math; float32 "
            "only has sanity tolerances (see docs/benchmarks.md).",
            "",
            "| size | dtype | implementation | max \\|Δ loss\\| | gradient error | parameter error | "
            "max \\|Δ parameter\\| | within tolerance |",
            "|---|---|---|---:|---:|---:|---:|---|",
        ]
        for r in agreement:
            t = r["tolerances"]
            out.append(
                f"| {r['size']} | {r['dtype']} | {r['impl']} | {r['max_abs_loss_diff']:.1e} | "
                f"{r['first_step_grad_rel_error']:.1e} | {r['relative_update_error']:.1e} | "
                f"{r['max_abs_param_diff']:.1e} | {'yes' if r['ok'] else '**NO**'} "
                f"(≤ {t['loss']:.0e}, {t['grad']:.0e}, {t['params']:.0e}) |"
            )

    if results.get("targets"):
        out += ["", "## Targets (tinynet)", "", "| target | measured | met |", "|---|---:|---|"]
        for t in results["targets"]:
            met = "not measured" if t["met"] is None else ("yes" if t["met"] else "**no**")
            out.append(f"| {t['target']} | {t['display']} | {met} |")

    if results.get("skipped"):
        out += ["", "## Skipped", ""]
        for s in results["skipped"]:
            out.append(f"- {s['what']}: {s['why']}")
    return "\n".join(out) + "\n"
