import re
import subprocess
import sys

import pytest
import torch

from tests.processes import INTERRUPTIBLE


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "stylert", "train", *args], capture_output=True, text=True,
                          timeout=300)


def _one_error_line(r):
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    return [line for line in r.stderr.splitlines() if line.startswith("stylert: error")][0]


def test_bad_training_inputs(tiny_data):
    base = ["--content", str(tiny_data / "content"), "-o", str(tiny_data / "runs" / "o.pth"), "--steps", "1",
            "--image-size", "32"]
    (tiny_data / "empty").mkdir()
    (tiny_data / "bad.png").write_bytes(b"not a png")
    torch.save({"features.0.weight": torch.zeros(3, 3, 3, 3)}, tiny_data / "wrong_vgg.pth")
    style = ["--style-image", str(tiny_data / "style.png")]
    assert "content: no image files" in _one_error_line(
        _cli("--content", str(tiny_data / "empty"), "-o", str(tiny_data / "o.pth"), *style))
    assert "bad.png is text, not an image" in _one_error_line(_cli(*base, "--style-image", str(tiny_data / "bad.png")))
    assert "style image: input not found: " in _one_error_line(_cli(*base, "--style-image", str(tiny_data / "no.png")))
    assert "VGG weights file not found" in _one_error_line(
        _cli(*base, *style, "--features", "vgg16", "--vgg-weights", str(tiny_data / "nope.pth")))
    assert "never downloads" in _one_error_line(_cli(*base, *style, "--features", "vgg19"))
    assert "does not hold torchvision vgg16 weights: 25 of the network's 26 tensors are missing (features.0.bias" in \
        _one_error_line(_cli(*base, *style, "--features", "vgg16", "--vgg-weights", str(tiny_data / "wrong_vgg.pth")))
    assert re.fullmatch(r"stylert: error: a training step at --image-size 100000 and --batch-size 4 needs about "
                        r"[\d.]+ GiB of memory, and [\d.]+ GiB is free here; --image-size \d+ fits",
                        _one_error_line(_cli(*base[:-1], "100000", *style)))
    assert not (tiny_data / "o.pth").exists() and not (tiny_data / "runs").exists()  # no empty folder left either
    long = str(tiny_data / f"{'t' * 248}.pth")  # fits; its loss report's name (+ _losses.csv) does not
    line = _one_error_line(_cli(*base[:3], long, *base[4:], *style))
    assert line.startswith("stylert: error: File name too long: ") and line.endswith("_losses.csv")


def test_a_flag_for_a_mode_the_run_is_not_in_is_refused_not_ignored(tiny_data):
    base = ["--content", str(tiny_data / "content"), "--style-image", str(tiny_data / "style.png"), "-o",
            str(tiny_data / "runs" / "o.pth"), "--steps", "1", "--image-size", "32"]
    for flags, says in ((["--vgg-weights", "vgg16.pth"], "--vgg-weights is for --features vgg16 or vgg19"),
                        (["--adv-weight", "0.5"], "--adv-weight weighs the discriminator's loss, with --adversarial"),
                        (["--mse-weight", "2"], "--mse-weight weighs the pixel difference to --paired targets"),
                        (["--resume", ""], "argument --resume: is empty"),
                        (["--paired", " "], "argument --paired: is empty")):
        assert says in _one_error_line(_cli(*base, *flags))
    assert not (tiny_data / "runs").exists()  # refused before -o's folder is made


def test_a_vgg_weights_file_that_is_not_one_is_named_in_one_line(tiny_data):
    vgg = ["--content", str(tiny_data / "content"), "--style-image", str(tiny_data / "style.png"), "-o",
           str(tiny_data / "o.pth"), "--steps", "1", "--image-size", "32", "--features", "vgg16", "--vgg-weights"]
    (tiny_data / "empty.pth").write_bytes(b"")
    (tiny_data / "junk.pth").write_bytes(b"\x80\x02junk")  # a pickle cut short
    (tiny_data / "notes.pth").write_text("weights: see the wiki\n")
    torch.save(torch.zeros(3), tiny_data / "tensor.pth")
    expected = {"empty.pth": "empty.pth is an empty file, not a torchvision vgg16 weights file",
                "junk.pth": "junk.pth is not a readable torchvision vgg16 weights file (truncated, corrupt",
                "notes.pth": "notes.pth is text, not a torchvision vgg16 weights file",
                "style.png": "style.png is a PNG picture, not a torchvision vgg16 weights file",
                "tensor.pth": "tensor.pth holds a Tensor, not a state dict of torchvision vgg16 weights"}
    for name, message in expected.items():
        assert message in _one_error_line(_cli(*vgg, str(tiny_data / name)))
    assert not (tiny_data / "o.pth").exists()
    weights = str(tiny_data / "junk.pth")  # -o naming the weights read is refused, --overwrite or not
    over = [weights if arg == str(tiny_data / "o.pth") else arg for arg in vgg]
    assert "is the --vgg-weights file; name another file" in _one_error_line(_cli(*over, weights, "--overwrite"))
    assert (tiny_data / "junk.pth").read_bytes() == b"\x80\x02junk"


def test_a_diverging_run_says_so_and_keeps_the_last_checkpoint(tiny_data):
    run = ["--content", str(tiny_data / "content"), "--style-image", str(tiny_data / "style.png"), "-o",
           str(tiny_data / "s.pth"), "--image-size", "32", "--batch-size", "1", "--sample-every", "0"]
    assert _cli(*run, "--steps", "2").returncode == 0
    earlier = (tiny_data / "s.pth").read_bytes()
    line = _one_error_line(_cli(*run, "--steps", "40", "--resume", str(tiny_data / "s.pth"), "--lr", "1e12",
                                "--checkpoint-every", "0"))
    assert "training diverged at step" in line and "lower --lr (it is 1e+12)" in line
    assert f"s.pth is kept as it was at step 2; the losses up to it: {tiny_data / 's_losses.csv'} and " in line
    assert (tiny_data / "s.pth").read_bytes() == earlier
    line = _one_error_line(_cli(*run, "--steps", "40", "--lr", "1e12", "-o", str(tiny_data / "new.pth")))
    assert "no weights were saved" in line and not (tiny_data / "new.pth").exists()
    assert (tiny_data / "new_losses.csv").exists()  # how the losses rose to it, for choosing the next --lr


def test_train_cli_writes_a_checkpoint_with_losses(tiny_data):
    r = _cli("--content", str(tiny_data / "content"), "--style-image", str(tiny_data / "style.png"),
             "-o", str(tiny_data / "s.pth"), "--steps", "3", "--image-size", "32", "--batch-size", "1")
    assert r.returncode == 0, r.stderr
    assert "saved" in r.stderr and "style" in r.stderr
    ckpt = torch.load(tiny_data / "s.pth", weights_only=True)
    assert ckpt["step"] == 3 and set(ckpt["losses"]) >= {"content", "style", "tv", "total"}
    table = (tiny_data / "s_losses.csv").read_text().splitlines()
    assert table[0].split(",")[0] == "step" and [row.split(",")[0] for row in table[1:]] == ["1", "2", "3"]
    assert (tiny_data / "s_losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"losses: {tiny_data / 's_losses.csv'} and {tiny_data / 's_losses.png'}" in r.stderr


def test_an_earlier_runs_checkpoint_is_kept_unless_resumed_or_overwritten(tiny_data):
    run = ["--content", str(tiny_data / "content"), "--style-image", str(tiny_data / "style.png"), "-o",
           str(tiny_data / "s.pth"), "--image-size", "32", "--batch-size", "1", "--sample-every", "0"]
    assert _cli(*run, "--steps", "2").returncode == 0
    earlier = (tiny_data / "s.pth").read_bytes()
    line = _one_error_line(_cli(*run, "--steps", "3"))
    assert "s.pth already exists" in line and "--resume" in line and "--overwrite" in line
    line = _one_error_line(_cli(*run, "--steps", "2", "--resume", str(tiny_data / "s.pth")))
    assert "already at step 2, and --steps asks for 2" in line and "--steps 4" in line
    assert (tiny_data / "s.pth").read_bytes() == earlier  # neither refusal touched it
    r = _cli(*run, "--steps", "3", "--resume", str(tiny_data / "s.pth"))
    assert r.returncode == 0 and "steps 2->3" in r.stderr, r.stderr
    assert torch.load(tiny_data / "s.pth", weights_only=True)["step"] == 3
    r = _cli(*run, "--steps", "1", "--overwrite")
    assert r.returncode == 0 and torch.load(tiny_data / "s.pth", weights_only=True)["step"] == 1, r.stderr


@pytest.mark.parametrize("stop, code, said", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "stopped by SIGTERM")])
def test_ctrl_c_or_a_job_limit_saves_a_checkpoint_that_resumes(tiny_data, stop, code, said):
    """A SLURM or Kubernetes job past its time gets SIGTERM: training saves where it is, as for Ctrl-C."""
    import signal
    import time

    out = tiny_data / "int.pth"
    samples = tiny_data / "int_samples"
    proc = subprocess.Popen([sys.executable, "-m", "stylert", "train", "--content", str(tiny_data / "content"),
                             "--style-image", str(tiny_data / "style.png"), "-o", str(out), "--steps", "100000",
                             "--image-size", "32", "--batch-size", "1", "--checkpoint-every", "0",
                             "--sample-every", "5"], stderr=subprocess.PIPE, text=True, **INTERRUPTIBLE)
    deadline = time.time() + 120
    while time.time() < deadline and not (samples.is_dir() and any(samples.iterdir())):
        time.sleep(0.2)  # training has started once the first sample strip is written
    proc.send_signal(getattr(signal, stop))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code and f"{said} at step" in err and "Traceback" not in err
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["step"] >= 5 and "optimizer" in ckpt


def test_unreadable_content_images_are_skipped_and_named(tiny_data):
    """A broken image found mid-run does not end hours of training: it is set aside with one line, training
    finishes and saves, and the exit code says some inputs failed."""
    (tiny_data / "content" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n cut off")
    r = _cli("--content", str(tiny_data / "content"), "--style-image", str(tiny_data / "style.png"),
             "-o", str(tiny_data / "s.pth"), "--steps", "12", "--image-size", "32", "--batch-size", "2")
    assert r.returncode == 1, r.stderr
    failed = [line for line in r.stderr.splitlines() if line.startswith("stylert: failed:")]
    assert len(failed) == 1 and "broken.png is not a readable image" in failed[0] and "Traceback" not in r.stderr
    assert torch.load(tiny_data / "s.pth", weights_only=True)["step"] == 12


def test_a_style_image_read_despite_damage_is_used_and_said_once(tiny_data):
    import cv2

    from tests.media import cut_jpeg

    (tiny_data / "style.jpg").write_bytes(cut_jpeg(cv2.imread(str(tiny_data / "style.png"))))
    r = _cli("--content", str(tiny_data / "content"), "--style-image", str(tiny_data / "style.jpg"),
             "-o", str(tiny_data / "s.pth"), "--steps", "4", "--image-size", "32", "--batch-size", "1")
    assert r.returncode == 1, r.stderr
    said = [line for line in r.stderr.replace("\r", "\n").splitlines() if "Corrupt JPEG" in line]
    assert len(said) == 1 and said[0].startswith(f"stylert: {tiny_data / 'style.jpg'}: read despite damage (")
    assert said[0].endswith("; training uses what could be decoded")
    assert torch.load(tiny_data / "s.pth", weights_only=True)["step"] == 4


def test_a_checkpoint_name_that_is_not_utf8_trains_charts_and_exports(tiny_data):
    """-o caf\xe9.pth (a Latin-1 name): the loss chart's title, then the ONNX metadata, took no such name and the
    run ended as an internal error."""
    import os

    import onnx

    from stylert.cli import main

    out = os.fsdecode(os.fsencode(tiny_data) + b"/caf\xe9.pth")
    r = _cli("--content", str(tiny_data / "content"), "--style-image", str(tiny_data / "style.png"), "-o", out,
             "--steps", "2", "--image-size", "32", "--batch-size", "1")
    assert r.returncode == 0, r.stderr
    assert any(p.name.endswith("_losses.png") for p in tiny_data.glob("caf*"))  # the chart, titled
    onnx_out = os.fsdecode(os.fsencode(tiny_data) + b"/caf\xe9.onnx")
    assert main(["export", out, "-o", onnx_out]) == 0
    meta = {p.key: p.value for p in onnx.load(onnx_out).metadata_props}
    assert meta["stylert.style"] == "caf\ufffd"


def test_paired_mode_names_the_content_it_leaves_out_and_counts_epochs_in_pairs(tiny_data):
    """Content photos without a target of the same name were left out without a word, the run was called
    'perceptual', and --epochs counted every content photo; now the left-out ones are named and an epoch is one
    pass over the pairs."""
    (tiny_data / "targets" / "c2.png").unlink()
    r = _cli("--content", str(tiny_data / "content"), "--paired", str(tiny_data / "targets"), "-o",
             str(tiny_data / "p.pth"), "--epochs", "3", "--image-size", "32", "--batch-size", "1",
             "--sample-every", "0")
    assert r.returncode == 0, r.stderr
    assert "lite generator, random features, paired, steps 0->6, on cpu" in r.stderr  # 3 passes over 2 pairs
    assert (f"paired mode: 2 of 3 content images have a target of the same name in {tiny_data / 'targets'}; "
            "left out: c2.png") in r.stderr
    assert torch.load(tiny_data / "p.pth", weights_only=True)["step"] == 6


@pytest.mark.parametrize("gpu,flag,trains_on", [(True, [], "cuda"), (False, [], "cpu"),
                                                (True, ["--device", "cpu"], "cpu")])
def test_training_goes_to_the_gpu_torch_sees_unless_told_otherwise(tiny_data, monkeypatch, gpu, flag, trains_on):
    """--device defaulted to cpu: a researcher on a GPU machine trained on its CPU without a word."""
    import stylert.train.trainer as trainer_module
    from stylert.cli import main
    from stylert.errors import StylertError

    devices = []

    class Recorded:
        def __init__(self, config):
            devices.append(config.device)
            raise StylertError("recorded")

    monkeypatch.setattr(trainer_module, "Trainer", Recorded)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)
    argv = ["train", "--content", str(tiny_data / "content"), "--style-image", str(tiny_data / "style.png"), "-o",
            str(tiny_data / "o.pth"), "--steps", "1", *flag]
    assert main(argv) == 2 and devices == [trains_on]
