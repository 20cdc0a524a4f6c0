"""Every benchmark script explains itself with --help and refuses what it does not take, before it measures
anything: four of them started their whole run (minutes, and their results files rewritten) on --help."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py") if 'if __name__ == "__main__":' in p.read_text())


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_benchmark_says_what_it_does_on_help_and_refuses_unknown_arguments(script):
    run = lambda *a: subprocess.run([sys.executable, f"benchmarks/{script}", *a], cwd=ROOT,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    helped = run("--help")
    assert helped.returncode == 0 and helped.stdout.startswith(f"usage: {script}"), helped.stderr
    refused = run("--no-such-flag")
    assert refused.returncode == 2 and "unrecognized arguments: --no-such-flag" in refused.stderr
