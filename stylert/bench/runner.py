"""Run every candidate in its own process, side by side in one run, and summarise."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from stylert.bench.flops import conv_flops
from stylert.errors import StylertError


@dataclass(frozen=True)
class Candidate:
    name: str          # shown in tables
    kind: str          # torch | ort
    model: Path
    tuned: bool = False
    precision: str = "fp32"


@dataclass(frozen=True)
class BenchConfig:
    sizes: tuple[tuple[int, int], ...] = ((256, 256), (512, 512), (720, 1280))
    repeats: int = 5
    batch: int = 4
    throughput_size: tuple[int, int] = (256, 256)
    threads: int = os.cpu_count() or 1


@dataclass
class CandidateResult:
    name: str
    precision: str
    latency_p50_ms: dict[str, float] = field(default_factory=dict)
    latency_p90_ms: dict[str, float] = field(default_factory=dict)
    gflops: dict[str, float] = field(default_factory=dict)
    throughput_ips: float | None = None
    peak_rss_mb: float = 0.0
    samples_ms: dict[str, list[float]] = field(default_factory=dict)


def _worker(spec: dict) -> dict:
    env = os.environ | {"OMP_NUM_THREADS": str(spec["threads"])}
    proc = subprocess.run([sys.executable, "-m", "stylert.bench.worker", json.dumps(spec)], capture_output=True,
                          text=True, env=env)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise StylertError(f"benchmark worker '{spec.get('kind')}' failed: {last}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_bench(candidates: list[Candidate], config: BenchConfig, flops_onnx: Path,
              on_progress: Callable[[str], None] = lambda s: None) -> dict:
    """Measure the GEMM roofline and every candidate; returns the JSON-ready report.
    ``flops_onnx``: the fp32 model whose convolution FLOPs every candidate performs."""
    base = {"threads": config.threads, "repeats": config.repeats}
    on_progress("GEMM roofline")
    gemm_result = _worker(base | {"kind": "gemm"})
    gemm = gemm_result["gemm_gflops"]
    flops = {f"{h}x{w}": conv_flops(flops_onnx, h, w) for h, w in config.sizes}
    results = []
    for cand in candidates:
        on_progress(cand.name)
        raw = _worker(base | {"kind": cand.kind, "model": str(cand.model), "tuned": cand.tuned,
                              "sizes": [list(s) for s in config.sizes], "batch": config.batch,
                              "throughput_size": list(config.throughput_size)})
        res = CandidateResult(cand.name, cand.precision, peak_rss_mb=raw["peak_rss_mb"], samples_ms=raw["latency_ms"])
        for key, samples in raw["latency_ms"].items():
            res.latency_p50_ms[key] = statistics.median(samples)
            res.latency_p90_ms[key] = _percentile(samples, 0.9)
            res.gflops[key] = flops[key] / (res.latency_p50_ms[key] / 1000) / 1e9
        res.throughput_ips = statistics.median(raw["throughput_ips"]) if raw["throughput_ips"] else None
        results.append(res)
    profiles = {}
    profile_size = config.sizes[1] if len(config.sizes) > 1 else config.sizes[0]
    for cand in candidates:
        if cand.kind == "ort" and cand.tuned:
            on_progress(f"per-op profile of {cand.name}")
            profiles[cand.name] = _worker(base | {"kind": "profile", "model": str(cand.model),
                                                  "size": list(profile_size)})["op_ms"]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(), "python": platform.python_version()},
        "config": asdict(config),
        "gemm_roofline_gflops": gemm,
        "gemm_by_library": gemm_result["gemm_by_library"],
        "results": [asdict(r) for r in results],
        "profile_size": "x".join(map(str, profile_size)),
        "op_profiles_ms": profiles,
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
