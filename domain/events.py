"""Wartime events (战时事件): what a declaration must hold, and its area.

Pure: geometry in, checked values out. A commander declares an event with a
kind, a name, a start, a severity and an area: grids picked on the map (a
lasso or a box over them), or a polygon uploaded as GeoJSON. The area is kept
in WGS84, clipped to the city; an area that misses the city, or has no
surface, is refused with the reason and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.validation import make_valid

from domain.bounds import checked_time
from domain.checkins import DEFAULT_MINUTES, checked_interval
from domain.errors import Conflict, InvalidInput

# Kind -> (Chinese, English).
KINDS: dict[str, tuple[str, str]] = {
    "flood": ("洪涝", "Flood"),
    "fire": ("火灾", "Fire"),
    "epidemic": ("疫情", "Epidemic"),
    "harvest_help": ("助农抢收", "Harvest help"),
    "other": ("其他", "Other"),
}
# The four response levels of Chinese emergency plans, I (gravest) to IV.
SEVERITIES: dict[int, tuple[str, str]] = {
    1: ("I级（特别重大）", "Level I (extreme)"),
    2: ("II级（重大）", "Level II (severe)"),
    3: ("III级（较大）", "Level III (moderate)"),
    4: ("IV级（一般）", "Level IV (minor)"),
}
MAX_NAME = 120
MIN_AREA_M2 = 100.0  # less than a 10 m square is a slip of the mouse, not an area
_M2_PER_DEG2 = 111_320.0 * 92_000.0  # near 36° N: a rough square metre per square degree
# Shared surface below this (about 1 m²) is rounding along a common border, not overlap.
SLIVER_DEG2 = 1e-10


@dataclass(frozen=True)
class Declaration:
    """A checked event declaration, ready for the store."""

    name: str
    kind: str
    severity: int
    started_at: dt.datetime
    area: Polygon | MultiPolygon  # WGS84, inside the city
    grid_codes: tuple[str, ...]  # grids the area touches
    checkin_minutes: int = DEFAULT_MINUTES  # mobilised cadres check in this often


def parse_time(value: object, name: str) -> dt.datetime:
    """An aware time from a datetime or ISO 8601 text with its offset, in UTC."""
    if isinstance(value, dt.datetime):
        stamp = value
    else:
        try:
            stamp = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                f"{name} must be an ISO 8601 time, e.g. 2026-06-12T08:00:00+08:00",
                zh=f"{name} 应为带时区的时间，如 2026-06-12T08:00:00+08:00",
            ) from None
    if stamp.tzinfo is None:
        raise InvalidInput(f"{name} needs its UTC offset (+08:00)", zh=f"{name} 缺少时区（+08:00）")
    return checked_time(stamp, name)


def checked_name(value: object) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise InvalidInput("an event needs a name", zh="请填写事件名称")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            f"an event name has at most {MAX_NAME} characters", zh=f"事件名称最多 {MAX_NAME} 个字"
        )
    return name


def checked_kind(value: object) -> str:
    kind = str(value or "")
    if kind not in KINDS:
        raise InvalidInput(
            f"kind must be one of {', '.join(KINDS)}, not {kind[:40]!r}",
            zh="事件类型应为：洪涝、火灾、疫情、助农抢收或其他",
        )
    return kind


def checked_severity(value: object) -> int:
    try:
        severity = int(str(value))
    except ValueError:
        severity = 0
    if severity not in SEVERITIES:
        raise InvalidInput(
            "severity must be 1 (gravest) to 4", zh="响应级别应为 1（I级，最高）至 4（IV级）"
        )
    return severity


def polygon_from_geojson(value: object) -> Polygon | MultiPolygon:
    """A polygon from GeoJSON text or a dict: a geometry, a Feature or a
    FeatureCollection (its polygons united). Invalid rings are repaired."""
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput("the area is not GeoJSON", zh="区域不是有效的 GeoJSON") from None
    if not isinstance(value, Mapping):
        raise InvalidInput("the area must be a GeoJSON object", zh="区域应为 GeoJSON 对象")
    kind = value.get("type")
    if kind == "FeatureCollection":
        parts = [polygon_from_geojson(f) for f in value.get("features") or []]
        if not parts:
            raise InvalidInput("the area has no features", zh="区域中没有图形")
        return _polygonal(shapely.union_all(parts))
    if kind == "Feature":
        return polygon_from_geojson(value.get("geometry"))
    if kind not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(
            f"the area must be a Polygon or MultiPolygon, not {str(kind)[:30]}", zh="区域应为多边形"
        )
    try:
        geometry = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError):
        raise InvalidInput("the area's coordinates cannot be read", zh="区域坐标无法读取") from None
    return _polygonal(geometry)


def _polygonal(geometry) -> Polygon | MultiPolygon:
    """Only the polygons of ``geometry``, repaired where their rings cross."""
    if not geometry.is_valid:
        geometry = make_valid(geometry)
    polygons = [
        g
        for g in getattr(geometry, "geoms", [geometry])
        if isinstance(g, (Polygon, MultiPolygon)) and not g.is_empty
    ]
    if not polygons:
        return Polygon()
    merged = shapely.union_all(polygons)
    return merged if isinstance(merged, (Polygon, MultiPolygon)) else Polygon()


def area_of_grids(codes: Iterable[str], grids) -> Polygon | MultiPolygon:
    """The union of the grids ``codes`` (a GeoDataFrame with code, geometry)."""
    wanted = list(dict.fromkeys(str(c) for c in codes))
    if not wanted:
        raise InvalidInput("pick at least one grid for the area", zh="请至少选择一个网格")
    found = grids[grids["code"].isin(wanted)]
    missing = sorted(set(wanted) - set(found["code"]))
    if missing:
        raise InvalidInput(
            f"no grid {', '.join(missing[:5])}", zh=f"没有网格 {', '.join(missing[:5])}"
        )
    return _polygonal(shapely.union_all(found.geometry.to_numpy()))


def clipped_to_city(area, city_outline, grids) -> tuple[Polygon | MultiPolygon, tuple[str, ...]]:
    """``area`` within the city and the grids it touches; refused when it
    misses the city or has no surface."""
    if area.is_empty or area.area * _M2_PER_DEG2 < MIN_AREA_M2:
        raise InvalidInput("the area is empty", zh="区域为空，请在地图上框选或上传多边形")
    inside = _polygonal(area.intersection(city_outline))
    if inside.is_empty or inside.area * _M2_PER_DEG2 < MIN_AREA_M2:
        raise InvalidInput("the area lies outside the city", zh="所选区域不在本市范围内")
    # Grids that share surface with the area (not just an edge); the area of
    # the overlap in degrees only decides "more than nothing".
    shapes = grids.geometry.to_numpy()
    overlap = shapely.area(shapely.intersection(shapes, inside))
    touched = grids[overlap > SLIVER_DEG2]
    return inside, tuple(sorted(touched["code"].astype(str)))


def declaration(fields: Mapping, *, city_outline, grids, now: dt.datetime) -> Declaration:
    """Check a declaration: name, kind, severity (1–4), start (default now,
    not in the future), area (``grids``: codes, or ``area``: GeoJSON) and
    ``checkin_minutes`` (5–240, default 30)."""
    name = checked_name(fields.get("name"))
    checkin_minutes = checked_interval(fields.get("checkin_minutes"))
    kind = checked_kind(fields.get("kind"))
    severity = checked_severity(fields.get("severity", 3))
    started = fields.get("started_at")
    started_at = parse_time(started, "started_at") if started not in (None, "") else now
    if started_at > now + dt.timedelta(minutes=5):
        raise InvalidInput("an event cannot start in the future", zh="事件开始时间不能晚于现在")
    if fields.get("grids") and fields.get("area"):
        raise InvalidInput(
            "give the area as grids or as a polygon, not both",
            zh="区域请二选一：选择网格或上传多边形",
        )
    if fields.get("grids"):
        codes = fields["grids"]
        codes = codes.split(",") if isinstance(codes, str) else codes
        area = area_of_grids(codes, grids)
    elif fields.get("area"):
        area = polygon_from_geojson(fields["area"])
    else:
        raise InvalidInput(
            "an event needs an area: grids or a polygon", zh="请在地图上框选受影响区域或上传多边形"
        )
    inside, codes = clipped_to_city(area, city_outline, grids)
    return Declaration(name, kind, severity, started_at, inside, codes, checkin_minutes)


def check_can_end(ended_at: dt.datetime | None, started_at: dt.datetime, when: dt.datetime) -> None:
    """Refuse ending an event twice, or before it began."""
    if ended_at is not None:
        raise Conflict("the event has already ended", zh="该事件已经结束")
    if when < started_at:
        raise InvalidInput("an event cannot end before it started", zh="结束时间早于开始时间")
