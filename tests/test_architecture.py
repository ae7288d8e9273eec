"""The house rules that keep the rooms apart, checked by parsing every import.

``ROOMS`` is the table drawn in the README's Architecture section: each room
and the rooms it may import. Every import counts: ``import x``, ``from x
import y``, relative imports (resolved to the room they reach) and
``importlib.import_module`` / ``__import__`` with a literal name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# room -> the rooms it may import (itself included where it has modules)
ROOMS = {
    "domain": {"domain"},
    "layers": {"layers", "domain"},
    "data": {"data", "domain"},
    "services": {"services", "data", "layers", "domain"},
    "web": {"web", "domain"},
    "api": {"api", "web", "services", "domain"},
    "dashboard": {"dashboard", "web", "services", "layers", "domain"},
    "fieldapp": {"fieldapp", "web", "services", "domain"},
    "resident": {"resident", "web", "services", "domain"},
    "server": {
        "server",
        "api",
        "dashboard",
        "fieldapp",
        "resident",
        "web",
        "services",
        "data",
        "domain",
        "settings",
    },
    "cli": {"cli", "server", "services", "data", "domain", "settings", "scenario"},
    "app": {"cli", "server", "settings"},
    "settings": {"domain"},
    # Scenarios drive the product only through its public HTTP API.
    "scenario": {"scenario"},
}

# Third-party libraries kept to their rooms.
LIBRARIES = {
    "dash": {"dashboard", "server"},
    "plotly": {"dashboard", "layers"},
    "flask": {"web", "api", "dashboard", "fieldapp", "resident", "server"},
    "sqlalchemy": {"data"},
    "boto3": {"data"},
    "PIL": {"services"},
    "sklearn": {"domain", "services"},  # fitted in domain/services; predictions need only numpy
}


def product_files(root: Path) -> list[Path]:
    files = [root / f"{room}.py" for room in ROOMS if (root / f"{room}.py").exists()]
    for room in ROOMS:
        if (root / room).is_dir():
            files += sorted((root / room).rglob("*.py"))
    return files


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports, as absolute dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = list(path.relative_to(root).parts[:-1])  # the package the file is in
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module)
            else:
                up = node.level - 1
                if up >= len(package):
                    found.add("<above>")
                    continue
                base = package[: len(package) - up]
                found.add(".".join([*base, *([node.module] if node.module else [])]))
        elif isinstance(node, ast.Call) and _dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
            else:
                found.add("<dynamic>")
    return found


def _dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"__import__", "import_module"}
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def offences(root: Path = ROOT) -> dict[str, list[str]]:
    found = {}
    for path in product_files(root):
        room = path.relative_to(root).parts[0].removesuffix(".py")
        bad = []
        for module in imported_modules(path, root):
            top = module.split(".")[0]
            if module == "<dynamic>":
                bad.append("an import whose name is not written in the code")
            elif module == "<above>":
                bad.append("a relative import above its room")
            elif (top in ROOMS and top not in ROOMS[room]) or (
                top in LIBRARIES and room not in LIBRARIES[top]
            ):
                bad.append(module)
        if bad:
            found[str(path.relative_to(root))] = sorted(bad)
    return found


def test_every_import_follows_the_table_of_rooms():
    assert offences() == {}


def test_every_product_folder_is_a_room_of_the_table():
    folders = {
        p.parent.relative_to(ROOT).parts[0]
        for p in ROOT.glob("*/__init__.py")
        if p.parent.name not in {"tests", "bench", "scripts"}
    }
    assert folders <= set(ROOMS)


@pytest.mark.parametrize(
    "source, room, expected",
    [
        ("from data.store import Store\n", "api", ["data.store"]),
        ("from ...data import store\n", "api", ["a relative import above its room"]),
        ("from ..inner import probe\n", "api", []),
        ("import importlib\nimportlib.import_module('dash')\n", "services", ["dash"]),
        (
            "from importlib import import_module\nimport_module('layers.grids')\n",
            "api",
            ["layers.grids"],
        ),
        ("__import__('sqlalchemy')\n", "api", ["sqlalchemy"]),
        (
            "import importlib\nimportlib.import_module(name)\n",
            "api",
            ["an import whose name is not written in the code"],
        ),
        ("from . import grids\n", "layers", []),
        ("from flask import request\n", "dashboard", []),
    ],
)
def test_the_check_sees_each_kind_of_import(tmp_path, source, room, expected):
    """A breach written each way is found; an allowed import is not."""
    folder = tmp_path / room / "inner"
    folder.mkdir(parents=True)
    (tmp_path / room / "__init__.py").write_text("")
    (folder / "__init__.py").write_text("")
    (folder / "probe.py").write_text(source)
    assert offences(tmp_path) == ({f"{room}/inner/probe.py": expected} if expected else {})


def test_the_readme_draws_the_same_table():
    """The README's Architecture table and ``ROOMS`` say the same."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    drawn = {}
    for line in text.splitlines():
        match = re.match(r"\|\s*`([a-z_]+)(?:/|\.py)`\s*\|[^|]*\|\s*([a-z_, ]+?)\s*\|\s*$", line)
        if match and match.group(1) in ROOMS:
            drawn[match.group(1)] = {name.strip() for name in match.group(2).split(",")}
    assert drawn == ROOMS


def test_sql_lives_only_in_data():
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if path.relative_to(ROOT).parts[0] not in {"data", "tests", ".venv", "bench", "scripts"}
        and any(m.split(".")[0] == "sqlalchemy" for m in imported_modules(path))
    ]
    assert offenders == []
