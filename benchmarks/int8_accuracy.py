"""int8 (Q/DQ, ONNX Runtime) against fp32 for every built-in style on the bundled sample photos:
PSNR and max abs difference of the uint8 outputs. Writes results/int8_accuracy.{json,md}.
Run: python benchmarks/int8_accuracy.py"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.results_io import save, takes_no_options  # noqa: E402
from stylert.export.quantize import calibration_batches, int8_accuracy, quantize_int8  # noqa: E402
from stylert.frames.image_decode import read_image  # noqa: E402
from stylert.frames.prepost import frames_to_batch  # noqa: E402
from stylert.samples import SAMPLES_DIR, sample_path  # noqa: E402
from stylert.styles import builtin_styles  # noqa: E402

PHOTOS = ("astronaut", "chelsea", "coffee")


def main() -> None:
    photos = [frames_to_batch([read_image(sample_path(p))], 4) for p in PHOTOS]
    calibration = calibration_batches(SAMPLES_DIR)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, fp32 in builtin_styles().items():
            for exclude_ends in (False, True):
                q = Path(tmp) / f"{name}-{exclude_ends}.onnx"
                quantize_int8(fp32, q, calibration, exclude_ends=exclude_ends)
                psnr, max_diff = int8_accuracy(fp32, q, photos)
                rows.append({"style": name, "first_last_conv_fp32": exclude_ends, "psnr_db": round(psnr, 2),
                             "max_abs_diff": max_diff})
                print(rows[-1])
    report = {"date": time.strftime("%Y-%m-%d"), "photos": PHOTOS, "calibration": "bundled sample photos",
              "rows": rows}
    lines = [f"int8 vs fp32 (ONNX Runtime, CPU), {report['date']}, on the sample photos "
             f"{', '.join(PHOTOS)}; calibrated on the same bundled photos.", "",
             "| style | first/last conv | PSNR dB | max abs diff |", "|---|---|---|---|"]
    lines += [f"| {r['style']} | {'fp32' if r['first_last_conv_fp32'] else 'int8'} | {r['psnr_db']:.1f} | "
              f"{r['max_abs_diff']:.0f} |" for r in rows]
    save("int8_accuracy", report, lines)


if __name__ == "__main__":
    takes_no_options(__doc__)
    main()
