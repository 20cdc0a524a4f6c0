"""ONNX Runtime sessions made without its Python wrapper's notices on standard output: where a provider fails to
start (or a damaged model fails to load) it prints an "EP Error" banner there before it retries on the CPU, which
put text in front of the picture `stylert stylize -o -` writes to standard output, and in front of a bench
worker's results. stylert says what failed in its own one line."""
from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any


def ort_session(model: str | bytes, options: Any = None, providers: Sequence[str] = ("CPUExecutionProvider",)) -> Any:
    """``onnxruntime.InferenceSession(model, options, providers)``, its printed notices dropped. A model whose path
    ONNX Runtime cannot take (a name that is not UTF-8, such as a Latin-1 one) is given as the file's bytes."""
    import onnxruntime as ort

    if isinstance(model, str) and not _utf8(model):
        with open(model, "rb") as file:
            model = file.read()
    with contextlib.redirect_stdout(io.StringIO()):
        return ort.InferenceSession(model, options, providers=list(providers))


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
