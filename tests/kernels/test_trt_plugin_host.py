"""The TensorRT plugin (kernels/plugin/instnorm_plugin.cpp) driven the way TensorRT drives it, on machines
without TensorRT or a GPU: CMake compiles its own source against kernels/plugin/standin (stylert's
declaration of the plugin API it uses) and links it with the emulated kernels, and
kernels/plugin/standin/plugin_driver.cpp plays TensorRT's part: the library's entry points, fields from ONNX
attributes, serialisation into an engine and back, the builder's questions, and enqueue over host memory.
Enqueue results are compared with NumPy float64 and, bit for bit, with the host build of the math as an H100
(132 multiprocessors) would combine it."""
import ctypes
import time

import numpy as np
import pytest

from tests.kernels.test_kernel_math import _instnorm_numpy

SEED = time.time_ns() % 2**32
# TensorRT's enum values (NvInferRuntime.h): DataType, TensorFormat, PluginFieldType, TensorRTPhase.
FLOAT, HALF, INT8, INT32, BF16 = 0, 1, 2, 3, 7
LINEAR, HWC8 = 0, 2
F32, F64, I32, CHAR, I64 = 1, 2, 5, 6, 10
BUILD, RUNTIME = 0, 1
I64x4 = ctypes.c_int64 * 4


class Driver:
    """ctypes over plugin_driver.cpp's C API; plugins are opaque pointers, destroyed by the caller."""

    def __init__(self, path):
        self.lib = lib = ctypes.CDLL(str(path))
        p, i, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        lib.drv_load.argtypes = [s, i]
        lib.drv_create.argtypes = [i, ctypes.c_double, i, ctypes.c_int64, i]
        for name in ("drv_create", "drv_clone", "drv_deserialize"):
            getattr(lib, name).restype = p
        lib.drv_clone.argtypes = [p, i]
        lib.drv_deserialize.argtypes = [p]
        lib.drv_destroy.argtypes = [p]
        lib.drv_fields.argtypes = [p, s, i, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int32),
                                   ctypes.POINTER(p)]
        lib.drv_describe.argtypes = [p, s, i]
        lib.drv_supports.argtypes = [p, i, i, ctypes.POINTER(i), ctypes.POINTER(i)]
        lib.drv_output_type.argtypes = [p, i, i, ctypes.POINTER(i)]
        lib.drv_output_shape_is_input.argtypes = [p, i]
        lib.drv_configure.argtypes = [p, i, i, i]
        lib.drv_workspace.argtypes = [p, i, I64x4, i]
        lib.drv_workspace.restype = ctypes.c_size_t
        lib.drv_shape_change.argtypes = [p, i, I64x4, i]
        lib.drv_enqueue.argtypes = [p, i, I64x4, i, p, p, p, p, p, p]
        lib.drv_log.argtypes = [s, i]

    def text(self, fn, *args) -> str:
        buf = ctypes.create_string_buffer(4096)
        fn(*args, buf, len(buf))
        return buf.value.decode()

    def load(self) -> tuple[int, str]:
        buf = ctypes.create_string_buffer(4096)
        return self.lib.drv_load(buf, len(buf)), buf.value.decode()

    def log(self) -> str:
        return self.text(self.lib.drv_log)

    def fields(self, plugin) -> tuple[str, float, int, tuple[int, int]]:
        eps, relu, where = ctypes.c_float(), ctypes.c_int32(), (ctypes.c_void_p * 2)()
        buf = ctypes.create_string_buffer(256)
        self.lib.drv_fields(plugin, buf, len(buf), ctypes.byref(eps), ctypes.byref(relu), where)
        return buf.value.decode(), eps.value, relu.value, (where[0], where[1])

    def supports(self, plugin, pos, types, formats=None) -> bool:
        formats = formats or [LINEAR] * len(types)
        arr = ctypes.c_int * len(types)
        return bool(self.lib.drv_supports(plugin, pos, len(types) - 1, arr(*types), arr(*formats)))


@pytest.fixture(scope="module")
def driver(host_kernel_libraries):
    d = Driver(host_kernel_libraries / "libstylert_trt_plugin_driver.so")
    count, _ = d.load()
    assert count == 1
    d.log()
    return d


@pytest.fixture
def plugin(driver):
    made = []

    def make(epsilon=1e-5, relu=0, epsilon_type=F32, relu_type=I32, phase=BUILD):
        handle = driver.lib.drv_create(phase, epsilon, epsilon_type, relu, relu_type)
        if handle:
            made.append(handle)
        return handle

    yield make
    for handle in made:
        driver.lib.drv_destroy(handle)


def test_the_library_exposes_one_v3_creator_with_its_fields(host_kernel_libraries):
    count, info = Driver(host_kernel_libraries / "libstylert_trt_plugin_driver.so").load()
    assert count == 1
    kind, name, version, namespace, fields = info.split("|")
    assert (kind, name, version, namespace) == ("PLUGIN CREATOR_V3ONE", "StylertInstanceNorm", "1", "stylert")
    assert fields == f"epsilon:{F32},relu:{I32}"


def test_the_onnx_pass_names_this_plugin(host_kernel_libraries):
    """TensorRT's ONNX parser finds the creator by the fused node's op type, plugin_version and plugin_namespace."""
    from stylert.export.plugin_pass import PLUGIN_DOMAIN, PLUGIN_OP, PLUGIN_VERSION

    _, info = Driver(host_kernel_libraries / "libstylert_trt_plugin_driver.so").load()
    assert info.split("|")[1:4] == [PLUGIN_OP, PLUGIN_VERSION, PLUGIN_DOMAIN]


def test_the_plugin_answers_for_core_build_and_runtime(driver, plugin):
    p = plugin()
    core, build, runtime, name, version, namespace, outputs = driver.text(driver.lib.drv_describe, p).split("|")
    assert (core, build, runtime) == ("PLUGIN_V3ONE_CORE", "PLUGIN_V3ONE_BUILD", "PLUGIN_V3ONE_RUNTIME")
    assert (name, version, namespace, outputs) == ("StylertInstanceNorm", "1", "stylert", "1")


@pytest.mark.parametrize("epsilon_type,relu_type", [(F32, I32), (F64, I64), (I32, F32)])
def test_onnx_attributes_of_any_numeric_type_become_float32_and_int32_fields(driver, plugin, epsilon_type, relu_type):
    epsilon = 2.0 if epsilon_type == I32 else 1e-3
    p = plugin(epsilon=epsilon, relu=1, epsilon_type=epsilon_type, relu_type=relu_type)
    assert p
    names, eps, relu, _ = driver.fields(p)
    assert names == f"epsilon:{F32}:1,relu:{I32}:1"
    assert eps == pytest.approx(epsilon, rel=1e-6) and relu == 1


def test_missing_attributes_keep_the_defaults(driver, plugin):
    _, eps, relu, _ = driver.fields(plugin(epsilon_type=-1, relu_type=-1))
    assert eps == pytest.approx(1e-5) and relu == 0


@pytest.mark.parametrize("epsilon,epsilon_type,relu_type,message", [
    (1e-5, CHAR, I32, "field epsilon is not a positive number"),
    (0.0, F32, I32, "field epsilon is not a positive number"),
    (1e-5, F32, CHAR, "field relu is not a number"),
])
def test_unusable_attributes_are_refused_through_the_logger(driver, plugin, epsilon, epsilon_type, relu_type, message):
    assert not plugin(epsilon=epsilon, epsilon_type=epsilon_type, relu_type=relu_type)
    assert driver.log() == f"1:StylertInstanceNorm: {message}\n"  # 1: ILogger::Severity::kERROR


def test_fields_survive_serialisation_and_belong_to_each_copy(driver, plugin):
    """An engine keeps the fields' bytes; the plugin TensorRT recreates from them has the same values, and
    every clone serialises its own members (a copy pointing into another object would be the bug the
    deleted copy constructor guards against)."""
    original = plugin(epsilon=3e-4, relu=1)
    restored = driver.lib.drv_deserialize(original)
    clone = driver.lib.drv_clone(original, 0)
    attached = driver.lib.drv_clone(restored, 1)
    try:
        seen = [driver.fields(p) for p in (original, restored, clone, attached)]
        assert all(f[:3] == seen[0][:3] for f in seen)
        assert seen[0][1] == pytest.approx(3e-4) and seen[0][2] == 1
        addresses = [f[3] for f in seen]
        assert len({a for pair in addresses for a in pair}) == 8, "fields of two plugins share memory"
    finally:
        for p in (restored, clone, attached):
            driver.lib.drv_destroy(p)


def test_supported_formats(driver, plugin):
    p = plugin()
    assert driver.supports(p, 0, [FLOAT, FLOAT, FLOAT, FLOAT])
    assert driver.supports(p, 0, [HALF, FLOAT, FLOAT, HALF])
    assert not driver.supports(p, 0, [INT8, FLOAT, FLOAT, INT8])
    assert not driver.supports(p, 0, [BF16, FLOAT, FLOAT, BF16])
    assert not driver.supports(p, 0, [FLOAT, FLOAT, FLOAT, FLOAT], [HWC8, LINEAR, LINEAR, LINEAR])
    assert not driver.supports(p, 1, [HALF, HALF, FLOAT, HALF]), "gamma is float32 whatever x is"
    assert driver.supports(p, 2, [HALF, FLOAT, FLOAT, HALF])
    assert driver.supports(p, 3, [HALF, FLOAT, FLOAT, HALF, HALF]), "the residual follows x"
    assert not driver.supports(p, 3, [HALF, FLOAT, FLOAT, FLOAT, HALF])
    assert not driver.supports(p, 4, [HALF, FLOAT, FLOAT, HALF, FLOAT]), "the output follows x"


@pytest.mark.parametrize("input_type", [FLOAT, HALF])
def test_output_type_and_shape_follow_x(driver, plugin, input_type):
    p = plugin()
    out = ctypes.c_int(-1)
    assert driver.lib.drv_output_type(p, input_type, 4, ctypes.byref(out)) == 0
    assert out.value == input_type
    assert driver.lib.drv_output_shape_is_input(p, 3) == 1


def test_configure_refuses_what_it_cannot_run(driver, plugin):
    p = plugin()
    assert driver.lib.drv_configure(p, 3, 4, 1) == 0
    assert driver.lib.drv_configure(p, 4, 4, 1) == 0
    assert driver.log() == ""
    assert driver.lib.drv_configure(p, 2, 4, 1) == 1
    assert driver.lib.drv_configure(p, 4, 3, 1) == 1
    log = driver.log().splitlines()
    assert len(log) == 2 and all(line.startswith("1:StylertInstanceNorm: expects x, gamma, beta") for line in log)


def test_enqueue_before_the_shape_is_known_fails_cleanly(driver, plugin):
    """A plugin recreated from an engine does not know whether it has a residual until onShapeChange; it
    must refuse rather than read a fourth input that may not exist."""
    restored = driver.lib.drv_deserialize(plugin())
    try:
        dims = I64x4(1, 2, 4, 4)
        y = np.zeros((1, 2, 4, 4), np.float32)
        assert driver.lib.drv_enqueue(restored, 3, dims, 0, None, None, None, None, y.ctypes.data, None) == 1
        assert "enqueue before onShapeChange" in driver.log()
    finally:
        driver.lib.drv_destroy(restored)


def _run(driver, p, shape, half, residual, relu_plugin=True):
    rng = np.random.default_rng(SEED)
    dtype = np.float16 if half else np.float32
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    res = rng.standard_normal(shape).astype(dtype) if residual else None
    gamma = rng.uniform(0.5, 1.5, shape[1]).astype(np.float32)
    beta = rng.standard_normal(shape[1]).astype(np.float32)
    nb = 4 if residual else 3
    dims = I64x4(*shape)
    assert driver.lib.drv_shape_change(p, nb, dims, int(half)) == 0
    workspace = np.full(driver.lib.drv_workspace(p, nb, dims, int(half)), 0xCD, np.uint8)
    y = np.full(shape, np.nan, dtype)
    status = driver.lib.drv_enqueue(p, nb, dims, int(half), x.ctypes.data, gamma.ctypes.data, beta.ctypes.data,
                                    None if res is None else res.ctypes.data, y.ctypes.data, workspace.ctypes.data)
    assert status == 0, driver.log()
    return x, gamma, beta, res, y


@pytest.mark.parametrize("half", [False, True], ids=["fp32", "fp16"])
@pytest.mark.parametrize("shape,residual", [((2, 3, 5, 7), True), ((1, 2, 64, 80), False), ((1, 2, 128, 80), True),
                                            ((1, 1, 1, 1), True)])
def test_enqueue_computes_instance_norm(driver, plugin, cpu_kernels, half, shape, residual):
    """Shapes cover scalar tails, the one-launch paths and planes split over blocks (checked below)."""
    p = driver.lib.drv_clone(plugin(epsilon=1e-5, relu=1), 1)  # what an execution context runs
    try:
        x, gamma, beta, res, y = _run(driver, p, shape, half, residual)
    finally:
        driver.lib.drv_destroy(p)
    host = cpu_kernels.instnorm(x, gamma, beta, res, relu=True)  # the emulated device: an H100's block slots
    assert np.array_equal(y.view(np.uint8), host.view(np.uint8)), f"plugin and host build differ (seed {SEED})"
    exact = _instnorm_numpy(x, gamma, beta, res, True)
    tol = 1e-2 if half else 1e-4
    np.testing.assert_allclose(y.astype(np.float64), exact, rtol=tol, atol=tol, err_msg=f"seed {SEED}")


def test_the_split_path_is_among_the_shapes(cpu_kernels):
    assert cpu_kernels.instnorm_plan(2, 64 * 80, 4, 132).splits > 1
    assert cpu_kernels.instnorm_plan(2, 128 * 80, 2, 132).splits > 1


def test_workspace_covers_every_shape_up_to_the_profile_maximum(driver, plugin, host_kernel_libraries):
    """getWorkspaceSize sees only the profile's bounds; enqueue may get any smaller shape."""
    from stylert.kernels.libraries import load_cuda_kernels

    abi = load_cuda_kernels(host_kernel_libraries / "libstylert_kernels_emulated.so")
    p = plugin()
    biggest = (4, 64, 270, 480)
    for half in (0, 1):
        given = driver.lib.drv_workspace(p, 4, I64x4(*biggest), half)
        for n, c, h, w in [(1, 1, 1, 1), (1, 64, 270, 480), (4, 64, 64, 64), (4, 32, 270, 480), (2, 64, 1, 480)]:
            assert abi.stylert_instnorm_workspace_size(n, c, h * w, half, 132) <= given, (n, c, h, w, half)


def test_fused_nodes_compute_what_the_subgraphs_they_replace_compute(driver, plugin, lite_onnx):
    """Each StylertInstanceNorm node the ONNX pass writes into a real exported network, made into a plugin from
    its attributes (ONNX floats as float32 and ints as int64 fields) and enqueued, against ONNX Runtime running
    the InstanceNormalization -> Relu / Add pair it replaced, with the same weights."""
    import copy

    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    from stylert.export.plugin_pass import PLUGIN_OP, fuse_instance_norm

    original = onnx.load(str(lite_onnx))
    fused = copy.deepcopy(original)
    assert fuse_instance_norm(fused) > 0
    weights = {i.name: numpy_helper.to_array(i) for i in original.graph.initializer}
    producer = {o: n for n in original.graph.node for o in n.output}
    rng = np.random.default_rng(SEED)
    kinds = set()
    for node in (n for n in fused.graph.node if n.op_type == PLUGIN_OP):
        follower = producer[node.output[0]]
        norm = next(n for n in original.graph.node if n.output[0] in follower.input)
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        gamma, beta = weights[node.input[1]].astype(np.float32), weights[node.input[2]].astype(np.float32)
        shape = (1, gamma.size, 6, 10)
        x = (rng.standard_normal(shape) * 4 + 1).astype(np.float32)
        feeds = {"x": x}
        nodes = [helper.make_node("InstanceNormalization", ["x", "gamma", "beta"], ["n"], epsilon=attrs["epsilon"])]
        if follower.op_type == "Add":
            feeds["r"] = rng.standard_normal(shape).astype(np.float32)
            nodes.append(helper.make_node("Add", ["n" if i == norm.output[0] else "r" for i in follower.input], ["y"]))
        else:
            nodes.append(helper.make_node("Relu", ["n"], ["y"]))
        kinds.add(follower.op_type)
        tensor = lambda name: helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, shape)  # noqa: E731
        pair = helper.make_model(helper.make_graph(
            nodes, "pair", [tensor(k) for k in feeds], [tensor("y")],
            [numpy_helper.from_array(gamma, "gamma"), numpy_helper.from_array(beta, "beta")]),
            opset_imports=original.opset_import)
        expected = ort.InferenceSession(pair.SerializeToString(), providers=["CPUExecutionProvider"]).run(
            None, feeds)[0]
        built = plugin(epsilon=attrs["epsilon"], relu=attrs["relu"], epsilon_type=F32, relu_type=I64)
        runner = driver.lib.drv_clone(built, 1)
        try:
            nb, dims = len(node.input), I64x4(*shape)
            assert nb == (4 if follower.op_type == "Add" else 3)
            assert driver.lib.drv_shape_change(runner, nb, dims, 0) == 0
            workspace = np.zeros(driver.lib.drv_workspace(runner, nb, dims, 0), np.uint8)
            y = np.full(shape, np.nan, np.float32)
            assert driver.lib.drv_enqueue(runner, nb, dims, 0, x.ctypes.data, gamma.ctypes.data, beta.ctypes.data,
                                          feeds["r"].ctypes.data if "r" in feeds else None, y.ctypes.data,
                                          workspace.ctypes.data) == 0
        finally:
            driver.lib.drv_destroy(runner)
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4, err_msg=f"{node.name} (seed {SEED})")
    assert kinds == {"Relu", "Add"}
