"""Copy the installed tensorrt-stubs into build/trt-stubs with its syntax errors repaired, for mypy.

tensorrt-stubs 10.13 names some parameters `in` (a Python keyword) and puts a defaulted
parameter before a required one; mypy rejects the whole file. This renames `in` to `in_`
and gives the stray required parameter a default. Run: python scripts/stage_tensorrt_stubs.py
"""
import argparse
import importlib.util
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "build" / "trt-stubs"


def main() -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    spec = importlib.util.find_spec("tensorrt_stubs")
    if spec is None or spec.origin is None:
        print("tensorrt-stubs is not installed (pip install --no-deps tensorrt-stubs)", file=sys.stderr)
        return 1
    site = Path(spec.origin).resolve().parents[1]
    for package in ("tensorrt", "tensorrt_bindings"):
        for stub in (site / package).glob("*.pyi"):
            text = stub.read_text()
            text = re.sub(r"(\(|, )in: ", r"\1in_: ", text)
            text = text.replace("power: Weights = None, channel_axis: int)",
                                "power: Weights = None, channel_axis: int = ...)")
            target = OUT / package / stub.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    print(f"staged tensorrt stubs in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
