"""ONNX files stylert did not write, made in code for the tests."""
from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper


def zoo_style_copy(onnx_path: Path, target: Path) -> Path:
    """The network at ``onnx_path`` as a model zoo would ship it: input1 and output1, both declared 1x3x64x64,
    intermediate shapes annotated at that size, no stylert metadata."""
    model = onnx.load(str(onnx_path))
    renames = {model.graph.input[0].name: "input1", model.graph.output[0].name: "output1"}
    for value in (*model.graph.input, *model.graph.output):
        value.name = renames[value.name]
        for dim, size in zip(value.type.tensor_type.shape.dim, (1, 3, 64, 64)):
            dim.dim_value = size
    for node in model.graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
    del model.metadata_props[:]
    model = onnx.shape_inference.infer_shapes(model)
    assert len(model.graph.value_info) > 0
    onnx.save(model, target)
    return target


def non_image_network(path: Path) -> None:
    """An ONNX file that takes an image and returns its mean: not image-to-image."""
    graph = helper.make_graph([helper.make_node("ReduceMean", ["x"], ["y"], keepdims=0)], "mean",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
