"""The cuda-python layer's no-driver path, for real (cuda-python installs and imports without a GPU)."""
import importlib.util

import pytest

from stylert.errors import BackendUnavailable
from stylert.gpu.cuda_layer import open_cuda_layer
from stylert.gpu.probe import gpu_available

pytestmark = pytest.mark.skipif(importlib.util.find_spec("cuda") is None, reason="cuda-python is not installed")


@pytest.mark.skipif(gpu_available()[0], reason="a GPU is present: the no-driver path cannot be exercised")
def test_no_driver_is_one_clear_error():
    from stylert.gpu.cuda_python_layer import CudaPythonLayer

    with pytest.raises(BackendUnavailable) as err:
        CudaPythonLayer()
    text = str(err.value)
    assert "cudaGetDeviceCount failed" in text and ("driver" in text.lower() or "cudaErrorNoDevice" in text)
    with pytest.raises(BackendUnavailable):
        open_cuda_layer()
