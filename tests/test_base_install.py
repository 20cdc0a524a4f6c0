"""What `pip install stylert` alone gives, without extras: stylize with the built-in styles (tiled too), and one
clear line from each command that needs an extra. The extras' packages are made unimportable in a subprocess,
as on a machine where they were never installed."""
from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import numpy as np
import pytest

from stylert.frames.images import write_image

tomllib = pytest.importorskip("tomllib")

# None in sys.modules: an import raises ModuleNotFoundError and importlib.util.find_spec says None, as for a
# package that is not installed
RUN_WITHOUT = """
import sys
sys.modules.update(dict.fromkeys(sys.argv[1].split(",")))
from stylert.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _names(requirements: list[str]) -> set[str]:
    """The distributions named (``stylert[...]`` left out), normalised as PEP 503 does."""
    names = {re.match(r"[A-Za-z0-9._-]+", r).group(0) for r in requirements}
    return {re.sub(r"[-_.]+", "-", n).lower() for n in names} - {"stylert"}


def _extras_only_modules() -> set[str]:
    """The top-level modules installed here by the extras' distributions and by none of the base ones."""
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    base = _names(project["dependencies"])
    extras = set().union(*(_names(reqs) for reqs in project["optional-dependencies"].values())) - base
    blocked = set()
    for module, dists in packages_distributions().items():
        names = {re.sub(r"[-_.]+", "-", d).lower() for d in dists}
        if names & extras and not names & base:
            blocked.add(module)
    return blocked


def _stylert(*argv: str, cwd: Path, without: set[str] | None = None) -> subprocess.CompletedProcess:
    """stylert run with the modules ``without`` (every extra's, by default) unimportable."""
    return subprocess.run([sys.executable, "-c", RUN_WITHOUT, ",".join(sorted(without or BLOCKED)), *argv],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


BLOCKED = _extras_only_modules()


def test_the_extras_are_really_left_out():
    assert {"torch", "av", "matplotlib"} <= BLOCKED and "onnxruntime" not in BLOCKED and "numpy" not in BLOCKED


def test_stylize_works_without_any_extra(tmp_path):
    """It stopped with "the memory estimate for large frames needs the 'onnx' package": onnx was in the export
    extra only, while the inference path reads graphs with it."""
    write_image(tmp_path / "photo.jpg", np.random.default_rng(0).integers(0, 256, (72, 100, 3), dtype=np.uint8))
    for extra in ([], ["--tile", "64"]):
        r = _stylert("stylize", "photo.jpg", "-o", "styled.png", "--redo", *extra, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr and (tmp_path / "styled.png").is_file()


@pytest.mark.parametrize("argv,says", [
    (["bench", "--quick", "-o", "b"], "stylert bench (it measures against PyTorch eager) needs the 'torch' package"),
    (["train", "--content", ".", "--style-image", "x.jpg", "-o", "t.pth"], "stylert train needs the 'torch' package"),
    (["export", "mosaic.pth", "-o", "m.onnx"], "needs the 'torch' package"),
    (["video", "clip.mp4", "-o", "out.mp4"], "stylert video needs the 'av' package"),
    # refused before any picture is stylised: each one was stylised, then failed to be written
    (["stylize", "clip.png", "-o", "x.heic"], "-o x.heic: writing HEIC needs pillow-heif: pip install 'stylert[heic]'"),
    (["stylize", ".", "-o", "out/", "--ext", "exr"], "--ext exr: writing EXR needs PyAV: pip install 'stylert[video]'"),
])
def test_a_command_that_needs_an_extra_says_which_in_one_line(tmp_path, argv, says):
    (tmp_path / "clip.mp4").write_bytes(b"\0\0\0\x18ftypisom")
    write_image(tmp_path / "clip.png", np.zeros((16, 16, 3), np.uint8))
    r = _stylert(*argv, cwd=tmp_path)
    errors = [line for line in r.stderr.splitlines() if line.startswith("stylert: error:")]
    assert r.returncode == 2 and len(errors) == 1 and says in errors[0], r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "clip.png"]  # nothing written


def test_export_with_torch_but_not_the_export_extra_names_what_is_missing(tmp_path, lite_pth):
    """PyTorch installed on its own (as the README's CPU line does), without onnxscript, which torch.onnx's
    exporter imports: an internal error before."""
    r = _stylert("export", str(lite_pth), "-o", "m.onnx", cwd=tmp_path, without={"onnxscript"})
    assert r.returncode == 2 and "needs the 'onnxscript' package" in r.stderr and "internal error" not in r.stderr
    assert not (tmp_path / "m.onnx").exists()
