"""The CUDA library's exported C ABI is what the Python side declares (checked on the built .so,
no GPU needed: loading it only needs libcudart, which the CUDA toolkit here provides)."""
import shutil

import pytest

from tests.kernels_fixture import cmake_build


@pytest.mark.skipif(not shutil.which("nvcc"), reason="nvcc not on PATH")
def test_exported_launchers_load_with_declared_signatures(tmp_path):
    result = cmake_build(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    from stylert.kernels.libraries import load_cuda_kernels

    try:
        lib = load_cuda_kernels(tmp_path / "lib" / "libstylert_kernels.so")
    except OSError as exc:
        pytest.skip(f"libcudart is not loadable here: {exc}")
    assert len(lib.stylert_preprocess.argtypes) == 13 and len(lib.stylert_postprocess.argtypes) == 14
    assert len(lib.stylert_instnorm.argtypes) == 14
