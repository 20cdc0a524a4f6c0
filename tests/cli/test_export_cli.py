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


def test_a_built_in_style_is_exported_by_its_name_and_its_weights(tmp_path, capsys, monkeypatch):
    """stylert export mosaic (any case) exports the built-in's checkpoint; build-engine mosaic takes its ONNX."""
    from stylert.styles import STYLES_DIR

    monkeypatch.chdir(tmp_path)  # no file named mosaic here
    out = tmp_path / "m.onnx"
    assert main(["export", "Mosaic", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out and not list(tmp_path.glob("Mosaic*"))
    meta = {p.key: p.value for p in onnx.load(out).metadata_props}
    assert meta["stylert.style"] == "mosaic"
    def weights(path):  # the network's own, by their names; not the exporter's constants (val_0, ...), which
        return {t.name: t.raw_data for t in onnx.load(path).graph.initializer if not t.name.startswith("val_")}

    shipped = weights(STYLES_DIR / "mosaic.onnx")  # torch 2.5 writes fewer of those than the torch that made it
    assert weights(out) == shipped and len(shipped) > 10  # the same weights as the shipped model
    assert main(["export", "mosaik", "-o", str(out)]) == 2
    assert "checkpoint not found: mosaik" in capsys.readouterr().err
    (tmp_path / "folder").mkdir()
    assert main(["build-engine", "folder", "-o", str(tmp_path / "m.engine")]) == 2
    assert "folder is a folder; name the ONNX model in it" in capsys.readouterr().err


def test_build_engine_flags_are_checked_before_tensorrt_is_needed(tmp_path, capsys, monkeypatch):
    """On a machine with TensorRT a timing cache that is a folder failed after the build; --calib without int8 was
    ignored. They, and a plugin library that is not one, are said first, here as on a GPU machine (ahead of
    'build-engine needs TensorRT')."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photos").mkdir()
    for flags, says in ((["--calib", "photos"], "--calib is for --precision int8"),
                        (["--precision", "int8", "--calib", "nope"], "--calib nope: not found"),
                        (["--timing-cache", "photos"], "--timing-cache photos is a folder; name the cache file"),
                        (["--plugins", "photos"], "plugin library photos is a folder; name the library in it")):
        assert main(["build-engine", "mosaic", "-o", "m.engine", *flags]) == 2
        assert f"stylert: error: {says}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [tmp_path / "photos"]


def test_a_pix2pix_unet_exports_and_stylises_any_size_but_is_never_tiled(tmp_path, capsys):
    """A UnetGenerator downsamples by 2 ** levels (128 here): the export traces from that size up, frames of
    any size are padded to it and cropped back, ONNX Runtime agrees with PyTorch, and tiles are refused."""
    import cv2
    import numpy as np
    import torch

    from tests.checkpoints import published_unet

    (tmp_path / "edges2shoes").mkdir()
    pth = tmp_path / "edges2shoes" / "latest_net_G.pth"
    torch.save(published_unet(7, ngf=4).state_dict(), pth)
    out = tmp_path / "e2s.onnx"
    assert main(["export", str(pth), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "pix2pix_unet (unet_128_ngf4), style 'edges2shoes'" in text and "1x3x256x384" in text
    assert max(float(x) for x in re.findall(r"max abs diff ([0-9.e+-]+)", text)) <= 0.5
    photo = (np.random.default_rng(0).random((45, 70, 3)) * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "edges.png"), photo)
    for backend, style in (("onnxruntime", out), ("torch", pth)):
        assert main(["stylize", str(tmp_path / "edges.png"), "-o", str(tmp_path / f"{backend}.png"), "-s", str(style),
                     "--backend", backend]) == 0
    onnx_out, torch_out = (cv2.imread(str(tmp_path / f"{b}.png")).astype(int) for b in ("onnxruntime", "torch"))
    assert onnx_out.shape == (45, 70, 3) and np.abs(onnx_out - torch_out).max() <= 1
    capsys.readouterr()
    assert main(["stylize", str(tmp_path / "edges.png"), "-o", str(tmp_path / "tiled.png"), "-s", str(out),
                 "--tile", "128"]) == 2
    assert "downsamples by 128, so each output pixel depends on the whole frame and it cannot be cut into tiles" \
        in capsys.readouterr().err


def test_precision_int8_is_the_int8_export_as_stylize_and_build_engine_spell_it(tmp_path, small_cyclegan_pth,
                                                                                 capsys, photo):
    """export took --int8 only, and --precision int8 (the word the other commands take) was an invalid choice."""
    from stylert.frames.images import write_image

    write_image(tmp_path / "calib" / "a.png", photo[:64, :64])
    out = tmp_path / "h2z_int8.onnx"
    assert main(["export", str(small_cyclegan_pth), "-o", str(out), "--precision", "int8", "--calib",
                 str(tmp_path / "calib")]) == 0
    assert f"wrote {out}: int8 Q/DQ cyclegan_resnet" in capsys.readouterr().out
    assert any(node.op_type == "QuantizeLinear" for node in onnx.load(out).graph.node)
