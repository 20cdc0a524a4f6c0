"""ONNX graph pass: InstanceNormalization -> Relu and InstanceNormalization -> Add (residual)
become one ``stylert::StylertInstanceNorm`` node, run by the fused CUDA kernel through the
TensorRT plugin (kernels/plugin/instnorm_plugin.cpp) when an engine is built with plugins."""
from __future__ import annotations

from collections import defaultdict

from stylert._lazy import require

PLUGIN_OP = "StylertInstanceNorm"
PLUGIN_DOMAIN = "stylert"
PLUGIN_VERSION = "1"


def fuse_instance_norm(model):
    """Rewrite ``model`` (onnx.ModelProto) in place; returns the number of fused nodes."""
    onnx = require("onnx", "the plugin graph pass")
    graph = model.graph
    outputs = {o.name for o in graph.output}
    consumers: dict[str, list] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)
    replaced: dict[int, object] = {}  # id(IN node) -> fused node
    dropped: set[int] = set()
    for node in graph.node:
        if node.op_type != "InstanceNormalization" or node.output[0] in outputs:
            continue
        users = consumers[node.output[0]]
        if len(users) != 1 or users[0].op_type not in ("Relu", "Add"):
            continue
        follower = users[0]
        inputs = list(node.input[:3])
        if follower.op_type == "Add":
            twice = follower.input[0] == follower.input[1]  # x + x
            inputs.append(node.output[0] if twice else next(i for i in follower.input if i != node.output[0]))
            if inputs[-1] == node.output[0]:
                continue  # x + x: not a residual pattern
        epsilon = next((a.f for a in node.attribute if a.name == "epsilon"), 1e-5)
        fused = onnx.helper.make_node(PLUGIN_OP, inputs, [follower.output[0]], name=f"{node.name or 'in'}_fused",
                                      domain=PLUGIN_DOMAIN, epsilon=epsilon, relu=int(follower.op_type == "Relu"),
                                      plugin_version=PLUGIN_VERSION, plugin_namespace=PLUGIN_DOMAIN)
        replaced[id(node)] = fused
        dropped.add(id(follower))
    new_nodes = [replaced.get(id(n), n) for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(new_nodes)
    if replaced and not any(op.domain == PLUGIN_DOMAIN for op in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid(PLUGIN_DOMAIN, 1))
    return len(replaced)
