"""ONNX files stylert did not write: other input/output names and a fixed declared image size (the ONNX Model
Zoo's fast-neural-style files take only 1x3x224x224) are adopted once (export.adopt) and then run like
stylert's own; networks that are not image-to-image are refused."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from stylert.errors import BadModelFile
from stylert.export.adopt import adopted_onnx
from stylert.runtime.backends.onnxruntime import OnnxRuntimeBackend
from stylert.runtime.model_source import model_for_backend
from stylert.runtime.stylizer import Stylizer
from tests.fakes import FakeCuda
from tests.foreign_models import zoo_style_copy


@pytest.fixture(autouse=True)
def no_nvrtc_needed(monkeypatch):
    monkeypatch.setattr("stylert.gpu.device_kernels.load_cached_module", lambda *a, **k: 1)


@pytest.fixture
def zoo_style(lite_onnx, tmp_path):
    return zoo_style_copy(lite_onnx, tmp_path / "zoo.onnx")


def test_a_zoo_style_file_runs_at_each_frames_size_on_both_paths(zoo_style, lite_onnx, emulated_kernels, photo):
    said: list[str] = []
    adopted = model_for_backend(zoo_style, "onnxruntime", said.append)
    assert said == ["zoo.onnx names its input and output 'input1' and 'output1' and declares a fixed 1x3x64x64 "
                    "input: running a copy with stylert's names and free sizes"]
    assert adopted != zoo_style and zoo_style.read_bytes() != adopted.read_bytes()  # the user's file is untouched
    frames = [[np.ascontiguousarray(photo[:37, :53])], [np.ascontiguousarray(photo[5:45, 3:63])]]
    with OnnxRuntimeBackend(adopted) as host, \
            OnnxRuntimeBackend(adopted, cuda=FakeCuda(emulator=emulated_kernels)) as device, \
            OnnxRuntimeBackend(lite_onnx) as reference:
        assert host.info.style == "zoo" and host.info.declared_input == "1x3x64x64"
        expected = list(reference.stylize_batches(frames))
        assert [f.shape for (f,) in expected] == [(37, 53, 3), (40, 60, 3)]
        for got in (list(host.stylize_batches(frames)), list(device.stylize_batches(frames))):
            for (a,), (b,) in zip(got, expected):
                assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_the_adopted_copy_is_made_once_and_stylerts_own_files_are_used_as_they_are(zoo_style, lite_onnx,
                                                                                     monkeypatch):
    import stylert.export.adopt as adopt

    inspected = []
    inspect = adopt._declarations
    monkeypatch.setattr(adopt, "_declarations", lambda path: (inspected.append(path), inspect(path))[1])
    said: list[str] = []
    first = adopted_onnx(zoo_style, said.append)
    made = first.stat().st_mtime_ns
    assert adopted_onnx(zoo_style, said.append) == first and first.stat().st_mtime_ns == made
    assert inspected == [zoo_style] and len(said) == 2  # looked at once per process, said each time
    assert adopted_onnx(lite_onnx) == lite_onnx and adopted_onnx(first) == first


def test_tiles_and_reduced_precision_read_an_adopted_file_like_stylerts_own(zoo_style, photo):
    """The tiled path and the int8 conversion open the model by stylert's input and output names."""
    frame = np.ascontiguousarray(photo[:96, :128])
    with Stylizer(str(zoo_style), "onnxruntime", tile=64) as tiled, Stylizer(str(zoo_style), "onnxruntime") as whole:
        assert tiled.tile_core(frame) > 0
        a, b = tiled.stylize_tiled(frame, tiled.tile_core(frame)), whole.stylize_frames([frame])[0]
        assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() < 2
    with Stylizer(str(zoo_style), "onnxruntime", precision="int8") as int8:
        assert int8.stylize_frames([frame])[0].shape == frame.shape


def _model(tmp_path, name, nodes, out_shape, initializers=(), out_name="y"):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape)],
                              list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, tmp_path / name)
    return tmp_path / name


def test_a_tensor_inside_the_network_named_like_stylerts_output_keeps_its_place(tmp_path, rng):
    path = _model(tmp_path, "inner.onnx", [helper.make_node("Relu", ["x"], ["output"]),
                                           helper.make_node("Neg", ["output"], ["y"])], [1, 3, 8, 8])
    x = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
    with OnnxRuntimeBackend(adopted_onnx(path)) as backend:
        np.testing.assert_array_equal(backend.run(x), -np.maximum(x, 0))


def test_a_network_that_depends_on_its_fixed_size_fails_in_one_line(tmp_path):
    shape = helper.make_tensor("shape", TensorProto.INT64, [4], [1, 3, 8, 8])
    path = _model(tmp_path, "reshape.onnx", [helper.make_node("Reshape", ["x", "shape"], ["y"])], [1, 3, 8, 8],
                  [shape])
    with OnnxRuntimeBackend(adopted_onnx(path)) as backend:
        assert backend.run(np.zeros((1, 3, 8, 8), np.float32)).shape == (1, 3, 8, 8)
        with pytest.raises(BadModelFile, match=r"^\S+/reshape.onnx failed at 1x3x4x6 \(the file declared a fixed "
                                               r"1x3x8x8 input: it may run only at that size\): \S"):
            backend.run(np.zeros((1, 3, 4, 6), np.float32))


def test_networks_that_do_not_return_the_image_are_refused(tmp_path):
    mean = _model(tmp_path, "mean.onnx", [helper.make_node("ReduceMean", ["x"], ["y"], keepdims=0)], None)
    with OnnxRuntimeBackend(adopted_onnx(mean)) as backend, \
            pytest.raises(BadModelFile, match=r"^\S+/mean.onnx returned a single number for a 1x3x4x6 input"):
        backend.run(np.zeros((1, 3, 4, 6), np.float32))
    grey = _model(tmp_path, "grey.onnx", [helper.make_node("ReduceMean", ["x"], ["y"], axes=[1])], [1, 1, 8, 8])
    assert adopted_onnx(grey) == grey  # not an image out: nothing to adopt, the backend says why
    with pytest.raises(BadModelFile,
                       match=r"^\S+/grey.onnx: expected one NCHW output with 3 channels .*\[1, 1, 8, 8\]"):
        OnnxRuntimeBackend(adopted_onnx(grey)).open()
