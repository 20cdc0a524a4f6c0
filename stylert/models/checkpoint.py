"""Load PyTorch checkpoints and detect their architecture from the state-dict keys.

Supported layouts:
- pytorch/examples fast_neural_style ``TransformerNet`` state dicts (any widths,
  any number of residual blocks; legacy InstanceNorm running stats are dropped);
- junyanz/pytorch-CycleGAN-and-pix2pix ``ResnetGenerator`` and ``UnetGenerator`` (``latest_net_G.pth``);
- stylert's own training checkpoints (``{"stylert": 1, "state_dict": ..., ...}``);
- either network's state dict one level down in a training script's checkpoint (``{"model": ...}``,
  ``{"state_dict": ...}``), or under a prefix: nn.DataParallel's ``module.``, torch.compile's ``_orig_mod.``,
  a PyTorch Lightning ``.ckpt``'s module attribute (``net.``, ``generator.``);
- traced or scripted TorchScript archives of them (their weights);
- ``.safetensors`` files of them (Hugging Face's format; ``save_file(model.state_dict(), ...)``).
"""
from __future__ import annotations

import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stylert._lazy import require
from stylert.errors import BadModelFile, StyleNotFound, UnknownCheckpoint, first_line, not_found
from stylert.frames.file_headers import instead_of
from stylert.models.weights_fit import misfit, shapes

TRANSFORMER_NET = "transformer_net"
CYCLEGAN_RESNET = "cyclegan_resnet"
PIX2PIX_UNET = "pix2pix_unet"

# Affine map from the stylert convention (RGB 0..255) to each network's input
# range, and from its output range back: x_net = x * in_scale + in_shift.
NATIVE_RANGES: dict[str, tuple[float, float, float, float]] = {
    TRANSFORMER_NET: (1.0, 0.0, 1.0, 0.0),
    CYCLEGAN_RESNET: (1.0 / 127.5, -1.0, 127.5, 127.5),
    PIX2PIX_UNET: (1.0 / 127.5, -1.0, 127.5, 127.5),
}

# Files --style and export read as PyTorch checkpoints; pytorch/examples' fast_neural_style saves ".model",
# PyTorch Lightning ".ckpt", Hugging Face ".safetensors".
CHECKPOINT_SUFFIXES = (".pth", ".pt", ".model", ".ckpt", ".safetensors")
# Stems that name a file's role, not its style: the style is the folder's name (CycleGAN's
# checkpoints/<experiment>/latest_net_G.pth, a Hugging Face download's <repo>/model.safetensors).
_ROLE_STEM = re.compile(r"(latest|\d+)_net_G(_[AB])?|model|pytorch_model|generator")
_LEGACY_NORM_STATS = re.compile(r"(running_mean|running_var|num_batches_tracked)$")
# torch.load(weights_only=True) names the first class a pickled model needs: "Unsupported global: GLOBAL torch.nn...."
_UNSAFE_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")


@dataclass(frozen=True)
class LoadedModel:
    """A network in eval mode plus what export and the runtime need to know about it."""

    module: Any  # torch.nn.Module
    architecture: str
    variant: str
    style: str
    size_multiple: int
    source: Path

    @property
    def native_range(self) -> tuple[float, float, float, float]:
        return NATIVE_RANGES[self.architecture]

    @property
    def channels(self) -> tuple[int, int]:
        """(input, output) channels: 3 for RGB, 1 for grey."""
        config = self.module.config
        return getattr(config, "in_channels", 3), getattr(config, "out_channels", 3)


def _style_name(path: Path, stored: str | None) -> str:
    if stored:
        return stored
    if _ROLE_STEM.fullmatch(path.stem):
        return path.resolve().parent.name
    return path.stem


def _read(path: Path) -> Any:
    torch = require("torch", "loading a .pth checkpoint")
    if path.is_dir():  # a training run's folder (CycleGAN's checkpoints/NAME/): name the file it holds
        inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in CHECKPOINT_SUFFIXES)
        hint = f" (it holds {', '.join(inside[:4])}{' ...' if len(inside) > 4 else ''})" if inside else ""
        raise StyleNotFound(f"{path} is a folder; name the checkpoint file in it{hint}")
    if not path.is_file():
        raise StyleNotFound(not_found("checkpoint", path))
    if path.suffix.lower() in (".onnx", ".engine"):
        raise BadModelFile(f"{path} is already an exported model, not a PyTorch checkpoint; use it directly "
                           f"with --style {path}")
    if path.suffix.lower() == ".safetensors":
        return _safetensors_state(path)
    if _is_torchscript(path):  # torch.jit.save of a traced or scripted network: TorchScript reads it, no pickle
        return _torchscript_state(torch, path)
    return pickled_weights(torch, path, "PyTorch checkpoint")


def pickled_weights(torch: Any, path: Path, what: str) -> Any:
    """``torch.load(weights_only=True)`` of a file, without the warnings it gives for a damaged one; a file it
    cannot read is a BadModelFile saying in one line why, ``what`` naming what the file should have been
    ("PyTorch checkpoint")."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file; its advice to unpickle anyway is unsafe
        pickled = _UNSAFE_GLOBAL.search(str(exc))
        if pickled:
            raise BadModelFile(f"{path} holds pickled Python objects ({pickled[1]}), which stylert does not unpickle "
                               "(that could run code from the file); save the weights alone with "
                               "torch.save(model.state_dict(), path)") from None
        raise BadModelFile(instead_of(path, f"a {what}") or
                           f"{path} is not a readable {what} (truncated, corrupt or another format; "
                           f"{type(exc).__name__})") from None


def _safetensors_state(path: Path) -> dict[str, Any]:
    """The tensors of a .safetensors file: a JSON header and raw tensors, nothing to unpickle."""
    safetensors = require("safetensors.torch", "loading a .safetensors checkpoint")
    try:
        return dict(safetensors.load_file(str(path), device="cpu"))
    except Exception as exc:  # SafetensorError (a damaged header, a cut-off file), or a header torch cannot map
        raise BadModelFile(instead_of(path, "a safetensors file") or
                           f"{path} is not a readable safetensors file ({first_line(exc)})") from None


def _is_torchscript(path: Path) -> bool:
    """A TorchScript archive: a zip with the network's code (``<name>/code/``) beside its weights."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any("/code/" in name for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _torchscript_state(torch: Any, path: Path) -> dict[str, Any]:
    """The weights of a TorchScript archive (a traced or scripted network)."""
    try:
        return dict(torch.jit.load(str(path), map_location="cpu").state_dict())
    except Exception as exc:  # a damaged archive: TorchScript's own error types
        raise BadModelFile(f"{path} is a TorchScript archive that does not load ({first_line(exc)})") from None


def _network_state(obj: Any, path: Path) -> dict[str, Any]:
    """The state dict a checkpoint holds: the file's top level, its ``state_dict``, or the one entry that is a
    supported network's state dict, whether nested (``{"model": ...}``, ``{"generator": ...}``, ``{"netG": ...}``)
    or flat under its attribute's name (a Lightning module's ``generator.conv1...`` beside
    ``discriminator....``); model_from_state_dict removes the prefixes wrappers add (``_unwrapped``)."""
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise UnknownCheckpoint(f"{path} does not hold a state dict (found {type(obj).__name__})")
    flat = any(hasattr(v, "shape") for v in obj.values())
    if flat and _recognised(obj):
        return obj
    parts = _by_first_name(obj) if flat else {k: v for k, v in obj.items() if isinstance(v, dict)}
    networks = [key for key, value in parts.items() if _recognised(value)]
    if len(networks) > 1:
        first = networks[0]
        alone = (f"{{k[{len(first) + 1}:]: v for k, v in state.items() if k.startswith('{first}.')}}" if flat
                 else f"checkpoint[{first!r}]")
        raise UnknownCheckpoint(f"{path} holds several networks ({', '.join(networks)}); save the one to export "
                                f"alone, e.g. torch.save({alone}, '{first}.pth')")
    return parts[networks[0]] if networks else obj  # none: detect_architecture says what was expected


def _by_first_name(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A flat state dict grouped by the first part of its keys: {"generator": {"conv1.conv2d.weight": ...}}."""
    parts: dict[str, dict[str, Any]] = {}
    for key, value in state.items():
        head, _, rest = key.partition(".")
        if rest:
            parts.setdefault(head, {})[rest] = value
    return parts


def _recognised(state: dict) -> bool:
    if not all(isinstance(k, str) for k in state):
        return False
    try:
        detect_architecture(_unwrapped(state))
        return True
    except UnknownCheckpoint:
        return False


def _unwrapped(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` without what wrappers put before every key, where the network is recognised only without it:
    nn.DataParallel's ``module.``, torch.compile's ``_orig_mod.``, a training module's attribute (``net.``,
    Lightning's ``model.``); and without InstanceNorm's legacy running statistics."""
    state = candidate = _clean(state)
    while True:
        try:
            detect_architecture(candidate)
            return candidate
        except UnknownCheckpoint:
            if not (candidate and all("." in k for k in candidate)
                    and len({k.split(".", 1)[0] for k in candidate}) == 1):
                return state  # as it was, for detect_architecture's message
            candidate = {k.split(".", 1)[1]: v for k, v in candidate.items()}


def _clean(state: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in state.items():
        key = key.removeprefix("module.")  # saved from nn.DataParallel
        if not _LEGACY_NORM_STATS.search(key):  # old InstanceNorm's; a UnetGenerator's BatchNorm's (unused)
            out[key] = value
    return out


def _count(keys: set[str], pattern: str) -> int:
    rx = re.compile(pattern)
    return sum(1 for k in keys if rx.fullmatch(k))


def build_transformer_net(state: dict[str, Any]) -> Any:
    from stylert.models.transformer_net import TransformerNet, TransformerNetConfig

    channels = tuple(int(state[f"conv{i}.conv2d.weight"].shape[0]) for i in (1, 2, 3))
    blocks = _count(set(state), r"res\d+\.conv1\.conv2d\.weight")
    return TransformerNet(TransformerNetConfig(channels=channels, residual_blocks=blocks))  # type: ignore[arg-type]


def build_resnet_generator(state: dict[str, Any]) -> Any:
    from stylert.models.cyclegan import ResnetGenerator, ResnetGeneratorConfig

    first = state["model.1.weight"]
    keys = set(state)
    blocks = _count(keys, r"model\.\d+\.conv_block\.1\.weight")
    dropout = any(k.endswith("conv_block.6.weight") and getattr(state[k], "ndim", 0) == 4  # a conv: dropout at 4
                  for k in keys)  # (a BatchNorm-trained block without dropout has its second norm at 6)
    last = state[f"model.{10 + blocks + 7}.weight"] if f"model.{10 + blocks + 7}.weight" in state else None
    out_ch = int(last.shape[0]) if last is not None else 3
    cfg = ResnetGeneratorConfig(ngf=int(first.shape[0]), blocks=blocks, dropout=dropout,
                                in_channels=int(first.shape[1]), out_channels=out_ch,
                                scaled_norm="model.2.weight" in state)  # the first norm's BatchNorm scale
    return ResnetGenerator(cfg)


def build_unet_generator(state: dict[str, Any]) -> Any:
    from stylert.models.unet import UnetGenerator, UnetGeneratorConfig

    first, last = state["model.model.0.weight"], state["model.model.3.weight"]  # a transposed conv: (in, out, ...)
    levels, level = 1, "model.model.1"
    while f"{level}.model.1.weight" in state:  # each level's down conv; the next level is its module 3
        levels, level = levels + 1, f"{level}.model.3"
    return UnetGenerator(UnetGeneratorConfig(ngf=int(first.shape[0]), levels=levels,
                                             scaled_norm="model.model.1.model.2.weight" in state,
                                             in_channels=int(first.shape[1]), out_channels=int(last.shape[1])))


def _kernel(state: dict[str, Any], key: str) -> tuple[int, ...] | None:
    """The kernel size of the convolution weight ``key`` (out, in, kh, kw); None where there is none."""
    w = state.get(key)
    return tuple(w.shape[2:]) if getattr(w, "ndim", 0) == 4 else None


def detect_architecture(state: dict[str, Any]) -> str:
    if "conv1.conv2d.weight" in state and "deconv3.conv2d.weight" in state:
        return TRANSFORMER_NET
    if _kernel(state, "model.1.weight") == (7, 7):
        return CYCLEGAN_RESNET
    if _kernel(state, "model.model.0.weight") == _kernel(state, "model.model.3.weight") == (4, 4):
        return PIX2PIX_UNET
    sample = ", ".join(sorted(state)[:4]) or "no keys"
    raise UnknownCheckpoint(
        "unknown checkpoint architecture: expected a fast_neural_style TransformerNet "
        "(keys like 'conv1.conv2d.weight', 'res1.conv1.conv2d.weight'), a CycleGAN ResnetGenerator "
        "(keys like 'model.1.weight', 'model.10.conv_block.1.weight') or a pix2pix UnetGenerator (keys like "
        f"'model.model.0.weight', 'model.model.1.model.1.weight'); found {sample}"
    )


def _patch_discriminator(state: dict[str, Any]) -> bool:
    """``state`` is pytorch-CycleGAN-and-pix2pix's NLayerDiscriminator: 4x4 convolutions in one ``model``
    Sequential, from the first to the last, which gives one channel (real or fake for each patch)."""
    convs = sorted((int(match[1]), value) for key, value in state.items()
                   if (match := re.fullmatch(r"model\.(\d+)\.weight", key)) and getattr(value, "ndim", 0) == 4)
    return len(convs) >= 2 and all(tuple(w.shape[2:]) == (4, 4) for _, w in convs) and convs[-1][1].shape[0] == 1


_BUILDERS = {TRANSFORMER_NET: build_transformer_net, CYCLEGAN_RESNET: build_resnet_generator,
             PIX2PIX_UNET: build_unet_generator}


def model_from_state_dict(state: dict[str, Any], *, style: str, source: Path) -> LoadedModel:
    """Build the network a state dict describes and load it (strict)."""
    state = _unwrapped(state)
    if _patch_discriminator(state):
        generator = source.with_name(source.name.replace("net_D", "net_G"))
        beside = f" ({generator.name}, beside it)" if generator != source and generator.is_file() else ""
        raise UnknownCheckpoint(f"{source} is a PatchGAN discriminator (CycleGAN's or pix2pix's latest_net_D), which "
                                f"judges pictures rather than making them: export the generator{beside}")
    arch = detect_architecture(state)
    module = _BUILDERS[arch](state)
    wrong = misfit(shapes(module.state_dict()), state)
    if wrong is None:
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as exc:  # a value of the right shape torch still cannot take
            wrong = " ".join(str(exc).split())[:300]
    if wrong:
        raise UnknownCheckpoint(f"{source}: looks like {arch} but its weights do not fit: {wrong}")
    module.eval()
    damaged = next((name for name, value in module.state_dict().items()
                    if value.is_floating_point() and not value.isfinite().all()), None)
    if damaged is not None:  # every output would be NaN (or the int8 calibration fail on it)
        raise BadModelFile.not_numbers(source, damaged)
    loaded = LoadedModel(module, arch, module.config.variant, style, module.size_multiple, source)
    if not set(loaded.channels) <= {1, 3}:
        raise UnknownCheckpoint(f"{source}: a network of {loaded.channels[0]} input and {loaded.channels[1]} "
                                "output channels; stylert's frames are RGB (3 channels) or, for a grey network, their "
                                "luma (1)")
    return loaded


def load_checkpoint(path: str | Path) -> LoadedModel:
    """Load any supported checkpoint file into an eval-mode network."""
    path = Path(path)
    obj = _read(path)
    stored_style = None
    if isinstance(obj, dict) and obj.get("stylert") and "state_dict" in obj:
        stored_style = obj.get("style")
    return model_from_state_dict(_network_state(obj, path), style=_style_name(path, stored_style), source=path)
