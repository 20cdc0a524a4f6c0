"""Sample photos shipped with stylert (see scripts/make_samples.py for their sources)."""
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent


def sample_path(name: str = "astronaut") -> Path:
    return SAMPLES_DIR / f"{name}.jpg"
