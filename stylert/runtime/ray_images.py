"""``stylert stylize --ray``: the same job on a Ray cluster, as a Ray Data pipeline.

    inputs (planned as locally) -> read (bytes, tasks) -> map_batches(StylizeActor: one Stylizer per actor,
    decode, stylise, encode) -> write (tasks, atomic) -> results streamed back for progress and the summary

Paths are local (shared storage) or filesystem URLs (``s3://...``, through pyarrow's filesystems). Outputs are
byte-identical to the single-machine run on the CPU (the same Stylizer, one image at a time). A file that fails
is reported and the rest go on; a manifest beside local outputs lets a re-run skip what is already done.
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from stylert.errors import StylertError, UnwritableImage
from stylert.runtime.output_plan import Planned
from stylert.runtime.ray_cluster import RayCluster, RaySummary


def is_url(path: str | Path) -> bool:
    return "://" in str(path)


def read_bytes(path: str) -> bytes:
    if not is_url(path):
        return Path(path).read_bytes()
    import pyarrow.fs as pafs

    fs, inner = pafs.FileSystem.from_uri(path)
    with fs.open_input_stream(inner) as fh:
        return fh.read()


def write_bytes(path: str, data: bytes) -> None:
    """Atomically: a temporary name beside the target, then a rename (a move on object stores)."""
    if not is_url(path):
        from stylert.atomic_files import atomic_output

        with atomic_output(path) as tmp:
            tmp.write_bytes(data)
        return
    import pyarrow.fs as pafs

    fs, inner = pafs.FileSystem.from_uri(path)
    parent, name = inner.rsplit("/", 1) if "/" in inner else ("", inner)
    tmp = f"{parent}/.{name}.part" if parent else f".{name}.part"
    with fs.open_output_stream(tmp) as fh:
        fh.write(data)
    fs.move(tmp, inner)


def plan_url_outputs(inputs: list[str], output: str, ext: str | None) -> list[tuple[str, str]]:
    """(source URL, target URL) for image files under URL (or local) folders, relative paths kept."""
    import pyarrow.fs as pafs

    from stylert.errors import NoInputs
    from stylert.frames.images import INPUT_SUFFIXES, output_name
    from stylert.runtime.stylize_files import ext_suffix

    suffix = ext_suffix(ext) if ext is not None else None
    pairs = []
    for item in inputs:
        fs, root = pafs.FileSystem.from_uri(item) if is_url(item) else (pafs.LocalFileSystem(), os.path.abspath(item))
        scheme = item.split("://", 1)[0] + "://" if is_url(item) else ""
        info = fs.get_file_info(root)
        files = [info] if info.type == pafs.FileType.File else \
            fs.get_file_info(pafs.FileSelector(root, recursive=True))
        for f in files:
            if f.type == pafs.FileType.File and Path(f.path).suffix.lower() in INPUT_SUFFIXES:
                rel = Path(f.path).name if info.type == pafs.FileType.File else os.path.relpath(f.path, root)
                rel = str(Path(rel).with_suffix(suffix) if suffix else output_name(Path(rel)))
                pairs.append((scheme + f.path, output.rstrip("/") + "/" + rel))
    if not pairs:
        raise NoInputs(f"no image files in {', '.join(inputs)}")
    return pairs


class StylizeActor:
    """One per Ray actor: a Stylizer made once, then batches of encoded images in, encoded images out."""

    def __init__(self, style: str, backend: str, options: dict, strength: float, preserve_color: bool,
                 smooth: float = 0.0, max_size: int | None = None, tile: str | int = "auto") -> None:
        from stylert.runtime.stylizer import Stylizer

        self.stylizer = Stylizer(style, backend, batch_size=1, strength=strength, preserve_color=preserve_color,
                                 tile=tile, **options)
        self.smooth = smooth  # an animation's frames through FlowSmoother, as stylize_files does
        self.max_size = max_size
        self.actor = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from stylert.frames.decoder_notices import in_one_line
        from stylert.frames.image_decode import decode_picture
        from stylert.frames.images import encode_picture
        from stylert.runtime.stylize_files import paced_for_gif, stylize_pictures

        out, errors, damage, seconds, pixels = [], [], [], [], []
        for i, data in enumerate(batch["data"]):
            started = time.perf_counter()
            encoded, error, area, notices = b"", str(batch["error"][i] or ""), 0, ""
            if not error:
                try:
                    picture = decode_picture(data, batch["source"][i]).fit(self.max_size)
                    notices = in_one_line(picture.damage) if picture.damage else ""
                    stylised = stylize_pictures(self.stylizer, [picture], self.smooth)[0]
                    area = sum(frame.shape[0] * frame.shape[1] for frame in picture.frames)
                    stylised = paced_for_gif(stylised, str(batch["target"][i]), from_gif=data[:4] == b"GIF8")[0]
                    encoded = encode_picture(str(batch["target"][i]), stylised)
                except UnwritableImage as exc:
                    error = f"cannot write {batch['target'][i]}: {exc}"
                except StylertError as exc:
                    error = str(exc)
            out.append(encoded)
            errors.append(error)
            damage.append(notices)
            seconds.append(time.perf_counter() - started)
            pixels.append(area)
        return {"source": batch["source"], "target": batch["target"], "data": np.array(out, dtype=object),
                "error": np.array(errors, dtype=object), "damage": np.array(damage, dtype=object),
                "actor": np.array([self.actor] * len(out), dtype=object),
                "seconds": np.array(seconds), "pixels": np.array(pixels)}


def _read(row: dict) -> dict:
    try:
        return {**row, "data": read_bytes(row["source"]), "error": ""}
    except OSError as exc:
        return {**row, "data": b"", "error": f"cannot read {row['source']}: {exc.strerror or exc}"}


def _write(row: dict) -> dict:
    error = row["error"]
    if not error:
        try:
            write_bytes(row["target"], row["data"])
        except OSError as exc:
            error = f"cannot write {row['target']}: {exc.strerror or exc}"
    return {k: row[k] for k in ("source", "target", "damage", "actor", "seconds", "pixels")} | {"error": error}


def stylize_images_on_ray(cluster: RayCluster, pairs: list[tuple[str, str]], *, style: str, backend: str,
                          options: dict, strength: float = 1.0, preserve_color: bool = False, smooth: float = 0.0,
                          max_size: int | None = None, tile: str | int = "auto",
                          on_result: Callable[[dict], None] = lambda row: None,
                          actor_class: type = StylizeActor, actor_kwargs: dict | None = None) -> RaySummary:
    """Run the pipeline over (source, target) pairs; ``on_result`` hears every file as it finishes. An actor
    that dies is restarted and its batch retried."""
    ray = cluster.ray
    summary, started = RaySummary(), time.perf_counter()
    if not pairs:
        return summary
    rows = [{"source": s, "target": t} for s, t in pairs]
    actors = cluster.actor_resources()
    dataset = (ray.data.from_items(rows, override_num_blocks=min(len(rows), 4 * cluster.workers))
               .map(_read, num_cpus=cluster.task_cpus)
               .map_batches(actor_class, batch_size=1, **cluster.actor_pool(cluster.workers),
                            fn_constructor_kwargs=dict(style=style, backend=backend, options=options,
                                                       strength=strength, preserve_color=preserve_color,
                                                       smooth=smooth, max_size=max_size, tile=tile,
                                                       **(actor_kwargs or {})),
                            **actors)
               .map(_write, num_cpus=cluster.task_cpus))
    for row in cluster.stream(dataset, what="stylize"):
        summary.items += 1
        if row["error"]:
            summary.failed.append((row["source"], row["error"]))
        else:
            summary.frames += 1
            summary.tally(row["actor"], 1, float(row["seconds"]))
            if row["damage"]:
                summary.damage.append((row["source"], row["damage"]))
        on_result(row)
    summary.seconds = time.perf_counter() - started
    return summary


def local_pairs(plan: list[Planned]) -> list[tuple[str, str]]:
    return [(str(p.source), str(p.target)) for p in plan]


def run_images_on_ray(inputs: list[str], output: str, *, recursive: bool, ext: str | None, style: str | None,
                      backend: str, options: dict, strength: float, preserve_color: bool, address: str,
                      workers: int | None, smooth: float = 0.0, max_size: int | None = None, tile: str | int = "auto",
                      on_result: Callable[[dict], None] = lambda row: None,
                      log: Callable[[str], None] = lambda s: None, redo: bool = False, actor_class: type = StylizeActor,
                      actor_kwargs: dict | None = None) -> RaySummary:
    """Plan (checked as locally), skip what the manifest says is done (unless ``redo``), run the pipeline, record
    what was made."""
    from stylert.runtime.manifest import outputs_to_make
    from stylert.runtime.model_source import resolve_style
    from stylert.runtime.stylize_files import image_shaping_options, plan_image_outputs
    from stylert.runtime.stylizer import default_style

    model = resolve_style(style or default_style()).resolve()
    if any(is_url(p) for p in [*inputs, output]):
        pairs, manifest = plan_url_outputs(inputs, output, ext), None
    else:
        plan = plan_image_outputs(inputs, output, recursive=recursive, ext=ext)
        shaping = image_shaping_options(strength=strength, preserve_color=preserve_color,
                                        precision=options.get("precision"), backend=backend, smooth=smooth,
                                        max_size=max_size, tile=tile)
        todo, manifest = outputs_to_make(plan, output, style=style, options=shaping, redo=redo)
        if manifest is not None and len(todo) < len(plan):
            log(f"{len(plan) - len(todo)} of {len(plan)} outputs are already done (manifest {manifest.path}); "
                "skipping them")
        pairs = local_pairs(todo)
    cluster = RayCluster(address, workers)
    try:
        log(cluster.describe())
        engine = dict(options, threads=options.get("threads") or cluster.actor_threads())
        summary = stylize_images_on_ray(cluster, pairs, style=str(model), backend=backend, options=engine,
                                        strength=strength, preserve_color=preserve_color, smooth=smooth,
                                        max_size=max_size, tile=tile, on_result=on_result,
                                        actor_class=actor_class, actor_kwargs=actor_kwargs)
    finally:
        cluster.close()
    if manifest is not None:
        failed = {s for s, _ in summary.failed}
        manifest.record((Path(s), Path(t)) for s, t in pairs if s not in failed)
        summary.skipped = len(plan) - len(pairs)
    return summary
