"""One benchmark candidate in a fresh process: ``python -m stylert.bench.worker SPEC_JSON``.

Prints one JSON object: per-size latency samples (ms), throughput samples (images/s)
and the process's peak resident memory (MB).
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

from stylert.model_info import ONNX_IR_VERSION
from stylert.ort_session import ort_session


def _torch_runner(spec):
    import torch

    from stylert.models.convention import convention_module
    from stylert.models.checkpoint import load_checkpoint

    torch.set_num_threads(spec["threads"])
    module = convention_module(load_checkpoint(spec["model"]))

    def run(x: np.ndarray) -> None:
        with torch.inference_mode():  # the pytorch/examples way: eager fp32
            module(torch.from_numpy(x))

    return run


def _ort_runner(spec):
    """'stylert' candidates run the shipped OnnxRuntimeBackend exactly as the commands do; the 'ONNX Runtime
    default' candidate is a bare session with ONNX Runtime's own defaults."""
    if spec.get("tuned"):
        from stylert.runtime.backends.base import BackendOptions
        from stylert.runtime.backends.onnxruntime import OnnxRuntimeBackend

        backend = OnnxRuntimeBackend(Path(spec["model"]), BackendOptions(device="cpu", threads=spec["threads"])).open()
        return backend.run

    session = ort_session(spec["model"])
    name = session.get_inputs()[0].name

    def run(x: np.ndarray) -> None:
        session.run(None, {name: x})

    return run


def _gemm(spec) -> dict:
    """fp32 GEMM GFLOP/s, best of ONNX Runtime's MLAS, torch's BLAS and numpy's: the roofline."""
    n = 2048
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    candidates = {"numpy": lambda: a @ b}
    try:
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper

        graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "gemm",
                                  [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])],
                                  [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])],
                                  [numpy_helper.from_array(b, "b")])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = spec["threads"]
        model = helper.make_model(graph, ir_version=ONNX_IR_VERSION, opset_imports=[helper.make_opsetid("", 18)])
        session = ort_session(model.SerializeToString(), opts)
        candidates["onnxruntime"] = lambda: session.run(None, {"a": a})
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(spec["threads"])
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        candidates["torch"] = lambda: torch.mm(ta, tb)
    except ImportError:
        pass
    best = {}
    for name, mm in candidates.items():
        mm()
        best[name] = 0.0
        for _ in range(max(3, spec["repeats"])):
            t = time.perf_counter()
            mm()
            best[name] = max(best[name], 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return {"gemm_gflops": max(best.values()), "gemm_by_library": best}


def _op_profile(spec, x: np.ndarray) -> dict[str, float]:
    """Per-op-type milliseconds of one ONNX Runtime run (from its profiler), for the report."""
    import json as _json

    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.enable_profiling = True
    opts.intra_op_num_threads = spec["threads"]
    session = ort_session(spec["model"], opts)
    runs = 3
    for _ in range(runs):
        session.run(None, {session.get_inputs()[0].name: x})
    path = session.end_profiling()
    totals: dict[str, float] = {}
    with open(path) as fh:
        for event in _json.load(fh):
            if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
                op = event["args"].get("op_name", "?")
                totals[op] = totals.get(op, 0.0) + event["dur"] / 1000 / runs
    Path(path).unlink(missing_ok=True)
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


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
    elif spec["kind"] == "profile":
        h, w = spec["size"]
        result = {"op_ms": _op_profile(spec, np.random.default_rng(0).random((1, 3, h, w), dtype=np.float32) * 255)}
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
    sys.stdout.write(json.dumps(result) + "\n")  # the worker's one output, read by bench.runner


if __name__ == "__main__":
    main()
