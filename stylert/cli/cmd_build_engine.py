"""``stylert build-engine``: ONNX -> TensorRT engine + JSON sidecar."""
from __future__ import annotations

import argparse

from stylert.cli.common import add_command, given_path, positive_int


def _triplet(what: str):
    """MIN,OPT,MAX checked when the arguments are parsed."""
    def parse(text: str) -> tuple[int, int, int]:
        from stylert.errors import StylertError
        from stylert.export.engine_spec import parse_triplet

        try:
            return parse_triplet(text, what)
        except StylertError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def register(sub) -> None:
    p = add_command(sub, "build-engine", "Compile an ONNX model into a TensorRT engine for this GPU, with a JSON "
                    "sidecar (TensorRT version, GPU, compute capability, precision, profile, ONNX sha256, plugins). "
                    "Networks are strongly typed (TensorRT 11; opted in on 10.x): fp16 and int8 come from the ONNX "
                    "graph, made here from the fp32 model unless you pass one already converted.",
                    "  stylert build-engine mosaic.onnx -o mosaic.engine\n"
                    "  stylert build-engine mosaic.onnx -o mosaic_fp16.engine --precision fp16 "
                    "--height 256,720,1088 --width 256,1280,1920\n"
                    "  stylert build-engine mosaic.onnx -o mosaic_int8.engine --precision int8 --calib photos/\n"
                    "  stylert build-engine mosaic.onnx -o m.engine --plugins "
                    "build/kernels/lib/libstylert_trt_plugin.so --timing-cache trt.cache --refit")
    p.add_argument("onnx", type=given_path,
                   help="model exported by 'stylert export' (or any RGB 0..255 NCHW ONNX), or a built-in style's name")
    p.add_argument("-o", "--output", required=True, type=given_path, help="engine file to write (sidecar: OUTPUT.json)")
    p.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp32",
                   help="fp16: mixed-precision ONNX (IO and InstanceNorm stay fp32); int8: Q/DQ ONNX")
    p.add_argument("--calib", type=given_path,
                   help="calibration photos for --precision int8 (default: bundled samples)")
    shapes = p.add_argument_group("dynamic shape profile (MIN,OPT,MAX; H and W rounded up to the model multiple)")
    shapes.add_argument("--batch", type=_triplet("batch"), default="1,1,4", help="batch sizes")
    shapes.add_argument("--height", type=_triplet("height"), default="64,720,1088", help="input heights in pixels")
    shapes.add_argument("--width", type=_triplet("width"), default="64,1280,1920", help="input widths in pixels")
    p.add_argument("--workspace", type=positive_int, default=1024, help="builder workspace limit in MiB")
    p.add_argument("--timing-cache", type=given_path, help="timing cache file to read and update (faster rebuilds)")
    p.add_argument("--plugins", type=given_path, help="libstylert_trt_plugin.so: fuse InstanceNorm+ReLU/residual")
    p.add_argument("--refit", action="store_true", help="build refittable, so styles of one topology swap weights "
                                                        "in place (stylert webcam --backend tensorrt)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from stylert.atomic_files import check_writable
    from stylert.cli.common import say
    from stylert.errors import StyleNotFound, StylertError, not_found
    from stylert.export.engine_cache import build_engine_for_onnx
    from stylert.gpu.tensorrt_api import plugin_library
    from stylert.styles import file_or_builtin

    args.onnx = file_or_builtin(args.onnx, ".onnx")
    if args.onnx.is_dir():
        raise StyleNotFound(f"{args.onnx} is a folder; name the ONNX model in it")
    if not args.onnx.is_file():
        raise StyleNotFound(not_found("ONNX model", args.onnx))
    if args.output.suffix != ".engine":
        raise StylertError(f"-o should end in .engine, got {args.output}")
    if args.plugins:
        plugin_library(args.plugins)  # before minutes of building, not at its start
    if args.calib is not None:
        if args.precision != "int8":
            raise StylertError("--calib is for --precision int8 (the photos int8 calibrates its activation ranges on)")
        from stylert.export.quantize import calibration_images

        calibration_images(args.calib)  # a missing or empty folder is said now, not after TensorRT's parse
    check_writable(args.output)  # before minutes of building, not after
    if args.timing_cache is not None:
        if args.timing_cache.is_dir():
            raise StylertError(f"--timing-cache {args.timing_cache} is a folder; name the cache file, e.g. "
                               f"{args.timing_cache / 'trt.cache'}")
        check_writable(args.timing_cache)  # it is written after the build
    sidecar, facts = build_engine_for_onnx(
        args.onnx, args.output, precision=args.precision, batch=args.batch, height=args.height, width=args.width,
        workspace_mb=args.workspace, plugins=str(args.plugins) if args.plugins else None, refit=args.refit,
        timing_cache=str(args.timing_cache) if args.timing_cache else None, calib=args.calib, log=say)
    arch = facts.compute_capability.replace(".", "")
    print(f"wrote {args.output} ({sidecar.precision}, {facts.gpu_name}, sm_{arch}, TensorRT {facts.tensorrt_version}) "
          f"and {args.output}.json")
    return 0
