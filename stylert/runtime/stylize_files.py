"""Stylise image files in batches: one bad file is reported and the rest go on."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from stylert.errors import NoInputs, StylertError
from stylert.frames.images import IMAGE_SUFFIXES, collect_images, output_name, read_picture, write_picture
from stylert.runtime.flicker import smooth_sequence
from stylert.runtime.output_plan import Planned, plan_outputs
from stylert.runtime.stylizer import Stylizer
from stylert.runtime.video import VIDEO_SUFFIXES


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
    for item in inputs:  # as `video` points an image to `stylize`
        if Path(item).suffix.lower() in VIDEO_SUFFIXES and Path(item).is_file():
            raise NoInputs(f"{item} is a video; stylise videos with: stylert video {item} -o OUT")
    images = collect_images(inputs, recursive=recursive, leave_out=Path(output))
    sources = [(img.path, output_name(img.relative)) for img in images]
    return plan_outputs(sources, output, suffixes=IMAGE_SUFFIXES,
                        what="image", new_suffix=suffix)


def _chunks(plan: list[Planned], size: int) -> Iterator[list[Planned]]:
    for start in range(0, len(plan), size):
        yield plan[start:start + size]


def stylize_files(
    stylizer: Stylizer,
    plan: list[Planned],
    *,
    max_size: int | None = None,
    smooth: float = 0.0,
    on_done: Callable[[FileResult], None] = lambda r: None,
    on_tile: Callable[[int, int], None] = lambda done, total: None,
) -> list[FileResult]:
    """Read, stylise (same-size images batched) and write each planned file; a file that fails is reported
    through ``on_done`` and the rest go on. ``smooth``: an animation's frames through FlowSmoother at that
    weight, against flicker."""
    results: list[FileResult] = []

    def finish(result: FileResult) -> None:
        results.append(result)
        on_done(result)

    for chunk in _chunks(plan, stylizer.batch_size):
        ready = []
        for item in chunk:
            try:
                ready.append((item, read_picture(item.source).fit(max_size)))
            except StylertError as exc:
                finish(FileResult(item.source, item.target, str(exc)))
        inputs = [frame for _, picture in ready for frame in picture.frames]  # an animation's frames are batched
        outputs = iter(stylizer.stylize_frames(inputs, on_tile) if inputs else [])
        for item, picture in ready:
            frames = [next(outputs) for _ in picture.frames]
            if smooth > 0 and picture.durations:
                frames = smooth_sequence(picture.frames, frames, smooth)
            stylised = replace(picture, frames=frames)
            try:
                write_picture(item.target, stylised)
                finish(FileResult(item.source, item.target))
            except StylertError as exc:
                finish(FileResult(item.source, item.target, str(exc)))
            except OSError as exc:
                finish(FileResult(item.source, item.target, f"cannot write {item.target}: {exc.strerror or exc}"))
    return results
