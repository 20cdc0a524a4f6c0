"""Package a trained checkpoint as a built-in style: stylert/styles/NAME.{onnx,pth,json}.

The .pth keeps only the generator weights (no optimiser state); the .json records
the provenance: data, the exact training command, steps and final losses.
Run: python scripts/package_style.py CKPT NAME "DESCRIPTION" "TRAIN COMMAND"
"""
import argparse
import json
from pathlib import Path

import torch

from stylert.export.onnx_export import export_onnx
from stylert.export.parity import parity_batches
from stylert.models.checkpoint import load_checkpoint
from stylert.styles import STYLES_DIR

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("checkpoint", type=Path, help="the checkpoint stylert train wrote")
parser.add_argument("name", help="the style's name (stylert/styles/NAME.*)")
parser.add_argument("description", help="what the style looks like, for stylert styles -v")
parser.add_argument("command", help="the exact stylert train command that made the checkpoint")
given = parser.parse_args()
ckpt_path, name, description, command = given.checkpoint, given.name, given.description, given.command
ckpt = torch.load(ckpt_path, weights_only=True)
torch.save({"stylert": 1, "style": name, "state_dict": ckpt["state_dict"]}, STYLES_DIR / f"{name}.pth")
model = load_checkpoint(STYLES_DIR / f"{name}.pth")
result = export_onnx(model, STYLES_DIR / f"{name}.onnx",
                     parity_images=parity_batches(None, ((256, 256),), model.size_multiple))
cfg = ckpt["config"]
provenance = {
    "name": name,
    "description": description,
    "architecture": f"{model.architecture}/{model.variant}",
    "data": {"content": "scikit-image sample photos (scripts/make_training_data.py)",
             "style": Path(cfg["style_image"]).name if cfg.get("style_image") else None},
    "command": command,
    "steps": ckpt["step"],
    "features": cfg["features"],
    "final_losses": {k: round(v, 5) for k, v in ckpt["losses"].items()},
    "export_parity_max_abs_diff": result.parity[0][1],
}
(STYLES_DIR / f"{name}.json").write_text(json.dumps(provenance, indent=2) + "\n")
print(json.dumps(provenance, indent=2))
