"""The int8 model stays within the documented accuracy of fp32 on a sample photo with a built-in style.
Documented (README, benchmarks/results/int8_accuracy.md): >= 38 dB PSNR with the default
quantisation (first and last convolution kept in fp32)."""
from stylert.export.quantize import calibration_batches, int8_accuracy, quantize_int8
from stylert.frames.image_decode import read_image
from stylert.frames.prepost import frames_to_batch
from stylert.samples import SAMPLES_DIR, sample_path
from stylert.styles import builtin_styles

DOCUMENTED_PSNR_DB = 38.0


def test_int8_mosaic_psnr_on_a_sample_photo(tmp_path):
    fp32 = builtin_styles()["mosaic"]
    int8 = quantize_int8(fp32, tmp_path / "mosaic-int8.onnx", calibration_batches(SAMPLES_DIR))
    photo = frames_to_batch([read_image(sample_path("chelsea"))], 4)
    psnr, max_diff = int8_accuracy(fp32, int8, [photo])
    assert psnr >= DOCUMENTED_PSNR_DB, (psnr, max_diff)
