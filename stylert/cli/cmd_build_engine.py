"""``stylert build-engine``: ONNX -> TensorRT engine + JSON sidecar."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stylert.cli.common import add_command, positive_int


def register(sub) -> None:
    p = add_command(sub, "build-engine", "Compile an ONNX model into a TensorRT engine for this GPU, with a JSON "
                    "sidecar (TensorRT version, GPU, compute capability, precision, profile, ONNX sha256, plugins). "
                    "Networks are strongly typed (TensorRT 11; opted in on 10.x): fp16 and int8 come from the ONNX "
                    "graph, made here from the fp32 model unless you pass one already converted.",
                    "  stylert build-engine mosaic.onnx -o mosaic.engine\n"
                    "  stylert build-engine mosaic.onnx -o mosaic_fp16.engine --precision fp16 "
                    "--height 256,720,1088 --width 256,1280,1920\n"
                    "  stylert build-engine mosaic.onnx -o mosaic_int8.engine --precision int8 --calib photos/\n"
                    "  stylert build-engine mosaic.onnx -o m.engine --plugins build/kernels/lib/libstylert_trt_plugin.so"
                    " --timing-cache trt.cache --refit")
    p.add_argument("onnx", type=Path, help="model exported by 'stylert export' (or any RGB 0..255 NCHW ONNX)")
    p.add_argument("-o", "--output", required=True, type=Path, help="engine file to write (sidecar: OUTPUT.json)")
    p.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp32",
                   help="fp16: mixed-precision ONNX (IO and InstanceNorm stay fp32); int8: Q/DQ ONNX")
    p.add_argument("--calib", type=Path, help="calibration photos for --precision int8 (default: bundled samples)")
    shapes = p.add_argument_group("dynamic shape profile (MIN,OPT,MAX; H and W rounded up to the model multiple)")
    shapes.add_argument("--batch", default="1,1,4", help="batch sizes")
    shapes.add_argument("--height", default="64,720,1088", help="input heights in pixels")
    shapes.add_argument("--width", default="64,1280,1920", help="input widths in pixels")
    p.add_argument("--workspace", type=positive_int, default=1024, help="builder workspace limit in MiB")
    p.add_argument("--timing-cache", type=Path, help="timing cache file to read and update (faster rebuilds)")
    p.add_argument("--plugins", type=Path, help="libstylert_trt_plugin.so: fuse InstanceNorm+ReLU/residual")
    p.add_argument("--refit", action="store_true", help="build refittable, so styles of one topology swap weights "
                                                        "in place (stylert webcam --backend tensorrt)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from stylert.errors import BackendUnavailable, StyleNotFound, StylertError
    from stylert.export.engine_cache import GpuFacts, build_engine_file, onnx_metadata
    from stylert.export.engine_spec import EngineSpec, ProfileShapes, parse_triplet
    from stylert.export.trt_build import import_tensorrt
    from stylert.gpu.cuda_layer import open_cuda_layer

    if not args.onnx.is_file():
        raise StyleNotFound(f"ONNX model not found: {args.onnx}")
    if args.output.suffix != ".engine":
        raise StylertError(f"-o should end in .engine, got {args.output}")
    if args.plugins and not args.plugins.is_file():
        raise StylertError(f"plugin library not found: {args.plugins} (build it with: make kernels)")
    multiple = int(onnx_metadata(args.onnx).get("stylert.size_multiple", "4"))
    profile = ProfileShapes.from_triplets(parse_triplet(args.batch, "batch"), parse_triplet(args.height, "height"),
                                         parse_triplet(args.width, "width"), multiple)
    spec = EngineSpec(precision=args.precision, profile=profile, workspace_mb=args.workspace,
                      plugins=str(args.plugins) if args.plugins else None, refit=args.refit,
                      timing_cache=str(args.timing_cache) if args.timing_cache else None)
    try:
        trt = import_tensorrt()
        cuda = open_cuda_layer()
    except BackendUnavailable as exc:
        raise BackendUnavailable(f"build-engine needs TensorRT and an NVIDIA GPU: {exc}. "
                                 "On this machine use the ONNX model with --backend onnxruntime") from None
    major, minor = cuda.compute_capability()
    facts = GpuFacts(str(trt.__version__), cuda.device_name(), f"{major}.{minor}")
    sidecar = build_engine_file(args.onnx, args.output, spec, facts, trt=trt, calib=args.calib,
                                log=lambda s: print(s, file=sys.stderr))
    print(f"wrote {args.output} ({sidecar.precision}, {facts.gpu_name}, sm_{major}{minor}, TensorRT "
          f"{facts.tensorrt_version}) and {args.output}.json")
    return 0
