"""The kernel emulator's own contract (its faithfulness is tested through the kernels in test_gpu_kernels.py,
whose results must equal the host build's bit for bit, warp-shuffle order included)."""
import ctypes

import numpy as np
import pytest


def test_an_unknown_kernel_is_refused(emulated_kernels):
    with pytest.raises(KeyError, match="no kernel named stylert_nothing"):
        emulated_kernels.launch("stylert_nothing", (1, 1, 1), (32, 1, 1), [])


@pytest.mark.parametrize("block", [(100, 1, 1), (2048, 1, 1), (32, 2, 1)])
def test_block_shapes_a_kernel_cannot_have_are_refused(emulated_kernels, block):
    args = [ctypes.c_void_p(0), ctypes.c_int(0), ctypes.c_int(1), ctypes.c_int(0), ctypes.c_int(1), ctypes.c_void_p(0)]
    with pytest.raises(ValueError, match="whole number of warps"):
        emulated_kernels.launch("stylert_instnorm_stats_f32", (1, 1, 1), block, args)


def test_the_c_abi_launchers_run_on_the_emulator(host_kernel_libraries, cpu_kernels, rng):
    """libstylert_kernels' own launchers (grid choice, argument order, status) compiled for the host: the same
    frames as the host build, and a clear status."""
    from stylert.kernels.libraries import LIBRARIES, load_cuda_kernels

    lib = load_cuda_kernels(host_kernel_libraries / LIBRARIES["emulated"])
    frames = rng.integers(0, 256, (2, 9, 13, 3), dtype=np.uint8)
    batch = np.full((2, 3, 12, 16), np.nan, np.float32)
    assert lib.stylert_preprocess(frames.ctypes.data, 2, 9, 13, 13 * 3, 1, 9, 13, 12, 16, batch.ctypes.data, 0,
                                  None) == 0
    assert np.array_equal(batch, cpu_kernels.preprocess(frames, None, (12, 16)))
    out = np.zeros_like(frames)
    assert lib.stylert_postprocess(batch.ctypes.data, 0, 2, 12, 16, frames.ctypes.data, 9, 13, 13 * 3,
                                   out.ctypes.data, 13 * 3, ctypes.c_float(0.5), 1, None) == 0
    assert np.array_equal(out, cpu_kernels.postprocess(batch, frames, strength=0.5, preserve_color=True))
    assert lib.stylert_status_string(0) == b"no error"
