"""The command map: every layer composed into one plotly figure (a plain dict).

Plain dicts, not ``go.Figure``: validating thousands of points through
plotly's graph objects costs more than drawing them (MAPS.md), and the
dashboard hands the dict straight to ``dcc.Graph``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from layers import cadres, event_map, grids, incidents, towns
from layers.basemap import map_style
from layers.registry import LAYER_IDS
from layers.style import BACKGROUND, TEXT, MapStyle


@dataclass(frozen=True)
class MapSources:
    """Where the browser fetches geometry that is not inside the figure."""

    towns_url: str
    grids_url: str  # all grids; fetched once per page, so it changes only with boundaries


@dataclass(frozen=True)
class MapView:
    """Centre (WGS84) and zoom of the map."""

    lon: float
    lat: float
    zoom: float


def build_map_figure(
    *,
    town_frame: pd.DataFrame,
    grid_frame: pd.DataFrame,
    incident_frame: pd.DataFrame,
    cadre_frame: pd.DataFrame,
    sources: MapSources,
    view: MapView,
    style: MapStyle,
    now: dt.datetime,
    visible: Iterable[str] = LAYER_IDS,
    tile_url: str = "",
    tile_attribution: str = "",
    events: Sequence[dict] = (),
) -> dict:
    """Compose the map figure.

    Parameters
    ----------
    town_frame : DataFrame
        Towns (name, name_en, lon, lat label points).
    grid_frame : DataFrame
        Grids with load columns (see ``layers.grids.with_load``).
    incident_frame, cadre_frame : DataFrame
        Incidents and cadres to draw.
    visible : iterable of str
        Ids of the layers shown (see ``layers.registry``).
    events : sequence of dict
        Active wartime events: name, area (WGS84 polygon), tasks (see
        ``layers.event_map.wall_layer``).
    """
    shown = set(visible)
    traces: list[tuple[str, dict]] = []
    traces += [
        ("grids", t)
        for t in grids.build_layer(grid_frame, style=style, geojson_url=sources.grids_url)
    ]
    traces += [("cadres", t) for t in cadres.build_layer(cadre_frame, style=style, now=now)]
    traces += [
        ("incidents", t) for t in incidents.build_layer(incident_frame, style=style, now=now)
    ]
    traces += [("events", t) for t in event_map.wall_layer(list(events), scale=style.scale,
                                                            lang=style.lang)]  # fmt: skip
    traces += [("towns", t) for t in towns.build_layer(town_frame, style=style, zoom=view.zoom)]
    data = []
    for layer_id, trace in traces:
        trace["meta"] = layer_id
        trace["visible"] = layer_id in shown
        data.append(trace)
    map_layers = towns.build_map_layers(sources.towns_url, style=style, visible="towns" in shown)
    return {
        "data": data,
        "layout": {
            "map": {
                "style": map_style(sources.towns_url, tile_url, tile_attribution),
                "center": {"lon": view.lon, "lat": view.lat},
                "zoom": view.zoom,
                "layers": map_layers,
            },
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": BACKGROUND,
            "plot_bgcolor": BACKGROUND,
            "showlegend": False,
            "uirevision": "keep-view",  # zoom and pan survive updates
            "hoverlabel": {
                "font": {"size": style.px(14), "color": TEXT},
                "bgcolor": "rgba(8, 24, 44, 0.94)",
                "bordercolor": "#3d7ab8",
            },
            "font": {"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "color": TEXT},
        },
    }
