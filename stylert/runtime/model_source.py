"""Turn ``--style NAME|PATH`` into a model file the chosen backend can load.

Dispatch is by suffix: ``.onnx`` -> onnxruntime, ``.pth``/``.pt`` -> torch (or exported
to a cached ONNX for onnxruntime), built-in names -> the packaged ONNX.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stylert.cache import cache_dir, file_sha256
from stylert.errors import BackendUnavailable, StyleNotFound, not_found
from stylert.frames.images import INPUT_SUFFIXES
from stylert.models.checkpoint import CHECKPOINT_SUFFIXES
from stylert.runtime.backends import backend_class
from stylert.styles import STYLES_DIR, builtin_styles

MODEL_SUFFIXES = (".onnx", *CHECKPOINT_SUFFIXES, ".engine")


def resolve_style(style: str) -> Path:
    """A built-in style name or an existing model file -> its path."""
    builtins = builtin_styles()
    path = Path(style).expanduser()
    if style in builtins or (style.lower() in builtins and not path.exists()):  # names in any case: Mosaic
        return builtins[style.lower()]
    if path.suffix.lower() in MODEL_SUFFIXES:
        if not path.is_file():
            hint = f" (the built-in style is --style {path.stem})" if path.stem in builtins else ""
            raise StyleNotFound(f"{not_found('model file', path)}{hint}")
        return path
    if path.is_file() and path.suffix.lower() in INPUT_SUFFIXES:
        raise StyleNotFound(f"--style {style} is a picture, not a style network; learn its style with stylert "
                            f"train --style-image {style} --content PHOTOS/ -o {path.stem}.pth, then --style "
                            f"{path.stem}.pth")
    if path.is_dir():
        models = sorted(p.name for p in path.iterdir() if p.suffix.lower() in MODEL_SUFFIXES)
        inside = f" ({', '.join(models[:4])}{' ...' if len(models) > 4 else ''})" if models else ""
        raise StyleNotFound(f"--style {style} is a folder; name one model file in it{inside}")
    names = ", ".join(builtins) or "none installed"
    if path.exists() and not path.is_file():  # a device or a pipe (folders were said above)
        raise StyleNotFound(not_found("model file", path))
    if path.is_file():  # a file of another kind (notes.txt, a video)
        from stylert.frames.file_headers import instead_of

        said = instead_of(path, "a style network") or f"--style {style} is not a model file"
        raise StyleNotFound(f"{said}; a style is a built-in name ({names}) or a model file "
                            f"({' '.join(MODEL_SUFFIXES)})")
    import difflib

    close = difflib.get_close_matches(style.lower(), builtins, n=1)
    raise StyleNotFound(f"unknown style '{style}': {f'did you mean {close[0]!r}? ' if close else ''}not a built-in "
                        f"style ({names}) nor a model file ({' '.join(MODEL_SUFFIXES)})")


def exported_onnx(checkpoint: Path) -> Path:
    """Export a checkpoint once to the cache (keyed by its content) and return the ONNX path."""
    target = cache_dir("onnx") / f"{checkpoint.stem}-{file_sha256(checkpoint)[:16]}.onnx"
    if not target.is_file():
        from stylert.export.onnx_export import export_onnx
        from stylert.models.checkpoint import load_checkpoint

        export_onnx(load_checkpoint(checkpoint), target)
    return target


def choose_backend(model: Path, requested: str, device: str = "auto", *, precision: str = "fp32"):
    """BackendChoice(backend, device, reason); 'auto' ranks the engines present (backend_choice.choose_auto)."""
    from stylert.runtime import backend_choice

    if requested == "auto":
        return backend_choice.choose_auto(model, device, precision=precision)
    if device == "auto":  # where the requested backend will run, so 'auto' precision can follow it
        ready = {"tensorrt": lambda: None, "torch": backend_choice.torch_cuda_ready,
                 "onnxruntime": backend_choice.ort_cuda_ready}[requested]
        device = "cuda" if ready() is None else "cpu"
    return backend_choice.BackendChoice(requested, device, "requested")


def model_for_backend(model: Path, backend: str, log: Callable[[str], None] = lambda s: None) -> Path:
    """The file ``backend`` should open for ``model`` (converting or finding a sibling if needed); an ONNX file
    stylert did not write is adopted first (``export.adopt``: its names and sizes made stylert's)."""
    suffixes = backend_class(backend).suffixes
    if model.suffix.lower() in suffixes:
        return _adopted(model, log)
    if backend in ("onnxruntime", "tensorrt") and model.suffix.lower() in CHECKPOINT_SUFFIXES:
        return exported_onnx(model)
    sibling = next((model.with_suffix(s) for s in suffixes if model.with_suffix(s).is_file()), None)
    if sibling is not None:
        return _adopted(sibling, log)
    raise BackendUnavailable(
        f"the {backend} backend loads {'/'.join(suffixes)} files, not {model.name}; "
        "use --backend onnxruntime or pass the PyTorch checkpoint"
    )


def _adopted(model: Path, log: Callable[[str], None]) -> Path:
    if model.suffix.lower() != ".onnx" or model.parent == STYLES_DIR:
        return model
    from stylert.export.adopt import adopted_onnx

    return adopted_onnx(model, log)


def onnx_for_precision(model: Path, precision: str) -> Path:
    """The fp16 or int8 variant of an fp32 ONNX for ONNX Runtime (made once and cached; needs onnx)."""
    if precision == "fp32":
        return model
    if model.suffix.lower() != ".onnx":
        raise BackendUnavailable(f"--precision {precision} needs an ONNX model, not {model.name}")
    from stylert._lazy import require

    require("onnx", f"--precision {precision}")
    from stylert.export.engine_cache import precision_onnx

    return precision_onnx(model, precision)
