"""``stylert train``: perceptual and adversarial training of a TransformerNet style."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from stylert.cli import stop_signals
from stylert.cli.common import (add_command, int_between, non_empty, non_negative_float, non_negative_int,
                                positive_float, positive_int, progress_bar, style_name, thread_count)
from stylert.errors import StylertError
from stylert.train.config import TrainConfig  # a plain dataclass: its defaults are the help's


def _beta(text: str) -> float:
    value = non_negative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _layer_weights(text: str) -> tuple[float, ...]:
    return tuple(non_negative_float(v) for v in text.split(","))


def _image_size(text: str) -> int:
    value = positive_int(text)
    if value < 16:
        raise argparse.ArgumentTypeError(f"must be 16 or more (the networks downsample by 4), got {text}")
    return value


def register(sub) -> None:
    p = add_command(
        sub, "train",
        "Train a style network. Perceptual mode (default): content + Gram style + total-variation losses. "
        "--adversarial adds the founding GAN recipe: a PatchGAN discriminator trained with binary "
        "cross-entropy, generator loss = adversarial + MSE (+ perceptual terms), Adam lr 2e-4, beta1 0.5. "
        "Features: --features random (default) uses fixed seeded random filters and needs no download; "
        "their Gram statistics capture texture and colour well but carry no learned semantics, so content "
        "is kept less faithfully than with VGG. --features vgg16|vgg19 --vgg-weights FILE uses a local "
        "torchvision weights file (never downloaded).",
        "  stylert train --style-image mosaic.png --content photos/ -o mosaic.pth --steps 2000\n"
        "  stylert train --style-image van_gogh/ --content photos/ -o vg.pth --adversarial\n"
        "  stylert train --paired targets/ --content photos/ -o p2p.pth --adversarial --image-size 128\n"
        "  stylert train --style-image s.jpg --content coco/ -o s.pth --features vgg16 "
        "--vgg-weights vgg16-397923af.pth --model standard\n"
        "  stylert train ... -o s.pth --resume s.pth --steps 4000     # continue to step 4000\n"
        "  stylert train ... -o s.pth --overwrite                      # start again over an earlier s.pth")
    p.add_argument("--content", required=True, type=non_empty,
                   help="folder (searched recursively) or file of content photos")
    p.add_argument("-o", "--output", required=True, type=non_empty,
                   help="checkpoint to write (.pth); samples go to OUTPUT_samples/, each step's losses to "
                        "OUTPUT_losses.csv and their chart to OUTPUT_losses.png (at every checkpoint)")
    data = p.add_argument_group("what to learn")
    data.add_argument("--style-image", type=non_empty,
                      help="style image, or a folder of them (their Gram matrices are averaged; in --adversarial "
                           "mode they are the 'real' set)")
    data.add_argument("--paired", dest="paired_targets", metavar="TARGET_DIR", type=non_empty,
                      help="pix2pix-like mode: targets named like the content files")
    data.add_argument("--adversarial", action="store_true", help="add the PatchGAN discriminator (founding recipe)")
    data.add_argument("--name", dest="style_name", type=style_name,
                      help="style name stored in the checkpoint (default: output stem)")
    net = p.add_argument_group("networks")
    net.add_argument("--model", choices=("lite", "standard"), default="lite",
                     help="generator: lite (real-time on CPU) or standard fast_neural_style TransformerNet")
    net.add_argument("--features", choices=("random", "vgg16", "vgg19"), default="random",
                     help="feature network for content/style losses")
    net.add_argument("--vgg-weights", type=non_empty,
                     help="local torchvision-format VGG weights file (for --features vgg16/vgg19)")
    opt = p.add_argument_group("optimisation")
    length = opt.add_mutually_exclusive_group()
    length.add_argument("--steps", type=positive_int, default=1000, help="total optimisation steps")
    length.add_argument("--epochs", type=positive_int, help="passes over the content set (sets --steps)")
    opt.add_argument("--batch-size", type=positive_int, default=4, help="images per step")
    opt.add_argument("--image-size", type=_image_size, default=256, help="square crop size in pixels (16 or more)")
    opt.add_argument("--lr", type=positive_float,
                     help="Adam learning rate (default: 1e-3 perceptual, 2e-4 adversarial)")
    opt.add_argument("--beta1", type=_beta, help="Adam beta1, in [0, 1) (default: 0.9 perceptual, 0.5 adversarial)")
    opt.add_argument("--content-weight", type=non_negative_float, default=1.0,
                     help="relative content (feature MSE) weight")
    opt.add_argument("--style-weight", type=non_negative_float, default=10.0, help="relative Gram-matrix style weight")
    opt.add_argument("--style-layer-weights", type=_layer_weights, default=(),
                     help="comma-separated weight per style layer, shallow to deep (default: all 1)")
    opt.add_argument("--tv-weight", type=non_negative_float, default=1.0, help="total-variation weight (smoothness)")
    opt.add_argument("--adv-weight", type=non_negative_float,
                     help=f"adversarial loss weight, with --adversarial (default: {TrainConfig.adv_weight})")
    opt.add_argument("--mse-weight", type=non_negative_float,
                     help=f"pixel MSE weight to targets, with --paired (default: {TrainConfig.mse_weight})")
    run = p.add_argument_group("run")
    run.add_argument("--sample-every", type=non_negative_int, default=100,
                     help="write a sample strip every N steps (0: never)")
    run.add_argument("--checkpoint-every", type=non_negative_int, default=200,
                     help="save a checkpoint every N steps (0: end only)")
    run.add_argument("--resume", type=non_empty,
                     help="continue from this training checkpoint (weights, optimisers, RNG, step)")
    run.add_argument("--overwrite", action="store_true",
                     help="start again over an existing -o checkpoint (without it, an existing one is kept and "
                          "the command says how to continue it with --resume)")
    run.add_argument("--seed", type=int_between(0, 2**64 - 1), default=0,  # torch's generators take 64 bits
                     help="random seed, a whole number from 0; the same seed gives the same run")
    run.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                     help="where to train (default: auto, the CUDA GPU when PyTorch sees one, else the CPU; the "
                          "first line says which)")
    run.add_argument("--threads", type=thread_count, help="CPU threads for torch")
    p.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    from stylert._lazy import require

    torch = require("torch", "stylert train")
    from stylert.train.trainer import Trainer, TrainingStopped

    _check_flags(args)
    _check_output(args.output, args.resume, args.overwrite, args.vgg_weights)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    fields = {k: getattr(args, k) for k in TrainConfig.__dataclass_fields__ if getattr(args, k, None) is not None}
    trainer = Trainer(TrainConfig(**fields))
    if args.resume:
        trainer.resume(args.resume)
        if trainer.step >= trainer.config.steps:
            raise StylertError(f"{args.resume} is already at step {trainer.step}, and --steps asks for "
                               f"{trainer.config.steps}; ask for more to go on, e.g. --steps {2 * trainer.step}")
    print(f"training '{trainer.style_name}': {args.model} generator, {args.features} features, "
          f"{trainer.config.mode}, steps {trainer.step}->{trainer.config.steps}, "
          f"on {_device_words(torch, args.device)}", file=sys.stderr)
    if trainer.pairs is not None and trainer.pairs.unmatched:
        print(_left_unpaired(trainer.pairs, args.paired_targets), file=sys.stderr)
    print(f"losses: {_report_names(args.output)}, written at every checkpoint", file=sys.stderr)
    said = _say_bad_images(trainer, (0, 0))
    with progress_bar(total=trainer.config.steps, initial=trainer.step, unit="step") as bar:
        def show(step: int, terms: dict[str, float]) -> None:
            nonlocal said
            bar.set_postfix({k: f"{v:.3g}" for k, v in terms.items()}, refresh=False)
            bar.update(1)
            said = _say_bad_images(trainer, said, bar.write)

        try:
            trainer.run(show)
        except KeyboardInterrupt:
            print(f"\n{stop_signals.how()} at step {trainer.step}; saved {args.output} (continue with --resume)",
                  file=sys.stderr)
            return stop_signals.exit_code()
        except TrainingStopped as exc:
            kept = ("no weights were saved" if trainer.saved_at is None
                    else f"{args.output} is kept as it was at step {trainer.saved_at}")
            raise StylertError(f"{exc}; {kept}; the losses up to it: {_report_names(args.output)}") from None
    print(f"saved {args.output} at step {trainer.step}; losses "
          + ", ".join(f"{k} {v:.4g}" for k, v in trainer.last_losses.items()), file=sys.stderr)
    return 1 if trainer.unreadable or trainer.damaged else 0  # the CLI's rule: some inputs failed or were damaged


def _check_flags(args: argparse.Namespace) -> None:
    """A flag for a mode this run is not in would be ignored without a word; it is refused instead."""
    if args.vgg_weights and args.features == "random":
        raise StylertError("--vgg-weights is for --features vgg16 or vgg19; the default, --features random, loads "
                           "no weights")
    if args.adv_weight is not None and not args.adversarial:
        raise StylertError("--adv-weight weighs the discriminator's loss, with --adversarial")
    if args.mse_weight is not None and not args.paired_targets:
        raise StylertError("--mse-weight weighs the pixel difference to --paired targets; give --paired TARGET_DIR")


def _report_names(output: str) -> str:
    """Where the loss report goes, and why there is no chart where matplotlib is missing."""
    from stylert._lazy import installed
    from stylert.train.loss_history import report_paths

    table, chart = report_paths(output)
    return f"{table} and {chart}" if installed("matplotlib") else \
        f"{table} (no chart: it needs matplotlib; pip install 'stylert[train]')"


def _check_output(output: str, resume: str | None, overwrite: bool, vgg_weights: str | None) -> None:
    """The checkpoint must be a file that --style, export and --resume read, in a folder it can be written to,
    and not another run's checkpoint (unless that run is the one resumed, or --overwrite), nor the --vgg-weights
    read (even with --overwrite): said before training, not when the first checkpoint is saved, or when an earlier
    run is found lost."""
    from stylert.atomic_files import check_writable
    from stylert.models.checkpoint import CHECKPOINT_SUFFIXES
    from stylert.train.loss_history import report_paths

    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir():
        raise StylertError(f"-o {output} is a folder; name the checkpoint file, e.g. {path / 'style.pth'}")
    if path.suffix.lower() not in CHECKPOINT_SUFFIXES:
        raise StylertError(f"-o {output}: a training checkpoint is a {' or '.join(CHECKPOINT_SUFFIXES)} file "
                           "(export it to ONNX afterwards with stylert export)")
    if path.exists() and vgg_weights and Path(vgg_weights).exists() and path.samefile(vgg_weights):
        raise StylertError(f"-o {output} is the --vgg-weights file; name another file for the checkpoint")
    if path.exists() and not overwrite and not (resume and Path(resume).exists() and path.samefile(resume)):
        raise StylertError(f"-o {output} already exists (an earlier run?); continue it with --resume {output}, "
                           "write to another file, or pass --overwrite to start again over it")
    for written in (path, *report_paths(path)):  # the loss report's names are the longest (and the samples' folder's)
        check_writable(written)


def _left_unpaired(pairs, targets: str) -> str:
    """The content images paired mode leaves out, as they have no target of the same name (stem)."""
    left = pairs.unmatched
    named = ", ".join(path.name for path in left[:3]) + (f" and {len(left) - 3} more" if len(left) > 3 else "")
    have = "has" if len(pairs) == 1 else "have"
    return (f"paired mode: {len(pairs)} of {len(pairs) + len(left)} content images {have} a target of the same name "
            f"in {targets}; left out: {named}")


def _device_words(torch, device: str) -> str:
    """Where the run trains, for its first line: the GPU's name, or the CPU (with --device cuda's hint)."""
    if device == "cuda":
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return "cpu" if not torch.cuda.is_available() else "cpu (a CUDA GPU is here: --device cuda trains on it)"


def _say_bad_images(trainer, said: tuple[int, int], write: Callable[..., None] = print) -> tuple[int, int]:
    """One line for each image set aside (training goes on without it) and each read despite damage (training
    uses what could be decoded) since ``said`` of each were reported; returns how many of each have been."""
    for _, reason in trainer.unreadable[said[0]:]:
        write(f"stylert: failed: {reason} (skipped; training goes on)", file=sys.stderr)
    for path, notices in trainer.damaged[said[1]:]:
        write(f"stylert: {path}: read despite damage ({notices}); training uses what could be decoded",
              file=sys.stderr)
    return len(trainer.unreadable), len(trainer.damaged)
