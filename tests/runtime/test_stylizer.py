import re
from pathlib import Path

import numpy as np
import pytest

from stylert import Stylizer
from stylert.errors import BackendUnavailable, BadModelFile, StyleNotFound, StylertError


def test_odd_size_keeps_shape_and_matches_torch(lite_onnx, lite_pth, photo):
    frame = np.ascontiguousarray(photo[:97, :131])
    with Stylizer(str(lite_onnx), "onnxruntime") as ort_s, Stylizer(str(lite_pth), "torch") as torch_s:
        a, b = ort_s(frame), torch_s(frame)
    assert a.shape == frame.shape == b.shape and a.dtype == np.uint8
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    assert np.abs(a.astype(int) - frame.astype(int)).mean() > 5  # it did stylise


def test_list_of_mixed_sizes_keeps_order_and_batching_changes_nothing(lite_onnx, photo):
    frames = [photo[:64, :80], photo[10:74, 20:100], photo[:33, :47], photo[5:69, :80]]
    frames = [np.ascontiguousarray(f) for f in frames]
    with Stylizer(str(lite_onnx), batch_size=3) as batched, Stylizer(str(lite_onnx), batch_size=1) as single:
        out = batched(frames)
        one_by_one = [single(f) for f in frames]
    assert [o.shape for o in out] == [f.shape for f in frames]
    for x, y in zip(out, one_by_one):
        assert np.abs(x.astype(int) - y.astype(int)).max() <= 1


def test_pth_is_exported_once_for_onnxruntime(lite_pth, photo, tmp_path, monkeypatch):
    monkeypatch.setenv("STYLERT_CACHE_DIR", str(tmp_path))
    with Stylizer(str(lite_pth), "onnxruntime") as s:
        assert s(photo[:32, :32]).shape == (32, 32, 3)
    assert len(list((tmp_path / "onnx").glob("*.onnx"))) == 1


def test_metadata_reaches_the_stylizer(lite_onnx):
    with Stylizer(str(lite_onnx), threads=1) as s:
        assert (s.info.architecture, s.info.variant, s.info.size_multiple) == ("transformer_net", "lite", 4)


def test_style_names_are_forgiving_and_a_near_miss_is_named(tmp_path, monkeypatch):
    from stylert.runtime.model_source import resolve_style
    from stylert.styles import builtin_styles

    assert resolve_style("Mosaic") == resolve_style("MOSAIC") == builtin_styles()["mosaic"]
    with pytest.raises(StyleNotFound, match="unknown style 'mosiac': did you mean 'mosaic'"):
        resolve_style("mosiac")
    with pytest.raises(StyleNotFound, match=r"model file not found: stain.onnx \(the built-in style is --style "
                                            r"stain\)"):
        resolve_style("stain.onnx")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Mosaic").write_bytes(b"")  # a file of that name is the user's, not the built-in
    with pytest.raises(StyleNotFound, match="^Mosaic is an empty file, not a style network; a style is a built-in "
                                            r"name \(cosmos, .*\) or a model file \(.onnx .pth"):
        resolve_style("Mosaic")
    (tmp_path / "notes.txt").write_text("to do\n")
    with pytest.raises(StyleNotFound, match="^notes.txt is text, not a style network; "):
        resolve_style("notes.txt")
    (tmp_path / "weights.bin").write_bytes(bytes(range(256)))
    with pytest.raises(StyleNotFound, match="^--style weights.bin is not a model file; "):
        resolve_style("weights.bin")
    (tmp_path / "starry.JPG").write_bytes(b"")  # a picture where a trained style belongs: say how to train one
    with pytest.raises(StyleNotFound, match=r"--style starry.JPG is a picture, not a style network; learn its style "
                                            r"with stylert train --style-image starry.JPG .* -o starry.pth"):
        resolve_style("starry.JPG")
    (tmp_path / "models").mkdir()
    with pytest.raises(StyleNotFound, match=r"--style models is a folder; name one model file in it$"):
        resolve_style("models")
    for name in ("b.onnx", "a.pth", "notes.txt"):
        (tmp_path / "models" / name).write_bytes(b"")
    with pytest.raises(StyleNotFound, match=r"is a folder; name one model file in it \(a.pth, b.onnx\)$"):
        resolve_style("models")


def test_bad_styles(tmp_path, lite_onnx):
    with pytest.raises(StyleNotFound, match="unknown style"):
        Stylizer("no-such-style")
    with pytest.raises(StyleNotFound, match="not found"):
        Stylizer(str(tmp_path / "missing.onnx"))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(lite_onnx.read_bytes()[:2000])
    with pytest.raises(BadModelFile, match="not a loadable ONNX"):
        Stylizer(str(broken))
    with pytest.raises(BackendUnavailable, match="torch backend loads"):
        Stylizer(str(lite_onnx), "torch")


def test_a_picture_renamed_to_a_model_is_named_as_a_picture(tmp_path, photo):
    from stylert.frames.images import write_image

    write_image(tmp_path / "photo.jpg", photo[:32, :32])
    for name, kind in (("style.onnx", "an ONNX model"), ("style.pth", "a PyTorch checkpoint")):
        (tmp_path / name).write_bytes((tmp_path / "photo.jpg").read_bytes())
        with pytest.raises(BadModelFile, match=rf"^{tmp_path / name} is a JPG picture, not {kind}$"):
            Stylizer(str(tmp_path / name))


def test_an_empty_model_file_is_named_as_empty(tmp_path):
    """A download that never arrived: the ONNX error was "No graph was found in the protobuf", the checkpoint's
    an EOFError."""
    for name, kind in (("style.onnx", "an ONNX model"), ("style.pth", "a PyTorch checkpoint"),
                       ("style.safetensors", "a safetensors file")):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(BadModelFile, match=rf"^{tmp_path / name} is an empty file, not {kind}$"):
            Stylizer(str(tmp_path / name), "onnxruntime" if name.endswith(".onnx") else "torch")


def test_frames_the_api_cannot_take_are_named_with_their_real_shape(lite_onnx):
    from PIL import Image

    with Stylizer(str(lite_onnx), threads=1) as stylize:
        for frame, shape in ((np.zeros((20, 30), np.uint8), r"\(20, 30\)"),  # grey: was read as 20 frames of (30,)
                             (np.zeros((0, 30, 3), np.uint8), r"\(0, 30, 3\)"),  # was an IndexError
                             (np.zeros((20, 30, 4), np.uint8), r"\(20, 30, 4\)")):
            with pytest.raises(StylertError, match="uint8 HxWx3 BGR of at least one pixel, got uint8 " + shape):
                stylize(frame)
        with pytest.raises(StylertError, match=r"got Image \(from Pillow: np.asarray"):
            stylize(Image.new("RGB", (8, 8)))
        for path in ("photo.jpg", Path("photo.jpg")):  # a str was taken as frames, one per letter: AttributeError
            with pytest.raises(StylertError, match=r"got the path 'photo.jpg'; read it first"):
                stylize(path)
        with pytest.raises(StylertError, match=r"^frames must be uint8 HxWx3 BGR arrays, got a NoneType among them"):
            stylize([np.zeros((8, 8, 3), np.uint8), None])  # cv2.imread's answer for a file it cannot read
        assert stylize(f for f in [np.zeros((8, 8, 3), np.uint8)])[0].shape == (8, 8, 3)  # any iterable of frames


@pytest.mark.parametrize("keywords,says", [({"backend": "nope"}, "unknown backend 'nope'; use one of auto, "),
                                           ({"device": "tpu"}, "device must be auto, cpu or cuda, got 'tpu'"),
                                           ({"threads": 0}, "threads must be a whole number of at least 1"),
                                           ({"tile": 8}, "tile must be 'auto', 'off' or a core size of at least 64"),
                                           ({"tile": "x"}, "tile must be 'auto', 'off' or a core size"),
                                           ({"style": " "}, "style is empty; pass None for the default style")])
def test_constructor_arguments_that_would_fail_late_or_be_ignored_are_refused(lite_onnx, keywords, says):
    """backend='nope' was a KeyError, device='tpu' was replaced by auto's choice, tile='x' a ValueError at the
    first frame, threads=0 was passed on to ONNX Runtime."""
    style = keywords.pop("style", str(lite_onnx))
    with pytest.raises(StylertError, match="^" + re.escape(says)):
        Stylizer(style, **keywords)


def test_the_batch_is_one_on_the_cpu_and_never_more_than_memory_holds(lite_onnx, rng, monkeypatch):
    """Batching gained nothing on ONNX Runtime's CPU engine and cost speed and memory on large frames (four
    12-megapixel photos at once took 22 GB), so the CPU batch is 1 unless asked; an asked-for batch shrinks to what
    the memory free holds."""
    from stylert import host_memory
    from stylert.runtime import tiling
    from stylert.runtime.stylizer import AUTO_BATCH

    with Stylizer(str(lite_onnx), threads=1) as auto:
        assert auto.batch_size == AUTO_BATCH["cpu"] == 1
    frames = [rng.integers(0, 256, (40, 48, 3), dtype=np.uint8) for _ in range(5)]
    with Stylizer(str(lite_onnx), threads=1, batch_size=4) as stylizer:
        one = 10**12 / stylizer.memory_fit(40, 48, budget=10**12)[0]  # bytes one 48x40 frame needs by the estimate
        alone = [stylizer.stylize_batch([f])[0] for f in frames]
        monkeypatch.setattr(host_memory, "available_host_memory", lambda: int(2.5 * one / tiling.MEMORY_SHARE))
        assert stylizer.frames_at_once(40, 48) == 2
        sizes, stream = [], stylizer.stylize_stream

        def counted(batches):
            for batch in batches:
                sizes.append(len(batch))
                yield batch

        monkeypatch.setattr(stylizer, "stylize_stream", lambda batches: stream(counted(batches)))
        out = stylizer.stylize_frames(frames)
    assert sizes == [2, 2, 1]
    for a, b in zip(out, alone):
        np.testing.assert_array_equal(a, b)
