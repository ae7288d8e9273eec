"""Which column of an imported file holds what: the guess shown in the mapping step.

A bureau's table may call the code 编码, 网格编码, DM or CODE, the name 名称
or MC, the population 人口 or RKS (pinyin initials are common in Chinese GIS
data). Each field we need is matched against each column by name: an exact
synonym first, then a column that contains one. A column is used at most
once, the most certain pairings first. The user confirms or corrects.

Pure: column names in, a mapping out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Field -> names a column holding it goes by (compared lower-case, without
# spaces, underscores or hyphens). Most specific first.
# Aligned by hand: this table reads better laid out as a table.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "code": ("code", "gridcode", "wgbm", "wgdm", "bm", "dm", "id", "编码", "代码", "网格编码",
             "网格代码", "网格编号", "编号", "行政区划代码", "区划代码", "社区编码", "镇街编码"),
    "name": ("name", "gridname", "wgmc", "mc", "名称", "网格名称", "名字", "社区名称", "镇街名称",
             "乡镇名称"),
    "parent_code": ("parentcode", "parent", "towncode", "communitycode", "sjbm", "ssbm",
                    "上级编码", "上级代码", "所属编码", "所属社区编码", "所属镇街编码", "所属社区",
                    "所属镇街", "社区代码", "镇街代码", "乡镇代码"),
    "population": ("population", "pop", "rk", "rks", "czrk", "人口", "人口数", "常住人口",
                   "户籍人口", "总人口"),
    "households": ("households", "hh", "hs", "hushu", "户数", "住户", "住户数", "总户数"),
    "name_en": ("nameen", "englishname", "ename", "ywmc", "英文名", "英文名称"),  # towns only
}  # fmt: skip
REQUIRED = ("code", "name")

# Per kind of layer, the names that mean something else than in the generic
# table: in a grids file 社区编码 (SQBM) is the grid's parent, in a
# communities file it is the feature's own code and 所属镇街 (SSZJ) the parent.
_COMMUNITY_CODE = ("sqbm", "sqdm", "社区编码", "社区代码", "村居编码", "村编码", "sqcjbm")
_COMMUNITY_NAME = ("sqmc", "社区名称", "村居名称", "村名", "社区村名称", "sqcjmc")
_TOWN_CODE = (
    "zjbm",
    "zjdm",
    "jdbm",
    "xzbm",
    "xzdm",
    "镇街编码",
    "镇街代码",
    "乡镇编码",
    "乡镇代码",
    "街道编码",
    "街道代码",
)
_TOWN_NAME = ("zjmc", "jdmc", "xzmc", "镇街名称", "乡镇名称", "街道名称", "镇街")
_TOWN_PARENT = ("sszj", "ssjd", "ssxz", "所属镇街", "所属街道", "所属乡镇", "所属镇街编码")
_COMMUNITY_PARENT = ("sssq", "sssqbm", "所属社区", "所属社区编码", "所属村居")
KIND_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "towns": {"code": _TOWN_CODE, "name": _TOWN_NAME},
    "communities": {
        "code": _COMMUNITY_CODE,
        "name": _COMMUNITY_NAME,
        "parent_code": _TOWN_PARENT + _TOWN_CODE,
        "": _TOWN_NAME,
    },
    "grids": {
        "parent_code": _COMMUNITY_PARENT + _COMMUNITY_CODE,
        "": _COMMUNITY_NAME + _TOWN_CODE + _TOWN_NAME + _TOWN_PARENT,
    },
}
"""Per kind, field -> its own names first; under "" names that hold no field
of the kind (a grid's community name is not its name)."""


def synonyms_for(kind: str | None) -> dict[str, tuple[str, ...]]:
    """The synonym table for a boundary file of ``kind`` (towns, communities,
    grids): the kind's own names first, and a name one field of the kind
    claims is taken from the others (a grid's 社区编码 is not its code)."""
    extra = KIND_SYNONYMS.get(kind or "")
    if not extra:
        return SYNONYMS
    claimed = {name for names in extra.values() for name in names}
    return {
        field: tuple(
            dict.fromkeys(extra.get(field, ()) + tuple(n for n in names if n not in claimed))
        )
        for field, names in SYNONYMS.items()
    }


def normal(name: object) -> str:
    """A column name compared without case, spaces, underscores or hyphens."""
    return re.sub(r"[\s_\-（）()]+", "", str(name)).lower()


def score(field: str, column: object, synonyms: dict[str, tuple[str, ...]] | None = None) -> int:
    """How surely ``column`` holds ``field``: 3 exact, 2 contains a synonym, 0 not.

    ``synonyms`` is a table like ``SYNONYMS`` (the default), e.g. a roster's.
    """
    name = normal(column)
    if not name:
        return 0
    synonyms = (SYNONYMS if synonyms is None else synonyms)[field]
    if name in synonyms:
        return 3
    # Only names long enough not to match by accident: Chinese words, or
    # Latin ones of 4 letters or more ("bm" must not match "submitted").
    telling = [s for s in synonyms if len(s) >= 2 and (not s.isascii() or len(s) >= 4)]
    return 2 if any(s in name for s in telling) else 0


def guess_mapping(
    columns: Iterable[object],
    synonyms: dict[str, tuple[str, ...]] | None = None,
    *,
    kind: str | None = None,
) -> dict[str, str | None]:
    """Field -> the column that most likely holds it (None when no column fits).

    The fields are those of ``synonyms`` (default: the boundary files' fields,
    ``synonyms_for(kind)``; ``domain.roster`` has the tables for cadre rosters).
    """
    table = synonyms_for(kind) if synonyms is None else synonyms
    columns = [str(c) for c in columns if str(c).lower() != "geometry"]
    pairs = sorted(
        (
            (score(field, column, table), -n, field, column)
            for field in table
            for n, column in enumerate(columns)
        ),
        reverse=True,
    )
    found: dict[str, str | None] = dict.fromkeys(table)
    used: set[str] = set()
    for certainty, _, field, column in pairs:
        if certainty and found[field] is None and column not in used:
            found[field] = column
            used.add(column)
    return found


def missing_fields(mapping: dict[str, str | None], required: Iterable[str] = REQUIRED) -> list:
    """The required fields no column is mapped to."""
    return [field for field in required if not mapping.get(field)]
