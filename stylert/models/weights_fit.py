"""How a weights file's tensors differ from those a network has, in a few words for a one-line error (torch's
own message lists every missing and unexpected key)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def shapes(state: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """Each tensor's shape by name (a value that is no tensor: ())."""
    return {name: tuple(getattr(value, "shape", ())) for name, value in state.items()}


def misfit(expected: Mapping[str, tuple[int, ...]], given: Mapping[str, Any], prefix: str = "") -> str | None:
    """What keeps ``given`` from loading into a network of ``expected`` tensor shapes: how many are missing (the
    first named), the first of another shape, or the ones the network has not; None where it fits. Names are
    said with ``prefix`` (features.) as the file has them."""
    found = shapes(given)
    missing = [name for name in expected if name not in found]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return f"{len(missing)} of the network's {len(expected)} tensors {verb} missing ({_names(missing, prefix)})"
    wrong = next((name for name, shape in expected.items() if found[name] != shape), None)
    if wrong is not None:
        return f"{prefix}{wrong} is {_dims(found[wrong])}, not {_dims(expected[wrong])}"
    extra = [name for name in found if name not in expected]
    return f"it has tensors the network has not ({_names(extra, prefix)})" if extra else None


def _names(names: list[str], prefix: str) -> str:
    return ", ".join(prefix + name for name in names[:3]) + (", ..." if len(names) > 3 else "")


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if shape else "a scalar"
