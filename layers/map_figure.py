"""The command map's layers: every layer's Leaflet props as plain dicts.

The wall draws with Leaflet on a canvas (dash-leaflet): the grid and town
polygons come by URL, once per page and geometry version; what changes live
is the grids' ``hideout`` mapping and the small point collections, which the
dashboard sends as edits (``dashboard.live``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from layers import cadres, event_map, grids, incidents, towns
from layers.style import MapStyle


@dataclass(frozen=True)
class MapView:
    """Centre (WGS84) and zoom of the map (512 px tiles, as ``layers.view.view_for``)."""

    lon: float
    lat: float
    zoom: float


# The live values of the wall, by layer; "towns" and "events" name toggles too
# (see ``layers.registry``), the others belong to the toggle before their dash.
WALL_LAYERS: tuple[str, ...] = (
    "grids",
    "towns",
    "cadres",
    "incidents-halo",
    "incidents",
    "incidents-flash",
    "events-areas",
    "events-tasks",
    "towns-labels",
)


def toggle_of(layer: str) -> str:
    """The layer switch (``layers.registry`` id) that shows or hides ``layer``."""
    return layer.split("-")[0]


def build_wall_layers(
    *,
    town_frame: pd.DataFrame,
    grid_frame: pd.DataFrame,
    incident_frame: pd.DataFrame,
    cadre_frame: pd.DataFrame,
    view: MapView,
    style: MapStyle,
    now: dt.datetime,
    events: Sequence[dict] = (),
    cadre_layer: dict | None = None,
) -> dict[str, dict]:
    """The live values of every wall layer, keyed as ``WALL_LAYERS``.

    Parameters
    ----------
    town_frame : DataFrame
        Towns (code, name, name_en, lon, lat label points).
    grid_frame : DataFrame
        Grids with load columns (see ``layers.grids.with_load``).
    incident_frame, cadre_frame : DataFrame
        Incidents and cadres to draw.
    events : sequence of dict
        Active wartime events: name, area (WGS84 polygon), tasks (see
        ``layers.event_map.wall_layers``).
    cadre_layer : dict, optional
        The cadres' layer of ``cadre_frame`` in ``style``, when already built.
    """
    shown = incidents.build_layer(incident_frame, style=style, now=now)
    happening = event_map.wall_layers(list(events), scale=style.scale, lang=style.lang)
    return {
        "grids": grids.hideout(grid_frame, style=style),
        "towns": towns.outline_style(style),
        "cadres": (
            cadre_layer
            if cadre_layer is not None
            else cadres.build_layer(cadre_frame, style=style, now=now)
        ),
        "incidents-halo": shown["halo"],
        "incidents": shown["dots"],
        "incidents-flash": shown["flash"],
        "events-areas": happening["areas"],
        "events-tasks": happening["tasks"],
        "towns-labels": towns.label_layer(town_frame, style=style, zoom=view.zoom),
    }
