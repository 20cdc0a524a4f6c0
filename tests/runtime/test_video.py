import collections
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from stylert import Stylizer
from stylert.errors import StylertError, UnreadableVideo
from stylert.runtime.video import VideoOptions, plan_video_outputs, stylize_video
from stylert.runtime.video_decode import DecodeStatus, choose_video_decoder, decode_frames, probe_video
from stylert.runtime.video_encode import VideoEncoder
from tests.media import make_song, make_video
from tests.processes import INTERRUPTIBLE

av = pytest.importorskip("av", reason="PyAV is not installed (pip install 'stylert[video]')")


@pytest.fixture(scope="module")
def stylizer(lite_onnx):
    with Stylizer(str(lite_onnx), batch_size=3) as s:
        yield s


def _streams(path):
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames = sum(1 for _ in c.decode(v))
        return frames, v.average_rate, v.codec_context.name, v.codec_context.pix_fmt, \
            [a.codec_context.name for a in c.streams.audio]


def test_same_frames_fps_with_h264_and_audio(tmp_path, stylizer):
    src = make_video(tmp_path / "in.mp4", frames=14, fps=Fraction(30000, 1001))
    result = stylize_video(stylizer, src, tmp_path / "out.mp4")
    frames, fps, codec, pix, audio = _streams(tmp_path / "out.mp4")
    assert (frames, result.frames) == (14, 14)
    assert fps == Fraction(30000, 1001) and codec == "h264" and pix == "yuv420p"
    assert audio == ["aac"] and result.has_audio
    assert abs(probe_video(tmp_path / "out.mp4").duration - probe_video(src).duration) < 0.1


def test_a_title_that_is_not_utf8_is_kept_byte_for_byte_not_a_reason_to_refuse_the_file(tmp_path, stylizer):
    """An older tool's Latin-1 tags made a playable clip 'not a readable video' ('utf-8' codec can't decode)."""
    from stylert.runtime.video_decode import tags_as_stored

    with av.open(str(tmp_path / "in.mp4"), "w", **tags_as_stored(av)) as out:
        out.metadata["title"] = "Café déjà vu".encode("latin-1").decode("utf-8", "surrogateescape")  # its bytes
        video = out.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 48, 32, "yuv420p"
        for k in range(4):
            for packet in video.encode(av.VideoFrame.from_ndarray(np.full((32, 48, 3), 60 * k, np.uint8),
                                                                  format="bgr24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    assert stylize_video(stylizer, tmp_path / "in.mp4", tmp_path / "out.mp4").frames == 4
    assert "Café déjà vu".encode("latin-1") in (tmp_path / "out.mp4").read_bytes()


def test_odd_size_content_is_stylised_and_not_shifted(tmp_path, stylizer):
    """Each output frame matches stylising the decoded input frame directly (49x65, lossless input)."""
    src = make_video(tmp_path / "odd.mkv", frames=6, size=(49, 65), audio=None, codec="ffv1", pix_fmt="yuv444p")
    stylize_video(stylizer, src, tmp_path / "out.mkv", VideoOptions(codec="ffv1"))
    src_frames = list(decode_frames(src))
    out_frames = list(decode_frames(tmp_path / "out.mkv"))
    assert len(out_frames) == len(src_frames) == 6 and src_frames[0].shape == (49, 65, 3)
    for a, b in zip(src_frames, out_frames):
        assert b.shape == (50, 66, 3)  # yuv420p needs even sizes: one replicated row and column added
        expected = stylizer(a).astype(int)
        err = {(dy, dx): np.abs(b[dy:dy + 45, dx:dx + 61].astype(int) - expected[:45, :61]).mean()
               for dy in (0, 1, 2) for dx in (0, 1, 2)}
        assert min(err, key=err.get) == (0, 0) and err[(0, 0)] < 6  # 4:2:0 chroma costs a few levels


def test_encoded_colours_come_back_and_the_stream_says_which_matrix(tmp_path):
    """Saturated colours survive encode + decode (a BT.601/BT.709 mix-up moves them by 10+ levels), the H.264
    stream is tagged BT.601 limited range, so players decode with the matrix that encoded it, and fine colour
    detail is averaged into the subsampled chroma, not picked from one pixel of each 2x2 (which aliases)."""
    colours = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (40, 90, 200), (255, 255, 255), (0, 0, 0)]
    frame = np.zeros((64, 16 * (len(colours) + 1), 3), np.uint8)
    for i, colour in enumerate(colours):
        frame[:, 16 * i:16 * (i + 1)] = colour
    stripes = frame[:, 16 * len(colours):]
    stripes[:, ::2], stripes[:, 1::2] = (0, 0, 255), (255, 0, 0)  # red and blue columns, one pixel wide
    encoder = VideoEncoder(tmp_path / "c.mp4", Fraction(25), crf=0)
    for _ in range(3):
        encoder.write(frame)
    assert encoder.finish() == 3
    encoder.close()
    decoded = next(decode_frames(tmp_path / "c.mp4")).astype(int)
    for i, colour in enumerate(colours):  # block interiors: no chroma subsampling at the edges
        np.testing.assert_allclose(decoded[8:56, 16 * i + 4:16 * i + 12].reshape(-1, 3), [colour] * 384, atol=3)
    with av.open(str(tmp_path / "c.mp4")) as c:
        first = next(c.decode(video=0))
        assert (first.colorspace, first.color_range) == (6, 1)  # SMPTE 170M (BT.601) matrix, MPEG range
        planes = first.to_ndarray()  # yuv420p: Y rows, then the U and V planes
    u, v = planes[64:].reshape(2, 32, -1)[:, 4:28, 8 * len(colours) + 2:8 * len(colours) + 6]
    # BT.601 limited: red is (U, V) = (90, 240), blue (240, 110); their average (165, 175), not one of them
    assert np.abs(u.astype(int) - 165).max() <= 3 and np.abs(v.astype(int) - 175).max() <= 3


@pytest.fixture
def fresh_decoder_choice():
    choose_video_decoder.cache_clear()
    yield
    choose_video_decoder.cache_clear()


def test_without_nvdec_the_cpu_decodes_and_the_reason_is_given(tmp_path, fresh_decoder_choice):
    from stylert.gpu.probe import gpu_available

    if gpu_available()[0]:
        pytest.skip("a GPU answers here; test_nvdec_frames_equal_the_cpu_decoders covers this machine")
    hwaccel, why = choose_video_decoder()  # the real probe: no NVIDIA driver, so FFmpeg's CUDA device fails
    assert hwaccel is None and why.startswith("the CPU on all threads (no NVDEC here: ")
    assert "CUDA" in why or "libcuda" in why, why  # FFmpeg's own line, not the errno's "Operation not permitted"
    from stylert.runtime.video_encode import choose_h264_encoder

    choose_h264_encoder.cache_clear()
    codec, why = choose_h264_encoder()
    assert codec == "libx264" and ("CUDA" in why or "libcuda" in why or "nvenc" in why.lower()), why
    src = make_video(tmp_path / "in.mp4", frames=5, audio=None)
    assert [f.shape for f in decode_frames(src)] == [(50, 66, 3)] * 5


@pytest.mark.gpu
def test_nvdec_frames_equal_the_cpu_decoders(tmp_path, fresh_decoder_choice):
    hwaccel, why = choose_video_decoder()
    if hwaccel is None:
        pytest.skip(f"NVDEC is not used here: {why}")
    src = make_video(tmp_path / "in.mp4", frames=20, size=(270, 480), audio=None, noisy=True)
    on_gpu = list(decode_frames(src, start=0.2))
    on_cpu = list(decode_frames(src, start=0.2, decoder="cpu"))
    assert len(on_gpu) == len(on_cpu) == 15
    for a, b in zip(on_gpu, on_cpu):
        assert np.abs(a.astype(int) - b).max() <= 2  # H.264 decodes bit-exactly; NV12 vs I420 rounding only


def test_pcm_audio_is_transcoded_for_mp4_and_trimmed_with_start_duration(tmp_path, stylizer):
    src = make_video(tmp_path / "pcm.mkv", frames=50, audio="pcm_s16le")
    result = stylize_video(stylizer, src, tmp_path / "cut.mp4", VideoOptions(start=0.4, duration=1.0))
    frames, _, _, _, audio = _streams(tmp_path / "cut.mp4")
    assert frames == result.frames == 25 and audio == ["aac"]


def test_smoothing_reduces_measured_flicker(tmp_path, stylizer):
    src = make_video(tmp_path / "m.mp4", frames=16, size=(64, 80), audio=None)
    plain = stylize_video(stylizer, src, tmp_path / "a.mp4", VideoOptions(report=True, keep_audio=False))
    smooth = stylize_video(stylizer, src, tmp_path / "b.mp4", VideoOptions(report=True, smooth=0.8))
    assert plain.flicker.frames == 16 and plain.flicker.input_change > 0
    assert smooth.flicker.output_change < plain.flicker.output_change


@pytest.mark.parametrize("content, says", [(None, "video not found: "), (b"", "is an empty file, not a video"),
                                           (b"\x00\x00\x00\x18ftypmp42 this is not a video", "not a readable video"),
                                           (b"Meeting notes\n", "is text, not a video"),
                                           (b"%PDF-1.4\n%\xe2\xe3", "is a PDF document, not a video")])
def test_missing_empty_corrupt_videos(tmp_path, stylizer, content, says):
    src = tmp_path / "bad.mp4"
    if content is not None:
        src.write_bytes(content)
    with pytest.raises(UnreadableVideo, match=says) as said:
        stylize_video(stylizer, src, tmp_path / "out.mp4")
    assert "Errno" not in str(said.value) and str(said.value).count("bad.mp4") == 1  # FFmpeg's words, once named
    assert not (tmp_path / "out.mp4").exists()
    assert [p.name for p in tmp_path.iterdir()] == ([] if content is None else ["bad.mp4"])


def test_a_duration_shorter_than_a_frame_says_so(tmp_path, stylizer):
    """--start 0.1 --duration 0.01 on a 25 fps clip holds no frame's start: it said 'no decodable video frames'."""
    src = make_video(tmp_path / "in.mp4", frames=8)
    with pytest.raises(UnreadableVideo, match=r"^no frame of .*in\.mp4 starts in the 0\.01 s from 0\.1 s: it has one "
                                              r"every 0\.04 s \(25 fps\); give a longer --duration$"):
        stylize_video(stylizer, src, tmp_path / "out.mp4", VideoOptions(start=0.1, duration=0.01))
    assert not (tmp_path / "out.mp4").exists()


def test_a_start_past_the_end_names_the_video_s_length(tmp_path, stylizer):
    """A mistyped --start said 'no decodable video frames in the requested range'."""
    src = make_video(tmp_path / "in.mp4", frames=8)
    with pytest.raises(UnreadableVideo, match=r"^--start 5 s is at or past the end of .*in\.mp4, which lasts "
                                              r"0\.3\d s$"):
        stylize_video(stylizer, src, tmp_path / "out.mp4", VideoOptions(start=5))
    assert not (tmp_path / "out.mp4").exists()


def test_cli_video_and_bad_video(tmp_path, lite_onnx):
    src = make_video(tmp_path / "in.mp4", frames=5)
    (tmp_path / "broken.mp4").write_bytes(b"\x13\x37garbage" * 10)  # bytes FFmpeg and stylert cannot place
    run = lambda *a: subprocess.run([sys.executable, "-m", "stylert", "video", *a, "-s", str(lite_onnx)],  # noqa: E731
                                    capture_output=True, text=True, timeout=300)
    ok = run(str(src), "-o", str(tmp_path / "out.mp4"), "--report")
    assert ok.returncode == 0, ok.stderr
    assert "5 frames" in ok.stderr and "audio kept" in ok.stderr and "flicker:" in ok.stdout
    assert "decoder: " in ok.stderr and "encoder: " in ok.stderr
    cpu = run(str(src), "-o", str(tmp_path / "cpu.mp4"), "--decoder", "cpu")
    assert cpu.returncode == 0 and "decoder: the CPU (--decoder cpu)" in cpu.stderr, cpu.stderr
    bad = run(str(tmp_path / "broken.mp4"), "-o", str(tmp_path / "b.mp4"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "not a readable video" in bad.stderr
    assert not (tmp_path / "b.mp4").exists()


def _hdr_clip(path, transfer: int, signals: list[float], size=(16, 24)):
    """A 10-bit BT.2020 clip (an iPhone's HDR video is HLG, streaming masters PQ): one grey frame per signal
    level, written as its Y'CbCr codes (grey whatever the matrix), lossless."""
    h, w = size
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=10)
        v.width, v.height, v.pix_fmt, v.options = w, h, "yuv420p10le", {"qp": "0"}
        cc = v.codec_context
        cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range = 9, 9, transfer, 1  # BT.2020, limited
        for i, signal in enumerate(signals):
            frame = av.VideoFrame(w, h, "yuv420p10le")
            for plane, code, rows in zip(frame.planes, (64 + 876 * signal, 512, 512), (h, h // 2, h // 2)):
                np.frombuffer(plane, np.uint16).reshape(rows, -1)[:] = round(code)
            frame.colorspace, frame.color_range, frame.pts = 9, 1, i
            for packet in v.encode(frame):
                c.mux(packet)
        for packet in v.encode(None):
            c.mux(packet)
    return path


@pytest.mark.parametrize("transfer,name,white", [(16, "PQ", 0.5806), (18, "HLG", 0.75)])
def test_hdr_frames_are_tone_mapped_to_sdr(tmp_path, transfer, name, white):
    """Untouched, an HDR frame's codes read as SDR ones put reference white at a dull grey (PQ 58 % -> 148) and
    leave the highlights nowhere to go; tone-mapped, black stays black, reference white lands near SDR white
    and the peak at white."""
    clip = _hdr_clip(tmp_path / f"{name}.mp4", transfer, [0.0, white, 1.0])
    assert probe_video(clip).hdr == name
    black, reference, peak = [frame[2:-2, 2:-2].mean() for frame in decode_frames(clip, decoder="cpu")]
    assert black < 2 and 215 <= reference <= 240 and peak > 253


def test_hdr_video_is_said_to_be_tone_mapped(tmp_path, lite_onnx, capsys):
    from stylert.cli import main

    assert probe_video(make_video(tmp_path / "sdr.mp4", frames=2, audio=None)).hdr is None
    src = _hdr_clip(tmp_path / "pq.mp4", 16, [0.3, 0.5, 0.6])
    assert main(["video", str(src), "-o", str(tmp_path / "out.mp4"), "-s", str(lite_onnx)]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "is HDR" in line]
    assert lines == ["stylert: pq.mp4 is HDR (PQ); it is tone-mapped to 8-bit SDR BT.709 (reference white "
                     "203 cd/m², highlights rolled off to 1000)"]


def _interlaced_pan(path, photo, frames=8, step=24, h=96, w=128):
    """A camcorder's 1080i in small: a pan across ``photo`` whose top field is seen ``step`` / 2 pixels before
    its bottom one, coded interlaced top field first (H.264 field coding). Returns the clip and, for each
    frame, the pictures at its first and at its second field's moment."""
    def view(x):
        return np.ascontiguousarray(photo[40:40 + h, x:x + w])

    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.options = {"x264-params": "interlaced=1:tff=1", "crf": "8"}
        for i in range(frames):
            woven = view(i * step).copy()
            woven[1::2] = view(i * step + step // 2)[1::2]
            frame = av.VideoFrame.from_ndarray(woven, format="bgr24")
            frame.pts = i
            for packet in v.encode(frame):
                c.mux(packet)
        for packet in v.encode(None):
            c.mux(packet)
    return path, [view(i * step).astype(float) for i in range(frames)], \
        [view(i * step + step // 2).astype(float) for i in range(frames)]


def test_interlaced_video_is_deinterlaced_at_its_first_fields_moment(tmp_path, photo):
    """Written as progressive frames, an interlaced clip would keep its combing for good; on a 24-pixel pan
    the stylised frames were 27.5 levels from the stylised true pictures, deinterlaced 12.4."""
    clip, first, second = _interlaced_pan(tmp_path / "camcorder.mkv", photo)
    assert probe_video(clip).interlaced and not probe_video(make_video(tmp_path / "p.mp4", frames=2)).interlaced
    status = DecodeStatus(times=collections.deque())
    frames = list(decode_frames(clip, decoder="cpu", status=status))
    assert len(frames) == len(first) and list(status.times) == pytest.approx([i / 25 for i in range(len(first))])

    def error(a, b):  # bwdif's edge rows aside
        return np.abs(a[4:-4].astype(float) - b[4:-4]).mean()

    for frame, at_first, at_second in zip(frames, first, second):  # the last too: the held-back frame is flushed
        assert error(frame, at_first) < 8 < 20 < error(frame, at_second)
    later = list(decode_frames(clip, decoder="cpu", start=0.2, duration=0.08))
    assert len(later) == 2 and error(later[0], first[5]) < 8
    parts = [_interlaced_pan(tmp_path / f"{h}.ts", photo, frames=4, h=h, w=w)[0] for h, w in ((96, 128), (48, 64))]
    (tmp_path / "switch.ts").write_bytes(b"".join(p.read_bytes() for p in parts))  # a broadcast changing size
    status = DecodeStatus()
    sizes = [f.shape[:2] for f in decode_frames(tmp_path / "switch.ts", decoder="cpu", status=status)]
    assert status.error is None and sizes == [(96, 128)] * 4 + [(48, 64)] * 4


@pytest.mark.parametrize("stop, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_ctrl_c_or_a_kill_leaves_no_partial_output(tmp_path, lite_onnx, stop, code):
    """Ctrl-C, and a scheduler's or `kill`'s SIGTERM (which used to end the process with its temporary file
    left beside the output), both remove what was half-written and exit with the shell's code for the signal."""
    import signal
    import time

    src = make_video(tmp_path / "long.mp4", frames=400, size=(120, 160))
    out = tmp_path / "out" / "styled.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "stylert", "video", str(src), "-o", str(out), "-s", str(lite_onnx),
                             "--batch", "1"], stderr=subprocess.PIPE, text=True, **INTERRUPTIBLE)
    deadline = time.time() + 120
    while time.time() < deadline and not (out.parent.exists() and any(out.parent.iterdir())):
        time.sleep(0.2)  # wait until the temporary output exists, i.e. encoding has started
    time.sleep(1.0)
    proc.send_signal(getattr(signal, stop))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code and "Traceback" not in err and "nothing half-written was left behind" in err
    assert list(out.parent.iterdir()) == []  # neither the final name nor a temporary file


def test_a_cut_off_input_keeps_what_was_read_and_says_how_much(tmp_path, stylizer):
    full = make_video(tmp_path / "full.mkv", frames=40, size=(32, 48), fps=Fraction(8), audio=None)
    data = full.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    result = stylize_video(stylizer, cut, tmp_path / "out.mp4")
    assert 0 < result.frames < 40 and result.expected == 40
    assert f"only {result.frames} of the 40 frames" in result.truncated
    assert _streams(tmp_path / "out.mp4")[0] == result.frames


def test_cli_probes_a_single_video_once(tmp_path, lite_onnx, monkeypatch):
    """The early probe (one clear error line before the model loads) is the one the stylising uses."""
    import stylert.runtime.video as video_module
    import stylert.runtime.video_decode as video_decode
    from stylert.cli import main

    src = make_video(tmp_path / "in.mp4", frames=3, audio=None)
    probed = []

    def counting(path, rate=None):
        probed.append(path)
        return probe_video(path, rate)

    monkeypatch.setattr(video_decode, "probe_video", counting)
    monkeypatch.setattr(video_module, "probe_video", counting)
    assert main(["video", str(src), "-o", str(tmp_path / "out.mp4"), "-s", str(lite_onnx)]) == 0
    assert len(probed) == 1 and (tmp_path / "out.mp4").is_file()


def test_probe_and_decode_hand_over_planes_of_the_streams_colour(tmp_path):
    from stylert.frames.yuv import YuvColour

    src = make_video(tmp_path / "in.mp4", frames=3, size=(36, 54), audio=None)
    info = probe_video(src)
    assert info.colour == YuvColour("yuv420p", "bt601", False)
    planes = list(decode_frames(src, decoder="cpu", yuv=info.colour))
    bgr = list(decode_frames(src, decoder="cpu"))
    assert [p.shape for p in planes] == [(54, 54)] * 3 and [f.shape for f in bgr] == [(36, 54, 3)] * 3
    with av.open(str(src)) as c:
        assert np.array_equal(planes[0], next(c.decode(video=0)).to_ndarray())
    other = list(decode_frames(src, decoder="cpu", yuv=YuvColour("yuv420p", "bt709")))  # not this stream's
    assert all(np.array_equal(a, b) for a, b in zip(other, bgr))


class _Backend:
    def __init__(self, on_device):
        self.on_device = on_device

    def decodes_on_device(self):
        return self.on_device


@pytest.mark.parametrize("on_device,options,bgr_needed,nvdec,expected", [
    (True, {}, False, False, "yuv420p"),
    (True, {}, False, True, "nv12"),
    (True, {"decoder": "cpu"}, False, True, "yuv420p"),
    (False, {}, False, False, None),                 # a CPU engine: swscale's BGR, no host conversion of ours
    (True, {}, True, False, None),                   # smoothing or the flicker meter read BGR input frames
    (True, {"scale": 0.5}, False, False, None),      # resized on the host as BGR
    (True, {"max_size": 40}, False, False, None),
    (True, {"max_size": 64}, False, False, "yuv420p"),
])
def test_which_videos_hand_planes_to_the_engine(tmp_path, monkeypatch, on_device, options, bgr_needed, nvdec,
                                                expected):
    import stylert.runtime.video as video_module
    from stylert.runtime.video import decoded_colour

    monkeypatch.setattr(video_module, "choose_video_decoder", lambda: ("cuda" if nvdec else None, "test"))
    info = probe_video(make_video(tmp_path / "in.mp4", frames=1, size=(36, 54), audio=None))
    stylizer = type("S", (), {"backend": _Backend(on_device)})()
    colour = decoded_colour(stylizer, info, VideoOptions(**options), bgr_needed=bgr_needed)
    assert (colour.layout if colour else None) == expected


def test_video_through_the_device_path_from_decoded_planes(tmp_path, lite_onnx, emulated_kernels, monkeypatch):
    """stylert video on a GPU engine (ONNX Runtime over the emulated CUDA layer): the decoder's planes go to the
    device and the encoder's planes come back. What reaches the encoder equals the CPU path's given the same
    planes (converted there by frames.yuv: the random-weight test network magnifies any input difference)."""
    import stylert.runtime.video as video_module
    from stylert.runtime.backends.onnxruntime import OnnxRuntimeBackend
    from tests.fakes import FakeCuda

    monkeypatch.setattr("stylert.gpu.device_kernels.load_cached_module", lambda *a, **k: 1)
    written: list[np.ndarray] = []
    write = VideoEncoder.write
    monkeypatch.setattr(VideoEncoder, "write",
                        lambda self, frame, **kw: (written.append(frame), write(self, frame, **kw))[1])
    src = make_video(tmp_path / "in.mp4", frames=4, size=(36, 54), audio=None)
    cuda = FakeCuda(emulator=emulated_kernels)
    with Stylizer.from_backend(OnnxRuntimeBackend(lite_onnx, cuda=cuda), batch_size=2) as device, \
            Stylizer(str(lite_onnx), batch_size=2) as host:
        assert stylize_video(device, src, tmp_path / "gpu.mp4", VideoOptions(decoder="cpu")).frames == 4
        assert cuda.launches.count("stylert_yuv_to_bgr") == 2
        assert cuda.launches.count("stylert_postprocess_i420_f32") == 2
        monkeypatch.setattr(video_module, "decoded_colour", lambda stylizer, info, options, bgr_needed: info.colour)
        stylize_video(host, src, tmp_path / "cpu.mp4", VideoOptions(decoder="cpu"))
    assert len(written) == 8 and all(f.shape == (54, 54) for f in written)
    for gpu, cpu in zip(written[:4], written[4:]):
        assert np.abs(gpu.astype(int) - cpu).max() <= 2 and np.abs(gpu.astype(int) - cpu).mean() < 0.2
    assert len(list(decode_frames(tmp_path / "gpu.mp4", decoder="cpu"))) == 4


def test_planes_of_another_size_are_fitted_in_as_frames_are(tmp_path):
    """The GPU path hands the encoder yuv420p planes; a later frame's planes of another size are fitted into the
    first's with black bars, as BGR frames are (FFmpeg stretched both)."""
    from stylert.frames.yuv import bgr_to_i420

    encoder = VideoEncoder(tmp_path / "p.mp4", Fraction(25))
    encoder.write(bgr_to_i420(np.full((40, 64, 3), 90, np.uint8)))
    encoder.write(bgr_to_i420(np.full((64, 40, 3), (40, 200, 120), np.uint8)))  # turned: 25x40 between bars
    assert encoder.finish() == 2
    encoder.close()
    second = list(decode_frames(tmp_path / "p.mp4"))[1].astype(int)
    assert second[:, :16].max() < 24 and second[:, -16:].max() < 24
    np.testing.assert_allclose(second[8:32, 24:40].reshape(-1, 3).mean(axis=0), (40, 200, 120), atol=4)
    assert encoder.damage() == [] and encoder.notes() == [
        "1 frame(s) of another size than the first's 64x40 fitted into it, their shape kept, with black bars (the "
        "first of them the video's frame 2, 40x64)"]


def _ramp_chunk(path, first, count, codec="libx264", pixel_aspect=None):
    """``count`` flat frames whose level encodes their index (5 levels apart), from index ``first``."""
    encoder = VideoEncoder(path, Fraction(24), codec=codec, pixel_aspect=pixel_aspect)
    for i in range(first, first + count):
        encoder.write(np.full((64, 80, 3), 5 * i, np.uint8))
    encoder.finish()
    encoder.close()
    return path


def test_chunks_keep_their_b_frames_when_joined(tmp_path):
    """Ray's chunks are encoded with B-frames (a third smaller at the same quality here); joined, every frame is
    there once and in order."""
    from stylert.runtime.video_encode import join_chunks

    chunks = [_ramp_chunk(tmp_path / f"c{k}.mp4", 16 * k, 16) for k in range(3)]
    with av.open(str(chunks[0])) as c:
        order = [p.pts for p in c.demux(video=0) if p.size]
    assert order != sorted(order), "the chunks have B-frames (decode order differs from presentation order)"
    assert join_chunks(chunks, tmp_path / "joined.mp4", Fraction(24)) == 48
    levels = [round(f.mean() / 5) for f in decode_frames(tmp_path / "joined.mp4", decoder="cpu")]
    assert levels == list(range(48))


def _rotation(path) -> int:
    with av.open(str(path)) as c:
        return round(next(c.decode(video=0)).rotation) % 360


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_phone_video_plays_the_same_way_up_after_stylising(tmp_path, stylizer, rotation):
    """A phone records the sensor's landscape frames and a display matrix that turns them; the output keeps the
    frames as coded and the matrix, single-machine and through Ray's chunk join alike."""
    from stylert.runtime.video_encode import join_chunks

    src = make_video(tmp_path / "phone.mp4", frames=6, size=(32, 48), audio=None, rotation=rotation)
    info = probe_video(src)
    assert (info.rotation, info.width, info.height) == (rotation, 48, 32)
    assert probe_video(make_video(tmp_path / "plain.mp4", frames=2, audio=None)).rotation == 0
    stylize_video(stylizer, src, tmp_path / "out.mp4", info=info)
    out = probe_video(tmp_path / "out.mp4")
    assert (out.rotation, out.width, out.height, _rotation(tmp_path / "out.mp4")) == (rotation, 48, 32, rotation)
    chunks = [_ramp_chunk(tmp_path / f"c{k}.mp4", 8 * k, 8) for k in range(2)]
    assert join_chunks(chunks, tmp_path / "joined.mp4", Fraction(24), rotation=rotation) == 16
    assert _rotation(tmp_path / "joined.mp4") == rotation


@pytest.mark.parametrize("audio", ["aac", "pcm_s16le"])
def test_every_audio_track_is_kept_with_its_language_and_title(tmp_path, stylizer, audio):
    """A film's languages, a screen recording's microphone and desktop tracks: all of them, copied (AAC) or
    re-encoded (PCM, which MP4 cannot carry), single-machine and through Ray's join."""
    from stylert.runtime.video_encode import join_chunks

    src = make_video(tmp_path / "film.mkv", frames=12, audio=audio, audio_tracks=3)
    stylize_video(stylizer, src, tmp_path / "out.mp4")
    chunks = [_ramp_chunk(tmp_path / f"c{k}.mp4", 6 * k, 6) for k in range(2)]
    join_chunks(chunks, tmp_path / "joined.mp4", Fraction(24), tracks_from=src)
    for out in ("out.mp4", "joined.mp4"):
        with av.open(str(tmp_path / out)) as c:
            tracks = [(a.codec_context.name, a.metadata.get("language"), a.metadata.get("name"))
                      for a in c.streams.audio]
        assert tracks == [("aac", lang, f"track {k}") for k, lang in enumerate(("eng", "fra", "deu"))], out
        for k in range(3):  # each track holds its own sound: its tone's pitch (440 Hz times k + 1)
            with av.open(str(tmp_path / out)) as c:
                samples = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=k)])
            spectrum = np.abs(np.fft.rfft(samples[:8000]))
            assert round(np.argmax(spectrum) * 16000 / 8000 / 440) == k + 1, (out, k)


def _subtitle_packets(path, k: int = 0) -> list[tuple[float, bytes]]:
    """Subtitle stream ``k``'s packets as (time, bytes), after checking it kept its language."""
    with av.open(str(path)) as c:
        if len(c.streams.subtitles) <= k:
            return []
        stream = c.streams.subtitles[k]
        assert stream.metadata.get("language") == "eng"
        return [(round(float(p.pts * stream.time_base), 2), bytes(p)) for p in c.demux(stream) if p.size]


def _subtitle_texts(path) -> list[tuple[float, str]]:
    """The first subtitle stream's lines as (time, text): an ASS event's last field, a mov_text sample's text
    (after its 2-byte length; the empty samples that fill MP4's gaps are left out), SubRip's packet."""
    with av.open(str(path)) as c:
        codec = c.streams.subtitles[0].codec_context.name
    lines = []
    for t, data in _subtitle_packets(path):
        text = data[2:2 + int.from_bytes(data[:2], "big")] if codec == "mov_text" else \
            data.split(b",", 8)[-1] if codec in ("ass", "ssa") else data
        if text:
            lines.append((t, text.decode()))
    return lines


def test_subtitles_are_kept_as_they_are_or_converted_and_said_where_not(tmp_path, lite_onnx, capsys):
    """Matroska carries a film's ASS subtitles and a DVD's bitmap subtitles as they are (trimmed and shifted with
    --start). MP4 carries neither: the text track is converted to MP4's own text subtitles (mov_text, as
    `ffmpeg -c:s mov_text` does; it was dropped), the bitmap one cannot be, and the command says so and how to
    keep it. The bitmap track was dropped from Matroska too: its codec was looked up by another name."""
    from stylert.cli import main

    src = make_video(tmp_path / "film.mkv", frames=24, fps=Fraction(24), audio=None, subtitles=True,
                     bitmap_subtitles=True)
    lines = [(0.0, "line 0"), (0.33, "line 8"), (0.67, "line 16")]
    assert _subtitle_texts(src) == lines
    style = ["-s", str(lite_onnx)]
    assert main(["video", str(src), "-o", str(tmp_path / "out.mkv"), *style]) == 0
    assert [_subtitle_packets(tmp_path / "out.mkv", k) for k in (0, 1)] == [_subtitle_packets(src, k) for k in (0, 1)]
    assert "2 subtitle track(s) kept" in capsys.readouterr().err
    assert main(["video", str(src), "-o", str(tmp_path / "cut.mkv"), "--start", "0.3", *style]) == 0
    assert _subtitle_texts(tmp_path / "cut.mkv") == [(0.03, "line 8"), (0.37, "line 16")]
    assert main(["video", str(src), "-o", str(tmp_path / "quiet.mkv"), "--no-audio", *style]) == 0
    assert _subtitle_packets(tmp_path / "quiet.mkv") == _subtitle_packets(src)  # --no-audio drops the audio only
    capsys.readouterr()
    assert main(["video", str(src), "-o", str(tmp_path / "out.mp4"), *style]) == 0
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert [s.codec_context.name for s in c.streams.subtitles] == ["mov_text"]
    assert _subtitle_texts(tmp_path / "out.mp4") == lines
    err = capsys.readouterr().err
    assert "1 subtitle track(s) kept" in err
    assert ("stylert: film.mkv: subtitle track(s) not kept (dvd_subtitle): .mp4 cannot carry them as they are; "
            "write .mkv to keep them") in err.splitlines()
    assert main(["video", str(src), "-o", str(tmp_path / "cut.mp4"), "--start", "0.3", *style]) == 0
    assert _subtitle_texts(tmp_path / "cut.mp4") == [(0.03, "line 8"), (0.37, "line 16")]


def test_srt_subtitles_stay_srt_in_matroska_and_become_mov_text_in_mp4(tmp_path, stylizer):
    """SubRip's decoder is called "srt": looked up by that name, an SRT track was dropped even from Matroska."""
    src = make_video(tmp_path / "film.mkv", frames=24, fps=Fraction(24), audio=None, subtitles="subrip")
    lines = [(0.0, "line 0"), (0.33, "line 8"), (0.67, "line 16")]
    stylize_video(stylizer, src, tmp_path / "out.mkv")
    assert _subtitle_packets(tmp_path / "out.mkv") == _subtitle_packets(src) == [(t, s.encode()) for t, s in lines]
    stylize_video(stylizer, src, tmp_path / "out.mp4")
    assert _subtitle_texts(tmp_path / "out.mp4") == lines
    old = make_video(tmp_path / "old.mkv", frames=24, fps=Fraction(24), audio=None, subtitles="subrip-cp1252")
    stylize_video(stylizer, old, tmp_path / "old.mp4")  # FFmpeg refuses a line that is not UTF-8: it was left out
    assert _subtitle_texts(tmp_path / "old.mp4") == [(0.0, "line 0"), (0.33, "café 8"), (0.67, "line 16")]


def _chapters(path) -> list[tuple[str, float, float]]:
    with av.open(str(path)) as c:
        return [(ch["metadata"]["title"], round(float(ch["start"] * ch["time_base"]), 2),
                 round(float(ch["end"] * ch["time_base"]), 2)) for ch in c.chapters()]


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_chapters_are_kept_and_cut_with_start_and_duration(tmp_path, stylizer, suffix):
    src = make_video(tmp_path / "film.mkv", frames=24, fps=Fraction(24), audio=None, chapters=3)
    assert _chapters(src) == [("part 1", 0.0, 0.33), ("part 2", 0.33, 0.67), ("part 3", 0.67, 1.0)]
    stylize_video(stylizer, src, tmp_path / f"all{suffix}")
    assert _chapters(tmp_path / f"all{suffix}") == _chapters(src)
    stylize_video(stylizer, src, tmp_path / f"cut{suffix}", VideoOptions(start=0.5, duration=0.25))
    assert _chapters(tmp_path / f"cut{suffix}") == [("part 2", 0.0, 0.17), ("part 3", 0.17, 0.25)]


def _frame_times(path) -> list[float]:
    with av.open(str(path)) as c:
        return [round(float(f.time), 3) for f in c.decode(video=0)]


def test_a_variable_frame_rate_keeps_each_frames_time(tmp_path, stylizer):
    """A phone slows its frame rate in low light: 30 fps then 10 fps here. Placed on an even grid at the average
    rate, frame 45 showed 1.4 s late and the sound ran ahead of the picture; each frame now keeps its time."""
    times = [i / 30 for i in range(45)] + [1.5 + k / 10 for k in range(45)]
    src = make_video(tmp_path / "phone.mp4", frames=90, fps=Fraction(30), times=times)
    assert _frame_times(src) == [round(t, 3) for t in times]
    stylize_video(stylizer, src, tmp_path / "out.mp4")
    assert _frame_times(tmp_path / "out.mp4") == _frame_times(src)
    stylize_video(stylizer, src, tmp_path / "cut.mp4", VideoOptions(start=1.0))
    assert _frame_times(tmp_path / "cut.mp4") == [round(t - 1.0, 3) for t in times if t >= 1.0 - 1e-6]


def test_the_files_own_tags_are_kept(tmp_path, stylizer):
    """When and where a phone shot the clip, and its title: a library sorts and maps by them."""
    tags = {"creation_time": "2026-07-04T12:34:56.000000Z", "location": "+48.8584+002.2945/", "title": "Holiday"}
    src = make_video(tmp_path / "phone.mp4", frames=4, audio=None, tags=tags)
    stylize_video(stylizer, src, tmp_path / "out.mp4", VideoOptions(keep_audio=False))
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert {key: c.metadata.get(key) for key in tags} == tags


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_an_iphone_clips_quicktime_keys_are_kept(tmp_path, stylizer, suffix):
    """An iPhone keeps where, when and with what a clip was shot as com.apple.quicktime.* keys, which FFmpeg's
    MP4 writer dropped unless asked to write them."""
    tags = {"com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
            "com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 15",
            "com.apple.quicktime.creationdate": "2026-07-04T12:34:56+0200"}
    src = make_video(tmp_path / "IMG_0001.mov", frames=4, audio=None, tags=tags)
    stylize_video(stylizer, src, tmp_path / f"out{suffix}", VideoOptions(keep_audio=False))
    with av.open(str(tmp_path / f"out{suffix}")) as c:
        kept = {key.lower(): value for key, value in c.metadata.items()}  # Matroska writes tag names upper-case
        assert {key: kept.get(key.lower()) for key in tags} == tags


def test_anamorphic_video_keeps_its_pixel_aspect(tmp_path, stylizer):
    """HDV and DV store non-square pixels (1440x1080 shown at 16:9); without the sample aspect ratio the output
    played squeezed."""
    from stylert.runtime.video_encode import join_chunks

    src = make_video(tmp_path / "hdv.mp4", frames=6, size=(48, 64), audio=None, pixel_aspect=Fraction(4, 3))
    assert probe_video(src).pixel_aspect == Fraction(4, 3)
    assert probe_video(make_video(tmp_path / "square.mp4", frames=2, audio=None)).pixel_aspect is None
    stylize_video(stylizer, src, tmp_path / "out.mp4")
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert c.streams.video[0].display_aspect_ratio == Fraction(16, 9)
    chunks = [_ramp_chunk(tmp_path / f"c{k}.mp4", 8 * k, 8, pixel_aspect=Fraction(4, 3)) for k in range(2)]
    join_chunks(chunks, tmp_path / "joined.mp4", Fraction(24))
    assert probe_video(tmp_path / "joined.mp4").pixel_aspect == Fraction(4, 3)


def test_a_cover_picture_stored_as_the_first_video_stream_is_passed_over(tmp_path, stylizer):
    """Matroska keeps cover art as a one-frame video stream; taking the first video stream stylised one grey
    picture at 1 fps instead of the film."""
    src = make_video(tmp_path / "film.mkv", frames=10, size=(48, 64), fps=Fraction(24), audio=None, cover=True)
    with av.open(str(src)) as c:
        assert [s.codec_context.name for s in c.streams.video] == ["mjpeg", "h264"]
    info = probe_video(src)
    assert (info.width, info.height, info.fps) == (64, 48, Fraction(24))
    result = stylize_video(stylizer, src, tmp_path / "out.mp4")
    assert result.frames == 10 and result.truncated is None and _streams(tmp_path / "out.mp4")[:2] == (10, 24)


@pytest.mark.parametrize("name", ["song.mp3", "song.m4a"])
def test_an_audio_file_with_album_art_is_refused_as_having_no_video(tmp_path, stylizer, name):
    """A music library's MP3 or M4A holds its cover as a one-picture video stream: that picture became a one-frame
    video at 90000 fps, reported as "only 1 of the 90000 frames the file announces could be read" (exit 1)."""
    src = make_song(tmp_path / name)
    with pytest.raises(UnreadableVideo, match=r"song\.(mp3|m4a) has no video stream, only a cover picture \(album "
                                              r"art, as an audio file carries\)$"):
        stylize_video(stylizer, src, tmp_path / "out.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("suffix, start, first", [(".mp4", 0.0, "10:00:00:00"), (".mov", 1.0, "10:00:01:00"),
                                                   (".mkv", 0.4, "10:00:00:10")])
def test_the_source_timecode_is_kept_from_the_first_frame_written(tmp_path, stylizer, suffix, start, first):
    """A camera's or an editor's timecode (a timecode track, or Matroska's tag) was dropped, so the stylised clip
    could not be laid back over its source in a timeline; from --start it names the first frame written."""
    src = make_video(tmp_path / "take.mov", frames=30, fps=Fraction(25), audio=None, timecode="10:00:00:00")
    stylize_video(stylizer, src, tmp_path / f"out{suffix}", VideoOptions(start=start))
    with av.open(str(tmp_path / f"out{suffix}")) as c:
        stated = {s.type: v for s in c.streams for k, v in s.metadata.items() if k.lower() == "timecode"}
    assert stated == ({"video": first} if suffix == ".mkv" else {"video": first, "data": first})  # a tmcd track


def test_a_high_speed_clip_s_timecode_is_left_out_rather_than_refused_by_the_muxer(tmp_path, stylizer):
    """A timecode track counts at most 255 frames a second: FFmpeg refused a whole 300 fps MP4 that stated one."""
    src = make_video(tmp_path / "burst.mkv", frames=6, fps=Fraction(300), audio=None, timecode="10:00:00:000")
    assert stylize_video(stylizer, src, tmp_path / "out.mp4").frames == 6
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert [s.type for s in c.streams] == ["video"] and "timecode" not in c.streams.video[0].metadata


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_a_video_becomes_an_animated_gif_or_webp_keeping_each_frames_time(tmp_path, stylizer, suffix):
    """What a chat or a web page plays without a player: `video -o clip.gif` was an unknown output format. Each
    frame shows until the next one's time (a phone's variable frame rate included), and it plays for ever."""
    from PIL import Image

    times = [0, 0.05, 0.2, 0.25, 0.6, 0.65]
    src = make_video(tmp_path / "in.mp4", frames=6, size=(48, 64), times=times)  # with a sound track
    result = stylize_video(stylizer, src, tmp_path / f"out{suffix}")
    assert result.frames == 6 and not result.has_audio
    with Image.open(tmp_path / f"out{suffix}") as out:
        assert (out.n_frames, out.size, out.info["loop"]) == (6, (64, 48), 0)
        first = np.asarray(out.convert("RGB"))[..., ::-1].astype(int)
        durations = []
        for k in range(6):
            out.seek(k)
            durations.append(out.info.get("duration"))
    if suffix == ".gif":  # in the hundredths of a second GIF counts
        assert durations[:5] == [50, 150, 50, 350, 50] and abs(durations[5] - 1000 / float(result.info.fps)) < 10
    with av.open(str(src)) as c:
        decoded = next(c.decode(video=0)).to_ndarray(format="bgr24")
    assert np.abs(first - stylizer(decoded).astype(int)).mean() < 6  # the stylised frame (GIF: in 256 colours)


@pytest.mark.parametrize("suffix, fps, shown, first_durations", [
    (".gif", 30, 30, [30, 40, 30, 30, 40, 30]), (".gif", 60, 30, [30, 40, 30, 30, 40, 30]),
    (".gif", 25, 25, [40] * 6), (".webp", 30, 30, [33, 34, 33, 33, 34, 33]), (".webp", 60, 60, [17, 16, 17] * 2)])
def test_an_animation_lasts_as_long_as_its_clip_and_a_gif_as_browsers_play_it(tmp_path, stylizer, suffix, fps, shown,
                                                                              first_durations):
    """GIF counts hundredths of a second: a 30 fps clip's frames were stored at 30 ms each (Pillow cuts 33 to 30),
    so the GIF played 10 % fast; a 60 fps clip's at 10 ms, which browsers show for 100 ms: ten times too slow. The
    times now run as a total, and a GIF keeps its frames at least 20 ms apart (every other one at 60 fps)."""
    from PIL import Image

    src = make_video(tmp_path / "in.mp4", frames=fps, size=(16, 16), fps=Fraction(fps), audio=None)  # one second
    result = stylize_video(stylizer, src, tmp_path / f"out{suffix}")
    assert result.frames == fps and result.shown == (None if shown == fps else shown)
    ok, animation = cv2.imdecodeanimation(np.fromfile(tmp_path / f"out{suffix}", np.uint8).reshape(1, -1))
    durations = [int(d) for d in animation.durations]
    assert len(durations) == shown and sum(durations) == 1000 and durations[:6] == first_durations
    with Image.open(tmp_path / f"out{suffix}") as out:
        assert out.n_frames == shown


@pytest.mark.parametrize("rotation, aspect", [(90, None), (270, None), (0, Fraction(2))])
def test_an_animation_shows_a_phone_video_upright_and_an_anamorphic_one_wide(tmp_path, stylizer, rotation, aspect):
    """GIF and WebP have no display matrix and no pixel aspect: the frames are turned and widened as a player
    shows the source, or a phone's portrait clip came out lying on its side."""
    from PIL import Image

    src = make_video(tmp_path / "phone.mp4", frames=3, size=(32, 48), audio=None, rotation=rotation,
                     pixel_aspect=aspect)
    stylize_video(stylizer, src, tmp_path / "out.gif")
    with av.open(str(src)) as c:
        coded = next(c.decode(video=0)).to_ndarray(format="bgr24")
    shown = np.rot90(stylizer(coded), rotation // 90)
    if aspect:
        shown = cv2.resize(shown, (96, 32), interpolation=cv2.INTER_AREA)
    with Image.open(tmp_path / "out.gif") as out:
        first = np.asarray(out.convert("RGB"))[..., ::-1].astype(int)
    assert first.shape == shown.shape == ((48, 32, 3) if rotation else (32, 96, 3))
    assert np.abs(first - shown).mean() < 6  # GIF's 256 colours


def test_what_only_a_video_encoder_takes_or_too_long_an_animation_is_refused_before_any_work(tmp_path, monkeypatch):
    from stylert.runtime import video_animation

    src = make_video(tmp_path / "in.mp4", frames=24, size=(48, 64))
    with pytest.raises(StylertError, match=r"^--codec libx264 is for video files; an animated GIF is written as "):
        plan_video_outputs([str(src)], str(tmp_path / "out.gif"), "libx264")
    with pytest.raises(StylertError, match=r"^--crf and --preset: for a video encoder; .*out\.webp is an animation"):
        video_animation.check_animation_flags([tmp_path / "out.webp"], 20, "fast")
    monkeypatch.setattr(video_animation, "available_host_memory", lambda: 600_000)
    with pytest.raises(StylertError, match=r"^an animated GIF is made in memory: 24 frames of 64x48 need about "
                                           r"0\.0 GiB, and 0\.0 GiB is free; shorten it \(--start, --duration\)"):
        stylize_video(None, src, tmp_path / "out.gif")  # refused before the stylizer is asked for anything
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_audio_that_outlasts_the_video_is_not_taken_for_a_cut_off_file(tmp_path, stylizer):
    """Matroska gives a stream's length only as a tag; the container's length is the longer audio's, which
    promised frames that never existed (the file was reported as cut off and the command exited 1)."""
    src = make_video(tmp_path / "talk.mkv", frames=12, fps=Fraction(24), audio_extra=1.5)
    result = stylize_video(stylizer, src, tmp_path / "out.mp4")
    assert (result.frames, result.expected, result.truncated) == (12, 12, None)


def test_a_chunk_encoded_with_other_settings_is_refused(tmp_path):
    from stylert.runtime.video_encode import join_chunks

    chunks = [_ramp_chunk(tmp_path / "a.mp4", 0, 16, codec="mpeg4"), _ramp_chunk(tmp_path / "b.mp4", 16, 16)]
    with pytest.raises(UnreadableVideo, match="b.mp4 was encoded with other settings than .*a.mp4"):
        join_chunks(chunks, tmp_path / "joined.mp4", Fraction(24))
    assert not (tmp_path / "joined.mp4").exists()


def test_a_named_codec_this_machine_cannot_open_is_refused_before_any_work(tmp_path, lite_onnx, capsys):
    """--codec h264_nvenc where there is no NVENC (every machine without an NVIDIA GPU, and the H100): FFmpeg
    opens the encoder with the first frame and says only avcodec_open2; the command says so before it loads a
    model or decodes a frame, with the codec named, and leaves nothing behind."""
    from stylert.cli import main
    from stylert.runtime.video_encode import VideoEncoder

    probe = VideoEncoder(tmp_path / "probe.mp4", Fraction(24), codec="h264_nvenc")
    try:
        probe.write(np.zeros((32, 48, 3), np.uint8))
        pytest.skip("this machine has NVENC: the codec opens")
    except UnreadableVideo as exc:
        assert str(exc).startswith("cannot encode with codec 'h264_nvenc' here: ")
    finally:
        probe.close()
    src = make_video(tmp_path / "clip.mp4", frames=4, audio=None)
    code = main(["video", str(src), "-o", str(tmp_path / "out" / "clip.mp4"), "--codec", "h264_nvenc",
                 "-s", str(lite_onnx)])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("stylert: error:")]
    assert code == 2 and len(errors) == 1, err
    assert errors[0].startswith("stylert: error: --codec h264_nvenc: cannot encode with codec 'h264_nvenc' here: ")
    assert errors[0].endswith("; NVENC needs an NVIDIA GPU that has a video encoder (an H100 has none), and its "
                              "driver")  # in no container: not 'cannot write it into .mp4'
    assert "Traceback" not in err and "style " not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("codec,suffix,refused,goes_in", [("prores_ks", ".mov", False, None),
                                                          ("prores_ks", ".mp4", True, ".mov .mkv"),
                                                          ("libvpx-vp9", ".mov", True, ".mp4 .mkv"),
                                                          ("ffv1", ".mkv", False, None)])
def test_a_named_codec_is_tried_in_the_outputs_container_first(tmp_path, codec, suffix, refused, goes_in):
    """A studio's ProRes master goes to a .mov (4:2:2, 10 bits: ProRes takes no 4:2:0); VP9 in MOV was an
    internal error when the file was closed, after every frame had been stylised."""
    from stylert.errors import StylertError
    from stylert.runtime.video_encode import check_video_codec, encoder_pix_fmt

    if codec in ("prores_ks", "libvpx-vp9", "ffv1"):
        try:
            av.codec.Codec(codec, "w")
        except Exception:
            pytest.skip(f"this FFmpeg has no {codec} encoder")
    if not refused:
        check_video_codec(codec, suffix)
        out = tmp_path / f"out{suffix}"
        encoder = VideoEncoder(out, Fraction(24), codec=codec)
        for _ in range(3):
            encoder.write(np.full((33, 47, 3), 90, np.uint8))  # odd sizes, padded for the subsampled chroma
        encoder.finish()
        encoder.close()
        with av.open(str(out)) as c:
            assert c.streams.video[0].codec_context.pix_fmt == encoder_pix_fmt(codec)
            assert sum(1 for _ in c.decode(video=0)) == 3
        return
    with pytest.raises(StylertError, match=f"--codec {codec}: cannot write it into \\{suffix} here") as exc:
        check_video_codec(codec, suffix)
    assert (f"it goes in {goes_in}" in str(exc.value)) if goes_in else "goes in" not in str(exc.value)


def test_crf_and_preset_for_a_codec_that_takes_neither_are_refused_not_ignored():
    from stylert.errors import StylertError
    from stylert.runtime.video_encode import check_encoder_flags

    for codec in ("auto", "libx264", "libx265", "h264_nvenc", "libvpx-vp9"):
        check_encoder_flags(codec, 20, "slow")
    check_encoder_flags("prores_ks", None, None)
    with pytest.raises(StylertError, match=r"^--crf 20 is for libx264, libx265, h264_nvenc, libvpx-vp9; --codec "
                                           r"prores_ks takes no such setting$"):
        check_encoder_flags("prores_ks", 20, None)
    with pytest.raises(StylertError, match=r"^--preset slow is for libx264, libx265, h264_nvenc, libvpx-vp9; "
                                           r"--codec ffv1"):
        check_encoder_flags("ffv1", None, "slow")


def test_preset_sets_each_encoders_matching_speed_from_fastest_to_slowest():
    """NVENC took p4 whatever --preset said (with --codec auto on an RTX GPU, --preset slow did nothing)."""
    from stylert.cli.cmd_video import X264_PRESETS
    from stylert.runtime.video_encode import encoder_options

    assert encoder_options("libx264", 18, "slow") == {"crf": "18", "preset": "slow"}
    assert encoder_options("libx265", 20, "fast") == {"crf": "20", "preset": "fast", "x265-params": "log-level=error"}
    assert encoder_options("h264_nvenc", 23, "veryfast") == {"cq": "23", "preset": "p4"}  # the default as before
    nvenc = [int(encoder_options("h264_nvenc", 18, p)["preset"][1:]) for p in X264_PRESETS]
    vp9 = [-int(encoder_options("libvpx-vp9", 18, p)["cpu-used"]) for p in X264_PRESETS]
    for steps, lowest, highest in ((nvenc, 1, 7), (vp9, -5, 0)):
        assert steps == sorted(steps) and (steps[0], steps[-1]) == (lowest, highest)  # ultrafast ... veryslow
    assert encoder_options("prores_ks", 18, "veryfast") == {}


@pytest.mark.parametrize("codec, says", [("no_such_encoder", "this FFmpeg has no encoder of that name"),
                                         ("", "this FFmpeg has no encoder of that name"),
                                         ("h264_cuvid", "FFmpeg has it only as a decoder, not an encoder"),
                                         ("aac", "it encodes audio, not video")])
def test_a_codec_name_that_is_no_video_encoder_says_what_it_is(codec, says):
    """--codec aac (an audio encoder) was an internal error from PyAV's add_stream; an unknown or a decoder's name
    (h264_cuvid) was echoed back as its own reason."""
    from stylert.errors import StylertError
    from stylert.runtime.video_encode import check_video_codec

    if codec == "h264_cuvid":
        try:
            av.codec.Codec(codec, "r")
        except Exception:
            pytest.skip("this FFmpeg has no h264_cuvid decoder")
    with pytest.raises(StylertError) as exc:
        check_video_codec(codec, ".mkv")
    assert str(exc.value) == f"--codec {codec!r}: {says}; `python -m av --codecs` lists this FFmpeg's encoders"


def _bgra(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="bgra").astype(float) for f in c.decode(video=0)]


@pytest.mark.parametrize("codec, pix_fmt, suffix", [("prores_ks", "yuva444p10le", ".mov"), ("png", "rgba", ".mov"),
                                                    ("libvpx-vp9", "yuva420p", ".webm")])
def test_a_transparent_clip_keeps_its_alpha_with_a_codec_that_has_one(tmp_path, stylizer, codec, pix_fmt, suffix):
    """ProRes 4444, PNG in MOV, and VP9 WebM (whose alpha only libvpx's decoder reads): into a ProRes 4444 master
    the colour is stylised and the alpha copied; into H.264 (no alpha) it is laid over black first, so the red
    a renderer left under the clear part never shows."""
    from stylert.frames.images import laid_over
    from tests.media import make_transparent_video, transparent_frames

    src = make_transparent_video(tmp_path / f"overlay{suffix}", codec=codec, pix_fmt=pix_fmt)
    info = probe_video(src)
    assert info.alpha
    decoded = list(decode_frames(src, decoder="cpu", alpha=True))
    made = transparent_frames(6, (32, 48))
    assert all(d.shape == (32, 48, 4) and np.abs(d[..., 3].astype(int) - m[..., 3]).max() <= 2
               for d, m in zip(decoded, made))

    result = stylize_video(stylizer, src, tmp_path / "master.mov", VideoOptions(codec="prores_ks"))
    assert result.alpha_kept and result.frames == 6
    master = _bgra(tmp_path / "master.mov")
    styled = stylizer([np.ascontiguousarray(d[..., :3]) for d in decoded])
    for out, d, s in zip(master, decoded, styled):
        assert np.abs(out[..., 3] - d[..., 3]).max() <= 1  # ProRes' 10-bit alpha
        assert np.abs(out[..., :3] - s).mean() < 3  # ProRes' own loss

    flattened = list(decode_frames(src, decoder="cpu"))
    assert all(np.array_equal(f, laid_over(d[..., :3], d[..., 3], 0)) for f, d in zip(flattened, decoded))
    result = stylize_video(stylizer, src, tmp_path / "flat.mp4")
    assert not result.alpha_kept
    flat, over_black = _bgra(tmp_path / "flat.mp4"), stylizer(flattened)
    assert all(out[..., 3].min() == 255 for out in flat)
    clear = slice(0, 12)  # the columns of alpha under 64, where the red would show

    def off(outputs):
        return np.mean([np.abs(out[:, clear, :3] - s[:, clear]).mean() for out, s in zip(flat, outputs)])
    assert off(over_black) < 6 and off(over_black) < off(styled) / 2  # H.264 4:2:0 on 32 x 48 frames

    result = stylize_video(stylizer, src, tmp_path / "web.webm")  # --codec auto into WebM: VP9 with its alpha
    assert result.alpha_kept and probe_video(tmp_path / "web.webm").alpha
    web = list(decode_frames(tmp_path / "web.webm", decoder="cpu", alpha=True))
    assert all(np.abs(w[..., 3].astype(int) - d[..., 3]).max() <= 3 for w, d in zip(web, decoded))


def test_only_a_transparent_gif_counts_as_transparent(tmp_path):
    """FFmpeg decodes every GIF as BGRA; an opaque one is not taken for a transparent clip."""
    from PIL import Image

    from tests.media import transparent_frames

    opaque, clear = [], []
    for frame in transparent_frames(3, (32, 48)):
        picture = Image.fromarray(np.ascontiguousarray(frame[..., 2::-1])).quantize(colors=255)
        opaque.append(picture)
        holed = np.asarray(picture).copy()
        holed[frame[..., 3] < 128] = 255  # palette entry 255: the GIF's transparent colour
        clear.append(Image.fromarray(holed, "P"))
        clear[-1].putpalette(picture.getpalette())
    clear[0].save(tmp_path / "clear.gif", save_all=True, append_images=clear[1:], duration=100, transparency=255,
                  disposal=2)
    opaque[0].save(tmp_path / "opaque.gif", save_all=True, append_images=opaque[1:], duration=100)
    assert probe_video(tmp_path / "clear.gif").alpha and not probe_video(tmp_path / "opaque.gif").alpha
    assert not probe_video(make_video(tmp_path / "plain.mp4", frames=2, audio=None)).alpha


def test_a_transparent_clip_is_said_and_how_to_keep_its_alpha(tmp_path, lite_onnx, capsys):
    from stylert.cli import main
    from tests.media import make_transparent_video

    src = make_transparent_video(tmp_path / "logo.mov", codec="prores_ks", pix_fmt="yuva444p10le", frames=3)
    assert main(["video", str(src), "-o", str(tmp_path / "flat.mp4"), "-s", str(lite_onnx)]) == 0
    assert main(["video", str(src), "-o", str(tmp_path / "keep.mov"), "-s", str(lite_onnx), "--codec",
                 "prores_ks"]) == 0
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "is transparent" in line]
    assert said[0].startswith("stylert: logo.mov is transparent; libx264 in .mp4 keeps no alpha, so it is laid over "
                              "black (a .webm, or --codec prores_ks into a .mov, keeps it)")
    assert said[1] == "stylert: logo.mov is transparent; its alpha is kept (prores_ks)"
    assert "wrote " + str(tmp_path / "keep.mov") + ": 3 frames at 25.000 fps, no audio, transparency kept" in err


def test_ray_chunks_of_a_transparent_clip_keep_its_alpha(tmp_path, stylizer):
    from stylert.runtime.ray_video import Chunk, stylize_chunk
    from tests.media import make_transparent_video

    src = make_transparent_video(tmp_path / "overlay.mov", codec="prores_ks", pix_fmt="yuva444p10le")
    options = VideoOptions(codec="prores_ks")
    assert stylize_chunk(stylizer, src, tmp_path / "chunk.mov", Chunk(0, 2, 4, 2, 0.0), options) == 4
    source, chunk = _bgra(src), _bgra(tmp_path / "chunk.mov")
    assert len(chunk) == 4 and all(np.abs(c[..., 3] - s[..., 3]).max() <= 1 for c, s in zip(chunk, source[2:]))


def test_webm_is_vp9_with_opus_audio_webvtt_subtitles_and_chapters(tmp_path, stylizer):
    """WebM holds neither H.264, AAC nor SubRip: --codec auto is VP9 there, each audio track is re-encoded to
    Opus (48 kHz) with its language, SubRip becomes WebVTT line for line, and the chapters are kept."""
    from stylert.runtime.video_encode import writes_alpha

    src = make_video(tmp_path / "film.mkv", frames=24, size=(48, 64), subtitles="subrip", chapters=2, audio_tracks=2)
    result = stylize_video(stylizer, src, tmp_path / "film.webm")
    assert (result.frames, result.audio_tracks, result.subtitle_tracks) == (24, 2, 1)
    with av.open(str(tmp_path / "film.webm")) as c:
        streams = [(s.type, s.codec_context.name, s.metadata.get("language")) for s in c.streams]
        rates = [s.codec_context.sample_rate for s in c.streams.audio]
        chapters = len(c.chapters())
        lines = [(round(float(p.pts * c.streams.subtitles[0].time_base), 2), bytes(p))
                 for p in c.demux(c.streams.subtitles[0]) if p.size]
    assert streams == [("video", "vp9", None), ("audio", "opus", "eng"), ("audio", "opus", "fra"),
                       ("subtitle", "webvtt", "eng")]
    assert rates == [48000, 48000] and chapters == 2
    assert lines == [(0.0, b"line 0"), (0.32, b"line 8"), (0.64, b"line 16")]
    assert writes_alpha("libvpx-vp9", ".webm") and not writes_alpha("libvpx-vp9", ".mp4")


def _channel_levels(channels):
    """The amplitude of each channel's tone in ``_six_channel_clip``: (k + 1) / (channels + 2)."""
    return (np.arange(channels) + 1) / (channels + 2)


def _six_channel_clip(path, rate=48000, channels=6):
    """A clip whose PCM audio (at ``rate``) has six (or ``channels``) channels that name no speakers (as PCM in
    Matroska often does), channel k a 60 Hz tone of amplitude ``_channel_levels``, low enough for a 5.1 LFE
    channel to carry."""
    layout = f"{channels} channels"
    with av.open(str(path), "w") as c:
        video = c.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = c.add_stream("pcm_s16le", rate=rate, layout=layout)
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")
            frame.pts = i
            c.mux(video.encode(frame))
        t = np.arange(rate * 10 // 25) / rate
        levels = np.sin(2 * np.pi * 60 * t)[:, None] * _channel_levels(channels) * 32767
        sound = av.AudioFrame.from_ndarray(levels.astype(np.int16).reshape(1, -1), format="s16", layout=layout)
        sound.sample_rate, sound.pts = rate, 0
        c.mux(audio.encode(sound))
        c.mux(video.encode())
        c.mux(audio.encode())
    return path


@pytest.mark.parametrize("suffix, codec", [(".mp4", "aac"), (".webm", "opus")])
def test_surround_audio_keeps_its_channels_when_re_encoded(tmp_path, stylizer, suffix, codec):
    """PCM that MP4 and WebM cannot carry is re-encoded with all its channels, not mixed down to stereo."""
    stylize_video(stylizer, _six_channel_clip(tmp_path / "surround.mkv"), tmp_path / f"out{suffix}")
    with av.open(str(tmp_path / f"out{suffix}")) as c:
        stream = c.streams.audio[0]
        assert (stream.codec_context.name, stream.codec_context.layout.name) == (codec, "5.1")
        samples = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    rms = np.sqrt((samples[:, 4800:-4800].astype(float) ** 2).mean(axis=1))
    assert np.allclose(rms, _channel_levels(6) / np.sqrt(2), rtol=0.1)  # each channel where it was


@pytest.mark.parametrize("suffix, codec", [(".mp4", "opus"), (".webm", "opus"), (".mkv", "pcm_f32le"),
                                           (".mov", "pcm_f32le")])
def test_audio_past_eight_channels_keeps_every_channel(tmp_path, stylizer, suffix, codec):
    """A 12-channel recording was mixed down to stereo (AAC stops at 7.1): now each channel stays where it was,
    as Opus where the container takes no PCM, as PCM (exact for 16-bit samples) where it does."""
    stylize_video(stylizer, _six_channel_clip(tmp_path / "recorder.mkv", channels=12), tmp_path / f"out{suffix}")
    with av.open(str(tmp_path / f"out{suffix}")) as c:
        stream = c.streams.audio[0]
        assert (stream.codec_context.name, stream.codec_context.channels) == (codec, 12)
        samples = _packed_samples(c, 12)
    if codec.startswith("pcm"):
        with av.open(str(tmp_path / "recorder.mkv")) as c:
            np.testing.assert_array_equal(samples, _packed_samples(c, 12))
    rms = np.sqrt((samples[:, 4800:-4800] ** 2).mean(axis=1))
    assert np.allclose(rms, _channel_levels(12) / np.sqrt(2), rtol=0.1)


def _packed_samples(container, channels):
    """The first audio track's samples as float channels x samples, through one packed plane (PyAV reads only
    eight planes of a planar frame)."""
    packed = av.AudioResampler(format="flt")
    frames = [out for f in container.decode(audio=0) for out in packed.resample(f)]
    return np.concatenate([f.to_ndarray().reshape(-1, channels).T for f in frames], axis=1).astype(float)


def test_audio_past_eight_channels_into_m4v_is_one_clear_error_before_any_work(tmp_path, stylizer):
    started = []
    src = _six_channel_clip(tmp_path / "recorder.mkv", channels=12)
    with pytest.raises(StylertError, match=r"a 12-channel audio track and \.m4v holds at most 8 \(AAC\): write "
                                           r"\.mp4, \.mkv or \.mov, or leave the audio out \(--no-audio\)"):
        stylize_video(stylizer, src, tmp_path / "out.m4v", on_start=lambda *a: started.append(a))
    assert started == [] and sorted(p.name for p in tmp_path.iterdir()) == ["recorder.mkv"]
    result = stylize_video(stylizer, src, tmp_path / "quiet.m4v", VideoOptions(keep_audio=False))
    assert result.frames == 10 and result.audio_tracks == 0


def test_a_studio_rate_is_re_encoded_at_the_highest_rate_aac_has(tmp_path, stylizer):
    """192 kHz PCM used to fail the whole video at the end (AAC has no such rate): it becomes 96 kHz AAC."""
    result = stylize_video(stylizer, _six_channel_clip(tmp_path / "studio.mkv", rate=192000), tmp_path / "out.mp4")
    assert result.audio_tracks == 1
    with av.open(str(tmp_path / "out.mp4")) as c:
        stream = c.streams.audio[0]
        assert (stream.codec_context.sample_rate, stream.codec_context.channels) == (96000, 6)
        seconds = sum(f.samples for f in c.decode(audio=0)) / 96000
    assert abs(seconds - 0.4) < 0.05


def test_a_folder_of_camcorder_broadcast_and_camera_files_is_found(tmp_path, stylizer):
    """AVCHD (.MTS), broadcast recordings (.ts), MXF and 3GP were not looked for in a folder ("no video files");
    each is planned as an .mp4, and a camcorder's MPEG-TS file stylises like any other."""
    from stylert.runtime.video import plan_video_outputs

    folder = tmp_path / "card"
    folder.mkdir()
    make_video(folder / "00001.MTS", frames=6, audio="mp2")  # an AVCHD camcorder's MPEG-TS, with its audio
    for name in ("recording.ts", "camera_A001.mxf", "phone.3gp", "notes.txt"):
        (folder / name).write_bytes(b"")
    plan = plan_video_outputs([str(folder)], str(tmp_path / "out") + "/")
    assert sorted(p.target.name for p in plan) == ["00001.mp4", "camera_A001.mp4", "phone.mp4", "recording.mp4"]
    result = stylize_video(stylizer, folder / "00001.MTS", tmp_path / "out" / "00001.mp4")
    assert result.frames == 6 and _streams(tmp_path / "out" / "00001.mp4")[0] == 6


def test_frames_go_as_many_at_a_time_as_fit_in_memory(tmp_path, stylizer, monkeypatch):
    """A 4K clip at --batch 4 on a machine with less memory free than four frames need was killed for memory
    (leaving its hidden .part file); now the batch shrinks to what fits, or, where not one frame fits, the
    command says which --max-size does, before any work. Frames larger than encoders take are refused first."""
    from stylert import host_memory
    from stylert.runtime import tiling
    from stylert.runtime.video import MAX_ENCODED_SIDE, batch_that_fits

    src = make_video(tmp_path / "clip.mp4", frames=5, size=(48, 64), audio=None)
    info = probe_video(src)
    frames_fit, _ = stylizer.memory_fit(48, 64, budget=10**12)
    one = 10**12 / frames_fit  # bytes one 64x48 frame needs by the estimate
    reads = []
    monkeypatch.setattr(host_memory, "available_host_memory",
                        lambda: reads.append(1) or int(2.5 * one / tiling.MEMORY_SHARE))
    assert stylizer.batch_size == 3 and batch_that_fits(stylizer, info, VideoOptions()) == 2
    assert len(reads) == 1  # the memory free is read once (read again, it may have moved between the two answers)
    seen = []
    result = stylize_video(stylizer, src, tmp_path / "out.mp4", on_start=lambda i, n, batch: seen.append(batch))
    assert seen == [2] and result.frames == 5 and _streams(tmp_path / "out.mp4")[0] == 5
    monkeypatch.setattr(host_memory, "available_host_memory", lambda: int(0.5 * one / tiling.MEMORY_SHARE))
    with pytest.raises(StylertError, match=r"one 64x48 frame needs more memory than is free here for this network; "
                                           r"frames up to about \d+ px on the long side fit \(--max-size \d+\)"):
        stylize_video(stylizer, src, tmp_path / "none.mp4")
    big = VideoOptions(scale=MAX_ENCODED_SIDE / 48)
    with pytest.raises(StylertError, match=r"frames of 21845x16384 are larger than video encoders take"):
        stylize_video(stylizer, src, tmp_path / "huge.mp4", big)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "out.mp4"]


def test_a_track_whose_codec_is_unknown_is_left_out_and_said(tmp_path, lite_onnx, capsys):
    """A damaged header (here a Matroska CodecID no decoder has) stopped the command with an internal error: now
    the video is written without that track, the command names it, and exits 1 as for a cut-off file."""
    from stylert.cli import main
    from stylert.runtime.video_encode import join_chunks

    src = make_video(tmp_path / "take.mkv", frames=6, size=(32, 48))
    damaged = tmp_path / "damaged.mkv"
    damaged.write_bytes(src.read_bytes().replace(b"A_AAC", b"A_ZZZ"))
    assert main(["video", str(damaged), "-o", str(tmp_path / "out.mp4"), "-s", str(lite_onnx)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert "stylert: damaged.mkv: audio track 1 not kept: its codec is unknown or its header damaged" in err
    assert "1 video written (1 damaged), 0 failed" in err
    frames, *_, audio = _streams(tmp_path / "out.mp4")
    assert (frames, audio) == (6, [])
    heard = []  # Ray's join says the same
    chunks = [_ramp_chunk(tmp_path / f"c{k}.mp4", 3 * k, 3) for k in range(2)]
    assert join_chunks(chunks, tmp_path / "joined.mp4", Fraction(24), tracks_from=damaged, on_damage=heard.append) == 6
    assert heard == ["audio track 1 not kept: its codec is unknown or its header damaged"]


def test_damaged_audio_packets_are_left_out_counted_and_the_rest_kept(tmp_path):
    """A packet the muxer refuses (a damaged timestamp, say) used to stop the whole video; it is left out."""
    from stylert.runtime.video_tracks import SourceTracks

    src = make_video(tmp_path / "take.mkv", frames=12, size=(32, 48))  # AAC, copied packet for packet

    class Refusing:
        """An output that refuses the ``refused``-th packet it is given."""

        def __init__(self, out, refused):
            self._out, self._refused, self._given = out, refused, 0

        def __getattr__(self, name):
            return getattr(self._out, name)

        def mux(self, packet):
            self._given += 1
            if self._given == self._refused:
                raise av.error.InvalidDataError(-1094995529, "Invalid data found when processing input")
            self._out.mux(packet)

    def copied(refused):
        with av.open(str(tmp_path / "audio.mkv"), "w") as out:
            tracks = SourceTracks(av, Refusing(out, refused), src, ".mkv", 0.0, None)
            tracks.pump(None)
        with av.open(str(tmp_path / "audio.mkv")) as c:
            return tracks.damage(), [bytes(p) for p in c.demux(audio=0) if p.dts is not None]

    whole = copied(refused=0)
    assert whole[0] == [] and len(whole[1]) > 3
    damage, packets = copied(refused=3)
    assert damage == ["audio track 1: 1 damaged packet(s) left out"]
    assert packets == whole[1][:2] + whole[1][3:]


@pytest.mark.parametrize("suffix", [".mkv", ".mp4", ".webm"])
def test_a_clip_whose_audio_runs_past_its_frames_is_not_called_cut_off(tmp_path, stylizer, suffix):
    """FFmpeg gives a Matroska video stream the whole segment's duration: a clip whose audio ran on for half a
    second was reported cut off (and the command exited 1)."""
    extra = {".webm": {"codec": "libvpx-vp9", "audio": "libopus"}}.get(suffix, {})
    src = make_video(tmp_path / f"take{suffix}", frames=6, size=(32, 48), audio_extra=0.5, **extra)
    result = stylize_video(stylizer, src, tmp_path / "out.mp4")
    assert (result.frames, result.expected, result.truncated) == (6, 6, None)


def test_a_frame_time_that_jumps_by_hours_is_timed_anew_at_the_frame_rate(tmp_path):
    """A damaged transport stream's frame times jumped by a day; the MP4 muxer refused the output ("pts/dts pair
    unsupported") and the command stopped with an internal error. Such a frame is timed one frame period on."""
    encoder = VideoEncoder(tmp_path / "out.mp4", Fraction(25))
    for at in (0.0, 0.04, 92974.0, 92974.04, 0.16, 0.2):
        encoder.write(np.full((32, 48, 3), 90, np.uint8), at=at)
    assert encoder.finish() == 6 and encoder.mended == 2
    encoder.close()
    with av.open(str(tmp_path / "out.mp4")) as c:
        times = [round(float(f.time), 3) for f in c.decode(video=0)]
    assert times == [0.0, 0.04, 0.08, 0.12, 0.16, 0.2]


def test_a_clip_whose_frame_times_jump_by_hours_says_so_on_one_machine_and_in_a_chunk(tmp_path, stylizer):
    from stylert.runtime.ray_video import Chunk, stylize_chunk

    times = [0, 0.04, 0.08, 0.12, 5000, 5000.04, 5000.08, 5000.12]  # a damaged (or spliced) stream's clock
    src = make_video(tmp_path / "jump.mkv", frames=8, size=(32, 48), audio=None, times=times)
    mended = "4 frame(s) timed anew at the frame rate (a jump of more than an hour from the frame before: a damaged " \
             "timestamp)"
    result = stylize_video(stylizer, src, tmp_path / "out.mp4")
    assert result.frames == 8 and result.damage == (mended,)
    heard = []
    assert stylize_chunk(stylizer, src, tmp_path / "chunk.mp4", Chunk(0, 0, 8, 0, 0.0), VideoOptions(),
                         heard.append) == 8
    assert heard == [mended]


def test_an_image_sequence_given_to_video_is_taken_by_its_pattern_and_its_folder_says_how(tmp_path, photo):
    """A render's frames named as FFmpeg names them are one input; their folder given instead says the pattern to
    type (or stylize --smooth for the frames), a frame named alone is an image."""
    from stylert.errors import NoInputs
    from stylert.frames.images import write_image
    from stylert.runtime.video import collect_videos

    for k in range(3):
        write_image(tmp_path / "render" / f"frame_{k:04d}.png", photo[:16, :16])
    pattern = tmp_path / "render" / "frame_%04d.png"
    assert collect_videos([str(pattern)]) == [pattern]
    hint = rf"made a video with: stylert video {pattern} -o OUT.mp4 --fps 24, .*stylert stylize {tmp_path / 'render'} "
    with pytest.raises(NoInputs, match=r"render holds images, not videos; a numbered image sequence is " + hint):
        collect_videos([str(tmp_path / "render")])
    with pytest.raises(NoInputs, match=r"frame_0001.png is an image; stylise images with: stylert stylize "):
        collect_videos([str(tmp_path / "render" / "frame_0001.png")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoInputs, match=r"no video files in .*empty \(looked for \.mp4 "):
        collect_videos([str(tmp_path / "empty")])


def test_a_pipe_is_refused_for_a_video_saying_why(tmp_path, monkeypatch):
    """A video is read with seeks and an MP4 finished by writing its index: '-' said 'video not found: -'."""
    from stylert.errors import NoInputs
    from stylert.runtime.video import collect_videos, plan_video_outputs

    clip = make_video(tmp_path / "clip.mp4", frames=2)
    with pytest.raises(NoInputs, match=r"^stylert video reads files, not standard input \(-\): "):
        collect_videos(["-"])
    with pytest.raises(StylertError, match=r"^stylert video writes files, not standard output \(-o -\): "):
        plan_video_outputs([str(clip)], "-")
    monkeypatch.chdir(tmp_path)
    clip.rename(tmp_path / "-")  # a file named '-' is that file
    assert collect_videos(["-"]) == [Path("-")]


def test_a_pattern_the_shell_left_matches_videos_in_number_order(tmp_path):
    """'clips/*.mp4' quoted (or from a shell that does not expand it) is matched as stylize matches one; one that
    matches images and no video is one image sequence (GIFs are videos); one that matches neither, or nothing,
    says so."""
    from stylert.errors import NoInputs
    from stylert.runtime.video import collect_videos

    (tmp_path / "clips").mkdir()
    for name in ("take10.mp4", "take9.mov", "notes.txt", "still.png"):
        (tmp_path / "clips" / name).write_bytes(b"")
    assert collect_videos([str(tmp_path / "clips" / "take*")]) == [tmp_path / "clips" / "take9.mov",
                                                                    tmp_path / "clips" / "take10.mp4"]
    assert collect_videos([str(tmp_path / "clips" / "s*")]) == [tmp_path / "clips" / "s*"]
    for name in ("loop2.gif", "loop10.gif"):  # a GIF is a video, as one named is: each its own, not a sequence
        (tmp_path / "clips" / name).write_bytes(b"")
    assert collect_videos([str(tmp_path / "clips" / "loop*.gif")]) == [tmp_path / "clips" / "loop2.gif",
                                                                        tmp_path / "clips" / "loop10.gif"]
    with pytest.raises(NoInputs, match=r"no video files match .*clips/n\*: it matches 1 file, none with a video "
                                       r"suffix \(\.mp4 .*\)$"):
        collect_videos([str(tmp_path / "clips" / "n*")])
    with pytest.raises(NoInputs, match=r"^no files match .*nothing\*\.mp4$"):
        collect_videos([str(tmp_path / "nothing*.mp4")])


def test_a_quoted_glob_of_images_is_one_sequence_unless_ffmpeg_would_misread_it(tmp_path):
    """A timelapse's photos with a deleted shot (IMG_0003) are one input by their glob, which the numbered name
    refuses; a glob that matches sidecars beside the photos, a folder, or numbers whose character order is not
    their order (f10 before f9) is refused, saying why, since FFmpeg would decode each file as the first one's
    format, fail on the folder, or play the frames out of order."""
    from stylert.errors import NoInputs
    from stylert.runtime.video import collect_videos

    shots = tmp_path / "timelapse"
    shots.mkdir()
    for number in (1, 2, 4):
        (shots / f"IMG_{number:04d}.JPG").write_bytes(b"")
    with pytest.raises(NoInputs, match=r"frame 3 is missing .* with a quoted glob: '.*timelapse/IMG_\*\.JPG'"):
        collect_videos([str(shots / "IMG_%04d.JPG")])
    assert collect_videos([str(shots / "IMG_*.JPG")]) == [shots / "IMG_*.JPG"]
    (shots / "IMG_0001.XMP").write_bytes(b"")
    with pytest.raises(NoInputs, match=r"IMG_\* matches files of 2 kinds \(3 \.jpg and 1 \.xmp\); an image "
                                       r"sequence's frames are files of one format: name them by it "
                                       r"\('.*IMG_\*\.JPG'\)$"):
        collect_videos([str(shots / "IMG_*")])
    (shots / "IMG_0005.JPG").mkdir()
    with pytest.raises(NoInputs, match=r"matches the folder .*IMG_0005\.JPG; an image sequence's glob matches its "
                                       r"frames only$"):
        collect_videos([str(shots / "IMG_*.JPG")])
    for number in (8, 9, 10):
        (tmp_path / f"f{number}.png").write_bytes(b"")
    with pytest.raises(NoInputs, match=r"f\*\.png: FFmpeg takes a glob's files in character order, which puts "
                                       r"f10\.png before f8\.png; give their numbers leading zeros, or name them as "
                                       r"a numbered sequence \('.*f%d\.png'\)$"):
        collect_videos([str(tmp_path / "f*.png")])


def test_a_folder_of_photos_with_a_gap_in_their_numbers_points_to_their_glob(tmp_path):
    """A render's frames given as their folder get the numbered name that makes them a video; a timelapse's, with
    a shot deleted, the glob (the numbered name would be refused for the gap), and frames no glob takes in order,
    why."""
    from stylert.errors import NoInputs
    from stylert.runtime.video import collect_videos

    (tmp_path / "shots").mkdir()
    for number in (1, 2, 4):
        (tmp_path / "shots" / f"DSC_{number:04d}.jpg").write_bytes(b"")
    with pytest.raises(NoInputs, match=r"shots holds images, not videos; its images are made a video, in name order, "
                                       r"with: stylert video '.*shots/DSC_\*\.jpg' -o OUT\.mp4 --fps 24, or "
                                       r"stylised frame by frame"):
        collect_videos([str(tmp_path / "shots")])
    (tmp_path / "unpadded").mkdir()
    for number in (1, 2, 4, 10):
        (tmp_path / "unpadded" / f"f{number}.png").write_bytes(b"")
    with pytest.raises(NoInputs, match=r"unpadded holds images, not videos; .*unpadded/f\*\.png: FFmpeg takes a "
                                       r"glob's files in character order, which puts f10\.png before f2\.png"):
        collect_videos([str(tmp_path / "unpadded")])


def test_a_video_named_twice_is_one_input(tmp_path):
    """Named twice, or named and inside a named folder: one input, not two that 'would both be written' to one
    output and must be 'renamed'."""
    from stylert.runtime.video import collect_videos

    (tmp_path / "clips").mkdir()
    for name in ("a.mp4", "b.mkv"):
        (tmp_path / "clips" / name).write_bytes(b"")
    a = tmp_path / "clips" / "a.mp4"
    assert collect_videos([str(a), str(tmp_path / "clips" / ".." / "clips" / "a.mp4"), str(tmp_path / "clips")]) \
        == [a, tmp_path / "clips" / "b.mkv"]


def test_the_manifest_options_of_a_video_hold_fps_only_for_an_image_sequence():
    """A folder's manifest written before --fps existed still matches a video's re-run (no "fps" key), and an
    image sequence's rate is stored as text JSON holds."""
    from stylert.runtime.video import shaping_options

    shaping = dict(strength=1.0, preserve_color=False, precision=None, backend="auto")
    assert sorted(shaping_options(VideoOptions(), **shaping)) == sorted(
        ["strength", "preserve_color", "precision", "backend", "start", "duration", "max_size", "scale", "codec",
         "crf", "preset", "smooth", "keep_audio"])
    assert shaping_options(VideoOptions(fps=Fraction(24000, 1001)), **shaping)["fps"] == "24000/1001"
