"""Every GPU engine present, side by side in one run: device-resident time per batch and end-to-end frames/s
from host uint8 frames, at 720p and 1080p, batch 1 and 4; then `stylert video` at 1080p next to the
encoder's and decoder's own rates, and the webcam loop's capture-to-display latency at 1080p.

- device ms/batch: the engine alone on device buffers, 20 back-to-back runs between CUDA events
  (``Backend.time_engine``); device fps = batch * 1000 / that.
- end to end: uint8 BGR frames in host memory -> Stylizer.stylize_stream (pinned upload, device pre/post,
  batches in flight) -> uint8 frames in host memory; median of 3 timed passes over the frames.
Engines that cannot run here (TensorRT is not installable on every machine) are listed with the reason;
only measured numbers are written. Model: TransformerNet standard, random weights (speed does not depend
on the weights). Writes results/gpu_bench.{json,md}.
Run: python benchmarks/gpu_bench.py [--quick] [--frames 32]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save  # noqa: E402
from stylert.errors import StylertError  # noqa: E402
from stylert.frames.prepost import model_size  # noqa: E402
from stylert.gpu.probe import gpu_available, machine_facts  # noqa: E402

SIZES = {"720p": (720, 1280), "1080p": (1080, 1920)}
BATCHES = (1, 4)
# (label, backend, precision, options)
ENGINES = [
    ("TensorRT fp32", "tensorrt", "fp32", {}),
    ("TensorRT fp16 + CUDA graph", "tensorrt", "fp16", {"cuda_graph": True}),
    ("TensorRT int8 + CUDA graph", "tensorrt", "int8", {"cuda_graph": True}),
    ("ONNX Runtime CUDA fp32", "onnxruntime", "fp32", {}),
    ("ONNX Runtime CUDA fp16", "onnxruntime", "fp16", {}),
    ("ONNX Runtime CUDA fp16 + CUDA graph", "onnxruntime", "fp16", {"cuda_graph": True}),
    ("PyTorch eager fp32", "torch", "fp32", {}),
    ("PyTorch eager fp16", "torch", "fp16", {}),
    ("PyTorch eager fp16 + fused InstanceNorm", "torch", "fp16", {"fused_instnorm": True}),
    ("PyTorch eager fp16 + CUDA graph", "torch", "fp16", {"cuda_graph": True}),
    ("PyTorch compiled fp16 + CUDA graph", "torch", "fp16", {"compile": True, "cuda_graph": True}),
]


def log(text: str) -> None:
    print(f"gpu_bench: {text}", file=sys.stderr, flush=True)


def end_to_end_fps(stylizer, frames: list[np.ndarray], batch: int, passes: int = 3) -> float:
    batches = [frames[i:i + batch] for i in range(0, len(frames), batch)]
    for _ in stylizer.stylize_stream(batches[:2]):  # warm-up: buffers, graph capture, compile
        pass
    runs = []
    for _ in range(passes):
        started = time.perf_counter()
        for _ in stylizer.stylize_stream(batches):
            pass
        runs.append(len(frames) / (time.perf_counter() - started))
    return statistics.median(runs)


def engine_rows(model: Path, frames_per_size: int, sizes: dict, batches: tuple, rows: list[dict],
                missing: list[dict], measured: Callable[[], None]) -> None:
    """Each engine's rows appended to ``rows`` (or its reason to ``missing``), ``measured`` called after each."""
    from stylert import Stylizer

    rng = np.random.default_rng(0)
    frames = {label: [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(frames_per_size)]
              for label, (h, w) in sizes.items()}
    for label, backend, precision, options in ENGINES:
        try:
            stylizer = Stylizer(str(model), backend, device="cuda", precision=precision, batch_size=max(batches),
                                log=log, **options)
        except StylertError as exc:
            missing.append({"engine": label, "reason": str(exc)})
            log(f"{label}: not measured: {exc}")
            measured()
            continue
        with stylizer:
            for size, (h, w) in sizes.items():
                for batch in batches:
                    fps = end_to_end_fps(stylizer, frames[size], batch)
                    shape = (batch, 3, model_size(h, 4), model_size(w, 4))
                    ms = stylizer.backend.time_engine(shape)
                    rows.append({"engine": label, "description": stylizer.backend.description, "size": size,
                                 "batch": batch, "device_ms_per_batch": ms, "device_fps": batch * 1000 / ms,
                                 "end_to_end_fps": fps, "end_to_end_share": fps / (batch * 1000 / ms)})
                    log(f"{label} {size} b{batch}: device {ms:.2f} ms/batch ({batch * 1000 / ms:.0f} fps), "
                        f"end to end {fps:.1f} fps")
                    measured()


def video_rows(model: Path, backend: str, options: dict, frames: int, repeats: int = 3) -> dict:
    """`stylert video` at 1080p against the decoder and encoder alone, same clip, same run: they are run
    alternately ``repeats`` times (libx264's own rate varies from run to run); medians are reported. Where
    NVDEC decodes, the decoder alone and `stylert video` are also run with the CPU decoding (--decoder cpu),
    so NVDEC's effect is measured in the same run; and `stylert video` once more with the decoder handing over
    BGR frames instead of its 4:2:0 planes (the path before the planes went to the GPU)."""
    import dataclasses

    from stylert import Stylizer
    from stylert.runtime.video import VideoOptions, stylize_video
    from benchmarks.video_timing import decoder_fps, encoder_fps
    from stylert.runtime.video_decode import choose_video_decoder, decode_frames, probe_video
    from stylert.runtime.video_encode import choose_h264_encoder
    from tests.media import make_video

    decoders = ("auto", "cpu") if choose_video_decoder()[0] is not None else ("auto",)
    runs: dict[str, list[float]] = {"decoder_fps": [], "encoder_fps": [], "video_fps": [], "bgr_decode_video_fps": []}
    if len(decoders) == 2:
        runs |= {"cpu_decoder_fps": [], "cpu_decoder_video_fps": []}
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_video(Path(tmp) / "clip.mp4", frames=frames, size=(1080, 1920), fps=Fraction(30), noisy=True)
        bgr_only = dataclasses.replace(probe_video(clip), colour=None)  # no colour the kernel takes: BGR decoded
        with Stylizer(str(model), backend, device="cuda", batch_size=4, log=log, **options) as stylizer:
            stylised = stylizer.stylize_frames(list(decode_frames(clip)))  # what `stylert video` encodes
            stylize_video(stylizer, clip, Path(tmp) / "warm.mp4", VideoOptions(duration=0.5))
            for _ in range(repeats):
                for decoder in decoders:
                    runs["decoder_fps" if decoder == "auto" else "cpu_decoder_fps"].append(decoder_fps(clip, decoder))
                runs["encoder_fps"].append(encoder_fps(stylised, Path(tmp) / "enc.mp4"))
                for decoder in decoders:
                    started = time.perf_counter()
                    result = stylize_video(stylizer, clip, Path(tmp) / "out.mp4", VideoOptions(decoder=decoder))
                    runs["video_fps" if decoder == "auto" else "cpu_decoder_video_fps"].append(
                        result.frames / (time.perf_counter() - started))
                started = time.perf_counter()
                result = stylize_video(stylizer, clip, Path(tmp) / "out.mp4", VideoOptions(), info=bgr_only)
                runs["bgr_decode_video_fps"].append(result.frames / (time.perf_counter() - started))
                log(f"video run: decoder {runs['decoder_fps'][-1]:.1f}, encoder {runs['encoder_fps'][-1]:.1f}, "
                    f"stylert video {runs['video_fps'][-1]:.1f} fps")
            description = stylizer.backend.description
    return {"frames": len(stylised), "encoder": choose_h264_encoder()[1], "decoder": choose_video_decoder()[1],
            "engine": description, "runs": runs,
            **{key: statistics.median(values) for key, values in runs.items()}}


def webcam_latency(model: Path, backend: str, options: dict, frames: int) -> dict:
    """The webcam loop on a 1080p source paced at 30 fps, full-size inference, no window: p50/p90 ms."""
    from stylert import Stylizer
    from stylert.runtime.capture import LatestFrameCapture
    from stylert.runtime.webcam import WebcamOptions, WebcamSession, run_loop
    from tests.media import make_video

    with tempfile.TemporaryDirectory() as tmp:
        clip = make_video(Path(tmp) / "cam.mp4", frames=frames + 30, size=(1080, 1920), fps=Fraction(30), noisy=True)
        make = lambda name: Stylizer(name, backend, device="cuda", batch_size=1, log=log, **options)  # noqa: E731
        session = WebcamSession(WebcamOptions((str(model),), size=None, max_frames=frames), make)
        warm = session.stylizer
        for _ in range(3):
            warm(np.zeros((1080, 1920, 3), np.uint8))
        stats = run_loop(LatestFrameCapture(str(clip)), session, lambda view, annotated: -1)
    return {"frames": stats["frames"], "p50_ms": stats["p50_ms"], "p90_ms": stats["p90_ms"], "fps": stats["fps"]}


def markdown(report: dict) -> list[str]:
    facts = report["machine"]
    lines = [f"Measured {report['date']} on {facts['summary']}.", "",
             f"Model: {report['model']}. End to end = host uint8 frames in and out through `Stylizer.stylize_stream`; "
             "device = the engine alone on device buffers (CUDA events).", "",
             *(["**Partial run**: these rows are what was measured before the run stopped.", ""]
               if report.get("partial") else []),
             "| engine | size | batch | device ms/batch | device fps | end-to-end fps | end to end / device |",
             "|---|---|---|---|---|---|---|"]
    for r in report["engines"]:
        lines.append(f"| {r['engine']} | {r['size']} | {r['batch']} | {r['device_ms_per_batch']:.2f} | "
                     f"{r['device_fps']:.0f} | {r['end_to_end_fps']:.1f} | {100 * r['end_to_end_share']:.0f} % |")
    for m in report["not_measured"]:
        reason = m["reason"].splitlines()[0].replace("|", "\\|")  # whole, where the cell cut "install it with:"
        lines.append(f"| {m['engine']} | - | - | not measured: {reason} | | | |")
    if report.get("video"):
        v = report["video"]
        slower = min(v["encoder_fps"], v["engine_fps"])
        lines += ["", f"`stylert video` at 1080p ({v['frames']} frames, {v['engine']}; medians of "
                  f"{len(v['runs']['video_fps'])} alternating runs): **{v['video_fps']:.1f} fps**; the encoder "
                  f"alone on the same stylised frames ({v['encoder']}): {v['encoder_fps']:.1f} fps; the decoder alone: "
                  f"{v['decoder_fps']:.1f} fps ({v['decoder']}); the engine end to end (1080p, batch 4): "
                  f"{v['engine_fps']:.1f} fps; "
                  f"video / slower of encoder and engine: {100 * v['video_fps'] / slower:.0f} % (target 90 %)."]
        if "bgr_decode_video_fps" in v:
            lines[-1] += (f" With the decoder handing over BGR frames instead of its 4:2:0 planes (as before; same "
                          f"run): `stylert video` {v['bgr_decode_video_fps']:.1f} fps.")
        if "cpu_decoder_video_fps" in v:
            lines[-1] += (f" With the CPU decoding instead (--decoder cpu, same run): decoder alone "
                          f"{v['cpu_decoder_fps']:.1f} fps, `stylert video` {v['cpu_decoder_video_fps']:.1f} fps.")
    if report.get("webcam"):
        c = report["webcam"]
        lines += ["", f"Webcam loop, 1080p source at 30 fps, full-size inference ({report['webcam_engine']}): "
                  f"capture-to-display p50 **{c['p50_ms']:.1f} ms**, p90 {c['p90_ms']:.1f} ms over "
                  f"{c['frames']} frames."]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=32, help="frames per size for the end-to-end passes")
    ap.add_argument("--quick", action="store_true", help="720p batch 1 only, no video or webcam (a smoke run)")
    ap.add_argument("--engines", default=None,
                    help="only engines whose label contains one of these comma-separated texts, e.g. 'compiled,fused'")
    args = ap.parse_args()
    ok, why = gpu_available()
    if not ok:
        print(f"gpu_bench: no GPU here ({why}); nothing measured, nothing written", file=sys.stderr)
        return 2
    if args.engines:
        wanted = [text.strip().lower() for text in args.engines.split(",")]
        ENGINES[:] = [e for e in ENGINES if any(text in e[0].lower() for text in wanted)]
    from stylert.bench.models import random_architecture

    model = random_architecture("standard")
    sizes = {"720p": SIZES["720p"]} if args.quick else SIZES
    rows: list[dict] = []
    missing: list[dict] = []
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine_facts(),
              "model": "TransformerNet standard, random weights", "engines": rows, "not_measured": missing,
              "partial": True}

    def measured() -> None:  # what is measured so far, written (not for --quick, which writes nothing)
        if not args.quick:
            save("gpu_bench", report, markdown(report), show=False)

    engine_rows(model, 8 if args.quick else args.frames, sizes, (1,) if args.quick else BATCHES, rows, missing,
                measured)
    if not args.quick and rows:
        best = max((r for r in rows if r["size"] == "1080p" and r["batch"] == 4), key=lambda r: r["end_to_end_fps"])
        label, backend, precision, engine_options = next(e for e in ENGINES if e[0] == best["engine"])
        options = dict(engine_options, precision=precision)
        try:
            report["video"] = video_rows(model, backend, options, frames=240) | {"engine_fps": best["end_to_end_fps"]}
            measured()
            report["webcam_engine"] = label
            report["webcam"] = webcam_latency(model, backend, options, frames=90)
        except StylertError as exc:
            log(f"video/webcam not measured: {exc}")
    report["partial"] = False
    lines = markdown(report)
    if args.quick:
        print("\n".join(lines))
    else:
        save("gpu_bench", report, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
