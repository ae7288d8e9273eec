"""The dispatch console's map: an incident, the cadres proposed for it and the lines between.

Pure functions over plain lists of dicts (as ``services.dispatch`` returns
them) and small frames. Each returns GeoJSON FeatureCollections for the
console's Leaflet map, drawn by dashboard/assets/gc_map.js: points carry ``c``
(colour), ``r`` (radius, CSS px), ``o`` (opacity), ``tooltip`` (an escaped
hover card) and ``label`` (a permanent number); lines carry ``c`` and ``w``
(width, CSS px). A thousand lines are one collection on one canvas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from layers.leaflet import card, point_collection, radius
from layers.style import MapStyle

INCIDENT = "#ffd166"
URGENT = "#ff3b4f"
HIGH = "#ffb020"
ROUTINE = "#38c8ff"
BEST = "#2ee6a6"
OTHER = "#7fa8d6"
SENT = "#c77dff"
BACKDROP = "#8fb3d9"

# Lines of a plan by the incident's priority: urgent, high, normal or low.
PLAN_KINDS: tuple[tuple[str, tuple[int, ...], str, str, str], ...] = (
    ("urgent", (1,), URGENT, "紧急", "Urgent"),
    ("high", (2,), HIGH, "较急", "High"),
    ("routine", (3, 4), ROUTINE, "一般", "Normal"),
)
MIN_SPAN_DEG = 0.012  # about 1.2 km: one incident and a cadre next door stay in context
COUNTY = (119.63, 36.01, 120.21, 36.50)  # fallback bounds (WGS84) with nothing to show
# The console's point and line layers, bottom to top (their Leaflet ids: "console-<name>").
LAYERS = ("backdrop", "lines", "cadres", "incident")


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _point(value: Sequence[float]) -> list[float]:
    return [round(float(value[0]), 6), round(float(value[1]), 6)]


def line_features(
    pairs: Iterable[tuple[Sequence[float], Sequence[float]]], colour: str, width: float
) -> list[dict]:
    """Straight lines from each start to its end (WGS84 lon, lat), one feature each."""
    return [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [_point(start), _point(end)]},
            "properties": {"c": colour, "w": width},
        }
        for start, end in pairs
    ]


def _minutes(seconds) -> int:
    return max(1, round(float(seconds) / 60))


def _eta(style: MapStyle, seconds, distance_m=None) -> str:
    minutes = _minutes(seconds or 0)
    if distance_m is None:
        return style.text(f"约 {minutes} 分钟", f"{minutes} min")
    km = f"{float(distance_m or 0) / 1000:.1f}"
    return style.text(f"约 {minutes} 分钟 · {km} km", f"{minutes} min · {km} km")


def recommendation_layers(
    incident: Mapping,
    recommended: Sequence[Mapping],
    *,
    style: MapStyle,
    sent: Sequence[Mapping] = (),
) -> dict[str, dict]:
    """The incident, its recommended cadres and a line from each; the best one stands out.

    Parameters
    ----------
    incident : mapping
        id, lon, lat (WGS84), public_id, label (category in the screen's
        language), urgent (bool).
    recommended : sequence of mappings
        Best first, as ``services.dispatch.recommendations`` gives them:
        name, department, eta_s (s), distance_m (m), from [lon, lat], to [lon, lat].
    sent : sequence of mappings
        Cadres already on their way or on site: name, from [lon, lat].

    Returns the collections ``lines``, ``cadres`` and ``incident``.
    """
    here = (float(incident["lon"]), float(incident["lat"]))
    best, others = list(recommended[:1]), list(recommended[1:])
    lines = [
        *line_features([(c["from"], here) for c in sent], SENT, style.px(2.5)),
        *line_features([(r["from"], r["to"]) for r in others], OTHER, style.px(2)),
        *line_features([(r["from"], r["to"]) for r in best], BEST, style.px(5)),  # on top
    ]
    rows = [*sent, *reversed(recommended)]  # the best drawn last, on top
    props = [
        {
            "c": SENT,
            "r": radius(style.px(11)),
            "tooltip": card(c["name"], [style.text("已派", "Sent")]),
        }
        for c in sent
    ] + [
        {
            "c": BEST if rank == 1 else OTHER,
            "r": radius(style.px(13)),
            "label": str(rank),
            "tooltip": card(
                r["name"],
                [r.get("department") or "—", _eta(style, r.get("eta_s"), r.get("distance_m"))],
            ),
        }
        for rank, r in reversed(list(enumerate(recommended, start=1)))
    ]
    cadres = point_collection(
        [f"cadre-{n}" for n in range(len(rows))],
        [r["from"][0] for r in rows],
        [r["from"][1] for r in rows],
        props,
    )
    return {
        "lines": _collection(lines),
        "cadres": cadres,
        "incident": _incident_marks([incident], style=style),
    }


def _incident_marks(
    incidents: Sequence[Mapping],
    *,
    style: MapStyle,
    size: float = 20,
    halo: bool = True,
    hover: bool = True,
) -> dict:
    """Incidents as big dots (red when urgent), each over a faint halo if ``halo``."""
    ids, lon, lat, props = [], [], [], []
    for i in incidents:
        colour = URGENT if i.get("urgent") else INCIDENT
        if halo:
            ids.append(f"halo-{i['public_id']}")
            props.append({"c": colour, "r": radius(style.px(size * 2)), "o": 0.3})
            lon.append(i["lon"])
            lat.append(i["lat"])
        ids.append(str(i["public_id"]))
        dot = {"c": colour, "r": radius(style.px(size))}
        if hover:
            dot["tooltip"] = card(i["public_id"], [i.get("label") or ""])
        props.append(dot)
        lon.append(i["lon"])
        lat.append(i["lat"])
    return point_collection(ids, lon, lat, props)


def plan_layers(assignments: Sequence[Mapping], *, style: MapStyle) -> dict[str, dict]:
    """Every planned line, coloured by the incident's priority, with both ends marked.

    Parameters
    ----------
    assignments : sequence of mappings
        As ``services.dispatch.proposal_payload`` lists them: incident,
        priority, cadre_name, eta_s (s), from [lon, lat] (the cadre), to
        [lon, lat] (the incident), WGS84.

    The incidents go under the lines, and take no hover (the open work below
    them names each): at county zoom most lines are short, and a line drawn
    over its incident's dot still shows which way help comes from. Urgent
    lines are drawn last, on top.
    """
    seen: dict[str, dict] = {}
    for a in assignments:
        seen.setdefault(
            a["incident"],
            {
                "public_id": a["incident"],
                "lon": a["to"][0],
                "lat": a["to"][1],
                "urgent": int(a["priority"]) == 1,
            },
        )
    lines: list[dict] = []
    for kind, priorities, colour, _zh, _en in reversed(PLAN_KINDS):
        rows = [a for a in assignments if int(a["priority"]) in priorities]
        width = style.px(3.5 if kind == "urgent" else 2.8)
        lines += line_features([(a["from"], a["to"]) for a in rows], colour, width)
    props = [
        {
            "c": BEST,
            "r": radius(style.px(7)),
            "tooltip": card(f"{a['cadre_name']} → {a['incident']}", [_eta(style, a["eta_s"])]),
        }
        for a in assignments
    ]
    cadres = point_collection(
        [f"cadre-{n}" for n in range(len(assignments))],
        [a["from"][0] for a in assignments],
        [a["from"][1] for a in assignments],
        props,
    )
    marks = _incident_marks(list(seen.values()), style=style, size=10, halo=False, hover=False)
    return {"lines": _collection(lines), "cadres": cadres, "incident": marks}


def backdrop_layer(incidents: pd.DataFrame, *, style: MapStyle) -> dict:
    """Open incidents as faint dots: where the rest of the work is (id, public_id,
    lon, lat). Each feature's id is the incident's row id: a click selects it."""
    placed = incidents.dropna(subset=["lon", "lat"])
    props = [
        {"c": BACKDROP, "r": radius(style.px(9)), "o": 0.75, "tooltip": card(pid, [])}
        for pid in placed["public_id"].astype(str)
    ]
    return point_collection(placed["id"].astype(int), placed["lon"], placed["lat"], props)


def empty_layers() -> dict[str, dict]:
    """Nothing chosen: the collections of ``recommendation_layers``, empty."""
    return {name: _collection([]) for name in ("lines", "cadres", "incident")}


def fit_bounds(
    points: Iterable[Sequence[float] | None], fallback: tuple[float, float, float, float] = COUNTY
) -> list[list[float]]:
    """Leaflet bounds [[south, west], [north, east]] around every point, never
    narrower than a street (``MIN_SPAN_DEG``); ``fallback`` (WGS84 minx, miny,
    maxx, maxy) when there is none."""
    xy = [(float(p[0]), float(p[1])) for p in points if p is not None]
    if not xy:
        minx, miny, maxx, maxy = fallback
        return [[miny, minx], [maxy, maxx]]
    lons, lats = [p[0] for p in xy], [p[1] for p in xy]
    cx, cy = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    half_x = max(max(lons) - min(lons), MIN_SPAN_DEG) / 2
    half_y = max(max(lats) - min(lats), MIN_SPAN_DEG) / 2
    return [
        [round(cy - half_y, 6), round(cx - half_x, 6)],
        [round(cy + half_y, 6), round(cx + half_x, 6)],
    ]
