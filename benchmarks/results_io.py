"""Write a benchmark's results as JSON (all numbers) and markdown (the table people read)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def save(name: str, report: dict, markdown_lines: list[str], *, show: bool = True) -> None:
    """results/NAME.json and results/NAME.md; ``show`` also prints the markdown (not for a partial save, which a
    long benchmark makes after each row so that a run cut off at its time limit keeps what it measured)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = "\n".join(markdown_lines) + "\n"
    (RESULTS / f"{name}.md").write_text(text)
    if show:
        print(text)


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table's lines."""
    return (["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            + ["| " + " | ".join(r) + " |" for r in rows])


def takes_no_options(doc: str | None) -> None:
    """For a benchmark without flags: --help prints its ``doc`` and any other argument is refused, rather than the
    whole run starting (and overwriting its results) when someone asks what it does."""
    argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
