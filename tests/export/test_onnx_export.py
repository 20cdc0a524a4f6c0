import re

import numpy as np
import onnx
import pytest

from stylert.export.onnx_export import export_onnx
from stylert.export.parity import parity_batches
from stylert.models.checkpoint import load_checkpoint

SIZES = ((64, 64), (50, 70))  # the second is not a multiple of 4 until padded


@pytest.fixture(scope="module", params=["transformer", "cyclegan"])
def exported(request, tmp_path_factory):
    pth = request.getfixturevalue("lite_pth" if request.param == "transformer" else "small_cyclegan_pth")
    model = load_checkpoint(pth)
    out = tmp_path_factory.mktemp("exp") / f"{request.param}.onnx"
    batches = parity_batches(None, SIZES, model.size_multiple)
    batches += [np.concatenate([b] * 3) for b in batches]  # batch of 3
    return model, export_onnx(model, out, parity_images=batches)


def test_parity_batch_1_and_3_two_sizes(exported):
    model, result = exported
    shapes = [shape for shape, _ in result.parity]
    assert {s[0] for s in shapes} == {1, 3} and {s[2:] for s in shapes} == {(64, 64), (52, 72)}
    for shape, diff in result.parity:
        assert diff <= 0.5, (shape, diff)


def test_graph_is_dynamic_checked_and_carries_metadata(exported):
    model, result = exported
    proto = onnx.load(result.path)
    onnx.checker.check_model(proto)
    dims = [d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims[0] and dims[2] and dims[3] and proto.graph.input[0].type.tensor_type.shape.dim[1].dim_value == 3
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["stylert.architecture"] == model.architecture
    assert meta["stylert.io"] == "rgb_nchw_float32_0_255"
    assert meta["stylert.size_multiple"] == "4"
    assert meta["stylert.style"] == model.style


def test_reflection_padding_stays_reflection(exported):
    _, result = exported
    pads = [n for n in onnx.load(result.path).graph.node if n.op_type == "Pad"]
    assert pads, "the networks pad with reflection; the graph must too"
    modes = {a.s.decode() for n in pads for a in n.attribute if a.name == "mode"}
    assert modes == {"reflect"}


def test_output_is_not_trivial(exported):
    """Parity means little if the output were a constant clamp; check it varies with the input."""
    import onnxruntime as ort

    _, result = exported
    session = ort.InferenceSession(str(result.path))
    batch = parity_batches(None, ((64, 64),), 4)[0]
    out = session.run(None, {"input": batch})[0]
    assert out.std() > 1.0 and 0 <= out.min() and out.max() <= 255


def test_a_trace_with_a_fixed_batch_is_refused_and_nothing_written(lite_pth, tmp_path, monkeypatch):
    """torch 2.5 traced a batch-1 example as a constant batch: the file took one frame at a time. Such a graph
    (stood in for here: batch fixed at 1) is refused in one line, naming the torch version, and not written."""
    import types

    import torch
    from onnx import TensorProto, helper

    from stylert.errors import StylertError

    graph = helper.make_graph([helper.make_node("Identity", ["input"], ["output"])], "g",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "height", "width"])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "height", "width"])])
    monkeypatch.setattr(torch.onnx, "export",
                        lambda *a, **k: types.SimpleNamespace(model_proto=helper.make_model(graph)))
    out = tmp_path / "m.onnx"
    with pytest.raises(StylertError, match=r"traced the network with a fixed batch, so .* one frame size"):
        export_onnx(load_checkpoint(lite_pth), out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_an_onnxscript_too_old_for_the_torch_is_one_line(lite_pth, tmp_path, monkeypatch):
    """torch 2.13's exporter with onnxscript 0.5 (stood in for) stopped with an internal ModuleNotFoundError."""
    import torch

    from stylert.errors import MissingDependency

    def too_old(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'onnxscript._framework_apis.torch_2_11'")

    monkeypatch.setattr(torch.onnx, "export", too_old)
    out = tmp_path / "m.onnx"
    said = (rf"^torch {re.escape(torch.__version__)}'s ONNX exporter does not work with onnxscript [0-9.]+ "
            r"\(No module named 'onnxscript\._framework_apis\.torch_2_11'\): pip install --upgrade onnxscript$")
    with pytest.raises(MissingDependency, match=said):
        export_onnx(load_checkpoint(lite_pth), out)
    assert list(tmp_path.iterdir()) == []


def test_no_traced_size_is_1_where_old_torch_would_fix_it(lite_pth, tmp_path, monkeypatch):
    """torch takes a traced size of 1 for a constant: a batch of 1 (torch 2.5), and a U-Net's deepest level when
    the example is its size multiple (torch 2.5 to 2.9), gave graphs of one frame size. The examples avoid both."""
    import torch

    from stylert.export.onnx_export import to_onnx_proto
    from tests.checkpoints import published_unet

    unet = tmp_path / "unet" / "latest_net_G.pth"
    unet.parent.mkdir()
    torch.save(published_unet(7, ngf=4).state_dict(), unet)
    shapes = []

    def record(module, args, **kwargs):
        shapes.append(tuple(args[0].shape))
        raise RuntimeError("recorded")

    monkeypatch.setattr(torch.onnx, "export", record)
    models = [load_checkpoint(pth) for pth in (lite_pth, unet)]
    for model in models:
        with pytest.raises(RuntimeError, match="recorded"):
            to_onnx_proto(model)
    assert [model.size_multiple for model in models] == [4, 128]
    for (batch, _, height, width), model in zip(shapes, models, strict=True):
        assert batch >= 2 and min(height, width) >= 2 * model.size_multiple
