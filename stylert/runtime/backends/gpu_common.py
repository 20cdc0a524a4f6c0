"""What every GPU backend needs besides its engine: the fused pre/post kernels, or the reason there are none."""
from __future__ import annotations

from stylert.errors import BackendUnavailable
from stylert.gpu.cuda_layer import CudaLayer
from stylert.gpu.device_kernels import DeviceKernels
from stylert.runtime.backends.base import Log


def device_kernels_or_reason(cuda: CudaLayer, log: Log) -> tuple[DeviceKernels | None, str]:
    """The NVRTC-compiled kernels for this GPU, or (None, why not) so the caller can fall back to host
    pre/post-processing and say so."""
    try:
        return DeviceKernels(cuda, log), ""
    except BackendUnavailable as exc:
        return None, str(exc)
