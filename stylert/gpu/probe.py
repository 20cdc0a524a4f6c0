"""Is there a usable NVIDIA GPU? Answered without importing torch or tensorrt."""
from __future__ import annotations

import functools


@functools.cache
def gpu_available() -> tuple[bool, str]:
    """(True, device name) or (False, why not), asked through the CUDA layer."""
    from stylert.errors import BackendUnavailable
    from stylert.gpu.cuda_layer import open_cuda_layer

    try:
        return True, open_cuda_layer().device_name()
    except BackendUnavailable as exc:
        return False, str(exc)
