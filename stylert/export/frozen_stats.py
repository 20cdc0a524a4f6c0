"""ONNX graph pass for tiled inference: every InstanceNormalization takes its statistics from new graph inputs
instead of computing them over its own (tile-sized) input, and every InstanceNorm input becomes a graph
output, so the statistics of the whole frame can be measured tile by tile and then given to every tile.

    InstanceNormalization(x, scale, bias)  ->  (x - stylert_norm{i}_mean) * stylert_norm{i}_rstd * scale + bias

with ``mean`` and ``rstd`` float32 [1, C, 1, 1] inputs, and ``stylert_norm{i}_input`` (= x) an extra output,
``i`` counting the norms in graph order (which is a topological order).
"""
from __future__ import annotations

from pathlib import Path

from stylert._lazy import require
from stylert.atomic_files import atomic_output
from stylert.cache import cache_dir, file_sha256
from stylert.model_info import ONNX_IR_VERSION

PREFIX = "stylert_norm"


def norm_names(i: int) -> tuple[str, str, str]:
    """(mean input, rstd input, norm-input output) of the i-th InstanceNormalization."""
    return f"{PREFIX}{i}_mean", f"{PREFIX}{i}_rstd", f"{PREFIX}{i}_input"


def freeze_instance_norms(model) -> int:
    """Rewrite an fp32 onnx.ModelProto in place; returns the number of InstanceNormalization nodes rewritten."""
    onnx = require("onnx", "tiled inference")
    from onnx import TensorProto, helper

    graph = model.graph
    axes = helper.make_tensor(f"{PREFIX}_axes", TensorProto.INT64, [3], [0, 2, 3])
    nodes, count = [], 0
    for node in graph.node:
        if node.op_type != "InstanceNormalization":
            nodes.append(node)
            continue
        mean, rstd, exposed = norm_names(count)
        x, scale, bias = node.input[0], node.input[1], node.input[2]
        tag = f"{PREFIX}{count}"
        for name in (mean, rstd):
            graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, f"{tag}_c", 1, 1]))
        nodes += [
            helper.make_node("Identity", [x], [exposed], name=f"{tag}_expose"),
            helper.make_node("Sub", [x, mean], [f"{tag}_centred"], name=f"{tag}_sub"),
            helper.make_node("Mul", [f"{tag}_centred", rstd], [f"{tag}_normed"], name=f"{tag}_norm"),
            helper.make_node("Unsqueeze", [scale, axes.name], [f"{tag}_scale"], name=f"{tag}_scale_4d"),
            helper.make_node("Unsqueeze", [bias, axes.name], [f"{tag}_bias"], name=f"{tag}_bias_4d"),
            helper.make_node("Mul", [f"{tag}_normed", f"{tag}_scale"], [f"{tag}_scaled"], name=f"{tag}_mul"),
            helper.make_node("Add", [f"{tag}_scaled", f"{tag}_bias"], [node.output[0]], name=f"{tag}_add"),
        ]
        graph.output.append(helper.make_tensor_value_info(exposed, TensorProto.FLOAT,
                                                          [f"{tag}_{d}" for d in ("n", "c", "h", "w")]))
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.append(axes)
    model.ir_version = ONNX_IR_VERSION
    onnx.checker.check_model(model)
    return count


def frozen_stats_onnx(onnx_path: Path) -> tuple[Path, int]:
    """The rewritten model (made once, cached by content) and its number of InstanceNorms."""
    onnx = require("onnx", "tiled inference")
    target = cache_dir("onnx") / f"{onnx_path.stem}-{file_sha256(onnx_path)[:16]}-frozen-stats.onnx"
    if target.is_file():
        model = onnx.load(str(target), load_external_data=False)
        return target, sum(1 for i in model.graph.input if i.name.endswith("_mean"))
    model = onnx.load(str(onnx_path))
    count = freeze_instance_norms(model)
    with atomic_output(target) as tmp:
        onnx.save(model, str(tmp))
    return target, count
