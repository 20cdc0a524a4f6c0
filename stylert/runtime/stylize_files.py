"""Stylise image files in batches: one bad file is reported and the rest go on."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from stylert.errors import StylertError
from stylert.frames.images import IMAGE_SUFFIXES, collect_images, fit_max_size, read_photo, write_image
from stylert.runtime.output_plan import Planned, plan_outputs
from stylert.runtime.stylizer import Stylizer


@dataclass(frozen=True)
class FileResult:
    source: Path
    target: Path
    error: str | None = None


def plan_image_outputs(inputs: list[str], output: str, *, recursive: bool = False,
                       ext: str | None = None) -> list[Planned]:
    """Inputs (files, folders, globs) and where each stylised image goes (``output_plan`` rules)."""
    suffix = f".{ext.lower().lstrip('.')}" if ext else None
    if suffix and suffix not in IMAGE_SUFFIXES:
        raise StylertError(f"--ext {ext}: unknown image format (use one of {' '.join(IMAGE_SUFFIXES)})")
    images = collect_images(inputs, recursive=recursive)
    return plan_outputs([(img.path, img.relative) for img in images], output, suffixes=IMAGE_SUFFIXES,
                        what="image", new_suffix=suffix)


def _chunks(plan: list[Planned], size: int) -> Iterator[list[Planned]]:
    for start in range(0, len(plan), size):
        yield plan[start:start + size]


def stylize_files(
    stylizer: Stylizer,
    plan: list[Planned],
    *,
    max_size: int | None = None,
    on_done: Callable[[FileResult], None] = lambda r: None,
    on_tile: Callable[[int, int], None] = lambda done, total: None,
) -> list[FileResult]:
    """Read, stylise (same-size images batched) and write each planned file; a file that fails is reported
    through ``on_done`` and the rest go on."""
    results: list[FileResult] = []

    def finish(result: FileResult) -> None:
        results.append(result)
        on_done(result)

    for chunk in _chunks(plan, stylizer.batch_size):
        ready = []
        for item in chunk:
            try:
                image, metadata = read_photo(item.source)
                ready.append((item, fit_max_size(image, max_size), metadata))
            except StylertError as exc:
                finish(FileResult(item.source, item.target, str(exc)))
        outputs = stylizer.stylize_frames([frame for _, frame, _ in ready], on_tile) if ready else []
        for (item, _, metadata), out in zip(ready, outputs):
            try:
                write_image(item.target, out, metadata=metadata)
                finish(FileResult(item.source, item.target))
            except (StylertError, OSError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                finish(FileResult(item.source, item.target, f"cannot write {item.target}: {reason}"))
    return results
