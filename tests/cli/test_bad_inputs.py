"""Bad and unusual inputs for every command, as a table. Each case asserts the exit code (the rule in
stylert.cli: 0 done, 1 some inputs failed, 2 nothing done), exactly one ``stylert: error:`` or
``stylert: failed:`` line (none when it succeeds), no traceback, no partial or temporary file left behind,
every input byte-identical afterwards, and "N written" equal to the files really written."""
from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from stylert.cli import main
from stylert.frames.images import write_image
from stylert.runtime.manifest import MANIFEST_NAME

W = "{w}"  # the workspace folder, substituted into each argv
APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "  # the start of a Mac's ._ resource fork


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, lite_onnx, lite_pth):
    """Inputs every case may use; the cases write their outputs under out*/."""
    w = tmp_path_factory.mktemp("bad-inputs")
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    write_image(w / "a.jpg", img)
    write_image(w / "b.png", img[:40, :40])
    write_image(w / "one_px.png", img[:1, :1])
    write_image(w / "A" / "x.jpg", img)
    write_image(w / "B" / "x.jpg", img[:32])
    write_image(w / "mixed" / "good.png", img)
    (w / "mixed" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n cut off")
    for n in (1, 3):  # an image sequence whose frame 2 is missing
        write_image(w / "gappy" / f"f{n}.png", img[:16, :16])
    write_image(w / "mac" / "IMG_1.jpg", img)  # a folder copied from a Mac: a resource fork beside each file
    (w / "mac" / "._IMG_1.jpg").write_bytes(APPLE_DOUBLE)
    (w / "empty").mkdir()
    (w / "corrupt.jpg").write_bytes(b"this is not a jpeg")
    (w / "zero.jpg").write_bytes(b"")
    (w / "notes.txt").write_text("hello")
    write_image(w / "art" / "sprite.tga", img)  # formats OpenCV does not read
    (w / "art" / "cut.tga").write_bytes((w / "art" / "sprite.tga").read_bytes()[:400])
    shutil.copy(lite_onnx, w / "lite.onnx")
    shutil.copy(lite_onnx, w / "solo.onnx")  # no checkpoint beside it
    shutil.copy(lite_pth, w / "lite.pth")
    shutil.copy(lite_pth, w / "epoch_2.model")  # what pytorch/examples' fast_neural_style training writes
    (w / "corrupt.onnx").write_bytes(lite_onnx.read_bytes()[:3000])
    (w / "corrupt.pth").write_bytes(b"PK\x03\x04 not really a zip")
    import torch

    torch.save({"weird.layer.weight": torch.zeros(3, 3)}, w / "unknown_arch.pth")
    (w / "bare.engine").write_bytes(b"not an engine")
    from stylert.models.cyclegan import ResnetGeneratorConfig
    from tests.checkpoints import cyclegan_state

    torch.save(cyclegan_state(ResnetGeneratorConfig(ngf=8, blocks=1, in_channels=4)), w / "rgba_G.pth")
    from tests.foreign_models import non_image_network, zoo_style_copy
    from tests.media import png_header

    write_image(w / "huge" / "fine.png", img)
    (w / "huge" / "bomb.png").write_bytes(png_header(100_000, 100_000))
    import cv2

    cv2.imwrite(str(w / "float.tiff"), img.astype(np.float32) / 255)
    from stylert.frames.images import Picture, write_picture

    write_picture(w / "anim.gif", Picture([img, img[::-1].copy(), img[:, ::-1].copy()], durations=(50, 50, 50)))
    write_picture(w / "cutout.png", Picture([img], alpha=[np.full(img.shape[:2], 128, np.uint8)]))
    cv2.imwritemulti(str(w / "scan.tif"), [img, img[:20]])  # a two-page scan
    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        from PIL import Image

        Image.fromarray(img).save(w / "IMG_0001.HEIC", quality=90)
        (w / "cut.heic").write_bytes((w / "IMG_0001.HEIC").read_bytes()[:200])
    except ImportError:
        pass
    torch.save(torch.nn.Linear(2, 2), w / "whole_model.pth")
    zoo_style_copy(lite_onnx, w / "zoo.onnx")
    non_image_network(w / "mean.onnx")
    try:
        from tests.media import make_video

        make_video(w / "clip.mp4", frames=8, size=(32, 48), fps=Fraction(8))
        (w / "vids").mkdir()
        make_video(w / "vids" / "good.mp4", frames=6, size=(32, 48), fps=Fraction(8))
        shutil.copytree(w / "vids", w / "macvids")
        (w / "macvids" / "._good.mp4").write_bytes(APPLE_DOUBLE)
        (w / "vids" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 broken")
        make_video(w / "long.mkv", frames=40, size=(32, 48), fps=Fraction(8), audio=None)
        data = (w / "long.mkv").read_bytes()
        (w / "cut.mkv").write_bytes(data[: len(data) // 2])  # cut off mid-stream
        (w / "long.mkv").unlink()
    except ImportError:
        pass
    from tests.media import handmade_exr

    depth = handmade_exr({"depth.Z": np.ones((6, 8), np.float32)})  # a render's depth pass alone
    (w / "depth.exr").write_bytes(depth)
    (w / "depthseq").mkdir()
    for number in (1, 2):
        (w / "depthseq" / f"d.{number:04d}.exr").write_bytes(depth)
    plate = handmade_exr({channel: np.full((6, 8), 0.3, np.float32) for channel in "RGB"})
    (w / "cutplate.exr").write_bytes(plate[:-150])  # a copy that stopped
    (w / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 garbage garbage")
    from tests.media import handmade_dng

    photo = handmade_dng(img[:32, :48, ::-1])
    (w / "cut.dng").write_bytes(photo[:len(photo) // 2])  # a RAW photo copied off a card that was pulled
    (w / "renders" / "2024").mkdir(parents=True)  # a Cineon film scan beside a subfolder of PNGs
    (w / "renders" / "a.cin").write_bytes(b"\x80\x2a\x5f\xd7\x00\x00\x08\x00")
    write_image(w / "renders" / "2024" / "b.png", img)
    cv2.imwrite(str(w / "grey_float.tif"), img[..., 0].astype(np.float32) / 255)
    cv2.imwrite(str(w / "grey.pfm"), img[..., 0].astype(np.float32) / 255)  # OpenCV gives it as one channel
    write_image(w / "longnames" / f"0{'b' * 250}.tga", img)  # 255 bytes: as .webp, one too many
    write_image(w / "longnames" / "a.png", img)
    return w


def _snapshot(w: Path) -> dict[str, str]:
    return {str(p.relative_to(w)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in w.rglob("*") if p.is_file() and not p.relative_to(w).parts[0].startswith("out")}


S = ["-s", "{w}/lite.onnx"]
CASES = [
    # stylize
    ("stylize missing file", ["stylize", "{w}/nope.jpg", "-o", "{w}/out1.jpg", *S], 2, "error"),
    ("stylize empty folder", ["stylize", "{w}/empty", "-o", "{w}/out2/", *S], 2, "error"),
    ("stylize glob matching nothing", ["stylize", "{w}/*.jxl", "-o", "{w}/out3/", *S], 2, "error"),
    ("stylize one corrupt image", ["stylize", "{w}/corrupt.jpg", "-o", "{w}/out4.jpg", *S], 2, "failed"),
    ("stylize zero-byte image", ["stylize", "{w}/zero.jpg", "-o", "{w}/out5.jpg", *S], 2, "failed"),
    ("stylize text file as image", ["stylize", "{w}/notes.txt", "-o", "{w}/out6.jpg", *S], 2, "failed"),
    ("stylize folder with one bad file", ["stylize", "{w}/mixed", "-o", "{w}/out7/", *S], 1, "failed"),
    ("stylize unknown output extension", ["stylize", "{w}/a.jpg", "-o", "{w}/out8.xyz", *S], 2, "error"),
    ("stylize output without extension", ["stylize", "{w}/a.jpg", "-o", "{w}/out9", *S], 2, "error"),
    ("stylize two inputs onto one path", ["stylize", "{w}/A/x.jpg", "{w}/B/x.jpg", "-o", "{w}/out10/", *S], 2,
     "error"),
    ("stylize output is the input", ["stylize", "{w}/a.jpg", "-o", "{w}/a.jpg", *S], 2, "error"),
    ("stylize folder onto itself", ["stylize", "{w}/A", "-o", "{w}/A", *S], 2, "error"),
    ("stylize two inputs, one file output", ["stylize", "{w}/a.jpg", "{w}/b.png", "-o", "{w}/out11.jpg", *S], 2,
     "error"),
    ("stylize a folder with a cut-off TGA", ["stylize", "{w}/art", "-o", "{w}/out112/", *S], 1, "failed"),
    ("stylize a TGA into a PSD", ["stylize", "{w}/art/sprite.tga", "-o", "{w}/out113.psd", *S], 2, "error",
     "out113.psd: stylert reads PSD but does not write it"),
    ("stylize unknown style", ["stylize", "{w}/a.jpg", "-o", "{w}/out12.jpg", "-s", "no-such-style"], 2, "error"),
    ("stylize a picture as the style", ["stylize", "{w}/a.jpg", "-o", "{w}/out110.jpg", "-s", "{w}/b.png"], 2,
     "error"),
    ("stylize a folder as the style", ["stylize", "{w}/a.jpg", "-o", "{w}/out111.jpg", "-s", "{w}/A"], 2, "error"),
    ("stylize missing model file", ["stylize", "{w}/a.jpg", "-o", "{w}/out13.jpg", "-s", "{w}/gone.onnx"], 2,
     "error"),
    ("stylize corrupt onnx", ["stylize", "{w}/a.jpg", "-o", "{w}/out14.jpg", "-s", "{w}/corrupt.onnx"], 2, "error"),
    ("stylize corrupt pth", ["stylize", "{w}/a.jpg", "-o", "{w}/out15.jpg", "-s", "{w}/corrupt.pth"], 2, "error"),
    ("stylize strength above 1", ["stylize", "{w}/a.jpg", "-o", "{w}/out16.jpg", *S, "--strength", "2"], 2,
     "error"),
    ("stylize strength not a number", ["stylize", "{w}/a.jpg", "-o", "{w}/out17.jpg", *S, "--strength", "x"], 2,
     "error"),
    ("stylize max-size 0", ["stylize", "{w}/a.jpg", "-o", "{w}/out18.jpg", *S, "--max-size", "0"], 2, "error"),
    ("stylize batch 0", ["stylize", "{w}/a.jpg", "-o", "{w}/out19.jpg", *S, "--batch", "0"], 2, "error"),
    ("stylize unknown --ext", ["stylize", "{w}/A", "-o", "{w}/out20/", *S, "--ext", "xyz"], 2, "error"),
    ("stylize --ext of a read-only format", ["stylize", "{w}/A", "-o", "{w}/out114/", *S, "--ext", "psd"], 2, "error"),
    ("stylize --ext against -o's own", ["stylize", "{w}/a.jpg", "-o", "{w}/out115.webp", *S, "--ext", "png"], 2,
     "error"),
    ("stylize an empty --style (an unset variable)", ["stylize", "{w}/a.jpg", "-o", "{w}/out120.png", "-s", ""], 2,
     "error"),
    ("stylize an empty input (it was the current folder, all of it)", ["stylize", "", "-o", "{w}/out126/", *S], 2,
     "error"),
    ("stylize an empty -o (it was the current folder)", ["stylize", "{w}/a.jpg", "-o", "", *S], 2, "error"),
    ("stylize --workers without --ray", ["stylize", "{w}/a.jpg", "-o", "{w}/out116.png", *S, "--workers", "2"], 2,
     "error"),
    ("stylize tile too small", ["stylize", "{w}/a.jpg", "-o", "{w}/out21.jpg", *S, "--tile", "8"], 2, "error"),
    ("stylize tensorrt without a GPU", ["stylize", "{w}/a.jpg", "-o", "{w}/out22.jpg", *S, "--backend", "tensorrt"],
     2, "error"),
    ("stylize torch on a lone onnx", ["stylize", "{w}/a.jpg", "-o", "{w}/out23.jpg", "-s", "{w}/solo.onnx",
                                      "--backend", "torch"], 2, "error"),
    ("stylize fp16 torch on the CPU", ["stylize", "{w}/a.jpg", "-o", "{w}/out24.jpg", "-s", "{w}/lite.pth",
                                       "--backend", "torch", "--precision", "fp16", "--device", "cpu"], 2, "error"),
    ("stylize cuda graph on the CPU", ["stylize", "{w}/a.jpg", "-o", "{w}/out25.jpg", *S, "--cuda-graph",
                                       "--device", "cpu"], 2, "error"),
    ("stylize bare engine without TensorRT", ["stylize", "{w}/a.jpg", "-o", "{w}/out26.jpg", "-s",
                                              "{w}/bare.engine"], 2, "error"),
    ("stylize unknown flag", ["stylize", "{w}/a.jpg", "-o", "{w}/out27.jpg", *S, "--frobnicate"], 2, "error"),
    ("stylize 1x1 image", ["stylize", "{w}/one_px.png", "-o", "{w}/out28.png", *S], 0, None),
    ("stylize upper-case extension", ["stylize", "{w}/a.jpg", "-o", "{w}/out29.JPG", *S], 0, None),
    ("stylize two images into a folder", ["stylize", "{w}/a.jpg", "{w}/b.png", "-o", "{w}/out30", *S], 0, None),
    ("stylize folder with a pixel-bomb header", ["stylize", "{w}/huge", "-o", "{w}/out75/", *S], 1, "failed"),
    ("stylize float TIFF", ["stylize", "{w}/float.tiff", "-o", "{w}/out76.png", *S], 0, None),
    ("stylize network that is not image-to-image", ["stylize", "{w}/a.jpg", "-o", "{w}/out77.jpg", "-s",
                                                    "{w}/mean.onnx"], 2, "error"),
    ("stylize pickled whole model", ["stylize", "{w}/a.jpg", "-o", "{w}/out78.jpg", "-s", "{w}/whole_model.pth"],
     2, "error"),
    ("stylize pytorch/examples .model checkpoint", ["stylize", "{w}/a.jpg", "-o", "{w}/out81.jpg", "-s",
                                                   "{w}/epoch_2.model"], 0, None),
    ("stylize zoo-style fixed-size onnx", ["stylize", "{w}/a.jpg", "-o", "{w}/out79.jpg", "-s", "{w}/zoo.onnx"], 0,
     None),
    ("stylize a folder into a place under a file", ["stylize", "{w}/A", "{w}/B", "-o", "{w}/a.jpg/out94/", *S], 2,
     "error"),
    ("stylize a folder copied from a Mac", ["stylize", "{w}/mac", "-o", "{w}/out101/", *S], 0, None),
    ("stylize two-page TIFF", ["stylize", "{w}/scan.tif", "-o", "{w}/out96.tiff", *S], 0, None),
    ("stylize two-page TIFF onto a PNG", ["stylize", "{w}/scan.tif", "-o", "{w}/out97.png", *S], 2, "failed"),
    ("stylize a video file", ["stylize", "{w}/corrupt.mp4", "-o", "{w}/out100/", *S], 2, "error"),
    ("stylize an iPhone HEIC photo", ["stylize", "{w}/IMG_0001.HEIC", "-o", "{w}/out98/", *S], 0, None),
    ("stylize a cut-off HEIC", ["stylize", "{w}/cut.heic", "-o", "{w}/out99.jpg", *S], 2, "failed"),
    ("stylize animated GIF onto a JPEG", ["stylize", "{w}/anim.gif", "-o", "{w}/out83.jpg", *S], 2, "failed"),
    ("stylize animated GIF and transparent PNG", ["stylize", "{w}/anim.gif", "{w}/cutout.png", "-o", "{w}/out84/",
                                                  *S], 0, None),
    # video
    ("video missing file", ["video", "{w}/nope.mp4", "-o", "{w}/out31.mp4", *S], 2, "error"),
    ("video corrupt file", ["video", "{w}/corrupt.mp4", "-o", "{w}/out32.mp4", *S], 2, "error"),
    ("video an image", ["video", "{w}/a.jpg", "-o", "{w}/out33.mp4", *S], 2, "error"),
    ("video --workers without --ray", ["video", "{w}/clip.mp4", "-o", "{w}/out117.mp4", *S, "--workers", "2"], 2,
     "error"),
    ("video into a place under a file", ["video", "{w}/vids", "-o", "{w}/a.jpg/out95/", *S], 2, "error"),
    ("video a folder copied from a Mac", ["video", "{w}/macvids", "-o", "{w}/out102/", *S], 0, None),
    ("video an animated GIF", ["video", "{w}/anim.gif", "-o", "{w}/out85.mp4", *S], 0, None),
    ("video unknown output extension", ["video", "{w}/clip.mp4", "-o", "{w}/out34.xyz", *S], 2, "error"),
    ("video output is the input", ["video", "{w}/clip.mp4", "-o", "{w}/clip.mp4", *S], 2, "error"),
    ("video crf -5", ["video", "{w}/clip.mp4", "-o", "{w}/out35.mp4", *S, "--crf", "-5"], 2, "error"),
    ("video crf 99", ["video", "{w}/clip.mp4", "-o", "{w}/out36.mp4", *S, "--crf", "99"], 2, "error"),
    ("video scale 0", ["video", "{w}/clip.mp4", "-o", "{w}/out37.mp4", *S, "--scale", "0"], 2, "error"),
    ("video negative scale", ["video", "{w}/clip.mp4", "-o", "{w}/out38.mp4", *S, "--scale", "-0.5"], 2, "error"),
    ("video negative start", ["video", "{w}/clip.mp4", "-o", "{w}/out39.mp4", *S, "--start", "-1"], 2, "error"),
    ("video start as a player shows it", ["video", "{w}/clip.mp4", "-o", "{w}/out103.mp4", *S, "--start", "0:00.25",
                                          "--duration", "00:00:00.5"], 0, None),
    ("video seconds past 59", ["video", "{w}/clip.mp4", "-o", "{w}/out104.mp4", *S, "--start", "0:75"], 2, "error"),
    ("video zero duration", ["video", "{w}/clip.mp4", "-o", "{w}/out40.mp4", *S, "--duration", "0"], 2, "error"),
    ("video unknown preset", ["video", "{w}/clip.mp4", "-o", "{w}/out41.mp4", *S, "--preset", "warp"], 2, "error"),
    ("video start past the end", ["video", "{w}/clip.mp4", "-o", "{w}/out42.mp4", *S, "--start", "60"], 2, "failed"),
    ("video cut off mid-stream", ["video", "{w}/cut.mkv", "-o", "{w}/out43.mp4", *S], 1, "failed"),
    ("video folder with a broken file", ["video", "{w}/vids", "-o", "{w}/out44/", *S], 1, "failed"),
    ("video nan scale", ["video", "{w}/clip.mp4", "-o", "{w}/out45.mp4", *S, "--scale", "nan"], 2, "error"),
    ("video tiny scale", ["video", "{w}/clip.mp4", "-o", "{w}/out46.mp4", *S, "--scale", "0.05"], 0, None),
    ("video unknown decoder", ["video", "{w}/clip.mp4", "-o", "{w}/out73.mp4", *S, "--decoder", "gpu9"], 2, "error"),
    ("video a codec MP4 cannot hold", ["video", "{w}/clip.mp4", "-o", "{w}/out106.mp4", *S, "--codec", "prores_ks"],
     2, "error"),
    ("video ProRes into a MOV", ["video", "{w}/clip.mp4", "-o", "{w}/out107.mov", *S, "--codec", "prores_ks"], 0,
     None),
    ("video cpu decoder", ["video", "{w}/clip.mp4", "-o", "{w}/out74.mp4", *S, "--decoder", "cpu"], 0, None),
    ("video into a WebM", ["video", "{w}/clip.mp4", "-o", "{w}/out108.webm", *S], 0, None),
    ("video H.264 into a WebM", ["video", "{w}/clip.mp4", "-o", "{w}/out109.webm", *S, "--codec", "libx264"], 2,
     "error"),
    # webcam
    ("webcam missing source", ["webcam", "--source", "{w}/nope.mp4", "--no-window", "-o", "{w}/out47.mp4", *S], 2,
     "error"),
    ("webcam no-window without -o", ["webcam", "--source", "{w}/clip.mp4", "--no-window", *S], 2, "error"),
    ("webcam output is the source", ["webcam", "--source", "{w}/clip.mp4", "--no-window", "-o", "{w}/clip.mp4",
                                     *S], 2, "error"),
    ("webcam unknown output extension", ["webcam", "--source", "{w}/clip.mp4", "--no-window", "-o",
                                         "{w}/out48.xyz", *S], 2, "error"),
    ("webcam size 0", ["webcam", "--source", "{w}/clip.mp4", "--no-window", "-o", "{w}/out49.mp4", *S,
                       "--size", "0"], 2, "error"),
    ("webcam frames 0", ["webcam", "--source", "{w}/clip.mp4", "--no-window", "-o", "{w}/out50.mp4", *S,
                         "--frames", "0"], 2, "error"),
    ("webcam corrupt source", ["webcam", "--source", "{w}/corrupt.mp4", "--no-window", "-o", "{w}/out51.mp4", *S],
     2, "error"),
    ("webcam unknown style", ["webcam", "--source", "{w}/clip.mp4", "--no-window", "-o", "{w}/out52.mp4", "-s",
                              "nope"], 2, "error"),
    ("webcam an empty --style", ["webcam", "--source", "{w}/clip.mp4", "--no-window", "-o", "{w}/out121.mp4", "-s",
                                 " "], 2, "error"),
    ("webcam -o with a window", ["webcam", "--source", "{w}/clip.mp4", "-o", "{w}/out53.mp4", *S], 2, "error"),
    ("webcam virtual camera without a loopback device", ["webcam", "--source", "{w}/clip.mp4", "--no-window", "-o",
                                                         "{w}/out55.mp4", *S, "--virtual-cam"], 2, "error"),
    ("webcam tiny inference size", ["webcam", "--source", "{w}/clip.mp4", "--no-window", "-o", "{w}/out54.mp4",
                                    *S, "--size", "3", "--frames", "2"], 0, None),
    # export
    ("export missing checkpoint", ["export", "{w}/nope.pth", "-o", "{w}/out55.onnx"], 2, "error"),
    ("export an empty --name", ["export", "{w}/lite.pth", "-o", "{w}/out118.onnx", "--name", " "], 2, "error"),
    ("train an empty --name", ["train", "--content", "{w}/A", "--style-image", "{w}/a.jpg", "-o", "{w}/out119.pth",
                               "--name", ""], 2, "error"),
    ("export corrupt checkpoint", ["export", "{w}/corrupt.pth", "-o", "{w}/out56.onnx"], 2, "error"),
    ("export an onnx", ["export", "{w}/lite.onnx", "-o", "{w}/out57.onnx"], 2, "error"),
    ("export unknown architecture", ["export", "{w}/unknown_arch.pth", "-o", "{w}/out58.onnx"], 2, "error"),
    ("export pickled whole model", ["export", "{w}/whole_model.pth", "-o", "{w}/out80.onnx"], 2, "error"),
    ("export a network of RGBA input", ["export", "{w}/rgba_G.pth", "-o", "{w}/out105.onnx"], 2, "error"),
    ("export wrong output suffix", ["export", "{w}/lite.pth", "-o", "{w}/out59.txt"], 2, "error"),
    ("export int8 with a missing --calib folder", ["export", "{w}/lite.pth", "-o", "{w}/out86.onnx", "--int8",
                                                  "--calib", "{w}/nope"], 2, "error"),
    ("export int8 with an empty --calib folder", ["export", "{w}/lite.pth", "-o", "{w}/out87.onnx", "--int8",
                                                 "--calib", "{w}/empty"], 2, "error"),
    ("export --calib without --int8", ["export", "{w}/lite.pth", "-o", "{w}/out88.onnx", "--calib", "{w}/A"], 2,
     "error"),
    ("export output under a file", ["export", "{w}/lite.pth", "-o", "{w}/a.jpg/out93.onnx"], 2, "error"),
    ("export fp16 and int8 at once", ["export", "{w}/lite.pth", "-o", "{w}/out60.onnx", "--precision", "fp16",
                                      "--int8"], 2, "error"),
    # build-engine
    ("build-engine missing onnx", ["build-engine", "{w}/nope.onnx", "-o", "{w}/out61.engine"], 2, "error"),
    ("build-engine corrupt onnx", ["build-engine", "{w}/corrupt.onnx", "-o", "{w}/out62.engine"], 2, "error"),
    ("build-engine wrong suffix", ["build-engine", "{w}/lite.onnx", "-o", "{w}/out63.trt"], 2, "error"),
    ("build-engine without TensorRT", ["build-engine", "{w}/lite.onnx", "-o", "{w}/out64.engine"], 2, "error"),
    ("build-engine --calib without int8", ["build-engine", "{w}/lite.onnx", "-o", "{w}/out124.engine", "--calib",
                                          "{w}/A"], 2, "error"),
    ("build-engine timing cache a folder", ["build-engine", "{w}/lite.onnx", "-o", "{w}/out125.engine",
                                            "--timing-cache", "{w}/A"], 2, "error"),
    ("build-engine decreasing batch", ["build-engine", "{w}/lite.onnx", "-o", "{w}/out65.engine", "--batch",
                                       "4,2,1"], 2, "error"),
    # train
    ("train negative lr", ["train", "--content", "{w}/A", "--style-image", "{w}/a.jpg", "-o", "{w}/out66.pth",
                           "--lr", "-1"], 2, "error"),
    ("train missing content", ["train", "--content", "{w}/nope", "--style-image", "{w}/a.jpg", "-o",
                               "{w}/out67.pth", "--steps", "1"], 2, "error"),
    ("train tiny image size", ["train", "--content", "{w}/A", "--style-image", "{w}/a.jpg", "-o", "{w}/out68.pth",
                               "--image-size", "8"], 2, "error"),
    ("train beta1 of 1", ["train", "--content", "{w}/A", "--style-image", "{w}/a.jpg", "-o", "{w}/out69.pth",
                          "--beta1", "1"], 2, "error"),
    ("train output is a folder", ["train", "--content", "{w}/A", "--style-image", "{w}/a.jpg", "-o", "{w}/out89/",
                                  "--steps", "1"], 2, "error"),
    ("train output named .onnx", ["train", "--content", "{w}/A", "--style-image", "{w}/a.jpg", "-o",
                                  "{w}/out90.onnx", "--steps", "1"], 2, "error"),
    ("train output under a file", ["train", "--content", "{w}/A", "--style-image", "{w}/a.jpg", "-o",
                                   "{w}/a.jpg/out91.pth", "--steps", "1"], 2, "error"),
    ("train over an earlier checkpoint", ["train", "--content", "{w}/A", "--style-image", "{w}/a.jpg", "-o",
                                         "{w}/lite.pth", "--steps", "1"], 2, "error"),
    # bench, styles
    ("bench output under a file", ["bench", "--quick", "-o", "{w}/a.jpg/out92"], 2, "error"),
    ("bench size 0", ["bench", "--sizes", "0", "-o", "{w}/out70"], 2, "error"),
    ("bench quick with sizes", ["bench", "--quick", "--sizes", "64", "-o", "{w}/out71"], 2, "error"),
    ("bench repeats 0", ["bench", "--repeats", "0", "-o", "{w}/out72"], 2, "error"),
    ("bench quick with repeats and batch", ["bench", "--quick", "--repeats", "9", "--batch", "8", "-o", "{w}/out122"],
     2, "error"),
    ("bench an empty -o (it wrote to the current folder)", ["bench", "--quick", "-o", ""], 2, "error"),
    ("bench an empty --style", ["bench", "--quick", "--style", "", "-o", "{w}/out123"], 2, "error"),
    ("bench a lone onnx", ["bench", "--quick", "--style", "{w}/solo.onnx", "-o", "{w}/out82"], 2, "error"),
    ("styles unknown flag", ["styles", "--bogus"], 2, "error"),
    # what a file is instead, what a folder holds instead, pipes a command does not take (each with its words)
    ("stylize a text file given as an image", ["stylize", "{w}/notes.txt", "-o", "{w}/out130.png", *S], 2, "failed",
     "notes.txt is text, not an image"),
    ("stylize a folder whose images are in a subfolder", ["stylize", "{w}/renders", "-o", "{w}/out131/", *S], 2,
     "error", "it holds 1 .cin; its subfolders hold 1 image (-r looks in them)"),
    ("stylize a grey float TIFF", ["stylize", "{w}/grey_float.tif", "-o", "{w}/out132.png", *S], 0, None),
    ("stylize a grey PFM", ["stylize", "{w}/grey.pfm", "-o", "{w}/out160.png", *S], 0, None),
    ("stylize with a text file as the style", ["stylize", "{w}/a.jpg", "-o", "{w}/out133.jpg", "-s",
                                               "{w}/notes.txt"], 2, "error", "notes.txt is text, not a style network"),
    ("video a text file", ["video", "{w}/notes.txt", "-o", "{w}/out134.mp4", *S], 2, "error",
     "notes.txt is text, not a video"),
    ("video from standard input", ["video", "-", "-o", "{w}/out135.mp4", *S], 2, "error",
     "stylert video reads files, not standard input"),
    ("video to standard output", ["video", "{w}/clip.mp4", "-o", "-", *S], 2, "error",
     "stylert video writes files, not standard output"),
    ("webcam -o without an extension", ["webcam", "--source", "{w}/clip.mp4", "--no-window", "-o", "{w}/out136",
                                        *S], 2, "error", "out136 has no file extension; name a video file"),
    ("build-engine a folder as the plugin library", ["build-engine", "{w}/lite.onnx", "-o", "{w}/out137.engine",
                                                     "--plugins", "{w}/A"], 2, "error",
     "A is a folder; name the library in it"),
    ("stylize a batch whose first output name is too long", ["stylize", "{w}/longnames", "-o", "{w}/out139/", "--ext",
                                                             "webp", *S], 1, "failed", "File name too long"),
    ("export a damaged checkpoint into a new folder", ["export", "{w}/corrupt.pth", "-o", "{w}/out138/new/m.onnx"],
     2, "error"),
    ("build-engine a profile no TensorRT tensor holds", ["build-engine", "{w}/lite.onnx", "-o", "{w}/out140.engine",
                                                         "--height", "64,720,100000000000000000000"], 2, "error",
     "TensorRT's tensors hold fewer than 2,147,483,648: lower the MAX of --batch, --height or --width"),
    ("video a quoted pattern that matches neither videos nor images", ["video", "{w}/notes*", "-o", "{w}/out141/", *S],
     2, "error", "none with a video suffix"),
    ("video a quoted pattern that matches images of two formats", ["video", "{w}/[ab].*", "-o", "{w}/out141/", *S],
     2, "error", "matches files of 2 kinds (1 .jpg and 1 .png)"),
    ("stylize an image sequence named as FFmpeg names it", ["stylize", "{w}/A/frame_%04d.png", "-o", "{w}/out142/",
                                                             *S], 2, "error", "stylize takes its folder"),
    ("video an image sequence with a gap", ["video", "{w}/gappy/f%d.png", "-o", "{w}/out143.mp4", *S], 2, "error",
     "frame 2 is missing (the sequence runs 1 to 3 with a gap)"),
    ("stylize an EXR that holds a depth pass alone", ["stylize", "{w}/depth.exr", "-o", "{w}/out144.exr", *S], 2,
     "failed", "depth.exr is not a readable image (OpenEXR: no R, G, B or Y channels (it holds depth.Z))"),
    ("stylize an EXR cut off in a copy", ["stylize", "{w}/cutplate.exr", "-o", "{w}/out145.exr", *S], 1, None),
    ("video an EXR sequence of a depth pass alone", ["video", "{w}/depthseq/d.%04d.exr", "-o", "{w}/out146.mp4", *S],
     2, "error", "d.0001.exr is not a readable picture (OpenEXR: no R, G, B or Y channels (it holds depth.Z))"),
    ("stylize a camera RAW photo cut off", ["stylize", "{w}/cut.dng", "-o", "{w}/out147.png", *S], 2, "failed",
     "cut.dng is not a readable camera RAW photo"),
]
CASES = [case if len(case) == 5 else (*case, None) for case in CASES]  # (name, argv, exit code, line, its words)


@pytest.mark.parametrize("name,argv,code,line,says", CASES, ids=[c[0] for c in CASES])
def test_bad_input(workspace, capsys, name, argv, code, line, says):
    if (argv[0] == "video" or any("mp4" in a or "mkv" in a for a in argv)) and not (workspace / "clip.mp4").exists():
        pytest.skip("PyAV is not installed (the video cases need it to make their inputs)")
    if any(a.endswith(".exr") for a in argv) and importlib.util.find_spec("av") is None:
        pytest.skip("PyAV is not installed (OpenEXR is read through it)")
    if any(a.lower().endswith(".heic") for a in argv) and not (workspace / "cut.heic").exists():
        pytest.skip("pillow-heif is not installed (the HEIC cases need it to make their inputs)")
    if any(a.endswith(".dng") for a in argv) and importlib.util.find_spec("rawpy") is None:
        pytest.skip("rawpy is not installed (camera RAW photos are developed through it)")
    before = _snapshot(workspace)
    args = [a.replace(W, str(workspace)) for a in argv]
    try:
        got = main(args)
    except SystemExit as exc:  # argument errors exit from the parser
        got = exc.code
    err = capsys.readouterr().err
    assert got == code, err
    lines = [x for x in err.splitlines() if x.startswith(("stylert: error:", "stylert: failed:"))]
    assert len(lines) == (0 if line is None else 1), err
    if line is not None:
        assert lines[0].startswith(f"stylert: {line}:"), err
        assert says is None or says in lines[0], err
    assert "Traceback" not in err and "weights_only" not in err
    assert _snapshot(workspace) == before  # inputs untouched
    if line == "error":  # nothing done leaves nothing behind, not even an empty folder for the output
        outputs = {Path(a).relative_to(workspace).parts[0] for a in args if a.startswith(f"{workspace}/out")}
        assert not [name for name in outputs if (workspace / name).exists()], err
    leftovers = [p for p in workspace.rglob("*") if ".part" in p.name]
    assert leftovers == []
    for count in [int(m.group(1)) for m in re.finditer(r"^(\d+) written to ", err, re.MULTILINE)]:
        out = next(a for i, a in enumerate(args) if args[i - 1] == "-o")
        written = [p for p in Path(out).rglob("*") if p.is_file() and p.name != MANIFEST_NAME] \
            if Path(out).is_dir() else \
            [Path(out)] if Path(out).exists() else []
        assert len(written) == count


def test_the_table_covers_every_command_and_sixty_cases():
    assert len(CASES) >= 60
    from stylert.cli import COMMANDS

    assert {c[1][0] for c in CASES} == set(COMMANDS)
