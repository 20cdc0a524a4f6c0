"""Engines on disk: prepare the precision's ONNX, build, write engine + sidecar, and reuse a
cached engine only while the GPU, TensorRT version, model, precision and profile still match.
``resolve_engine`` is the loader: it decides which engine file a runner deserialises (cache hit,
build, rebuild on a sidecar mismatch) and reports what it does through ``log``."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stylert.atomic_files import atomic_output
from stylert.cache import cache_dir, file_sha256
from stylert.errors import EngineMismatch
from stylert.export.adopt import adopted_onnx
from stylert.export.engine_spec import EngineSidecar, EngineSpec, ProfileShapes, cache_key, check_sidecar
from stylert.export.quantize import RECIPE
from stylert.gpu.tensorrt_api import GpuFacts
from stylert.model_info import onnx_metadata
from stylert.samples import SAMPLES_DIR


def _onnx_precision(path: Path) -> str:
    return onnx_metadata(path).get("stylert.precision", "fp32")


def precision_onnx(onnx_path: Path, precision: str, calib: Path | None = None,
                   log: Callable[[str], None] = lambda s: None) -> Path:
    """The ONNX a strongly typed build of ``precision`` needs (made once, cached by content); ``log`` hears each
    calibration photo left out."""
    if precision == "fp32" or _onnx_precision(onnx_path) == precision:
        return onnx_path
    digest = file_sha256(onnx_path)[:16]
    recipe = f"-{RECIPE}" if precision == "int8" else ""
    target = cache_dir("onnx") / f"{onnx_path.stem}-{digest}-{precision}{recipe}.onnx"
    if target.is_file():
        return target
    if precision == "fp16":
        from stylert.export.fp16 import save_fp16

        save_fp16(onnx_path, target)
    else:
        from stylert.export.quantize import calibration_batches, quantize_int8

        quantize_int8(onnx_path, target, calibration_batches(calib or SAMPLES_DIR, on_skip=log))
    return target


def plugin_onnx(onnx_path: Path) -> Path:
    """``onnx_path`` with InstanceNorm(+ReLU/+Add) fused into the plugin op (cached)."""
    import onnx

    from stylert.export.plugin_pass import fuse_instance_norm

    target = cache_dir("onnx") / f"{onnx_path.stem}-{file_sha256(onnx_path)[:16]}-plugin.onnx"
    if not target.is_file():
        model = onnx.load(str(onnx_path))
        fuse_instance_norm(model)
        with atomic_output(target) as tmp:
            onnx.save(model, str(tmp))
    return target


def build_engine_file(onnx_path: Path, out: Path, spec: EngineSpec, facts: GpuFacts, *, trt: Any,
                      calib: Path | None = None, log: Callable[[str], None] = lambda s: None) -> EngineSidecar:
    from stylert.export.trt_build import build_serialized_engine

    source = precision_onnx(onnx_path, spec.precision, calib, log)
    if spec.plugins:
        source = plugin_onnx(source)
    started = time.perf_counter()
    plan = build_serialized_engine(source, spec, trt=trt, log=log)
    with atomic_output(out) as tmp:
        tmp.write_bytes(plan)
    sidecar = EngineSidecar(
        tensorrt_version=facts.tensorrt_version, gpu_name=facts.gpu_name,
        compute_capability=facts.compute_capability, precision=spec.precision,
        profile={"min": list(spec.profile.min), "opt": list(spec.profile.opt), "max": list(spec.profile.max)},
        onnx_sha256=file_sha256(onnx_path), plugin_library=spec.plugins, refittable=spec.refit,
        build_seconds=round(time.perf_counter() - started, 2), model=onnx_metadata(source))
    sidecar.write(out)
    return sidecar


def cached_engine(onnx_path: Path, spec: EngineSpec, facts: GpuFacts, *, trt: Any,
                  log: Callable[[str], None] = lambda s: None) -> Path:
    """Build once per model/GPU/TensorRT version/precision/profile, then reuse."""
    key = cache_key(file_sha256(onnx_path), spec, tensorrt_version=facts.tensorrt_version, gpu_name=facts.gpu_name,
                    compute_capability=facts.compute_capability)
    engine = cache_dir("engines") / f"{onnx_path.stem}-{spec.precision}-{key}.engine"
    if engine.is_file():
        try:
            check_sidecar(EngineSidecar.read(engine), tensorrt_version=facts.tensorrt_version,
                          gpu_name=facts.gpu_name, compute_capability=facts.compute_capability, engine=engine)
            return engine
        except EngineMismatch as exc:
            log(f"cached engine is stale ({exc}); rebuilding")
    log(f"no cached engine for this GPU/TensorRT/precision/profile; building {engine.name}")
    build_engine_file(onnx_path, engine, spec, facts, trt=trt, log=log)
    return engine


def resolve_engine(model: Path, spec: EngineSpec, facts: GpuFacts, *, trt: Any,
                   log: Callable[[str], None] = lambda s: None) -> tuple[Path, EngineSidecar]:
    """The engine file to run for ``model`` and its sidecar: an .onnx goes through the cache (built on
    first use); an .engine is used as it is while its sidecar fits this GPU and TensorRT, else rebuilt
    in place from the .onnx beside it (or EngineMismatch says how to rebuild)."""
    if model.suffix == ".onnx":
        engine = cached_engine(model, spec, facts, trt=trt, log=log)
        return engine, EngineSidecar.read(engine)
    sidecar = EngineSidecar.read(model)
    try:
        check_sidecar(sidecar, tensorrt_version=facts.tensorrt_version, gpu_name=facts.gpu_name,
                      compute_capability=facts.compute_capability, engine=model)
        return model, sidecar
    except EngineMismatch:
        onnx_beside = model.with_suffix(".onnx")
        if not onnx_beside.is_file():
            raise
        log(f"engine does not fit this GPU/TensorRT; rebuilding from {onnx_beside}")
        profile = ProfileShapes(*(tuple(sidecar.profile[k]) for k in ("min", "opt", "max")))
        rebuilt = EngineSpec(precision=sidecar.precision, plugins=sidecar.plugin_library, refit=sidecar.refittable,
                             profile=profile)
        return model, build_engine_file(adopted_onnx(onnx_beside, log), model, rebuilt, facts, trt=trt, log=log)


def build_engine_for_onnx(onnx_path: Path, out: Path, *, precision: str, batch: tuple[int, int, int],
                          height: tuple[int, int, int], width: tuple[int, int, int], workspace_mb: int = 1024,
                          plugins: str | None = None, refit: bool = False, timing_cache: str | None = None,
                          calib: Path | None = None, log: Callable[[str], None] = lambda s: None
                          ) -> tuple[EngineSidecar, GpuFacts]:
    """``stylert build-engine``: check the ONNX (adopting one stylert did not write), turn MIN,OPT,MAX triplets
    into the profile (rounded up to the model's size multiple), probe TensorRT and the GPU, build engine +
    sidecar."""
    from stylert.errors import BackendUnavailable
    from stylert.gpu.cuda_layer import open_cuda_layer
    from stylert.gpu.tensorrt_api import import_tensorrt

    onnx_path = adopted_onnx(onnx_path, log)
    multiple = int(onnx_metadata(onnx_path).get("stylert.size_multiple", "4"))
    profile = ProfileShapes.from_triplets(batch, height, width, multiple)
    spec = EngineSpec(precision=precision, profile=profile, workspace_mb=workspace_mb, plugins=plugins, refit=refit,
                      timing_cache=timing_cache)
    try:
        trt = import_tensorrt()
        facts = GpuFacts.probe(trt, open_cuda_layer())
    except BackendUnavailable as exc:
        raise BackendUnavailable(f"build-engine needs TensorRT and an NVIDIA GPU: {exc}. "
                                 "On this machine use the ONNX model with --backend onnxruntime") from None
    return build_engine_file(onnx_path, out, spec, facts, trt=trt, calib=calib, log=log), facts
