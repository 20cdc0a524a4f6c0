"""nvcc compiles every .cu for every listed architecture (compile-only: no GPU needed)."""
import shutil
import subprocess

import pytest

from tests.kernels_fixture import REPO, cmake_build

ARCHS = ("75", "80", "86", "89", "90")


@pytest.mark.skipif(not shutil.which("nvcc"), reason="nvcc not on PATH: CUDA compile check skipped")
@pytest.mark.parametrize("source", sorted(p.name for p in (REPO / "stylert" / "kernels" / "src").glob("*.cu")))
def test_each_cu_compiles_for_all_architectures(tmp_path, source):
    gencode = [f"-gencode=arch=compute_{a},code=sm_{a}" for a in ARCHS]
    result = subprocess.run(["nvcc", "-c", "-std=c++17", "-Xcompiler=-Wall", "-Werror=all-warnings",
                             f"-I{REPO / 'stylert' / 'kernels' / 'include'}", *gencode,
                             str(REPO / "stylert" / "kernels" / "src" / source),
                             "-o", str(tmp_path / "k.o")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    cuobjdump = shutil.which("cuobjdump") or str(REPO / "no-cuobjdump")
    if shutil.which(cuobjdump):  # list the embedded cubins when the tool is there
        listing = subprocess.run([cuobjdump, "--list-elf", str(tmp_path / "k.o")], capture_output=True, text=True)
        for arch in ARCHS:
            assert f"sm_{arch}" in listing.stdout


@pytest.mark.skipif(not shutil.which("nvcc"), reason="nvcc not on PATH: CUDA build skipped")
def test_cmake_builds_the_cuda_library_and_says_why_no_plugin(tmp_path):
    result = cmake_build(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "lib" / "libstylert_kernels.so").is_file()
    found_trt = "building the TensorRT plugin" in result.stdout
    assert found_trt or "TensorRT headers/library not found (set TensorRT_ROOT)" in result.stdout
    assert (tmp_path / "lib" / "libstylert_trt_plugin.so").is_file() == found_trt
