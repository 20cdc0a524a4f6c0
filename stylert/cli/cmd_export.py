"""``stylert export``: PyTorch checkpoint -> ONNX, checked against PyTorch."""
from __future__ import annotations

import argparse

from stylert.cli.common import add_command, given_path, style_name

PARITY_SIZES = ((256, 256), (250, 333))  # the second is padded to the model multiple, as the runtime does


def register(sub) -> None:
    p = add_command(sub, "export", "Export a PyTorch checkpoint to ONNX (dynamic batch/height/width, "
                    "RGB 0..255 in and out) and print its difference from PyTorch.",
                    "  stylert export candy.pth -o candy.onnx\n"
                    "  stylert export checkpoints/horse2zebra/latest_net_G.pth -o horse2zebra.onnx\n"
                    "  stylert export my.pth -o my.onnx --name watercolour --image photo.jpg\n"
                    "  stylert export mosaic -o mosaic_int8.onnx --int8")
    p.add_argument("checkpoint", type=given_path, help="fast_neural_style TransformerNet, a CycleGAN or pix2pix "
                                                  "latest_net_G.pth (ResnetGenerator or UnetGenerator), a stylert "
                                                  "training checkpoint, or a built-in style's name")
    p.add_argument("-o", "--output", required=True, type=given_path, help="ONNX file to write")
    p.add_argument("--name", type=style_name, default=None,
                   help="style name stored in the model (default: from the checkpoint)")
    p.add_argument("--image", type=given_path, default=None,
                   help="photo for the parity check (default: the bundled astronaut sample)")
    precision = p.add_mutually_exclusive_group()
    precision.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp32",
                           help="fp16: mixed-precision graph for strongly typed TensorRT (IO and InstanceNorm stay "
                                "fp32); int8: as --int8 (the word stylize and build-engine take)")
    precision.add_argument("--int8", action="store_true",
                   help="write an int8 Q/DQ model (static quantisation; InstanceNorm stays float32) for ONNX "
                        "Runtime int8 on the CPU and TensorRT int8; prints PSNR against fp32")
    p.add_argument("--calib", type=given_path, default=None,
                   help="folder of calibration photos for --int8 (default: the bundled sample photos)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from stylert.atomic_files import check_writable
    from stylert.cli.common import say
    from stylert.errors import StylertError
    from stylert.export.onnx_export import export_onnx
    from stylert.export.parity import parity_batches
    from stylert.export.reduced_precision import export_fp16, export_int8
    from stylert.models.checkpoint import load_checkpoint
    from stylert.styles import file_or_builtin

    args.int8 = args.int8 or args.precision == "int8"
    args.checkpoint = file_or_builtin(args.checkpoint, ".pth")
    if args.output.suffix.lower() != ".onnx":
        raise StylertError(f"-o must end in .onnx, got {args.output}")
    if args.output.resolve() == args.checkpoint.resolve():
        raise StylertError("refusing to overwrite the input checkpoint")
    check_writable(args.output)  # before the export's tracing, not after
    if args.calib is not None:
        if not args.int8:
            raise StylertError("--calib is for --int8 (the photos int8 calibrates its activation ranges on)")
        from stylert.export.quantize import calibration_images

        calibration_images(args.calib)  # a missing or empty folder is said now, not after the slow export
    say(f"loading {args.checkpoint}")
    model = load_checkpoint(args.checkpoint)
    if args.name:
        model = dataclasses.replace(model, style=args.name)
    batches = parity_batches(args.image, PARITY_SIZES, model.size_multiple)
    what = f"{model.architecture} ({model.variant}), style '{model.style}'"
    if args.int8:
        psnr, max_diff = export_int8(model, args.output, batches, args.calib, progress=say)
        print(f"wrote {args.output}: int8 Q/DQ {what}")
        print(f"  int8 vs fp32 on {args.image or 'the astronaut sample'}: PSNR {psnr:.1f} dB, "
              f"max abs diff {max_diff:.1f}")
    elif args.precision == "fp16":
        diff = export_fp16(model, args.output, batches, progress=say)
        print(f"wrote {args.output}: fp16 {what}")
        print(f"  fp16 vs fp32 (ONNX Runtime): max abs diff {diff:.2f} (0..255 scale)")
    else:
        result = export_onnx(model, args.output, parity_images=batches, progress=say)
        print(f"wrote {result.path}: {what}")
        for shape, diff in result.parity:
            print(f"  parity vs PyTorch, input {'x'.join(map(str, shape))}: max abs diff {diff:.2e} (0..255 scale)")
    return 0
