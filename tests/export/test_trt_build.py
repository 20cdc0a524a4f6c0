"""Engine-build logic against a fake tensorrt module: which calls, in which order, with which shapes."""
import pytest

from stylert.errors import BadModelFile, EngineMismatch, StylertError
from stylert.export.engine_cache import GpuFacts, cached_engine
from stylert.export.engine_spec import (EngineSidecar, EngineSpec, ProfileShapes, cache_key, check_sidecar,
                                        parse_triplet)
from stylert.export.trt_build import build_serialized_engine, network_flags
from tests.fakes import make_fake_trt

PROFILE = ProfileShapes.from_triplets((1, 2, 4), (61, 360, 720), (64, 640, 1280))


def test_profile_parsing_rounds_to_the_model_multiple():
    assert parse_triplet("1,2,4", "batch") == (1, 2, 4) and parse_triplet("8", "batch") == (8, 8, 8)
    for bad, says in (("4,2,1", "needs 0 < MIN <= OPT <= MAX"), ("a,b,c", "whole numbers"), ("0,1,2", "needs 0 <"),
                      ("1,2", "three numbers"), ("1,2,3,4", "three numbers")):
        with pytest.raises(StylertError, match=says):
            parse_triplet(bad, "height")
    assert PROFILE.min == (1, 3, 64, 64) and PROFILE.opt == (2, 3, 360, 640) and PROFILE.max == (4, 3, 720, 1280)
    assert PROFILE.contains((3, 3, 100, 200)) and not PROFILE.contains((5, 3, 100, 200))


def test_a_profile_whose_largest_input_no_tensorrt_tensor_holds_is_refused():
    """TensorRT indexes a tensor's elements with 32-bit integers: 3 x 16384 x 43688 (2,147,352,576) values are
    built, 3 x 16384 x 43692 (2,147,549,184) refused before TensorRT is loaded; a batch counts as much."""
    assert ProfileShapes.from_triplets((1, 1, 1), (64, 64, 16384), (64, 64, 43688)).max == (1, 3, 16384, 43688)
    for batch, width in (((1, 1, 1), 43692), ((1, 1, 2), 21848), ((1, 1, 1), 10**20)):
        with pytest.raises(StylertError, match="TensorRT's tensors hold fewer than 2,147,483,648"):
            ProfileShapes.from_triplets(batch, (64, 64, 16384), (64, 64, width))


def test_build_call_order_and_arguments(tmp_path):
    trt, calls = make_fake_trt("10.13.0")
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"x")
    plugin = tmp_path / "libstylert_trt_plugin.so"
    plugin.write_bytes(b"\x7fELF\x02\x01\x01")  # a shared library's first bytes
    spec = EngineSpec(precision="fp16", profile=PROFILE, workspace_mb=256, plugins=str(plugin),
                      refit=True, timing_cache=str(tmp_path / "t.cache"))
    assert build_serialized_engine(onnx, spec, trt=trt) == b"PLAN-REFIT"  # the fake marks refittable plans
    names = [c[0] for c in calls]
    assert names == ["Logger", "Builder", "load_library", "create_network", "OnnxParser", "parse_from_file",
                     "create_builder_config", "set_memory_pool_limit", "set_shape", "add_optimization_profile",
                     "set_flag", "create_timing_cache", "set_timing_cache", "build_serialized_network"]
    assert ("create_network", 1 << 1) in calls  # strongly typed on 10.x
    assert ("set_memory_pool_limit", trt.MemoryPoolType.WORKSPACE, 256 << 20) in calls
    assert ("set_shape", "input", PROFILE.min, PROFILE.opt, PROFILE.max) in calls
    assert ("set_flag", trt.BuilderFlag.REFIT) in calls  # the only builder flag: precision is in the graph
    assert ("build_serialized_network", (str(plugin),)) in calls
    assert (tmp_path / "t.cache").read_bytes() == b"+timed"


def test_a_plugin_library_that_is_not_one_is_named_before_tensorrt_loads_it(tmp_path):
    trt, calls = make_fake_trt("10.13.0")
    (tmp_path / "m.onnx").write_bytes(b"x")
    (tmp_path / "libs").mkdir()
    (tmp_path / "photo.so").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    (tmp_path / "notes.so").write_text("not a library")
    (tmp_path / "data.so").write_bytes(bytes(range(256)))
    said = {"libs": "plugin library {t}/libs is a folder; name the library in it, e.g. "
                    "{t}/libs/libstylert_trt_plugin.so",
            "nope.so": "plugin library not found: {t}/nope.so (build it with: make kernels)",
            "photo.so": "{t}/photo.so is a PNG picture, not a plugin library",
            "notes.so": "{t}/notes.so is text, not a plugin library",
            "data.so": "{t}/data.so is not a plugin library (a shared library, .so, like libstylert_trt_plugin.so)"}
    for name, message in said.items():
        with pytest.raises(StylertError) as err:
            build_serialized_engine(tmp_path / "m.onnx", EngineSpec(plugins=str(tmp_path / name)), trt=trt)
        assert str(err.value) == message.format(t=tmp_path)
    assert "load_library" not in [c[0] for c in calls]


def test_tensorrt_11_needs_no_strongly_typed_flag():
    trt, _ = make_fake_trt("11.0.0", strongly_typed_flag=False)
    assert network_flags(trt) == 0


def test_parser_errors_are_reported(tmp_path):
    trt, _ = make_fake_trt(parse_ok=False)
    with pytest.raises(BadModelFile, match="unsupported operator Foo"):
        build_serialized_engine(tmp_path / "m.onnx", EngineSpec(), trt=trt)


def _sidecar(**kw):
    base = dict(tensorrt_version="10.13.0.35", gpu_name="NVIDIA L4", compute_capability="8.9", precision="fp16",
                profile={}, onnx_sha256="abc", plugin_library=None, refittable=False, build_seconds=1.0)
    return EngineSidecar(**(base | kw))


def test_sidecar_round_trip_and_mismatches(tmp_path):
    engine = tmp_path / "m.engine"
    _sidecar().write(engine)
    assert EngineSidecar.read(engine) == _sidecar(built_at=EngineSidecar.read(engine).built_at)
    ok = dict(tensorrt_version="10.13.0.40", gpu_name="NVIDIA L4", compute_capability="8.9")
    check_sidecar(_sidecar(), **ok)  # patch-level build numbers do not matter
    with pytest.raises(EngineMismatch, match="TensorRT 10.13.0.35, this is 11.0.0.*stylert build-engine"):
        check_sidecar(_sidecar(), **(ok | {"tensorrt_version": "11.0.0"}))
    with pytest.raises(EngineMismatch, match="sm_89.*sm_86"):
        check_sidecar(_sidecar(), **(ok | {"gpu_name": "RTX 3090", "compute_capability": "8.6"}))
    with pytest.raises(EngineMismatch, match="ONNX model changed"):
        check_sidecar(_sidecar(), onnx_sha256="def", **ok)
    with pytest.raises(EngineMismatch, match="no sidecar"):
        EngineSidecar.read(tmp_path / "other.engine")


def test_cache_key_changes_with_everything_an_engine_depends_on():
    facts = dict(tensorrt_version="10.13", gpu_name="L4", compute_capability="8.9")
    base = cache_key("sha", EngineSpec(), **facts)
    variants = [cache_key("sha2", EngineSpec(), **facts), cache_key("sha", EngineSpec(precision="fp16"), **facts),
                cache_key("sha", EngineSpec(profile=PROFILE), **facts),
                cache_key("sha", EngineSpec(plugins="/x/libstylert_trt_plugin.so"), **facts),
                cache_key("sha", EngineSpec(), **(facts | {"tensorrt_version": "11.0"})),
                cache_key("sha", EngineSpec(), **(facts | {"compute_capability": "9.0"}))]
    assert len({base, *variants}) == 1 + len(variants)
    assert cache_key("sha", EngineSpec(workspace_mb=64), **facts) == base


def test_engine_cache_builds_once_per_gpu(lite_onnx, tmp_path, monkeypatch):
    monkeypatch.setenv("STYLERT_CACHE_DIR", str(tmp_path))
    trt, calls = make_fake_trt()
    l4 = GpuFacts("10.13.0", "NVIDIA L4", "8.9")
    first = cached_engine(lite_onnx, EngineSpec(), l4, trt=trt)
    again = cached_engine(lite_onnx, EngineSpec(), l4, trt=trt)
    other_gpu = cached_engine(lite_onnx, EngineSpec(), GpuFacts("10.13.0", "RTX 4090", "8.9"), trt=trt)
    assert first == again != other_gpu
    assert sum(c[0] == "build_serialized_network" for c in calls) == 2
    sidecar = EngineSidecar.read(first)
    assert sidecar.gpu_name == "NVIDIA L4" and sidecar.model["stylert.architecture"] == "transformer_net"


def test_build_engine_parses_the_adopted_copy_of_a_zoo_style_onnx(lite_onnx, tmp_path, monkeypatch):
    """A foreign ONNX (other names, a fixed 1x3x64x64) is built from stylert's adopted copy, whose input the
    profile names; the user's file is not touched."""
    from stylert.export.engine_cache import build_engine_for_onnx
    from tests.foreign_models import zoo_style_copy

    zoo = zoo_style_copy(lite_onnx, tmp_path / "zoo.onnx")
    before = zoo.read_bytes()
    trt, calls = make_fake_trt()
    monkeypatch.setattr("stylert.gpu.tensorrt_api.import_tensorrt", lambda: trt)
    monkeypatch.setattr("stylert.gpu.cuda_layer.open_cuda_layer", lambda: None)
    monkeypatch.setattr(GpuFacts, "probe", classmethod(lambda cls, trt, cuda: GpuFacts("10.13.0", "NVIDIA L4", "8.9")))
    said: list[str] = []
    build_engine_for_onnx(zoo, tmp_path / "zoo.engine", precision="fp32", batch=(1, 1, 2), height=(64, 256, 512),
                          width=(64, 256, 512), log=said.append)
    (parsed,) = [c[1] for c in calls if c[0] == "parse_from_file"]
    assert parsed.endswith("-adopted.onnx") and zoo.read_bytes() == before
    assert ("set_shape", "input", (1, 3, 64, 64), (1, 3, 256, 256), (2, 3, 512, 512)) in calls
    assert any("declares a fixed 1x3x64x64 input" in line for line in said)
