"""House rules checked in CI (STYLE.md): module size caps and the direction of imports."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PKG = ROOT / "pkg" / "framejit"
HARD_CAP = 800
SOURCES = sorted([*PKG.rglob("*.py"), *(ROOT / "pyx").rglob("*.pyx"),
                  *(ROOT / "pyx").rglob("*.pxi"), *(ROOT / "include").rglob("*.h")])

# layer -> framejit modules it must not import (STYLE.md "Dependency direction")
FORBIDDEN = {
    "graph": ("framejit.trace", "framejit.backends", "framejit.runtime", "framejit.api",
              "framejit._native", "framejit.guards", "framejit.bytecode"),
    "bytecode": ("framejit.trace", "framejit.graph", "framejit.backends", "framejit.runtime",
                 "framejit.api", "framejit._native", "framejit.guards"),
    "backends/reference.py": ("framejit._native", "framejit.trace", "framejit.runtime"),
}

pytestmark = pytest.mark.skipif(not PKG.is_dir(), reason="runs on a source checkout")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_under_hard_cap(path):
    n = len(path.read_text().splitlines())
    assert n <= HARD_CAP, f"{path.name}: {n} lines (hard cap {HARD_CAP}; split it)"


def _imports(path):
    tree = ast.parse(path.read_text())
    pkg = ".".join(path.relative_to(PKG.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:
                    yield from (f"{mod}.{a.name}" for a in node.names)
                else:
                    yield mod
            else:
                yield node.module or ""


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_import_direction(layer):
    target = PKG / layer
    files = [target] if target.suffix == ".py" else sorted(target.rglob("*.py"))
    bad = [(f.name, m) for f in files for m in _imports(f)
           if any(m == b or m.startswith(b + ".") for b in FORBIDDEN[layer])]
    assert not bad, f"{layer} imports upward: {bad}"
