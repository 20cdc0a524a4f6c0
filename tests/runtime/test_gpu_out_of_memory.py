"""Running out of GPU memory is one clear error that says what ran out and what fits, never an "internal
error": the engines' own out-of-memory errors (PyTorch, ONNX Runtime's CUDA provider, the CUDA runtime) are
recognised, and the device pipeline and the Stylizer add the batch, the frame size and advice."""
import numpy as np
import pytest

from stylert import Stylizer
from stylert.errors import GpuOutOfMemory
from stylert.gpu.cuda_layer import is_out_of_memory, out_of_memory
from stylert.runtime.backends.onnxruntime import OnnxRuntimeBackend
from tests.fakes import FakeCuda


@pytest.fixture(autouse=True)
def no_nvrtc_needed(monkeypatch):
    monkeypatch.setattr("stylert.gpu.device_kernels.load_cached_module", lambda *a, **k: 1)


def test_the_engines_out_of_memory_errors_are_recognised():
    torch = pytest.importorskip("torch")
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : CUDA failure 2: out of memory"))
    assert is_out_of_memory(RuntimeError("Failed to allocate memory for requested buffer of size 8847360"))
    assert is_out_of_memory(RuntimeError("cudaMalloc failed: cudaErrorMemoryAllocation"))
    assert is_out_of_memory(out_of_memory(1 << 30, 1 << 20, 1 << 34))
    assert not is_out_of_memory(ValueError("shape (1, 3, 64, 64) does not match the profile"))
    assert not is_out_of_memory(MemoryError())  # the host's memory: the CLI has its own line for it


def test_a_failed_allocation_says_how_much(tmp_path):
    err = out_of_memory(3 << 30, 1 << 30, 80 << 30)
    assert str(err) == "out of GPU memory: 3072 MiB asked, 1024 MiB free of 81920 MiB" and err.total == 80 << 30


def _device(lite_onnx, emulated_kernels, monkeypatch, error):
    backend = OnnxRuntimeBackend(lite_onnx, cuda=FakeCuda(emulator=emulated_kernels))

    def enqueue(*args, **kwargs):
        raise error

    backend.open()
    monkeypatch.setattr(backend, "enqueue", enqueue)
    return backend


def test_the_batch_that_ran_out_and_what_fits_are_named(lite_onnx, emulated_kernels, monkeypatch, photo):
    backend = _device(lite_onnx, emulated_kernels, monkeypatch,
                      RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : CUDA failure 2: out of memory"))
    frames = [np.ascontiguousarray(photo[:48, :64])] * 2
    with Stylizer.from_backend(backend, batch_size=2) as stylizer, pytest.raises(GpuOutOfMemory) as caught:
        list(stylizer.stylize_stream([frames]))
    message = str(caught.value)
    assert message.startswith("out of GPU memory for 2 frame(s) of 64x48 at once (")
    assert "CUDA failure 2: out of memory" in message and "try --batch 1" in message
    assert "frames up to about 64 px on the long side fit one at a time (--max-size 64)" in message


def test_what_fits_is_scaled_to_the_gpus_memory(lite_onnx, photo):
    """A 1 GiB GPU: the lite network's estimated working set lets a single frame have a long side of N px,
    N^2 * 3/4 * bytes per pixel within the usual share of it."""
    from stylert.runtime.tiling import MEMORY_SHARE, peak_bytes_per_pixel

    with Stylizer(str(lite_onnx)) as stylizer:
        advice = stylizer._what_fits([np.zeros((3000, 4000, 3), np.uint8)], 1 << 30)
    side = int(advice.split("--max-size ")[1].rstrip(")"))
    pixels = MEMORY_SHARE * (1 << 30) / peak_bytes_per_pixel(lite_onnx)
    assert advice.startswith("on this GPU frames up to about") and "--batch" not in advice
    assert side * side * 3 / 4 <= pixels < (side + 16) * (side + 16) * 3 / 4


def test_other_engine_errors_are_not_taken_for_memory(lite_onnx, emulated_kernels, monkeypatch, photo):
    backend = _device(lite_onnx, emulated_kernels, monkeypatch, RuntimeError("profile has no shape (1, 3, 48, 64)"))
    with Stylizer.from_backend(backend) as stylizer, pytest.raises(RuntimeError, match="profile has no shape"):
        list(stylizer.stylize_stream([[np.ascontiguousarray(photo[:48, :64])]]))
