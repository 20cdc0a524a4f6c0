"""ONNX Runtime sessions made without its Python wrapper's notices on standard output: where a provider fails to
start (or a damaged model fails to load) it prints an "EP Error" banner there before it retries on the CPU, which
put text in front of the picture `stylert stylize -o -` writes to standard output, and in front of a bench
worker's results. stylert says what failed in its own one line."""
from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Sequence
from pathlib import Path
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


def load_failure(path: object, exc: BaseException) -> str:
    """Why ONNX Runtime could not load the model at ``path``, in one line of words a user can act on: its weights
    file missing, an opset or IR version newer than this onnxruntime reads, an operator it lacks; otherwise
    ONNX Runtime's own words without its source file and C++ signature."""
    import onnxruntime as ort

    said = str(exc)
    this = f"this onnxruntime ({ort.__version__})"
    found = re.search(r'External data path does not exist: "?([^"\n]+)', said)
    if found:
        return (f"{path} keeps its weights in {Path(found[1]).name} beside it, and that file is missing: copy it "
                "along with the .onnx")
    found = re.search(r"Opset (\d+) is under development.*support for domain (\S+) is till opset (\d+)", said, re.S)
    if found:
        return (f"{path} is stamped with opset {found[1]} of {found[2]}, and {this} reads up to opset {found[3]}: "
                "install a newer onnxruntime or export it at a lower opset")
    found = re.search(r"Unsupported model IR version: (\d+), max supported IR version: (\d+)", said)
    if found:
        return (f"{path} is written in ONNX IR version {found[1]}, and {this} reads up to {found[2]}: install a "
                "newer onnxruntime or save it at a lower IR version")
    found = re.search(r"(\S*?):?(\w+)\(-?\d+\) is not a registered function/op", said)
    if found:
        domain = f" of the {found[1]} domain" if found[1] else ""
        return f"{path} uses the operator {found[2]}{domain}, which {this} does not have (a custom operator?)"
    found = re.search(r"No Op registered for (\w+) with domain_version of (\d+)", said)
    if found:
        return f"{path} uses the operator {found[1]}, which {this} does not have at opset {found[2]}"
    return f"{path} is not a loadable ONNX model (truncated or corrupt?): {_ort_words(said)}"


def _ort_words(said: str) -> str:
    """ONNX Runtime's message without its "[ONNXRuntimeError] : 1 : FAIL : Load model from X failed:" lead and the
    source file and C++ function it names."""
    said = re.sub(r"^\[ONNXRuntimeError\][^:]*:[^:]*:[^:]*: (Load model from .*? failed:)?", "", said.strip())
    source = re.match(r"/\S+:\d+ ", said)
    if source:
        rest, depth = said[source.end():], 0
        for at, char in enumerate(rest):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == ")" and depth == 0:
                said = rest[at + 1:].removeprefix(" const").strip()
                break
    return (said.splitlines() or ["no reason given"])[0]
