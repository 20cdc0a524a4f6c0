import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stylert.cli import main
from stylert.frames.image_decode import read_image
from stylert.frames.images import write_image


def _folder(tmp_path, photo):
    src = tmp_path / "in"
    write_image(src / "one.png", photo[:40, :52])
    write_image(src / "two.jpg", photo[:57, :61])
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return src


@pytest.mark.parametrize("recursive", [False, True])
def test_a_folder_s_videos_are_named_as_left_out_with_the_command_for_them(tmp_path, photo, lite_onnx, capsys,
                                                                            recursive):
    """A camera roll holds photos and clips: stylize takes the photos and says what it left, and how to take it."""
    src = tmp_path / "roll"
    write_image(src / "IMG_0001.jpg", photo[:40, :52])
    (src / "IMG_0002.MOV").write_bytes(b"")
    (src / "trip").mkdir()
    (src / "trip" / "IMG_0003.mp4").write_bytes(b"")
    assert main(["stylize", str(src), "-o", f"{tmp_path / 'out'}/", "-s", str(lite_onnx), *(["-r"] * recursive)]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "left out" in line]
    assert said == ([f"stylert: {src} holds 2 videos too, left out: stylert video stylises them"] if recursive else
                    [f"stylert: {src} holds 1 video too, left out: stylert video {src} -o OUT/ stylises it"])
    assert [p.name for p in (tmp_path / "out").rglob("*") if p.is_file() and not p.name.startswith(".")] == \
        ["IMG_0001.jpg"]


def test_folder_with_one_corrupt_file(tmp_path, photo, lite_onnx, capsys):
    src = _folder(tmp_path, photo)
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    code = main(["stylize", str(src), "-o", str(tmp_path / "out"), "--style", str(lite_onnx), "--batch", "2"])
    err = capsys.readouterr().err
    assert code == 1
    assert "broken.png" in err and "2 written" in err and "1 failed" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".stylert-manifest.json", "one.png", "two.jpg"]
    assert read_image(tmp_path / "out" / "one.png").shape == (40, 52, 3)
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before  # inputs untouched


@pytest.mark.parametrize("depth", ["int8", "int16", "int32"])
def test_a_tiff_of_signed_or_32_bit_integer_samples_fails_alone(tmp_path, photo, lite_onnx, capsys, depth):
    """A height map or a scientific camera's TIFF (signed or 32-bit integer samples, as OpenCV hands them over)
    stopped the whole run with 'frames must be uint8 ...'; it is now one failed file, and the rest are made."""
    import cv2

    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "a.jpg"), photo)
    cv2.imwrite(str(src / "depth.tif"), (photo // 3).astype(depth))
    assert main(["stylize", str(src), "-o", str(tmp_path / "out"), "--style", str(lite_onnx)]) == 1
    err = capsys.readouterr().err
    bits = np.dtype(depth).itemsize * 8
    named = src / "depth.tif"
    assert f"stylert: failed: {named}: {named} holds {bits}-bit signed integer samples, which stylert does not " \
           "read as a picture; save it with unsigned 8- or 16-bit samples (or floating-point ones, read as 0..1)" \
           in err, err
    assert "1 written" in err and (tmp_path / "out" / "a.jpg").exists()


def test_a_rerun_into_an_output_folder_inside_the_input_folder_does_not_take_its_outputs_for_inputs(
        tmp_path, photo, lite_onnx, capsys):
    src = tmp_path / "holiday"
    write_image(src / "day1" / "beach.jpg", photo[:40, :52])
    run = ["stylize", str(src), "-r", "-o", str(src / "styled") + "/", "-s", str(lite_onnx)]
    assert main(run) == 0
    write_image(src / "day2" / "hills.jpg", photo[:44, :52])  # the holiday goes on; the folder is run again
    assert main(run) == 0, capsys.readouterr().err
    assert "1 written to " + str(src / "styled") + "/, 0 failed, 1 already done" in capsys.readouterr().err
    assert sorted(str(p.relative_to(src)) for p in src.rglob("*.jpg")) == [
        "day1/beach.jpg", "day2/hills.jpg", "styled/day1/beach.jpg", "styled/day2/hills.jpg"]
    assert main(["stylize", str(src / "**" / "*.jpg"), "-r", "-o", str(src / "styled") + "/", "-s",
                 str(lite_onnx)]) == 0  # a glob leaves it out too


def test_single_file_output_format_from_extension_and_max_size(tmp_path, photo, lite_onnx):
    write_image(tmp_path / "cat.jpg", photo)
    out = tmp_path / "cat_styled.png"
    assert main(["stylize", str(tmp_path / "cat.jpg"), "-o", str(out), "-s", str(lite_onnx), "--max-size", "64"]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert max(read_image(out).shape[:2]) == 64


def test_an_animation_and_a_transparent_image_in_a_folder_keep_every_frame_and_their_alpha(tmp_path, photo,
                                                                                          lite_onnx):
    from stylert.frames.image_decode import read_picture
    from stylert.frames.images import Picture, write_picture
    from stylert.runtime.stylizer import Stylizer

    frames = [np.ascontiguousarray(np.roll(photo[:40, :48], 7 * k, 1)) for k in range(3)]
    alpha = np.full((40, 48), 255, np.uint8)
    alpha[:10] = 0
    write_picture(tmp_path / "in" / "loop.webp", Picture(frames, durations=(30, 60, 90), plays=0))
    write_picture(tmp_path / "in" / "cutout.png", Picture(frames[:1], alpha=[alpha]))
    write_picture(tmp_path / "in" / "clip.gif", Picture(frames, durations=(40, 40, 40), plays=2))
    assert main(["stylize", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-s", str(lite_onnx),
                 "--batch", "2"]) == 0
    with Stylizer(str(lite_onnx)) as stylize:
        expected = stylize(frames)
    loop = read_picture(tmp_path / "out" / "loop.webp")  # lossless: the stylised frames exactly
    assert loop.durations == (30, 60, 90) and loop.plays == 0
    for got, want in zip(loop.frames, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    cutout = read_picture(tmp_path / "out" / "cutout.png")
    np.testing.assert_array_equal(cutout.frames[0], expected[0])
    assert cutout.alpha is not None
    np.testing.assert_array_equal(cutout.alpha[0], alpha)
    clip = read_picture(tmp_path / "out" / "clip.gif")  # GIFs are collected from folders now
    assert len(clip.frames) == 3 and clip.plays == 2


def test_never_overwrites_an_input(tmp_path, photo, lite_onnx, capsys):
    src = tmp_path / "same"
    write_image(src / "a.png", photo[:32, :32])
    original = (src / "a.png").read_bytes()
    assert main(["stylize", str(src), "-o", str(src), "-s", str(lite_onnx)]) == 2  # refused before any work
    assert "refusing to overwrite the input" in capsys.readouterr().err
    assert (src / "a.png").read_bytes() == original


def test_strength_and_preserve_color_flags_change_output(tmp_path, photo, lite_onnx):
    write_image(tmp_path / "a.png", photo[:48, :48])
    outs = {}
    for name, extra in {"full": [], "half": ["--strength", "0.5"], "color": ["--preserve-color"]}.items():
        main(["stylize", str(tmp_path / "a.png"), "-o", str(tmp_path / f"{name}.png"), "-s", str(lite_onnx), *extra])
        outs[name] = read_image(tmp_path / f"{name}.png").astype(int)
    orig = photo[:48, :48].astype(int)
    assert np.abs(outs["half"] - orig).mean() < np.abs(outs["full"] - orig).mean()
    assert np.abs(outs["color"] - outs["full"]).mean() > 1


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "stylert", *args], capture_output=True, text=True, timeout=120)


def test_bad_inputs_give_one_line_and_no_traceback(tmp_path, lite_onnx):
    (tmp_path / "empty").mkdir()
    (tmp_path / "fake.onnx").write_bytes(b"not onnx at all")
    cases = [
        ["stylize", str(tmp_path / "missing.jpg"), "-o", str(tmp_path / "o"), "-s", str(lite_onnx)],
        ["stylize", str(tmp_path / "empty"), "-o", str(tmp_path / "o"), "-s", str(lite_onnx)],
        ["stylize", str(tmp_path / "empty"), "-o", str(tmp_path / "o"), "-s", "no-such-style"],
        ["export", str(tmp_path / "missing.pth"), "-o", str(tmp_path / "m.onnx")],
    ]
    (tmp_path / "x.png").write_bytes(b"junk")
    cases.append(["stylize", str(tmp_path / "x.png"), "-o", str(tmp_path / "o.png"), "-s", str(tmp_path / "fake.onnx")])
    for args in cases:
        r = _cli(*args)
        assert r.returncode != 0, args
        assert "Traceback" not in r.stderr, r.stderr
        lines = [line for line in r.stderr.splitlines() if line.startswith("stylert: error")]
        assert len(lines) == 1, r.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.png").exists()


def test_help_lists_commands_with_examples():
    r = _cli("--help")
    assert r.returncode == 0 and "stylize" in r.stdout and "export" in r.stdout and "examples" in r.stdout
    r = _cli("stylize", "--help")
    assert "--max-size" in r.stdout and "examples:" in r.stdout


def test_smooth_steadies_an_animations_frames(tmp_path, photo, lite_onnx):
    """A stylised GIF flickers as a stylised video does: each frame is stylised alone. --smooth blends each
    frame with the previous output warped by optical flow, as `video --smooth` does; stills are untouched."""
    from stylert.frames.image_decode import read_picture
    from stylert.frames.images import Picture, write_picture
    from stylert.runtime.flicker import FlickerMeter

    frames = [np.ascontiguousarray(photo[20:84, 2 * k:2 * k + 96]) for k in range(8)]  # a slow pan
    write_picture(tmp_path / "in" / "pan.webp", Picture(frames, durations=(40,) * 8))
    write_picture(tmp_path / "in" / "still.png", Picture(frames[:1]))
    ratios = {}
    for smooth in ([], ["--smooth"]):
        out = tmp_path / ("smooth" if smooth else "plain")
        assert main(["stylize", str(tmp_path / "in"), "-o", f"{out}/", "-s", str(lite_onnx), *smooth]) == 0
        meter = FlickerMeter()
        for frame_in, frame_out in zip(frames, read_picture(out / "pan.webp").frames, strict=True):
            meter.add(frame_in, frame_out)
        ratios[bool(smooth)] = meter.report().ratio
    assert ratios[True] < 0.9 * ratios[False], ratios
    assert (tmp_path / "smooth" / "still.png").read_bytes() == (tmp_path / "plain" / "still.png").read_bytes()


@pytest.mark.parametrize("name, count, stop, pattern", [("frame_{:04d}.png", 8, 4, "frame_####.png"),
                                                      ("frame{}.png", 12, 9, "frame#.png")])
def test_smooth_steadies_a_numbered_image_sequence_across_its_files(tmp_path, photo, lite_onnx, capsys, name, count,
                                                                    stop, pattern):
    """A render's or a scan's frames come as frame_0001.png, frame_0002.png, ..., ffmpeg's as frame1.png ...
    frame12.png: --smooth steadies them as it steadies an animation, in number order, across batches (through 9
    -> 10 unpadded); a picture without a number is untouched; a re-run goes on from the last frame made."""
    from stylert.cli.common import flicker_line
    from stylert.frames.image_decode import read_image
    from stylert.runtime.flicker import FlickerMeter, smooth_sequence

    frames = [np.ascontiguousarray(photo[20:84, 2 * k:2 * k + 96]) for k in range(count)]  # a slow pan
    for k, frame in enumerate(frames):
        write_image(tmp_path / "in" / name.format(k + 1), frame)
    write_image(tmp_path / "in" / "still.png", frames[0])
    outputs, said = {}, {}
    for smooth in ([], ["--smooth", "0.6"]):
        out = tmp_path / ("smooth" if smooth else "plain")
        assert main(["stylize", str(tmp_path / "in"), "-o", f"{out}/", "-s", str(lite_onnx), "--batch", "3",
                     "--report", *smooth]) == 0
        outputs[bool(smooth)] = [read_image(out / name.format(k + 1)) for k in range(count)]
        said[bool(smooth)] = capsys.readouterr().out.splitlines()
    assert all(np.array_equal(a, b) for a, b in zip(outputs[True], smooth_sequence(frames, outputs[False], 0.6)))
    ratios = {}
    for smoothed, stylised in outputs.items():
        meter = FlickerMeter()
        for frame_in, frame_out in zip(frames, stylised):
            meter.add(frame_in, frame_out)
        ratios[smoothed] = meter.report().ratio
        assert said[smoothed] == [flicker_line(meter.report(), str(tmp_path / "in" / pattern))]
    assert ratios[True] < 0.9 * ratios[False], ratios
    assert (tmp_path / "smooth" / "still.png").read_bytes() == (tmp_path / "plain" / "still.png").read_bytes()
    made = {k: (tmp_path / "smooth" / name.format(k)).read_bytes() for k in range(1, count + 1)}
    for k in range(stop + 1, count + 1):  # a render stopped after a frame: the re-run takes the smoothing up there
        (tmp_path / "smooth" / name.format(k)).unlink()
    assert main(["stylize", str(tmp_path / "in"), "-o", f"{tmp_path / 'smooth'}/", "-s", str(lite_onnx),
                 "--smooth", "0.6"]) == 0
    assert {k: (tmp_path / "smooth" / name.format(k)).read_bytes() for k in range(1, count + 1)} == made


def test_a_rerun_makes_only_what_is_not_done_and_an_interrupted_run_keeps_its_record(tmp_path, photo, lite_onnx,
                                                                                     capsys, monkeypatch):
    """A folder output's manifest says what each output was made from: a re-run skips what is done (an
    interrupted run's outputs included), and redoes an output whose input, model or pixel options changed, or
    everything with --redo."""
    import stylert.runtime.stylize_files as stylize_files

    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        write_image(src / f"p{i}.png", photo[i * 10:i * 10 + 40, :52])
    run = ["stylize", str(src), "-o", f"{out}/", "-s", str(lite_onnx)]
    written, real_write = [], stylize_files.write_picture

    def write_then_stop(path, picture):  # Ctrl-C while the second photo is written
        if written:
            raise KeyboardInterrupt
        real_write(path, picture)
        written.append(path)

    monkeypatch.setattr(stylize_files, "write_picture", write_then_stop)
    assert main(run) == 130
    monkeypatch.setattr(stylize_files, "write_picture", real_write)
    capsys.readouterr()

    def outcome(*extra):
        assert main([*run, *extra]) == 0
        return [line for line in capsys.readouterr().err.splitlines() if " written to " in line][0]

    assert outcome().endswith("2 written to " + f"{out}/, 0 failed, 1 already done")
    made = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}
    assert outcome() == f"0 written to {out}/, 0 failed, 3 already done"
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")} == made  # nothing rewritten
    write_image(src / "p1.png", photo[:40, 5:57])  # an input edited
    assert outcome() == f"1 written to {out}/, 0 failed, 2 already done"
    assert outcome("--strength", "0.5") == f"3 written to {out}/, 0 failed"  # an option that shapes the pixels
    assert outcome("--strength", "0.5", "--redo") == f"3 written to {out}/, 0 failed"



def test_a_photo_read_despite_damage_is_written_said_once_and_exits_1(tmp_path, photo, lite_onnx, capfd):
    from tests.media import cut_jpeg

    src = tmp_path / "in"
    write_image(src / "good.png", photo[:40, :52])
    (src / "damaged.jpg").write_bytes(cut_jpeg(photo[:48, :64]))
    code = main(["stylize", str(src), "-o", str(tmp_path / "out"), "--style", str(lite_onnx)])
    err = capfd.readouterr().err
    assert code == 1
    said = [line for line in err.replace("\r", "\n").splitlines() if "Corrupt JPEG" in line]
    assert len(said) == 1  # stylert's line, not libjpeg's own as well
    assert said[0].startswith(f"stylert: {src / 'damaged.jpg'}: read despite damage (Corrupt JPEG data: ")
    assert said[0].endswith(f"); {tmp_path / 'out' / 'damaged.jpg'} shows what could be decoded")
    assert f"2 written to {tmp_path / 'out'} (1 from damaged sources), 0 failed" in err
    assert read_image(tmp_path / "out" / "damaged.jpg").shape == (48, 64, 3)


def test_a_renders_openexr_frames_come_back_as_openexr_with_their_alpha_and_a_cut_one_says_so(tmp_path, photo,
                                                                                             lite_onnx, capfd):
    """A studio's EXR plates go through stylize and back into the composite: linear EXR out, the alpha kept; a
    file cut off in the copy is written with its missing lines black, and said."""
    from stylert.frames.image_decode import read_picture
    from stylert.frames.images import Picture, write_picture

    pytest.importorskip("av")
    alpha = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (48, 1))
    write_picture(tmp_path / "in" / "beauty.1001.exr", Picture([photo[:48, :64]], [alpha], depth=16))
    whole = (tmp_path / "in" / "beauty.1001.exr").read_bytes()
    (tmp_path / "in" / "beauty.1002.exr").write_bytes(whole[:-200])
    code = main(["stylize", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--style", str(lite_onnx)])
    err = capfd.readouterr().err
    assert code == 1 and "2 written to" in err and "(1 from damaged sources), 0 failed" in err
    assert "beauty.1002.exr: read despite damage (OpenEXR: cut off: 1 of 3 blocks of lines lie past the end" in err
    styled = read_picture(tmp_path / "out" / "beauty.1001.exr")
    assert styled.depth == 16 and styled.frames[0].shape == (48, 64, 3)
    assert np.abs(styled.alpha[0].astype(int) - alpha).max() <= 64  # two trips through half floats
    assert styled.frames[0][alpha > 512].std() > 5  # stylised colour, not black
    assert (tmp_path / "out" / "beauty.1002.exr").read_bytes()[:4] == b"v/1\x01"


def test_a_file_name_that_is_not_utf8_is_printed_as_its_bytes_not_an_internal_error(tmp_path, photo, lite_onnx):
    """A Latin-1 name (caf\xe9_1.png) on a system whose standard output is strict UTF-8: --report's line
    naming its sequence ended the run with a UnicodeEncodeError after every picture was written."""
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(3):
        write_image(Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9_" + str(k).encode() + b".png")),
                    np.ascontiguousarray(photo[:32, 2 * k:2 * k + 40]))
    r = subprocess.run([sys.executable, "-m", "stylert", "stylize", str(folder), "-o", f"{tmp_path / 'out'}/",
                        "-s", str(lite_onnx), "--report"], capture_output=True, timeout=120,
                       env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"})
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert r.stdout.startswith(b"flicker: " + os.fsencode(folder) + b"/caf\xe9_#.png: ")
    assert len(list((tmp_path / "out").glob("caf*_*.png"))) == 3


def test_the_flicker_line_of_a_still_says_its_input_does_not_change():
    """A picture held as a video (a podcast's) has no input change to measure against: the ratio was 'nan'."""
    from stylert.cli.common import flicker_line
    from stylert.runtime.flicker import FlickerMeter

    meter = FlickerMeter()
    still = np.full((8, 8, 3), 90, np.uint8)
    for level in (0, 3, 3):
        meter.add(still, still + level)
    assert flicker_line(meter.report(), "talk.mp4") == ("flicker: talk.mp4: output change 1.50 over 3 frames, on an "
                                                        "input that does not change (0 adds no flicker)")


def test_a_fast_webp_written_as_a_gif_keeps_its_frames_20_ms_apart_but_a_gif_keeps_its_own(tmp_path, lite_onnx,
                                                                                             capsys):
    """A 60 fps WebP stylised into a GIF: half its frames are kept (browsers show a GIF frame of under 20 ms for
    100 ms: it would play six times too slowly), it lasts as long, and the run says so; a GIF's own 10 ms frames are
    written as they are, as its author saw them play."""
    from PIL import Image

    from stylert.frames.image_decode import read_picture

    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)) for _ in range(12)]
    frames[0].save(tmp_path / "fast.webp", save_all=True, append_images=frames[1:], duration=[17, 17, 16] * 4)
    frames[0].save(tmp_path / "fast.gif", save_all=True, append_images=frames[1:], duration=10)
    assert main(["stylize", str(tmp_path / "fast.webp"), "-o", str(tmp_path / "a.gif"), "-s", str(lite_onnx)]) == 0
    assert "a.gif: 6 of its 12 frames kept in the GIF: browsers show a GIF frame of under 20 ms for 100 ms" in \
        capsys.readouterr().err
    paced = read_picture(tmp_path / "a.gif")
    assert len(paced.frames) == 6 and sum(paced.durations) == 200
    assert main(["stylize", str(tmp_path / "fast.gif"), "-o", str(tmp_path / "b.gif"), "-s", str(lite_onnx)]) == 0
    assert "kept in the GIF" not in capsys.readouterr().err
    assert len(read_picture(tmp_path / "b.gif").frames) == 12
    piped = subprocess.run([sys.executable, "-m", "stylert", "stylize", "-", "-o", "-", "--ext", "gif", "-s",
                            str(lite_onnx)], input=(tmp_path / "fast.webp").read_bytes(), capture_output=True)
    assert piped.returncode == 0 and b"standard output: 6 of its 12 frames kept in the GIF" in piped.stderr
    (tmp_path / "c.gif").write_bytes(piped.stdout)
    assert len(read_picture(tmp_path / "c.gif").frames) == 6
