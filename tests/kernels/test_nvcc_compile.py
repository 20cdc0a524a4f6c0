"""nvcc compiles every .cu for every listed architecture (compile-only: no GPU needed)."""
import re
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


@pytest.mark.skipif(not shutil.which("nvcc"), reason="nvcc not on PATH: CUDA compile check skipped")
@pytest.mark.parametrize("arch,registers", [("80", 32), ("90", 32), ("86", 40), ("75", 64)])
def test_split_instnorm_kernels_fit_the_registers_of_a_full_multiprocessor(arch, registers):
    """instnorm_plan sizes the grid for one wave of the blocks of 256 threads a multiprocessor holds
    (instnorm_resident_blocks): 8 where it has 2048 threads (sm_80, sm_90), which allows 32 registers a thread,
    6 of 1536 (sm_86) 40, 4 of 1024 (sm_75) 64; without spilling. Compiled as NVRTC compiles them at run time
    (--fmad=false)."""
    from stylert.gpu.nvrtc import OPTIONS

    result = subprocess.run(["nvcc", "-cubin", *OPTIONS, f"-arch=sm_{arch}", "-Xptxas=-v", "-o", "/dev/null",
                             f"-I{REPO / 'stylert' / 'kernels' / 'include'}",
                             str(REPO / "stylert" / "kernels" / "src" / "instnorm.cu")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    usage = dict(re.findall(r"Compiling entry function '(\w+)'.*?Used (\d+) registers", result.stderr, re.S))
    spills = dict(re.findall(r"Compiling entry function '(\w+)'.*?(\d+) bytes spill stores", result.stderr, re.S))
    split = [k for k in usage if "_stats_" in k or "_apply_" in k]
    assert len(split) == 4, result.stderr
    assert {k: int(usage[k]) for k in split if int(usage[k]) > registers or int(spills[k])} == {}, result.stderr


@pytest.mark.skipif(not shutil.which("nvcc"), reason="nvcc not on PATH: CUDA build skipped")
def test_cmake_builds_the_cuda_library_and_says_why_no_plugin(tmp_path):
    result = cmake_build(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "lib" / "libstylert_kernels.so").is_file()
    found_trt = "building the TensorRT plugin" in result.stdout
    assert found_trt or "TensorRT headers/library not found (set TensorRT_ROOT)" in result.stdout
    assert (tmp_path / "lib" / "libstylert_trt_plugin.so").is_file() == found_trt
