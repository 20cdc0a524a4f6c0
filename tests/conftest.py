from __future__ import annotations

import numpy as np
import pytest

from stylert.models.cyclegan import ResnetGeneratorConfig
from tests.checkpoints import cyclegan_state, save, transformer_state
from tests.kernels_fixture import (  # noqa: F401  (fixtures)
    cpu_kernels, cuda_kernels_lib, emulated_kernels, host_kernel_libraries,
)


def pytest_collection_modifyitems(config, items):
    """GPU tests run only where a CUDA device answers; elsewhere they skip with the reason."""
    from stylert.gpu.probe import gpu_available

    ok, why = gpu_available()
    if ok:
        return
    for item in items:
        if item.get_closest_marker("gpu") is not None:  # the marker, not the folder name tests/gpu
            item.add_marker(pytest.mark.skip(reason=f"no usable GPU: {why}"))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("STYLERT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def lite_pth(tmp_path_factory):
    return save(transformer_state(), tmp_path_factory.mktemp("ckpt") / "lite_style.pth")


@pytest.fixture(scope="session")
def small_cyclegan_pth(tmp_path_factory):
    d = tmp_path_factory.mktemp("cyclegan") / "tiny2photo"
    d.mkdir()
    return save(cyclegan_state(ResnetGeneratorConfig(ngf=8, blocks=2)), d / "latest_net_G.pth")


@pytest.fixture(scope="session")
def lite_onnx(tmp_path_factory, lite_pth):
    from stylert.export.onnx_export import export_onnx
    from stylert.models.checkpoint import load_checkpoint

    return export_onnx(load_checkpoint(lite_pth), tmp_path_factory.mktemp("onnx") / "lite_style.onnx").path


@pytest.fixture
def photo():
    """A real photo (the bundled sample), BGR uint8."""
    from stylert.frames.image_decode import read_image
    from stylert.samples import sample_path

    return read_image(sample_path("chelsea"))


@pytest.fixture
def rng():
    return np.random.default_rng(0)
