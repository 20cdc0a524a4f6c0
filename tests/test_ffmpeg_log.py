"""FFmpeg's error lines, heard for a block: from its worker threads too, each repeat kept, PyAV's settings back."""
import io

import numpy as np
import pytest

from stylert.ffmpeg_log import ffmpeg_errors

av = pytest.importorskip("av", reason="PyAV is not installed (pip install 'stylert[video]')")


def _broken_jpeg() -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="image2pipe") as container:
        stream = container.add_stream("mjpeg", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuvj420p"
        container.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")))
        container.mux(stream.encode(None))
    return out.getvalue()[:200]  # cut off inside its first scan


def test_the_lines_of_each_block_are_kept_repeats_included_and_the_settings_put_back():
    before = av.logging.get_level(), av.logging.get_skip_repeated()
    heard = []
    for _ in range(2):  # the same words twice: PyAV would skip the second as a repeat
        with ffmpeg_errors(av) as lines:
            try:
                with av.open(io.BytesIO(_broken_jpeg()), format="mjpeg") as container:
                    list(container.decode(video=0))
            except av.error.FFmpegError:
                pass
        heard.append(lines)
    assert heard[0] and heard[0] == heard[1] and all("\n" not in line for line in heard[0])
    assert (av.logging.get_level(), av.logging.get_skip_repeated()) == before
    with ffmpeg_errors(av) as quiet:
        pass
    assert quiet == []
