"""``stylert stylize``: images, folders and globs -> stylised images."""
from __future__ import annotations

import argparse
import contextlib
import sys

from stylert.cli.common import (add_backend_args, add_command, add_inputs_and_output, add_ray_args, add_smooth_arg,
                                add_style_args, exit_code, positive_int, stylizer_from_args)


def register(sub) -> None:
    p = add_command(sub, "stylize", "Stylise image files, folders or glob patterns (JPEG (.jfif too), PNG, WebP, "
                    "GIF, AVIF, TIFF, BMP, TGA, QOI, PPM; HEIC\nwith stylert[heic], OpenEXR and DPX (a film scan's "
                    "log too) with stylert[video]; read only: PSD, ICO,\nPGM, PBM, PCX, SGI, DDS, JPEG 2000, "
                    "Radiance HDR, PFM, camera RAW (DNG, CR2, NEF, ARW, ... with\nstylert[raw]), "
                    "whose folder outputs are NAME.psd.png and so on). Each\n"
                    "output keeps its photo's EXIF, ICC profile and XMP (JPEG, PNG, WebP, TIFF, HEIC), its\n"
                    "transparency, every frame of an animation (GIF, WebP, PNG, AVIF)\nand every page of a TIFF; "
                    "an OpenEXR's linear light is read through the sRGB curve and written back linear (a\n"
                    "Radiance HDR's and a PFM's are read so too; a DPX is written back in its own encoding).",
                    "  stylert stylize photo.jpg -o photo_mosaic.jpg --style mosaic\n"
                    "  stylert stylize holiday/ -r -o styled/ --ext png --max-size 1024\n"
                    "  stylert stylize 'shots/*.jpg' -o styled/ --style my_model.onnx --batch 8\n"
                    "  stylert stylize dancing.gif logo.png -o styled/        # every frame; the logo stays "
                    "transparent\n"
                    "  stylert stylize render/ -o styled/ --smooth --report   # frame_0001.png, ...: steadied "
                    "across files\n"
                    "  stylert stylize plates/ -o styled/ -s mosaic          # OpenEXR plates come back as linear EXR\n"
                    "  cat photo.jpg | stylert stylize - -o - > styled.jpg    # a filter: standard input to "
                    "standard output", aliases=("stylise",))
    add_inputs_and_output(p, "image files, folders or quoted glob patterns; - reads one picture from standard "
                          "input", "its extension sets the format; - writes to standard output, in --ext's format "
                          "or the input's",
                          "the inputs' folder structure is kept")
    p.add_argument("-r", "--recursive", action="store_true", help="descend into sub-folders of folder inputs")
    p.add_argument("--redo", action="store_true",
                   help="make every output again: by default a folder output's .stylert-manifest.json (what each "
                        "output was made from: the input's size and time, the model's hash, the options that shape "
                        "the pixels) lets a re-run skip what is done, e.g. after an interrupted run")
    p.add_argument("--ext", default=None,
                   help="output format for folder outputs and -o -, e.g. png (default: the input's; PNG added to the "
                        "name of a format only read, x.psd -> x.psd.png)")
    p.add_argument("--max-size", type=positive_int, default=None,
                   help="downscale so the longer side is at most this many pixels before stylising")
    p.add_argument("--tile", type=_tile, default="auto",
                   help="auto: stylise in tiles only when a photo would not fit in memory (the estimate comes from "
                        "the network's widths); PIXELS: always, with tiles of this size; off: never. Tiles share "
                        "the whole photo's InstanceNorm statistics, so they match the untiled result")
    add_smooth_arg(p, "an animation's frames (GIF, WebP, PNG, AVIF) and across a numbered image sequence's "
                      "files (frame_0001.png, frame_0002.png, ... or frame9.png, frame10.png, ... in a folder, in "
                      "number order; on one machine)")
    p.add_argument("--report", action="store_true",
                   help="print the flicker metric of each animation and numbered image sequence (on one machine): "
                        "output frame-to-frame change / input frame-to-frame change, to choose --smooth by")
    add_ray_args(p, "Inputs and -o may then also be URLs (s3://...); a manifest in the output folder makes a "
                    "re-run skip what is done")
    add_style_args(p)
    add_backend_args(p)
    p.set_defaults(run=run)


def _tile(text: str) -> str | int:
    if text in ("auto", "off"):
        return text
    from stylert.runtime.tiling import MIN_TILE

    size = positive_int(text)
    if size < MIN_TILE:
        raise argparse.ArgumentTypeError(f"tiles of fewer than {MIN_TILE} pixels would be mostly margin, got {text}")
    return size


def run_on_ray(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from stylert.cli.common import (backend_options, of_damaged, progress_bar, read_despite_damage, say,
                                    say_videos_left_out)
    from stylert.runtime.ray_images import run_images_on_ray

    if args.smooth:
        say("on Ray, --smooth steadies each animation; a numbered image sequence is steadied across its files on "
            "one machine (without --ray)")
    if args.report:
        say("--report measures flicker on one machine (without --ray); this run has no report")
    say_videos_left_out(args.inputs, args.recursive)
    with progress_bar(unit="img", desc="stylize (Ray)", delay=0.5) as bar:  # not before a result
        def report(row: dict) -> None:
            if row["error"]:
                tqdm.write(f"stylert: failed: {row['source']}: {row['error']}", file=sys.stderr)
            elif row["damage"]:
                tqdm.write(read_despite_damage(row["source"], row["target"], [row["damage"]]), file=sys.stderr)
            bar.update(1)

        summary = run_images_on_ray(args.inputs, args.output, recursive=args.recursive, ext=args.ext,
                                    style=args.style, backend=args.backend, options=backend_options(args),
                                    strength=args.strength, preserve_color=args.preserve_color, address=args.ray,
                                    workers=args.workers, smooth=args.smooth, max_size=args.max_size,
                                    tile=args.tile, on_result=report, log=say, redo=args.redo)
    for actor, (frames, busy) in sorted(summary.per_actor.items()):
        say(f"actor {actor}: {frames} images, {frames / busy if busy else 0:.2f} images/s while busy")
    failed, damaged = len(summary.failed), len(summary.damage)
    print(f"{summary.items - failed} written to {args.output}{of_damaged(damaged)}, {failed} failed, "
          f"{summary.skipped} already done; {summary.frames_per_second:.2f} images/s overall", file=sys.stderr)
    return exit_code(summary.items, failed, damaged)


def run(args: argparse.Namespace) -> int:
    from stylert.cli.common import check_ray_only
    from stylert.cli.stylize_pipe import run_piped, uses_pipes

    check_ray_only(args)
    if uses_pipes(args):
        return run_piped(args)
    if args.ray:
        return run_on_ray(args)
    from tqdm import tqdm

    from stylert.cli.common import (flicker_line, of_damaged, outputs_to_make, progress_bar, read_despite_damage,
                                    say, say_videos_left_out)

    from stylert.atomic_files import check_writable
    from stylert.runtime.stylize_files import image_shaping_options, plan_image_outputs, stylize_files

    plan = plan_image_outputs(args.inputs, args.output, recursive=args.recursive, ext=args.ext)
    check_writable(plan[0].target, its_name=len(plan) == 1)  # a place that cannot be written: one line, not one each
    say_videos_left_out(args.inputs, args.recursive)
    shaping = image_shaping_options(strength=args.strength, preserve_color=args.preserve_color,
                                    precision=args.precision, backend=args.backend, smooth=args.smooth,
                                    max_size=args.max_size, tile=args.tile)
    todo, manifest = outputs_to_make(plan, args, shaping, "outputs")
    if not todo:
        print(f"0 written to {args.output}, 0 failed, {len(plan)} already done", file=sys.stderr)
        return 0
    with stylizer_from_args(args) as stylizer, manifest or contextlib.nullcontext():
        say(f"style {stylizer.info.style} on {stylizer.backend.description}")
        with progress_bar(total=len(todo), unit="img", desc="stylize") as bar:
            tiles = None

            def report(result) -> None:
                nonlocal tiles
                if result.error:
                    tqdm.write(f"stylert: failed: {result.source}: {result.error}", file=sys.stderr)
                elif manifest is not None:
                    manifest.add(result.source, result.target)
                if result.damage:
                    tqdm.write(read_despite_damage(result.source, result.target, result.damage), file=sys.stderr)
                for note in result.notes:
                    tqdm.write(f"stylert: {result.target}: {note}", file=sys.stderr)
                if tiles is not None:
                    tiles.close()
                    tiles = None
                bar.update(1)

            def tile_progress(done: int, total: int) -> None:  # a second bar while one large photo is tiled
                nonlocal tiles
                if tiles is None:
                    tiles = progress_bar(total=total, unit="tile", desc="  tiles", leave=False)
                tiles.update(done - tiles.n)

            flicker: list[str] = []

            def measured(name: str, found) -> None:  # said after the progress bar
                flicker.append(flicker_line(found, name))

            waiting = set(todo)
            results = stylize_files(stylizer, todo, max_size=args.max_size, smooth=args.smooth, on_done=report,
                                    on_tile=tile_progress, made=[item for item in plan if item not in waiting],
                                    on_flicker=measured if args.report else None)
    for line in flicker:
        print(line)
    failed = sum(1 for r in results if r.error)
    damaged = sum(1 for r in results if r.damage)
    done = f", {len(plan) - len(todo)} already done" if len(todo) < len(plan) else ""
    print(f"{len(results) - failed} written to {args.output}{of_damaged(damaged)}, {failed} failed{done}",
          file=sys.stderr)
    return exit_code(len(results), failed, damaged)
