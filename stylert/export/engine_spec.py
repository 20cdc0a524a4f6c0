"""What a TensorRT engine is built for (EngineSpec), what it was built on (EngineSidecar, the
JSON beside every engine), and the cache key that ties the two. No tensorrt import here."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from stylert import __version__
from stylert.atomic_files import atomic_output
from stylert.errors import EngineMismatch, StylertError
from stylert.frames.prepost import padded_size

PRECISIONS = ("fp32", "fp16", "int8")
# TensorRT's layers index a tensor's elements with 32-bit integers: a profile whose largest input holds this many
# cannot be built (and its activations, 32 to 128 channels of it, far less).
TENSOR_ELEMENTS_LIMIT = 2**31
Shape = tuple[int, int, int, int]


def parse_triplet(text: str, what: str) -> tuple[int, int, int]:
    """'MIN,OPT,MAX' (or one number for all three) -> ints with MIN <= OPT <= MAX."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise StylertError(f"--{what} takes MIN,OPT,MAX whole numbers, got '{text}'") from None
    if len(values) == 1:
        values *= 3
    if len(values) != 3:
        raise StylertError(f"--{what} takes MIN,OPT,MAX (three numbers) or one number for all three, got '{text}'")
    if not 0 < values[0] <= values[1] <= values[2]:
        raise StylertError(f"--{what} needs 0 < MIN <= OPT <= MAX, got '{text}'")
    return values[0], values[1], values[2]


@dataclass(frozen=True)
class ProfileShapes:
    """min/opt/max NCHW input shapes of the one optimisation profile."""

    min: Shape
    opt: Shape
    max: Shape

    @classmethod
    def from_triplets(cls, batch: tuple[int, int, int], height: tuple[int, int, int], width: tuple[int, int, int],
                      multiple: int = 4) -> ProfileShapes:
        """Heights and widths are rounded up to the model's size multiple (the runtime pads to it). A MAX shape
        whose input alone holds TENSOR_ELEMENTS_LIMIT values is a StylertError, before TensorRT is loaded."""
        h = tuple(padded_size(v, multiple) for v in height)
        w = tuple(padded_size(v, multiple) for v in width)
        largest = batch[2] * 3 * h[2] * w[2]
        if largest >= TENSOR_ELEMENTS_LIMIT:
            raise StylertError(f"the profile's largest input, {batch[2]}x3x{h[2]}x{w[2]}, holds {largest:,} values; "
                               f"TensorRT's tensors hold fewer than {TENSOR_ELEMENTS_LIMIT:,}: lower the MAX of "
                               "--batch, --height or --width")
        return cls(*((batch[i], 3, h[i], w[i]) for i in range(3)))

    def contains(self, shape: tuple[int, ...]) -> bool:
        return all(lo <= v <= hi for lo, v, hi in zip(self.min, shape, self.max))

    def describe(self) -> str:
        return " / ".join("x".join(map(str, s)) for s in (self.min, self.opt, self.max))


DEFAULT_PROFILE = ProfileShapes.from_triplets((1, 1, 4), (64, 720, 1088), (64, 1280, 1920))


@dataclass(frozen=True)
class EngineSpec:
    precision: str = "fp32"
    profile: ProfileShapes = DEFAULT_PROFILE
    workspace_mb: int = 1024
    plugins: str | None = None        # path of libstylert_trt_plugin.so
    refit: bool = False
    timing_cache: str | None = None

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise StylertError(f"precision must be one of {', '.join(PRECISIONS)}, got '{self.precision}'")


@dataclass(frozen=True)
class EngineSidecar:
    tensorrt_version: str
    gpu_name: str
    compute_capability: str
    precision: str
    profile: dict
    onnx_sha256: str
    plugin_library: str | None
    refittable: bool
    build_seconds: float
    model: dict = field(default_factory=dict)  # the ONNX's stylert.* metadata (architecture, style, ...)
    built_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))
    stylert_version: str = __version__

    @staticmethod
    def path_for(engine: Path) -> Path:
        return engine.with_suffix(engine.suffix + ".json")

    def write(self, engine: Path) -> Path:
        path = self.path_for(engine)
        with atomic_output(path) as tmp:
            tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def read(cls, engine: Path) -> EngineSidecar:
        path = cls.path_for(engine)
        if not path.is_file():
            raise EngineMismatch(f"{engine} has no sidecar {path.name}; rebuild it with: "
                                 f"stylert build-engine MODEL.onnx -o {engine}")
        try:
            return cls(**json.loads(path.read_text()))
        except (ValueError, TypeError) as exc:
            raise EngineMismatch(f"{path} is not a valid stylert engine sidecar ({exc}); rebuild the engine") from None


def check_sidecar(sidecar: EngineSidecar, *, tensorrt_version: str, gpu_name: str, compute_capability: str,
                  onnx_sha256: str | None = None, engine: Path | None = None) -> None:
    """Raise EngineMismatch naming what differs and how to rebuild; return when the engine fits."""
    problems = []
    if sidecar.tensorrt_version.split(".")[:3] != tensorrt_version.split(".")[:3]:
        problems.append(f"built with TensorRT {sidecar.tensorrt_version}, this is {tensorrt_version}")
    if sidecar.compute_capability != compute_capability or sidecar.gpu_name != gpu_name:
        problems.append(f"built for {sidecar.gpu_name} (sm_{sidecar.compute_capability.replace('.', '')}), "
                        f"this GPU is {gpu_name} (sm_{compute_capability.replace('.', '')})")
    if onnx_sha256 is not None and sidecar.onnx_sha256 != onnx_sha256:
        problems.append("the ONNX model changed since the engine was built")
    if problems:
        target = engine or Path("MODEL.engine")
        raise EngineMismatch(f"engine {target.name} does not fit: {'; '.join(problems)}. Rebuild with: "
                             f"stylert build-engine MODEL.onnx -o {target} --precision {sidecar.precision}")


def cache_key(onnx_sha256: str, spec: EngineSpec, *, tensorrt_version: str, gpu_name: str,
              compute_capability: str) -> str:
    """Everything an engine depends on, hashed: one engine per model/GPU/TensorRT/precision/profile."""
    plugin = Path(spec.plugins).name if spec.plugins else ""
    text = json.dumps([onnx_sha256, spec.precision, asdict(spec.profile), plugin, spec.refit,
                       tensorrt_version, gpu_name, compute_capability])
    return hashlib.sha256(text.encode()).hexdigest()[:20]
