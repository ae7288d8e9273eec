"""The wartime desk's map: its layers, their live values, and what a commander
draws or clicks on it (an event's area, the next task's place).

The map is Leaflet on one canvas (``dashboard.leaflet_parts``); the grids come
once by URL and are restyled by a small ``hideout``, the rest are small
collections sent as they change.
"""

from __future__ import annotations

import datetime as dt
import json

import dash_leaflet as dl
from dash import no_update

from dashboard import ids
from dashboard.leaflet_parts import FIT, PAPER_LAND, canvas_map, empty, js, towns_layer
from domain.events import polygon_from_geojson
from layers.dispatch_lines import fit_bounds
from layers.event_map import PICKED, event_map_layers
from layers.review_map import PAPER, TOWN_LINE
from services import events as event_service

MAP_LAYERS = {
    name: f"event-map-{name}"
    for name in ("land", "grids", "towns", "area", "proposal", "cadres", "tasks", "place")
}
# The layers a live update sets, in the order of the map callback's outputs.
MAP_OUTPUTS = ("grids", "area", "proposal", "cadres", "tasks")
TOWN_BORDERS = {"color": TOWN_LINE, "weight": 1.4}
# The shapes a commander may draw as an event's area; no editing tools beyond
# deleting (draw again instead), no markers or lines.
DRAW = {
    "polygon": {
        "allowIntersection": False,
        "showArea": False,
        "shapeOptions": {"color": PICKED, "weight": 2},
    },
    "rectangle": {"shapeOptions": {"color": PICKED, "weight": 2}},
    "polyline": False,
    "circle": False,
    "marker": False,
    "circlemarker": False,
}


def desk_map(sources: dict, can: bool) -> dl.MapContainer:
    """The towns as land, the grids (coloured from the hideout), town borders,
    the event's area, proposal lines, cadres, tasks, the next task's place;
    and, for a commander, the tools to draw an event's area."""
    points = {"pointToLayer": js("point"), "onEachFeature": js("pointEach")}
    drawn = {
        "area": {"style": js("fillStyle"), "onEachFeature": js("each")},
        "proposal": {"style": js("lineStyle"), "onEachFeature": js("each")},
    }
    layers = [
        towns_layer(MAP_LAYERS["land"], sources["towns"], PAPER_LAND),
        dl.GeoJSON(
            id=MAP_LAYERS["grids"],
            url=sources["grids"],
            style=js("markStyle"),
            onEachFeature=js("nameEach"),
            hideout={},
        ),
        towns_layer(MAP_LAYERS["towns"], sources["towns"], TOWN_BORDERS),
        *[
            dl.GeoJSON(id=MAP_LAYERS[name], data=empty(), **drawn.get(name, points))
            for name in ("area", "proposal", "cadres", "tasks", "place")
        ],
    ]
    # Every caller's page has the control (its callbacks need it); only a
    # commander's has tools in it.
    tools = DRAW if can else dict.fromkeys(DRAW, False)
    layers.append(
        dl.FeatureGroup(
            dl.EditControl(
                id=ids.EVENT_DRAW,
                draw=tools,
                edit={"edit": False, "remove": can},
                position="topright",
            )
        )
    )
    return canvas_map(ids.EVENT_MAP, layers, fit_bounds([]), sources, background=PAPER)


def widened(bounds, share: float = 0.35) -> tuple[float, float, float, float]:
    """``bounds`` grown by ``share`` of its size on each side: the area with its surroundings."""
    minx, miny, maxx, maxy = bounds
    dx, dy = max(maxx - minx, 0.01) * share, max(maxy - miny, 0.01) * share
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


def replay_layers(frame: dict) -> tuple[list[dict], list[dict], set[int]]:
    """Tasks, cadres and the overdue of a replay frame, as the map draws them."""
    done = {"resolved": "resolved", "closed": "closed"}
    tasks = [
        {
            "id": x["id"],
            "title": x["title"],
            "headcount": x["headcount"],
            "on_task": x["hands"],
            "status": done.get(x["stage"], "dispatched"),
            "lon": x["lon"],
            "lat": x["lat"],
        }
        for x in frame["tasks"]
    ]
    cadres = [
        {
            "cadre_id": c["cadre_id"],
            "name": c["name"],
            "department": c["department"],
            "lon": c["lon"],
            "lat": c["lat"],
        }
        for c in frame["cadres"]
    ]
    return tasks, cadres, {c["cadre_id"] for c in frame["cadres"] if c["overdue"]}


def desk_layers(
    store,
    *,
    event_id: int | None,
    picked: set[str],
    proposal: list[dict],
    lang: str,
    now: dt.datetime,
    replay: dict | None = None,
) -> dict:
    """The desk map's live values: the grids of the area being drawn, and the
    chosen event with its work (as it is, or as it was in a ``replay`` frame)."""
    here = event_service.city(store)
    bounds = tuple(here.towns.total_bounds)
    area = area_codes = tasks = cadres = late = None
    if event_id is not None:
        event = store.event(event_id)
        area = event["geometry"]
        shown = event_service.shown_event(event, here.towns)
        board = event_service.board(store, event_id, now=now, lang=lang)
        tasks, cadres = board["tasks"], board["mobilised"]
        late = {o["cadre_id"] for o in board["overdue"]}
        if replay is not None:
            tasks, cadres, late = replay_layers(replay)
        area_codes = set(event_service.grids_in(area, here.grids)) if area is not None else set()
        if shown["towns"] and area is not None:
            bounds = widened(area.bounds)
    return event_map_layers(
        bounds=bounds,
        picked=picked,
        area=area,
        area_codes=area_codes,
        tasks=tasks,
        cadres=cadres,
        late=late,
        proposal=proposal,
        lang=lang,
    )


def map_update(drawn: dict, showing, shown, grids_before) -> list:
    """What the map callback sends: the viewport only for another event than
    the one ``shown`` (zoom and pan stay the commander's), the grids' hideout
    only when their marks changed, every other layer's value, and what it shows."""
    viewport = no_update if showing == shown else {"bounds": drawn["bounds"], "options": FIT}
    values = [
        no_update if name == "grids" and drawn[name] == grids_before else drawn[name]
        for name in MAP_OUTPUTS
    ]
    return [viewport, *values, showing]


def drawn_area(drawn: dict | None) -> str | None:
    """The polygons and rectangles drawn on the map (EditControl's ``geojson``)
    as one GeoJSON FeatureCollection text, or None when nothing is drawn."""
    features = [
        f
        for f in (drawn or {}).get("features") or []
        if (f.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon")
    ]
    if not features:
        return None
    clean = [{"type": "Feature", "properties": {}, "geometry": f["geometry"]} for f in features]
    return json.dumps({"type": "FeatureCollection", "features": clean})


def grids_in_area(store, text: str) -> list[str]:
    """The codes of the city's grids inside an area given as GeoJSON ``text``, sorted.

    Raises InvalidInput when ``text`` is not a polygon."""
    return sorted(
        event_service.grids_in(polygon_from_geojson(text), event_service.city(store).grids)
    )


def clicked_place(click: dict | None) -> dict | None:
    """{"lon", "lat"} of a click on the map (dash-leaflet's ``clickData``), rounded to ~1 m."""
    at = (click or {}).get("latlng") or {}
    if at.get("lat") is None or at.get("lng") is None:
        return None
    return {"lon": round(float(at["lng"]), 5), "lat": round(float(at["lat"]), 5)}
