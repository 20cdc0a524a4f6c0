"""ONNX files stylert did not write: a fixed declared image size (the ONNX Model Zoo's fast-neural-style
files take only 1x3x224x224), another output name, and networks that are not image-to-image."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from stylert.errors import BadModelFile
from stylert.runtime.backends.onnxruntime import OnnxRuntimeBackend
from tests.fakes import FakeCuda


@pytest.fixture(autouse=True)
def no_nvrtc_needed(monkeypatch):
    monkeypatch.setattr("stylert.gpu.device_kernels.load_cached_module", lambda *a, **k: 1)


@pytest.fixture
def zoo_style(lite_onnx, tmp_path):
    """The lite network as a model zoo would ship it: input and output declared 1x3x64x64, the output named
    output1, intermediate shapes annotated at that size, no stylert metadata."""
    model = onnx.load(str(lite_onnx))
    for value in (*model.graph.input, *model.graph.output):
        for dim, size in zip(value.type.tensor_type.shape.dim, (1, 3, 64, 64)):
            dim.dim_value = size
    old = model.graph.output[0].name
    model.graph.output[0].name = "output1"
    for node in model.graph.node:
        node.output[:] = ["output1" if o == old else o for o in node.output]
    del model.metadata_props[:]
    model = onnx.shape_inference.infer_shapes(model)
    assert len(model.graph.value_info) > 0
    onnx.save(model, tmp_path / "zoo.onnx")
    return tmp_path / "zoo.onnx"


def test_a_fixed_size_model_runs_at_the_frames_size_on_both_paths(zoo_style, lite_onnx, emulated_kernels, photo):
    frames = [[np.ascontiguousarray(photo[:37, :53])], [np.ascontiguousarray(photo[5:45, 3:63])]]
    said: list[str] = []
    with OnnxRuntimeBackend(zoo_style, log=said.append) as host, \
            OnnxRuntimeBackend(zoo_style, cuda=FakeCuda(emulator=emulated_kernels)) as device, \
            OnnxRuntimeBackend(lite_onnx) as reference:
        expected = list(reference.stylize_batches(frames))
        assert [f.shape for (f,) in expected] == [(37, 53, 3), (40, 60, 3)]
        for got in (list(host.stylize_batches(frames)), list(device.stylize_batches(frames))):
            for (a,), (b,) in zip(got, expected):
                assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    assert said == ["zoo.onnx declares a fixed 1x3x64x64 input; running it at the frames' own size"]


def _model(tmp_path, name, nodes, out_shape, initializers=()):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, tmp_path / name)
    return tmp_path / name


def test_a_network_that_depends_on_its_fixed_size_fails_in_one_line(tmp_path):
    shape = helper.make_tensor("shape", TensorProto.INT64, [4], [1, 3, 8, 8])
    path = _model(tmp_path, "reshape.onnx", [helper.make_node("Reshape", ["x", "shape"], ["y"])], [1, 3, 8, 8],
                  [shape])
    with OnnxRuntimeBackend(path) as backend:
        assert backend.run(np.zeros((1, 3, 8, 8), np.float32)).shape == (1, 3, 8, 8)
        with pytest.raises(BadModelFile, match=r"reshape.onnx failed at 1x3x4x6 \(its ONNX declares a fixed "
                                               r"1x3x8x8 input: it may run only at that size\): \S"):
            backend.run(np.zeros((1, 3, 4, 6), np.float32))


def test_networks_that_do_not_return_the_image_are_refused(tmp_path):
    mean = _model(tmp_path, "mean.onnx", [helper.make_node("ReduceMean", ["x"], ["y"], keepdims=0)], None)
    with OnnxRuntimeBackend(mean) as backend, pytest.raises(BadModelFile, match="returned a single number for a "
                                                                                "1x3x4x6 input"):
        backend.run(np.zeros((1, 3, 4, 6), np.float32))
    grey = _model(tmp_path, "grey.onnx", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[1])], [1, 1, 8, 8])
    with pytest.raises(BadModelFile, match=r"expected one NCHW output with 3 channels .*'y', \[1, 1, 8, 8\]"):
        OnnxRuntimeBackend(grey).open()
