"""``stylert styles``: list the built-in styles."""
from __future__ import annotations

import argparse

from stylert.cli.common import add_command


def register(sub) -> None:
    p = add_command(sub, "styles", "List the built-in styles and where they came from.",
                    "  stylert styles\n  stylert styles --verbose")
    p.add_argument("-v", "--verbose", action="store_true", help="also print each style's training provenance")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from stylert.styles import builtin_styles, provenance

    styles = builtin_styles()
    if not styles:
        print("no built-in styles installed")
    for name, path in styles.items():
        prov = provenance(name)
        print(f"{name:16s} {prov.get('architecture', '?'):12s} {path.stat().st_size / 1e6:5.1f} MB  "
              f"{prov.get('description', '')}")
        if args.verbose and prov:
            for key in ("command", "steps", "final_losses", "data"):
                if key in prov:
                    print(f"    {key}: {prov[key]}")
    return 0
