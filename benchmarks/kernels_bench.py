"""stylert's fused CUDA kernels against the memory roofline and against PyTorch's own ops, in one run.

Per shape: the device copy bandwidth measured now (bytes read + written), the bytes each kernel must
move, achieved GB/s and its share of copy bandwidth, and PyTorch's equivalent ops side by side. Every
timing is a CUDA graph of 20 calls replayed 7 times (median), so neither side pays Python launch cost.
InstanceNorm rows are InstanceNorm + residual + ReLU; their GB/s counts 4 x the tensor's bytes (x read
twice, residual read, y written), as issue #11 defines, and "min" is the 3 x no kernel can go below.
Needs an NVIDIA GPU, PyTorch with CUDA and cuda-python (NVRTC). Writes results/kernels.{json,md}.
Run: python benchmarks/kernels_bench.py [--quick]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save  # noqa: E402
from stylert.frames.yuv import YuvColour  # noqa: E402
from stylert.gpu.probe import machine_facts  # noqa: E402

# (label, N, C, H, W): InstanceNorm inputs of the supported networks.
INSTNORM_SHAPES = [
    ("TransformerNet 1080p conv1", 1, 32, 1080, 1920),
    ("TransformerNet 1080p conv2", 1, 64, 540, 960),
    ("TransformerNet 1080p residual", 1, 128, 270, 480),
    ("TransformerNet 1080p residual, batch 4", 4, 128, 270, 480),
    ("TransformerNet 4K conv1", 1, 32, 2160, 3840),
    ("TransformerNet 256x256 residual", 1, 128, 64, 64),
    ("TransformerNet lite 720p conv1", 1, 16, 720, 1280),
    ("TransformerNet lite 720p residual", 1, 64, 180, 320),
    ("CycleGAN 256x256 c7s1-64, batch 8", 8, 64, 256, 256),
    ("CycleGAN 256x256 residual, batch 8", 8, 256, 64, 64),
    ("CycleGAN 1080p residual", 1, 256, 270, 480),
]
FRAME_SHAPES = [("4K frame", 1, 2160, 3840), ("1080p, batch 4", 4, 1080, 1920), ("1080p frame", 1, 1080, 1920)]
CALLS, REPEATS = 20, 7


def graph_ms(torch, fn) -> float:
    """Median milliseconds per call of ``fn`` (which enqueues on the current stream), from a CUDA graph."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(CALLS):
            fn()
    times = []
    for _ in range(REPEATS):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / CALLS)
    return statistics.median(times)


def copy_bandwidth(torch) -> float:
    """GB/s of a 1 GiB device-to-device copy, counting bytes read plus bytes written."""
    src = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = graph_ms(torch, lambda: dst.copy_(src))
    return 2 * src.numel() / ms / 1e6


def instnorm_rows(torch, kernels, copy_gbs: float, shapes) -> list[dict]:
    stream = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731
    rows = []
    for label, n, c, h, w in shapes:
        for dtype, name in ((torch.float32, "fp32"), (torch.float16, "fp16")):
            x = torch.randn(n, c, h, w, device="cuda").mul_(20).add_(5).to(dtype)
            res, y = torch.randn_like(x), torch.empty_like(x)
            gamma = torch.rand(c, device="cuda") + 0.5
            beta = torch.rand(c, device="cuda") - 0.5
            half = dtype == torch.float16
            ws = torch.empty(kernels.instnorm_workspace_bytes(n, c, h * w, half), dtype=torch.uint8, device="cuda")
            ours = graph_ms(torch, lambda: kernels.instnorm(
                x.data_ptr(), res.data_ptr(), gamma.data_ptr(), beta.data_ptr(), y.data_ptr(), n, c, h * w, relu=True,
                half=half, workspace=ws.data_ptr(), stream=stream()))
            g, b = gamma.to(dtype), beta.to(dtype)
            theirs = graph_ms(torch, lambda: torch.relu(torch.nn.functional.instance_norm(x, weight=g, bias=b) + res))
            reference = torch.relu(torch.nn.functional.instance_norm(x.float(), weight=gamma, bias=beta) + res.float())
            err = float((y.float() - reference).abs().max())
            nbytes = x.numel() * x.element_size()
            gbs = 4 * nbytes / ours / 1e6
            rows.append({"kernel": "instnorm+residual+relu", "shape": label, "dims": [n, c, h, w], "dtype": name,
                         "stylert_ms": ours, "pytorch_ms": theirs, "gbs_4x": gbs, "pct_copy": 100 * gbs / copy_gbs,
                         "gbs_min_bytes": 3 * nbytes / ours / 1e6, "speedup_vs_pytorch": theirs / ours,
                         "max_abs_err_vs_fp32": err})
            print(rows[-1], file=sys.stderr)
    return rows


def _torch_i420(torch, tensor):
    """PyTorch's way to the same planes: round, BT.601 studio-range luma, chroma of 2x2 means."""
    rgb = tensor.float().clamp(0, 255).round()
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    mean = torch.nn.functional.avg_pool2d(rgb, 2)
    u = 128 + (-37.797 * mean[:, 0] - 74.203 * mean[:, 1] + 112.0 * mean[:, 2]) / 255
    v = 128 + (112.0 * mean[:, 0] - 93.786 * mean[:, 1] - 18.214 * mean[:, 2]) / 255
    n = tensor.shape[0]
    return torch.cat([y.reshape(n, -1), u.reshape(n, -1), v.reshape(n, -1)], 1).round().clamp(0, 255).to(torch.uint8)


def _torch_yuv_to_bgr(torch, planes, coefficients):
    """PyTorch's way from a decoder's yuv420p planes to BGR uint8 (chroma shared by each 2x2 block)."""
    y0, ys, cs, rv, gu, gv, bu = coefficients
    n, rows, w = planes.shape
    h = rows * 2 // 3
    flat = planes.reshape(n, -1).float()
    y = (flat[:, :h * w].reshape(n, h, w) - y0) * ys
    chroma = (flat[:, h * w:].reshape(n, 2, h // 2, w // 2) - 128) * cs
    u, v = chroma.repeat_interleave(2, 2).repeat_interleave(2, 3).unbind(1)
    bgr = torch.stack([y + bu * u, y - (gu * u + gv * v), y + rv * v], dim=-1)
    return bgr.round().clamp(0, 255).to(torch.uint8)


def prepost_rows(torch, kernels, copy_gbs: float, shapes) -> list[dict]:
    stream = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731
    rows = []
    for label, n, h, w in shapes:
        frames = torch.randint(0, 256, (n, h, w, 3), dtype=torch.uint8, device="cuda")
        out = torch.empty_like(frames)
        for dtype, name in ((torch.float32, "fp32"), (torch.float16, "fp16")):
            half = dtype == torch.float16
            tensor = torch.empty(n, 3, h, w, dtype=dtype, device="cuda")
            pre = graph_ms(torch, lambda: kernels.preprocess(frames.data_ptr(), n, h, w, w * 3, tensor.data_ptr(),
                                                             (h, w), half=half, stream=stream()))
            torch_pre = graph_ms(torch, lambda: frames.permute(0, 3, 1, 2).flip(1).to(dtype).contiguous())
            post = graph_ms(torch, lambda: kernels.postprocess(tensor.data_ptr(), n, (h, w), frames.data_ptr(), h, w,
                                                               out.data_ptr(), half=half, stream=stream()))
            torch_post = graph_ms(torch, lambda: tensor.clamp(0, 255).round().to(torch.uint8).flip(1)
                                  .permute(0, 2, 3, 1).contiguous())
            planes = torch.empty(n, 3 * h // 2, w, dtype=torch.uint8, device="cuda")
            post420 = graph_ms(torch, lambda: kernels.postprocess_i420(tensor.data_ptr(), n, (h, w), frames.data_ptr(),
                                                                      h, w, planes.data_ptr(), half=half,
                                                                      stream=stream()))
            torch_post420 = graph_ms(torch, lambda: _torch_i420(torch, tensor))
            nbytes = n * h * w * 3 * (1 + tensor.element_size())  # uint8 one way, the float tensor the other
            i420_bytes = n * h * w * (3 * tensor.element_size() + 1.5)  # the tensor read, the planes written
            for kernel, ms, theirs, moved in (("preprocess", pre, torch_pre, nbytes),
                                              ("postprocess", post, torch_post, nbytes),
                                              ("postprocess to yuv420p", post420, torch_post420, i420_bytes)):
                gbs = moved / ms / 1e6
                rows.append({"kernel": kernel, "shape": label, "dims": [n, h, w], "dtype": name, "stylert_ms": ms,
                             "pytorch_ms": theirs, "gbs": gbs, "pct_copy": 100 * gbs / copy_gbs,
                             "speedup_vs_pytorch": theirs / ms})
                print(rows[-1], file=sys.stderr)
        colour = YuvColour("yuv420p", "bt709")
        planes = torch.randint(0, 256, (n, 3 * h // 2, w), dtype=torch.uint8, device="cuda")
        ms = graph_ms(torch, lambda: kernels.yuv_to_bgr(planes.data_ptr(), n, h, w, out.data_ptr(), colour,
                                                        stream=stream()))
        theirs = graph_ms(torch, lambda: _torch_yuv_to_bgr(torch, planes, colour.coefficients()))
        gbs = n * h * w * 4.5 / ms / 1e6  # the planes read, BGR written
        rows.append({"kernel": "decoded yuv420p to BGR", "shape": label, "dims": [n, h, w], "dtype": "uint8",
                     "stylert_ms": ms, "pytorch_ms": theirs, "gbs": gbs, "pct_copy": 100 * gbs / copy_gbs,
                     "speedup_vs_pytorch": theirs / ms})
        print(rows[-1], file=sys.stderr)
    return rows


def markdown(report: dict) -> list[str]:
    lines = [f"Measured {report['date']} on {report['gpu']['summary']}; device copy bandwidth "
             f"{report['copy_gbs']:.0f} GB/s (read + write, 1 GiB, same run). Medians of {REPEATS} replays of a "
             f"CUDA graph of {CALLS} calls.", "",
             "InstanceNorm + residual + ReLU (GB/s count 4 x the tensor; target >= 70 % of copy and >= 2x PyTorch):",
             "", "| shape | N x C x H x W | dtype | stylert ms | PyTorch ms | GB/s (4x) | % of copy | vs PyTorch | "
             "max err |", "|---|---|---|---|---|---|---|---|---|"]
    for r in report["instnorm"]:
        lines.append(f"| {r['shape']} | {'x'.join(map(str, r['dims']))} | {r['dtype']} | {r['stylert_ms']:.3f} | "
                     f"{r['pytorch_ms']:.3f} | {r['gbs_4x']:.0f} | {r['pct_copy']:.0f} % | "
                     f"{r['speedup_vs_pytorch']:.2f}x | {r['max_abs_err_vs_fp32']:.1e} |")
    lines += ["", "Pre/post-processing (uint8 frames <-> float NCHW, or float NCHW -> yuv420p planes for a video "
              "encoder; GB/s count the bytes read and written; target >= 60 % of copy at 4K and batch 4 x 1080p):",
              "", "| kernel | frames | dtype | stylert ms | PyTorch ms | GB/s | % of copy | vs PyTorch |",
              "|---|---|---|---|---|---|---|---|"]
    for r in report["prepost"]:
        lines.append(f"| {r['kernel']} | {r['shape']} | {r['dtype']} | {r['stylert_ms']:.3f} | {r['pytorch_ms']:.3f} | "
                     f"{r['gbs']:.0f} | {r['pct_copy']:.0f} % | {r['speedup_vs_pytorch']:.2f}x |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="three shapes only (a smoke run)")
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("kernels_bench: PyTorch sees no CUDA GPU; nothing measured, nothing written", file=sys.stderr)
        return 2
    torch.cuda.init()
    from stylert.gpu.cuda_layer import open_cuda_layer
    from stylert.gpu.device_kernels import DeviceKernels

    kernels = DeviceKernels(open_cuda_layer(), log=lambda s: print(s, file=sys.stderr))
    copy_gbs = copy_bandwidth(torch)
    shapes = INSTNORM_SHAPES[:3] if args.quick else INSTNORM_SHAPES
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "gpu": machine_facts(), "copy_gbs": copy_gbs,
              "instnorm": instnorm_rows(torch, kernels, copy_gbs, shapes),
              "prepost": prepost_rows(torch, kernels, copy_gbs, FRAME_SHAPES[:1] if args.quick else FRAME_SHAPES)}
    if not args.quick:
        save("kernels", report, markdown(report))
    else:
        print("\n".join(markdown(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
