"""Department pairings (包联) from a table (issue 9): which department is
paired with which town, checked row by row before anything is written.

A cell may list several departments or towns; the table stands for every
pairing of the city, and the apply replaces them all. Departments not yet
known are reported, not refused: the apply creates them.

Pure: a text frame in (``data.import_tables.read_table``), pairs and problems out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from domain.field_mapping import guess_mapping
from domain.table_rows import (
    DepartmentIndex,
    Problem,
    TownIndex,
    cell_items,
    mapped_columns,
    row_values,
)

# Aligned by hand: this table reads better laid out as a table.
PAIRING_SYNONYMS: dict[str, tuple[str, ...]] = {
    "department": ("department", "dept", "部门", "单位", "包联部门", "包联单位", "帮包单位",
                   "联系部门", "派出单位", "部门名称", "单位名称"),
    "town": ("town", "towncode", "township", "镇街", "乡镇", "镇", "街道", "包联镇街",
             "联系镇街", "所属镇街", "镇街名称", "镇街编码"),
}  # fmt: skip
PAIRING_REQUIRED = ("department", "town")


@dataclass
class PairingCheck:
    """A checked pairing table: distinct (department name, town code) pairs."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    new_departments: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        """Whether any problem stops the import."""
        return any(p.blocking for p in self.problems)


def guess_pairing_mapping(columns) -> dict[str, str | None]:
    """Pairing field -> the column that most likely holds it (None when none fits)."""
    return guess_mapping(columns, PAIRING_SYNONYMS)


def check_pairings(
    frame: pd.DataFrame,
    mapping: Mapping[str, str | None],
    *,
    towns: pd.DataFrame,
    departments: pd.DataFrame,
) -> PairingCheck:
    """Check a pairing table: which department is paired with which town.

    A cell may list several departments or towns (市水务局、市财政局); each
    department of the row is paired with each town.

    Parameters
    ----------
    frame
        The table as text; ``index + 2`` is the spreadsheet row.
    mapping
        Field (department, town) -> column; both required.
    towns, departments
        Known towns (code, name) and departments (id, name).

    Returns
    -------
    PairingCheck
        ``pairs``: distinct (department name, town code) in file order;
        ``problems`` (empty cells and unknown towns block, a repeated pair
        is a note); ``new_departments``.

    Raises
    ------
    InvalidInput
        A required field has no column, or a mapped column is not in the file.
    """
    columns = mapped_columns(frame, mapping, PAIRING_REQUIRED)
    town_index, dep_index = TownIndex(towns), DepartmentIndex(departments)
    out = PairingCheck()
    first_rows: dict[tuple[str, str], int] = {}
    for index, values in row_values(frame, columns):
        row = int(index) + 2
        dep_cell, town_cell = values.get("department"), values.get("town")
        if dep_cell is None or town_cell is None:
            out.problems.append(
                Problem(
                    row,
                    "missing_cell",
                    "both the department and the town are needed",
                    "部门和镇街均不能为空",
                )
            )
            continue
        codes = []
        for town in cell_items(town_cell):
            code = town_index.code(town)
            if code is None:
                out.problems.append(
                    Problem(
                        row,
                        "unknown_town",
                        f"no town has the code or name {town}",
                        f"镇街“{town}”不存在（按编码或名称查找）",
                    )
                )
            codes.append(code)
        for department in cell_items(dep_cell):
            name = dep_index.name(department)
            for code in filter(None, codes):
                _add_pair(out, first_rows, (name, code), row)
    out.new_departments = list(dep_index.new.values())
    return out


def _add_pair(out: PairingCheck, first_rows: dict, pair: tuple[str, str], row: int) -> None:
    """Add a pair once; a repeat is a note naming the row it first appeared on."""
    if pair in first_rows:
        out.problems.append(
            Problem(
                row,
                "duplicate_pair",
                f"{pair[0]} and {pair[1]} are already paired on row "
                f"{first_rows[pair]}; counted once",
                f"{pair[0]} 与 {pair[1]} 的包联已在第 {first_rows[pair]} 行出现，仅计一次",
                blocking=False,
            )
        )
        return
    first_rows[pair] = row
    out.pairs.append(pair)
