import numpy as np
import pytest

from stylert.frames.images import write_image


@pytest.fixture
def tiny_data(tmp_path, photo):
    """Three small content photos, a style image and paired targets, all made from the sample photo."""
    content, targets = tmp_path / "content", tmp_path / "targets"
    for i, (y, x) in enumerate([(0, 0), (60, 90), (120, 200)]):
        crop = np.ascontiguousarray(photo[y:y + 96, x:x + 120])
        write_image(content / f"c{i}.png", crop)
        write_image(targets / f"c{i}.png", 255 - crop)
    yy, xx = np.mgrid[0:80, 0:80]
    stripes = np.stack([(np.sin(xx / 3.0) > 0) * 255, (np.sin(yy / 5.0) > 0) * 200, np.full_like(xx, 60)], -1)
    write_image(tmp_path / "style.png", stripes.astype(np.uint8))
    return tmp_path
