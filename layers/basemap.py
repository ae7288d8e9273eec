"""The basemap: our own dark background, or the centre's intranet tiles.

No request leaves the building by default: the MapLibre style has no glyphs,
sprites or remote sources (a command centre often runs on an intranet). A tile
URL of the centre's own tile server can be configured instead.
"""

from __future__ import annotations

import math

from layers.style import BACKGROUND, LAND

TILE_SIZE = 512  # MapLibre's world is 512 px wide at zoom 0


def map_style(land_url: str, tile_url: str = "", attribution: str = "") -> dict:
    """A MapLibre style dict for ``layout.map.style``.

    Parameters
    ----------
    land_url : str
        GeoJSON of the area's outline (the towns), drawn as land over the dark
        sea of the background. The style must have at least one source: with
        ``"sources": {}`` plotly drops the empty object on update and MapLibre
        then refuses the style ("missing required property sources").
    tile_url : str
        XYZ raster tile URL template ("…/{z}/{x}/{y}.png"); empty for none.
    attribution : str
        Shown with the tiles.
    """
    style: dict = {
        "version": 8,
        "sources": {"land": {"type": "geojson", "data": land_url}},
        "layers": [
            {"id": "background", "type": "background",
             "paint": {"background-color": BACKGROUND}},
        ],
    }  # fmt: skip
    if tile_url:
        style["sources"]["tiles"] = {
            "type": "raster",
            "tiles": [tile_url],
            "tileSize": 256,
            "attribution": attribution,
        }
        style["layers"].append(
            {"id": "tiles", "type": "raster", "source": "tiles",
             "paint": {"raster-opacity": 0.55}}
        )  # fmt: skip
    style["layers"].append(
        {"id": "land", "type": "fill", "source": "land",
         "paint": {"fill-color": LAND, "fill-opacity": 0.55 if tile_url else 0.9}}
    )  # fmt: skip
    return style


def view_for(
    bounds: tuple[float, float, float, float],
    width_px: float,
    height_px: float,
    padding: float = 0.04,
) -> tuple[dict, float]:
    """Centre and zoom that fit ``bounds`` into a map of the given size.

    Plotly's ``fitbounds`` does not fit reliably on a 4K wall, so the view is
    computed here in Web Mercator.

    Parameters
    ----------
    bounds : (min lon, min lat, max lon, max lat)
        WGS84 degrees.
    width_px, height_px : float
        Size of the map on screen, CSS pixels.
    padding : float
        Share of the map kept free on each side.

    Returns
    -------
    centre : {"lon": float, "lat": float}
    zoom : float
    """
    minx, miny, maxx, maxy = bounds
    x0, y0 = _mercator(minx, maxy)
    x1, y1 = _mercator(maxx, miny)
    span_x = max(x1 - x0, 1e-9)
    span_y = max(y1 - y0, 1e-9)
    usable_w = max(width_px * (1 - 2 * padding), 1)
    usable_h = max(height_px * (1 - 2 * padding), 1)
    zoom = math.log2(min(usable_w / (span_x * TILE_SIZE), usable_h / (span_y * TILE_SIZE)))
    lon, lat = _inverse_mercator((x0 + x1) / 2, (y0 + y1) / 2)
    return {"lon": round(lon, 6), "lat": round(lat, 6)}, round(max(0.0, min(zoom, 20.0)), 3)


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 degrees to Web Mercator in world units (0..1)."""
    x = (lon + 180) / 360
    s = math.sin(math.radians(lat))
    y = 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
    return x, y


def _inverse_mercator(x: float, y: float) -> tuple[float, float]:
    lon = x * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))
    return lon, lat
