import re

import onnx

from stylert.cli import main


def test_export_prints_parity_at_two_sizes(tmp_path, small_cyclegan_pth, capsys):
    out = tmp_path / "h2z.onnx"
    assert main(["export", str(small_cyclegan_pth), "-o", str(out), "--name", "tiny"]) == 0
    text = capsys.readouterr().out
    diffs = [float(x) for x in re.findall(r"max abs diff ([0-9.e+-]+)", text)]
    assert len(diffs) == 2 and max(diffs) <= 0.5
    assert "1x3x252x336" in text  # 250x333 padded to the multiple of 4
    meta = {p.key: p.value for p in onnx.load(out).metadata_props}
    assert meta["stylert.style"] == "tiny" and meta["stylert.architecture"] == "cyclegan_resnet"


def test_export_refuses_unknown_checkpoint(tmp_path, capsys):
    import torch

    torch.save({"linear.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    assert main(["export", str(tmp_path / "other.pth"), "-o", str(tmp_path / "o.onnx")]) == 2
    assert "unknown checkpoint architecture" in capsys.readouterr().err
    assert not (tmp_path / "o.onnx").exists()
