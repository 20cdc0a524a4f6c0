"""Every ONNX file stylert writes uses ONNX_IR_VERSION, which every onnxruntime it supports (>= 1.19) reads."""
import onnx

from stylert.model_info import ONNX_IR_VERSION


def test_every_written_graph_has_the_supported_ir_version(lite_onnx, tmp_path):
    from stylert.export.engine_cache import plugin_onnx, precision_onnx
    from stylert.export.frozen_stats import frozen_stats_onnx

    written = [lite_onnx, precision_onnx(lite_onnx, "fp16"), precision_onnx(lite_onnx, "int8"),
               frozen_stats_onnx(lite_onnx)[0], plugin_onnx(lite_onnx)]
    assert ONNX_IR_VERSION <= 10
    for path in written:
        assert onnx.load(str(path), load_external_data=False).ir_version == ONNX_IR_VERSION, path
