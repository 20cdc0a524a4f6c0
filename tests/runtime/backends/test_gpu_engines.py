"""Every GPU engine that can run here, on a real GPU, against ONNX Runtime on the CPU: frames of odd sizes
through the whole device path (uint8 up, pre-processing kernel, engine, post-processing kernel, uint8 down),
and two batches really in flight. Marked gpu; an engine whose package is missing skips with the reason.

Tolerances, uint8 levels against ONNX Runtime CPU fp32: fp32 engines max 3 and mean 0.2 (cuDNN may use
TF32 convolutions); fp16 engines max 24 and mean 1.5 (fp16 activations, random-weight network).
"""
import numpy as np
import pytest

from stylert import Stylizer
from stylert.errors import StylertError

pytestmark = pytest.mark.gpu

ENGINES = [("onnxruntime", "fp32", {}), ("onnxruntime", "fp16", {}), ("onnxruntime", "fp32", {"cuda_graph": True}),
           ("torch", "fp32", {}), ("torch", "fp16", {}), ("torch", "fp16", {"cuda_graph": True}),
           ("torch", "fp16", {"fused_instnorm": True}), ("torch", "fp32", {"fused_instnorm": True, "cuda_graph": True}),
           ("torch", "fp16", {"compile": True, "cuda_graph": True})]
TOLERANCE = {"fp32": (3, 0.2), "fp16": (24, 1.5)}


def _open(model, backend, precision, options, **kw):
    try:
        return Stylizer(str(model), backend, device="cuda", precision=precision, **options, **kw)
    except StylertError as exc:
        pytest.skip(f"{backend} on CUDA cannot run here: {exc}")


@pytest.mark.parametrize("backend,precision,options", ENGINES)
def test_engine_frames_equal_onnxruntime_cpu(lite_pth, backend, precision, options, photo, rng):
    frames = [np.ascontiguousarray(photo[:97, :131]), rng.integers(0, 256, (97, 131, 3), dtype=np.uint8),
              np.ascontiguousarray(photo[3:36, 5:18])]  # odd sizes: padded on the device, cropped back
    with Stylizer(str(lite_pth), "onnxruntime", device="cpu") as reference:
        expected = reference.stylize_frames(frames)
    with _open(lite_pth, backend, precision, options, batch_size=2) as stylizer:
        assert stylizer.backend.on_gpu
        first = stylizer.stylize_frames(frames)
        again = stylizer.stylize_frames(frames)  # graphs replayed, compiled code reused
    max_tol, mean_tol = TOLERANCE[precision]
    for got, repeat, ref in zip(first, again, expected):
        diff = np.abs(got.astype(int) - ref.astype(int))
        assert got.shape == ref.shape and diff.max() <= max_tol and diff.mean() <= mean_tol, (diff.max(), diff.mean())
        assert np.array_equal(got, repeat)


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_video_encoders_get_yuv420p_planes_from_the_device(lite_pth, backend, photo):
    """The post-processing kernel's planes for an odd-sized frame: within the fp32 tolerance (plus the
    conversion's two levels) of ONNX Runtime on the CPU, converted there."""
    from stylert.frames.yuv import bgr_to_i420

    frames = [np.ascontiguousarray(photo[:97, :131])]
    with Stylizer(str(lite_pth), "onnxruntime", device="cpu") as reference:
        expected = bgr_to_i420(reference.stylize_frames(frames)[0])
    with _open(lite_pth, backend, "fp32", {}) as stylizer:
        ((_, (planes,)),) = list(stylizer.stylize_stream([frames], i420=True))
    diff = np.abs(planes.astype(int) - expected.astype(int))
    assert planes.shape == expected.shape == (147, 132) and diff.max() <= TOLERANCE["fp32"][0] + 2


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_two_batches_are_in_flight_before_the_first_synchronise(lite_pth, backend, photo):
    with _open(lite_pth, backend, "fp32", {}, batch_size=1) as stylizer:
        pipeline = stylizer.backend._pipeline
        events: list[str] = []
        real_sync, real_enqueue = pipeline.cuda.synchronize, pipeline.engine.enqueue
        pipeline.cuda.synchronize = lambda stream: (events.append("sync"), real_sync(stream))[1]
        pipeline.engine.enqueue = lambda *a: (events.append("enqueue"), real_enqueue(*a))[1]
        frames = [[np.ascontiguousarray(photo[i:i + 64, :96])] for i in range(4)]
        outputs = list(stylizer.backend.stylize_batches(frames))
    assert events.index("sync") == 2 and events[:2] == ["enqueue", "enqueue"], events
    assert len(outputs) == 4


def test_engine_time_is_measured_on_the_device(lite_pth):
    with _open(lite_pth, "torch", "fp16", {}) as stylizer:
        ms = stylizer.backend.time_engine((1, 3, 64, 64), repeats=5)
    assert ms is not None and 0 < ms < 1000
