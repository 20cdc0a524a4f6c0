import onnx

from stylert.cli import main


def test_int8_export_is_qdq_keeps_instance_norm_float_and_reports_psnr(tmp_path, lite_pth, capsys):
    out = tmp_path / "q.onnx"
    assert main(["export", str(lite_pth), "-o", str(out), "--int8"]) == 0
    text = capsys.readouterr().out
    assert "PSNR" in text
    model = onnx.load(out)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("QuantizeLinear") > 0 and ops.count("DequantizeLinear") > 0
    producer = {o: n for n in model.graph.node for o in n.output}
    norms = [n for n in model.graph.node if n.op_type == "InstanceNormalization"]
    assert norms
    chains = []
    for norm in norms:  # float InstanceNorm on the (dequantised) conv output
        chain = [producer[norm.input[0]]]
        while chain[-1].op_type in ("DequantizeLinear", "QuantizeLinear"):
            chain.append(producer[chain[-1].input[0]])
        chains.append([n.op_type for n in chain])
        assert norm.input[1] not in producer or producer[norm.input[1]].op_type != "DequantizeLinear"
    # the first convolution stays fp32 (measured: more accurate and faster); the others are int8
    assert chains[0] == ["Conv"] and all(c == ["DequantizeLinear", "QuantizeLinear", "Conv"] for c in chains[1:])
    assert {p.key: p.value for p in model.metadata_props}["stylert.precision"] == "int8"


def test_int8_with_empty_calibration_folder_is_one_error(tmp_path, lite_pth, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["export", str(lite_pth), "-o", str(tmp_path / "q.onnx"), "--int8", "--calib",
                 str(tmp_path / "empty")]) == 2
    assert "no calibration images" in capsys.readouterr().err


def test_calibration_leaves_out_a_photo_that_does_not_read_whole_and_takes_the_next(tmp_path, photo, lite_pth,
                                                                                     capsys):
    """One broken photo in a calibration folder ended the export; a damaged one skewed the ranges unsaid."""
    import cv2
    import pytest

    from stylert.errors import NoInputs
    from stylert.export.quantize import calibration_batches
    from tests.media import cut_jpeg

    calib = tmp_path / "calib"
    calib.mkdir()
    data = cv2.imencode(".jpg", photo[:64, :80])[1].tobytes()
    (calib / "a_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n cut off")
    (calib / "b_damaged.jpg").write_bytes(cut_jpeg(photo[:64, :80]))
    for name in ("c_good.jpg", "d_good.jpg"):
        (calib / name).write_bytes(data)
    heard: list[str] = []
    batches = calibration_batches(calib, size=32, limit=1, on_skip=heard.append)
    assert len(batches) == 1 and batches[0].shape == (1, 3, 32, 32)
    assert [line.split(" ")[0].split("/")[-1] for line in heard] == ["a_broken.png", "b_damaged.jpg"]
    assert all(line.endswith("left out of the calibration") for line in heard)
    assert len(calibration_batches(calib, size=32)) == 2  # the limit counts photos taken
    for name in ("c_good.jpg", "d_good.jpg"):
        (calib / name).unlink()
    with pytest.raises(NoInputs, match="no calibration image reads whole"):
        calibration_batches(calib, size=32)
    assert main(["export", str(lite_pth), "-o", str(tmp_path / "q.onnx"), "--int8", "--calib", str(calib)]) == 2
    assert "no calibration image reads whole" in capsys.readouterr().err


def test_fp16_export_keeps_float32_io_and_instance_norm(tmp_path, lite_pth, capsys):
    out = tmp_path / "h.onnx"
    assert main(["export", str(lite_pth), "-o", str(out), "--precision", "fp16"]) == 0
    assert "fp16 vs fp32" in capsys.readouterr().out
    model = onnx.load(out)
    float32, float16 = onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16
    assert model.graph.input[0].type.tensor_type.elem_type == float32
    assert model.graph.output[0].type.tensor_type.elem_type == float32
    convs = [i for i in model.graph.initializer if i.name.endswith("conv2d.weight")]
    assert convs and all(i.data_type == float16 for i in convs)
    producer = {o: n for n in model.graph.node for o in n.output}
    for norm in (n for n in model.graph.node if n.op_type == "InstanceNormalization"):
        cast = producer[norm.input[0]]
        assert cast.op_type == "Cast" and cast.attribute[0].i == float32


def test_int8_from_a_model_whose_weights_are_not_numbers_is_one_error(tmp_path, lite_onnx):
    """ONNX Runtime's calibration stopped on an assertion ("scale issue") after NumPy's All-NaN warnings."""
    import numpy as np
    import pytest

    from stylert.errors import BadModelFile
    from stylert.export.quantize import quantize_int8

    model = onnx.load(lite_onnx)
    weight = next(t for t in model.graph.initializer if len(t.dims) == 4)
    values = onnx.numpy_helper.to_array(weight).copy()
    values.flat[0] = np.nan
    weight.CopyFrom(onnx.numpy_helper.from_array(values, weight.name))
    onnx.save(model, tmp_path / "damaged.onnx")
    with pytest.raises(BadModelFile, match=rf"damaged.onnx: its weights are not all numbers \(NaN or infinity in "
                                           rf"{weight.name}\): the file is damaged"):
        quantize_int8(tmp_path / "damaged.onnx", tmp_path / "q.onnx", [np.zeros((1, 3, 32, 32), np.float32)])
    assert not (tmp_path / "q.onnx").exists()
