import itertools

import numpy as np
import pytest

from stylert import Stylizer
from stylert.styles import builtin_styles, provenance

STYLES = list(builtin_styles())


def test_at_least_three_styles_ship_with_provenance():
    assert len(STYLES) >= 3
    for name, path in builtin_styles().items():
        assert path.stat().st_size <= 8_000_000
        prov = provenance(name)
        assert prov["command"].startswith("stylert train") and prov["steps"] > 0 and prov["final_losses"]
        assert path.with_suffix(".pth").is_file()


@pytest.fixture(scope="module")
def outputs(photo_64):
    result = {}
    for name in STYLES:
        with Stylizer(name) as s:
            result[name] = s(photo_64).astype(int)
    return result


@pytest.fixture(scope="module")
def photo_64():
    import cv2

    from stylert.frames.image_decode import read_image
    from stylert.samples import sample_path

    return cv2.resize(read_image(sample_path("astronaut")), (64, 64), interpolation=cv2.INTER_AREA)


def test_every_style_changes_the_image(outputs, photo_64):
    for name, out in outputs.items():
        assert out.shape == (64, 64, 3)
        assert np.abs(out - photo_64).mean() > 15, name


def test_styles_differ_from_each_other(outputs):
    for a, b in itertools.combinations(outputs, 2):
        assert np.abs(outputs[a] - outputs[b]).mean() > 10, (a, b)


@pytest.mark.parametrize("name", STYLES)
def test_builtin_torch_weights_match_the_onnx(name, photo_64):
    with Stylizer(name, "onnxruntime") as a, Stylizer(name, "torch") as b:
        assert np.abs(a(photo_64).astype(int) - b(photo_64).astype(int)).max() <= 1
