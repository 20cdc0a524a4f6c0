"""``stylert video``: video files -> stylised H.264 MP4 with the audio kept."""
from __future__ import annotations

import argparse
import contextlib
import sys
from fractions import Fraction

from stylert.cli.common import (add_backend_args, add_command, add_inputs_and_output, add_ray_args, add_smooth_arg,
                                add_style_args, counted, int_between, positive_float, positive_int, positive_seconds,
                                seconds)


X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


def register(sub) -> None:
    p = add_command(sub, "video", "Stylise video files. Output: H.264 (yuv420p) MP4 that plays in browsers, "
                    "same frames at the same times, with the input's audio tracks, chapters and tags, its "
                    "subtitles (text ones converted where the container needs its own), its rotation and pixel "
                    "aspect; or an animated GIF or WebP (-o clip.gif), which holds no sound; or its frames as "
                    "images, one file a frame, its sound beside them as a WAV (see -o).",
                    "  stylert video clip.mp4 -o clip_mosaic.mp4 --style mosaic\n"
                    "  stylert video clip.mp4 -o out.mp4 --max-size 720 --start 1:30 --duration 5 --smooth 0.6\n"
                    "  stylert video clip.mp4 -o loop.gif --max-size 480 --duration 4   # an animated GIF\n"
                    "  stylert video plate.mov -o styled/plate_%04d.exr   # frames for a compositor\n"
                    "  stylert video holiday/ -o styled/ --batch 8 --report\n"
                    "  stylert video render/frame_%04d.png -o shot.mp4 --fps 24 --smooth   # a render's frames\n"
                    "  stylert video 'timelapse/IMG_*.JPG' -o timelapse.mp4 --fps 30   # photos, in name order\n"
                    "  stylert video A001/clip_%06d.dng -o clip.mov --codec prores_ks --fps 24  # CinemaDNG, clip.wav")
    add_inputs_and_output(p, "video files, folders of videos or quoted glob patterns ('clips/*.mov') (MP4, MOV, MKV, "
                          "WebM, AVI, MPEG, camcorders' AVCHD .mts/.m2ts, .ts recordings, MXF, VOB, DV, 3GP, ...); "
                          "or an image sequence named as FFmpeg names one (render/frame_%%04d.png, or a render's "
                          "OpenEXR frames, beauty.%%04d.exr, camera RAW frames, A001/clip_%%06d.dng or "
                          "DSC_%%04d.NEF, or Radiance HDR, PFM, DPX, HEIC and AVIF frames, read as stylize reads "
                          "those; or a quoted glob that matches images and no video ('timelapse/IMG_*.JPG'): "
                          "its files in name order, one format, gaps in their numbers allowed; see --fps; "
                          "the WAV recorded beside a clip's frames and named as the clip, A001/clip.wav, is its "
                          "audio)",
                          ".mp4, .mov, .mkv, .m4v or .webm; or .gif or .webp, an animation; or an image sequence "
                          "named as FFmpeg names one, styled/shot_%%04d.exr (.png, .tif, .exr, .dpx or any format "
                          "stylize writes), one file a frame, numbered from 1 or from the input sequence's first "
                          "number", "one .mp4 per input")
    size = p.add_argument_group("frames")
    size.add_argument("--max-size", type=positive_int, help="downscale so the longer side is at most this")
    size.add_argument("--scale", type=positive_float, help="resize frames by this factor before stylising (e.g. 0.5)")
    size.add_argument("--start", type=seconds, default=0.0,
                      help="start here: seconds (90, 1.5) or [HH:]MM:SS as a player shows it (1:30, 00:01:30.5)")
    size.add_argument("--duration", type=positive_seconds,
                      help="process this long, written as --start is (default: to the end)")
    size.add_argument("--fps", type=frame_rate,
                      help="frame rate of an image-sequence input (render/frame_%%04d.png: its frames, numbered as "
                           "printf writes them, from whatever number they start at; or 'timelapse/*.JPG'), 0.01 to "
                           "1000, e.g. 24, 23.976 or "
                           "24000/1001 (default: the rate OpenEXR, CinemaDNG or DPX frames state, else 25, FFmpeg's); "
                           "a video keeps its own")
    size.add_argument("--decoder", default="auto", choices=("auto", "cpu"),
                      help="video decoder: auto is NVDEC (FFmpeg's CUDA hwaccel) where the GPU decodes, leaving the "
                           "CPU to the encoder, else the CPU; cpu always decodes on the CPU")
    enc = p.add_argument_group("encoding")
    enc.add_argument("--codec", default="auto",
                     help="video encoder: auto is NVENC (h264_nvenc) where the GPU has one, else libx264 on every "
                          "CPU thread, and VP9 (libvpx-vp9, with Opus audio) into a .webm; or name one, e.g. "
                          "libx264, libx265, prores_ks (a .mov or .mkv master, 4:2:2 10-bit), libvpx-vp9, ffv1 "
                          "(lossless); it is tried in the output's container before any work, and the command says "
                          "which containers take it. A transparent source (ProRes 4444, PNG in MOV, VP9 WebM with "
                          "alpha, a transparent GIF) keeps its alpha in a .webm, or with prores_ks (4444), png or "
                          "qtrle (.mov) and ffv1 (.mkv); other codecs get it laid over black")
    enc.add_argument("--crf", type=int_between(0, 51),
                     help="x264/x265/VP9 (and NVENC cq) quality, 0-51: lower is better and larger (VP9's scale "
                          "runs to 63, so the same number is a little better and larger there) (default: 18)")
    enc.add_argument("--preset", choices=X264_PRESETS,
                     help="x264/x265 speed preset: ultrafast ... veryslow (faster encodes, larger files); NVENC "
                          "takes the matching step of its p1 ... p7 (veryfast: p4) and VP9 of its cpu-used speeds "
                          "(default: veryfast)")
    enc.add_argument("--no-audio", action="store_true",
                     help="drop the audio instead of copying it (subtitles are still kept)")
    p.add_argument("--redo", action="store_true",
                   help="make every output again: by default a folder output's .stylert-manifest.json (what each "
                        "video was made from: its size and time, the model's hash, the options that shape the "
                        "output) lets a re-run skip the videos already done, e.g. after an interrupted run")
    tmp = p.add_argument_group("temporal stability")
    add_smooth_arg(tmp, "the video")
    tmp.add_argument("--report", action="store_true",
                     help="print the flicker metric: output frame-to-frame change / input frame-to-frame change")
    add_ray_args(p, "Several videos spread over the actors; one video is cut at keyframes into chunks that are "
                    "stylised in parallel and joined (same frames, frame rate, duration and audio)")
    add_style_args(p)
    add_backend_args(p)
    p.set_defaults(run=run)


def frame_rate(text: str) -> Fraction:
    """--fps: a whole, decimal or fractional number of frames a second (24, 23.976, 24000/1001)."""
    try:
        rate = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"frames a second as 24, 23.976 or 24000/1001, got {text!r}") from None
    rate = rate.limit_denominator(1001 * 1000)
    if not Fraction(1, 100) <= rate <= 1000:  # a frame every 100 s to 1000 a second: what encoders take
        raise argparse.ArgumentTypeError(f"must be 0.01 to 1000 frames a second, got {text}")
    return rate


def _options(args: argparse.Namespace):
    from stylert.runtime.video import VideoOptions
    from stylert.runtime.video_encode import check_encoder_flags

    check_encoder_flags(args.codec, args.crf, args.preset)
    encoding = {name: value for name, value in (("crf", args.crf), ("preset", args.preset)) if value is not None}
    return VideoOptions(start=args.start, duration=args.duration, max_size=args.max_size, scale=args.scale,
                        codec=args.codec, decoder=args.decoder, smooth=args.smooth or 0.0, report=args.report,
                        keep_audio=not args.no_audio, fps=args.fps, **encoding)


def _say_subtitles_dropped(source: str, target: str, codecs: tuple[str, ...]) -> None:
    from pathlib import Path

    from stylert.runtime.video_tracks import subtitle_containers

    where = subtitle_containers(codecs)
    fix = f"; write {' or '.join(where)} to keep them" if where else ""
    print(f"stylert: {Path(source).name}: subtitle track(s) not kept ({', '.join(codecs)}): {Path(target).suffix} "
          f"cannot carry them as they are{fix}", file=sys.stderr)


def _say_damage(source: str, line: str) -> None:
    """What of a damaged ``source`` was left out or timed anew (``VideoResult.damage``), or what was changed with
    nothing lost (``VideoResult.notes``), as one line."""
    from pathlib import Path

    print(f"stylert: {Path(source).name}: {line}", file=sys.stderr)


def _say_images_left_out(inputs: list[str]) -> None:
    """A line for each input folder or glob whose images video leaves out, with the command that stylises them."""
    import shlex

    from stylert.cli.common import say
    from stylert.runtime.video import images_left_out

    for item, n in images_left_out(inputs):
        say(f"{item} holds {counted(n, 'image')} too, left out: stylert stylize {shlex.quote(item)} -o OUT/ "
            f"stylises {'it' if n == 1 else 'them'}")


def run_on_ray(args: argparse.Namespace) -> int:
    from stylert.cli.common import backend_options, exit_code, progress_bar, say
    from stylert.runtime.ray_video import run_videos_on_ray

    _say_images_left_out(args.inputs)

    with progress_bar(unit="frame", desc="video (Ray)", delay=0.5) as bar:  # not before a result
        summary = run_videos_on_ray(args.inputs, args.output, _options(args), style=args.style, backend=args.backend,
                                    engine=backend_options(args), strength=args.strength,
                                    preserve_color=args.preserve_color, address=args.ray, workers=args.workers,
                                    on_frames=bar.update, log=say, redo=args.redo)
    for source, error in summary.failed:
        print(f"stylert: failed: {source}: {error}", file=sys.stderr)
    for source, target, codecs in summary.dropped_subtitles:
        _say_subtitles_dropped(source, target, codecs)
    for source, line in summary.damage:
        _say_damage(source, line)
    for actor, (frames, busy) in sorted(summary.per_actor.items()):
        say(f"actor {actor}: {frames} frames, {frames / busy if busy else 0:.1f} frames/s while busy")
    done = f", {summary.skipped} already done" if summary.skipped else ""
    print(f"{counted(summary.items - len(summary.failed), 'video')} written, {len(summary.failed)} failed{done}; "
          f"{summary.frames} frames at {summary.frames_per_second:.1f} frames/s overall", file=sys.stderr)
    return exit_code(summary.items, len(summary.failed), len(summary.damage))


def _check_sequence_flags(args: argparse.Namespace) -> None:
    """--fps is for image-sequence inputs, which run on one machine."""
    from stylert.errors import StylertError
    from stylert.runtime.video import sequence_inputs
    from stylert.runtime.video_frames_out import is_frames_output

    sequences = sequence_inputs(args.inputs)
    if args.fps is not None and not sequences:
        raise StylertError(f"--fps {args.fps} is for an image-sequence input (render/frame_%04d.png, or a quoted "
                           "glob of images: 'timelapse/*.JPG'); a video keeps its own frame rate")
    if sequences and args.ray:
        raise StylertError(f"{sequences[0]} is an image sequence: it is made a video on one machine (without --ray)")
    if is_frames_output(args.output) and args.ray:
        raise StylertError(f"{args.output} is an image sequence: its frames are made on one machine (without --ray)")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from stylert._lazy import require
    from stylert.atomic_files import check_writable
    from stylert.cli.common import (BarWhenStarted, check_ray_only, exit_code, flicker_line, outputs_to_make, say,
                                    stylizer_from_args)
    from stylert.errors import StylertError
    from stylert.runtime.video import plan_video_outputs, shaping_options, stylize_video
    from stylert.runtime.video_animation import ANIMATED_OUTPUTS, GIF_SHORTEST, check_animation_flags
    from stylert.runtime.video_frames_out import WRITERS, is_frames_output
    from stylert.runtime.video_decode import choose_video_decoder, probe_video
    from stylert.runtime.video_encode import auto_video_codec

    check_ray_only(args)
    require("av", "stylert video")
    _check_sequence_flags(args)
    if args.ray:
        return run_on_ray(args)
    options = _options(args)
    plan = plan_video_outputs(args.inputs, args.output, args.codec)
    check_animation_flags([item.target for item in plan], args.crf, args.preset)
    check_writable(plan[0].target, its_name=len(plan) == 1)  # a place that cannot be written: one line, not one each
    _say_images_left_out(args.inputs)
    # a single bad input is one error line, before any model is loaded (and its probe is not repeated)
    probed = {plan[0].source: probe_video(plan[0].source, options.fps)} if len(plan) == 1 else {}
    shaping = shaping_options(options, strength=args.strength, preserve_color=args.preserve_color,
                              precision=args.precision, backend=args.backend)
    todo, manifest = outputs_to_make(plan, args, shaping, "videos")
    if not todo:
        print(f"0 videos written, 0 failed, {len(plan)} already done", file=sys.stderr)
        return 0
    failed = truncated = damaged = 0
    with stylizer_from_args(args, static_shapes=True) as stylizer, manifest or contextlib.nullcontext():
        say(f"style {stylizer.info.style} on {stylizer.backend.description}")
        say(f"decoder: {choose_video_decoder()[1] if args.decoder == 'auto' else 'the CPU (--decoder cpu)'}")
        if is_frames_output(plan[0].target):
            say(f"encoder: one {plan[0].target.suffix} file a frame, {WRITERS} written at once")
        elif args.codec == "auto":
            say(f"encoder: {auto_video_codec(plan[0].target.suffix)[1]}")
        for item in todo:
            with BarWhenStarted(unit="frame", desc=item.source.name) as frames_done:  # shown once probed
                def started(info, total, batch, frames_done=frames_done, item=item) -> None:
                    bar = frames_done.start(total)
                    if batch < stylizer.batch_size:
                        bar.write(f"stylert: {info.path.name}: {batch} frame(s) at a time, not "
                                  f"{stylizer.batch_size}: no more fit in the memory free here", file=sys.stderr)
                    if info.interlaced:
                        bar.write(f"stylert: {info.path.name} is interlaced; its frames are deinterlaced (bwdif)",
                                  file=sys.stderr)
                    if info.alpha:
                        bar.write(f"stylert: {info.path.name} is transparent; "
                                  f"{_alpha_fate(info, options, item.target)}", file=sys.stderr)
                    if info.hdr:
                        bar.write(f"stylert: {info.path.name} is HDR ({info.hdr}); it is tone-mapped to 8-bit SDR "
                                  "BT.709 (reference white 203 cd/m², highlights rolled off to 1000)",
                                  file=sys.stderr)

                try:
                    result = stylize_video(stylizer, item.source, item.target, options, on_frames=frames_done.update,
                                           on_start=started, info=probed.get(item.source))
                except StylertError as exc:
                    failed += 1
                    tqdm.write(f"stylert: failed: {item.source}: {exc}", file=sys.stderr)
                    continue
            if manifest is not None:
                manifest.add(item.source, item.target)
            audio = "audio kept" if result.has_audio else "no audio"
            if result.sound_written is not None:
                others = f"; its {counted(result.tracks_left_out, 'other audio track')} left out: a WAV file holds " \
                    "one" if result.tracks_left_out else ""
                audio = f"audio kept as {result.sound_written.name} beside the frames{others}"
            elif result.info.audio_channels and item.target.suffix.lower() in ANIMATED_OUTPUTS:
                audio = f"its audio left out ({ANIMATED_OUTPUTS[item.target.suffix.lower()]} holds no sound)"
            audio += f" (from {result.info.sound.name})" if result.has_audio and result.info.sound else ""
            audio += ", transparency kept" if result.alpha_kept else ""
            subtitles = f", {result.subtitle_tracks} subtitle track(s) kept" if result.subtitle_tracks else ""
            shown = "" if result.shown is None else f" ({result.shown} of them kept: browsers show a GIF frame of " \
                f"under {GIF_SHORTEST * 1000:.0f} ms for 100 ms)"
            print(f"wrote {item.target}: {counted(result.frames, 'frame')} at {float(result.info.fps):.3f} fps"
                  f"{shown}, {audio}{subtitles}", file=sys.stderr)
            if result.earlier_frames:
                print(f"stylert: {item.target}: {counted(result.earlier_frames, 'frame')} of an earlier run, "
                      "which this one did not write, left beside these", file=sys.stderr)
            if result.dropped_subtitles:
                _say_subtitles_dropped(str(item.source), str(item.target), result.dropped_subtitles)
            for line in (*result.notes, *result.damage):
                _say_damage(str(item.source), line)
            damaged += bool(result.damage)
            if result.truncated:
                truncated += 1
                print(f"stylert: failed: {item.source}: {result.truncated}; the {counted(result.frames, 'frame')} "
                      f"read {'was' if result.frames == 1 else 'were'} written to {item.target}", file=sys.stderr)
            if result.flicker:
                print(flicker_line(result.flicker, str(item.source)))
    if len(todo) > 1 or failed or truncated or damaged or len(todo) < len(plan):
        done = f", {len(plan) - len(todo)} already done" if len(todo) < len(plan) else ""
        short = [f"{truncated} of them cut short"] * bool(truncated) + [f"{damaged} damaged"] * bool(damaged)
        noted = f" ({', '.join(short)})" if short else ""
        print(f"{counted(len(todo) - failed, 'video')} written{noted}, {failed} failed{done}", file=sys.stderr)
    # a cut-off or damaged input still gave an output, without what could not be read
    return exit_code(len(todo), failed, truncated + damaged)


def _alpha_fate(info, options, target) -> str:
    """What becomes of a transparent source's alpha in its output ``target``, and how to keep it where it is
    not kept."""
    from stylert.runtime.video import keeps_alpha, output_codec
    from stylert.runtime.video_frames_out import is_frames_output

    suffix = target.suffix
    if is_frames_output(target):
        return ("its alpha is kept" if keeps_alpha(info, options, target) else
                f"{suffix} holds no alpha, so it is laid over black (.png, .tif, .exr or .dpx frames keep it)")
    codec = output_codec(options, suffix)
    if keeps_alpha(info, options, target):
        return f"its alpha is kept ({codec})"
    return (f"{codec} in {suffix} keeps no alpha, so it is laid over black (a .webm, or --codec prores_ks into a "
            ".mov, keeps it)")
