"""Glue between the store and the layers for the command map (no callbacks)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from domain.kpis import Situation, situation, start_of_local_day, town_ranking
from domain.lifecycle import OPEN_STATUSES
from layers.basemap import view_for
from layers.grids import with_load
from layers.map_figure import MapSources, MapView, build_map_figure
from layers.registry import LAYER_IDS
from layers.style import MapStyle, scale_for_width

DEFAULT_SCREEN = {"width": 1920, "height": 1080}
_SIDE_PANELS_EM = 19 * 2 + 0.8 * 4  # two side panels and the gaps (see style.css)
_HEADER_EM = 5.2 + 0.8 * 2


@dataclass(frozen=True)
class CommandView:
    """Everything the command map page shows at one moment."""

    figure: dict
    situation: Situation
    ranking: pd.DataFrame
    change_seq: int


def map_area(screen: dict | None) -> tuple[float, float, float]:
    """Width and height of the map in CSS px, and the size scale, for a screen."""
    screen = screen or DEFAULT_SCREEN
    width = float(screen.get("width") or DEFAULT_SCREEN["width"])
    height = float(screen.get("height") or DEFAULT_SCREEN["height"])
    em = min(max(13.0, 0.0078 * width), 44.0)  # --base in style.css
    return width - _SIDE_PANELS_EM * em, height - _HEADER_EM * em, scale_for_width(width)


def command_view(
    store,
    *,
    lang: str,
    screen: dict | None,
    visible=LAYER_IDS,
    tile_url: str = "",
    tile_attribution: str = "",
    now: dt.datetime | None = None,
) -> CommandView:
    """Read the city and build the map figure, the headline figures and the ranking."""
    now = now or dt.datetime.now(dt.UTC)
    seq = store.latest_seq()
    towns = store.towns()
    grids = with_load(store.grids(geometry=False), store.open_load())
    open_incidents = store.incidents(sorted(OPEN_STATUSES))
    cadres = store.cadres()
    width, height, scale = map_area(screen)
    bounds = tuple(towns.total_bounds) if len(towns) else (119.63, 36.01, 120.21, 36.50)
    centre, zoom = view_for(bounds, width, height)
    sources = MapSources(
        towns_url="/api/v1/towns.geojson",
        grid_class_url=lambda k: f"/api/v1/grids.geojson?load_class={k}&v={seq}",
    )
    figure = build_map_figure(
        town_frame=towns,
        grid_frame=grids,
        incident_frame=open_incidents,
        cadre_frame=cadres,
        sources=sources,
        view=MapView(centre["lon"], centre["lat"], zoom),
        style=MapStyle(scale=scale, lang=lang),
        now=now,
        visible=visible,
        tile_url=tile_url,
        tile_attribution=tile_attribution,
    )
    today = store.reported_since(start_of_local_day(now))
    return CommandView(
        figure=figure,
        situation=situation(open_incidents, cadres, today, now),
        ranking=town_ranking(open_incidents, towns),
        change_seq=seq,
    )
