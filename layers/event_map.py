"""The event map of the /events desk: grids to pick an area from, the event's
area, its tasks, its mobilised cadres and a proposal's lines.

Light, like the review map: it is read at a desk. The grids are drawn twice:
as polygons (coloured when picked or inside the event's area) and as one small
dot per grid, which is what a lasso or box selects (plotly selects points, not
polygons). Tasks are squares sized by the hands they need, coloured by status;
mobilised cadres are dots, red when they have missed a check-in.
"""

from __future__ import annotations

import json

import pandas as pd
import shapely

from layers.basemap import view_for
from layers.leaflet import card, point_collection
from layers.review_charts import FONT
from layers.review_map import OUTLINE, PAPER, light_map

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


def _grid_layer(grids: pd.DataFrame, grids_geojson, picked: set[str], area_codes: set[str],
                lang: str) -> list[dict]:  # fmt: skip
    codes = grids["code"].astype(str).tolist()
    z = [2 if c in picked else 1 if c in area_codes else 0 for c in codes]
    names = grids["name"].astype(str).tolist()
    return [
        {
            "type": "choroplethmap", "uid": "event-grids", "name": "grids",
            "geojson": grids_geojson, "featureidkey": "properties.code",
            "locations": codes, "z": z, "zmin": 0, "zmax": 2, "showscale": False,
            "colorscale": [[0, "rgba(255,255,255,0)"], [0.49, "rgba(255,255,255,0)"],
                           [0.5, IN_AREA], [0.74, IN_AREA], [0.75, PICKED], [1, PICKED]],
            "marker": {"line": {"color": OUTLINE, "width": 0.4}, "opacity": 0.55},
            "text": names, "hovertemplate": "%{text}<extra></extra>",
        },
        {
            "type": "scattermap", "uid": "event-pick", "mode": "markers",
            "name": "选择网格" if lang == "zh" else "Pick grids",
            "lon": grids["lon"].round(6).tolist(), "lat": grids["lat"].round(6).tolist(),
            "customdata": codes, "text": names,
            "marker": {"size": 5, "color": "#64748b", "opacity": 0.35},
            "selected": {"marker": {"color": PICKED, "opacity": 1, "size": 7}},
            "unselected": {"marker": {"opacity": 0.25}},
            "hovertemplate": "%{text}<extra></extra>",
        },
    ]  # fmt: skip


def _area_layer(area) -> list[dict]:
    if area is None or area.is_empty:
        return []
    feature = {"type": "Feature", "id": "area", "properties": {"code": "area"},
               "geometry": json.loads(shapely.to_geojson(area.simplify(0.0002)))}  # fmt: skip
    return [{
        "type": "choroplethmap", "uid": "event-area", "name": "area",
        "geojson": {"type": "FeatureCollection", "features": [feature]},
        "featureidkey": "properties.code", "locations": ["area"], "z": [1], "showscale": False,
        "colorscale": [[0, "rgba(185,28,28,0.06)"], [1, "rgba(185,28,28,0.06)"]],
        "marker": {"line": {"color": AREA_LINE, "width": 3}}, "hoverinfo": "skip",
    }]  # fmt: skip


def _task_layer(tasks: list[dict], lang: str, scale: float) -> list[dict]:
    if not tasks:
        return []
    states = [task_state(t["status"], t.get("on_task", 0)) for t in tasks]
    size = [round((10 + min(t["headcount"], 60) ** 0.5 * 3) * scale) for t in tasks]
    hands = "人" if lang == "zh" else " people"
    text = [f"{t['title']}<br>{t.get('on_task', 0)}/{t['headcount']}{hands}" for t in tasks]
    return [{
        "type": "scattermap", "uid": "event-tasks", "mode": "markers+text",
        "name": "任务" if lang == "zh" else "Tasks",
        "lon": [t["lon"] for t in tasks], "lat": [t["lat"] for t in tasks],
        "customdata": [t["id"] for t in tasks],
        "text": [t["title"] for t in tasks], "hovertext": text,
        "textposition": "top center", "textfont": {"size": round(12 * scale), "color": "#111827"},
        "marker": {"size": size, "color": [TASK_COLOURS[s] for s in states], "opacity": 0.9},
        "hovertemplate": "%{hovertext}<extra></extra>",
    }]  # fmt: skip


def _cadre_layer(cadres: list[dict], late: set[int], lang: str, scale: float) -> list[dict]:
    placed = [c for c in cadres if c.get("lon") is not None and c.get("lat") is not None]
    if not placed:
        return []
    return [{
        "type": "scattermap", "uid": "event-cadres", "mode": "markers",
        "name": "出动干部" if lang == "zh" else "Mobilised cadres",
        "lon": [c["lon"] for c in placed], "lat": [c["lat"] for c in placed],
        "text": [f"{c['name']} · {c.get('department') or ''}" for c in placed],
        "marker": {"size": round(8 * scale),
                   "color": [LATE if c["cadre_id"] in late else CADRE for c in placed]},
        "hovertemplate": "%{text}<extra></extra>",
    }]  # fmt: skip


def _proposal_layer(rows: list[dict], lang: str) -> list[dict]:
    if not rows:
        return []
    lon, lat = [], []
    for r in rows:
        lon += [r["from"][0], r["to"][0], None]
        lat += [r["from"][1], r["to"][1], None]
    return [{
        "type": "scattermap", "uid": "event-proposal", "mode": "lines",
        "name": "调派方案" if lang == "zh" else "Proposal",
        "lon": lon, "lat": lat, "line": {"color": PROPOSED, "width": 1.5},
        "opacity": 0.6, "hoverinfo": "skip",
    }]  # fmt: skip


def event_map_figure(
    grids: pd.DataFrame,
    *,
    grids_geojson,
    towns_geojson,
    bounds: tuple[float, float, float, float],
    picked: set[str] | None = None,
    area=None,
    area_codes: set[str] | None = None,
    tasks: list[dict] | None = None,
    cadres: list[dict] | None = None,
    late: set[int] | None = None,
    proposal: list[dict] | None = None,
    lang: str = "zh",
    width_px: float = 1100,
    height_px: float = 800,
    scale: float = 1.0,
    revision: str = "",
) -> dict:
    """The figure: ``grids`` (code, name, lon, lat) with the picked ones and
    those of the event's ``area`` coloured, then the area's outline, tasks,
    cadres and proposal lines. The lasso selects on the grid dots."""
    data = [
        *_grid_layer(grids, grids_geojson, picked or set(), area_codes or set(), lang),
        *_area_layer(area),
        *_proposal_layer(proposal or [], lang),
        *_task_layer(tasks or [], lang, scale),
        *_cadre_layer(cadres or [], late or set(), lang, scale),
    ]
    centre, zoom = view_for(bounds, width_px, height_px)
    return {
        "data": data,
        "layout": {
            "map": light_map(towns_geojson, centre, zoom, town_line=1.4),
            "dragmode": "lasso",
            "clickmode": "event+select",
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": PAPER,
            "showlegend": False,
            "font": {"family": FONT, "color": "#1f2937"},
            "hoverlabel": {"font": {"family": FONT}},
            "uirevision": revision or "events",  # keep the view while the data changes
        },
    }


def wall_layers(events: list[dict], *, scale: float = 1.0, lang: str = "zh") -> dict[str, dict]:
    """The active events on the dark wall: ``areas`` (outlines, named on hover)
    and ``tasks`` (dots coloured by state, sized by hands, titled). ``events``:
    dicts with ``area`` (a shapely polygon, WGS84) and ``tasks`` (as
    ``api.event_service.tasks_shown``)."""
    shown = [e for e in events if e.get("area") is not None and not e["area"].is_empty]
    areas = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": str(n), "properties": {"tooltip": card(e["name"], []), "w": round(3 * scale, 1)},
         "geometry": json.loads(shapely.to_geojson(e["area"].simplify(0.0005)))}
        for n, e in enumerate(shown)
    ]}  # fmt: skip
    tasks = [task for e in events for task in e.get("tasks", [])]
    hands = "人" if lang == "zh" else " people"
    props = [
        {"c": TASK_COLOURS[task_state(t["status"], t.get("on_task", 0))],
         "r": round((10 + min(t["headcount"], 60) ** 0.5 * 3) * scale / 2, 1),
         "label": f"{t['title']} {t.get('on_task', 0)}/{t['headcount']}{hands}"}
        for t in tasks
    ]  # fmt: skip
    return {
        "areas": areas,
        "tasks": point_collection(
            [t["id"] for t in tasks], [t["lon"] for t in tasks], [t["lat"] for t in tasks], props
        ),
    }
