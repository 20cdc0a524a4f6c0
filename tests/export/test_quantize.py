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
    for norm in norms:  # float InstanceNorm on the dequantised int8 conv output: DQ <- Q <- Conv
        chain = [producer[norm.input[0]]]
        chain += [producer[chain[-1].input[0]], producer[producer[chain[-1].input[0]].input[0]]]
        assert [n.op_type for n in chain] == ["DequantizeLinear", "QuantizeLinear", "Conv"]
        assert norm.input[1] not in producer or producer[norm.input[1]].op_type != "DequantizeLinear"
    assert {p.key: p.value for p in model.metadata_props}["stylert.precision"] == "int8"


def test_int8_with_empty_calibration_folder_is_one_error(tmp_path, lite_pth, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["export", str(lite_pth), "-o", str(tmp_path / "q.onnx"), "--int8", "--calib",
                 str(tmp_path / "empty")]) == 2
    assert "no calibration images" in capsys.readouterr().err
