"""What every Leaflet map of the dashboard shares: functions by name, the map's settings.

The drawing functions live in dashboard/assets/gc_map.js (no inline script,
no eval); a layout names them as dash-leaflet expects.
"""

from __future__ import annotations

import dash_leaflet as dl

from layers.style import BACKGROUND

FIT = {"padding": [24, 24]}  # around what a map is fitted to


def js(name: str) -> dict:
    """A function of dashboard/assets/gc_map.js, as dash-leaflet names one."""
    return {"variable": f"gc.map.{name}"}


def empty() -> dict:
    return {"type": "FeatureCollection", "features": []}


# The desks' paper maps: the towns as white land under everything, their
# borders again above the grids (a GeoJSON layer each, by the same URL).
PAPER_LAND = {"fill": "#ffffff", "color": "#ffffff", "weight": 0.5}


def towns_layer(layer_id: str, url: str, hideout: dict) -> dl.GeoJSON:
    """The towns by URL, drawn as ``hideout`` says (``gc.map.townStyle``)."""
    return dl.GeoJSON(
        id=layer_id, url=url, style=js("townStyle"), onEachFeature=js("each"), hideout=hideout
    )


def canvas_map(
    map_id: str, layers: list, bounds, sources: dict, *, background: str = BACKGROUND, **options
) -> dl.MapContainer:
    """A map drawn on one canvas (fast without a GPU), fitted to ``bounds``
    ([[south, west], [north, east]]), over the centre's tile server if
    ``sources`` names one (else no tiles: nothing leaves the machine), on
    ``background`` where there are no tiles (the wall's dark, the desk's paper)."""
    if sources.get("tiles"):
        layers = [
            dl.TileLayer(url=sources["tiles"], attribution=sources.get("attribution")),
            *layers,
        ]
    return dl.MapContainer(
        layers,
        id=map_id,
        className="gc-map",
        bounds=bounds,
        boundsOptions=FIT,
        preferCanvas=True,
        zoomSnap=0,
        zoomDelta=0.5,
        attributionControl=bool(sources.get("tiles")),
        trackViewport=False,
        style={"height": "100%", "width": "100%", "background": background},
        **options,
    )
