"""A fake ``tensorrt`` module and a NumPy-backed CUDA layer: they record what stylert calls,
in which order and with which shapes, so the build and runtime logic is tested without a GPU."""
from __future__ import annotations

import enum
import itertools
from types import SimpleNamespace

import numpy as np

from stylert.gpu.cuda_layer import CudaLayer, DeviceBuffer


def make_fake_trt(version: str = "10.13.0", *, strongly_typed_flag: bool = True, parse_ok: bool = True,
                  engine_fn=lambda x: x * 0.5 + 1.0):
    calls: list[tuple] = []

    class Severity(enum.IntEnum):
        WARNING = 2

    class Logger:
        WARNING = Severity.WARNING

        def __init__(self, severity):
            calls.append(("Logger", severity))

    flags = {"EXPLICIT_BATCH": 0}
    if strongly_typed_flag:
        flags["STRONGLY_TYPED"] = 1
    NetworkDefinitionCreationFlag = enum.IntEnum("NetworkDefinitionCreationFlag", flags, start=0)
    MemoryPoolType = enum.IntEnum("MemoryPoolType", {"WORKSPACE": 0}, start=0)
    BuilderFlag = enum.IntEnum("BuilderFlag", {"REFIT": 4, "STRIP_PLAN": 20}, start=0)  # no FP16/INT8: gone in 11
    DataType = enum.IntEnum("DataType", {"FLOAT": 0, "HALF": 1}, start=0)

    class Registry:
        def load_library(self, path):
            calls.append(("load_library", path))

    class Profile:
        def set_shape(self, name, mn, opt, mx):
            calls.append(("set_shape", name, tuple(mn), tuple(opt), tuple(mx)))

    class TimingCache:
        def __init__(self, data):
            self.data = bytes(data)

        def serialize(self):
            return self.data + b"+timed"

    class Config:
        plugins_to_serialize: list = []

        def set_memory_pool_limit(self, pool, size):
            calls.append(("set_memory_pool_limit", pool, size))

        def add_optimization_profile(self, profile):
            calls.append(("add_optimization_profile",))

        def set_flag(self, flag):
            calls.append(("set_flag", flag))

        def create_timing_cache(self, data):
            calls.append(("create_timing_cache", bytes(data)))
            self._cache = TimingCache(data)
            return self._cache

        def set_timing_cache(self, cache, ignore_mismatch):
            calls.append(("set_timing_cache", ignore_mismatch))
            return True

        def get_timing_cache(self):
            return self._cache

    class Builder:
        def __init__(self, logger):
            calls.append(("Builder",))

        def get_plugin_registry(self):
            return Registry()

        def create_network(self, flags):
            calls.append(("create_network", flags))
            return SimpleNamespace()

        def create_builder_config(self):
            calls.append(("create_builder_config",))
            return Config()

        def create_optimization_profile(self):
            return Profile()

        def build_serialized_network(self, network, config):
            calls.append(("build_serialized_network", tuple(config.plugins_to_serialize)))
            return b"PLAN-REFIT" if ("set_flag", BuilderFlag.REFIT) in calls else b"PLAN"

    class ParserError:
        def desc(self):
            return "unsupported operator Foo"

    class OnnxParser:
        num_errors = 0 if parse_ok else 1

        def __init__(self, network, logger):
            calls.append(("OnnxParser",))

        def parse_from_file(self, path):
            calls.append(("parse_from_file", path))
            return parse_ok

        def get_error(self, i):
            return ParserError()

    class Context:
        def __init__(self, engine):
            self.engine, self.shape, self.addresses = engine, None, {}

        def set_input_shape(self, name, shape):
            calls.append(("set_input_shape", name, tuple(shape)))
            self.shape = tuple(shape)
            return True

        def set_tensor_address(self, name, ptr):
            self.addresses[name] = ptr
            return True

        def execute_async_v3(self, stream):
            calls.append(("execute_async_v3", self.shape))
            cuda, offset = self.engine.cuda, self.engine.offset
            count = int(np.prod(self.shape))
            cuda.enqueue(stream, lambda: cuda.write(self.addresses["output"], engine_fn(
                cuda.read(self.addresses["input"], count, np.float32)) + offset))
            return True

    class Engine:
        def __init__(self, cuda, refittable=False):
            self.cuda, self.refittable, self.offset = cuda, refittable, 0.0

        def get_tensor_dtype(self, name):
            return DataType.FLOAT

        def get_tensor_profile_shape(self, name, index):
            return [(1, 3, 8, 8), (1, 3, 16, 16), (2, 3, 32, 32)]

        def create_execution_context(self):
            return Context(self)

    class Runtime:
        cuda = None

        def __init__(self, logger):
            pass

        def get_plugin_registry(self):
            return Registry()

        def deserialize_cuda_engine(self, data):
            calls.append(("deserialize_cuda_engine", bytes(data)))
            return Engine(Runtime.cuda, refittable=data == b"PLAN-REFIT") if data.startswith(b"PLAN") else None

    class Refitter:
        def __init__(self, engine, logger):
            self.engine, self.source = engine, None

        def refit_cuda_engine(self):
            calls.append(("refit_cuda_engine", self.source))
            self.engine.offset += 10.0  # new weights: visibly different output
            return True

    class OnnxParserRefitter:
        num_errors = 0

        def __init__(self, refitter, logger):
            self.refitter = refitter

        def refit_from_file(self, path):
            self.refitter.source = path
            return True

    module = SimpleNamespace(__version__=version, Logger=Logger, Dims=tuple, Builder=Builder, OnnxParser=OnnxParser,
                             NetworkDefinitionCreationFlag=NetworkDefinitionCreationFlag,
                             MemoryPoolType=MemoryPoolType, BuilderFlag=BuilderFlag, Runtime=Runtime, DataType=DataType,
                             Refitter=Refitter, OnnxParserRefitter=OnnxParserRefitter)
    return module, calls


class FakeCuda(CudaLayer):
    """Device memory as NumPy arrays (pointers are their real host addresses, so ONNX Runtime's IO binding
    can read them as 'cpu' memory); work runs as soon as it is queued, except inside a graph capture,
    which records it instead. Kernel launches run the kernels' own source on the ``emulator``
    (kernels/emulator) over the grid and block given."""

    name = "fake"
    memory_kind = "cpu"

    def __init__(self, gpu="Fake GPU", cc=(8, 6), emulator=None, sm_count=4):
        self.gpu, self.cc, self.emulator, self.sm_count = gpu, cc, emulator, sm_count
        self.memory: dict[int, np.ndarray] = {}
        self.streams: set[int] = set()
        self.graphs: dict[int, list] = {}
        self.capturing: dict[int, list] = {}
        self.graph_launches = 0
        self.launches: list[str] = []
        self.log: list[tuple] = []     # ("launch", name) / ("sync", stream) / ("copy", kind) in order
        self._ids = itertools.count(1000, 1000)

    def device_name(self):
        return self.gpu

    def compute_capability(self):
        return self.cc

    def multiprocessor_count(self):
        return self.sm_count

    def driver_version(self):
        return 13000

    # memory -----------------------------------------------------------------------------
    def memory_info(self):
        return 1 << 40, 1 << 40

    def alloc_device(self, nbytes):
        array = np.zeros(max(nbytes, 1), np.uint8)
        ptr = array.ctypes.data
        self.memory[ptr] = array
        return DeviceBuffer(ptr, nbytes)

    def free_device(self, buf):
        del self.memory[buf.ptr]

    def view(self, ptr, count, dtype):
        """A NumPy view of ``count`` values at ``ptr`` (inside any allocation)."""
        for base, array in self.memory.items():
            if base <= ptr < base + array.size:
                start = ptr - base
                return array[start:start + count * np.dtype(dtype).itemsize].view(dtype)
        raise AssertionError(f"pointer {ptr:#x} is not in fake device memory")

    def read(self, ptr, count, dtype):
        return self.view(ptr, count, dtype).copy()

    def write(self, ptr, array):
        raw = np.ascontiguousarray(array).view(np.uint8).ravel()
        self.view(ptr, raw.size, np.uint8)[:] = raw

    def alloc_pinned(self, shape, dtype):
        return np.zeros(shape, dtype)

    def free_pinned(self, array):
        pass

    # streams, events, graphs --------------------------------------------------------------
    def create_stream(self):
        s = next(self._ids)
        self.streams.add(s)
        return s

    def destroy_stream(self, stream):
        self.streams.remove(stream)

    def enqueue(self, stream, fn):
        if stream in self.capturing:
            self.capturing[stream].append(fn)
        else:
            fn()

    def copy_htod_async(self, dst, src, stream):
        data = src.copy()
        self.log.append(("copy", "htod"))
        self.enqueue(stream, lambda: self.write(dst, data))

    def copy_dtoh_async(self, dst, src, stream):
        self.log.append(("copy", "dtoh"))
        self.enqueue(stream, lambda: dst.__setitem__(slice(None),
                                                     self.read(src, dst.size, dst.dtype).reshape(dst.shape)))

    def synchronize(self, stream):
        self.log.append(("sync", stream))

    def create_event(self):
        return next(self._ids)

    def record_event(self, event, stream):
        pass

    def wait_event(self, stream, event):
        pass

    def elapsed_ms(self, start, end):
        return 1.5

    def destroy_event(self, event):
        pass

    def begin_capture(self, stream):
        self.capturing[stream] = []

    def end_capture(self, stream):
        g = next(self._ids)
        self.graphs[g] = self.capturing.pop(stream)
        return g

    def launch_graph(self, graph, stream):
        self.graph_launches += 1
        for fn in self.graphs[graph]:
            self.enqueue(stream, fn)

    def destroy_graph(self, graph):
        self.graphs.pop(graph, None)

    # kernels: their own source on the emulator ---------------------------------------------
    def load_module(self, image):
        return 1

    def get_function(self, module, name):
        return name

    def launch(self, function, grid, block, args, stream):
        self.launches.append(function)
        self.log.append(("launch", function))
        if self.emulator is None:
            raise AssertionError(f"{function} launched on a FakeCuda made without an emulator")
        values = [a.as_ctype() for a in args]
        self.enqueue(stream, lambda: self.emulator.launch(function, grid, block, values))

