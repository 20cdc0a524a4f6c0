"""The plugin pass rewrites the patterns, and the rewritten graph - with the fused op run by
the kernels' host library - computes what ONNX Runtime computes on the original graph."""
import numpy as np
import onnx
import onnxruntime as ort
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

from stylert.export.plugin_pass import PLUGIN_DOMAIN, PLUGIN_OP, fuse_instance_norm


def test_transformer_net_patterns_are_all_fused(lite_onnx):
    model = onnx.load(lite_onnx)
    norms = sum(n.op_type == "InstanceNormalization" for n in model.graph.node)
    assert fuse_instance_norm(model) == norms == 5 + 2 * 3  # lite: 5 main-path norms, 3 residual blocks
    ops = [n.op_type for n in model.graph.node]
    assert "InstanceNormalization" not in ops and ops.count(PLUGIN_OP) == norms
    fused = [n for n in model.graph.node if n.op_type == PLUGIN_OP]
    relu = {n.name: next(a.i for a in n.attribute if a.name == "relu") for n in fused}
    assert sum(relu.values()) == 5 + 3 and sum(len(n.input) == 4 for n in fused) == 3
    assert any(o.domain == PLUGIN_DOMAIN for o in model.opset_import)


def test_rewritten_graph_computes_the_same(lite_onnx, cpu_kernels, photo):
    class StylertInstanceNorm(OpRun):
        op_domain = PLUGIN_DOMAIN

        def _run(self, x, gamma, beta, residual=None, epsilon=1e-5, relu=0, plugin_version=None,
                 plugin_namespace=None):
            return (cpu_kernels.instnorm(x, gamma, beta, residual, bool(relu), epsilon),)

    model = onnx.load(lite_onnx)
    fuse_instance_norm(model)
    x = np.ascontiguousarray(photo[:32, :40, ::-1].transpose(2, 0, 1)[None], dtype=np.float32)
    fused = ReferenceEvaluator(model, new_ops=[StylertInstanceNorm]).run(None, {"input": x})[0]
    expected = ort.InferenceSession(str(lite_onnx)).run(None, {"input": x})[0]
    assert np.abs(fused - expected).max() < 0.05


def test_non_patterns_are_left_alone():
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])
    scale = helper.make_tensor("s", TensorProto.FLOAT, [2], [1, 1])
    bias = helper.make_tensor("b", TensorProto.FLOAT, [2], [0, 0])
    nodes = [helper.make_node("InstanceNormalization", ["x", "s", "b"], ["n"]),
             helper.make_node("Sigmoid", ["n"], ["y"])]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y], [scale, bias]))
    assert fuse_instance_norm(model) == 0 and [n.op_type for n in model.graph.node] == ["InstanceNormalization",
                                                                                         "Sigmoid"]
