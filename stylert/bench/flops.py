"""Multiply-add count of an ONNX model's convolutions at a given input size."""
from __future__ import annotations

from pathlib import Path

from stylert._lazy import require


def conv_flops(onnx_path: str | Path, height: int, width: int, batch: int = 1) -> float:
    """2 x MACs of every Conv/ConvTranspose (the bulk of a style network's work)."""
    onnx = require("onnx", "FLOP counting")
    from onnx import numpy_helper, shape_inference

    model = onnx.load(str(onnx_path))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for dim, value in zip(dims, (batch, 3, height, width)):
        dim.Clear()
        dim.dim_value = value
    model = shape_inference.infer_shapes(model, data_prop=True)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(model.graph.value_info) + list(model.graph.output)}
    weights = {t.name: numpy_helper.to_array(t).shape for t in model.graph.initializer}
    weights |= {n.output[0]: numpy_helper.to_array(n.attribute[0].t).shape
                for n in model.graph.node if n.op_type == "Constant" and n.attribute and n.attribute[0].t.dims}
    total = 0.0
    for node in model.graph.node:
        if node.op_type not in ("Conv", "ConvTranspose") or node.input[1] not in weights:
            continue
        w = weights[node.input[1]]  # Conv: (out, in/g, kh, kw); ConvTranspose: (in, out/g, kh, kw)
        if node.op_type == "Conv":
            out = shapes.get(node.output[0])
            if not out or 0 in out:
                continue
            total += 2.0 * out[0] * out[2] * out[3] * w[0] * w[1] * w[2] * w[3]
        else:
            src = shapes.get(node.input[0])
            if not src or 0 in src:
                continue
            total += 2.0 * src[0] * src[2] * src[3] * w[0] * w[1] * w[2] * w[3]
    return total

