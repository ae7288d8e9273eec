"""The house rules that keep the layers apart, checked by parsing imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> top-level modules it must never import
FORBIDDEN = {
    "domain": {"dash", "plotly", "flask", "sqlalchemy", "data", "layers", "dashboard", "api"},
    "layers": {"dash", "flask", "sqlalchemy", "data", "dashboard", "api"},
    "data": {"dash", "plotly", "flask", "dashboard", "api", "layers"},
    "api": {"dash", "dashboard"},
    # Scenarios drive the product only through its public HTTP APIs.
    "scenario": {"dash", "plotly", "flask", "sqlalchemy", "data", "dashboard", "api", "layers"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    offences = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offences.items() if v} == {}


def test_sql_lives_only_in_data():
    offenders = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {"data", "tests", ".venv", "bench", "scripts"}:
            continue
        if "sqlalchemy" in imported_roots(path):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
