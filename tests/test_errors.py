import os

import pytest

from stylert.errors import StyleNotFound, UnreadableVideo, not_found


def test_a_pipe_or_device_given_as_a_file_is_named_as_one_not_as_missing(tmp_path):
    """'video not found: /dev/stdin' was said of a pipe that was there."""
    from stylert.models.checkpoint import load_checkpoint
    from stylert.runtime.model_source import resolve_style
    from stylert.runtime.video_decode import probe_video

    os.mkfifo(tmp_path / "clip.mp4")
    os.mkfifo(tmp_path / "style.pth")
    assert not_found("video", tmp_path / "gone.mp4") == f"video not found: {tmp_path / 'gone.mp4'}"
    said = f"{tmp_path / 'clip.mp4'} is a device or a pipe, not a file; save what it gives to a file and name that"
    assert not_found("video", tmp_path / "clip.mp4") == said
    for load in (load_checkpoint, resolve_style):
        with pytest.raises(StyleNotFound, match="style.pth is a device or a pipe, not a file"):
            load(str(tmp_path / "style.pth") if load is resolve_style else tmp_path / "style.pth")
    pytest.importorskip("av", reason="PyAV is not installed")
    with pytest.raises(UnreadableVideo, match="is a device or a pipe, not a file"):
        probe_video(tmp_path / "clip.mp4")


def test_build_engine_names_a_pipe_given_for_its_model_or_plugin_as_one(tmp_path):
    from stylert.errors import StylertError
    from stylert.gpu.tensorrt_api import plugin_library

    os.mkfifo(tmp_path / "lib.so")
    with pytest.raises(StylertError, match=r"lib.so is a device or a pipe, not a file; save what it gives .*that$"):
        plugin_library(tmp_path / "lib.so")
    with pytest.raises(StylertError, match=r"plugin library not found: .*gone.so \(build it with: make kernels\)$"):
        plugin_library(tmp_path / "gone.so")
