"""The dispatch console's map: an incident, the cadres proposed for it and the lines between.

Pure functions over plain lists of dicts (as ``api.dispatch_service`` returns
them) and small frames; each returns plotly traces or a whole figure as plain
dicts. Lines are ``scattermap`` traces in ``mode="lines"``, one trace per kind
of line, with ``None`` between segments so a thousand lines cost one trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from layers import towns
from layers.basemap import map_style, view_for
from layers.map_figure import MapView
from layers.style import BACKGROUND, TEXT, MapStyle

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
MAX_ZOOM = 15.5
GRID_MIN_ZOOM = 11  # grid outlines from this zoom on: below it they are a blur
COUNTY = (119.63, 36.01, 120.21, 36.50)  # fallback bounds (WGS84) with nothing to show


def segments(pairs: Iterable[tuple[Sequence[float], Sequence[float]]]) -> tuple[list, list]:
    """Longitudes and latitudes of straight lines, ``None`` between two lines.

    Parameters
    ----------
    pairs : iterable of ((lon, lat), (lon, lat))
        Start and end of each line, WGS84 degrees.
    """
    lon: list = []
    lat: list = []
    for start, end in pairs:
        if lon:
            lon.append(None)
            lat.append(None)
        lon += [round(float(start[0]), 6), round(float(end[0]), 6)]
        lat += [round(float(start[1]), 6), round(float(end[1]), 6)]
    return lon, lat


def _lines(uid: str, name: str, pairs, colour: str, width: float) -> dict:
    lon, lat = segments(pairs)
    return {
        "type": "scattermap", "uid": uid, "name": name, "meta": "lines",
        "lon": lon, "lat": lat, "mode": "lines",
        "line": {"color": colour, "width": width},
        "hoverinfo": "skip", "showlegend": False,
    }  # fmt: skip


def _minutes(seconds) -> int:
    return max(1, round(float(seconds) / 60))


def recommendation_layer(
    incident: Mapping, recommended: Sequence[Mapping], *, style: MapStyle,
    sent: Sequence[Mapping] = (),
) -> list[dict]:  # fmt: skip
    """The incident, its recommended cadres and a line from each; the best one stands out.

    Parameters
    ----------
    incident : mapping
        lon, lat (WGS84), public_id, label (category in the screen's language),
        urgent (bool).
    recommended : sequence of mappings
        Best first, as ``api.dispatch_service.recommendations`` gives them:
        name, department, eta_s (s), distance_m (m), from [lon, lat], to [lon, lat].
    sent : sequence of mappings
        Cadres already on their way or on site: name, from [lon, lat].
    """
    here = (float(incident["lon"]), float(incident["lat"]))
    best, others = list(recommended[:1]), list(recommended[1:])
    traces = [
        _lines("sent-lines", style.text("已派", "Sent"),
               [(c["from"], here) for c in sent], SENT, style.px(2.5)),
        _lines("other-lines", style.text("备选", "Other candidates"),
               [(r["from"], r["to"]) for r in others], OTHER, style.px(2)),
        _lines("best-line", style.text("最佳人选", "Best candidate"),
               [(r["from"], r["to"]) for r in best], BEST, style.px(5)),
    ]  # fmt: skip
    template = "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>" + style.text(
        "约 %{customdata[2]} 分钟 · %{customdata[3]} km",
        "%{customdata[2]} min · %{customdata[3]} km",
    )
    cadres = [
        ("sent-cadres", list(sent), SENT, 11, []),
        ("candidates", recommended, [BEST] + [OTHER] * len(others), 13,
         [str(n + 1) for n in range(len(recommended))]),
    ]  # fmt: skip
    for uid, rows, colour, size, labels in cadres:
        traces.append({
            "type": "scattermap", "uid": uid, "name": style.text("干部", "Cadres"),
            "lon": [round(float(r["from"][0]), 6) for r in rows],
            "lat": [round(float(r["from"][1]), 6) for r in rows],
            "mode": "markers+text" if labels else "markers", "text": labels,
            "textposition": "top right",
            "textfont": {"size": style.px(15), "color": "#ffffff"},
            "marker": {"size": style.px(size), "color": colour, "opacity": 1},
            "customdata": [
                [r["name"], r.get("department") or "—", _minutes(r.get("eta_s") or 0),
                 f"{float(r.get('distance_m') or 0) / 1000:.1f}"]
                for r in rows
            ],
            "hovertemplate": template + "<extra></extra>", "showlegend": False,
        })  # fmt: skip
    traces += _incident_marks([incident], style=style)
    return traces


def _incident_marks(
    incidents: Sequence[Mapping], *, style: MapStyle, size: float = 20, halo: bool = True
) -> list[dict]:
    colours = [URGENT if i.get("urgent") else INCIDENT for i in incidents]
    lon = [round(float(i["lon"]), 6) for i in incidents]
    lat = [round(float(i["lat"]), 6) for i in incidents]
    ring = {
        "type": "scattermap", "uid": "incident-halo", "name": "",
        "lon": lon, "lat": lat, "mode": "markers",
        "marker": {"size": style.px(size * 2), "color": colours, "opacity": 0.3},
        "hoverinfo": "skip", "showlegend": False,
    }  # fmt: skip
    dots = {
        "type": "scattermap", "uid": "incident", "name": style.text("事件", "Incident"),
        "lon": lon, "lat": lat, "mode": "markers",
        "marker": {"size": style.px(size), "color": colours, "opacity": 1},
        "customdata": [[i["public_id"], i.get("label") or ""] for i in incidents],
        "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
        "showlegend": False,
    }  # fmt: skip
    return [ring, dots] if halo else [dots]


def plan_layer(assignments: Sequence[Mapping], *, style: MapStyle) -> list[dict]:
    """Every planned line, coloured by the incident's priority, with both ends marked.

    Parameters
    ----------
    assignments : sequence of mappings
        As ``api.dispatch_service.proposal_payload`` lists them: incident,
        priority, cadre_name, eta_s (s), from [lon, lat] (the cadre), to
        [lon, lat] (the incident), WGS84.

    The incidents go under the lines: at county zoom most lines are short, and
    a line drawn over its incident's dot still shows which way help comes from.
    """
    seen: dict[str, dict] = {}
    for a in assignments:
        seen.setdefault(a["incident"], {
            "public_id": a["incident"], "lon": a["to"][0], "lat": a["to"][1],
            "label": a.get("label") or a.get("category") or "", "urgent": int(a["priority"]) == 1,
        })  # fmt: skip
    traces = _incident_marks(list(seen.values()), style=style, size=10, halo=False)
    for kind, priorities, colour, zh, en in PLAN_KINDS:
        rows = [a for a in assignments if int(a["priority"]) in priorities]
        traces.append(
            _lines(f"plan-{kind}", style.text(zh, en), [(a["from"], a["to"]) for a in rows],
                   colour, style.px(3.5 if kind == "urgent" else 2.8))
        )  # fmt: skip
    traces.append({
        "type": "scattermap", "uid": "plan-cadres", "name": style.text("干部", "Cadres"),
        "lon": [round(float(a["from"][0]), 6) for a in assignments],
        "lat": [round(float(a["from"][1]), 6) for a in assignments],
        "mode": "markers", "marker": {"size": style.px(7), "color": BEST, "opacity": 0.95},
        "customdata": [[a["cadre_name"], a["incident"], _minutes(a["eta_s"])]
                       for a in assignments],
        "hovertemplate": "<b>%{customdata[0]}</b> → %{customdata[1]}<br>"
        + style.text("约 %{customdata[2]} 分钟", "%{customdata[2]} min") + "<extra></extra>",
        "showlegend": False,
    })  # fmt: skip
    return traces


def backdrop_layer(incidents: pd.DataFrame, *, style: MapStyle) -> list[dict]:
    """Open incidents as faint dots: where the rest of the work is (public_id, lon, lat)."""
    placed = incidents.dropna(subset=["lon", "lat"])
    return [{
        "type": "scattermap", "uid": "backdrop", "name": style.text("未办结", "Open"),
        "lon": placed["lon"].round(6).tolist(), "lat": placed["lat"].round(6).tolist(),
        "mode": "markers", "marker": {"size": style.px(6), "color": BACKDROP, "opacity": 0.45},
        "text": placed["public_id"].astype(str).tolist(),
        "hovertemplate": "%{text}<extra></extra>", "showlegend": False,
    }]  # fmt: skip


def fit_view(
    points: Iterable[Sequence[float]], width_px: float, height_px: float,
    fallback: tuple[float, float, float, float] = COUNTY,
) -> MapView:  # fmt: skip
    """Centre and zoom showing every point with a margin, never closer than a street.

    Parameters
    ----------
    points : iterable of (lon, lat)
        WGS84 degrees; ``fallback`` bounds when empty.
    width_px, height_px : float
        Size of the map on screen, CSS pixels.
    """
    xy = [(float(p[0]), float(p[1])) for p in points if p is not None]
    if xy:
        lons, lats = [p[0] for p in xy], [p[1] for p in xy]
        cx, cy = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
        half_x = max(max(lons) - min(lons), MIN_SPAN_DEG) / 2
        half_y = max(max(lats) - min(lats), MIN_SPAN_DEG) / 2
        bounds = (cx - half_x, cy - half_y, cx + half_x, cy + half_y)
        padding = 0.14  # the legend sits along the bottom edge
    else:
        bounds, padding = fallback, 0.04
    centre, zoom = view_for(bounds, width_px, height_px, padding=padding)
    return MapView(centre["lon"], centre["lat"], min(zoom, MAX_ZOOM))


def _grid_lines(url: str, style: MapStyle) -> list[dict]:
    if not url:
        return []
    return [{"name": "grids-line", "sourcetype": "geojson", "source": url, "type": "line",
             "color": "#4d7fb3", "opacity": 0.45, "line": {"width": style.px(0.8)},
             "below": "traces", "minzoom": GRID_MIN_ZOOM}]  # fmt: skip


def dispatch_figure(
    *, town_frame: pd.DataFrame, towns_url: str, traces: list[dict], view: MapView,
    style: MapStyle, revision: str, grids_url: str = "", tile_url: str = "",
    tile_attribution: str = "",
) -> dict:  # fmt: skip
    """The console's map: our offline basemap, town outlines and names, then ``traces``.

    ``grids_url`` (GeoJSON of the grids) adds faint grid outlines from street
    zoom on, where town outlines alone no longer say where one is.

    ``revision`` keeps the operator's zoom and pan while it stays the same and
    fits the view anew when it changes (a new incident, a new plan).
    """
    labels = towns.build_layer(town_frame, style=style, zoom=view.zoom) if len(town_frame) else []
    return {
        "data": [*labels, *traces],
        "layout": {
            "map": {
                "style": map_style(towns_url, tile_url, tile_attribution),
                "center": {"lon": view.lon, "lat": view.lat},
                "zoom": view.zoom,
                "layers": [
                    *_grid_lines(grids_url, style),
                    *towns.build_map_layers(towns_url, style=style),
                ],
            },
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": BACKGROUND,
            "plot_bgcolor": BACKGROUND,
            "showlegend": False,
            "uirevision": revision,
            "hoverlabel": {
                "font": {"size": style.px(14), "color": TEXT},
                "bgcolor": "rgba(8, 24, 44, 0.94)",
                "bordercolor": "#3d7ab8",
            },
            "font": {"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "color": TEXT},
        },
    }
