"""PyTorch network -> ONNX with dynamic batch/height/width and the stylert IO convention."""
from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from stylert import __version__
from stylert._lazy import require
from stylert.atomic_files import atomic_output
from stylert.errors import MissingDependency, StylertError, first_line
from stylert.model_info import INPUT_NAME, ONNX_IR_VERSION, OUTPUT_NAME, ModelInfo, set_onnx_metadata
from stylert.models.checkpoint import LoadedModel
from stylert.models.convention import convention_module
from stylert.ort_session import ort_session

OPSET = 18


@dataclass(frozen=True)
class ExportResult:
    path: Path
    info: ModelInfo
    parity: tuple[tuple[tuple[int, ...], float], ...]  # (input shape, max abs diff on 0..255)


def _rename_output_dims(model_proto) -> None:
    """Output spatial dims equal the input's (inputs are padded to the multiple), so say so."""
    names = [d.dim_param or d.dim_value for d in model_proto.graph.input[0].type.tensor_type.shape.dim]
    for dim, name in zip(model_proto.graph.output[0].type.tensor_type.shape.dim, names):
        dim.Clear()
        if isinstance(name, str):
            dim.dim_param = name
        else:
            dim.dim_value = name


def to_onnx_proto(model: LoadedModel, *, example_size: int = 64):
    """Trace the wrapped network with the dynamo exporter and return the ModelProto. Frames reach the network
    padded to its size multiple, so that is the least height and width traced for (a UnetGenerator's norms
    need more than one value at its deepest level). The example is a batch of 2 at twice the multiple at least:
    torch took a size of 1 for a constant (a batch of 1 with torch 2.5, a U-Net's deepest level with 2.5 to 2.9) and
    wrote a graph that takes one frame size only (``_require_dynamic_input``)."""
    torch = require("torch", "export")
    require("onnxscript", "export (torch.onnx's exporter)")
    module = convention_module(model)
    side = max(example_size, 2 * model.size_multiple)
    example = torch.rand(2, 3, side, side) * 255
    dims = {0: torch.export.Dim("batch", max=256),
            2: torch.export.Dim("height", min=model.size_multiple, max=8192),
            3: torch.export.Dim("width", min=model.size_multiple, max=8192)}
    quiet = io.StringIO()
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), torch.inference_mode(False):
        warnings.simplefilter("ignore")
        try:
            program = torch.onnx.export(module, (example,), input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                                        opset_version=OPSET, dynamo=True, dynamic_shapes=(dims,), verbose=False)
        except ImportError as exc:  # torch 2.13 with onnxscript 0.5: No module named '..._framework_apis.torch_2_11'
            raise MissingDependency(f"torch {torch.__version__}'s ONNX exporter does not work with onnxscript "
                                    f"{metadata.version('onnxscript')} ({first_line(exc)}): pip install --upgrade "
                                    "onnxscript") from None
    proto = program.model_proto
    _require_dynamic_input(proto, torch.__version__)
    _rename_output_dims(proto)
    return proto


def _require_dynamic_input(model_proto, torch_version: str) -> None:
    """Refuse a graph traced with a fixed batch, height or width: it would take frames of one size only."""
    dims = model_proto.graph.input[0].type.tensor_type.shape.dim
    fixed = [name for name, i in (("batch", 0), ("height", 2), ("width", 3)) if not dims[i].dim_param]
    if fixed:
        raise StylertError(f"torch {torch_version} traced the network with a fixed {' and '.join(fixed)}, so "
                           "the ONNX file would take one frame size only; nothing was written (pip install "
                           "--upgrade torch)")


def export_onnx(model: LoadedModel, out: str | Path, *, parity_images: list[np.ndarray] | None = None,
                progress: Callable[[str], None] = lambda s: None) -> ExportResult:
    """Export ``model`` to ``out`` (written atomically) and check it against PyTorch.

    ``parity_images``: RGB float32 NCHW arrays in 0..255 run through both PyTorch and
    ONNX Runtime; their max abs differences are returned. ``progress`` hears each step as it starts.
    """
    onnx = require("onnx", "export")
    progress("tracing the network with torch.export (the slow step, about 10 s)")
    proto = to_onnx_proto(model)
    progress("checking the ONNX graph")
    info = ModelInfo(model.architecture, model.variant, model.style, model.size_multiple)
    set_onnx_metadata(proto, info.to_metadata() | {"stylert.version": __version__, "stylert.source": model.source.name})
    proto.ir_version = ONNX_IR_VERSION
    proto.producer_name, proto.doc_string = "stylert", f"{model.style} ({model.architecture}, {model.variant})"
    onnx.checker.check_model(proto, full_check=True)
    with atomic_output(out) as tmp:
        onnx.save(proto, tmp)
        if parity_images:
            progress(f"comparing ONNX Runtime with PyTorch on {len(parity_images)} inputs")
        parity = tuple(parity_against_torch(model, tmp, parity_images or []))
    return ExportResult(Path(out), info, parity)


def parity_against_torch(model: LoadedModel, onnx_path: str | Path, batches: list[np.ndarray]):
    """Yield (shape, max abs diff) of ONNX Runtime vs PyTorch for each NCHW batch."""
    torch = require("torch", "export")

    session = ort_session(str(onnx_path))
    module = convention_module(model)
    for batch in batches:
        with torch.inference_mode():
            expected = module(torch.from_numpy(batch)).numpy()
        got = session.run(None, {INPUT_NAME: batch})[0]
        yield batch.shape, float(np.abs(got - expected).max())
