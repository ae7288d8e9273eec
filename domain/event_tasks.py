"""Tasks inside a wartime event: what a task must hold, its figures, its progress.

A task is an incident with the event's id, a place, a headcount and figures
that fit the event's kind: for harvest help, mu harvested, tonnes and yuan of
sales. Because a task is an incident, dispatch, the lifecycle and the review
apply to it unchanged. Figures only grow: the field reports what it has done
since its last report, and a report that would make no sense (a negative
amount, a figure the kind does not have, text) is refused whole.

Pure: plain values in, checked values out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from shapely.geometry import Point

from domain.categories import BY_CODE
from domain.errors import InvalidInput


@dataclass(frozen=True)
class Measure:
    """One figure of a task: its code, unit and labels."""

    code: str
    zh: str
    en: str
    unit_zh: str
    unit_en: str

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def unit(self, lang: str) -> str:
        return self.unit_zh if lang == "zh" else self.unit_en


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("area_mu", "抢收面积", "Area harvested", "亩", "mu"),
        Measure("tonnes", "收获量", "Harvest", "吨", "t"),
        Measure("sales_yuan", "销售额", "Sales", "元", "yuan"),
        Measure("households", "排查住户", "Households checked", "户", "households"),
        Measure("people_moved", "转移群众", "People moved to safety", "人", "people"),
        Measure("pumped_m3", "排水量", "Water pumped", "立方米", "m³"),
        Measure("people_tested", "核酸检测", "People tested", "人", "people"),
        Measure("area_m2", "清理面积", "Area cleared", "平方米", "m²"),
        Measure("items", "完成事项", "Items done", "项", "items"),
    )
}

# Event kind -> the figures its tasks report, and the incident category of a task.
KIND_MEASURES: dict[str, tuple[str, ...]] = {
    "harvest_help": ("area_mu", "tonnes", "sales_yuan"),
    "flood": ("households", "people_moved", "pumped_m3"),
    "fire": ("households", "people_moved", "area_m2"),
    "epidemic": ("households", "people_tested"),
    "other": ("items",),
}
KIND_CATEGORY: dict[str, str] = {
    "harvest_help": "farm_help",
    "flood": "waterlogging",
    "fire": "safety_hazard",
    "epidemic": "elderly_care",
    "other": "other",
}
MAX_HEADCOUNT = 500
MAX_TITLE = 200
MAX_FIGURE = 1e12  # more than any task's yuan; beyond it a slip of the keyboard


@dataclass(frozen=True)
class TaskSpec:
    """A checked task, ready for the store."""

    title: str
    category: str
    priority: int
    headcount: int
    lon: float
    lat: float
    targets: dict[str, float | None]  # measure -> target (None: no target, only counted)


def measures_of(kind: str) -> tuple[str, ...]:
    """The figures an event of ``kind`` counts."""
    return KIND_MEASURES.get(kind, KIND_MEASURES["other"])


def _number(value: object, name: str, *, zh: str) -> float:
    if isinstance(value, bool):
        value = None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{name} must be a number, not {str(value)[:30]!r}", zh=f"{zh}应为数字"
        ) from None
    if not math.isfinite(number) or not 0 <= number <= MAX_FIGURE:
        raise InvalidInput(f"{name} must be from 0 to {MAX_FIGURE:.0e}", zh=f"{zh}超出范围")
    return number


def _whole(value: object, name: str, low: int, high: int, *, zh: str) -> int:
    number = _number(value, name, zh=zh)
    if number != int(number) or not low <= number <= high:
        raise InvalidInput(
            f"{name} must be a whole number from {low} to {high}",
            zh=f"{zh}应为 {low} 至 {high} 的整数",
        )
    return int(number)


def checked_task(fields: Mapping, *, kind: str, area, locate) -> TaskSpec:
    """Check a new task of an event of ``kind`` whose area is ``area``.

    ``fields``: title, lon and lat (WGS84, inside the event's area), headcount
    (1–500, default 1), priority (1–4, default 2), category (default the
    kind's), targets (measure -> number; only the kind's measures).
    ``locate(lon, lat)`` is the city's grid locator: the place must be in a grid.
    """
    title = " ".join(str(fields.get("title") or "").split())
    if not title:
        raise InvalidInput("a task needs a title", zh="请填写任务名称")
    if len(title) > MAX_TITLE:
        raise InvalidInput(
            f"a task title has at most {MAX_TITLE} characters", zh=f"任务名称最多 {MAX_TITLE} 个字"
        )
    if fields.get("lon") is None or fields.get("lat") is None:
        raise InvalidInput("a task needs a place: lon and lat", zh="请在地图上选择任务地点")
    lon = _number(fields.get("lon"), "lon", zh="经度") if fields.get("lon") != "" else None
    lat = _number(fields.get("lat"), "lat", zh="纬度") if fields.get("lat") != "" else None
    if lon is None or lat is None or locate(lon, lat) is None:
        raise InvalidInput(
            "the task's place is not in any grid of the city", zh="任务地点不在本市网格内"
        )
    if area is not None and not area.is_empty and not area.buffer(0.002).contains(Point(lon, lat)):
        raise InvalidInput(
            "the task's place lies outside the event's area", zh="任务地点不在事件影响区域内"
        )
    headcount = _whole(fields.get("headcount", 1), "headcount", 1, MAX_HEADCOUNT, zh="所需人数")
    priority = _whole(fields.get("priority", 2), "priority", 1, 4, zh="优先级")
    category = str(fields.get("category") or KIND_CATEGORY.get(kind, "other"))
    if category not in BY_CODE:
        raise InvalidInput(f"no category {category[:30]!r}", zh="没有这个事项类别")
    targets = checked_targets(fields.get("targets") or {}, kind)
    return TaskSpec(title, category, priority, headcount, lon, lat, targets)


def checked_targets(targets: object, kind: str) -> dict[str, float | None]:
    """Every figure of the kind, with its target where one is given."""
    if not isinstance(targets, Mapping):
        raise InvalidInput("targets must be an object of measure: number", zh="目标格式有误")
    allowed = measures_of(kind)
    unknown = [str(k) for k in targets if k not in allowed]
    if unknown:
        raise InvalidInput(
            f"an event of kind {kind} has no figure {unknown[0][:30]!r}; "
            f"it counts {', '.join(allowed)}",
            zh=f"该类事件没有“{unknown[0][:30]}”这一指标",
        )
    out: dict[str, float | None] = {}
    for code in allowed:
        value = targets.get(code)
        out[code] = (
            None if value in (None, "") else _number(value, f"targets.{code}", zh=MEASURES[code].zh)
        )
    return out


def checked_progress(amounts: object, measures: tuple[str, ...]) -> dict[str, float]:
    """What the field did since its last report: measure -> amount (> 0 in all).

    ``measures`` are the task's own figures. A negative amount, an unknown
    figure or nothing at all is refused; zeros are dropped.
    """
    if not isinstance(amounts, Mapping) or not amounts:
        raise InvalidInput(
            "report progress as an object of measure: amount done since", zh="请填写本次完成的数量"
        )
    unknown = [str(k) for k in amounts if k not in measures]
    if unknown:
        raise InvalidInput(
            f"this task has no figure {unknown[0][:30]!r}; it counts {', '.join(measures)}",
            zh=f"该任务没有“{unknown[0][:30]}”这一指标",
        )
    out = {code: _number(value, code, zh=MEASURES[code].zh) for code, value in amounts.items()}
    out = {code: value for code, value in out.items() if value > 0}
    if not out:
        raise InvalidInput("nothing done to report: every amount is 0", zh="本次完成数量均为 0")
    return out


def progress_table(measures: pd.DataFrame) -> pd.DataFrame:
    """Per task, its figures with target, done and share (0–1, None without target).

    ``measures``: rows of incident_id, measure, target, done.
    """
    frame = measures.copy()
    target = pd.to_numeric(frame["target"], errors="coerce")
    share = (pd.to_numeric(frame["done"], errors="coerce") / target).where(target > 0)
    frame["share"] = share.clip(upper=1.0)
    return frame


def totals_by_measure(measures: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """Over all tasks: measure -> {target, done} (target None when no task set one)."""
    out: dict[str, dict[str, float | None]] = {}
    for code, rows in measures.groupby("measure", sort=False):
        targets = pd.to_numeric(rows["target"], errors="coerce")
        out[str(code)] = {
            "target": float(targets.sum()) if targets.notna().any() else None,
            "done": float(pd.to_numeric(rows["done"], errors="coerce").fillna(0).sum()),
        }
    return out
