import numpy as np
import pytest

from stylert.errors import NoInputs, UnreadableImage
from stylert.frames.images import collect_images, fit_max_size, read_image, write_image


def test_write_then_read_round_trip_png(tmp_path, rng):
    img = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    write_image(tmp_path / "sub" / "a.png", img)
    assert np.array_equal(read_image(tmp_path / "sub" / "a.png"), img)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["a.png"]  # no temporary left behind


def test_collect_folders_recursive_and_globs(tmp_path, rng):
    img = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    for rel in ("a.jpg", "b.png", "deep/c.png"):
        write_image(tmp_path / rel, img)
    (tmp_path / "notes.txt").write_text("x")
    assert sorted(str(i.relative) for i in collect_images([str(tmp_path)])) == ["a.jpg", "b.png"]
    assert "deep/c.png" in {str(i.relative) for i in collect_images([str(tmp_path)], recursive=True)}
    assert [i.path.name for i in collect_images([str(tmp_path / "*.png")])] == ["b.png"]
    with pytest.raises(NoInputs):
        collect_images([str(tmp_path / "deep" / "*.jpg")])
    with pytest.raises(NoInputs, match="not found"):
        collect_images([str(tmp_path / "nope.jpg")])


def test_corrupt_and_empty_images(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (tmp_path / "empty.png").write_bytes(b"")
    for name in ("bad.jpg", "empty.png"):
        with pytest.raises(UnreadableImage, match="not a readable image"):
            read_image(tmp_path / name)
    with pytest.raises(UnreadableImage, match="cannot read"):
        read_image(tmp_path / "absent.png")


def test_fit_max_size_downscales_long_side_only():
    img = np.zeros((100, 300, 3), np.uint8)
    assert fit_max_size(img, 150).shape == (50, 150, 3)
    assert fit_max_size(img, 1000) is img
