"""What checking a roster and a pairing table have in common (issue 9).

Both arrive as text frames (``data.import_tables.read_table``) with a column
mapping the user confirmed; both report problems with the row number the
user sees in the spreadsheet (``index + 2``: the header is row 1); both find
towns by code or name and departments by name, collecting the departments
not yet known. ``domain.roster`` checks cadre rosters with these,
``domain.pairing_table`` the department pairings.

Pure: frames and plain values in, values and problems out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from domain.errors import InvalidInput
from domain.field_mapping import missing_fields

LIST_SEPARATORS = re.compile(r"[、，,;；/\n]+")  # between the names in one cell
_TOWN_SUFFIXES = ("街道办事处", "办事处", "街道", "镇", "乡")


@dataclass(frozen=True)
class Problem:
    """Something wrong with one row (``row`` as numbered in the spreadsheet) or
    with the whole file (``row`` None); ``blocking`` ones stop the import."""

    row: int | None
    kind: str
    message: str
    zh: str
    blocking: bool = True

    def text(self, lang: str) -> str:
        """The message in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.message


class TownIndex:
    """Finds a town's code from its code or its name, also the name without
    its suffix (胶东 for 胶东街道) where that is unambiguous."""

    def __init__(self, towns: pd.DataFrame):
        codes = [str(c) for c in towns["code"]]
        names = [str(n) for n in towns["name"]]
        self.codes = set(codes)
        self.by_name = dict(zip(names, codes, strict=True))
        short: dict[str, set[str]] = {}
        for name, code in zip(names, codes, strict=True):
            short.setdefault(_town_base(name), set()).add(code)
        self.by_base = {base: next(iter(c)) for base, c in short.items() if len(c) == 1}

    def code(self, value: str) -> str | None:
        """The code of the town ``value`` names, None when no town or several fit."""
        if value in self.codes:
            return value
        return self.by_name.get(value) or self.by_base.get(_town_base(value))


class DepartmentIndex:
    """Matches department names as written to the known ones (ignoring
    spaces and full-width/half-width forms) and collects the new ones."""

    def __init__(self, departments: pd.DataFrame):
        self.known = {_key(n): str(n) for n in departments["name"]}
        self.new: dict[str, str] = {}

    def name(self, value: str) -> str:
        """The known department's own spelling, else ``value`` (recorded as new)."""
        key = _key(value)
        if key in self.known:
            return self.known[key]
        return self.new.setdefault(key, value)


def mapped_columns(frame: pd.DataFrame, mapping, required) -> dict[str, str]:
    """Field -> column of the mapped fields, refusing a missing required one."""
    missing = missing_fields(dict(mapping), required)
    has = ", ".join(map(str, frame.columns))
    if missing:
        raise InvalidInput(
            f"no column is chosen for {', '.join(missing)}; the file has: {has}",
            zh=f"未指定{'、'.join(_ZH_FIELDS.get(f, f) for f in missing)}对应的列；"
            f"文件中的列：{'、'.join(map(str, frame.columns))}",
        )
    absent = [c for c in mapping.values() if c and c not in frame.columns]
    if absent:
        raise InvalidInput(
            f"the file has no column {', '.join(absent)}; it has: {has}",
            zh=f"文件中没有列“{'、'.join(absent)}”；现有列：{'、'.join(map(str, frame.columns))}",
        )
    return {f: c for f, c in mapping.items() if c}


_ZH_FIELDS = {
    "name": "姓名",
    "phone": "电话",
    "role": "角色",
    "department": "部门",
    "town": "镇街",
    "grid": "网格",
    "skills": "专长",
}


def row_values(frame: pd.DataFrame, columns: dict[str, str]):
    """(index, {field: text or None}) for each row with any mapped cell filled."""
    for index, cells in zip(
        frame.index, frame[list(columns.values())].itertuples(index=False), strict=True
    ):
        values = {f: cell_or_none(v) for f, v in zip(columns, cells, strict=True)}
        if any(v is not None for v in values.values()):
            yield index, values


def cell_or_none(value: object) -> str | None:
    """A cell as stripped text, None when missing or blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def cell_items(cell: str) -> list[str]:
    """The names in a cell listing several (、，,; or line breaks)."""
    return [part.strip() for part in LIST_SEPARATORS.split(cell) if part.strip()]


def _key(name: object) -> str:
    """A department name compared without spaces or width differences."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)))


def _town_base(name: str) -> str:
    """A town name without its suffix: 胶东 for 胶东街道, 李哥庄 for 李哥庄镇."""
    for suffix in _TOWN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name
