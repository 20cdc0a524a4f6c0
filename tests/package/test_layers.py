"""The import rule of docs/architecture.md, checked on every module (function-level imports included):
each layer imports only its own layer and the ones below; cli/ is imported by nothing but cli/; no two
packages import each other."""
import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "stylert"


def _layers_from_the_doc() -> list[set[str]]:
    """The layer table of docs/architecture.md, bottom to top; the ground floor is every top-level module plus
    the packages the table names for it. The doc is the rule: this test reads it, so the two cannot drift."""
    rows = {}
    for line in (REPO / "docs" / "architecture.md").read_text().splitlines():
        m = re.match(r"\| (\d) \| ([^|]+)\|", line)
        if m:
            rows[int(m.group(1))] = set(re.findall(r"`(\w+)/`", m.group(2)))
    rows[1] |= {"<ground>"}
    return [rows[i] for i in sorted(rows)]


LAYERS = _layers_from_the_doc()
# Entry points above every layer, by design: `from stylert import Stylizer` re-exports the runtime lazily, and
# `python -m stylert` runs the CLI.
ENTRY_POINTS = {PACKAGE / "__init__.py", PACKAGE / "__main__.py"}


def _package(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "stylert":
        return ""
    if len(parts) == 1 or (PACKAGE / f"{parts[1]}.py").is_file():
        return "<ground>"
    return parts[1]


def _layer(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _edges() -> set[tuple[str, str, str]]:
    """(importing package, imported package, importing file) for every stylert import."""
    edges = set()
    for path in PACKAGE.rglob("*.py"):
        if path in ENTRY_POINTS:
            continue
        rel = path.relative_to(PACKAGE)
        own = "<ground>" if len(rel.parts) == 1 else rel.parts[0]
        for module in _imports(path):
            target = _package(module)
            if target and target != own:
                edges.add((own, target, str(rel)))
    return edges


def test_the_doc_names_six_layers():
    assert len(LAYERS) == 6 and "runtime" in LAYERS[3] and "frames" in LAYERS[0] and LAYERS[5] == {"cli"}


def test_every_package_is_in_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert packages <= set().union(*LAYERS)


def test_imports_point_down_only():
    upward = sorted(f"{file}: {own} -> {target}" for own, target, file in _edges() if _layer(target) > _layer(own))
    assert upward == []


def test_no_two_packages_import_each_other():
    pairs = {(own, target) for own, target, _ in _edges()}
    assert sorted((a, b) for a, b in pairs if (b, a) in pairs and a < b) == []


def test_the_rule_has_teeth(tmp_path):
    """An upward import in a lower layer is found (the checker reads function-level imports too)."""
    source = "def f():\n    from stylert.runtime.stylizer import Stylizer\n"
    (tmp_path / "m.py").write_text(source)
    assert "stylert.runtime.stylizer" in _imports(tmp_path / "m.py")
    assert _layer(_package("stylert.runtime.stylizer")) > _layer("models")


def test_library_code_never_prints():
    """Only the CLI turns events into lines; the library reports through return values, exceptions and callbacks."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []
