"""The event map of the /events desk: grids to pick an area from, the event's
area, its tasks, its mobilised cadres and a proposal's lines.

Light, like the review map: it is read at a desk. The grids come by URL and
are coloured from a small ``hideout``: those inside the area being drawn (a
polygon or rectangle drawn on the map) and those of the event's area. Tasks
are dots sized by the hands they need, coloured by status; mobilised cadres
are dots, red when they have missed a check-in.

Pure: plain values in, GeoJSON dicts (dash-leaflet's ``data``) out.
"""

from __future__ import annotations

import json

import shapely

from layers.dispatch_lines import fit_bounds
from layers.leaflet import card, point_collection, radius
from layers.review_map import OUTLINE

PICKED = "#2563eb"
IN_AREA = "#f59e0b"
AREA_LINE = "#b91c1c"
CADRE = "#059669"
LATE = "#dc2626"
PROPOSED = "#7c3aed"
# Task status -> colour: waiting for hands, hands on the way or there, done.
TASK_COLOURS = {"waiting": "#dc2626", "working": "#f59e0b", "done": "#16a34a"}
DONE_STATUSES = ("resolved", "verified", "closed")


def task_state(status: str, on_task: int) -> str:
    """ "done" once resolved, "working" with hands on it, else "waiting"."""
    if status in DONE_STATUSES:
        return "done"
    return "working" if on_task > 0 else "waiting"


def grid_hideout(picked: set[str], area_codes: set[str], lang: str) -> dict:
    """What the grids layer's style reads: the class of each grid that is
    coloured (2 picked by the area being drawn, 1 inside the event's area);
    the rest are outlines. Only these codes travel, never the shapes."""
    marks = {code: 1 for code in area_codes}
    marks.update({code: 2 for code in picked})
    return {
        "mark": dict(sorted(marks.items())),
        "fill": [None, IN_AREA, PICKED],
        "line": OUTLINE,
        "alpha": 0.55,
    }


def area_layer(area) -> dict:
    """The event's area: a red outline over a faint red fill."""
    if area is None or area.is_empty:
        return _collection([])
    return _collection(
        [
            {
                "type": "Feature",
                "id": "area",
                "properties": {"c": AREA_LINE, "o": 0.06, "line": AREA_LINE, "w": 3},
                "geometry": json.loads(shapely.to_geojson(area.simplify(0.0002))),
            }
        ]
    )


def task_layer(tasks: list[dict], lang: str, scale: float) -> dict:
    """Tasks as dots coloured by state, sized by the hands they need, titled."""
    hands = "人" if lang == "zh" else " people"
    props = [
        {
            "c": TASK_COLOURS[task_state(t["status"], t.get("on_task", 0))],
            "r": radius((10 + min(t["headcount"], 60) ** 0.5 * 3) * scale),
            "label": f"{t['title']} {t.get('on_task', 0)}/{t['headcount']}{hands}",
        }
        for t in tasks
    ]
    return point_collection(
        [t["id"] for t in tasks], [t["lon"] for t in tasks], [t["lat"] for t in tasks], props
    )


def cadre_layer(cadres: list[dict], late: set[int], lang: str, scale: float) -> dict:
    """Mobilised cadres as dots, red once they have missed a check-in."""
    placed = [c for c in cadres if c.get("lon") is not None and c.get("lat") is not None]
    said = ("未按时报到", "missed a check-in")
    props = [
        {
            "c": LATE if c["cadre_id"] in late else CADRE,
            "r": radius(8 * scale),
            "tooltip": card(
                c["name"],
                [c.get("department") or "", said[lang != "zh"] if c["cadre_id"] in late else ""],
            ),
        }
        for c in placed
    ]
    return point_collection(
        [c["cadre_id"] for c in placed],
        [c["lon"] for c in placed],
        [c["lat"] for c in placed],
        props,
    )


def proposal_layer(rows: list[dict], scale: float = 1.0) -> dict:
    """A proposal's lines: each cadre to the task they would go to."""
    return _collection(
        [
            {
                "type": "Feature",
                "id": str(n),
                "properties": {"c": PROPOSED, "w": round(1.5 * scale, 1)},
                "geometry": {"type": "LineString", "coordinates": [list(r["from"]), list(r["to"])]},
            }
            for n, r in enumerate(rows)
        ]
    )


def place_layer(place: dict | None, lang: str, scale: float = 1.0) -> dict:
    """Where the next task goes, as clicked on the map."""
    if not place:
        return _collection([])
    label = "新任务位置" if lang == "zh" else "New task here"
    return point_collection(
        ["place"],
        [place["lon"]],
        [place["lat"]],
        [{"c": PICKED, "r": radius(12 * scale), "ring": 3, "o": 0.25, "label": label}],
    )


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def event_map_layers(
    *,
    bounds: tuple[float, float, float, float],
    picked: set[str] | None = None,
    area=None,
    area_codes: set[str] | None = None,
    tasks: list[dict] | None = None,
    cadres: list[dict] | None = None,
    late: set[int] | None = None,
    proposal: list[dict] | None = None,
    lang: str = "zh",
    scale: float = 1.0,
) -> dict:
    """The desk map's live values: the grids' ``hideout`` (the area being
    drawn and the event's area coloured), the event's area, its tasks and
    mobilised cadres, a proposal's lines, and the bounds to fit ([[south,
    west], [north, east]] of ``bounds``, WGS84 minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bounds
    return {
        "grids": grid_hideout(picked or set(), area_codes or set(), lang),
        "area": area_layer(area),
        "proposal": proposal_layer(proposal or [], scale),
        "tasks": task_layer(tasks or [], lang, scale),
        "cadres": cadre_layer(cadres or [], late or set(), lang, scale),
        "bounds": fit_bounds([(minx, miny), (maxx, maxy)]),
    }


def wall_layers(events: list[dict], *, scale: float = 1.0, lang: str = "zh") -> dict[str, dict]:
    """The active events on the dark wall: ``areas`` (outlines, named on hover)
    and ``tasks`` (dots coloured by state, sized by hands, titled). ``events``:
    dicts with ``area`` (a shapely polygon, WGS84) and ``tasks`` (as
    ``services.events.tasks_shown``)."""
    shown = [e for e in events if e.get("area") is not None and not e["area"].is_empty]
    areas = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": str(n),
                "properties": {"tooltip": card(e["name"], []), "w": round(3 * scale, 1)},
                "geometry": json.loads(shapely.to_geojson(e["area"].simplify(0.0005))),
            }
            for n, e in enumerate(shown)
        ],
    }
    tasks = [task for e in events for task in e.get("tasks", [])]
    return {"areas": areas, "tasks": task_layer(tasks, lang, scale)}
