"""Stylise image files in batches: one bad file is reported and the rest go on."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from stylert.errors import StylertError
from stylert.frames.images import IMAGE_SUFFIXES, InputImage, fit_max_size, read_image, write_image
from stylert.runtime.stylizer import Stylizer


@dataclass(frozen=True)
class FileResult:
    source: Path
    target: Path
    error: str | None = None


def plan_outputs(images: list[InputImage], output: Path, ext: str | None) -> list[tuple[InputImage, Path]]:
    """Where each input goes: ``output`` itself for one input and an image suffix, else ``output/<relative>``."""
    if output.suffix.lower() in IMAGE_SUFFIXES and not output.is_dir():
        if len(images) != 1:
            raise StylertError(f"-o {output} names one file but there are {len(images)} inputs; give a folder")
        return [(images[0], output)]
    suffix = f".{ext.lower().lstrip('.')}" if ext else None
    if suffix and suffix not in IMAGE_SUFFIXES:
        raise StylertError(f"unknown output format '{ext}' (use one of {' '.join(IMAGE_SUFFIXES)})")
    return [(img, output / (img.relative.with_suffix(suffix) if suffix else img.relative)) for img in images]


def _chunks(plan: list[tuple[InputImage, Path]], size: int) -> Iterator[list[tuple[InputImage, Path]]]:
    for start in range(0, len(plan), size):
        yield plan[start:start + size]


def stylize_files(
    stylizer: Stylizer,
    plan: list[tuple[InputImage, Path]],
    *,
    max_size: int | None = None,
    on_done: Callable[[FileResult], None] = lambda r: None,
) -> list[FileResult]:
    """Read, stylise (same-size images batched) and write each planned file; never overwrites an input."""
    inputs = {img.path.resolve() for img, _ in plan}
    results: list[FileResult] = []

    def finish(result: FileResult) -> None:
        results.append(result)
        on_done(result)

    for chunk in _chunks(plan, stylizer.batch_size):
        ready = []
        for img, target in chunk:
            if target.resolve() in inputs:
                finish(FileResult(img.path, target, f"refusing to overwrite input {target}"))
                continue
            try:
                ready.append((img, target, fit_max_size(read_image(img.path), max_size)))
            except StylertError as exc:
                finish(FileResult(img.path, target, str(exc)))
        outputs = stylizer.stylize_frames([frame for _, _, frame in ready]) if ready else []
        for (img, target, _), out in zip(ready, outputs):
            try:
                write_image(target, out)
                finish(FileResult(img.path, target))
            except (StylertError, OSError) as exc:
                finish(FileResult(img.path, target, str(exc)))
    return results
