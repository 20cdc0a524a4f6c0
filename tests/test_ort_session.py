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


def _relu_model(op="Relu", domain="", opset=18, ir_version=10):
    from onnx import TensorProto, helper, numpy_helper

    import numpy as np

    weight = numpy_helper.from_array(np.ones((3, 3, 1, 1), np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]), helper.make_node(op, ["c"], ["y"], domain=domain)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])],
                              initializer=[weight])
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(graph, opset_imports=opsets, ir_version=ir_version)


@pytest.mark.parametrize("model, said", [
    (lambda: _relu_model(opset=99), r"m.onnx is stamped with opset 99 of ai.onnx, and this onnxruntime \([\w.]+\) "
                                    r"reads up to opset \d+: install a newer onnxruntime or export it at a lower "
                                    r"opset$"),
    (lambda: _relu_model(ir_version=99), r"m.onnx is written in ONNX IR version 99, and this onnxruntime \([\w.]+\) "
                                         r"reads up to \d+: install a newer onnxruntime or save it at a lower IR"),
    (lambda: _relu_model("Frobnicate"), r"m.onnx uses the operator Frobnicate, which this onnxruntime \([\w.]+\) does "
                                        r"not have at opset 18$"),
    (lambda: _relu_model("Relu", domain="com.example"), r"m.onnx uses the operator Relu of the com.example domain, "
                                                        r"which this onnxruntime \([\w.]+\) does not have"),
])
def test_a_model_onnxruntime_cannot_load_says_why_in_words(tmp_path, model, said):
    """ONNX Runtime's own message named its C++ source file and function signature (300 characters of it before
    the reason, for a newer opset); the reason is said, with what to do."""
    import re

    from stylert.errors import BadModelFile
    from stylert.export.adopt import model_session

    path = tmp_path / "m.onnx"
    path.write_bytes(model().SerializeToString())
    with pytest.raises(BadModelFile) as err:
        model_session(path, None)
    assert re.fullmatch(re.escape(str(tmp_path)) + "/" + said + ".*", str(err.value)), str(err.value)
    assert "onnxruntime_src" not in str(err.value) and "::" not in str(err.value)


def test_a_model_whose_weights_file_is_missing_names_it(tmp_path):
    import onnx

    from stylert.errors import BadModelFile
    from stylert.export.adopt import model_session

    onnx.save_model(_relu_model(), str(tmp_path / "m.onnx"), save_as_external_data=True, location="m.weights",
                    size_threshold=0)
    (tmp_path / "m.weights").unlink()
    with pytest.raises(BadModelFile, match=r"m.onnx keeps its weights in m.weights beside it, and that file is "
                                           r"missing: copy it along with the .onnx$"):
        model_session(tmp_path / "m.onnx", None)


def test_onnxruntimes_other_words_lose_its_lead_source_file_and_signature():
    from stylert.ort_session import _ort_words

    said = ("[ONNXRuntimeError] : 1 : FAIL : Load model from m.onnx failed:/onnxruntime_src/onnxruntime/core/graph/"
            "model.cc:256 onnxruntime::Model::Model(onnx::ModelProto&&, const std::map<int, int>&) const Bad thing: 3\n"
            "more")
    assert _ort_words(said) == "Bad thing: 3"
    assert _ort_words("[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Protobuf parsing failed.") == \
        "Protobuf parsing failed."
