"""``stylert video --ray``: videos spread over Ray actors, and one long video split at keyframes.

- Several inputs: each video is one task on an actor (a ``Stylizer`` per actor, as for images).
- One input: its frame range is cut into chunks that start at keyframes (read from the packets, no decoding),
  each actor stylises and encodes its chunks (H.264, no audio), and the driver joins the chunk
  files by shifting packet timestamps, with the source's audio interleaved untouched - the same frame count,
  frame rate and duration as the single-machine run. With ``--smooth`` every chunk first runs
  ``SMOOTH_OVERLAP`` frames of the previous one through the flow smoother, so it enters its first frame with
  the same history the single-machine run has and the joins do not flicker.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylert.errors import StylertError
from stylert.runtime.ray_cluster import RayCluster, RaySummary

SMOOTH_OVERLAP = 12  # frames of the previous chunk a smoothed chunk warms up on


@dataclass(frozen=True)
class Chunk:
    index: int
    first: int    # first frame index (presentation order) it writes
    count: int    # frames it writes
    warmup: int   # frames before ``first`` it decodes and smooths but does not write
    start: float  # time of its first decoded frame, seconds


def plan_chunks(times: list[float], keyframes: list[int], lo: int, hi: int, pieces: int, warmup: int) -> list[Chunk]:
    """Frames [lo, hi) cut into ``pieces`` chunks, each starting at the keyframe nearest its even share when one
    lies within half a share (decoding then starts right there), else at the share itself (decoding starts at the
    keyframe before and skips to it)."""
    bounds = [lo]
    share = (hi - lo) / pieces
    for k in range(1, pieces):
        ideal = lo + round(k * share)
        nearest = min((f for f in keyframes if bounds[-1] < f < hi), key=lambda f: abs(f - ideal), default=None)
        cut = nearest if nearest is not None and abs(nearest - ideal) <= share / 2 else ideal
        if bounds[-1] < cut < hi:
            bounds.append(cut)
    bounds = sorted(set(bounds)) + [hi]
    chunks = []
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        pre = min(warmup, a - lo)
        chunks.append(Chunk(i, a, b - a, pre, times[a - pre]))
    return chunks


def chunk_suffix(target: Path, codec: str) -> str:
    """The container a video's chunks are written in: the output's (WebM for VP9, MOV for ProRes), except that a
    Matroska output's H.264 or HEVC chunks are MP4, since Matroska keeps no decode times and the join needs them
    to keep those codecs' B-frames. The codecs that keep an alpha plane reorder no frames, so their chunks stay
    Matroska and keep it."""
    from stylert.runtime.video_encode import ALPHA_PIX_FMTS

    suffix = target.suffix.lower()
    return ".mp4" if suffix == ".mkv" and codec not in ALPHA_PIX_FMTS else suffix


def stylize_chunk(stylizer, source: Path, target: Path, chunk: Chunk, options,
                  on_damage: Callable[[str], None] = lambda line: None) -> int:
    """Decode ``warmup + count`` frames from ``chunk.start``, stylise (smoothing through the warm-up), encode
    the last ``count`` to ``target``, each at its source time less the first one's (the join puts the chunk
    at that time: a variable frame rate keeps its timing); returns frames written. ``on_damage`` hears what of a
    damaged source was mended (``VideoEncoder.damage``), one line each."""
    from stylert.runtime.flicker import FlowSmoother
    from stylert.runtime.video import (batch_that_fits, decoded_colour, keeps_alpha, resize_for_video,
                                       same_size_batches, split_alpha)
    from stylert.runtime.video_decode import DecodeStatus, decode_frames, probe_video
    from stylert.runtime.video_encode import VideoEncoder, auto_video_codec

    info = probe_video(source)
    wanted = chunk.warmup + chunk.count
    smoother = FlowSmoother(options.smooth) if options.smooth > 0 else None
    yuv = decoded_colour(stylizer, info, options, bgr_needed=smoother is not None)
    alpha = keeps_alpha(info, options, target)
    times: collections.deque = collections.deque()
    alphas: collections.deque = collections.deque()
    decoded = decode_frames(source, start=chunk.start, decoder=options.decoder, yuv=yuv, alpha=alpha,
                            status=DecodeStatus(times=times))
    frames = (resize_for_video(f, options) for _, f in zip(range(wanted), decoded))
    if alpha:
        frames = (split_alpha(f, alphas) for f in frames)
    codec = auto_video_codec(target.suffix, hardware=False)[0] if options.codec == "auto" else options.codec
    encoder = VideoEncoder(target, info.fps, codec=codec,
                           crf=options.crf, preset=options.preset, pixel_aspect=info.pixel_aspect,  # the join copies it
                           alpha=alpha)
    seen, first = 0, None
    try:
        i420 = smoother is None and encoder.takes_i420  # planes from the engine, as in stylize_video
        batches = same_size_batches(frames, batch_that_fits(stylizer, info, options))
        for inputs, outputs in stylizer.stylize_stream(batches, i420=i420, yuv=yuv):
            for frame_in, out in zip(inputs, outputs):
                t, plane = times.popleft(), alphas.popleft() if alpha else None
                if smoother is not None:
                    out = smoother(frame_in, out)
                if seen >= chunk.warmup:
                    first = t if first is None else first  # the chunk's clock starts at its first written frame
                    encoder.write(out, at=None if t is None or first is None else t - first, alpha=plane)
                seen += 1
        written = encoder.finish()
        for line in encoder.damage() + encoder.notes():  # (a chunk's frames of another size: its join differs)
            on_damage(line)
    finally:
        encoder.close()
    return written


class VideoActor:
    """One per Ray actor: a Stylizer made once; rows are whole videos or chunks of one."""

    def __init__(self, style: str, backend: str, options: dict, strength: float, preserve_color: bool,
                 video_options: dict) -> None:
        from stylert.runtime.stylizer import Stylizer
        from stylert.runtime.video import VideoOptions

        self.stylizer = Stylizer(style, backend, strength=strength, preserve_color=preserve_color,
                                 static_shapes=True, **options)
        self.options = VideoOptions(**video_options)
        self.actor = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from stylert.runtime.video import stylize_video

        out: dict[str, list] = {"key": [], "target": [], "frames": [], "error": [], "actor": [], "seconds": [],
                                "damage": []}
        for i in range(len(batch["key"])):
            started, frames, error, damage = time.perf_counter(), 0, "", []
            source, target = Path(str(batch["source"][i])), Path(str(batch["target"][i]))
            try:
                if int(batch["chunk"][i]) < 0:
                    result = stylize_video(self.stylizer, source, target, self.options)
                    frames, error, damage = result.frames, result.truncated or "", list(result.damage)
                else:
                    chunk = Chunk(int(batch["chunk"][i]), int(batch["first"][i]), int(batch["count"][i]),
                                  int(batch["warmup"][i]), float(batch["start"][i]))
                    frames = stylize_chunk(self.stylizer, source, target, chunk, self.options, damage.append)
            except StylertError as exc:
                error = str(exc)
            for key, value in (("key", batch["key"][i]), ("target", str(target)), ("frames", frames),
                               ("error", error), ("actor", self.actor), ("seconds", time.perf_counter() - started),
                               ("damage", "\n".join(damage))):
                out[key].append(value)
        return {k: np.array(v, dtype=object if k in ("key", "target", "error", "actor", "damage") else None)
                for k, v in out.items()}


@dataclass
class _Cut:
    """One video cut into chunks at keyframes for the actors: the chunks, the video's frame times, the folder
    beside the output their files are written in, and a row for each."""

    chunks: list[Chunk]
    times: list[float]
    work_dir: Path
    rows: list[dict]


def _cut(item, options, workers: int) -> _Cut:
    """``item``'s frames in the requested range cut into two chunks per worker; a StylertError where its audio
    does not fit its output, the start lies past its end or the range holds no frames."""
    from stylert.runtime.video_decode import check_start, expected_frames, index_frames, probe_video
    from stylert.runtime.video_tracks import check_audio_fits

    info = probe_video(item.source)
    if options.keep_audio:  # before the chunks are made, not at their join
        check_audio_fits(info.audio_channels, item.target.suffix)
    check_start(info, options.start)
    index = index_frames(item.source)
    lo = next((i for i, t in enumerate(index.times) if t >= options.start - 1e-6), len(index.times))
    hi = min(lo + (expected_frames(info, options.start, options.duration) or len(index.times) - lo), len(index.times))
    if hi <= lo:
        raise StylertError(f"{item.source} has no frames in the requested range")
    warmup = SMOOTH_OVERLAP if options.smooth > 0 else 0
    chunks = plan_chunks(index.times, index.keyframes, lo, hi, 2 * workers, warmup)
    item.target.parent.mkdir(parents=True, exist_ok=True)  # the chunks are written beside the output
    work_dir = Path(tempfile.mkdtemp(prefix=".stylert-chunks-", dir=item.target.parent.resolve()))
    suffix = chunk_suffix(item.target, options.codec)
    rows = [{"key": f"chunk{c.index}", "source": str(item.source), "target": str(work_dir / f"{c.index}{suffix}"),
             "chunk": c.index, "first": c.first, "count": c.count, "warmup": c.warmup, "start": c.start}
            for c in chunks]
    return _Cut(chunks, index.times, work_dir, rows)


def _join(item, cut: _Cut, done: dict[str, dict], options, summary: RaySummary) -> None:
    """The chunk files the actors wrote joined into ``item``'s output with the source's tracks; a broken chunk,
    or a join that lost frames, is ``item``'s failure in ``summary``."""
    from stylert.runtime.video_decode import probe_video
    from stylert.runtime.timecode import first_frame_timecode
    from stylert.runtime.video_encode import join_chunks

    broken = [(k, r["error"]) for k, r in done.items() if r["error"]]
    if broken:
        summary.failed.append((str(item.source), f"chunk {broken[0][0]}: {broken[0][1]}"))
        return
    parts = [Path(done[f"chunk{c.index}"]["target"]) for c in cut.chunks]
    info = probe_video(item.source)
    starts = [max(0.0, cut.times[c.first] - options.start) for c in cut.chunks]
    source = str(item.source)
    joined = join_chunks(parts, item.target, info.fps, starts=starts, start=options.start,
                         duration=options.duration, tracks_from=item.source, keep_audio=options.keep_audio,
                         rotation=info.rotation, timecode=first_frame_timecode(info.timecode, info.fps, options.start),
                         on_damage=lambda line: summary.damage.append((source, line)))
    if joined != summary.frames:
        summary.failed.append((source, f"joined {joined} frames of {summary.frames}"))


def run_videos_on_ray(inputs: list[str], output: str, options, *, style: str | None, backend: str, engine: dict,
                      strength: float, preserve_color: bool, address: str, workers: int | None,
                      on_frames: Callable[[int], None] = lambda n: None,
                      log: Callable[[str], None] = lambda s: None, redo: bool = False) -> RaySummary:
    """Several videos spread over the actors, or one cut into chunks at keyframes and joined; a folder output's
    manifest skips the videos already made (unless ``redo``) and records those made."""
    from stylert.runtime.manifest import outputs_to_make
    from stylert.runtime.model_source import resolve_style
    from stylert.runtime.stylizer import default_style
    from stylert.runtime.video import plan_video_outputs, shaping_options
    from stylert.runtime.video_decode import probe_video
    from stylert.runtime.video_animation import ANIMATED_OUTPUTS
    from stylert.runtime.video_encode import check_video_codec
    from stylert.runtime.video_tracks import subtitles_not_carried

    planned = plan_video_outputs(inputs, output, options.codec)
    animated = next((item.target for item in planned if item.target.suffix.lower() in ANIMATED_OUTPUTS), None)
    if animated is not None:  # its frames are gathered in one process; Ray's chunks are videos joined by remuxing
        raise StylertError(f"{animated} is an animation: it is made on one machine (without --ray)")
    check_video_codec(options.codec, chunk_suffix(planned[0].target, options.codec))  # the chunks of a single video
    shaping = shaping_options(options, strength=strength, preserve_color=preserve_color,
                              precision=engine.get("precision"), backend=backend)
    plan, manifest = outputs_to_make(planned, output, style=style, options=shaping, redo=redo)
    summary = RaySummary(items=len(plan), skipped=len(planned) - len(plan))
    if summary.skipped:
        log(f"{summary.skipped} of {len(planned)} videos are already done (manifest {manifest.path}); skipping them")
    if not plan:
        return summary
    model = str(resolve_style(style or default_style()).resolve())
    cluster = RayCluster(address, workers)
    started = time.perf_counter()
    cut = None
    try:
        log(cluster.describe())
        if len(plan) == 1 and cluster.workers > 1:
            cut = _cut(plan[0], options, cluster.workers)
            rows = cut.rows
            summary.chunks = len(cut.chunks)
            log(f"{plan[0].source.name}: {sum(c.count for c in cut.chunks)} frames in {len(cut.chunks)} chunks cut "
                "at keyframes")
        else:
            rows = [{"key": str(p.source), "source": str(p.source), "target": str(p.target), "chunk": -1, "first": 0,
                     "count": 0, "warmup": 0, "start": 0.0} for p in plan]
        engine = dict(engine, threads=engine.get("threads") or cluster.actor_threads())
        video_options = dataclasses.asdict(options)
        dataset = cluster.ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            VideoActor, batch_size=1, **cluster.actor_pool(min(cluster.workers, len(rows))),
            fn_constructor_kwargs=dict(style=model, backend=backend, options=engine, strength=strength,
                                       preserve_color=preserve_color, video_options=video_options),
            **cluster.actor_resources())
        done: dict[str, dict] = {}
        for row in cluster.stream(dataset, what="video"):
            done[row["key"]] = row
            if row["error"] and cut is None:
                summary.failed.append((row["key"], row["error"]))
            summary.tally(row["actor"], int(row["frames"]), float(row["seconds"]))
            summary.frames += int(row["frames"])
            source = str(plan[0].source) if cut is not None else row["key"]  # a chunk's key is its number
            summary.damage += [(source, line) for line in row["damage"].splitlines()]
            on_frames(int(row["frames"]))
        if cut is not None:
            _join(plan[0], cut, done, options, summary)
    finally:
        cluster.close()
        if cut is not None:
            for leftover in cut.work_dir.glob("*"):
                leftover.unlink()
            cut.work_dir.rmdir()
    failed = {source for source, _ in summary.failed}
    if manifest is not None:
        manifest.record((item.source, item.target) for item in plan if str(item.source) not in failed)
    for item in plan:
        if str(item.source) not in failed:
            dropped = subtitles_not_carried(probe_video(item.source).subtitles, item.target.suffix)
            if dropped:
                summary.dropped_subtitles.append((str(item.source), str(item.target), tuple(dropped)))
    summary.seconds = time.perf_counter() - started
    return summary
