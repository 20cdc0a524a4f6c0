"""One benchmark candidate in a fresh process: ``python -m stylert.bench.worker SPEC_JSON``.

Prints one JSON object: per-size latency samples (ms), throughput samples (images/s)
and the process's peak resident memory (MB).
"""
from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np


def _torch_runner(spec):
    import torch

    from stylert.export.onnx_export import convention_module
    from stylert.models.checkpoint import load_checkpoint

    torch.set_num_threads(spec["threads"])
    module = convention_module(load_checkpoint(spec["model"]))

    def run(x: np.ndarray) -> None:
        with torch.inference_mode():  # the pytorch/examples way: eager fp32
            module(torch.from_numpy(x))

    return run


def _ort_runner(spec):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if spec.get("tuned"):
        opts.intra_op_num_threads = spec["threads"]
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
    session = ort.InferenceSession(spec["model"], opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(x: np.ndarray) -> None:
        session.run(None, {name: x})

    return run


def _gemm(spec) -> dict:
    """fp32 GEMM GFLOP/s with the best BLAS at hand (torch's, then numpy's): the roofline."""
    n, best = 2048, 0.0
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    try:
        import torch

        torch.set_num_threads(spec["threads"])
        ta = torch.from_numpy(a)
        mm = lambda: torch.mm(ta, ta)  # noqa: E731
    except ImportError:
        mm = lambda: a @ a  # noqa: E731
    mm()
    for _ in range(spec["repeats"]):
        t = time.perf_counter()
        mm()
        best = max(best, 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return {"gemm_gflops": best}


def peak_rss_mb() -> float:
    """This process's peak resident memory. /proc's VmHWM starts afresh at exec; ru_maxrss
    would include the parent's peak from before the fork."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    spec = json.loads(sys.argv[1])
    if spec["kind"] == "gemm":
        result = _gemm(spec)
    else:
        run = (_torch_runner if spec["kind"] == "torch" else _ort_runner)(spec)
        rng = np.random.default_rng(0)
        result = {"latency_ms": {}, "throughput_ips": None}
        for h, w in spec["sizes"]:
            x = (rng.random((1, 3, h, w), dtype=np.float32) * 255)
            run(x)  # warm-up (twice): allocations, kernel and primitive selection for this shape
            run(x)
            samples = []
            for _ in range(spec["repeats"]):
                t = time.perf_counter()
                run(x)
                samples.append((time.perf_counter() - t) * 1000)
            result["latency_ms"][f"{h}x{w}"] = samples
        if spec.get("batch"):
            h, w = spec["throughput_size"]
            x = rng.random((spec["batch"], 3, h, w), dtype=np.float32) * 255
            run(x)
            samples = []
            for _ in range(max(2, spec["repeats"] // 2)):
                t = time.perf_counter()
                run(x)
                samples.append(spec["batch"] / (time.perf_counter() - t))
            result["throughput_ips"] = samples
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
