"""ONNX -> serialized TensorRT engine, written against the documented TensorRT Python API.

TensorRT 11 builds strongly typed networks only: precision comes from the ONNX graph (fp16
via ``stylert export --precision fp16``, int8 via Q/DQ from ``stylert export --int8``), never
from builder flags. On 10.x the network opts in with
``NetworkDefinitionCreationFlag.STRONGLY_TYPED``. ``trt`` is the imported tensorrt module
(tests pass a fake one). Each function binds it as ``api`` under ``TYPE_CHECKING`` so that mypy checks every
TensorRT name against tensorrt-stubs: a module held in a variable or attribute is not checked, so the two lines
cannot move into a shared helper.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stylert.atomic_files import atomic_output
from stylert.errors import BadModelFile
from stylert.export.engine_spec import EngineSpec
from stylert.gpu.tensorrt_api import import_tensorrt, plugin_library
from stylert.model_info import INPUT_NAME


def network_flags(trt: Any) -> int:
    """STRONGLY_TYPED where the enum has it (10.x; on 11 typing is always strong)."""
    flag = getattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
    return 1 << int(flag) if flag is not None else 0


def build_serialized_engine(onnx_path: str | Path, spec: EngineSpec, *, trt: Any | None = None,
                            log: Callable[[str], None] = lambda s: None) -> bytes:
    """Parse, configure one optimisation profile, build; returns the plan bytes."""
    if TYPE_CHECKING:  # to mypy the module is tensorrt itself, so each name is checked against tensorrt-stubs
        import tensorrt as api
    else:
        api = trt or import_tensorrt()
    onnx_path = Path(onnx_path)
    logger = api.Logger(api.Logger.WARNING)
    builder = api.Builder(logger)
    if spec.plugins:
        builder.get_plugin_registry().load_library(plugin_library(spec.plugins))
        log(f"loaded plugin library {spec.plugins}")
    network = builder.create_network(network_flags(api))
    parser = api.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = [parser.get_error(i).desc() for i in range(parser.num_errors)]
        raise BadModelFile(f"TensorRT could not parse {onnx_path}: {'; '.join(errors) or 'unknown error'}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(api.MemoryPoolType.WORKSPACE, spec.workspace_mb << 20)
    profile = builder.create_optimization_profile()
    profile.set_shape(INPUT_NAME, *(api.Dims(list(s)) for s in (spec.profile.min, spec.profile.opt, spec.profile.max)))
    config.add_optimization_profile(profile)
    if spec.refit:
        config.set_flag(api.BuilderFlag.REFIT)
    if spec.plugins:
        config.plugins_to_serialize = [str(spec.plugins)]
    cache_path = Path(spec.timing_cache) if spec.timing_cache else None
    if cache_path is not None:
        cache = config.create_timing_cache(cache_path.read_bytes() if cache_path.is_file() else b"")
        config.set_timing_cache(cache, ignore_mismatch=False)
    log(f"building {spec.precision} engine, profile {spec.profile.describe()} ...")
    started = time.perf_counter()
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise BadModelFile(f"TensorRT failed to build an engine from {onnx_path} (see its log above)")
    log(f"built in {time.perf_counter() - started:.1f} s")
    if cache_path is not None:
        with atomic_output(cache_path) as tmp:
            tmp.write_bytes(bytes(config.get_timing_cache().serialize()))
    return bytes(plan)


def refit_engine(engine: Any, onnx_path: str | Path, *, trt: Any | None = None) -> float:
    """Swap the weights of a refittable engine for those of another ONNX with the same topology
    (another style); returns the seconds it took."""
    if TYPE_CHECKING:  # to mypy the module is tensorrt itself, so each name is checked against tensorrt-stubs
        import tensorrt as api
    else:
        api = trt or import_tensorrt()
    started = time.perf_counter()
    logger = api.Logger(api.Logger.WARNING)
    refitter = api.Refitter(engine, logger)
    parser = api.OnnxParserRefitter(refitter, logger)
    if not parser.refit_from_file(str(onnx_path)):
        errors = [parser.get_error(i).desc() for i in range(parser.num_errors)]
        raise BadModelFile(f"cannot refit from {onnx_path} (different topology?): {'; '.join(errors)}")
    if not refitter.refit_cuda_engine():
        raise BadModelFile(f"TensorRT refused the weights of {onnx_path}")
    return time.perf_counter() - started
