"""ONNX Runtime's wrapper prints an "EP Error" banner to standard output when a model fails to load; stylert's
sessions keep standard output clean (it may carry a picture, or a bench worker's results)."""
import pytest

from stylert.ort_session import ort_session


def garbled_model() -> bytes:
    """A one-node ONNX model whose op name is not UTF-8: loading it fails with an error ONNX Runtime cannot
    decode, which sets off its fallback banner (as a damaged .onnx did)."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("IdentitX", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    return model.SerializeToString().replace(b"IdentitX", b"Identit\xf2")


def test_a_model_that_fails_to_load_leaves_standard_output_clean(capsys):
    import onnxruntime as ort

    with pytest.raises(UnicodeDecodeError):
        ort.InferenceSession(garbled_model(), providers=["CPUExecutionProvider"])
    assert "EP Error" in capsys.readouterr().out  # what the wrapper does on its own
    with pytest.raises(UnicodeDecodeError):
        ort_session(garbled_model())
    assert capsys.readouterr().out == ""


def test_a_model_whose_file_name_is_not_utf8_loads(tmp_path):
    """ONNX Runtime takes no path that is not UTF-8 ('incompatible constructor arguments'), which stylert said
    was a truncated or corrupt model."""
    import os

    import numpy as np
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    path = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.onnx")
    with open(path, "wb") as file:
        file.write(model.SerializeToString())
    session = ort_session(path)
    assert session.run(None, {"x": np.array([2.5], np.float32)})[0].tolist() == [2.5]
