"""Importing tables (issue 9): cadre rosters and department pairings from CSV
or Excel, for the command line and /data.

Read the table as text, map its columns, check every row
(``domain.roster``, ``domain.pairing_table``) and write it all or nothing;
nothing is written until ``apply_table``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.pairing_table import PairingCheck, check_pairings, guess_pairing_mapping
from domain.roster import RosterCheck, check_cadres, guess_cadre_mapping
from services.imports import TABLE_KINDS


@dataclass
class TableCheck:
    """A checked roster or pairing table, and the mapping used."""

    kind: str
    rows: int
    mapping: dict[str, str | None]
    check: RosterCheck | PairingCheck

    @property
    def blocking(self) -> bool:
        return self.check.blocking


def check_table(
    store, kind: str, path, *, mapping: Mapping[str, str] | None = None, sheet: str | None = None
) -> TableCheck:
    """Read and check a cadre roster or a pairing table (CSV or Excel); writes nothing."""
    from data.import_tables import read_table

    frame = read_table(path, sheet)
    guess = guess_cadre_mapping if kind == "cadres" else guess_pairing_mapping
    used = {**guess(frame.columns), **(mapping or {})}
    towns = store.towns()[["code", "name"]]
    departments = store.departments()[["id", "name"]]
    if kind == "cadres":
        grids = store.grids(geometry=False)
        checked = check_cadres(
            frame,
            used,
            towns=towns,
            departments=departments,
            grid_codes=dict(zip(grids["code"], grids["town_code"], strict=True)),
        )
    elif kind == "pairings":
        checked = check_pairings(frame, used, towns=towns, departments=departments)
    else:
        raise InvalidInput(f"tables hold {', '.join(TABLE_KINDS)}, not {kind!r}")
    return TableCheck(kind, len(frame), used, checked)


def apply_table(store, found: TableCheck, *, actor: str, source: str) -> dict:
    """Write a checked roster or pairing table, all or nothing."""
    if found.blocking:
        raise InvalidInput(
            "the table has blocking problems: nothing was imported",
            zh="存在阻止导入的问题，未写入任何数据",
        )
    if found.kind == "cadres":
        return store.import_cadres(
            found.check.rows, found.check.new_departments, actor=actor, source=source
        )
    return store.import_pairings(
        found.check.pairs, found.check.new_departments, actor=actor, source=source
    )
