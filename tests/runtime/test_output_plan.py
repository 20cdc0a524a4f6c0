from pathlib import Path

import numpy as np
import pytest

from stylert.errors import StylertError
from stylert.runtime.output_plan import plan_outputs

IMAGES = (".jpg", ".png")


def _src(*names):
    return [(Path(n), Path(Path(n).name)) for n in names]


def test_one_input_and_a_file_output(tmp_path):
    plan = plan_outputs(_src(tmp_path / "a.jpg"), str(tmp_path / "out.png"), suffixes=IMAGES, what="image")
    assert [p.target for p in plan] == [tmp_path / "out.png"]


@pytest.mark.parametrize("output,match", [("out.xyz", "unknown output format '.xyz'"), ("out", "no file extension"),
                                          ("out.PFM", ": stylert reads PFM but does not write it "
                                                      "\\(use .jpg .png\\)$")])
def test_a_single_output_needs_a_known_extension(tmp_path, output, match):
    with pytest.raises(StylertError, match=match):
        plan_outputs(_src(tmp_path / "a.jpg"), str(tmp_path / output), suffixes=IMAGES, what="image",
                     read=(*IMAGES, ".pfm"))


def test_a_trailing_slash_or_an_existing_folder_means_folder(tmp_path):
    (tmp_path / "exists").mkdir()
    for output in (f"{tmp_path}/new/", str(tmp_path / "exists")):
        plan = plan_outputs(_src(tmp_path / "a.jpg"), output, suffixes=IMAGES, what="image", new_suffix=".png")
        assert plan[0].target == Path(output) / "a.png"


def test_two_inputs_need_a_folder_and_distinct_names(tmp_path):
    with pytest.raises(StylertError, match="names one file but there are 2 inputs"):
        plan_outputs(_src(tmp_path / "a.jpg", tmp_path / "b.jpg"), str(tmp_path / "o.jpg"), suffixes=IMAGES,
                     what="image")
    with pytest.raises(StylertError, match="would both be written to"):
        plan_outputs(_src(tmp_path / "A" / "x.jpg", tmp_path / "B" / "x.jpg"), f"{tmp_path}/out/", suffixes=IMAGES,
                     what="image")


def test_never_an_input(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"x")
    with pytest.raises(StylertError, match="refusing to overwrite the input"):
        plan_outputs(_src(tmp_path / "a.jpg"), str(tmp_path / "a.jpg"), suffixes=IMAGES, what="image")
    with pytest.raises(StylertError, match="refusing to overwrite the input"):
        plan_outputs(_src(tmp_path / "a.jpg"), str(tmp_path), suffixes=IMAGES, what="image")


def test_a_file_where_a_folder_is_needed(tmp_path):
    (tmp_path / "taken").write_bytes(b"x")
    with pytest.raises(StylertError, match="is a file"):
        plan_outputs(_src(tmp_path / "a.jpg", tmp_path / "b.jpg"), str(tmp_path / "taken"), suffixes=IMAGES,
                     what="image")


def test_ext_names_a_format_stylert_writes_and_only_where_the_output_has_no_format_of_its_own(tmp_path):
    from stylert.frames.images import write_image
    from stylert.runtime.stylize_files import ext_suffix, plan_image_outputs

    assert [ext_suffix(e) for e in ("png", ".PNG", " jpg ")] == [".png", ".png", ".jpg"]
    for ext, why in (("psd", "stylert reads PSD but does not write it"), ("", "no format named"),
                     ("xyz", "unknown image format")):
        with pytest.raises(StylertError, match=f"^--ext '{ext}': {why} \\(use one of .jpg "):
            ext_suffix(ext)
    write_image(tmp_path / "a.jpg", np.zeros((8, 8, 3), np.uint8))
    src = str(tmp_path / "a.jpg")
    assert [p.target.name for p in plan_image_outputs([src], f"{tmp_path / 'out'}/", ext="png")] == ["a.png"]
    assert [p.target.name for p in plan_image_outputs([src], str(tmp_path / "b.png"), ext="PNG")] == ["b.png"]
    with pytest.raises(StylertError, match=r"^--ext png is for folder outputs and -o -; -o .*b\.webp names its own"):
        plan_image_outputs([src], str(tmp_path / "b.webp"), ext="png")
