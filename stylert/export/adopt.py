"""ONNX files stylert did not write, brought to its convention once. Every stylert model has one input named
``input`` and one output named ``output`` with free batch, height and width (model_info); a file from
elsewhere may name them otherwise and may declare a fixed size - the ONNX Model Zoo's fast-neural-style
files take only 1x3x224x224 - though the network itself is fully convolutional. ``adopted_onnx`` writes a
cached copy with stylert's names, free sizes and metadata, so every path (ONNX Runtime, tiles, fp16 and int8
conversion, TensorRT builds) reads it like its own. A network that really depends on its size then fails when
it runs, and the runtime names the file and the size it declared (``ModelInfo.adopted_from``,
``declared_input``)."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stylert._lazy import require
from stylert.atomic_files import atomic_output
from stylert.cache import cache_dir, file_sha256
from stylert.errors import BadModelFile
from stylert.frames.file_headers import instead_of
from stylert.model_info import INPUT_NAME, IO_CONVENTION, OUTPUT_NAME, ModelInfo, set_onnx_metadata
from stylert.ort_session import load_failure, ort_session

FREE_AXES = {0: "batch", 2: "height", 3: "width"}


def adopted_onnx(path: Path, log: Callable[[str], None] = lambda s: None) -> Path:
    """``path`` itself when it follows stylert's convention already (stylert wrote it, or its names and sizes
    happen to fit), else the cached adopted copy, made on first use. The decision is made once per file
    version in a process (a Stylizer asks again for its tiles)."""
    stat = path.stat()
    target, why = _adoption(path, stat.st_mtime_ns, stat.st_size)
    if why:
        log(f"{path.name} {why}: running a copy with stylert's names and free sizes")
    return target


@functools.cache
def _adoption(path: Path, mtime_ns: int, size: int) -> tuple[Path, str]:
    """(the file to run, why it is a copy: "" when it is ``path``) for one version of the file."""
    names, shapes, stylert_made = _declarations(path)
    if stylert_made or names is None or shapes is None or not all(may_be_image(s) for s in shapes):
        return path, ""  # stylert's own, or not one image in and out: the backend says what is wrong with it
    shape = shapes[0]
    fixed = [axis for axis in FREE_AXES if axis < len(shape) and isinstance(shape[axis], int)]
    if names == (INPUT_NAME, OUTPUT_NAME) and not fixed:
        return path, ""
    why = [f"names its input and output {names[0]!r} and {names[1]!r}"] if names != (INPUT_NAME, OUTPUT_NAME) else []
    declared = "x".join(str(d) for d in shape) if fixed else ""
    if fixed:
        why.append(f"declares a fixed {declared} input")
    target = cache_dir("onnx") / f"{path.stem}-{file_sha256(path)[:16]}-adopted.onnx"
    if not target.is_file():
        _write_adopted(path, target, names, declared)
    return target, " and ".join(why)


def model_session(path: Path, options: Any, providers: Sequence[str] = ("CPUExecutionProvider",)) -> Any:
    """An ONNX Runtime session of the model at ``path`` (``ort_session``); a file it cannot load is one
    BadModelFile line (a picture given for a model is named as one)."""
    try:
        return ort_session(str(path), options, providers)
    except Exception as exc:
        raise BadModelFile(instead_of(path, "an ONNX model") or load_failure(path, exc)) from None


def may_be_image(shape: list | None) -> bool:
    """Whether a declared input or output shape could be N x 3 x H x W (an unknown rank or channel count could)."""
    if not shape:
        return True
    return len(shape) == 4 and (shape[1] == 3 or not isinstance(shape[1], int))


def _declarations(path: Path) -> tuple[tuple[str, str] | None, tuple[list, list] | None, bool]:
    """((input name, output name), (their declared shapes), whether stylert wrote it), as ONNX Runtime reads the
    file; names and shapes are None unless there is exactly one input and one output."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = model_session(path, options)
    stylert_made = "stylert.io" in session.get_modelmeta().custom_metadata_map
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or len(outputs) != 1:
        return None, None, stylert_made
    return (inputs[0].name, outputs[0].name), (inputs[0].shape, outputs[0].shape), stylert_made


def _write_adopted(path: Path, target: Path, names: tuple[str, str], declared: str) -> None:
    onnx = require("onnx", f"running {path.name}, an ONNX file with other input/output names or a fixed size")
    model = onnx.load(str(path))
    graph = model.graph
    for wanted in (INPUT_NAME, OUTPUT_NAME):  # a tensor inside the network that already has a wanted name
        if wanted not in names:
            _rename(graph, wanted, f"{wanted}_inner")
    _rename(graph, names[0], INPUT_NAME)
    _rename(graph, names[1], OUTPUT_NAME)
    for value in (*graph.input, *graph.output):
        if value.name in (INPUT_NAME, OUTPUT_NAME) and value.type.tensor_type.HasField("shape"):
            dims = value.type.tensor_type.shape.dim
            for axis, name in FREE_AXES.items():
                if axis < len(dims):
                    dims[axis].dim_param = name  # dim_value and dim_param are one field: the number goes
    del graph.value_info[:]  # sizes inferred at the declared size; ONNX Runtime infers them again
    info = ModelInfo("unknown", "unknown", path.stem, 4, io=IO_CONVENTION, adopted_from=str(path),
                     declared_input=declared)
    set_onnx_metadata(model, {p.key: p.value for p in model.metadata_props} | info.to_metadata())
    with atomic_output(target) as tmp:
        onnx.save(model, str(tmp))


def _rename(graph, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in (*graph.input, *graph.output, *graph.value_info, *graph.initializer):
        if value.name == old:
            value.name = new
