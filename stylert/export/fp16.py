"""fp32 ONNX -> mixed-precision fp16 ONNX for strongly typed TensorRT (precision lives in the graph).

- Input and output stay float32 (Cast nodes at the edges), so every backend keeps one convention.
- Convolutions, activations, padding, upsampling and adds run in float16.
- InstanceNormalization runs in float32 (Cast in and out): its per-image mean and variance
  over large feature maps lose too much in float16.
- Resize's scales/roi stay float32, as the ONNX spec requires.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from stylert._lazy import require
from stylert.model_info import ONNX_IR_VERSION, with_precision

KEEP_FP32_INPUTS = {"InstanceNormalization": (1, 2), "Resize": (1, 2)}  # op -> input slots that stay float32


def _fp32_only_names(graph) -> set[str]:
    names = set()
    for node in graph.node:
        for slot in KEEP_FP32_INPUTS.get(node.op_type, ()):
            if slot < len(node.input) and node.input[slot]:
                names.add(node.input[slot])
    return names


def save_fp16(fp32_onnx: Path, out: Path) -> Path:
    """Write the mixed-precision version of ``fp32_onnx`` to ``out`` (atomically)."""
    onnx = require("onnx", "fp16 export")
    from stylert.atomic_files import atomic_output

    with atomic_output(out) as tmp:
        onnx.save(convert_to_fp16(onnx.load(str(fp32_onnx))), str(tmp))
    return out


def convert_to_fp16(model):
    """Rewrite an onnx.ModelProto in place to mixed precision; returns it."""
    onnx = require("onnx", "fp16 export")
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    keep = _fp32_only_names(graph)
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT and init.name not in keep:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name))
    for node in graph.node:
        if node.op_type == "Constant" and node.output[0] not in keep:
            for attr in node.attribute:
                if attr.name == "value" and attr.t.data_type == TensorProto.FLOAT:
                    attr.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(attr.t).astype(np.float16)))

    consumers: dict[str, list] = defaultdict(list)
    for node in graph.node:
        for i, name in enumerate(node.input):
            consumers[name].append((node, i))

    new_nodes = []
    for inp in graph.input:  # float32 in, float16 inside
        cast = helper.make_node("Cast", [inp.name], [inp.name + "_fp16"], to=TensorProto.FLOAT16,
                                name=inp.name + "_to_fp16")
        for node, i in consumers[inp.name]:
            node.input[i] = cast.output[0]
        new_nodes.append(cast)
    for node in graph.node:
        if node.op_type == "InstanceNormalization":  # float32 statistics
            to32 = helper.make_node("Cast", [node.input[0]], [node.name + "_x_fp32"], to=TensorProto.FLOAT,
                                    name=node.name + "_to_fp32")
            y32 = node.output[0] + "_fp32"
            to16 = helper.make_node("Cast", [y32], [node.output[0]], to=TensorProto.FLOAT16,
                                    name=node.name + "_to_fp16")
            node.input[0], node.output[0] = to32.output[0], y32
            new_nodes += [to32, node, to16]
        else:
            new_nodes.append(node)
    for out in graph.output:  # float16 inside, float32 out
        inner = out.name + "_fp16"
        for node in new_nodes:
            for i, name in enumerate(node.output):
                if name == out.name:
                    node.output[i] = inner
        new_nodes.append(helper.make_node("Cast", [inner], [out.name], to=TensorProto.FLOAT,
                                          name=out.name + "_to_fp32"))
    del graph.node[:]
    graph.node.extend(new_nodes)
    del graph.value_info[:]
    with_precision(model, "fp16")
    model.ir_version = ONNX_IR_VERSION
    onnx.checker.check_model(model)
    return model
