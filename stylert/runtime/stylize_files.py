"""Stylise image files in batches: one bad file is reported and the rest go on."""
from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from stylert.errors import NoInputs, StylertError
from stylert.folders import files_in
from stylert.frames.animation import GIF_SHORTEST_MS, gif_kept
from stylert.frames.image_decode import read_picture
from stylert.frames.images import (IMAGE_SUFFIXES, INPUT_SUFFIXES, Picture, collect_images, output_name,
                                   write_picture, writer_missing)
from stylert.runtime.flicker import FlickerReport, smooth_sequence
from stylert.runtime.image_sequences import SequenceFlow, SequenceKey, frame_number, sequence_key
from stylert.runtime.output_plan import Planned, is_folder_output, plan_outputs, read_not_written
from stylert.runtime.stylizer import Stylizer
from stylert.runtime.video import VIDEO_SUFFIXES


@dataclass(frozen=True)
class FileResult:
    """One planned file: written (``error`` None), maybe from a source read despite damage (``damage``: the
    decoder's notices, ``Picture.damage``), or not, and why."""
    source: Path
    target: Path
    error: str | None = None
    damage: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what was changed with nothing of the picture lost (``paced_for_gif``)


def ext_suffix(ext: str) -> str:
    """The file suffix ``--ext`` names (png, .PNG -> .png): one stylert writes."""
    suffix = f".{ext.strip().lower().lstrip('.')}"
    if suffix in IMAGE_SUFFIXES:
        check_writer(suffix, f"--ext {ext}")
        return suffix
    why = (read_not_written(suffix) if suffix in INPUT_SUFFIXES else
           "no format named" if suffix == "." else "unknown image format")
    raise StylertError(f"--ext {ext!r}: {why} (use one of {' '.join(IMAGE_SUFFIXES)})")


def check_writer(suffix: str, given: str) -> None:
    """Before any work: a format the user chose (``given``: the flag that chose it) must be writable here."""
    missing = writer_missing(suffix)
    if missing is not None:
        raise StylertError(f"{given}: {missing}")


def check_ext_for_file(ext: str | None, output: str | Path) -> None:
    """--ext sets the format of folder outputs and of -o -; a named output file has its own, which must agree."""
    if ext is not None and ext_suffix(ext) != Path(output).suffix.lower():
        raise StylertError(f"--ext {ext} is for folder outputs and -o -; -o {output} names its own format")


def videos_left_out(inputs: list[str], *, recursive: bool = False) -> list[tuple[str, int]]:
    """Each input folder that holds video files too (a phone's camera roll), with how many: stylize takes its
    images and leaves the videos to ``stylert video``."""
    counts = [(item, len(files_in(Path(item), VIDEO_SUFFIXES, recursive=recursive))) for item in inputs
              if Path(item).is_dir()]
    return [(item, n) for item, n in counts if n]


def plan_image_outputs(inputs: list[str], output: str, *, recursive: bool = False,
                       ext: str | None = None) -> list[Planned]:
    """Inputs (files, folders, globs) and where each stylised image goes (``output_plan`` rules)."""
    suffix = ext_suffix(ext) if ext is not None else None
    for item in inputs:  # as `video` points an image to `stylize`
        if Path(item).suffix.lower() in VIDEO_SUFFIXES and Path(item).is_file():
            raise NoInputs(f"{item} is a video; stylise videos with: stylert video {shlex.quote(item)} -o OUT")
    images = collect_images(inputs, recursive=recursive, leave_out=Path(output))
    one_file = not is_folder_output(output, len(images))
    if one_file:
        check_ext_for_file(ext, output)
    sources = [(img.path, output_name(img.relative)) for img in images]
    plan = plan_outputs(sources, output, suffixes=IMAGE_SUFFIXES, what="image", new_suffix=suffix,
                        read=INPUT_SUFFIXES)
    if one_file:
        check_writer(Path(output).suffix, f"-o {output}")
    return plan


def image_shaping_options(*, strength: float, preserve_color: bool, precision: str | None, backend: str,
                          smooth: float, max_size: int | None, tile: str | int) -> dict:
    """What shapes a stylised image, for a folder's manifest (``runtime.manifest``); the same on Ray."""
    return {"strength": strength, "preserve_color": preserve_color, "precision": precision, "backend": backend,
            "smooth": smooth, "max_size": max_size, "tile": tile}


def _chunks(plan: list[Planned], size: int) -> Iterator[list[Planned]]:
    for start in range(0, len(plan), size):
        yield plan[start:start + size]


def stylize_pictures(stylizer: Stylizer, pictures: list[Picture], smooth: float = 0.0,
                     on_tile: Callable[[int, int], None] = lambda done, total: None) -> list[Picture]:
    """Each picture with its frames stylised (every frame of all of them batched together); ``smooth``: an
    animation's frames through FlowSmoother at that weight, against flicker."""
    inputs = [frame for picture in pictures for frame in picture.frames]
    outputs = iter(stylizer.stylize_frames(inputs, on_tile) if inputs else [])
    stylised = []
    for picture in pictures:
        frames = [next(outputs) for _ in picture.frames]
        if smooth > 0 and picture.durations:
            frames = smooth_sequence(picture.frames, frames, smooth)
        stylised.append(replace(picture, frames=frames))
    return stylised


def _take_up(steady: SequenceFlow, plan: Sequence[Planned], made: Sequence[Planned],
             max_size: int | None) -> None:
    """Each sequence whose frames ``plan`` goes on with after some in ``made`` warms its smoother on the last made
    before them: that file's input and output, where both still read and match in size (else it starts afresh)."""
    first: dict[SequenceKey, int] = {}  # each sequence's lowest frame number in the plan
    for item in plan:
        key = sequence_key(item.source)
        if key is not None:
            number = frame_number(item.source)
            first[key] = min(first.get(key, number), number)
    last_made: dict[SequenceKey, Planned] = {}  # the frame made last before it: the highest number below
    for item in made:
        key = sequence_key(item.source)
        if key in first and frame_number(item.source) < first[key] and \
                (key not in last_made or frame_number(last_made[key].source) < frame_number(item.source)):
            last_made[key] = item
    for item in last_made.values():
        try:
            original, stylised = read_picture(item.source).fit(max_size), read_picture(item.target)
        except StylertError:
            continue
        if len(original.frames) == 1 and [f.shape for f in original.frames] == [f.shape for f in stylised.frames]:
            steady(item.source, original, stylised)


def paced_for_gif(picture: Picture, target: str | Path, *, from_gif: bool) -> tuple[Picture, tuple[str, ...]]:
    """An animation of another format (not ``from_gif``) written as a GIF keeps only frames at least
    GIF_SHORTEST_MS apart (``animation.gif_kept``: browsers show a shorter GIF frame for 100 ms), and says so; a
    GIF's own short frames are kept as they are, as its author saw them play. Anything else is given back as it
    is, without a note."""
    if Path(str(target)).suffix.lower() != ".gif" or from_gif or not picture.durations:
        return picture, ()
    kept = gif_kept(picture.durations)
    if len(kept) == len(picture.frames):
        return picture, ()
    alpha = picture.alpha
    paced = replace(picture, frames=[picture.frames[k] for k, _ in kept], durations=tuple(d for _, d in kept),
                    alpha=None if alpha is None else [alpha[k] for k, _ in kept])
    return paced, (f"{len(kept)} of its {len(picture.frames)} frames kept in the GIF: browsers show a GIF frame of "
                   f"under {GIF_SHORTEST_MS} ms for 100 ms",)


def stylize_files(
    stylizer: Stylizer,
    plan: list[Planned],
    *,
    max_size: int | None = None,
    smooth: float = 0.0,
    on_done: Callable[[FileResult], None] = lambda r: None,
    on_tile: Callable[[int, int], None] = lambda done, total: None,
    made: Sequence[Planned] = (),
    on_flicker: Callable[[str, FlickerReport], None] | None = None,
) -> list[FileResult]:
    """Read, stylise (same-size images batched) and write each planned file; a file that fails is reported
    through ``on_done`` and the rest go on. ``smooth``: an animation's frames, and the frames of a numbered image
    sequence (``image_sequences``) in number order, through FlowSmoother at that weight, against flicker; a
    sequence a re-run goes on with takes its smoothing up from the last of its files in ``made`` (planned files
    an earlier run made). ``on_flicker`` hears, at the end, each animation's and each sequence's flicker
    (``SequenceFlow.reports``)."""
    results: list[FileResult] = []
    steady = SequenceFlow(smooth, on_flicker is not None)  # with neither, it hands each picture back as it is
    if smooth > 0:
        _take_up(steady, plan, made, max_size)

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
        for (item, picture), stylised in zip(ready, stylize_pictures(stylizer, [p for _, p in ready], smooth, on_tile)):
            stylised, notes = paced_for_gif(steady(item.source, picture, stylised), item.target,
                                            from_gif=item.source.suffix.lower() == ".gif")
            try:
                write_picture(item.target, stylised)
                finish(FileResult(item.source, item.target, damage=stylised.damage, notes=notes))
            except StylertError as exc:
                finish(FileResult(item.source, item.target, str(exc)))
            except OSError as exc:
                finish(FileResult(item.source, item.target, f"cannot write {item.target}: {exc.strerror or exc}"))
    if on_flicker is not None:
        for name, report in steady.reports().items():
            on_flicker(name, report)
    return results
