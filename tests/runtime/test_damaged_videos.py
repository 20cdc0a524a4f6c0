"""Video files damaged in many ways (cut short, bytes changed in the header and anywhere), in each container
stylert reads: each gives an output with what could be read, or one StylertError line, never another error
(which the command reports as an internal error and stops on), and nothing of FFmpeg's own on the terminal.
Seeded, so a failure repeats."""
import numpy as np
import pytest

from stylert import Stylizer
from stylert.errors import StylertError
from stylert.runtime.video import stylize_video
from tests.media import make_video

pytest.importorskip("av", reason="PyAV is not installed")

CLIPS = {".mp4": {}, ".mkv": {"subtitles": True, "chapters": 2}, ".webm": {"codec": "libvpx-vp9", "audio": "libopus"},
         ".mov": {"codec": "prores_ks", "pix_fmt": "yuv422p10le", "audio": "pcm_s16le"}, ".ts": {"audio": "mp2"},
         ".avi": {"codec": "mpeg4", "audio": "pcm_s16le"}}


@pytest.fixture(scope="module")
def stylizer(lite_onnx):
    with Stylizer(str(lite_onnx), threads=1) as s:
        yield s


@pytest.mark.parametrize("suffix", list(CLIPS))
def test_a_damaged_video_gives_what_can_be_read_or_one_error(tmp_path, stylizer, suffix, capfd):
    data = make_video(tmp_path / f"clip{suffix}", frames=8, size=(32, 48), **CLIPS[suffix]).read_bytes()
    rng = np.random.default_rng(7)
    for k in range(15):
        damaged = bytearray(data)
        if k % 3 == 0:
            damaged = damaged[:rng.integers(1, len(damaged))]
        else:
            reach = min(len(damaged), 2000) if k % 3 == 1 else len(damaged)  # the header, or anywhere
            for _ in range(rng.integers(1, 12)):
                damaged[rng.integers(0, reach)] = rng.integers(0, 256)
        (tmp_path / f"d{k}{suffix}").write_bytes(bytes(damaged))
        try:
            stylize_video(stylizer, tmp_path / f"d{k}{suffix}", tmp_path / f"out{k}.mp4")
        except StylertError:
            assert not (tmp_path / f"out{k}.mp4").exists()  # nothing half-written is left
        except Exception as exc:
            raise AssertionError(f"{suffix}, damage {k}: {type(exc).__name__}: {exc}") from exc
        assert capfd.readouterr().err == "", f"{suffix}, damage {k}"  # FFmpeg's own lines
    assert not [p.name for p in tmp_path.iterdir() if ".part" in p.name]  # no temporary left behind
