"""FFmpeg's error lines, heard for a block: from its worker threads too, each repeat kept, PyAV's settings back."""
import io

import numpy as np
import pytest

from stylert.ffmpeg_log import ffmpeg_errors

av = pytest.importorskip("av", reason="PyAV is not installed (pip install 'stylert[video]')")


def _exr_with_a_damaged_block() -> bytes:
    """A ZIP-compressed EXR whose one block's zlib stream is broken: FFmpeg logs one line for it, the same words
    each time."""
    out = io.BytesIO()
    with av.open(out, "w", format="image2pipe") as container:
        stream = container.add_stream("exr", rate=1, options={"compression": "zip16"})
        stream.width, stream.height, stream.pix_fmt = 16, 8, "gbrpf32le"
        smooth = np.broadcast_to(np.linspace(0.1, 0.9, 16, dtype=np.float32)[:, None], (8, 16, 3))
        container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(smooth), format="gbrpf32le")))
        container.mux(stream.encode(None))
    data = bytearray(out.getvalue())
    block = data.index(b"x\x9c")  # the block's zlib stream
    data[block + 2:block + 10] = bytes(8)
    return bytes(data)


def test_the_lines_of_each_block_are_kept_repeats_included_and_the_settings_put_back():
    before = av.logging.get_level(), av.logging.get_skip_repeated()
    heard = []
    for _ in range(2):  # the same line twice running: PyAV would skip the second as a repeat
        with ffmpeg_errors(av) as lines, av.open(io.BytesIO(_exr_with_a_damaged_block()), format="exr_pipe") as c:
            list(c.decode(video=0))
        heard.append(lines)
    assert heard[0] and heard[0] == heard[1] and all("\n" not in line for line in heard[0])
    assert (av.logging.get_level(), av.logging.get_skip_repeated()) == before
    with ffmpeg_errors(av) as quiet:
        pass
    assert quiet == []
