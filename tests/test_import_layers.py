"""The package's layers import downwards only (read from the source with ast, so
imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "evenet"

# package -> evenet packages it must not import
FORBIDDEN = {
    "evenet.codes": {"evenet"},
    "evenet.genflags": {"evenet"},
    "evenet.io": {"evenet.truth", "evenet.selection", "evenet.pointcloud", "evenet.pipeline", "evenet.sim"},
    "evenet.truth": {"evenet.selection", "evenet.pipeline", "evenet.sim"},
    "evenet.pointcloud": {"evenet.selection", "evenet.truth", "evenet.pipeline", "evenet.sim"},
}
ALLOWED_BELOW = {"evenet.codes": set(), "evenet.genflags": {"evenet.codes"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def evenet_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("evenet")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("evenet"):
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        module = module_name(path)
        for layer, forbidden in FORBIDDEN.items():
            if not _within(module, layer):
                continue
            allowed = ALLOWED_BELOW.get(layer, set())
            for imported in sorted(evenet_imports(path)):
                if any(_within(imported, a) for a in allowed | {layer}):
                    continue
                if any(_within(imported, f) for f in forbidden):
                    out.append(f"{module} imports {imported}")
    return out


def test_layers_import_downwards_only():
    assert violations() == []


@pytest.mark.parametrize("source, expected", [
    ("from evenet.truth.genparticles import build_tree", {"evenet.truth.genparticles", "evenet.truth.genparticles.build_tree"}),
    ("import evenet.selection.objects as o", {"evenet.selection.objects"}),
    ("def f():\n    from evenet.selection import objects", {"evenet.selection", "evenet.selection.objects"}),
])
def test_import_scanner_sees_every_form(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert evenet_imports(path) == expected
