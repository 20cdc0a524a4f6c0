"""Static checks of the GPU path that need no GPU."""
import ast
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Gone in TensorRT 11 (weak typing removed): precision flags, precision constraints, int8 calibration.
REMOVED_IN_TRT11 = {"FP16", "INT8", "BF16", "FP8", "INT4", "OBEY_PRECISION_CONSTRAINTS",
                    "PREFER_PRECISION_CONSTRAINTS", "int8_calibrator", "IInt8Calibrator",
                    "IInt8EntropyCalibrator2", "IInt8MinMaxCalibrator", "set_precision", "set_output_type"}


def _guarded(node: ast.If) -> bool:
    """An `if` that tests the TensorRT major version (e.g. `if tensorrt_major(trt) < 11:`)."""
    return bool(re.search(r"major|__version__|hasattr", ast.unparse(node.test)))


def removed_name_uses(source: str) -> list[tuple[int, str]]:
    """(line, name) of removed TensorRT names used outside a version-guarded branch."""
    hits: list[tuple[int, str]] = []

    def visit(node: ast.AST, guarded: bool) -> None:
        if isinstance(node, ast.If) and _guarded(node):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, guarded)
            visit(node.test, guarded)
            return
        if isinstance(node, ast.Attribute) and node.attr in REMOVED_IN_TRT11 and not guarded:
            hits.append((node.lineno, node.attr))
        for child in ast.iter_child_nodes(node):
            visit(child, guarded)

    visit(ast.parse(source), False)
    return hits


def test_checker_flags_unguarded_and_accepts_guarded_uses():
    bad = "config.set_flag(trt.BuilderFlag.FP16)\nconfig.int8_calibrator = c\n"
    assert removed_name_uses(bad) == [(1, "FP16"), (2, "int8_calibrator")]
    good = "if tensorrt_major(trt) < 11:\n    config.set_flag(trt.BuilderFlag.FP16)\n"
    assert removed_name_uses(good) == []


def test_no_tensorrt_11_removed_name_outside_a_version_guard():
    offenders = {str(p.relative_to(REPO)): removed_name_uses(p.read_text())
                 for p in (REPO / "stylert").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.skipif(importlib.util.find_spec("cuda") is None, reason="cuda-python is not installed")
def test_every_cuda_runtime_call_exists_in_cuda_python():
    """cuda.bindings ships no type stubs, so check the names against the installed module itself."""
    from cuda.bindings import runtime

    source = (REPO / "stylert" / "gpu" / "cuda_python_layer.py").read_text()
    names = set(re.findall(r"self\._rt\.(\w+)", source))
    assert {"cudaMalloc", "cudaMemcpyAsync", "cudaStreamBeginCapture", "cudaGraphLaunch"} <= names
    assert sorted(n for n in names if not hasattr(runtime, n)) == []


@pytest.mark.skipif(not shutil.which("mypy") and importlib.util.find_spec("mypy") is None, reason="mypy missing")
@pytest.mark.skipif(importlib.util.find_spec("tensorrt_stubs") is None,
                    reason="tensorrt-stubs missing (pip install --no-deps tensorrt-stubs)")
def test_mypy_checks_the_gpu_path_against_tensorrt_stubs(tmp_path):
    staged = subprocess.run([sys.executable, str(REPO / "scripts" / "stage_tensorrt_stubs.py")],
                            capture_output=True, text=True)
    assert staged.returncode == 0, staged.stderr
    clean = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout
    # The check has teeth: a misspelt TensorRT method fails it.
    broken = tmp_path / "broken.py"
    broken.write_text("import tensorrt as trt\n"
                      "def f(builder: trt.Builder, network: trt.INetworkDefinition, c: trt.IBuilderConfig):\n"
                      "    return builder.build_engine(network, c)\n")
    bad = subprocess.run([sys.executable, "-m", "mypy", str(broken)], cwd=REPO, capture_output=True, text=True)
    assert bad.returncode != 0 and "build_engine" in bad.stdout
