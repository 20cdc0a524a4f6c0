"""The C ABI the Python side declares (``load_cuda_kernels``) is the one kernels.h declares and the built
library exports: parameter counts are read from the header, symbol names from the .so (no GPU needed)."""
import re
import shutil
import subprocess

import pytest

from stylert.kernels import INCLUDE_DIR
from tests.kernels_fixture import cmake_build


def header_prototypes() -> dict[str, int]:
    """Function name -> parameter count, from stylert/kernels.h."""
    text = re.sub(r"//.*", "", (INCLUDE_DIR / "stylert" / "kernels.h").read_text())
    return {m.group(1): len([p for p in m.group(2).split(",") if p.strip() not in ("", "void")])
            for m in re.finditer(r"\b(stylert_\w+)\s*\(([^)]*)\)\s*;", text)}


def test_the_header_is_read():
    protos = header_prototypes()
    assert protos["stylert_instnorm"] == 14 and protos["stylert_instnorm_workspace_size"] == 5


@pytest.mark.skipif(not shutil.which("nvcc") or not shutil.which("nm"), reason="nvcc or nm not on PATH")
def test_python_declarations_match_the_header_and_the_library(tmp_path):
    result = cmake_build(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    so = tmp_path / "lib" / "libstylert_kernels.so"
    exported = set(subprocess.run(["nm", "-D", "--defined-only", str(so)], capture_output=True, text=True)
                   .stdout.split())
    protos = header_prototypes()
    assert set(protos) <= exported
    from stylert.kernels.libraries import load_cuda_kernels

    try:
        lib = load_cuda_kernels(so)
    except OSError as exc:
        pytest.skip(f"libcudart is not loadable here: {exc}")
    for name, count in protos.items():
        assert len(getattr(lib, name).argtypes) == count, name


@pytest.mark.skipif(not shutil.which("nm"), reason="nm not on PATH")
def test_the_emulated_library_exports_the_same_c_abi(host_kernel_libraries):
    """The TensorRT plugin's host check links the emulated library in place of libstylert_kernels."""
    from stylert.kernels.libraries import LIBRARIES, load_cuda_kernels

    so = host_kernel_libraries / LIBRARIES["emulated"]
    exported = set(subprocess.run(["nm", "-D", "--defined-only", str(so)], capture_output=True, text=True)
                   .stdout.split())
    protos = header_prototypes()
    assert set(protos) <= exported
    lib = load_cuda_kernels(so)
    for name, count in protos.items():
        assert len(getattr(lib, name).argtypes) == count, name
    assert lib.stylert_device_block_slots() == 132 * 8
