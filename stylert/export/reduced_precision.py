"""Export straight to a reduced-precision ONNX (fp16 mixed precision, or int8 Q/DQ), and say how far
it is from the fp32 export on real photos."""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from stylert.export.onnx_export import export_onnx
from stylert.model_info import INPUT_NAME
from stylert.models.checkpoint import LoadedModel
from stylert.ort_session import ort_session
from stylert.samples import SAMPLES_DIR


def export_fp16(model: LoadedModel, out: Path, batches: list[np.ndarray],
                progress: Callable[[str], None] = lambda s: None) -> float:
    """Write the fp16 graph; returns its max abs difference from fp32 (ONNX Runtime, 0..255 scale)."""
    from stylert.export.fp16 import save_fp16

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(model, Path(tmp) / "fp32.onnx", progress=progress).path
        progress("converting to mixed precision (fp16)")
        save_fp16(fp32, out)
        progress(f"comparing fp16 with fp32 on {len(batches)} inputs")
        sessions = [ort_session(str(p)) for p in (fp32, out)]
        return max(float(np.abs(sessions[0].run(None, {INPUT_NAME: b})[0] - sessions[1].run(None, {INPUT_NAME: b})[0])
                             .max()) for b in batches)


def export_int8(model: LoadedModel, out: Path, batches: list[np.ndarray], calib: Path | None = None,
                progress: Callable[[str], None] = lambda s: None) -> tuple[float, float]:
    """Write the int8 Q/DQ graph calibrated on ``calib`` photos; returns (PSNR dB, max abs diff) against fp32."""
    from stylert.export.quantize import calibration_batches, int8_accuracy, quantize_int8

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(model, Path(tmp) / "fp32.onnx", progress=progress).path
        progress(f"calibrating int8 on {calib or 'the bundled sample photos'}")
        quantize_int8(fp32, out, calibration_batches(calib or SAMPLES_DIR, on_skip=progress))
        progress(f"comparing int8 with fp32 on {len(batches)} inputs")
        return int8_accuracy(fp32, out, batches)
