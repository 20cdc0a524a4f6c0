"""Bench report: markdown table, JSON and a PNG chart, all from the same numbers."""
from __future__ import annotations

import json
from pathlib import Path

from stylert._lazy import installed
from stylert.atomic_files import atomic_output


TARGET_SIZE = "512x512"


def targets(report: dict) -> list[tuple[str, float, float, bool]]:
    """(target, measured, required, met) for the issue's CPU targets, at 512x512 batch 1."""
    by_name = {r["name"]: r for r in report["results"]}
    needed = ("PyTorch eager fp32", "stylert fp32", "stylert int8")
    if not all(n in by_name and TARGET_SIZE in by_name[n]["latency_p50_ms"] for n in needed):
        return []
    torch_ms = by_name["PyTorch eager fp32"]["latency_p50_ms"][TARGET_SIZE]
    fp32, int8 = by_name["stylert fp32"], by_name["stylert int8"]
    rows = [("fp32 speed-up over PyTorch eager", torch_ms / fp32["latency_p50_ms"][TARGET_SIZE], 1.7),
            ("fp32 share of the GEMM roofline", fp32["gflops"][TARGET_SIZE] / report["gemm_roofline_gflops"], 0.85),
            ("int8 speed-up over PyTorch eager", torch_ms / int8["latency_p50_ms"][TARGET_SIZE], 4.0)]
    return [(name, got, need, got >= need) for name, got, need in rows]


def markdown(report: dict) -> str:
    results = report["results"]
    sizes = list(results[0]["latency_p50_ms"]) if results else []
    anchor = results[0] if results else None
    lines = [f"Measured {report['date']} on {report['machine']['cpu']} ({report['machine']['cores']} cores), "
             f"{report['config']['repeats']} runs per cell, medians. GEMM roofline (fp32): "
             f"{report['gemm_roofline_gflops']:.0f} GFLOP/s.", ""]
    header = "| candidate | " + " | ".join(f"{s} p50 / p90 ms" for s in sizes)
    header += f" | speed-up vs {anchor['name'] if anchor else '-'} ({sizes[1] if len(sizes) > 1 else '-'}) "
    header += "| GFLOP/s (% of GEMM) | batch throughput img/s | peak MB |"
    lines += [header, "|" + "---|" * (len(sizes) + 5)]
    key = sizes[1] if len(sizes) > 1 else (sizes[0] if sizes else None)
    for r in results:
        cells = [f"{r['latency_p50_ms'][s]:.1f} / {r['latency_p90_ms'][s]:.1f}" for s in sizes]
        speedup = anchor["latency_p50_ms"][key] / r["latency_p50_ms"][key] if key else float("nan")
        gf = r["gflops"].get(key, 0.0)
        tp = f"{r['throughput_ips']:.1f}" if r["throughput_ips"] else "-"
        lines.append(f"| {r['name']} | " + " | ".join(cells) + f" | {speedup:.2f}x | {gf:.0f} "
                     f"({gf / report['gemm_roofline_gflops'] * 100:.0f} %) | {tp} | {r['peak_rss_mb']:.0f} |")
    gemm_libs = ", ".join(f"{k} {v:.0f}" for k, v in report.get("gemm_by_library", {}).items())
    lines += ["", f"GEMM GFLOP/s by library (the best is the roofline): {gemm_libs}. GFLOP/s count the "
                  "convolutions' multiply-adds; int8 rows count the same operations, done in int8."]
    checks = targets(report)
    if checks:
        lines += ["", f"Targets ({TARGET_SIZE}, batch 1, medians of this run):", "",
                  "| target | measured | required | |", "|---|---|---|---|"]
        lines += [f"| {name} | {got:.2f} | {need:.2f} | {'met' if ok else 'NOT met'} |"
                  for name, got, need, ok in checks]
    profiles = report.get("op_profiles_ms", {})
    if profiles:
        names = list(profiles)
        ops = sorted({op for p in profiles.values() for op in p}, key=lambda op: -max(p.get(op, 0) for p in
                                                                                         profiles.values()))
        lines += ["", f"Where the time goes: ONNX Runtime per-op time at {report.get('profile_size')} (ms, one run, "
                      "from its profiler):", "", "| op | " + " | ".join(names) + " |",
                  "|---|" + "---|" * len(names)]
        lines += [f"| {op} | " + " | ".join(f"{profiles[n].get(op, 0.0):.1f}" for n in names) + " |" for op in ops]
    return "\n".join(lines) + "\n"


def chart(report: dict, path: Path) -> None:
    from stylert._lazy import require

    matplotlib = require("matplotlib", "the benchmark chart")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report["results"]
    sizes = list(results[0]["latency_p50_ms"])
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    width = 0.8 / max(1, len(results))
    for i, r in enumerate(results):
        xs = [j + i * width for j in range(len(sizes))]
        ax.bar(xs, [r["latency_p50_ms"][s] for s in sizes], width, label=r["name"])
    ax.set_xticks([j + width * (len(results) - 1) / 2 for j in range(len(sizes))], sizes)
    ax.set_ylabel("latency p50 (ms, lower is better)")
    ax.set_title(f"stylert bench — {report['machine']['cpu']}, {report['date']}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def write_report(report: dict, out_dir: Path) -> dict[str, Path]:
    """The JSON and the markdown table, and the chart where matplotlib is installed (the numbers are never lost
    for want of it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "bench.json", "md": out_dir / "bench.md", "png": out_dir / "bench.png"}
    with atomic_output(paths["json"]) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    with atomic_output(paths["md"]) as tmp:
        tmp.write_text(markdown(report))
    if not installed("matplotlib"):
        del paths["png"]
        return paths
    chart(report, paths["png"])
    return paths
