"""Every benchmark and maintenance script explains itself with --help and refuses what it does not take, before it
does anything: four benchmarks started their whole run (minutes, and their results rewritten) on --help, the
gallery was redrawn, make_training_data.py wrote into a folder named --help and package_style.py raised an
IndexError."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*(f"benchmarks/{p.name}" for p in (ROOT / "benchmarks").glob("*.py")
                    if 'if __name__ == "__main__":' in p.read_text()),
                  *(f"scripts/{p.name}" for p in (ROOT / "scripts").glob("*.py"))])


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_script_says_what_it_does_on_help_and_refuses_unknown_arguments(script):
    run = lambda *a: subprocess.run([sys.executable, script, *a], cwd=ROOT, capture_output=True,  # noqa: E731
                                    text=True, timeout=120)
    name = Path(script).name
    helped = run("--help")
    assert helped.returncode == 0 and helped.stdout.startswith(f"usage: {name}"), helped.stderr
    refused = run("--no-such-flag")  # (package_style.py first names the arguments it lacks)
    assert refused.returncode == 2 and f"{name}: error: " in refused.stderr and "Traceback" not in refused.stderr
