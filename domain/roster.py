"""Cadre rosters from a table (issue 9): which column holds what, and what is
wrong with each row before anything is written.

A roster lists people: name, phone, role, and by role a department, a town or
a grid; the phone is the key a re-import updates by. Tables arrive as text frames
(``data.import_tables.read_table``); the checks here turn them into plain rows
for the apply and a list of problems, each with the row number the user sees
in the spreadsheet (``index + 2``: the header is row 1). Departments not yet
known are reported, not refused: the apply creates them. What a single cell
means (a role, a phone, skills) is ``domain.roster_cells``; what rosters
share with the pairing tables (problems, town and department look-ups, the
column mapping) is ``domain.table_rows``.

Pure: frames and plain values in, rows and problems out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import pandas as pd

from domain.cadres import ROLES
from domain.field_mapping import guess_mapping
from domain.roster_cells import normalise_phone, phone_is_valid, role_code, skill_codes
from domain.table_rows import DepartmentIndex, Problem, TownIndex, mapped_columns, row_values

# Field -> names a column holding it goes by, as in ``field_mapping.SYNONYMS``
# (lower-case, without spaces, underscores or hyphens). Most specific first.
# Aligned by hand: this table reads better laid out as a table.
CADRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "xm", "姓名", "名字", "人员姓名", "干部姓名", "网格员姓名"),
    "phone": ("phone", "mobile", "tel", "telephone", "sjhm", "lxdh", "sjh", "手机", "手机号",
              "手机号码", "电话", "联系电话", "电话号码", "联系方式"),
    "role": ("role", "type", "角色", "类型", "身份", "人员类别", "人员类型", "类别"),
    "department": ("department", "dept", "部门", "单位", "所属部门", "派出单位", "工作单位",
                   "所在单位", "部门名称", "单位名称"),
    "town": ("town", "towncode", "township", "镇街", "所属镇街", "乡镇", "镇", "街道",
             "镇街名称", "镇街编码", "所在镇街", "乡镇街道"),
    "grid": ("grid", "gridcode", "wgbm", "网格", "网格编码", "所属网格", "网格编号", "网格代码"),
    "skills": ("skills", "skill", "专长", "技能", "特长", "业务专长"),
}  # fmt: skip
CADRE_REQUIRED = ("name", "phone", "role")


# Widths of the schema's columns (data.schema): longer text cannot be stored.
MAX_NAME, MAX_DEPARTMENT, MAX_SKILLS = 40, 60, 200


@dataclass
class RosterCheck:
    """A checked roster: one row per data row, in file order, with keys name,
    phone, role, department, town_code, grid_code, skills."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    new_departments: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        """Whether any problem stops the import."""
        return any(p.blocking for p in self.problems)


def guess_cadre_mapping(columns) -> dict[str, str | None]:
    """Roster field -> the column that most likely holds it (None when none fits)."""
    return guess_mapping(columns, CADRE_SYNONYMS)


def check_cadres(
    frame: pd.DataFrame,
    mapping: Mapping[str, str | None],
    *,
    towns: pd.DataFrame,
    departments: pd.DataFrame,
    grid_codes: Collection[str] | Mapping[str, str],
) -> RosterCheck:
    """Check a roster and turn it into rows for the apply.

    Parameters
    ----------
    frame
        The table as text (``read_table``); ``index + 2`` is the spreadsheet row.
    mapping
        Field (name, phone, role, department, town, grid, skills) -> column;
        name, phone and role are required.
    towns
        Known towns, columns code and name.
    departments
        Known departments, columns id and name.
    grid_codes
        The grid codes that exist; a mapping grid code -> town code also fills
        a grid worker's missing town and refuses one that is not the grid's.

    Returns
    -------
    RosterCheck
        ``rows``: one dict per data row (name, phone, role, department,
        town_code, grid_code (codes comma-joined: a worker may look after
        several grids), skills: codes comma-joined, "" when none);
        ``problems``; ``new_departments``, the names the apply will create.

    Raises
    ------
    InvalidInput
        A required field has no column, or a mapped column is not in the file.
    """
    columns = mapped_columns(frame, mapping, CADRE_REQUIRED)
    town_index, dep_index = TownIndex(towns), DepartmentIndex(departments)
    grid_town = None
    if isinstance(grid_codes, Mapping):
        grid_town = {str(g): str(t) for g, t in grid_codes.items()}
    grids = {str(g) for g in grid_codes}
    out = RosterCheck()
    phone_rows: dict[str, int] = {}
    grid_rows: dict[str, int] = {}
    for index, values in row_values(frame, columns):
        row = int(index) + 2
        found: list[Problem] = []
        cadre = _cadre(values, row, town_index, dep_index, grids, grid_town, found)
        phone = cadre["phone"]
        if (first := _first_row(phone, phone_rows, row)) is not None:
            found.append(
                Problem(
                    row,
                    "duplicate_phone",
                    f"the phone {phone} is also on row "
                    f"{first}; the phone identifies a person, so each may appear once",
                    f"电话 {phone} 与第 {first} 行重复（电话是人员的唯一标识）",
                )
            )
        worked = (cadre["grid_code"] or "").split(",") if cadre["role"] == "grid_worker" else []
        for grid in filter(None, worked):
            if grid in grids and (first := _first_row(grid, grid_rows, row)) is not None:
                found.append(
                    Problem(
                        row,
                        "grid_taken",
                        f"grid {grid} already has its grid worker on row {first}; a grid has one",
                        f"网格 {grid} 已有网格员（第 {first} 行），每个网格只能有一名",
                    )
                )
        out.rows.append(cadre)
        out.problems += found
    out.new_departments = list(dep_index.new.values())
    return out


def _cadre(values, row, town_index, dep_index, grids, grid_town, found) -> dict:
    """One roster row, normalised, its problems appended to ``found``."""
    name = values.get("name")
    if name is None:
        found.append(Problem(row, "missing_name", "the name is empty", "姓名为空"))
    elif len(name) > MAX_NAME:
        found.append(
            Problem(
                row,
                "too_long",
                f"the name is over {MAX_NAME} characters",
                f"姓名超过 {MAX_NAME} 个字符",
            )
        )
    phone = _phone(values.get("phone"), row, found)
    role = _role(values.get("role"), row, found)
    department = _department(values.get("department"), role, row, dep_index, found)
    # A full-time grid worker often looks after several grids: 370281001001,370281001002
    grid_list = [g for g in re.split(r"[\s,，、;；]+", values.get("grid") or "") if g]
    for grid in grid_list:
        if grid not in grids:
            found.append(
                Problem(
                    row, "unknown_grid", f"no grid has the code {grid}", f"网格编码 {grid} 不存在"
                )
            )
    if not grid_list and role == "grid_worker":
        found.append(
            Problem(
                row,
                "missing_grid",
                "a grid worker needs the code of their grid",
                "网格员须填写所属网格编码",
            )
        )
    grid = grid_list[0] if grid_list else None
    town = _town(values.get("town"), role, grid, grid_town, row, town_index, found)
    return {
        "name": name,
        "phone": phone,
        "role": role,
        "department": department,
        "town_code": town,
        "grid_code": ",".join(grid_list) or None,
        "skills": _skills(values.get("skills"), row, found),
    }


def _phone(value: str | None, row: int, found: list[Problem]) -> str | None:
    phone = normalise_phone(value)
    if phone is None:
        found.append(Problem(row, "missing_phone", "the phone is empty", "电话为空"))
    elif re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", phone):
        found.append(
            Problem(
                row,
                "bad_phone",
                f"the phone {value} was shortened by Excel: format the column "
                "as text and type the number again",
                f"电话 {value} 已被 Excel 改成科学计数法，请将该列设为文本后重新输入",
            )
        )
    elif not phone_is_valid(phone):
        found.append(
            Problem(
                row,
                "bad_phone",
                f"{value} is neither a mobile (11 digits from 1) nor a landline "
                "with its area code (0532…)",
                f"电话 {value} 不是有效的手机号（1 开头 11 位）或带区号的固定电话",
            )
        )
    return phone


def _role(value: str | None, row: int, found: list[Problem]) -> str | None:
    role = role_code(value)
    if role is None:
        accepted = "、".join(zh for zh, _ in ROLES.values())
        shown = "empty" if value is None else f"{value!r}"
        found.append(
            Problem(
                row,
                "unknown_role",
                f"the role is {shown}: one of {', '.join(ROLES)} or {accepted}",
                f"角色“{value or ''}”无法识别，应为{accepted}之一",
            )
        )
    return role


def _department(value, role, row, dep_index, found) -> str | None:
    if value is None:
        if role == "dept_cadre":
            found.append(
                Problem(
                    row,
                    "missing_department",
                    "a department cadre needs a department",
                    "部门干部须填写所属部门",
                )
            )
        return None
    if len(value) > MAX_DEPARTMENT:
        found.append(
            Problem(
                row,
                "too_long",
                f"the department name is over {MAX_DEPARTMENT} characters",
                f"部门名称超过 {MAX_DEPARTMENT} 个字符",
            )
        )
    return dep_index.name(value)


def _town(value, role, grid, grid_town, row, town_index, found) -> str | None:
    """The town code of a row; for a grid worker with a known grid, the grid's."""
    of_grid = grid_town.get(grid) if grid_town is not None and grid is not None else None
    if value is None:
        if role in ("town_cadre", "volunteer"):
            found.append(
                Problem(
                    row,
                    "missing_town",
                    f"a {ROLES[role][1].lower()} needs a town",
                    f"{ROLES[role][0]}须填写所属镇街",
                )
            )
        return of_grid if role == "grid_worker" else None
    code = town_index.code(value)
    if code is None:
        found.append(
            Problem(
                row,
                "unknown_town",
                f"no town has the code or name {value}",
                f"镇街“{value}”不存在（按编码或名称查找）",
            )
        )
    elif role == "grid_worker" and of_grid is not None and of_grid != code:
        found.append(
            Problem(
                row,
                "town_mismatch",
                f"grid {grid} lies in town {of_grid}, not in {value}",
                f"网格 {grid} 属于镇街 {of_grid}，与“{value}”不符",
            )
        )
    return code


def _skills(value: str | None, row: int, found: list[Problem]) -> str:
    skills, unknown = skill_codes(value)
    text = ",".join(skills)
    if len(text) > MAX_SKILLS:
        found.append(
            Problem(
                row,
                "too_long",
                f"the skills are over {MAX_SKILLS} characters",
                f"专长超过 {MAX_SKILLS} 个字符",
            )
        )
    if unknown:
        found.append(
            Problem(
                row,
                "unknown_skill",
                f"skills kept as written, not matched in dispatch: {', '.join(unknown)}",
                f"以下专长不在标准列表中，将原样保存，派单时不参与匹配：{'、'.join(unknown)}",
                blocking=False,
            )
        )
    return text


def _first_row(value: str | None, first_rows: dict[str, int], row: int) -> int | None:
    """The row ``value`` was first seen on, when an earlier row; else record this one."""
    if value is None:
        return None
    first = first_rows.setdefault(value, row)
    return first if first != row else None
