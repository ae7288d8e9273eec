"""The view that fits an area into a map of a given size, in Web Mercator.

The wall needs it before the browser has drawn anything: the town names are
set apart for the zoom the first picture opens at. Zoom here is on a 512 px
world (one less than Leaflet's zoom for the same screen; only the ratio of
pixels to degrees matters to its callers).
"""

from __future__ import annotations

import math

TILE_SIZE = 512  # the world is 512 px wide at zoom 0 on this scale


def view_for(
    bounds: tuple[float, float, float, float],
    width_px: float,
    height_px: float,
    padding: float = 0.04,
) -> tuple[dict, float]:
    """Centre and zoom that fit ``bounds`` into a map of the given size.

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
