"""The kernel emulator's own contract (its faithfulness is tested through the kernels in test_gpu_kernels.py,
whose results must equal the host build's bit for bit, warp-shuffle order included)."""
import ctypes

import pytest


def test_an_unknown_kernel_is_refused(emulated_kernels):
    with pytest.raises(KeyError, match="no kernel named stylert_nothing"):
        emulated_kernels.launch("stylert_nothing", (1, 1, 1), (32, 1, 1), [])


@pytest.mark.parametrize("block", [(100, 1, 1), (2048, 1, 1), (32, 2, 1)])
def test_block_shapes_a_kernel_cannot_have_are_refused(emulated_kernels, block):
    args = [ctypes.c_void_p(0), ctypes.c_int(0), ctypes.c_int(0), ctypes.c_float(1e-5), ctypes.c_void_p(0)]
    with pytest.raises(ValueError, match="whole number of warps"):
        emulated_kernels.launch("stylert_instnorm_finalize", (1, 1, 1), block, args)
