"""ONNX models that declare a fixed image size (the ONNX Model Zoo's fast-neural-style files take only
1x3x224x224) are mostly fully convolutional all the same: their input and output say 224 where the
network itself does not care. ``free_image_size`` rewrites those declarations as named free dimensions so
ONNX Runtime accepts any batch, height and width; a network that does depend on the size (a Reshape to a
constant shape) then fails when it runs, and the runtime says so."""
from __future__ import annotations

from pathlib import Path

from stylert._lazy import require

FREE_NAMES = {0: "batch", 2: "height", 3: "width"}


def fixed_image_dims(shape: list) -> dict[int, int]:
    """The batch, height and width entries of a declared NCHW shape that are numbers, by axis."""
    return {axis: dim for axis, dim in enumerate(shape) if axis in FREE_NAMES and isinstance(dim, int)}


def free_image_size(path: Path, input_name: str, output_name: str) -> bytes:
    """The model at ``path``, serialised, with the batch, height and width of its image input and output
    declared free, and no intermediate shape annotations (ONNX Runtime infers them again)."""
    onnx = require("onnx", f"running {path.name} (its ONNX declares a fixed image size) at other sizes")
    model = onnx.load(str(path))
    for value in (*model.graph.input, *model.graph.output):
        if value.name not in (input_name, output_name) or not value.type.tensor_type.HasField("shape"):
            continue
        dims = value.type.tensor_type.shape.dim
        for axis, name in FREE_NAMES.items():
            if axis < len(dims):
                dims[axis].dim_param = name  # a oneof with dim_value: the number goes
    del model.graph.value_info[:]
    return model.SerializeToString()
