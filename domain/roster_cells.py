"""What a roster's cells mean: a role as written (网格员, Town cadre…), a phone
in any of the ways people type one, the skills in a cell (矛盾调解 -> mediation).

Pure: cell values in, codes and normalised text out; whether a row is
acceptable is ``domain.roster``'s to say.
"""

from __future__ import annotations

import re
import unicodedata

from domain.cadres import ROLES
from domain.categories import SKILLS
from domain.field_mapping import normal
from domain.table_rows import LIST_SEPARATORS, cell_or_none

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

MOBILE = re.compile(r"1\d{10}")  # 11 digits starting with 1
LANDLINE = re.compile(r"0\d{9,11}")  # 0, area code, number: 10-12 digits

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


def role_code(value: object) -> str | None:
    """The schema's role code for a role as written (网格员, Town cadre,
    volunteer…), None when it is not one we know."""
    text = cell_or_none(value)
    return None if text is None else ROLE_NAMES.get(normal(unicodedata.normalize("NFKC", text)))


def normalise_phone(value: object) -> str | None:
    """A phone number as digits only: spaces, dashes, brackets and the +86 or
    0086 prefix removed, full-width digits made ASCII; None when empty.

    A number written internationally without its trunk 0 (+86 532 8765 4321)
    gets the 0 back; 13812345678.0 (a number a program wrote as float) loses
    the .0. The result is not checked: see ``phone_is_valid``.
    """
    text = cell_or_none(value)
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
    text = cell_or_none(value)
    if text is None:
        return [], []
    known = {normal(k): code for k, code in SKILL_ALIASES.items()}
    known.update({normal(k): k for k in SKILLS})
    for code, (zh, en) in SKILLS.items():
        known[normal(zh)] = known[normal(en)] = code
    skills, unknown = [], []
    for part in LIST_SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        # Spaces separate skills too, except inside a known name ("Fire safety").
        words = [part] if normal(part) in known else part.split()
        for word in filter(None, (w.strip() for w in words)):
            code = known.get(normal(word))
            if code is None:
                unknown.append(word)
            skills.append(code or word)
    return list(dict.fromkeys(skills)), list(dict.fromkeys(unknown))
