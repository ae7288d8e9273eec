"""Cadre rosters from a table (issue 9): which column holds what, and what is
wrong with each row before anything is written. The pieces shared with the
pairing tables (``domain.pairing_table``) are here too: problems, the town
and department look-ups, the column mapping.

A roster lists people: name, phone, role, and by role a department, a town or
a grid; the phone is the key a re-import updates by. Tables arrive as text frames
(``data.import_tables.read_table``); the checks here turn them into plain rows
for the apply and a list of problems, each with the row number the user sees
in the spreadsheet (``index + 2``: the header is row 1). Departments not yet
known are reported, not refused: the apply creates them.

Pure: frames and plain values in, rows and problems out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import pandas as pd

from domain.cadres import ROLES
from domain.categories import SKILLS
from domain.errors import InvalidInput
from domain.field_mapping import guess_mapping, missing_fields, normal

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


# A role as written (compared like column names) -> the schema's code.
ROLE_NAMES: dict[str, str] = {
    **{normal(code): code for code in ROLES},
    **{normal(en): code for code, (_, en) in ROLES.items()},
    "网格员": "grid_worker",
    "专职网格员": "grid_worker",
    "部门干部": "dept_cadre",
    "机关干部": "dept_cadre",
    "下沉干部": "dept_cadre",
    "包联干部": "dept_cadre",
    "deptcadre": "dept_cadre",
    "镇街干部": "town_cadre",
    "镇干部": "town_cadre",
    "街道干部": "town_cadre",
    "乡镇干部": "town_cadre",
    "志愿者": "volunteer",
}

# Widths of the schema's columns (data.schema): longer text cannot be stored.
MAX_NAME, MAX_DEPARTMENT, MAX_SKILLS = 40, 60, 200
MOBILE = re.compile(r"1\d{10}")  # 11 digits starting with 1
LANDLINE = re.compile(r"0\d{9,11}")  # 0, area code, number: 10-12 digits
_LIST_SEPARATORS = re.compile(r"[、，,;；/\n]+")
_TOWN_SUFFIXES = ("街道办事处", "办事处", "街道", "镇", "乡")
# Other ways a roster writes the skills of ``domain.categories.SKILLS``.
# Aligned by hand: this table reads better laid out as a table.
SKILL_ALIASES: dict[str, str] = {
    "社会工作": "social_work", "社工": "social_work", "社会工作者": "social_work",
    "民政": "social_work", "社会事务": "social_work", "socialworker": "social_work",
    "消防": "fire_safety", "防火": "fire_safety", "firefighting": "fire_safety",
    "执法": "enforcement", "城管执法": "enforcement", "行政执法": "enforcement",
    "综合行政执法": "enforcement", "城管": "enforcement",
    "工程": "construction", "维修": "construction", "建筑维修": "construction",
    "电工": "electrical", "电力": "electrical", "电气维修": "electrical",
    "环卫": "sanitation", "保洁": "sanitation", "卫生": "sanitation",
    "防汛": "flood_control", "抢险": "flood_control", "防汛救灾": "flood_control",
    "抢险救灾": "flood_control", "应急抢险": "flood_control",
    "排水": "drainage", "疏通": "drainage", "管道疏通": "drainage",
    "调解": "mediation", "人民调解": "mediation", "纠纷调解": "mediation",
    "矛盾纠纷调解": "mediation", "矛盾纠纷化解": "mediation",
    "农技": "agriculture", "农业": "agriculture", "农技推广": "agriculture",
    "水暖": "plumbing", "供暖维修": "plumbing", "水电暖": "plumbing",
    "环保": "environment", "环境保护": "environment",
    "交通": "traffic", "交通疏导": "traffic",
    "医疗": "medical", "急救": "medical", "医护": "medical", "firstaid": "medical",
}  # fmt: skip


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


def role_code(value: object) -> str | None:
    """The schema's role code for a role as written (网格员, Town cadre,
    volunteer…), None when it is not one we know."""
    text = _text(value)
    return None if text is None else ROLE_NAMES.get(normal(unicodedata.normalize("NFKC", text)))


def normalise_phone(value: object) -> str | None:
    """A phone number as digits only: spaces, dashes, brackets and the +86 or
    0086 prefix removed, full-width digits made ASCII; None when empty.

    A number written internationally without its trunk 0 (+86 532 8765 4321)
    gets the 0 back; 13812345678.0 (a number a program wrote as float) loses
    the .0. The result is not checked: see ``phone_is_valid``.
    """
    text = _text(value)
    if text is None:
        return None
    text = re.sub(r"[\s\-‐–—()（）]+", "", unicodedata.normalize("NFKC", text))
    text = re.sub(r"^(\d+)\.0+$", r"\1", text)
    international = re.match(r"^(?:\+|00)86(\d+)$", text) or re.match(r"^86(1\d{10})$", text)
    if international:
        text = international.group(1)
        if not text.startswith(("0", "1")):
            text = "0" + text
    return text


def phone_is_valid(phone: str) -> bool:
    """Whether a normalised phone is a mainland mobile (11 digits from 1) or
    a landline (0, area code, number: 10-12 digits)."""
    return bool(MOBILE.fullmatch(phone) or LANDLINE.fullmatch(phone))


def skill_codes(value: object) -> tuple[list[str], list[str]]:
    """The skills in a cell, split on 、，,;/ or spaces, as codes of
    ``domain.categories.SKILLS`` where known (矛盾调解 -> mediation), distinct,
    in order; and the ones that are not known (kept as written)."""
    text = _text(value)
    if text is None:
        return [], []
    known = {normal(k): code for k, code in SKILL_ALIASES.items()}
    known.update({normal(k): k for k in SKILLS})
    for code, (zh, en) in SKILLS.items():
        known[normal(zh)] = known[normal(en)] = code
    skills, unknown = [], []
    for part in _LIST_SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        # Spaces separate skills too, except inside a known name ("Fire safety").
        words = [part] if normal(part) in known else part.split()
        for word in filter(None, (w.strip() for w in words)):
            code = known.get(normal(word))
            if code is None:
                unknown.append(word)
            skills.append(code or word)
    return list(dict.fromkeys(skills)), list(dict.fromkeys(unknown))


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


# --- Shared helpers ----------------------------------------------------------


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
        values = {f: _text(v) for f, v in zip(columns, cells, strict=True)}
        if any(v is not None for v in values.values()):
            yield index, values


def _text(value: object) -> str | None:
    """A cell as stripped text, None when missing or blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def cell_items(cell: str) -> list[str]:
    """The names in a cell listing several (、，,; or line breaks)."""
    return [part.strip() for part in _LIST_SEPARATORS.split(cell) if part.strip()]


def _key(name: object) -> str:
    """A department name compared without spaces or width differences."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)))


def _town_base(name: str) -> str:
    """A town name without its suffix: 胶东 for 胶东街道, 李哥庄 for 李哥庄镇."""
    for suffix in _TOWN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name
