"""NVRTC compiles the shipped kernel sources without nvcc or CMake (no GPU is needed to compile),
caches the CUBIN per source hash, architecture and driver, and fails in one clear line."""
import pytest

from stylert.errors import BackendUnavailable
from stylert.gpu import nvrtc
from stylert.kernels import CUDA_SOURCES


def _nvrtc_or_skip():
    try:
        return nvrtc.nvrtc_version()
    except BackendUnavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("source", CUDA_SOURCES)
@pytest.mark.parametrize("arch", [(7, 5), (9, 0)])
def test_every_source_compiles_to_a_cubin(source, arch):
    _nvrtc_or_skip()
    image = nvrtc.compile_cubin(source, arch)
    assert image[:4] == b"\x7fELF" and len(image) > 10_000
    from stylert.gpu.device_kernels import FUNCTIONS

    for name in FUNCTIONS[source]:  # extern "C": unmangled kernel names the launcher looks up
        assert name.encode() in image


@pytest.mark.parametrize("source", CUDA_SOURCES)
def test_no_source_holds_a_lambda_which_nvrtc_13_0_refuses(source):
    """NVRTC 13.0 (the H100 machine's nvidia-cuda-nvrtc 13.0.88) takes a lambda in device code for a host function
    in JIT mode and fails the compile; the NVRTC this suite installs is newer and takes it, so the compile test
    above passes either way. instnorm.cu's shuffles were lambdas."""
    import re

    from stylert.kernels import SOURCE_DIR

    code = re.sub(r"//[^\n]*", "", (SOURCE_DIR / source).read_text())
    assert not re.search(r"\[[\w\s,&=]*\]\s*\([^)]*\)\s*(mutable\s*)?\{", code)


def test_modules_are_compiled_once_then_loaded_from_the_cache():
    major, _ = _nvrtc_or_skip()
    loaded, lines = [], []
    driver = major * 1000
    nvrtc.load_cached_module("prepost.cu", (8, 0), driver, lambda image: loaded.append(image) or 7, lines.append)
    assert nvrtc.cubin_path("prepost.cu", (8, 0), driver).is_file() and len(lines) == 1
    assert nvrtc.load_cached_module("prepost.cu", (8, 0), driver, lambda image: loaded.append(image) or 8,
                                    lines.append) == 8
    assert loaded[0] == loaded[1] and len(lines) == 1  # no second compile


def test_an_image_the_driver_refuses_is_compiled_again():
    major, _ = _nvrtc_or_skip()
    driver = major * 1000
    path = nvrtc.cubin_path("prepost.cu", (8, 6), driver)
    path.write_bytes(b"stale image from another machine")
    calls, lines = [], []

    def load(image):
        calls.append(image)
        if image.startswith(b"stale"):
            raise BackendUnavailable("cuModuleLoadData failed: CUDA_ERROR_INVALID_IMAGE")
        return 1

    assert nvrtc.load_cached_module("prepost.cu", (8, 6), driver, load, lines.append) == 1
    assert len(calls) == 2 and "do not load" in lines[0] and path.read_bytes()[:4] == b"\x7fELF"


def test_a_driver_older_than_nvrtc_is_one_clear_line():
    major, _ = _nvrtc_or_skip()
    with pytest.raises(BackendUnavailable, match="update the NVIDIA driver or pip install nvidia-cuda-nvrtc-cu"):
        nvrtc.load_cached_module("prepost.cu", (8, 0), (major - 1) * 1000 + 40, lambda image: 1)


def test_a_compile_error_names_the_source_and_the_error(tmp_path, monkeypatch):
    _nvrtc_or_skip()
    (tmp_path / "broken.cu").write_text('extern "C" __global__ void k() { undeclared_name = 1; }\n')
    monkeypatch.setattr(nvrtc, "SOURCE_DIR", tmp_path)
    with pytest.raises(BackendUnavailable, match=r"NVRTC could not compile broken.cu for sm_90: .*undeclared_name"):
        nvrtc.compile_cubin("broken.cu", (9, 0))


def test_missing_nvrtc_says_what_to_install(monkeypatch):
    import cuda.bindings.nvrtc as module

    def gone():
        raise RuntimeError("Failure finding libnvrtc.so")

    monkeypatch.setattr(module, "nvrtcVersion", gone)
    with pytest.raises(BackendUnavailable, match="pip install nvidia-cuda-nvrtc"):
        nvrtc.nvrtc_version()
