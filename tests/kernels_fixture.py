import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def cmake_build(build_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    configure = subprocess.run(["cmake", "-S", str(REPO), "-B", str(build_dir), *extra], capture_output=True,
                               text=True)
    if configure.returncode != 0:
        return configure
    build = subprocess.run(["cmake", "--build", str(build_dir), "-j2"], capture_output=True, text=True)
    build.stdout = configure.stdout + build.stdout
    return build


@pytest.fixture(scope="session")
def host_kernel_libraries(tmp_path_factory):
    """The host libraries CMake builds without nvcc: the kernels' math and the emulated kernels."""
    if not shutil.which("cmake") or not (shutil.which("c++") or shutil.which("g++")):
        pytest.skip("cmake and a C++ compiler are needed to build the host kernel libraries")
    build = tmp_path_factory.mktemp("kernels-cpu")
    result = cmake_build(build, "-DSTYLERT_CUDA=OFF")
    assert result.returncode == 0, result.stdout + result.stderr
    return build / "lib"


@pytest.fixture(scope="session")
def cpu_kernels(host_kernel_libraries):
    """The kernels' math built for the host by CMake (no nvcc needed)."""
    from stylert.kernels.libraries import LIBRARIES, CpuKernels

    return CpuKernels(host_kernel_libraries / LIBRARIES["cpu"])


@pytest.fixture(scope="session")
def emulated_kernels(host_kernel_libraries):
    """The CUDA kernels' own source on host threads (kernels/emulator)."""
    from stylert.kernels.libraries import LIBRARIES, EmulatedKernels

    return EmulatedKernels(host_kernel_libraries / LIBRARIES["emulated"])


@pytest.fixture(scope="session")
def cuda_kernels_lib(tmp_path_factory):
    """Path of libstylert_kernels.so: the one already built (make kernels), else built here with nvcc."""
    from stylert.kernels.libraries import find_library

    found = find_library("cuda")
    if found is not None:
        return found
    if not shutil.which("nvcc") or not shutil.which("cmake"):
        pytest.skip("libstylert_kernels.so is not built and nvcc/cmake are missing")
    build = tmp_path_factory.mktemp("kernels-cuda")
    result = cmake_build(build)
    assert result.returncode == 0, result.stdout + result.stderr
    return build / "lib" / "libstylert_kernels.so"
